from datetime import timedelta

import pytest
from sqlalchemy import select

from deeptracy.config import Settings
from deeptracy.projects.registry import (
    DuplicateProject,
    ProjectError,
    create_project,
    find_by_repo,
    open_credentials,
)
from deeptracy.projects.scans import RateLimited, check_rate_limit, request_scan
from deeptracy.scanning.git import Credentials
from deeptracy.store.db import Database
from deeptracy.store.enums import RepoAuthType, ScanState, Trigger
from deeptracy.store.models import Project, Scan
from deeptracy.vault import Vault

KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAkeybody\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)


def test_create_project_normalises_identity_and_names(
    database: Database, settings: Settings
) -> None:
    vault = Vault.from_settings(settings)
    with database.session() as s:
        project = create_project(s, settings, vault, repo="https://github.com/Acme/Shop.git")
        assert (project.name, project.repo_key, project.auth_type) == (
            "Shop",
            "github.com/Acme/Shop",
            RepoAuthType.PUBLIC,
        )
    with database.session() as s:
        for spelling in (
            "git@github.com:Acme/Shop.git",
            "ssh://git@github.com/Acme/Shop",
            "https://github.com/Acme/Shop/",
        ):
            with pytest.raises(DuplicateProject, match="already registered"):
                create_project(s, settings, vault, repo=spelling)
            found = find_by_repo(s, spelling)
            assert found is not None and found.id == project.id
        assert find_by_repo(s, "not a url") is None


def test_credentials_are_encrypted_and_never_stored_in_clear(
    database: Database, settings: Settings
) -> None:
    vault = Vault.from_settings(settings)
    with database.session() as s:
        p1 = create_project(
            s,
            settings,
            vault,
            repo="https://git.example.com/a/private",
            credentials=Credentials(https_token="tok-123456789"),
        )
        p2 = create_project(
            s,
            settings,
            vault,
            repo="git@git.example.com:a/other.git",
            credentials=Credentials(ssh_private_key=KEY),
        )
        p3 = create_project(
            s, settings, vault, repo="ssh://git@git.example.com/a/third", use_local_private_key=True
        )
    with database.engine.connect() as conn:
        raw = " ".join(str(v) for row in conn.execute(select(Project.__table__)) for v in row)
    assert "tok-123456789" not in raw and "keybody" not in raw
    with database.session() as s:
        loaded = {p.id: p for p in s.scalars(select(Project))}
        assert loaded[p1.id].auth_type == RepoAuthType.HTTPS_TOKEN
        creds = open_credentials(vault, loaded[p1.id])
        assert creds is not None and creds.https_token == "tok-123456789"
        assert loaded[p2.id].auth_type == RepoAuthType.SSH_KEY
        assert open_credentials(vault, loaded[p2.id]) == Credentials(ssh_private_key=KEY)
        assert loaded[p3.id].auth_type == RepoAuthType.LOCAL_PRIVATE_KEY
        assert open_credentials(vault, loaded[p3.id]) is None


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        ("-oProxyCommand=touch /tmp/x", "starts with '-'"),
        ("file:///srv/repo", "ALLOW_FILE_URLS"),
        ("https://user:pw@github.com/a/b", "embeds credentials"),
        ("ext::sh%20-c%20id", "remote-helper|not allowed|refused"),
    ],
)
def test_bad_urls_are_refused_before_anything_is_stored(
    database: Database, settings: Settings, repo: str, message: str
) -> None:
    with database.session() as s:
        with pytest.raises(ProjectError, match=message):
            create_project(s, settings, Vault.from_settings(settings), repo=repo)
        assert s.scalars(select(Project)).all() == []


def test_request_scan_and_rate_limit(database: Database, settings: Settings) -> None:
    vault = Vault.from_settings(settings)
    limited = settings.model_copy(
        update={"allowed_scans_per_period": 2, "allowed_scans_check_period": 5}
    )
    with database.session() as s:
        project = create_project(
            s, settings, vault, repo="https://github.com/a/b", default_branch="main"
        )
        first = request_scan(s, project, trigger=Trigger.API, requested_by="ci")
        assert (first.state, first.branch, first.trigger) == (ScanState.PENDING, "main", "api")
        check_rate_limit(s, limited, project.id)
        request_scan(s, project, branch="feature/x")
        with pytest.raises(RateLimited) as caught:
            check_rate_limit(s, limited, project.id)
        assert 0 < caught.value.retry_after <= 301
        check_rate_limit(s, limited.model_copy(update={"allowed_scans_per_period": 0}), project.id)
        for scan in s.scalars(select(Scan)):
            scan.created_at -= timedelta(minutes=6)
        s.flush()
        check_rate_limit(s, limited, project.id)
        with pytest.raises(ProjectError, match="not a valid branch name"):
            request_scan(s, project, branch="--upload-pack=evil")
