"""Reading a file beside the one being extracted (a lockfile's manifest), never failing."""

from __future__ import annotations

import posixpath

from deeptracy.inventory.interface import ExtractError, ScanFile


def sibling_path(file: ScanFile, relative: str) -> str:
    """The tree path of `relative` seen from `file`'s directory."""
    return posixpath.normpath(posixpath.join(file.directory, relative))


def read_sibling_text(file: ScanFile, relative: str) -> str | None:
    """The text of a file beside `file`, or None when it is absent.

    A file that exists but cannot be read is reported as a warning on that file, and the
    extraction goes on without it.
    """
    if file.read_sibling is None:
        return None
    path = sibling_path(file, relative)
    try:
        data = file.read(relative)
    except ExtractError as exc:
        if "does not exist" not in str(exc):
            file.warn(f"not read beside {file.name}: {exc}", path=path)
        return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        file.warn(f"not UTF-8 text (byte {exc.start}); not read beside {file.name}", path=path)
        return None
