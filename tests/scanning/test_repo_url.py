"""Repository URL validation, identity and default project names."""

from __future__ import annotations

import pytest

from deeptracy.scanning.repo_url import (
    InvalidRepoUrl,
    default_project_name,
    normalize_repo_url,
    parse_repo_url,
    validate_repo_url,
)

ACCEPTED = [
    "https://github.com/Owner/Repo.git",
    "https://github.com/Owner/Repo",
    "https://gitlab.example.com:8443/group/sub/project.git",
    "ssh://git@github.com/Owner/Repo.git",
    "ssh://git@bitbucket.example.com:7999/proj/repo.git",
    "ssh://github.com/Owner/Repo",
    "git@github.com:Owner/Repo.git",
    "github.com:Owner/Repo.git",
    "git@[::1]:owner/repo.git",
    "git://git.kernel.org/pub/scm/git/git.git",
    "https://[::1]:8080/owner/repo",
    "https://git_server/owner/repo",  # compose service names have underscores
    "  https://github.com/Owner/Repo.git \n",  # pasted with surrounding whitespace
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepted_urls(url: str) -> None:
    assert validate_repo_url(url) == url.strip()


REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    ("-oProxyCommand=touch /tmp/pwned", "starts with '-'"),
    ("--upload-pack=touch /tmp/pwned", "starts with '-'"),
    ("-uhttps://github.com/o/r", "starts with '-'"),
    ("ext::sh -c touch% /tmp/pwned", "whitespace"),
    ("ext::sh", "remote-helper"),
    ("fd::17", "remote-helper"),
    ("transport::https://github.com/o/r", "remote-helper"),
    ("file:///srv/repos/app.git", "ALLOW_FILE_URLS"),
    ("file:///", "ALLOW_FILE_URLS"),
    ("http://github.com/o/r.git", "ALLOW_HTTP_URLS"),
    ("ftp://example.com/o/r.git", "scheme 'ftp' is not allowed"),
    ("rsync://example.com/o/r.git", "scheme 'rsync' is not allowed"),
    ("/srv/repos/app.git", "local paths are refused"),
    ("./app", "local paths are refused"),
    ("app", "local paths are refused"),
    ("https://user:secret@github.com/o/r.git", "embeds credentials"),
    ("https://ghp_abcdef0123456789@github.com/o/r.git", "embeds credentials"),
    ("ssh://git:secret@github.com/o/r.git", "embeds credentials"),
    ("git://anon@example.com/o/r.git", "embeds credentials"),
    ("https://github.com/o/r.git?x=1", "query string"),
    ("https://github.com/o/r.git#main", "fragment"),
    ("https://github.com/o/r\nevil", "whitespace or a control"),
    ("https://github.com/o/r\x00", "control"),
    ("https://github.com/o/r\u202egit", "control"),
    ("https://github.com/o/r%0aevil", "percent-encoded control"),
    ("https://github.com/o/r\tx", "whitespace"),
    ("https://-oProxyCommand=x/o/r", "host starts with '-'"),
    ("ssh://-oProxyCommand=x/o/r", "host starts with '-'"),
    ("git@-oProxyCommand=x:o/r", "host starts with '-'"),
    ("git@github.com:-oProxyCommand=x", "path starts with '-'"),
    ("https://github.com/", "no repository path"),
    ("https://github.com", "no repository path"),
    ("git@github.com:", "no repository path"),
    ("https:///o/r.git", "no host"),
    ("https://exa mple.com/o/r", "whitespace"),
    ("https://exa$mple.com/o/r", "not a valid host name"),
    ("ssh://git@github.com:notaport/o/r", "malformed"),
    ("https://github.com\\o\\r", "backslash"),
    ("ssh://g'it@github.com/o/r", "not a valid user name"),
    ("https://github.com/" + "a" * 3000, "longer than 2048"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused_urls_say_why(url: str, reason: str) -> None:
    with pytest.raises(InvalidRepoUrl) as caught:
        validate_repo_url(url)
    assert reason in str(caught.value)


def test_embedded_credentials_message_points_to_project_credentials() -> None:
    with pytest.raises(InvalidRepoUrl, match="project's HTTPS token or SSH deploy key"):
        validate_repo_url("https://x-access-token:ghp_123@github.com/o/r.git")


def test_file_and_http_need_their_settings() -> None:
    assert validate_repo_url("file:///srv/repos/app.git", allow_file=True)
    assert validate_repo_url("file://localhost/srv/repos/app.git", allow_file=True)
    assert validate_repo_url("http://mirror.internal/o/r.git", allow_http=True)
    with pytest.raises(InvalidRepoUrl, match="local absolute path"):
        validate_repo_url("file://otherhost/srv/app.git", allow_file=True)
    with pytest.raises(InvalidRepoUrl, match="starts with '-'"):
        validate_repo_url("-file:///srv/app.git", allow_file=True)
    with pytest.raises(InvalidRepoUrl, match="http"):
        validate_repo_url("http://mirror.internal/o/r.git", allow_file=True)


SAME_REPOSITORY = [
    "https://GitHub.com/Owner/Repo.git",
    "https://github.com/Owner/Repo",
    "https://github.com/Owner/Repo/",
    "https://github.com/Owner/Repo.git/",
    "https://github.com:443/Owner/Repo.git",
    "http://github.com/Owner/Repo",
    "ssh://git@github.com/Owner/Repo",
    "ssh://git@github.com:22/Owner/Repo.git",
    "ssh://github.com/Owner//Repo.git",
    "git@github.com:Owner/Repo.git",
    "git@GITHUB.COM:/Owner/Repo",
    "github.com:Owner/Repo",
    "git://github.com/Owner/Repo.git",
]


@pytest.mark.parametrize("url", SAME_REPOSITORY)
def test_forms_of_one_repository_normalize_alike(url: str) -> None:
    assert normalize_repo_url(url) == "github.com/Owner/Repo"


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        # Path case is kept: GitLab and Bitbucket paths are case-sensitive.
        ("https://github.com/owner/repo.git", "github.com/owner/repo"),
        ("https://gitlab.com/Group/Sub/Project.git", "gitlab.com/Group/Sub/Project"),
        ("ssh://git@gitlab.com:2222/group/sub/project.git", "gitlab.com/group/sub/project"),
        ("https://example.com/a/repo.git.git", "example.com/a/repo.git"),
        ("file:///srv/repos/app.git", "file:///srv/repos/app"),
        ("file:///srv/repos/app/", "file:///srv/repos/app"),
        ("git@[::1]:owner/repo.git", "[::1]/owner/repo"),
    ],
)
def test_identity_details(url: str, identity: str) -> None:
    assert normalize_repo_url(url) == identity


