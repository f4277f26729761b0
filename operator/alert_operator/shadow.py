"""A shadow of the cluster for dry-run without one: what the operator would have applied.

``make run`` on a machine without Kubernetes runs the operator in dry-run. Against an empty
cluster that writes nothing, every sync would plan "create" again for every alert, forever; a
newcomer who changes a row would never see an update, a recreate or a suspend. So the applier
applies each dry-run action to this in-memory :class:`ShadowCluster` as well (after logging
"dry-run: would ..."), and the next sync compares the alerts with what it holds: after an
``UPDATE`` of a frequency the log says "would recreate ... (schedule changed: ...)", after a
deactivation "would suspend", after a rename "would update", after a DELETE "would delete".

It stores what it is given as a JSON document (a copy no caller can change, and compact at
10,000 alerts), answers as the API does (404, 409) and applies patches as JSON merge patches
(RFC 7386), the content type the applier sends. Nothing of it survives the process.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from alert_operator.kube import LIST_PAGE_SIZE, Body, NotFoundError, RetryableApiError, is_managed


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with the JSON merge patch ``patch`` applied (RFC 7386: null deletes)."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class ShadowCluster:
    """The :class:`alert_operator.kube.KubeApi` of a dry-run without a cluster, in memory."""

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str], str] = {}  # (namespace, name) -> JSON
        self._versions = itertools.count(1)

    def _stored(self, namespace: str, body: Body) -> Body:
        metadata = body.setdefault("metadata", {})
        metadata.update(namespace=namespace, resourceVersion=str(next(self._versions)))
        metadata.setdefault("uid", str(uuid.uuid4()))
        metadata.setdefault("creationTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        text = json.dumps(body, separators=(",", ":"))
        self._objects[(namespace, str(metadata.get("name")))] = text
        stored: Body = json.loads(text)
        return stored

    async def list_managed_cronjobs(self, namespace: str) -> list[Body]:
        return [body async for page in self.managed_cronjob_pages(namespace) for body in page]

    async def managed_cronjob_pages(
        self, namespace: str, *, metadata_only: bool = False
    ) -> AsyncIterator[list[Body]]:
        names = sorted(name for space, name in self._objects if space == namespace)
        for start in range(0, len(names), LIST_PAGE_SIZE):
            page = [json.loads(self._objects[(namespace, name)])
                    for name in names[start:start + LIST_PAGE_SIZE]]
            yield [{"metadata": body["metadata"]} if metadata_only else body
                   for body in page if is_managed(body)]

    async def get_cronjob(self, namespace: str, name: str) -> Body | None:
        text = self._objects.get((namespace, name))
        return None if text is None else dict(json.loads(text))

    async def create_cronjob(self, namespace: str, body: Body) -> Body:
        name = str((body.get("metadata") or {}).get("name"))
        if (namespace, name) in self._objects:
            raise RetryableApiError("create", 409, "AlreadyExists", f"{name} already exists")
        return self._stored(namespace, json.loads(json.dumps(body)))

    async def patch_cronjob(self, namespace: str, name: str, patch: Body) -> Body:
        live = await self.get_cronjob(namespace, name)
        if live is None:
            raise NotFoundError("patch", 404, "NotFound", f"{name} not found")
        return self._stored(namespace, merge_patch(live, patch))

    async def delete_cronjob(
        self, namespace: str, name: str, *, propagation: str = "Background"
    ) -> None:
        if self._objects.pop((namespace, name), None) is None:
            raise NotFoundError("delete", 404, "NotFound", f"{name} not found")

    async def create_event(self, namespace: str, body: Body) -> None:
        """Events are not kept: in dry-run the event recorder logs them instead."""
