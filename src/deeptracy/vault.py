"""Secrets at rest: project credentials and webhook secrets, encrypted with the server key.

The key is SECRET_KEY when set (required when several hosts share the database), else a
random key generated once into DEEPTRACY_HOME/server.key with mode 0600. Values are Fernet
tokens (AES-128-CBC + HMAC-SHA256, from `cryptography`), so a wrong key or a tampered value is
detected, never silently decrypted into garbage.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from deeptracy.config import Settings

_KEY_FILE = "server.key"
_HKDF_INFO = b"deeptracy secrets at rest v1"


class VaultError(Exception):
    """A value that cannot be decrypted with this server's key."""


class Vault:
    def __init__(self, key_material: bytes) -> None:
        if len(key_material) < 16:
            raise ValueError("the server key must be at least 16 bytes")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            key_material
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(_local_key(settings.deeptracy_home))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise VaultError(
                "cannot decrypt a stored secret: the server key (SECRET_KEY) differs from the "
                "one it was encrypted with"
            ) from None


def _local_key(home: Path) -> bytes:
    path = home / _KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # O_EXCL: two processes starting together agree on whichever key was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
