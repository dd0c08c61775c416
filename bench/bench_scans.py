"""Scan benchmarks: one scan of 1,000 dependencies, and 20 scans queued at once.

    .venv/bin/python bench/bench_scans.py [scan] [queue-embedded] [queue-celery] [--postgres]

With no benchmark named, all run. Each prints its figure, its target and the command that
reproduces it; the script exits 1 when a target is missed.

- scan: a local git repository (file://) whose requirements.txt pins 1,000 packages, scanned by
  the embedded engine (2 workers, already started and warm, as in `deeptracy serve`): the time
  from `request_scan` + commit + `engine_for(...).enqueue` to the scan row reading DONE. The
  advisory database holds the real PyPI export of ../shared/data (2,661 records) when present,
  else 500 generated records; a third of the packages have advisories. Each run commits a new
  version of one package first, so every scan is a full one (never SAME_DEPS_AS_PREVIOUS).
- queue-embedded / queue-celery: 20 projects with 50 dependencies each, their scans queued at
  once, 2 workers (threads of the embedded engine, or two `deeptracy worker --concurrency 1`
  processes on Redis); the time until all 20 are DONE, and that none was lost. Celery needs
  Redis at DEEPTRACY_BENCH_REDIS (default redis://127.0.0.1:6379/0).

The database is a fresh SQLite file (the embedded default), or with --postgres a scratch
PostgreSQL database at DEEPTRACY_BENCH_POSTGRES (created and dropped).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.matcher import Matcher
from deeptracy.advisories.sync import import_location
from deeptracy.config import Settings
from deeptracy.jobs import engine_for
from deeptracy.jobs.embedded import EmbeddedEngine
from deeptracy.projects.registry import create_project
from deeptracy.projects.scans import request_scan
from deeptracy.store.db import Database, upgrade
from deeptracy.store.enums import ScanState
from deeptracy.store.models import Project, Scan
from deeptracy.vault import Vault
from deeptracy.versions import scheme_for

ROOT = Path(__file__).resolve().parents[1]
SELF = "bench/bench_scans.py"
POSTGRES = os.environ.get(
    "DEEPTRACY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("DEEPTRACY_BENCH_REDIS", "redis://127.0.0.1:6379/0")
GIT_ENV = {
    "PATH": os.environ.get("PATH", os.defpath),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@deeptracy.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@deeptracy.invalid",
}
missed: list[str] = []


def report(what: str, seconds: float, target: float | None, command: str, note: str = "") -> None:
    ok = target is None or seconds < target
    if not ok:
        missed.append(what)
    goal = f"target < {target:g} s" if target is not None else "no target"
    print(
        f"{what}: {seconds:.3f} s ({goal}{'' if ok else ', MISSED'}){note}"
        f"   [.venv/bin/python {SELF} {command}]",
        flush=True,
    )


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def make_repo(path: Path, requirements: str) -> str:
    path.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=path)
    (path / "requirements.txt").write_text(requirements)
    git("add", "requirements.txt", cwd=path)
    git("commit", "--quiet", "-m", "dependencies", cwd=path)
    return path.as_uri()


def commit(path: Path, requirements: str) -> None:
    (path / "requirements.txt").write_text(requirements)
    git("commit", "--quiet", "-am", "bump", cwd=path)


def shared_pypi() -> Path | None:
    for candidate in (
        os.environ.get("DEEPTRACY_SHARED_DATA"),
        str(ROOT.parent / "shared" / "data"),
        str(ROOT.parent.parent / "shared" / "data"),  # from a worktree under <project>/wt/
    ):
        if candidate and (Path(candidate) / "osv/current/PyPI/all.zip").is_file():
            return Path(candidate) / "osv/current/PyPI/all.zip"
    return None


def generated_records(directory: Path, count: int = 500) -> Path:
    import json

    directory.mkdir()
    for i in range(count):
        record = {
            "schema_version": "1.6.0",
            "id": f"BENCH-{i:04d}",
            "modified": "2024-01-01T00:00:00Z",
            "aliases": [f"CVE-2099-{i:04d}"],
            "summary": f"generated advisory {i}",
            "database_specific": {"severity": random.choice(["LOW", "MODERATE", "HIGH"])},
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": f"bench-package-{i}"},
                    "ranges": [
                        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                    ],
                    "versions": ["1.0", "1.5"],
                }
            ],
        }
        (directory / f"{record['id']}.json").write_text(json.dumps(record))
    return directory


def load_advisories(db: Database, scratch: Path) -> list[tuple[str, str]]:
    """Import advisories; (name, version) pins for packages that have some, affected ones
    mostly (taken from their ranges), as a project's lockfile would pin them."""
    source = shared_pypi()
    location = str(source) if source else str(generated_records(scratch / "records"))
    with HttpClient() as client:
        import_location(db, location, client=client)
    matcher = Matcher.load(db)
    rng = random.Random(20241010)
    pep440 = scheme_for("PyPI")
    assert pep440 is not None
    pins = []
    for ecosystem, key in sorted(matcher.index.keys()):
        if ecosystem != "PyPI":
            continue
        entries = matcher.index.entries(ecosystem, key)
        # Affected versions where the record lists them or a range starts above 0, else a
        # fixed version (not affected by that advisory): a mix, as in real projects.
        listed = [v for en in entries for v in en.affected.versions]
        introduced = [
            e.value
            for en in entries
            for r in en.affected.ranges
            for e in r.events
            if e.kind == "introduced" and e.value != "0"
        ]
        fixed = [
            e.value
            for en in entries
            for r in en.affected.ranges
            for e in r.events
            if e.kind == "fixed"
        ]
        choices = sorted({v for v in (listed or introduced or fixed) if pep440.is_valid(v)})
        if choices:
            pins.append((entries[0].affected.name, rng.choice(choices)))
    rng.shuffle(pins)
    print(
        f"advisories: {'real PyPI export' if source else 'generated'}, "
        f"{len(pins)} packages with advisories"
    )
    return pins


