"""All ORM models; importing this package registers every table on `Base.metadata`."""

from deeptracy.store.base import Base

__all__ = ["Base"]
