"""alert_runs.retry_job_name, retry_requested_at: the manual Job that re-runs a failed run.

Revision ID: 0004
Revises: 0003
"""

from alembic import context, op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    schema = context.config.attributes["settings"].state_schema
    # Nullable, no default: adding them rewrites nothing (a large alert_runs stays online).
    op.execute(f'''ALTER TABLE "{schema}".alert_runs ADD COLUMN retry_job_name varchar(63),
 ADD COLUMN retry_requested_at timestamptz''')
    op.execute(f"""COMMENT ON COLUMN "{schema}".alert_runs.retry_job_name IS
'The Job of the latest alertctl retry of this run: only its pods may claim the row as a retry'""")
    # `alertctl history --failed` reads the failed runs of all alerts, newest first (by the
    # run's moment, as alert_core.db.history orders); partial: failures are few.
    op.execute(f"""CREATE INDEX alert_runs_failed ON "{schema}".alert_runs
 ((coalesce(scheduled_for, started_at, created_at)) DESC) WHERE status = 'failed'""")
