"""The shared `MetaData` with a naming convention, so constraint names are stable across databases."""

from sqlalchemy import BigInteger, Integer, MetaData

__all__ = ["BigId", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL; INTEGER on SQLite so that it is the rowid alias and autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")
