"""The scan pipeline: claim, clone, inventory, unchanged check, analyzers, merge, store, notify.

`run_scan(db, settings, scan_id)` runs one PENDING scan to its end; both queue engines call it
(through `claim_next` + `execute_claimed` for the embedded one). Nothing here knows about
queues or HTTP.

Ownership. A worker *claims* a scan with a conditional UPDATE (PENDING -> RUNNING, attempts + 1),
so two workers never run the same scan. The attempt number is the claim's fencing token: every
later write checks `state = RUNNING AND attempts = <ours>` and stops (rolling back) when it no
longer holds, so a worker the reaper gave up on can never overwrite the work of the one that
took the scan over. While the scan runs, a thread writes `heartbeat_at` every
SCAN_HEARTBEAT_INTERVAL; the reaper (`jobs.reaper`) requeues or fails scans whose heartbeat
stopped.

Stages (`scan.stage`): CLONING (shallow, sparse clone of one branch into a per-scan workspace,
removed as soon as the inventory is read; the branch is resolved from the remote's HEAD when
none was asked), INVENTORY (`.deeptracy.yml`, then the extractors; the inventory is stored
at once, so its per-file errors stay visible even when the scan fails), ANALYZING, STORING.

Unchanged check: when the inventory's fingerprint equals that of the branch's previous
successful scan, the same analyzers ran then and none failed, the scan ends
SAME_DEPS_AS_PREVIOUS and carries that scan's open findings (and analyses) over, with the
current `.deeptracy.yml` ignore rules applied to them. Otherwise every analyzer runs, findings
are merged (`scanning.merge`), ignore rules applied (suppressed findings are stored with their
suppression), `first_seen_at` and triage decisions carried over from the previous successful
scan, and the scan ends DONE.

Failures end in FAILED with a reason and a detail that holds no secret (and `stage` left at the
stage that failed): the clone's reasons
(INVALID_REPO, INVALID_BRANCH, AUTH_FAILED, TIMEOUT, TOO_LARGE), INVALID_YML_ON_PROJECT,
NO_DEPENDENCIES_FOUND, NO_ANALYZERS, ANALYZERS_FAILED, TIMEOUT (SCAN_TIMEOUT) and
INTERNAL_ERROR for anything unexpected (logged with its traceback). The scanned repository's
code is never executed: git runs hardened (`scanning.git`) and extractors only read files.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from deeptracy.analyzers.interface import Analyzer
from deeptracy.analyzers.model import Finding
from deeptracy.analyzers.registry import AnalyzerSet, analyzers_for
from deeptracy.config import Settings
from deeptracy.ecosystems import normalize_name
from deeptracy.inventory.interface import Extractor
from deeptracy.inventory.model import Inventory
from deeptracy.inventory.registry import all_extractors
from deeptracy.inventory.walker import WalkOptions, scan_tree
from deeptracy.logs import redact
from deeptracy.projects.registry import open_credentials
from deeptracy.reports.model import SEVERITY_ORDER
from deeptracy.scanning import hooks as scan_hooks
from deeptracy.scanning.analyze import AnalyzerRun, describe_error, run_analyzers
from deeptracy.scanning.git import Credentials, GitError
from deeptracy.scanning.merge import merge_findings
from deeptracy.scanning.repo_config import (
    CONFIG_FILENAME,
    RepoConfig,
    RepoConfigError,
    load_repo_config,
)
from deeptracy.scanning.results import (
    finding_columns,
    finding_of,
    fit_inventory,
    insert_findings,
    save_inventory,
)
from deeptracy.scanning.suppress import TRIAGE_SOURCE, apply_ignores
from deeptracy.scanning.workspace import clone
from deeptracy.store.base import utcnow
from deeptracy.store.db import Database
from deeptracy.store.enums import (
    AnalysisState,
    FailureReason,
    ScanStage,
    ScanState,
)
from deeptracy.store.models import (
    Analysis,
    AnalysisFinding,
    Branch,
    Project,
    Scan,
)
from deeptracy.store.models import Finding as FindingRow
from deeptracy.store.models import Inventory as InventoryRow
from deeptracy.store.upsert import insert_ignoring_conflicts
from deeptracy.vault import Vault, VaultError

log = logging.getLogger(__name__)

MAX_DETAIL_CHARS = 4000
SUCCESSFUL = (ScanState.DONE, ScanState.SAME_DEPS_AS_PREVIOUS)
# Files extractors read beside the ones they are given (requirements includes, the manifest
# beside a lockfile, central package management), plus the repository's own config.
SIBLING_PATTERNS = (
    CONFIG_FILENAME,
    "*.txt",
    "*.in",
    "Pipfile",
    "composer.json",
    "Directory.Packages.props",
)


def manifest_patterns(extractors: Iterable[Extractor] | None = None) -> tuple[str, ...]:
    """What the sparse checkout fetches: every file name and pattern an extractor asks for,
    and the siblings they read."""
    names: list[str] = []
    for extractor in extractors if extractors is not None else all_extractors():
        names.extend(sorted(extractor.filenames))
        names.extend(extractor.patterns)
    names.extend(SIBLING_PATTERNS)
    return tuple(dict.fromkeys(names))


MANIFEST_PATTERNS = manifest_patterns()


def worker_identity(suffix: str | None = None) -> str:
    """host:pid (and a suffix naming the thread, for in-process workers)."""
    base = f"{socket.gethostname()}:{os.getpid()}"
    return (f"{base}:{suffix}" if suffix else base)[:255]


class ScanFailure(Exception):
    """Ends the scan FAILED with `reason`; `detail` is shown to users (already safe)."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class LostClaim(Exception):
    """The scan is no longer ours (the reaper requeued or failed it, or it was deleted)."""


