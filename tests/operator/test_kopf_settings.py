"""kopf's settings: no per-event work for handler kinds the operator does not register."""

from __future__ import annotations

import kopf

from alert_core.settings import Settings
from alert_operator.handlers import build_registry
from alert_operator.main import NoDiffBase, kopf_settings


def test_no_essence_is_built_because_no_handler_would_read_it() -> None:
    # NoDiffBase is only right while there are no on.create/update/delete/resume handlers (they
    # diff the essence) and no daemons or timers: adding one needs kopf's storage back.
    registry = build_registry()
    assert list(registry._changing.get_all_handlers()) == []
    assert list(registry._spawning.get_all_handlers()) == []
    # kopf watches the Jobs only: the CronJobs have the operator's own watch (cronjob_watch).
    assert {h.id for h in registry._watching.get_all_handlers()} == {"on_job_event"}
    config = kopf_settings(Settings(namespace="alerts"))
    assert [(s.group, s.any_name) for s in config.watching.label_selectors] == [("batch", "jobs")]
    assert isinstance(config.persistence.diffbase_storage, NoDiffBase)
    body = kopf.Body({"metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"a": [1]}})
    assert config.persistence.diffbase_storage.build(body=body) == {}
    assert config.persistence.diffbase_storage.fetch(body=body) is None
