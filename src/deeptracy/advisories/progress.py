"""Progress reporting without a UI dependency: the CLI plugs a rich bar in on a terminal."""

from __future__ import annotations

from typing import Protocol


class ProgressTask(Protocol):
    def advance(self, amount: int = 1) -> None: ...

    def finish(self) -> None: ...


class Progress(Protocol):
    def task(
        self, description: str, total: int | None = None, *, unit: str = "records"
    ) -> ProgressTask: ...


class _NullTask:
    def advance(self, amount: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None


class NullProgress:
    """Reports nothing: the default for tests, services and pipes."""

    def task(
        self, description: str, total: int | None = None, *, unit: str = "records"
    ) -> ProgressTask:
        return _NullTask()


NULL_PROGRESS = NullProgress()
