"""The one interface every report format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, TextIO

from deeptracy.reports.model import Report


class Writer(ABC):
    """Renders a Report as text. Writers are pure: same report, same bytes."""

    name: ClassVar[str]  # the --format value
    media_type: ClassVar[str]
    extension: ClassVar[str]

    @abstractmethod
    def render(self, report: Report) -> str:
        """The whole document, ending with a newline."""

    def write(self, report: Report, stream: TextIO) -> None:
        stream.write(self.render(report))
