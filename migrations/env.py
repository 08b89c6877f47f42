"""Alembic environment: runs on the connection `cupx.adapters.db.migrate` hands over, or on
`CUPX_DATABASE_URL` when `alembic` is called from the command line."""

from alembic import context

from cupx.adapters.tables import metadata

config = context.config
target_metadata = metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from cupx.adapters.db import make_engine
    from cupx.config import Settings

    engine = make_engine(Settings().database_url)
    with engine.begin() as conn:
        _run(conn)
