"""API tokens: created once (the plaintext is shown only then), stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deeptracy.store.base import utcnow
from deeptracy.store.enums import TokenScope
from deeptracy.store.models import ApiToken

TOKEN_PREFIX = "dtk_"  # noqa: S105 - a marker, not a secret
# Updating last_used_at on every request would turn each read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scope: TokenScope
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        scope=TokenScope(row.scope),
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, name: str, scope: TokenScope, *, expires_in: timedelta | None = None
) -> tuple[str, TokenInfo]:
    """A new token; returns its plaintext (shown once, never stored) and its record."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("a token needs a name of 1 to 100 characters")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        scope=scope,
        token_hash=_digest(plaintext),
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(row)
    session.flush()
    return plaintext, _info(row)


def authenticate(session: Session, plaintext: str) -> TokenInfo | None:
    """The active token matching `plaintext`, or None. Lookup is by hash (an index hit), and the
    final comparison is constant-time."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    digest = _digest(plaintext)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    info = _info(row)
    if not info.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        row.last_used_at = now
    return info


def list_tokens(session: Session) -> list[TokenInfo]:
    return [_info(r) for r in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke_token(session: Session, ident: str) -> list[TokenInfo]:
    """Revoke by id or by name (every active token of that name); returns what was revoked."""
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    query = (
        query.where(ApiToken.id == int(ident))
        if ident.isdigit()
        else query.where(ApiToken.name == ident)
    )
    rows = list(session.scalars(query))
    if not rows:
        raise TokenError(f"no active token with id or name {ident!r}")
    now = utcnow()
    for row in rows:
        row.revoked_at = now
    return [_info(r) for r in rows]


def ensure_initial_admin_token(session: Session) -> str | None:
    """On a database without any token, create an admin token and return its plaintext (to be
    printed once by `deeptracy serve`); otherwise None."""
    if session.scalar(select(func.count()).select_from(ApiToken)):
        return None
    plaintext, _ = create_token(session, "initial-admin", TokenScope.ADMIN)
    return plaintext
