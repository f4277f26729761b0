"""alertctl's connection to the cluster: kopf's login (in a pod: the service account; else
KUBECONFIG or ~/.kube/config, current context) and the operator's API client.

alertctl acts with the credentials of whoever runs it, so Kubernetes RBAC decides what they may
do; its client allows the operator's calls plus creating Jobs (``alertctl run-now``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import kopf
import yaml

from alert_operator.kube import Body, HttpKubeApi, NotFoundError
from alert_operator.permissions import allowed

# Beyond the operator's own permissions (alert_operator.permissions.OPERATOR_RULES).
EXTRA_RULES: dict[tuple[str, str], tuple[str, ...]] = {("batch", "jobs"): ("create",)}


class ClusterUnavailableError(RuntimeError):
    """No cluster to talk to: no credentials found, or a kubeconfig we cannot use."""


def login() -> Any:
    """kopf's ConnectionInfo: in-cluster first, then the kubeconfig's current context."""
    settings = kopf.OperatorSettings()
    try:
        connection = kopf.login_with_service_account(settings=settings)
        if connection is None:
            connection = kopf.login_with_kubeconfig(settings=settings)
    except (kopf.LoginError, OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as error:
        raise ClusterUnavailableError(
            f"no usable cluster credentials: {type(error).__name__}: {error}"[:300]
        ) from None
    if connection is None:
        raise ClusterUnavailableError(
            "no cluster: not in a pod, and neither KUBECONFIG nor ~/.kube/config is there"
        )
    return connection


class CtlKubeApi(HttpKubeApi):
    """The operator's client, plus what alertctl's commands need on top."""

    def _allows(self, group: str, resource: str, verb: str) -> bool:
        return allowed(group, resource, verb) or verb in EXTRA_RULES.get((group, resource), ())

    @staticmethod
    def _jobs(namespace: str, name: str = "") -> str:
        path = f"/apis/batch/v1/namespaces/{quote(namespace)}/jobs"
        return f"{path}/{quote(name)}" if name else path

    async def create_job(self, namespace: str, body: Body) -> Body:
        return await self._request(
            ("batch", "jobs", "create"), "POST", self._jobs(namespace), body=body
        )

    async def get_job(self, namespace: str, name: str) -> Body | None:
        try:
            return await self._request(("batch", "jobs", "get"), "GET", self._jobs(namespace, name))
        except NotFoundError:
            return None


@asynccontextmanager
async def connect() -> AsyncIterator[CtlKubeApi]:
    """A client for the current cluster; raises :class:`ClusterUnavailableError` without one."""
    api = CtlKubeApi(login())
    try:
        yield api
    finally:
        await api.close()
