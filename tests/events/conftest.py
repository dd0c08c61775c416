"""Fixtures of the event tests: notification-friendly settings and a real HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deeptracy.config import Settings
from deeptracy.vault import Vault
from tests.support.http_receiver import HttpReceiver


@pytest.fixture
def notify_settings(deeptracy_home: Path) -> Settings:
    """Receivers live on http://127.0.0.1: both guards off; quick retries."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        deeptracy_home=deeptracy_home,
        secret_key="events-test-secret-key-0123456789",
        allow_http_notifications=True,
        notify_allow_private_hosts=True,
        notify_backoff_seconds=0.2,
        notify_max_backoff_seconds=5,
        notify_timeout=2,
        notify_max_attempts=4,
        public_url="https://deeptracy.example.com/",
    )


@pytest.fixture
def vault(notify_settings: Settings) -> Vault:
    return Vault.from_settings(notify_settings)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver().start()
    yield server
    server.stop()
