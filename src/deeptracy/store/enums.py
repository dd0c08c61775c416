"""States and kinds stored in the database, shared by the pipeline, workers, API and dashboard."""

from __future__ import annotations

from enum import StrEnum


class ScanState(StrEnum):
    """A scan's lifecycle. Every scan ends in DONE, SAME_DEPS_AS_PREVIOUS or FAILED; the
    original had no FAILED state, so a crash left scans PENDING forever."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    SAME_DEPS_AS_PREVIOUS = "SAME_DEPS_AS_PREVIOUS"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (ScanState.DONE, ScanState.SAME_DEPS_AS_PREVIOUS, ScanState.FAILED)

    @property
    def successful(self) -> bool:
        return self in (ScanState.DONE, ScanState.SAME_DEPS_AS_PREVIOUS)


class ScanStage(StrEnum):
    """What a RUNNING scan is doing."""

    CLONING = "CLONING"
    INVENTORY = "INVENTORY"
    ANALYZING = "ANALYZING"
    STORING = "STORING"


class FailureReason(StrEnum):
    INVALID_REPO = "INVALID_REPO"
    INVALID_BRANCH = "INVALID_BRANCH"
    AUTH_FAILED = "AUTH_FAILED"
    TIMEOUT = "TIMEOUT"
    TOO_LARGE = "TOO_LARGE"
    INVALID_YML_ON_PROJECT = "INVALID_YML_ON_PROJECT"
    NO_DEPENDENCIES_FOUND = "NO_DEPENDENCIES_FOUND"
    NO_ANALYZERS = "NO_ANALYZERS"  # none installed, or none covers the inventory's ecosystems
    ANALYZERS_FAILED = "ANALYZERS_FAILED"  # every analyzer that ran failed or timed out
    WORKER_LOST = "WORKER_LOST"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class Trigger(StrEnum):
    API = "api"
    WEBHOOK = "webhook"
    SCHEDULE = "schedule"
    MONITOR = "monitor"
    DASHBOARD = "dashboard"


class AnalysisState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class RepoAuthType(StrEnum):
    PUBLIC = "PUBLIC"
    LOCAL_PRIVATE_KEY = "LOCAL_PRIVATE_KEY"  # the server-wide LOCAL_PRIVATE_KEY_FILE
    SSH_KEY = "SSH_KEY"  # the project's own deploy key
    HTTPS_TOKEN = "HTTPS_TOKEN"  # noqa: S105 - a kind of credential, not one


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: TokenScope) -> bool:
        order = (TokenScope.READ, TokenScope.WRITE, TokenScope.ADMIN)
        return order.index(self) >= order.index(needed)


class FindingOrigin(StrEnum):
    SCAN = "scan"
    MONITOR = "monitor"


class EventKind(StrEnum):
    """What happened to a project; each event may be notified by the project's policy."""

    SCAN_FINISHED = "scan_finished"
    SCAN_FAILED = "scan_failed"
    NEW_FINDINGS = "new_findings"  # found by monitoring (an advisory arrived or changed)
    FINDINGS_CLOSED = "findings_closed"  # an advisory was withdrawn or no longer covers it
    TRIAGED = "triaged"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class TriageState(StrEnum):
    IN_TRIAGE = "IN_TRIAGE"
    NOT_AFFECTED = "NOT_AFFECTED"
    FALSE_POSITIVE = "FALSE_POSITIVE"
    ACCEPTED_RISK = "ACCEPTED_RISK"
