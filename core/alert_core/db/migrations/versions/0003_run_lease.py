"""alert_runs.lease_expires_at: until when the pod that claimed a running run holds it.

Revision ID: 0003
Revises: 0002
"""

from alembic import context, op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    schema = context.config.attributes["settings"].state_schema
    # Nullable, no default: adding it rewrites nothing, and existing rows have no lease (a
    # running row without one is taken over by the next attempt, as before).
    op.execute(f'ALTER TABLE "{schema}".alert_runs ADD COLUMN lease_expires_at timestamptz')
    op.execute(f"""COMMENT ON COLUMN "{schema}".alert_runs.lease_expires_at IS
'Lease of a runner calling out with no transaction open; no other pod takes the run over before'""")
