from pathlib import Path

import pytest
from pydantic import ValidationError

from deeptracy.config import Settings, SmtpSecurity, load_settings


def test_embedded_default_is_sqlite_under_home(deeptracy_home: Path) -> None:
    config = load_settings(_env_file=None)
    assert config.deeptracy_home == deeptracy_home
    assert config.effective_database_uri == f"sqlite:///{deeptracy_home / 'deeptracy.db'}"
    assert config.workspace_root == deeptracy_home / "workspaces"
    assert config.broker_uri is None


def test_original_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URI", "postgresql://u@db/deeptracy")
    monkeypatch.setenv("BROKER_URI", "redis://broker:6379/0")
    monkeypatch.setenv("SHARED_VOLUME_PATH", "/srv/work")
    monkeypatch.setenv("ALLOWED_SCANS_PER_PERIOD", "3")
    monkeypatch.setenv("EMAIL_SMTP_SECURITY", "ssl")
    monkeypatch.setenv("EMAIL_SMTP_PASSWORD", "hunter2")
    config = load_settings(_env_file=None)
    assert config.effective_database_uri == "postgresql://u@db/deeptracy"
    assert config.broker_uri == "redis://broker:6379/0"
    assert config.workspace_root == Path("/srv/work")
    assert config.allowed_scans_per_period == 3
    assert config.email_smtp_security is SmtpSecurity.SSL
    assert "hunter2" not in repr(config)


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=debug\nBROKER_URI=redis://x\n")
    monkeypatch.chdir(tmp_path)
    config = Settings()
    assert config.log_level == "DEBUG"
    assert config.broker_uri == "redis://x"


def test_invalid_values_are_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ValidationError, match="LOG_LEVEL must be one of"):
        load_settings(_env_file=None)
