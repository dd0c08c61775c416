"""Registering projects: validated URLs, one project per repository identity, and
credentials encrypted with the server key (never returned, never logged)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deeptracy.config import Settings
from deeptracy.scanning.git import Credentials, GitError, validate_branch
from deeptracy.scanning.repo_url import (
    InvalidRepoUrl,
    default_project_name,
    normalize_repo_url,
    validate_repo_url,
)
from deeptracy.store.enums import RepoAuthType
from deeptracy.store.models import Project
from deeptracy.vault import Vault


class ProjectError(ValueError):
    """A project request that cannot be honoured; the message says why."""


class DuplicateProject(ProjectError):
    def __init__(self, existing_id: str, repo_key: str) -> None:
        super().__init__(f"repository {repo_key} is already registered as project {existing_id}")
        self.existing_id = existing_id


def checked_repo(settings: Settings, repo: str) -> tuple[str, str]:
    """(validated URL, identity key) of a repository URL, or ProjectError."""
    try:
        url = validate_repo_url(
            repo, allow_file=settings.allow_file_urls, allow_http=settings.allow_http_urls
        )
    except InvalidRepoUrl as exc:
        raise ProjectError(str(exc)) from None
    return url, normalize_repo_url(url)


def checked_branch(branch: str | None) -> str | None:
    if branch is None:
        return None
    try:
        return validate_branch(branch)
    except GitError as exc:
        raise ProjectError(exc.message) from None


def auth_type_for(credentials: Credentials | None) -> RepoAuthType:
    if credentials is None:
        return RepoAuthType.PUBLIC
    return RepoAuthType.SSH_KEY if credentials.ssh_private_key else RepoAuthType.HTTPS_TOKEN


def seal_credentials(vault: Vault, credentials: Credentials | None) -> str | None:
    if credentials is None:
        return None
    document = {
        "https_token": credentials.https_token,
        "https_username": credentials.https_username,
        "ssh_private_key": credentials.ssh_private_key,
    }
    return vault.encrypt(json.dumps(document))


def open_credentials(vault: Vault, project: Project) -> Credentials | None:
    """The project's decrypted credentials, for the clone only. LOCAL_PRIVATE_KEY projects
    (and public ones) have none of their own: git falls back to LOCAL_PRIVATE_KEY_FILE."""
    if not project.credentials:
        return None
    document = json.loads(vault.decrypt(project.credentials))
    return Credentials(
        https_token=document.get("https_token"),
        https_username=document.get("https_username"),
        ssh_private_key=document.get("ssh_private_key"),
    )


def find_by_repo(session: Session, repo: str) -> Project | None:
    """The project registered for any spelling of `repo` (https, ssh, scp-like, .git)."""
    try:
        key = normalize_repo_url(repo.strip())
    except InvalidRepoUrl:
        return None
    return session.scalar(select(Project).where(Project.repo_key == key))


def create_project(
    session: Session,
    settings: Settings,
    vault: Vault,
    *,
    repo: str,
    name: str | None = None,
    default_branch: str | None = None,
    credentials: Credentials | None = None,
    use_local_private_key: bool = False,
    monitored: bool = True,
) -> Project:
    url, key = checked_repo(settings, repo)
    existing = session.scalar(select(Project.id).where(Project.repo_key == key))
    if existing is not None:
        raise DuplicateProject(existing, key)
    project_name = (name or "").strip() or default_project_name(url)
    if len(project_name) > 200:
        raise ProjectError("a project name has at most 200 characters")
    auth = auth_type_for(credentials)
    if use_local_private_key and credentials is None:
        auth = RepoAuthType.LOCAL_PRIVATE_KEY
    project = Project(
        name=project_name,
        repo=url,
        repo_key=key,
        default_branch=checked_branch(default_branch),
        auth_type=auth,
        credentials=seal_credentials(vault, credentials),
        monitored=monitored,
        channels=[],
    )
    session.add(project)
    try:
        session.flush()
    except IntegrityError:
        # Another request registered the same repository between our check and insert; the
        # caller's transaction is spoiled and rolls back (no savepoint: see store.upsert).
        raise DuplicateProject("(concurrent)", key) from None
    return project
