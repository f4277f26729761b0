"""The web UI's actions: pause, resume, run-now (one alert) and sync (everything).

Mounted only when ``settings.ui_actions_enabled``: in read-only mode these routes do not exist
and the pages show no control. Each is a POST by a token holder (:mod:`.auth`), and each is
recorded: a log line, an entry of the overview's "Recent actions", and a Kubernetes Event
(on the alert's CronJob, or on the namespace for a sync), naming the token, the action and the
time. The work is the same code as alertctl's: :mod:`alert_core.db.pauses` (the table's NOTIFY
makes the operator re-plan at once) and :mod:`alert_operator.manual_job`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db import pauses
from alert_core.db.retry import NotRetryableError, RetryTarget, claim_retry, release_retry
from alert_operator.kube import ApiError
from alert_operator.manual_job import ManualJobError, job_from_cronjob, manual_job_name
from alert_operator.retry_job import retry_job_from_cronjob
from alert_operator.ui.app import AuditEntry, UiContext
from alert_operator.ui.auth import Auth, check_origin, set_cookie
from alert_operator.ui.queries import ReadError, in_connection, one_line
from alert_operator.ui.routes import PREFIX

log = logging.getLogger(__name__)

MAX_REASON = 1000


@runtime_checkable
class JobStarter(Protocol):
    async def get_cronjob(self, namespace: str, name: str) -> dict[str, Any] | None: ...

    async def create_job(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]: ...


class Actions:
    def __init__(self, ui: UiContext, auth: Auth) -> None:
        self.ui, self.auth = ui, auth

    # --- signing in ---------------------------------------------------------------------
    async def login_page(self, request: web.Request) -> web.Response:
        return self.ui.render(request, "login.html", failed=False)

    async def login(self, request: web.Request) -> web.StreamResponse:
        check_origin(request)
        form = await request.post()
        signed = self.auth.sign_in(str(form.get("token") or "").strip())
        if signed is None:
            log.warning("ui: a sign-in with an unknown token was refused")
            return self.ui.render(request, "login.html", status=401, failed=True)
        key, session = signed
        log.info("ui: %s signed in", session.name)
        response = web.HTTPSeeOther(PREFIX + "/")
        set_cookie(response, key, secure=request.secure)
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        await self.auth.actor(request)
        self.auth.sign_out(request)
        response = web.HTTPSeeOther(PREFIX + "/")
        response.del_cookie("alert_ui_session", path="/ui/")
        raise response

    # --- the actions --------------------------------------------------------------------
    async def _record(self, who: str, what: str, cronjob: str | None,
                      alert_id: uuid.UUID | None, reason: str) -> None:
        self.ui.audit.appendleft(AuditEntry(datetime.now(UTC), who, what))
        log.info("ui action by %s: %s", who, what)
        events = self.ui.parts.events
        if events is not None:
            await events.record_action(cronjob, alert_id, reason,
                                       f"{what} (web UI, token {who})")

    @staticmethod
    def _alert_id(request: web.Request) -> uuid.UUID:
        try:
            return uuid.UUID(request.match_info["alert_id"])
        except ValueError:
            raise web.HTTPNotFound(text="no such alert: not a UUID\n") from None

    @staticmethod
    def _done(alert_id: uuid.UUID | None, notice: str) -> web.HTTPSeeOther:
        target = PREFIX + ("/" if alert_id is None else f"/alerts/{alert_id}")
        return web.HTTPSeeOther(f"{target}?done={quote(notice)}")

    async def pause(self, request: web.Request) -> web.StreamResponse:
        who = await self.auth.actor(request)
        alert_id = self._alert_id(request)
        form = await request.post()
        reason = str(form.get("reason") or "").strip()[:MAX_REASON] or None

        async def work(conn: AsyncConnection) -> None:
            await pauses.pause(conn, self.ui.settings, [alert_id], paused_by=f"ui:{who}",
                               reason=reason)
            await conn.commit()

        await self._write(work)
        await self._record(who, f"paused alert {alert_id}" + (f": {reason}" if reason else ""),
                           f"alert-{alert_id}", alert_id, "Paused")
        raise self._done(alert_id, "paused")

    async def resume(self, request: web.Request) -> web.StreamResponse:
        who = await self.auth.actor(request)
        alert_id = self._alert_id(request)

        async def work(conn: AsyncConnection) -> None:
            await pauses.resume(conn, self.ui.settings, [alert_id])
            await conn.commit()

        await self._write(work)
        await self._record(who, f"resumed alert {alert_id}", f"alert-{alert_id}", alert_id,
                           "Resumed")
        raise self._done(alert_id, "resumed")

    async def run_now(self, request: web.Request) -> web.StreamResponse:
        who = await self.auth.actor(request)
        alert_id = self._alert_id(request)
        api, namespace, name = self.ui.parts.api, self.ui.settings.namespace, f"alert-{alert_id}"
        if not isinstance(api, JobStarter):
            raise web.HTTPServiceUnavailable(text="not connected to the cluster (yet)\n")
        try:
            cronjob = await api.get_cronjob(namespace, name)
            if cronjob is None:
                raise web.HTTPConflict(text=f"the cluster has no CronJob {name}\n")
            job = job_from_cronjob(cronjob, manual_job_name(name))
            await api.create_job(namespace, job)
        except (ApiError, ManualJobError) as error:
            raise web.HTTPBadGateway(text=f"cannot start the run: {one_line(error)}\n") from None
        job_name = job["metadata"]["name"]
        await self._record(who, f"started a manual run of alert {alert_id} (Job {job_name})",
                           name, alert_id, "ManualRun")
        raise self._done(alert_id, f"started Job {job_name}")

    async def retry(self, request: web.Request) -> web.StreamResponse:
        """Re-run a failed run in place (alertctl retry's mechanism: alert_core.db.retry)."""
        who = await self.auth.actor(request)
        try:
            run_id = uuid.UUID(request.match_info["run_id"])
        except ValueError:
            raise web.HTTPNotFound(text="no such run: not a UUID\n") from None
        api = self.ui.parts.api
        if not isinstance(api, JobStarter):
            raise web.HTTPServiceUnavailable(text="not connected to the cluster (yet)\n")

        async def reserve(conn: AsyncConnection) -> RetryTarget:
            target = await claim_retry(conn, self.ui.settings, run_id)
            await conn.commit()  # reserved before the Job exists
            return target

        try:
            target = await in_connection(self.ui.engine(), reserve)
        except NotRetryableError as error:
            raise web.HTTPConflict(text=f"{error}\n") from None
        except ReadError as error:
            raise web.HTTPServiceUnavailable(text=f"{error}\n") from None
        try:
            await self._create_retry_job(api, target)
        except (ApiError, ManualJobError) as error:
            await self._release(target)
            raise web.HTTPBadGateway(text=f"cannot start the retry: {one_line(error)}\n") from None
        await self._record(who, f"retried run {run_id} of alert {target.alert_id} "
                                f"(Job {target.retry_job_name})", target.cronjob,
                           target.alert_id, "RetryRequested")
        raise self._done(target.alert_id, f"retrying the run as Job {target.retry_job_name}")

    async def _create_retry_job(self, api: JobStarter, target: RetryTarget) -> None:
        namespace = self.ui.settings.namespace
        cronjob = await api.get_cronjob(namespace, target.cronjob)
        if cronjob is None:
            raise ManualJobError(f"the cluster has no CronJob {target.cronjob}")
        await api.create_job(namespace, retry_job_from_cronjob(
            cronjob, target.retry_job_name, target))

    async def _release(self, target: RetryTarget) -> None:
        async def work(conn: AsyncConnection) -> None:
            await release_retry(conn, self.ui.settings, target)
            await conn.commit()

        try:
            await in_connection(self.ui.engine(), work)
        except ReadError as error:  # the reservation then lapses after the Job's deadline
            log.warning("ui: cannot release the retry of run %s: %s", target.run_id, error)

    async def sync(self, request: web.Request) -> web.StreamResponse:
        who = await self.auth.actor(request)
        reconciler = self.ui.parts.reconciler
        if reconciler is None:
            raise web.HTTPServiceUnavailable(text="the operator is not running its syncs yet\n")
        reconciler.full_sync_wanted.set()
        await self._record(who, "asked for a full sync", None, None, "SyncRequested")
        raise self._done(None, "full sync requested")

    async def _write(self, work: Any) -> None:
        try:
            await in_connection(self.ui.engine(), work)
        except ReadError as error:
            raise web.HTTPServiceUnavailable(text=f"{error}\n") from None
