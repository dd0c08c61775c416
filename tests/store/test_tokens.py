from datetime import timedelta

import pytest

from deeptracy.store.db import Database
from deeptracy.store.enums import TokenScope
from deeptracy.store.models import ApiToken
from deeptracy.store.tokens import (
    TokenError,
    authenticate,
    create_token,
    ensure_initial_admin_token,
    list_tokens,
    revoke_token,
)


def test_token_life_cycle(database: Database) -> None:
    with database.session() as s:
        plaintext, info = create_token(s, "ci", TokenScope.WRITE)
    assert plaintext.startswith("dtk_") and len(plaintext) > 40
    with database.session() as s:
        stored = s.get(ApiToken, info.id)
        assert stored is not None
        assert plaintext not in (stored.token_hash, stored.prefix)  # only a hash is kept
        found = authenticate(s, plaintext)
        assert found is not None and found.name == "ci" and found.scope is TokenScope.WRITE
        assert authenticate(s, plaintext + "x") is None
        assert authenticate(s, "Bearer " + plaintext) is None
    with database.session() as s:
        assert list_tokens(s)[0].last_used_at is not None
        assert [t.name for t in revoke_token(s, "ci")] == ["ci"]
    with database.session() as s:
        assert authenticate(s, plaintext) is None
        with pytest.raises(TokenError, match="no active token"):
            revoke_token(s, str(info.id))


def test_expired_token_is_refused(database: Database) -> None:
    with database.session() as s:
        plaintext, info = create_token(s, "short", TokenScope.READ, expires_in=timedelta(days=1))
        row = s.get(ApiToken, info.id)
        assert row is not None
        row.expires_at = row.created_at - timedelta(seconds=1)
    with database.session() as s:
        assert authenticate(s, plaintext) is None


def test_scopes_nest() -> None:
    assert TokenScope.ADMIN.allows(TokenScope.WRITE)
    assert TokenScope.WRITE.allows(TokenScope.READ)
    assert not TokenScope.READ.allows(TokenScope.WRITE)


def test_initial_admin_token_only_on_an_empty_table(database: Database) -> None:
    with database.session() as s:
        first = ensure_initial_admin_token(s)
    assert first is not None
    with database.session() as s:
        assert ensure_initial_admin_token(s) is None
        info = authenticate(s, first)
        assert info is not None and info.scope is TokenScope.ADMIN


def test_name_is_required(database: Database) -> None:
    with database.session() as s, pytest.raises(TokenError, match="name"):
        create_token(s, "  ", TokenScope.READ)
