"""Names in the database that both the SQLAlchemy tables (alert_core.db.tables) and the
operator's asyncpg code (the change feed, alert_core.db.direct_reads) use; no SQLAlchemy here."""

from __future__ import annotations

NOTIFY_CHANNEL = "alert_operator_changes"
VERSION_TABLE = "alert_operator_version"
PAUSES_TABLE = "alert_pauses"
# The alert_pauses row with this id pauses every alert (the old scheduler's global stop).
GLOBAL_PAUSE_ID = "00000000-0000-0000-0000-000000000000"
