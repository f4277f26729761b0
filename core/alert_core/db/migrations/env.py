"""Alembic environment: runs on the connection handed over by alert_core.db.migrate."""

from alembic import context

from alert_core.db.tables import VERSION_TABLE

config = context.config
settings = config.attributes["settings"]
context.configure(
    connection=config.attributes["connection"],
    version_table=VERSION_TABLE,
    version_table_schema=settings.state_schema,
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
