"""alert_pauses: who paused which alert (or all of them), when and why.

Revision ID: 0002
Revises: 0001
"""

from alembic import context, op

from alert_core.db.tables import GLOBAL_PAUSE_ID, NOTIFY_CHANNEL

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    schema = context.config.attributes["settings"].state_schema
    op.execute(f"""
CREATE TABLE "{schema}".alert_pauses (
    alert_id uuid PRIMARY KEY,
    paused_by text NOT NULL,
    paused_at timestamptz NOT NULL DEFAULT now(),
    reason text
)""")
    op.execute(f"""COMMENT ON TABLE "{schema}".alert_pauses IS
'One row per paused alert; alert_id {GLOBAL_PAUSE_ID} pauses every alert (alertctl pause --all)'""")
    # A pause is our own table, so its change feed is ours to add, with or without --no-trigger.
    op.execute(f"""
CREATE OR REPLACE FUNCTION "{schema}".notify_pause_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed uuid := CASE TG_OP WHEN 'DELETE' THEN OLD.alert_id ELSE NEW.alert_id END;
BEGIN
  PERFORM pg_notify('{NOTIFY_CHANNEL}', json_build_object(
    'id', CASE WHEN changed = '{GLOBAL_PAUSE_ID}' THEN NULL ELSE changed END,
    'op', 'PAUSE',
    'at', extract(epoch FROM clock_timestamp()))::text);
  RETURN NULL;
END
$$""")
    op.execute(f"""
CREATE TRIGGER alert_operator_notify_pause AFTER INSERT OR UPDATE OR DELETE
ON "{schema}".alert_pauses FOR EACH ROW EXECUTE FUNCTION "{schema}".notify_pause_change()""")
