"""Where advisories come from: a directory, an all.zip, or an export bucket over HTTP."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.sources.archive import ZipSource
from deeptracy.advisories.sources.bucket import BucketSource
from deeptracy.advisories.sources.directory import DirectorySource
from deeptracy.advisories.sources.interface import (
    AdvisorySource,
    Entry,
    Item,
    Limits,
    Problem,
    SourceError,
)
from deeptracy.advisories.sources.remote import RemoteZipSource


def is_url(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


def open_source(
    location: str,
    *,
    client: HttpClient | None = None,
    ecosystems: list[str] | None = None,
    limits: Limits | None = None,
) -> AdvisorySource:
    """The source a user names: an http(s) bucket base URL or all.zip URL, a directory, or
    a zip file."""
    if is_url(location):
        if client is None:
            raise SourceError(f"{location}: an HTTP client is needed to read a URL")
        if urlsplit(location).path.lower().endswith(".zip"):
            return RemoteZipSource(location, client, limits)
        return BucketSource(location, ecosystems, client, limits)
    path = Path(location).expanduser()
    if path.is_dir():
        return DirectorySource(path, limits)
    if path.is_file():
        return ZipSource.from_path(path, limits)
    if not path.exists():
        raise SourceError(f"{location}: no such file or directory")
    raise SourceError(f"{location} is neither a directory, a zip file nor an http(s) URL")


__all__ = [
    "AdvisorySource",
    "BucketSource",
    "DirectorySource",
    "Entry",
    "Item",
    "Limits",
    "Problem",
    "RemoteZipSource",
    "SourceError",
    "ZipSource",
    "is_url",
    "open_source",
]
