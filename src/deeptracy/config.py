"""Settings, read once from the environment and an optional `.env`, then passed around.

Variable names follow the original DeepTracy where it had one (DATABASE_URI, BROKER_URI,
SHARED_VOLUME_PATH, LOCAL_PRIVATE_KEY_FILE, PLUGINS_LOCATION, PATTON_URI, EMAIL_SMTP_*,
ALLOWED_SCANS_PER_PERIOD, ...). Nothing below `config` reads the environment itself.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


def _default_home() -> Path:
    return Path.home() / ".deeptracy"


class Settings(BaseSettings):
    """Every tunable of DeepTracy. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Where the embedded default keeps its SQLite file, server key and workspaces.
    deeptracy_home: Path = Field(default_factory=_default_home)
    database_uri: str | None = None
    broker_uri: str | None = None
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT

    # Service
    server_address: str = "127.0.0.1:8000"
    public_url: str | None = None
    allow_anonymous_read: bool = False
    embedded_workers: int = Field(default=2, ge=0, le=64)
    allowed_scans_per_period: int = Field(default=1, ge=0)
    allowed_scans_check_period: int = Field(default=5, ge=1)  # minutes
    secret_key: SecretStr | None = None  # server key for secrets at rest; generated if unset

    # Scanning
    shared_volume_path: Path | None = None
    local_private_key_file: Path | None = None
    plugins_location: Path | None = None
    patton_uri: str | None = None
    allow_file_urls: bool = False
    allow_http_urls: bool = False  # plain http:// remotes (no TLS): tests and trusted mirrors
    # known_hosts for SSH remotes; host keys are always checked (default DEEPTRACY_HOME/known_hosts)
    ssh_known_hosts_file: Path | None = None
    clone_timeout: float = Field(default=300.0, gt=0)
    scan_timeout: float = Field(default=1800.0, gt=0)
    analyzer_timeout: float = Field(default=600.0, gt=0)
    max_repository_bytes: int = Field(default=2 * 1024**3, gt=0)
    max_manifest_bytes: int = Field(default=64 * 1024**2, gt=0)

    # Running scans (both engines). A RUNNING scan's worker writes `heartbeat_at` every
    # SCAN_HEARTBEAT_INTERVAL seconds; one silent for SCAN_HEARTBEAT_TIMEOUT is requeued by the
    # reaper (every REAPER_INTERVAL seconds), or FAILED WORKER_LOST after MAX_SCAN_ATTEMPTS.
    scan_heartbeat_interval: float = Field(default=10.0, gt=0)
    scan_heartbeat_timeout: float = Field(default=60.0, gt=0)
    max_scan_attempts: int = Field(default=3, ge=1, le=100)
    reaper_interval: float = Field(default=15.0, gt=0)
    worker_poll_interval: float = Field(default=2.0, gt=0)  # embedded: idle workers poll the table
    # Distributed engine (BROKER_URI=redis://...): the task queue, a Redis key prefix that keeps
    # several deployments apart on one Redis, when a scan still PENDING gets its task re-sent,
    # and the broker's visibility timeout (default SCAN_TIMEOUT + 2 x SCAN_HEARTBEAT_TIMEOUT).
    celery_queue: str = Field(default="deeptracy", pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
    celery_key_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._:-]{0,100}$")
    scan_requeue_after: float = Field(default=300.0, gt=0)
    celery_visibility_timeout: float | None = Field(default=None, gt=0)

    # Advisories
    advisory_sync_interval: int = Field(default=0, ge=0)  # minutes; 0 disables
    http_timeout: float = Field(default=30.0, gt=0)
    http_retries: int = Field(default=3, ge=0)

    # Advisory sync lock (one sync at a time across every worker): a Redis key when BROKER_URI
    # is a Redis, else a PostgreSQL advisory lock or a lock file beside the SQLite database.
    advisory_sync_lock_key: str = Field(
        default="deeptracy:advisory-sync", pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
    )
    advisory_sync_lock_ttl: float = Field(default=600.0, ge=5)  # seconds; renewed while held

    # Notifications (the original's names)
    email_smtp_server: str | None = None
    email_smtp_port: int = Field(default=587, ge=1, le=65535)
    email_smtp_user: str | None = None
    email_smtp_password: SecretStr | None = None
    email_smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    email_smtp_ca_file: Path | None = None  # trust this CA (a private relay) besides the system's
    email_from: str | None = None
    notify_max_attempts: int = Field(default=6, ge=1, le=50)
    notify_backoff_seconds: float = Field(default=30.0, gt=0)  # first retry; doubles each time
    notify_max_backoff_seconds: float = Field(default=3600.0, gt=0)  # also caps Retry-After
    notify_timeout: float = Field(default=10.0, gt=0)  # per HTTP request or SMTP session
    notify_poll_interval: float = Field(default=5.0, gt=0)  # embedded delivery loop
    notify_top_findings: int = Field(default=10, ge=1, le=40)  # findings listed in a message
    # Plain http:// notification URLs (tests, trusted networks), and targets that resolve to
    # loopback, private or link-local addresses (an internal chat server): both off by default.
    allow_http_notifications: bool = False
    notify_allow_private_hosts: bool = False

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}:
            raise ValueError(
                f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not {value!r}"
            )
        return level

    @model_validator(mode="after")
    def _heartbeat_fits_timeout(self) -> Settings:
        if self.scan_heartbeat_timeout < 2 * self.scan_heartbeat_interval:
            raise ValueError(
                "SCAN_HEARTBEAT_TIMEOUT must be at least twice SCAN_HEARTBEAT_INTERVAL, or "
                "healthy scans would be taken for lost ones"
            )
        return self

    @property
    def effective_visibility_timeout(self) -> float:
        """How long Redis keeps a taken task invisible before handing it to another worker."""
        if self.celery_visibility_timeout is not None:
            return self.celery_visibility_timeout
        return self.scan_timeout + 2 * self.scan_heartbeat_timeout

    @property
    def effective_database_uri(self) -> str:
        """DATABASE_URI, or the embedded SQLite file under DEEPTRACY_HOME."""
        if self.database_uri:
            return self.database_uri
        return f"sqlite:///{self.deeptracy_home / 'deeptracy.db'}"

    @property
    def effective_known_hosts_file(self) -> Path:
        """SSH_KNOWN_HOSTS_FILE, or DEEPTRACY_HOME/known_hosts."""
        return self.ssh_known_hosts_file or (self.deeptracy_home / "known_hosts")

    @property
    def workspace_root(self) -> Path:
        """Per-scan clones go below here; each worker host uses its own local folder."""
        return self.shared_volume_path or (self.deeptracy_home / "workspaces")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
