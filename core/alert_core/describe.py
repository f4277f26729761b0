"""A cron expression in words (cron-descriptor), e.g. "At 10:00, only on Monday".

In the core (not alertctl) because alertctl status and the operator's web UI both describe
schedules; it needs the `operator` extra's cron-descriptor, so the runner never imports it.
"""

from __future__ import annotations

from functools import lru_cache

from cron_descriptor import ExpressionDescriptor, Options

from alert_core.schedule import MACROS  # as five fields: cron-descriptor knows no macros


@lru_cache(maxsize=4096)
def describe_cron(expression: str) -> str:
    """Words for ``expression``; the expression itself when cron-descriptor cannot read it."""
    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    try:
        return str(
            ExpressionDescriptor(MACROS.get(expression, expression), options).get_description()
        )
    except Exception:  # a description is a nicety: never fail status for it
        return expression
