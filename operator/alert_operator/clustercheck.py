"""Is the cluster usable with our credentials? One authenticated request, one line of reason.

Before kopf starts, the operator waits here (reporting and retrying) instead of letting kopf
fail with a traceback on credentials that the cluster refuses; alertctl words its errors with
:func:`describe_cluster_error`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alert_operator.kube import ApiError, HttpKubeApi
from alert_operator.login import KubeLogin, LoginFailure

log = logging.getLogger(__name__)

RETRY_SECONDS = (2.0, 5.0, 10.0, 30.0, 60.0)
# A name no CronJob of ours has (ours start with "alert-"): a 404 proves we may read CronJobs.
PROBE_NAME = "alert-operator-login-check"


def describe_cluster_error(error: ApiError) -> str:
    """One line naming what went wrong (the API client never puts tokens in its messages)."""
    if error.reason == "LoginFailed":
        return f"cannot log in to the cluster: {error.message}"
    if error.status == 401:
        return ("the cluster refused the credentials (HTTP 401 Unauthorized: wrong or expired;"
                " check --kubeconfig/--context, or log in again)")
    if error.status == 403:
        return f"the credentials are not allowed to {error.verb} (HTTP 403): {error.message}"
    if error.status == 0:
        return f"cluster unreachable: {error.reason}: {error.message}"[:300]
    return f"the cluster refused: {error}"


async def cluster_problem(kube_login: KubeLogin, namespace: str) -> str | None:
    """Why the cluster cannot be used right now, or None when it answers us."""
    try:
        connection = await asyncio.to_thread(kube_login.login)
    except LoginFailure as error:
        return str(error)
    api = HttpKubeApi(connection, relogin=kube_login.login)
    try:
        await api.get_cronjob(namespace, PROBE_NAME)
    except ApiError as error:
        return describe_cluster_error(error)
    finally:
        await api.close()
    return None


async def wait_until_usable(
    kube_login: KubeLogin, namespace: str, stopped: Callable[[], bool]
) -> bool:
    """Check until the cluster answers (True) or ``stopped()`` (False); one line per failure."""
    failures = 0
    while not stopped():
        problem = await cluster_problem(kube_login, namespace)
        if problem is None:
            return True
        wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
        log.error("cannot use the cluster (%s): %s; retrying in %.0f s",
                  kube_login.describe(), problem, wait)
        failures += 1
        for _ in range(int(wait * 10)):
            if stopped():
                break
            await asyncio.sleep(0.1)
    return False
