"""`deeptracy worker`: a Celery worker of the distributed engine (needs BROKER_URI)."""

from __future__ import annotations

import os
import socket
import uuid
from enum import StrEnum
from typing import Annotated

import typer

from deeptracy.cli.common import fail, open_database, settings


class Pool(StrEnum):
    PREFORK = "prefork"  # one process per concurrent scan (the default)
    THREADS = "threads"  # threads in one process (lighter; the GIL limits CPU-bound parts)
    SOLO = "solo"  # one scan at a time in the main process


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", "-c", min=1, max=256, help="Scans run at once."),
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option("--queues", "-Q", help="Comma-separated queues (default: CELERY_QUEUE)."),
    ] = None,
    pool: Annotated[Pool, typer.Option("--pool", help="How scans run in parallel.")] = (
        Pool.PREFORK
    ),
    beat: Annotated[
        bool,
        typer.Option("--beat", help="Also schedule the reaper (run it on one worker or more)."),
    ] = False,
    beat_only: Annotated[
        bool,
        typer.Option("--beat-only", help="Only schedule the reaper; run no scans."),
    ] = False,
) -> None:
    """Run scans from the broker (BROKER_URI=redis://...) as a Celery worker.

    Start any number of workers on any number of hosts; each clones into its own local
    workspace (SHARED_VOLUME_PATH, else DEEPTRACY_HOME/workspaces). The reaper, which requeues
    scans of workers that died, runs where --beat or --beat-only is given.
    """
    from deeptracy.jobs.celery_app import check_broker_uri, create_celery
    from deeptracy.scanning.workspace import remove_stale_workspaces

    config = settings()
    if not config.broker_uri:
        fail(
            "BROKER_URI is not set; `deeptracy worker` needs a redis:// broker "
            "(without one, `deeptracy serve` runs scans in-process)"
        )
    try:
        check_broker_uri(config.broker_uri)
    except ValueError as exc:
        fail(str(exc))
    if beat and beat_only:
        fail("--beat and --beat-only exclude each other")
    db = open_database(config)  # applies pending migrations before any task runs
    db.dispose()  # prefork children open their own connections
    app = create_celery(config)
    config.deeptracy_home.mkdir(parents=True, exist_ok=True)
    schedule = str(config.deeptracy_home / f"celerybeat-schedule-{config.celery_queue}")
    level = config.log_level
    if beat_only:
        app.start(argv=["beat", f"--loglevel={level}", f"--schedule={schedule}"])
        return
    removed = remove_stale_workspaces(config, config.scan_timeout + config.scan_heartbeat_timeout)
    if removed:
        typer.echo(f"removed {len(removed)} workspaces a stopped worker left", err=True)
    argv = [
        "worker",
        f"--loglevel={level}",
        f"--queues={queues or config.celery_queue}",
        f"--pool={pool.value}",
        f"--hostname=deeptracy-{uuid.uuid4().hex[:6]}.{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
    ]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv += ["--beat", f"--schedule={schedule}"]
    app.worker_main(argv=argv)
