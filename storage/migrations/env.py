"""Alembic environment: runs on the connection `storage.migrate` hands over.

There is no alembic.ini; `storage.migrate.alembic_config` builds the configuration in
code so migrations work from an installed package as well as from a checkout.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage.migrate import compare_type
from storage.models import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=compare_type,
    )


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise TypeError("run migrations through storage.migrate, which supplies a connection")
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
