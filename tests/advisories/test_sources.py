"""Sources refuse hostile input: path traversal, oversized entries, zip bombs, escaping links."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from tests.support.osv_records import affected, osv, rng, zip_bytes

from deeptracy.advisories.sources import (
    DirectorySource,
    Entry,
    Limits,
    Problem,
    SourceError,
    ZipSource,
    open_source,
)
from deeptracy.advisories.sources.archive import unsafe_member_name

RECORD = json.dumps(osv("PYSEC-1", affected("PyPI", "a", rng(("introduced", "0"))))).encode()


def read_zip(
    tmp_path: Path, members: dict[str, bytes], limits: Limits | None = None
) -> list[object]:
    path = tmp_path / "all.zip"
    path.write_bytes(zip_bytes(members))
    return list(ZipSource.from_path(path, limits).entries())


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.json", "its path climbs out of the archive ('..')"),
        ("a/../../evil.json", "its path climbs out of the archive ('..')"),
        ("a\\..\\evil.json", "its path climbs out of the archive ('..')"),
        ("/etc/evil.json", "its path is absolute"),
        ("\\evil.json", "its path is absolute"),
        ("C:/evil.json", "its path is absolute"),
        ("evil\x00.json", "its name contains a NUL byte"),
        ("PyPI/PYSEC-1.json", None),
        ("..foo.json", None),
    ],
)
def test_member_names(name: str, reason: str | None) -> None:
    assert unsafe_member_name(name) == reason


def test_traversal_entries_are_refused_and_the_rest_is_read(tmp_path: Path) -> None:
    items = read_zip(
        tmp_path,
        {"PYSEC-1.json": RECORD, "../../escape.json": RECORD, "notes.txt": b"ignored", "dir/": b""},
    )
    assert items[0] == Entry(f"{tmp_path / 'all.zip'}!PYSEC-1.json", RECORD)
    assert isinstance(items[1], Problem)
    assert items[1].message == "zip entry refused: its path climbs out of the archive ('..')"
    assert len(items) == 2


def test_oversized_entries_are_refused(tmp_path: Path) -> None:
    limits = Limits(max_entry_bytes=1000)
    items = read_zip(tmp_path, {"big.json": b" " * 5000, "PYSEC-1.json": RECORD}, limits)
    assert isinstance(items[0], Problem)
    assert "declares 5,000 bytes, over the 1,000-byte limit" in items[0].message
    assert isinstance(items[1], Entry)


def test_a_header_that_understates_the_size_is_caught_by_the_bounded_read(tmp_path: Path) -> None:
    path = tmp_path / "lying.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("lie.json", b"{" + b" " * 50_000 + b"}")
    raw = bytearray(buffer.getvalue())
    # Patch the central directory's uncompressed size (offset 24 in the entry) to 10 bytes.
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    (item,) = list(ZipSource.from_path(path, Limits(max_entry_bytes=1000)).entries())
    assert isinstance(item, Problem)
    assert item.message.startswith("zip entry unreadable") or "inflates past" in item.message


def test_a_zip_bomb_entry_is_refused_by_its_ratio(tmp_path: Path) -> None:
    limits = Limits(max_ratio=100, ratio_floor_bytes=10_000)
    items = read_zip(tmp_path, {"bomb.json": b"0" * 2_000_000, "PYSEC-1.json": RECORD}, limits)
    assert isinstance(items[0], Problem)
    assert "compression ratio" in items[0].message and "zip bomb" in items[0].message
    assert isinstance(items[1], Entry)


def test_an_archive_that_inflates_past_the_total_cap_is_refused_whole(tmp_path: Path) -> None:
    members = {f"R-{i}.json": RECORD for i in range(50)}
    with pytest.raises(SourceError, match="inflates past 2,000 bytes in total; refused"):
        read_zip(tmp_path, members, Limits(max_total_bytes=2000))
    with pytest.raises(SourceError, match="has 50 entries, over the limit of 10"):
        read_zip(tmp_path, members, Limits(max_entries=10))


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "all.zip"
    path.write_bytes(b"this is not a zip")
    with pytest.raises(SourceError, match="is not a readable zip archive"):
        list(ZipSource.from_path(path).entries())
    with pytest.raises(SourceError, match="cannot open"):
        list(ZipSource.from_path(tmp_path / "missing.zip").entries())


def test_a_corrupt_entry_is_reported_and_skipped(tmp_path: Path) -> None:
    raw = bytearray(zip_bytes({"A-1.json": RECORD, "B-1.json": RECORD}))
    first = raw.find(b"PK\x03\x04")
    name_len = int.from_bytes(raw[first + 26 : first + 28], "little")
    data_at = first + 30 + name_len
    raw[data_at : data_at + 4] = b"\x00\x00\x00\x00"  # damage the compressed data of A-1
    path = tmp_path / "corrupt.zip"
    path.write_bytes(bytes(raw))
    items = list(ZipSource.from_path(path).entries())
    assert isinstance(items[0], Problem) and items[0].message.startswith("zip entry unreadable")
    assert isinstance(items[1], Entry)


def test_directories_skip_hidden_folders_and_refuse_escaping_links(tmp_path: Path) -> None:
    root = tmp_path / "db"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "sub" / "A.json").write_bytes(RECORD)
    (root / "B.yaml").write_text("id: B\n")
    (root / ".git" / "C.json").write_bytes(RECORD)
    (root / "big.json").write_bytes(b" " * 2000)
    outside = tmp_path / "secret.json"
    outside.write_text("{}")
    (root / "link.json").symlink_to(outside)
    (root / "inside.json").symlink_to(root / "sub" / "A.json")
    items = list(DirectorySource(root, Limits(max_entry_bytes=1000)).entries())
    summary = [(Path(i.where).name, i.message if isinstance(i, Problem) else "ok") for i in items]
    assert summary == [
        ("B.yaml", "ok"),
        ("big.json", "refused: 2,000 bytes, over the 1,000-byte limit for one record"),
        ("inside.json", "ok"),
        ("link.json", "refused: a symbolic link leading outside the directory"),
        ("A.json", "ok"),
    ]


def test_open_source_recognises_what_it_is_given(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "all.zip").write_bytes(zip_bytes({}))
    assert open_source(str(tmp_path / "d")).kind == "directory"
    assert open_source(str(tmp_path / "all.zip")).kind == "zip"
    with pytest.raises(SourceError, match="no such file or directory"):
        open_source(str(tmp_path / "nope"))
    with pytest.raises(SourceError, match="an HTTP client is needed"):
        open_source("https://example.invalid/osv")
