"""Small OSV records written for tests: builders for records, affected entries and ranges."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

Event = tuple[str, str]


def rng(*events: Event, type: str = "ECOSYSTEM", **extra: Any) -> dict[str, Any]:
    """A range from (kind, version) pairs, e.g. rng(("introduced", "0"), ("fixed", "1.2"))."""
    return {"type": type, "events": [{k: v} for k, v in events], **extra}


def affected(
    ecosystem: str,
    name: str,
    *ranges: dict[str, Any],
    versions: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}, **extra}
    if ranges:
        entry["ranges"] = list(ranges)
    if versions is not None:
        entry["versions"] = versions
    return entry


def osv(
    advisory_id: str,
    *entries: dict[str, Any],
    modified: str = "2024-01-01T00:00:00Z",
    **fields: Any,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": advisory_id,
        "modified": modified,
        "summary": fields.pop("summary", f"summary of {advisory_id}"),
        "affected": list(entries),
    }
    record.update(fields)
    return record


def write_dir(root: Path, records: list[dict[str, Any]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for record in records:
        (root / f"{record['id']}.json").write_text(json.dumps(record, indent=1))
    return root


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buffer.getvalue()


def write_zip(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zip_bytes({f"{r['id']}.json": json.dumps(r).encode() for r in records}))
    return path


def write_bucket(root: Path, ecosystem: str, records: list[dict[str, Any]]) -> Path:
    """<root>/<ecosystem>/all.zip and modified_id.csv (newest first), like the OSV bucket."""
    folder = root / ecosystem
    write_zip(folder / "all.zip", records)
    rows = sorted(((r["modified"], r["id"]) for r in records), reverse=True)
    (folder / "modified_id.csv").write_text("".join(f"{m},{i}\n" for m, i in rows))
    return folder
