"""The alert-name label with the real operator and the test API server (which validates labels
as a real one does): hostile names are accepted, and a rename stays exactly one PATCH."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from alert_core.alert import clean_name
from alert_core.cronjob import NAME_ANNOTATION, NAME_LABEL, cronjob_name, name_label_value
from tests.operator.conftest import NAMESPACE, Database, Emulator, wait_for
from tests.operator.test_writes_e2e import full_syncs_later, settle

HOSTILE = "🚨 Umsatz-Übersicht: 50% \x1b[31m!!! " + "x" * 200  # app.alerts.name: varchar(255)


def selected(emulator: Emulator, selector: str) -> list[str]:
    """``kubectl get cronjobs -l SELECTOR``: the names the server selects."""
    query = urllib.parse.urlencode({"labelSelector": selector})
    url = f"{emulator.url}/apis/batch/v1/namespaces/{NAMESPACE}/cronjobs?{query}"
    with urllib.request.urlopen(url, timeout=10) as response:
        body: dict[str, Any] = json.load(response)
    return [item["metadata"]["name"] for item in body["items"]]


def test_a_rename_to_a_hostile_name_is_one_patch_and_the_label_shows_it(
    emulator: Emulator, db: Database, operator_factory: Any
) -> None:
    op, alerts = settle(emulator, db, operator_factory)
    full_syncs_later(op, 1)
    name = cronjob_name(alerts[0])
    assert emulator.cronjobs()[name]["metadata"]["labels"][NAME_LABEL] == "a0"

    since = len(emulator.requests())
    db.execute("UPDATE app.alerts SET name = $2 WHERE id = $1", alerts[0], HOSTILE)
    expected = name_label_value(clean_name(HOSTILE))
    wait_for(lambda: emulator.cronjobs()[name]["metadata"]["labels"][NAME_LABEL] == expected,
             what="the renamed label")
    full_syncs_later(op, 2)

    assert expected.startswith("Umsatz-Ubersicht-50-31m-xxx") and len(expected) == 63
    assert emulator.writes(since) == [("PATCH", emulator.cronjob_path(name))]
    live = emulator.cronjobs()[name]["metadata"]
    assert live["annotations"][NAME_ANNOTATION] == clean_name(HOSTILE)  # the exact name stays
    assert selected(emulator, f"{NAME_LABEL}={expected}") == [name]
    assert len(emulator.cronjobs()) == len(alerts)  # every other alert still scheduled
