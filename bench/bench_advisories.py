"""Advisory benchmarks on the real OSV exports in ../shared/data/osv/current (PyPI, Go, crates.io).

    .venv/bin/python bench/bench_advisories.py [import-sqlite] [import-postgres] [matcher]
                                               [querybatch]

With no argument every benchmark runs. Each prints its figure, its target and the command that
reproduces it; the script exits 1 when a target is missed. The shared data is looked up in
DEEPTRACY_SHARED_DATA or ../shared/data; PostgreSQL in DEEPTRACY_BENCH_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/postgres), where a scratch database is created and dropped.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from deeptracy.advisories.http import HttpClient
from deeptracy.advisories.matcher import Matcher, Query
from deeptracy.advisories.sync import import_location
from deeptracy.store.db import Database, upgrade
from deeptracy.versions import scheme_for

ROOT = Path(__file__).resolve().parents[1]
ECOSYSTEMS = ("PyPI", "Go", "crates.io")
POSTGRES = os.environ.get(
    "DEEPTRACY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SELF = "bench/bench_advisories.py"
missed: list[str] = []


def shared_data() -> Path | None:
    for candidate in (
        os.environ.get("DEEPTRACY_SHARED_DATA"),
        str(ROOT.parent / "shared" / "data"),
    ):
        if candidate and (Path(candidate) / "osv" / "current").is_dir():
            return Path(candidate)
    return None


def report(what: str, seconds: float, target: float, command: str) -> None:
    ok = seconds < target
    if not ok:
        missed.append(what)
    print(
        f"{what}: {seconds:.3f} s (target < {target:g} s{'' if ok else ', MISSED'})"
        f"   [.venv/bin/python {SELF} {command}]",
        flush=True,
    )


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def import_all(db: Database, data: Path) -> None:
    with HttpClient() as client:
        for ecosystem in ECOSYSTEMS:
            result = import_location(
                db, str(data / "osv" / "current" / ecosystem / "all.zip"), client=client
            )
            assert not result.skipped, result.skipped[:3]


@contextmanager
def sqlite_database(directory: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{directory / f'bench-{uuid.uuid4().hex[:8]}.db'}")
    upgrade(db)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def postgres_database() -> Iterator[Database | None]:
    import psycopg

    name = f"deeptracy_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"PostgreSQL unreachable ({exc}); PostgreSQL figures skipped")
        yield None
        return
    db = Database(f"{POSTGRES.rsplit('/', 1)[0]}/{name}")
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sample_queries(matcher: Matcher, count: int, seed: int = 20241010) -> list[Query]:
    """Real package names of the index with versions taken from their advisories (affected,
    fixed and boundary versions), plus a share of packages with no advisory at all."""
    rng = random.Random(seed)
    keys = sorted(matcher.index.keys())
    queries = []
    for i in range(count):
        if i % 5 == 4:  # most dependencies of a real project have no advisory
            queries.append(Query("PyPI", f"no-such-package-{i}", "1.0.0"))
            continue
        ecosystem, key = rng.choice(keys)
        entries = matcher.index.entries(ecosystem, key)
        versions = [
            e.value
            for en in entries
            for r in en.affected.ranges
            for e in r.events
            if e.value != "0"
        ]
        versions += [v for en in entries for v in en.affected.versions]
        scheme = scheme_for(ecosystem)
        valid = [v for v in versions if scheme is None or scheme.is_valid(v)]  # as lockfiles are
        version = rng.choice(valid) if valid else "1.0.0"
        if ecosystem == "Go" and not version.startswith("v"):
            version = "v" + version
        queries.append(Query(ecosystem, entries[0].affected.name, version))
    return queries


def bench_import(data: Path, scratch: Path, backend: str) -> Database | None:
    target, command = (10.0, "import-sqlite") if backend == "sqlite" else (20.0, "import-postgres")
    with sqlite_database(scratch) if backend == "sqlite" else postgres_database() as db:
        if db is None:
            return None
        seconds = timed(lambda: import_all(db, data))
        report(
            f"import of the three all.zip (8,158 records) into {backend}", seconds, target, command
        )
    return None


def bench_matcher(data: Path, scratch: Path) -> None:
    with sqlite_database(scratch) as db:
        import_all(db, data)
        loads = [timed(lambda: Matcher.load(db)) for _ in range(3)]
        report(
            "matcher start (index loaded from SQLite), median of 3",
            statistics.median(loads),
            2.0,
            "matcher",
        )
        matcher = Matcher.load(db)
        queries = sample_queries(matcher, 10_000)
        cold = timed(lambda: matcher.match(queries))
        warm = [timed(lambda: matcher.match(queries)) for _ in range(5)]
        print(f"  (first batch of 10,000 on a fresh matcher, compiling packages: {cold:.3f} s)")
        others = sample_queries(matcher, 10_000, seed=99)
        other = timed(lambda: matcher.match(others))
        print(f"  (10,000 other queries, other versions, on the warm matcher: {other:.3f} s)")
        found = sum(1 for r in matcher.match(queries) if r.matches)
        report(
            f"warm batch of 10,000 queries ({found:,} affected), median of 5",
            statistics.median(warm),
            0.5,
            "matcher",
        )
    with postgres_database() as pg:
        if pg is not None:
            import_all(pg, data)
            loads = [timed(lambda: Matcher.load(pg)) for _ in range(3)]
            report(
                "matcher start (index loaded from PostgreSQL), median of 3",
                statistics.median(loads),
                2.0,
                "matcher",
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_querybatch(data: Path, scratch: Path) -> None:
    with sqlite_database(scratch) as db:
        import_all(db, data)
        queries = sample_queries(Matcher.load(db), 1000, seed=7)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URI": db.uri,
            "DEEPTRACY_HOME": str(scratch),
            "LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "deeptracy", "serve", "--address", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{url}/openapi.json", timeout=2).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("deeptracy serve did not start") from None
                    time.sleep(0.2)
            body = {
                "queries": [
                    {"package": {"ecosystem": q.ecosystem, "name": q.name}, "version": q.version}
                    for q in queries
                ]
            }
            with httpx.Client(base_url=url, timeout=60) as client:

                def call() -> None:
                    response = client.post("/v1/querybatch", json=body)
                    response.raise_for_status()
                    assert len(response.json()["results"]) == 1000

                first = timed(call)  # loads the matcher in the server
                runs = [timed(call) for _ in range(5)]
            print(f"  (first request, loading the server's matcher: {first:.3f} s)")
            report(
                "/v1/querybatch with 1,000 packages via deeptracy serve, median of 5",
                statistics.median(runs),
                1.0,
                "querybatch",
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


def main(argv: list[str]) -> int:
    data = shared_data()
    if data is None:
        print("../shared/data is absent: advisory benchmarks skipped")
        return 0
    chosen = set(argv) or {"import-sqlite", "import-postgres", "matcher", "querybatch"}
    print(f"advisory benchmarks on {data / 'osv' / 'current'} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="deeptracy-bench-") as tmp:
        scratch = Path(tmp)
        if "import-sqlite" in chosen:
            bench_import(data, scratch, "sqlite")
        if "import-postgres" in chosen:
            bench_import(data, scratch, "postgresql")
        if "matcher" in chosen:
            bench_matcher(data, scratch)
        if "querybatch" in chosen:
            bench_querybatch(data, scratch)
    if missed:
        print(f"missed targets: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
