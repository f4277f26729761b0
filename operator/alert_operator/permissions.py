"""The Kubernetes API calls the operator makes, declared once.

The Helm chart's Role grants exactly these (a test compares the rendered Role with this table),
and the operator's API client refuses any call not listed here, so the two cannot drift.
"""

from __future__ import annotations

from typing import Final

# (API group, resource) -> verbs, all namespaced: the operator needs nothing cluster-wide.
OPERATOR_RULES: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("batch", "cronjobs"): ("get", "list", "watch", "create", "patch", "delete"),
    ("batch", "jobs"): ("get", "list", "watch"),
    ("", "events"): ("create", "patch", "list"),
    ("events.k8s.io", "events"): ("create", "patch"),
}


# Granted (chart value ``ui.actions.enabled``) only when the web UI's actions are on: run-now.
UI_ACTION_RULES: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("batch", "jobs"): ("create",),
}


def allowed(group: str, resource: str, verb: str, *, ui_actions: bool = False) -> bool:
    if ui_actions and verb in UI_ACTION_RULES.get((group, resource), ()):
        return True
    return verb in OPERATOR_RULES.get((group, resource), ())
