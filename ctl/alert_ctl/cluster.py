"""alertctl's connection to the cluster: the operator's login (alert_operator.login: kubectl's
``--kubeconfig`` / ``KUBECONFIG`` / ``~/.kube/config`` and ``--context``, else the pod's service
account) and the operator's API client, which logs in again on expiry and on a 401.

alertctl acts with the credentials of whoever runs it, so Kubernetes RBAC decides what they may
do; its client allows the operator's calls plus creating Jobs (``alertctl run-now``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from alert_operator.clustercheck import describe_cluster_error
from alert_operator.kube import Body, HttpKubeApi, NotFoundError
from alert_operator.login import KubeLogin, LoginFailure
from alert_operator.permissions import allowed

# Beyond the operator's own permissions (alert_operator.permissions.OPERATOR_RULES).
__all__ = ["ClusterUnavailableError", "CtlKubeApi", "connect", "describe_cluster_error"]

EXTRA_RULES: dict[tuple[str, str], tuple[str, ...]] = {
    ("batch", "jobs"): ("create",),
    ("", "pods"): ("list",),  # run-now --wait shows the pod's phase (optional: 403 is fine)
}


class ClusterUnavailableError(RuntimeError):
    """No cluster to talk to: no credentials found, or a kubeconfig we cannot use."""


class CtlKubeApi(HttpKubeApi):
    """The operator's client, plus what alertctl's commands need on top."""

    def _allows(self, group: str, resource: str, verb: str) -> bool:
        return allowed(group, resource, verb) or verb in EXTRA_RULES.get((group, resource), ())

    async def list_job_pods(self, namespace: str, job_name: str) -> list[Body]:
        page = await self._request(
            ("", "pods", "list"), "GET", f"/api/v1/namespaces/{quote(namespace)}/pods",
            params={"labelSelector": f"batch.kubernetes.io/job-name={job_name}"},
        )
        return list(page.get("items") or [])

    async def get_job(self, namespace: str, name: str) -> Body | None:
        try:
            return await self._request(("batch", "jobs", "get"), "GET", self._jobs(namespace, name))
        except NotFoundError:
            return None


@asynccontextmanager
async def connect(kube_login: KubeLogin | None = None) -> AsyncIterator[CtlKubeApi]:
    """A client for the cluster; raises :class:`ClusterUnavailableError` without credentials."""
    kube_login = kube_login or KubeLogin()
    try:
        connection = kube_login.login()
    except LoginFailure as error:
        raise ClusterUnavailableError(str(error)) from None
    api = CtlKubeApi(connection, relogin=kube_login.login)
    try:
        yield api
    finally:
        await api.close()