def test_different_owners_or_hosts_stay_different() -> None:
    assert normalize_repo_url("https://github.com/a/r") != normalize_repo_url(
        "https://github.com/b/r"
    )
    assert normalize_repo_url("https://github.com/a/r") != normalize_repo_url(
        "https://gitlab.com/a/r"
    )
    assert normalize_repo_url("https://github.com/a/r") != normalize_repo_url(
        "https://github.com/A/r"
    )


def test_normalize_refuses_what_validation_refuses() -> None:
    with pytest.raises(InvalidRepoUrl):
        normalize_repo_url("ext::sh -c id")
    with pytest.raises(InvalidRepoUrl):
        normalize_repo_url("https://user:pw@github.com/o/r")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/BBVA/deeptracy.git", "deeptracy"),
        ("git@github.com:BBVA/deeptracy-api.git", "deeptracy-api"),
        ("ssh://git@host:7999/proj/Repo/", "Repo"),
        ("file:///srv/repos/app.git", "app"),
    ],
)
def test_default_project_name(url: str, name: str) -> None:
    assert default_project_name(url) == name


def test_parsed_parts() -> None:
    parsed = parse_repo_url("git@GitHub.com:Owner/Repo.git")
    assert (parsed.scheme, parsed.user, parsed.host, parsed.path, parsed.scp_like) == (
        "ssh",
        "git",
        "github.com",
        "Owner/Repo.git",
        True,
    )
    https = parse_repo_url("https://example.com:8443/o/r.git")
    assert https.netloc == "example.com:8443"
    assert https.port == 8443
