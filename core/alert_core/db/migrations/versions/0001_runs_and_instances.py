"""alert_runs, alert_instances and the change-feed function.

Revision ID: 0001
Revises:
"""

from alembic import context, op

from alert_core.db.migrate import notify_function_sql

revision = "0001"
down_revision = None


def upgrade() -> None:
    schema = context.config.attributes["settings"].state_schema
    op.execute(f"""
CREATE TABLE "{schema}".alert_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id uuid NOT NULL,
    client_id uuid,
    job_name varchar(63) NOT NULL UNIQUE,
    trigger varchar(16) NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    scheduled_for timestamptz,
    local_slot varchar(64),
    status varchar(16) NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    attempts integer NOT NULL DEFAULT 0,
    started_at timestamptz,
    finished_at timestamptz,
    error text,
    pod_name varchar(253),
    triggered_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
)""")
    op.execute(
        f'CREATE INDEX alert_runs_alert_time ON "{schema}".alert_runs'
        " (alert_id, scheduled_for DESC NULLS LAST)"
    )
    op.execute(
        f'CREATE INDEX alert_runs_alert_slot ON "{schema}".alert_runs (alert_id, local_slot)'
        " WHERE local_slot IS NOT NULL"
    )
    op.execute(f"""
CREATE TABLE "{schema}".alert_instances (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_id uuid NOT NULL,
    client_id uuid,
    run_id uuid NOT NULL REFERENCES "{schema}".alert_runs (id) ON DELETE CASCADE,
    scheduled_for timestamptz,
    fired_at timestamptz NOT NULL DEFAULT now(),
    triggered_by uuid,
    payload jsonb
)""")
    op.execute(f'CREATE INDEX alert_instances_alert ON "{schema}".alert_instances (alert_id)')
    op.execute(notify_function_sql(schema))
