"""The test API server's watch helpers: its control items, a 410 and a bookmark event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen(eq=False)
class WatchControl:
    """Put on a resource's bus beside its events: ends (``close``, ``expire``; ``timeout``: of
    the watch ``token`` only) or feeds (``line``: ``payload`` as is) the open watches."""

    kind: str
    token: object | None = None
    payload: bytes = b""
    version: str = ""


def expired(since: str) -> dict[str, Any]:
    """The ERROR event of a watch whose version the server no longer has (410 Gone)."""
    return {"type": "ERROR", "object": {
        "apiVersion": "v1", "kind": "Status", "status": "Failure", "code": 410,
        "reason": "Expired", "message": f"too old resource version: {since}"}}


def bookmark(api_version: str, kind: str, version: str) -> dict[str, Any]:
    """A BOOKMARK: an object of the kind with only its metadata's resourceVersion."""
    return {"type": "BOOKMARK", "object": {
        "apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": version}}}


def timeout_of(params: Mapping[str, str]) -> float | None:
    """A watch's ``timeoutSeconds`` (an integer, as the API declares it; ValueError if not)."""
    text = params.get("timeoutSeconds")
    return None if text is None else float(int(text))