@dataclass(frozen=True)
class Claim:
    scan_id: str
    attempt: int  # the fencing token: scan.attempts when we took it
    worker: str


# ---- claiming ----------------------------------------------------------------------------------


def _claim_values(worker: str, now: datetime) -> dict[str, Any]:
    return {
        "state": ScanState.RUNNING,
        "stage": None,
        "worker": worker,
        "attempts": Scan.attempts + 1,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "failure_reason": None,
        "failure_detail": None,
    }


def claim_scan(db: Database, scan_id: str, worker: str | None = None) -> Claim | None:
    """Take a PENDING scan (PENDING -> RUNNING, atomically); None when it is not PENDING."""
    worker = worker or worker_identity()
    with db.session() as session:
        done = session.execute(
            update(Scan)
            .where(Scan.id == scan_id, Scan.state == ScanState.PENDING)
            .values(**_claim_values(worker, utcnow()))
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return None
        attempt = session.scalar(select(Scan.attempts).where(Scan.id == scan_id))
    return Claim(scan_id, int(attempt or 0), worker)


def claim_next(db: Database, worker: str | None = None) -> Claim | None:
    """Take the oldest PENDING scan, or None when there is none.

    PostgreSQL skips rows other workers are locking (`FOR UPDATE SKIP LOCKED`); SQLite has one
    writer at a time, and the conditional UPDATE settles any race.
    """
    worker = worker or worker_identity()
    oldest = (
        select(Scan.id)
        .where(Scan.state == ScanState.PENDING)
        .order_by(Scan.created_at, Scan.id)
        .limit(1)
    )
    if db.dialect == "postgresql":
        with db.session() as session:
            scan_id = session.scalar(oldest.with_for_update(skip_locked=True))
            if scan_id is None:
                return None
            session.execute(
                update(Scan)
                .where(Scan.id == scan_id)
                .values(**_claim_values(worker, utcnow()))
                .execution_options(synchronize_session=False)
            )
            attempt = session.scalar(select(Scan.attempts).where(Scan.id == scan_id))
        return Claim(scan_id, int(attempt or 0), worker)
    for _ in range(10):
        with db.session() as session:
            scan_id = session.scalar(oldest)
        if scan_id is None:
            return None
        claim = claim_scan(db, scan_id, worker)
        if claim is not None:
            return claim
    return None


def _fence(session: Session, claim: Claim, **values: Any) -> None:
    """Update our scan row, or raise LostClaim when it is no longer ours."""
    done = session.execute(
        update(Scan)
        .where(
            Scan.id == claim.scan_id,
            Scan.state == ScanState.RUNNING,
            Scan.attempts == claim.attempt,
        )
        .values(heartbeat_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise LostClaim(claim.scan_id)


# ---- heartbeat ---------------------------------------------------------------------------------


class Heartbeat:
    """A thread that keeps `heartbeat_at` fresh while the scan runs; `lost` is set when the
    scan stopped being ours. Database hiccups are logged and retried on the next beat."""

    def __init__(self, db: Database, claim: Claim, interval: float) -> None:
        self.db = db
        self.claim = claim
        self.interval = interval
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{claim.scan_id[:8]}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.db.session() as session:
                    _fence(session, self.claim)
            except LostClaim:
                log.warning("scan %s is no longer ours; stopping its work", self.claim.scan_id)
                self.lost.set()
                return
            except Exception as exc:
                log.warning("heartbeat of scan %s failed: %s", self.claim.scan_id, exc)


# ---- the run -----------------------------------------------------------------------------------


def _analyzer_list(
    settings: Settings, db: Database, analyzers: Sequence[Analyzer] | AnalyzerSet | None
) -> tuple[Analyzer, ...]:
    if analyzers is None:
        return analyzers_for(settings, db).analyzers
    if isinstance(analyzers, AnalyzerSet):
        return analyzers.analyzers
    return tuple(analyzers)


def _package_identity(ecosystem: str, name: str, version: str | None, declared: str | None) -> str:
    return "\0".join((ecosystem, normalize_name(ecosystem, name), version or "", declared or ""))


def _severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {severity.value: counts.get(severity, 0) for severity in SEVERITY_ORDER}


@dataclass
class _Previous:
    """What the branch's previous successful scan tells this one."""

    scan_id: str
    inventory_id: int | None
    fingerprint: str | None
    analyzers: tuple[str, ...]
    any_failed: bool
    # (package identity, id casefolded) -> (first_seen_at, triage suppression or None)
    seen: dict[tuple[str, str], tuple[datetime, dict[str, Any] | None]]


class _Run:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        claim: Claim,
        analyzers: tuple[Analyzer, ...],
        heartbeat: Heartbeat,
        today: date | None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.claim = claim
        self.analyzers = analyzers
        self.heartbeat = heartbeat
        self.today = today
        self.started = time.monotonic()
        self.deadline = self.started + settings.scan_timeout
        self.timings: dict[str, float] = {}
        self.secrets: tuple[str, ...] = ()
        self.stage: ScanStage | None = None
        self.project_id = ""
        self.branch: str | None = None
        self.trigger: str | None = None

    # -- helpers

    def safe(self, text: str) -> str:
        """Text for failure_detail: no credentials, bounded."""
        text = redact(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS] + "…"

    def check(self) -> None:
        if self.heartbeat.lost.is_set():
            raise LostClaim(self.claim.scan_id)
        if time.monotonic() > self.deadline:
            where = f" (while {self.stage.value.lower()})" if self.stage else ""
            raise ScanFailure(
                FailureReason.TIMEOUT,
                f"the scan did not finish within {self.settings.scan_timeout:g} seconds "
                f"(SCAN_TIMEOUT){where}",
            )

    def enter(self, stage: ScanStage, **values: Any) -> None:
        self.check()
        self.stage = stage
        with self.db.session() as session:
            _fence(session, self.claim, stage=stage.value, **values)

    def lap(self, name: str, since: float) -> float:
        now = time.monotonic()
        self.timings[name] = round(now - since, 4)
        return now

    # -- stages

    def prepare(self) -> tuple[str, str | None, Credentials | None]:
        with self.db.session() as session:
            scan = session.get(Scan, self.claim.scan_id)
            if scan is None:
                raise LostClaim(self.claim.scan_id)
            project = session.get(Project, scan.project_id)
            if project is None:
                raise LostClaim(self.claim.scan_id)
            self.project_id, self.branch, self.trigger = project.id, scan.branch, scan.trigger
            _fence(session, self.claim, stage=ScanStage.CLONING.value, inventory_id=None)
            # Leftovers of an attempt a lost worker did not finish.
            session.execute(delete(Analysis).where(Analysis.scan_id == scan.id))
            session.execute(delete(FindingRow).where(FindingRow.scan_id == scan.id))
            self.stage = ScanStage.CLONING
            repo, branch = project.repo, scan.branch
            try:
                credentials = open_credentials(Vault.from_settings(self.settings), project)
            except (VaultError, ValueError, KeyError) as exc:
                raise ScanFailure(
                    FailureReason.INTERNAL_ERROR,
                    f"the project's credentials cannot be used: {describe_error(exc)}",
                ) from None
        if credentials is not None:
            self.secrets = credentials.secrets
        return repo, branch, credentials

    def previous(self, session: Session, branch: str) -> _Previous | None:
        created = session.scalar(select(Scan.created_at).where(Scan.id == self.claim.scan_id))
        row = session.scalar(
            select(Scan)
            .where(
                Scan.project_id == self.project_id,
                Scan.branch == branch,
                Scan.state.in_(SUCCESSFUL),
                Scan.id != self.claim.scan_id,
                Scan.created_at <= created,
            )
            .order_by(Scan.created_at.desc(), Scan.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        fingerprint = None
        if row.inventory_id is not None:
            fingerprint = session.scalar(
                select(InventoryRow.fingerprint).where(InventoryRow.id == row.inventory_id)
            )
        analyses = session.execute(
            select(Analysis.analyzer, Analysis.state).where(Analysis.scan_id == row.id)
        ).all()
        seen: dict[tuple[str, str], tuple[datetime, dict[str, Any] | None]] = {}
        for f in session.scalars(
            select(FindingRow).where(FindingRow.scan_id == row.id, FindingRow.closed_at.is_(None))
        ):
            identity = _package_identity(f.ecosystem, f.package_name, f.version, f.declared)
            triage = (
                f.suppression
                if f.suppression and f.suppression.get("source") == TRIAGE_SOURCE
                else None
            )
            for known in (f.advisory_id, *(f.aliases or ())):
                key = (identity, known.casefold())
                if key not in seen or seen[key][0] > f.first_seen_at:
                    seen[key] = (f.first_seen_at, triage)
        return _Previous(
            scan_id=row.id,
            inventory_id=row.inventory_id,
            fingerprint=fingerprint,
            analyzers=tuple(sorted(a for a, _ in analyses)),
            any_failed=any(s == AnalysisState.FAILED for _, s in analyses),
            seen=seen,
        )

    def run(self) -> scan_hooks.ScanFinished:
        repo, branch, credentials = self.prepare()
        mark = time.monotonic()
        remaining = max(1.0, self.deadline - mark)
        clone_settings = self.settings.model_copy(
            update={"clone_timeout": min(self.settings.clone_timeout, remaining)}
        )
        try:
            with clone(
                repo,
                branch,
                settings=clone_settings,
                credentials=credentials,
                manifest_patterns=MANIFEST_PATTERNS,
            ) as workspace:
                mark = self.lap("clone", mark)
                log.info("scan %s: cloned into %s", self.claim.scan_id, workspace.root)
                self.branch = workspace.branch
                self.enter(
                    ScanStage.INVENTORY, branch=workspace.branch, commit_sha=workspace.commit
                )
                try:
                    config = load_repo_config(workspace.path)
                except RepoConfigError as exc:
                    raise ScanFailure(
                        FailureReason.INVALID_YML_ON_PROJECT, self.safe(str(exc))
                    ) from None
                options = config.walk_options(
                    WalkOptions(max_file_bytes=self.settings.max_manifest_bytes)
                )
                inventory = fit_inventory(scan_tree(workspace.path, options=options))
        except GitError as exc:
            raise ScanFailure(exc.reason, self.safe(exc.message)) from None
        mark = self.lap("inventory", mark)
        self.check()
        return self.analyze(inventory, config, mark)

    def analyze(
        self, inventory: Inventory, config: RepoConfig, mark: float
    ) -> scan_hooks.ScanFinished:
        assert self.branch is not None
        fingerprint = inventory.fingerprint()
        with self.db.session() as session:
            previous = self.previous(session, self.branch)
            if previous is not None and previous.fingerprint == fingerprint:
                inventory_id = previous.inventory_id
            else:
                inventory_id = save_inventory(session, inventory, fingerprint)
            _fence(
                session,
                self.claim,
                inventory_id=inventory_id,
                total_packages=len(inventory.packages),
                previous_scan_id=previous.scan_id if previous else None,
            )
        if not inventory.packages:
            raise ScanFailure(FailureReason.NO_DEPENDENCIES_FOUND, self._nothing_found(inventory))
        names = tuple(sorted(a.name for a in self.analyzers))
        if not self.analyzers:
            raise ScanFailure(FailureReason.NO_ANALYZERS, "no analyzer is installed")
        if (
            previous is not None
            and previous.fingerprint == fingerprint
            and previous.analyzers == names
            and not previous.any_failed
        ):
            return self.same_as(previous, config, inventory)

        self.enter(ScanStage.ANALYZING)
        started = utcnow()
        with self.db.session() as session:
            for analyzer in self.analyzers:
                session.add(
                    Analysis(
                        scan_id=self.claim.scan_id,
                        analyzer=analyzer.name,
                        state=AnalysisState.RUNNING,
                        started_at=started,
                    )
                )
            _fence(session, self.claim)
        timeout = max(0.1, min(self.settings.analyzer_timeout, self.deadline - time.monotonic()))
        runs = run_analyzers(self.analyzers, inventory, timeout)
        mark = self.lap("analyze", mark)
        self.check()
        return self.store(inventory, config, runs, previous, mark)

    def _nothing_found(self, inventory: Inventory) -> str:
        if not inventory.errors:
            return "no manifest, lockfile or SBOM with dependencies was found in the repository"
        shown = "; ".join(
            f"{e.path}{':' + str(e.line) if e.line else ''}: {e.message}"
            for e in inventory.errors[:10]
        )
        more = f" (and {len(inventory.errors) - 10} more)" if len(inventory.errors) > 10 else ""
        return self.safe(
            f"no dependency could be read; {len(inventory.errors)} file errors: {shown}{more}"
        )

    def _suppressed_rows(
        self,
        findings: Sequence[Finding],
        config: RepoConfig,
        previous: _Previous | None,
        base: Sequence[dict[str, Any]] | None = None,
    ) -> tuple[list[dict[str, Any]], list[Finding]]:
        """Finding rows with suppression and first-seen time; returns them and the active
        findings. `base` gives row values to start from (carried-over rows)."""
        today = self.today or utcnow().date()
        outcome = apply_ignores(findings, config.ignore, today)
        rule_of = {id(s.finding): s.suppression.to_dict() for s in outcome.suppressed}
        now = utcnow()
        rows: list[dict[str, Any]] = []
        active: list[Finding] = []
        for index, finding in enumerate(findings):
            row = dict(base[index]) if base is not None else finding_columns(finding)
            identity = _package_identity(
                finding.package.ecosystem,
                finding.package.name,
                finding.package.version,
                finding.package.declared,
            )
            first_seen, triage = now, None
            if previous is not None:
                known = [
                    previous.seen[k]
                    for i in finding.ids
                    if (k := (identity, i.casefold())) in previous.seen
                ]
                if known:
                    first_seen = min(k[0] for k in known)
                    triage = next((k[1] for k in known if k[1]), None)
            suppression = triage or rule_of.get(id(finding))
            if base is None:
                row.update(
                    analyzers=list(finding.analyzers),
                    first_seen_at=first_seen,
                    origin="scan",
                )
            row.update(scan_id=self.claim.scan_id, found_at=now, suppression=suppression)
            row.setdefault("first_seen_at", first_seen)
            rows.append(row)
            if suppression is None:
                active.append(finding)
        return rows, active

    def _finish_values(
        self, state: ScanState, active: Sequence[Finding], config: RepoConfig, mark: float
    ) -> dict[str, Any]:
        self.lap("store", mark)
        self.timings["total"] = round(time.monotonic() - self.started, 4)
        today = self.today or utcnow().date()
        return {
            "state": state,
            "stage": None,
            "finished_at": utcnow(),
            "total_vulnerabilities": len(active),
            "severity_counts": _severity_counts(active),
            "timings": dict(self.timings),
            "repo_config": {
                "fail_on": config.fail_on.value if config.fail_on else None,
                "ignore_rules": len(config.ignore),
                "expired_rules": [
                    r.model_dump(mode="json") for r in config.ignore if r.expired(today)
                ],
            },
        }

    def store(
        self,
        inventory: Inventory,
        config: RepoConfig,
        runs: Sequence[AnalyzerRun],
        previous: _Previous | None,
        mark: float,
    ) -> scan_hooks.ScanFinished:
        self.enter(ScanStage.STORING)
        done = [r for r in runs if r.state == AnalysisState.DONE]
        failed = [r for r in runs if r.state == AnalysisState.FAILED]
        merged = merge_findings(f for r in done for f in r.findings)
        failure: ScanFailure | None = None
        if not done and failed:
            failure = ScanFailure(
                FailureReason.ANALYZERS_FAILED,
                self.safe(
                    "every analyzer failed: " + "; ".join(f"{r.name}: {r.error}" for r in failed)
                ),
            )
        elif not done:
            ecosystems = sorted({p.ecosystem for p in inventory.packages})
            failure = ScanFailure(
                FailureReason.NO_ANALYZERS,
                f"no analyzer covers the inventory's ecosystems ({', '.join(ecosystems)})",
            )
        with self.db.session() as session:
            # The scan row first, as the reaper locks it (then analyses): one lock order.
            _fence(session, self.claim)
            analyses = {
                a.analyzer: a
                for a in session.scalars(
                    select(Analysis).where(Analysis.scan_id == self.claim.scan_id)
                )
            }
            for run in runs:
                row = analyses[run.name]
                row.state = run.state
                row.started_at = run.started_at
                row.finished_at = run.finished_at
                row.error = run.error
                row.warnings = list(run.warnings) or None
                row.findings_count = len(run.findings)
            session.flush()
            for run in done:
                insert_findings(
                    session,
                    (
                        {**finding_columns(f), "analysis_id": analyses[run.name].id}
                        for f in run.findings
                    ),
                    AnalysisFinding,
                )
            if failure is not None:
                _fence(session, self.claim)  # the analyses say why; commit them, then fail
            else:
                rows, active = self._suppressed_rows(merged, config, previous)
                insert_findings(session, rows, FindingRow)
                values = self._finish_values(ScanState.DONE, active, config, mark)
                _fence(session, self.claim, **values)
                self._update_branch(session)
        if failure is not None:
            raise failure
        return self.finished(ScanState.DONE, len(inventory.packages), values, previous)

    def same_as(
        self, previous: _Previous, config: RepoConfig, inventory: Inventory
    ) -> scan_hooks.ScanFinished:
        mark = time.monotonic()
        self.enter(ScanStage.STORING)
        with self.db.session() as session:
            _fence(session, self.claim)
            for old in session.scalars(
                select(Analysis).where(Analysis.scan_id == previous.scan_id).order_by(Analysis.id)
            ):
                copy = Analysis(
                    scan_id=self.claim.scan_id,
                    analyzer=old.analyzer,
                    state=old.state,
                    started_at=old.started_at,
                    finished_at=old.finished_at,
                    error=old.error,
                    warnings=old.warnings,
                    findings_count=old.findings_count,
                )
                session.add(copy)
                session.flush()
                insert_findings(
                    session,
                    (
                        {**_row_values(f), "analysis_id": copy.id}
                        for f in session.scalars(
                            select(AnalysisFinding).where(AnalysisFinding.analysis_id == old.id)
                        )
                    ),
                    AnalysisFinding,
                )
            old_rows = list(
                session.scalars(
                    select(FindingRow)
                    .where(FindingRow.scan_id == previous.scan_id, FindingRow.closed_at.is_(None))
                    .order_by(FindingRow.id)
                )
            )
            findings = [finding_of(r) for r in old_rows]
            base = []
            for r in old_rows:
                values = _row_values(r)
                # Triage decisions travel; .deeptracy.yml ones are decided again below.
                if not (r.suppression and r.suppression.get("source") == TRIAGE_SOURCE):
                    values["suppression"] = None
                base.append(values)
            rows, active = self._suppressed_rows(findings, config, previous, base)
            insert_findings(session, rows, FindingRow)
            values = self._finish_values(ScanState.SAME_DEPS_AS_PREVIOUS, active, config, mark)
            _fence(session, self.claim, **values)
            self._update_branch(session)
        return self.finished(
            ScanState.SAME_DEPS_AS_PREVIOUS, len(inventory.packages), values, previous
        )

    def _update_branch(self, session: Session) -> None:
        """Point the branch at this scan, unless a newer scan of it already finished."""
        assert self.branch is not None
        now = utcnow()
        row = session.scalar(
            select(Branch).where(Branch.project_id == self.project_id, Branch.name == self.branch)
        )
        if row is None:
            created = insert_ignoring_conflicts(
                session,
                Branch,
                {
                    "project_id": self.project_id,
                    "name": self.branch,
                    "latest_scan_id": self.claim.scan_id,
                    "last_scan_at": now,
                },
                conflict=("project_id", "name"),
            )
            if created:
                return
            # Another scan of the branch created it meanwhile.
            row = session.scalar(
                select(Branch).where(
                    Branch.project_id == self.project_id, Branch.name == self.branch
                )
            )
            if row is None:  # pragma: no cover - a conflict means the row exists
                raise RuntimeError(f"branch {self.branch!r} vanished after a conflicting insert")
        mine = session.scalar(select(Scan.created_at).where(Scan.id == self.claim.scan_id))
        current = (
            session.scalar(select(Scan.created_at).where(Scan.id == row.latest_scan_id))
            if row.latest_scan_id
            else None
        )
        if current is None or mine is None or current <= mine:
            row.latest_scan_id = self.claim.scan_id
            row.last_scan_at = now

    def finished(
        self,
        state: ScanState,
        packages: int,
        values: dict[str, Any],
        previous: _Previous | None,
    ) -> scan_hooks.ScanFinished:
        log.info(
            "scan %s of project %s (%s) ended %s: %d packages, %d vulnerabilities in %.2fs",
            self.claim.scan_id,
            self.project_id,
            self.branch,
            state.value,
            packages,
            values["total_vulnerabilities"],
            self.timings.get("total", 0.0),
        )
        return scan_hooks.ScanFinished(
            scan_id=self.claim.scan_id,
            project_id=self.project_id,
            branch=self.branch,
            state=state,
            trigger=self.trigger,
            previous_scan_id=previous.scan_id if previous else None,
            total_packages=packages,
            total_vulnerabilities=values["total_vulnerabilities"],
            severity_counts=values["severity_counts"],
            database=self.db,
            settings=self.settings,
        )

    def fail(self, reason: FailureReason, detail: str) -> scan_hooks.ScanFinished:
        self.timings["total"] = round(time.monotonic() - self.started, 4)
        now = utcnow()
        with self.db.session() as session:
            _fence(session, self.claim)  # lock (and check) the scan row before its analyses
            session.execute(
                update(Analysis)
                .where(
                    Analysis.scan_id == self.claim.scan_id,
                    Analysis.state.in_((AnalysisState.PENDING, AnalysisState.RUNNING)),
                )
                .values(state=AnalysisState.FAILED, finished_at=now, error="the scan failed")
                .execution_options(synchronize_session=False)
            )
            _fence(
                session,
                self.claim,
                state=ScanState.FAILED,
                failure_reason=reason.value,
                failure_detail=detail,
                finished_at=now,
                timings=dict(self.timings),
            )
            total = session.scalar(select(Scan.total_packages).where(Scan.id == self.claim.scan_id))
        log.info(
            "scan %s of project %s failed at %s: %s: %s",
            self.claim.scan_id,
            self.project_id,
            self.stage.value if self.stage else "start",
            reason.value,
            detail,
        )
        return scan_hooks.ScanFinished(
            scan_id=self.claim.scan_id,
            project_id=self.project_id,
            branch=self.branch,
            state=ScanState.FAILED,
            failure_reason=reason.value,
            failure_detail=detail,
            trigger=self.trigger,
            total_packages=total,
            database=self.db,
            settings=self.settings,
        )


def _row_values(row: FindingRow | AnalysisFinding) -> dict[str, Any]:
    skip = {"id", "scan_id", "analysis_id"}
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in skip}


# ---- entry points ------------------------------------------------------------------------------


def execute_claimed(
    db: Database,
    settings: Settings,
    claim: Claim,
    *,
    analyzers: Sequence[Analyzer] | AnalyzerSet | None = None,
    hooks: Sequence[scan_hooks.Listener] | None = None,
    today: date | None = None,
) -> scan_hooks.ScanFinished | None:
    """Run a claimed scan to its end and call the scan-finished listeners (the registered
    ones, or `hooks`). None when the scan stopped being ours midway (nothing of ours stays)."""
    chosen = _analyzer_list(settings, db, analyzers)
    with Heartbeat(db, claim, settings.scan_heartbeat_interval) as heartbeat:
        run = _Run(db, settings, claim, chosen, heartbeat, today)
        try:
            try:
                event = run.run()
            except ScanFailure as failure:
                event = run.fail(failure.reason, run.safe(failure.detail))
            except LostClaim:
                raise
            except Exception as exc:
                log.exception("scan %s failed unexpectedly", claim.scan_id)
                event = run.fail(FailureReason.INTERNAL_ERROR, run.safe(describe_error(exc)))
        except LostClaim:
            log.warning(
                "scan %s was taken from worker %s (attempt %d); its work is dropped",
                claim.scan_id,
                claim.worker,
                claim.attempt,
            )
            return None
    scan_hooks.notify(event, hooks)
    return event


def run_scan(
    db: Database,
    settings: Settings,
    scan_id: str,
    *,
    analyzers: Sequence[Analyzer] | AnalyzerSet | None = None,
    hooks: Sequence[scan_hooks.Listener] | None = None,
    worker: str | None = None,
    today: date | None = None,
) -> scan_hooks.ScanFinished | None:
    """Claim the PENDING scan `scan_id` and run it; None when it was not PENDING (another
    worker has it, or it already finished)."""
    claim = claim_scan(db, scan_id, worker)
    if claim is None:
        return None
    return execute_claimed(db, settings, claim, analyzers=analyzers, hooks=hooks, today=today)


def heartbeat_age(scan: Scan, now: datetime | None = None) -> timedelta | None:
    """How long ago a RUNNING scan's worker was last heard from."""
    seen = scan.heartbeat_at or scan.started_at
    if seen is None:
        return None
    return (now or utcnow()) - seen
