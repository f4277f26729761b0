"""The operator when things go wrong: database down, LISTEN connection killed, no cluster."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from alert_core.cronjob import cronjob_name
from alert_operator.main import StartupError
from tests.operator.conftest import Database, Emulator, start_on_a_taken_port, wait_for

DAILY = {"type": "daily", "time": "09:00", "timezone": "UTC"}


def test_database_down_during_sync_deletes_nothing(
    emulator: Emulator, db: Database, operator_factory: Any, pg_server_url: str
) -> None:
    alerts = [db.add_alert(f"a{i}", DAILY) for i in range(3)]
    op = operator_factory(resync_interval_seconds=1)
    op.wait_synced()
    wait_for(lambda: len(emulator.cronjobs()) == 3, what="3 CronJobs")
    name = db.url.rpartition("/")[2]
    admin = Database(pg_server_url)
    admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    try:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                      " WHERE datname = $1 AND pid <> pg_backend_pid()", name)
        syncs = op.state.full_syncs
        wait_for(lambda: not op.state.database_reachable and op.state.last_sync_error,
                 what="the sync to notice the database is down")
        # A hand-deleted CronJob while the database is down: not restored, nothing else deleted.
        assert emulator.delete_cronjob(cronjob_name(alerts[0])) == 200
        wait_for(lambda: "database" in str(op.state.last_sync_error), what="db error recorded")
        assert op.state.full_syncs == syncs  # no sync completed
        assert all(cronjob_name(a) in emulator.cronjobs() for a in alerts[1:])
        assert [w for w in emulator.writes() if w[0] == "DELETE"] == [
            ("DELETE", emulator.cronjob_path(cronjob_name(alerts[0])))]
    finally:
        admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    # Back up: the next sync converges again.
    wait_for(lambda: cronjob_name(alerts[0]) in emulator.cronjobs(), what="restored after")
    assert op.state.database_reachable


def test_listen_connection_killed_recovers_and_resyncs(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op = operator_factory()  # resync every 60 s: only the change feed can be this quick
    op.wait_synced()
    feed = "SELECT pid FROM pg_stat_activity WHERE application_name = 'alert-operator-changefeed'"
    wait_for(lambda: db.execute(feed), what="the LISTEN connection")
    db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
               " WHERE application_name = 'alert-operator-changefeed'")
    alert = db.add_alert("while reconnecting", DAILY)
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), timeout=20,
             what="created after the change feed reconnected")
    later = db.add_alert("after reconnect", DAILY)
    wait_for(lambda: cronjob_name(later) in emulator.cronjobs(), what="live changes again")


def test_dry_run_without_a_cluster(db: Database, operator_factory: Any) -> None:
    alert = db.add_alert("a", DAILY)
    db.add_alert("broken", {"type": "daily", "time": "25:00"})
    op = operator_factory(kopf=False, dry_run=True)
    op.wait_synced()
    # In sync with the shadow of the cluster: what the dry-run would have created.
    assert op.state.alerts[alert].cronjob == "in sync"
    later = db.add_alert("b", DAILY)
    wait_for(lambda: later in op.state.alerts, what="a new row seen live in dry-run")


def test_bad_arguments_are_one_line_and_exit_2() -> None:
    for args in (["run", "--resync-interval", "soon"], ["run", "--namespace", "Bad_NS",
                                                        "--database-url", "postgresql://x/y"],
                 ["fly"]):
        done = subprocess.run([sys.executable, "-m", "alert_operator.main", *args],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_without_the_trigger_the_periodic_sync_converges(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    # The state `alertctl migrate --no-trigger` leaves: our tables, no trigger on app.alerts.
    db.execute("DROP TRIGGER alert_operator_notify ON app.alerts")
    db.execute("DROP TRIGGER alert_operator_notify_truncate ON app.alerts")
    op = operator_factory(resync_interval_seconds=1)
    op.wait_synced()
    alert = db.add_alert("late", DAILY)
    syncs = op.state.full_syncs
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), what="created by a resync")
    # It was a periodic full sync, not a notification; the sync counts itself only after its
    # last write, so the CronJob may be seen a moment before the count.
    wait_for(lambda: op.state.full_syncs > syncs, what="the full sync that created it")
    db.execute("UPDATE app.alerts SET frequency = $1::jsonb WHERE id = $2",
               '{"type": "daily", "time": "10:15", "timezone": "UTC"}', alert)
    # A schedule change recreates the CronJob: between delete and create it is briefly absent.
    wait_for(lambda: (emulator.cronjobs().get(cronjob_name(alert)) or {"spec": {}})["spec"]
             .get("schedule") == "15 10 * * *", what="schedule updated by a resync")


def test_a_taken_status_port_stops_the_operator_at_start(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op, port = start_on_a_taken_port(operator_factory, "status_port")
    # It stops with a reason instead of retrying forever, before it syncs anything.
    assert isinstance(op._error, StartupError)
    assert f"cannot serve /status, /metrics and /healthz on port {port}:" in str(op._error)
    assert op.state.full_syncs == 0
    assert emulator.writes() == []
    op._error = None  # seen: the factory's teardown need not raise it again
