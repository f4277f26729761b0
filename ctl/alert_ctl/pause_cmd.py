"""``alertctl pause`` / ``alertctl resume``: the old scheduler's /stop and /start, per alert or all.

A pause is a row in ``alert_pauses`` (who, when, why), not a change to a CronJob: the planner
reads the table and suspends the CronJob, so a pause survives every re-sync and operator restart.
The table's trigger notifies a running operator, which applies the change within a moment.
"""

from __future__ import annotations

import getpass
import os
import uuid
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from alert_core.db.pauses import GLOBAL_PAUSE_UUID, load_pause_records, pause, resume
from alert_core.settings import Settings
from alert_ctl.alert_ids import AlertRef, AlsoIn, parse_alert_ref, resolve_alert_refs
from alert_ctl.common import (
    EXIT_USAGE,
    DatabaseUrlOption,
    NamespaceOption,
    fail,
    settings_from,
)
from alert_ctl.dbaccess import (
    UnknownAlertsError,
    existing_alert_ids,
    with_connection,
)
from alert_ctl.formatting import say

AlertIdsArgument = Annotated[
    list[str] | None,
    typer.Argument(metavar="ALERT_ID", help="the alerts (UUIDs or unique prefixes)",
                   show_default=False),
]
AllOption = Annotated[bool, typer.Option("--all", help="every alert: the global switch")]
APPLIED_NOTE = (
    "the operator applies this within seconds (NOTIFY); without a running operator,"
    " `alertctl sync` applies it"
)


def current_user() -> str:
    """Who runs alertctl: $USER, else the OS account, else 'unknown' (e.g. a pod's bare uid)."""
    name = os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = ""
    return name or "unknown"


def _targets(alert_ids: list[str] | None, everything: bool, verb: str) -> list[AlertRef]:
    """What the command line names (empty: --all)."""
    if everything and alert_ids:
        fail(f"give alert ids or --all, not both (alertctl {verb} --help)", EXIT_USAGE)
    if everything:
        return []
    if not alert_ids:
        fail(f"no alert given: name alert ids or use --all (alertctl {verb} --help)", EXIT_USAGE)
    refs = [parse_alert_ref(text) for text in alert_ids]
    if any(ref.exact == GLOBAL_PAUSE_UUID for ref in refs):
        fail(f"{GLOBAL_PAUSE_UUID} is reserved for the global switch: use --all", EXIT_USAGE)
    return refs


async def _resolve(
    conn: AsyncConnection, settings: Settings, refs: list[AlertRef], also_in: tuple[AlsoIn, ...]
) -> list[uuid.UUID]:
    return await resolve_alert_refs(conn, settings, refs, also_in) if refs else [
        GLOBAL_PAUSE_UUID]


def _storable(value: str, option: str) -> str:
    """A text option PostgreSQL can store: Python keeps undecodable argv bytes as surrogates,
    which no UTF-8 database takes, and text columns refuse NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        fail(f"{option}: not valid UTF-8", EXIT_USAGE)
    if "\x00" in value:
        fail(f"{option}: holds a NUL character", EXIT_USAGE)
    return value


def pause_alerts(
    alert_ids: AlertIdsArgument = None,
    everything: AllOption = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="why (stored with the pause)")
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="who pauses [default: $USER]", show_default=False)
    ] = None,
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
) -> None:
    """Pause alerts (their CronJobs are suspended) until `alertctl resume`; --all stops all."""
    settings = settings_from(database_url=database_url, namespace=namespace)
    refs = _targets(alert_ids, everything, "pause")
    who = _storable((by or current_user()).strip() or "unknown", "--by")
    reason = None if reason is None else _storable(reason, "--reason")

    async def work(conn: AsyncConnection) -> list[uuid.UUID]:
        targets = await _resolve(conn, settings, refs, ())
        if not everything:
            unknown = set(targets) - await existing_alert_ids(conn, settings, targets)
            if unknown:
                raise UnknownAlertsError(sorted(unknown, key=str))
        await pause(conn, settings, targets, paused_by=who, reason=reason)
        return targets

    targets = with_connection(settings, work, write=True)
    if everything:
        say(f"paused: all alerts (global switch), by {who}")
    else:
        for alert_id in targets:
            say(f"paused: {alert_id}, by {who}")
    say(f"note: {APPLIED_NOTE}", err=True)


def _resume(
    settings: Settings, refs: list[AlertRef], everything: bool
) -> tuple[list[uuid.UUID], set[uuid.UUID]]:
    """The alerts named and those of them whose pause was lifted."""

    async def work(conn: AsyncConnection) -> tuple[list[uuid.UUID], set[uuid.UUID]]:
        targets = await _resolve(conn, settings, refs, ("pauses",))
        if not everything:
            known = await existing_alert_ids(conn, settings, targets)
            # A pause may outlive its alert: lifting it must stay possible.
            known |= set(await load_pause_records(conn, settings)) & set(targets)
            unknown = set(targets) - known
            if unknown:
                raise UnknownAlertsError(sorted(unknown, key=str))
        return targets, await resume(conn, settings, targets)

    return with_connection(settings, work, write=True)


def resume_alerts(
    alert_ids: AlertIdsArgument = None,
    everything: AllOption = False,
    database_url: DatabaseUrlOption = None,
    namespace: NamespaceOption = None,
) -> None:
    """Lift pauses; --all lifts the global switch (alerts paused one by one stay paused)."""
    settings = settings_from(database_url=database_url, namespace=namespace)
    targets, lifted = _resume(settings, _targets(alert_ids, everything, "resume"), everything)
    for alert_id in targets:
        label = "all alerts (global switch)" if alert_id == GLOBAL_PAUSE_UUID else str(alert_id)
        state = "resumed" if alert_id in lifted else "was not paused"
        say(f"{state}: {label}")
    if everything:
        remaining = len(with_connection(settings, lambda conn: load_pause_records(conn, settings)))
        if remaining:
            say(
                f"note: {remaining} alert(s) stay paused one by one"
                " (see `alertctl status`; resume them by id)",
                err=True,
            )
    if lifted:
        say(f"note: {APPLIED_NOTE}", err=True)
