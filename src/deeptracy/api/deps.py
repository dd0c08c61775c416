"""FastAPI dependencies shared by every router: settings, database, advisory matcher."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from deeptracy.advisories.matcher import MatcherCache
from deeptracy.config import Settings
from deeptracy.store.db import Database


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_database(request: Request) -> Database:
    return cast(Database, request.app.state.database)


def get_matchers(request: Request) -> MatcherCache:
    """The process's matcher, reloaded when an import or sync has committed since."""
    return cast(MatcherCache, request.app.state.matchers)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
MatchersDep = Annotated[MatcherCache, Depends(get_matchers)]