def requirements(pins: list[tuple[str, str]], total: int, salt: int = 0) -> str:
    known = pins[: total // 3]
    lines = [f"{name}=={version}" for name, version in known]
    lines += [
        f"plain-package-{i}==1.{i % 7}.{salt if i == 0 else 0}" for i in range(total - len(known))
    ]
    return "\n".join(lines) + "\n"


@contextmanager
def database(scratch: Path, postgres: bool) -> Iterator[Database]:
    if not postgres:
        db = Database(f"sqlite:///{scratch / 'bench.db'}")
        upgrade(db)
        try:
            yield db
        finally:
            db.dispose()
        return
    import psycopg

    name = f"deeptracy_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(f"{POSTGRES.rsplit('/', 1)[0]}/{name}")
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def request(db: Database, settings: Settings, project_id: str) -> str:
    with db.session() as session:
        project = session.get(Project, project_id)
        assert project is not None
        scan_id = request_scan(session, project).id
    engine_for(settings, db).enqueue(scan_id)
    return scan_id


def new_project(db: Database, settings: Settings, url: str) -> str:
    with db.session() as session:
        return create_project(session, settings, Vault.from_settings(settings), repo=url).id


def wait_done(db: Database, ids: list[str], timeout: float = 600) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        with db.session() as session:
            rows = dict(
                session.execute(
                    Scan.__table__.select()
                    .with_only_columns(Scan.id, Scan.state)
                    .where(Scan.id.in_(ids))
                ).all()
            )
        if all(ScanState(s).finished for s in rows.values()) and len(rows) == len(ids):
            return {k: str(v) for k, v in rows.items()}
        if time.monotonic() > deadline:
            raise SystemExit(f"scans not finished in {timeout}s: {rows}")
        time.sleep(0.005)


def bench_scan(
    db: Database, settings: Settings, scratch: Path, pins: list[tuple[str, str]], tag: str
) -> None:
    repo = scratch / "big"
    url = make_repo(repo, requirements(pins, 1000))
    project_id = new_project(db, settings, url)
    engine = EmbeddedEngine(db, settings, workers=2).start()
    try:
        start = time.perf_counter()
        first = request(db, settings, project_id)
        wait_done(db, [first])
        cold = time.perf_counter() - start
        times = []
        for run in range(1, 8):
            commit(repo, requirements(pins, 1000, salt=run))
            start = time.perf_counter()
            scan_id = request(db, settings, project_id)
            final = wait_done(db, [scan_id])
            times.append(time.perf_counter() - start)
            with db.session() as session:
                row = session.get(Scan, scan_id)
                assert row is not None
                assert final[scan_id] == ScanState.DONE and row.total_packages == 1000, (
                    row.total_packages,
                    final,
                    row.failure_detail,
                )
                vulns, timings = row.total_vulnerabilities, row.timings
    finally:
        engine.stop(timeout=30)
    report(
        f"scan of 1,000 dependencies, request to DONE, embedded engine ({tag}), median of 7",
        statistics.median(times),
        2.0,
        f"scan{' --postgres' if tag == 'PostgreSQL' else ''}",
        note=f"; max {max(times):.3f} s, first (cold) {cold:.3f} s, {vulns} vulnerabilities, "
        f"stages {timings}",
    )


def twenty(
    db: Database, settings: Settings, scratch: Path, pins: list[tuple[str, str]], name: str
) -> list[str]:
    projects = []
    for i in range(20):
        url = make_repo(scratch / f"{name}-{i}", requirements(pins[i * 5 :], 50, salt=i))
        projects.append(new_project(db, settings, url))
    return projects


def bench_queue_embedded(
    db: Database, settings: Settings, scratch: Path, pins: list[tuple[str, str]], tag: str
) -> None:
    projects = twenty(db, settings, scratch, pins, "embedded")
    engine = EmbeddedEngine(db, settings, workers=2).start()
    try:
        start = time.perf_counter()
        ids = [request(db, settings, p) for p in projects]
        final = wait_done(db, ids)
        took = time.perf_counter() - start
    finally:
        engine.stop(timeout=30)
    done = sum(1 for s in final.values() if s == ScanState.DONE)
    if done != 20:
        missed.append("embedded queue")
    report(
        f"20 scans queued at once, 2 embedded workers ({tag}), all DONE",
        took,
        None,
        f"queue-embedded{' --postgres' if tag == 'PostgreSQL' else ''}",
        note=f"; {done}/20 DONE, none lost" if done == 20 else f"; only {done}/20 DONE",
    )


def bench_queue_celery(
    db: Database, settings: Settings, scratch: Path, pins: list[tuple[str, str]], tag: str
) -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_timeout=3).ping()
    except Exception as exc:
        print(f"Redis unreachable at {REDIS} ({exc}); Celery figure skipped")
        return
    tag_id = uuid.uuid4().hex[:8]
    celery = settings.model_copy(
        update={
            "broker_uri": REDIS,
            "celery_queue": f"bench-{tag_id}",
            "celery_key_prefix": f"bench-{tag_id}:",
        }
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DEEPTRACY_HOME": str(settings.deeptracy_home),
        "DATABASE_URI": db.uri,
        "BROKER_URI": REDIS,
        "CELERY_QUEUE": celery.celery_queue,
        "CELERY_KEY_PREFIX": celery.celery_key_prefix,
        "ALLOW_FILE_URLS": "true",
        "LOG_LEVEL": "WARNING",
    }
    workers = []
    for i in range(2):
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "deeptracy", "worker", "--concurrency", "1"],
                env={**env, "SHARED_VOLUME_PATH": str(scratch / f"celery-ws-{i}")},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    try:
        warm = twenty(db, celery, scratch, pins, "celery-warm")[:2]
        wait_done(db, [request(db, celery, p) for p in warm], timeout=120)  # both workers up
        projects = twenty(db, celery, scratch, pins, "celery")
        start = time.perf_counter()
        ids = [request(db, celery, p) for p in projects]
        final = wait_done(db, ids)
        took = time.perf_counter() - start
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(30)
        import redis

        client = redis.Redis.from_url(REDIS)
        keys = list(client.scan_iter(f"{celery.celery_key_prefix}*"))
        if keys:
            client.delete(*keys)
    done = sum(1 for s in final.values() if s == ScanState.DONE)
    if done != 20:
        missed.append("celery queue")
    report(
        f"20 scans queued at once, 2 Celery workers on Redis ({tag}), all DONE",
        took,
        None,
        f"queue-celery{' --postgres' if tag == 'PostgreSQL' else ''}",
        note=f"; {done}/20 DONE, none lost" if done == 20 else f"; only {done}/20 DONE",
    )


def main(argv: list[str]) -> int:
    postgres = "--postgres" in argv
    chosen = [a for a in argv if not a.startswith("--")] or [
        "scan",
        "queue-embedded",
        "queue-celery",
    ]
    tag = "PostgreSQL" if postgres else "SQLite"
    scratch = Path(tempfile.mkdtemp(prefix="deeptracy-bench-scans-"))
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            deeptracy_home=scratch / "home",
            allow_file_urls=True,
        )
        with database(scratch, postgres) as db:
            pins = load_advisories(db, scratch)
            if "scan" in chosen:
                bench_scan(db, settings, scratch, pins, tag)
            if "queue-embedded" in chosen:
                bench_queue_embedded(db, settings, scratch, pins, tag)
            if "queue-celery" in chosen:
                bench_queue_celery(db, settings, scratch, pins, tag)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
