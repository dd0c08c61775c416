import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from deeptracy.config import Settings
from deeptracy.vault import Vault, VaultError


def test_round_trip_and_ciphertext_hides_the_value(settings: Settings) -> None:
    vault = Vault.from_settings(settings)
    token = vault.encrypt("ghp_supersecret")
    assert "supersecret" not in token
    assert vault.decrypt(token) == "ghp_supersecret"
    assert vault.encrypt("x") != vault.encrypt("x")  # random IV per value


def test_generated_key_is_private_and_stable(settings: Settings, deeptracy_home: Path) -> None:
    first = Vault.from_settings(settings).encrypt("value")
    key_file = deeptracy_home / "server.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Vault.from_settings(settings).decrypt(first) == "value"


def test_a_different_key_cannot_decrypt(settings: Settings) -> None:
    token = Vault.from_settings(settings).encrypt("value")
    other = settings.model_copy(
        update={"secret_key": SecretStr("another-server-key-of-enough-length")}
    )
    with pytest.raises(VaultError, match="server key"):
        Vault.from_settings(other).decrypt(token)
    with pytest.raises(VaultError):
        Vault.from_settings(settings).decrypt(token[:-4] + "AAAA")


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Vault(b"short")
