"""Table definitions (SQLAlchemy Core).

The alerts table belongs to the application: we only read the columns listed here. Our own
tables live in a schema of their own (``settings.state_schema``) and are created by migrations.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from alert_core.db import runs
from alert_core.db.names import GLOBAL_PAUSE_ID as GLOBAL_PAUSE_ID
from alert_core.db.names import NOTIFY_CHANNEL as NOTIFY_CHANNEL
from alert_core.db.names import PAUSES_TABLE
from alert_core.db.names import VERSION_TABLE as VERSION_TABLE

SYSTEM_USER_ID = str(runs.SYSTEM_USER_ID)  # defined once, in the runner's cheap module

RUN_TRIGGERS = ("schedule", "manual")
RUN_STATUSES = ("running", "succeeded", "failed", "skipped")


@lru_cache(maxsize=8)
def alerts_table(schema: str, name: str) -> Table:
    """The application's alerts table, as far as we read it."""
    return Table(
        name,
        MetaData(),
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("client_id", UUID(as_uuid=True)),
        Column("name", String),
        Column("frequency", JSONB),
        Column("is_active", Boolean),
        schema=schema,
    )


@lru_cache(maxsize=8)
def state_tables(schema: str) -> StateTables:
    return StateTables(schema)


class StateTables:
    """Our own tables, in the state schema."""

    def __init__(self, schema: str) -> None:
        metadata = MetaData(schema=schema)
        self.metadata = metadata
        self.runs = Table(
            "alert_runs",
            metadata,
            Column("id", UUID(as_uuid=True), primary_key=True),
            Column("alert_id", UUID(as_uuid=True), nullable=False),
            Column("client_id", UUID(as_uuid=True)),
            Column("job_name", String(63), nullable=False, unique=True),
            Column("trigger", String(16), nullable=False),
            Column("scheduled_for", DateTime(timezone=True)),
            Column("local_slot", String(64)),
            Column("status", String(16), nullable=False),
            Column("attempts", Integer, nullable=False),
            Column("started_at", DateTime(timezone=True)),
            Column("finished_at", DateTime(timezone=True)),
            Column("error", Text),
            Column("pod_name", String(253)),
            Column("triggered_by", UUID(as_uuid=True)),
            Column("created_at", DateTime(timezone=True)),
            Column("lease_expires_at", DateTime(timezone=True)),
            Column("retry_job_name", String(63)),
            Column("retry_requested_at", DateTime(timezone=True)),
        )
        self.pauses = Table(
            PAUSES_TABLE,
            metadata,
            Column("alert_id", UUID(as_uuid=True), primary_key=True),
            Column("paused_by", Text, nullable=False),
            Column("paused_at", DateTime(timezone=True)),
            Column("reason", Text),
        )
        self.instances = Table(
            "alert_instances",
            metadata,
            Column("id", UUID(as_uuid=True), primary_key=True),
            Column("alert_id", UUID(as_uuid=True), nullable=False),
            Column("client_id", UUID(as_uuid=True)),
            Column("run_id", UUID(as_uuid=True), nullable=False),
            Column("scheduled_for", DateTime(timezone=True)),
            Column("fired_at", DateTime(timezone=True)),
            Column("triggered_by", UUID(as_uuid=True)),
            Column("payload", JSONB),
        )
