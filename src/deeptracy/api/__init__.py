"""The HTTP service: one FastAPI app; each resource is a router added by `create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from deeptracy import __version__
from deeptracy.advisories.matcher import MatcherCache
from deeptracy.api import osv
from deeptracy.config import Settings
from deeptracy.store.db import Database


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    """The application. `database` is shared when given (and then not disposed here).

    Routers read the settings, the database and the advisory matcher through the dependencies
    of `deeptracy.api.deps`; protect a router by including it with `dependencies=[...]`.
    """
    db = database or Database(settings.effective_database_uri)
    owns_database = database is None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_database:
            db.dispose()

    app = FastAPI(
        title="DeepTracy",
        version=__version__,
        description="Vulnerable dependencies from lockfiles, matched against OSV advisories.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = db
    app.state.matchers = MatcherCache(db)
    app.include_router(osv.router)
    return app


__all__ = ["create_app"]
