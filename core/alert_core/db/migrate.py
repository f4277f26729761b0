"""``alertctl migrate``: our own tables (Alembic, own version table) and the change-feed trigger.

Idempotent: safe to run on every deploy (the Helm chart runs it as a pre-upgrade hook), and
concurrent runs wait for each other on an advisory lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from alert_core.db.engine import make_engine
from alert_core.db.tables import NOTIFY_CHANNEL
from alert_core.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
LOCK_KEY = 0x616C6572  # "aler": one advisory lock for all migrate runs
TRIGGER_NAME = "alert_operator_notify"
TRUNCATE_TRIGGER_NAME = "alert_operator_notify_truncate"


def notify_function_sql(schema: str) -> str:
    """The trigger function: one JSON notification per changed row, on our channel."""
    return f"""
CREATE OR REPLACE FUNCTION "{schema}".notify_alert_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{NOTIFY_CHANNEL}', json_build_object(
    'id', CASE TG_OP WHEN 'DELETE' THEN OLD.id WHEN 'TRUNCATE' THEN NULL ELSE NEW.id END,
    'op', TG_OP,
    'at', extract(epoch FROM clock_timestamp()))::text);
  RETURN NULL;
END
$$"""


def _trigger_statements(settings: Settings) -> list[str]:
    """Create the triggers when missing. Never DROP + CREATE on every run: DROP TRIGGER takes
    an ACCESS EXCLUSIVE lock on the application's table, and a deploy should not do that."""
    schema, name = settings.alerts_schema, settings.alerts_table
    table = f'"{schema}"."{name}"'
    function = f'"{settings.state_schema}".notify_alert_change()'
    statements = []
    # Identifiers are safe to interpolate: Settings only accepts plain SQL identifiers.
    for trigger, when in (
        (TRIGGER_NAME, "AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW"),
        (TRUNCATE_TRIGGER_NAME, "AFTER TRUNCATE ON {table} FOR EACH STATEMENT"),
    ):
        statements.append(f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{trigger}'
                 AND tgrelid = '{table}'::regclass) THEN
    CREATE TRIGGER {trigger} {when.format(table=table)} EXECUTE FUNCTION {function};
  END IF;
END $$""")  # noqa: S608
    return statements


def _upgrade(connection: Connection, settings: Settings, install_trigger: bool) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.state_schema}"'))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["settings"] = settings
    command.upgrade(config, "head")
    if install_trigger:
        for statement in _trigger_statements(settings):
            connection.execute(text(statement))


async def migrate(settings: Settings, *, install_trigger: bool = True) -> None:
    """Bring our objects to the newest version, in one transaction."""
    engine = make_engine(settings, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, settings, install_trigger)
    finally:
        await engine.dispose()
