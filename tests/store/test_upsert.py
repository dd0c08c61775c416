import pytest
from sqlalchemy import select

from deeptracy.store.db import Database
from deeptracy.store.models import Branch, Project
from deeptracy.store.upsert import insert_ignoring_conflicts


def _project(database: Database) -> str:
    with database.session() as s:
        project = Project(name="p", repo="https://x/p", repo_key="x/p", channels=[])
        s.add(project)
        s.flush()
        return project.id


def test_inserts_once_then_ignores_the_conflict(database: Database) -> None:
    project_id = _project(database)
    row = {"project_id": project_id, "name": "feature/x"}
    with database.session() as s:
        assert insert_ignoring_conflicts(s, Branch, row, ("project_id", "name")) is True
        assert insert_ignoring_conflicts(s, Branch, row, ("project_id", "name")) is False
    with database.session() as s:
        assert s.scalars(select(Branch.name)).all() == ["feature/x"]


def test_a_failure_after_it_rolls_everything_back(database: Database) -> None:
    """The insert opens the transaction (no savepoint that could commit it early)."""
    project_id = _project(database)
    with pytest.raises(RuntimeError), database.session() as s:
        insert_ignoring_conflicts(
            s, Branch, {"project_id": project_id, "name": "main"}, ("project_id", "name")
        )
        raise RuntimeError("the rest of the work failed")
    with database.session() as s:
        assert s.scalars(select(Branch)).all() == []
