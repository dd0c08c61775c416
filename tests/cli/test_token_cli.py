import json
from pathlib import Path

from tests.cli.test_db_cli import run_cli

from deeptracy.store.db import Database
from deeptracy.store.tokens import authenticate


def test_create_list_revoke(deeptracy_home: Path) -> None:
    created = run_cli("token", "create", "--name", "ci", "--scope", "write")
    assert created.returncode == 0, created.stderr
    plaintext = created.stdout.strip()
    assert "will not be shown again" in created.stderr
    db = Database(f"sqlite:///{deeptracy_home / 'deeptracy.db'}")
    with db.session() as s:
        info = authenticate(s, plaintext)
        assert info is not None and info.scope.value == "write"
    listed = json.loads(run_cli("token", "list", "--format", "json").stdout)
    assert [(t["name"], t["scope"], t["active"]) for t in listed] == [("ci", "write", True)]
    assert plaintext not in json.dumps(listed)
    revoked = run_cli("token", "revoke", "ci")
    assert revoked.returncode == 0 and "revoked token" in revoked.stdout
    with db.session() as s:
        assert authenticate(s, plaintext) is None
    again = run_cli("token", "revoke", "ci")
    assert again.returncode == 2 and "no active token" in again.stderr
    bad = run_cli("token", "create", "--name", "x", "--scope", "root")
    assert bad.returncode == 2
