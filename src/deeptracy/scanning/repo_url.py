"""Repository URLs: what DeepTracy agrees to hand to git, and what names the same repository.

Accepted forms: `https://host/path`, `ssh://[user@]host[:port]/path`, scp-like
`[user@]host:path`, `git://host/path`; `http://` only with ALLOW_HTTP_URLS and `file:///path`
only with ALLOW_FILE_URLS. Everything else is refused before git sees it: git remote-helper
syntax (`ext::…`), local paths, anything starting with `-` (git or ssh would read it as an
option), whitespace and control characters, query strings, and credentials embedded in the
URL (they belong in the project's credentials, which are kept encrypted and never logged).

Identity (`normalize_repo_url`) ignores the scheme, the user, the port, a trailing `.git` and
trailing slashes, and lower-cases the host. The path keeps its case: GitHub paths are
case-insensitive but GitLab's and Bitbucket's are not, so folding case could merge two
different repositories, while keeping it at worst lets one repository be registered twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_LENGTH = 2048

SCHEMES = frozenset({"https", "ssh", "git"})
_KNOWN_SCHEMES = SCHEMES | {"http", "file"}

_REMOTE_HELPER = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
# [user@]host:path, where the colon comes before any slash (git's own rule for scp-like).
_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@:/]+)@)?(?P<host>\[[^\]/]+\]|[^:/\[\]@]+):(?P<path>.*)$")
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?|\[[0-9a-f:.]+\])$")
_USER = re.compile(r"^[A-Za-z0-9._~+-]+$")
# %00-%1f and %7f: git decodes percent-escapes in places (credential CVE-2020-5260).
_ENCODED_CONTROL = re.compile(r"%(?:[01][0-9a-fA-F]|7[fF])")


class InvalidRepoUrl(ValueError):
    """The URL is refused; the message says why and what to do instead."""


@dataclass(frozen=True)
class RepoUrl:
    """A parsed, validated repository URL."""

    original: str
    scheme: str  # https, http, ssh, git or file (scp-like is ssh)
    user: str | None
    host: str  # lower-case; "" for file URLs
    port: int | None
    path: str  # as written, without the leading "/"
    scp_like: bool = False

    @property
    def netloc(self) -> str:
        """host[:port], as git's credential protocol names the server."""
        return f"{self.host}:{self.port}" if self.port is not None else self.host

    @property
    def identity(self) -> str:
        path = re.sub(r"/{2,}", "/", self.path).rstrip("/").removesuffix(".git").rstrip("/")
        if self.scheme == "file":
            return f"file:///{path}"
        return f"{self.host}/{path}"


def _refuse_characters(url: str) -> None:
    for ch in url:
        category = unicodedata.category(ch)
        if ch.isspace() or category[0] in {"C", "Z"}:
            raise InvalidRepoUrl(
                f"repository URL contains whitespace or a control character ({ch!r}); refused"
            )
    if _ENCODED_CONTROL.search(url):
        raise InvalidRepoUrl("repository URL contains a percent-encoded control character")
    if "\\" in url:
        raise InvalidRepoUrl("repository URL contains a backslash")


def _check_host(host: str, url: str) -> str:
    host = host.lower()
    if not host:
        raise InvalidRepoUrl(f"repository URL {url!r} has no host")
    if host.startswith("-"):
        raise InvalidRepoUrl("repository host starts with '-'; refused (option injection)")
    if not _HOST.fullmatch(host):
        raise InvalidRepoUrl(f"repository host {host!r} is not a valid host name")
    return host


def _check_path(path: str, url: str) -> str:
    if not path.strip("/"):
        raise InvalidRepoUrl(f"repository URL {url!r} has no repository path")
    if path.startswith("-"):
        raise InvalidRepoUrl("repository path starts with '-'; refused (option injection)")
    return path


def _embedded_credentials() -> InvalidRepoUrl:
    return InvalidRepoUrl(
        "repository URL embeds credentials; remove them from the URL and set the project's "
        "HTTPS token or SSH deploy key instead (stored encrypted, never shown or logged)"
    )


def _scheme_refused(scheme: str, allowed: frozenset[str]) -> InvalidRepoUrl:
    hint = ""
    if scheme == "file":
        hint = " (file:// URLs need ALLOW_FILE_URLS=true)"
    elif scheme == "http":
        hint = " (plain http:// sends credentials unencrypted; it needs ALLOW_HTTP_URLS=true)"
    names = ", ".join(sorted(allowed))
    return InvalidRepoUrl(f"repository URL scheme {scheme!r} is not allowed{hint}; use {names}")


def _parse_hierarchical(url: str, scheme: str) -> RepoUrl:
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidRepoUrl(f"repository URL {url!r} is malformed: {exc}") from None
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise InvalidRepoUrl("repository URL must not have a query string or fragment")
    user = parts.username
    if parts.password is not None:
        raise _embedded_credentials()
    if scheme == "file":
        if parts.netloc not in {"", "localhost"}:
            raise InvalidRepoUrl("file:// URLs must name a local absolute path (file:///path)")
        return RepoUrl(url, "file", None, "", None, _check_path(parts.path, url).lstrip("/"))
    if user is not None and scheme != "ssh":
        # https://TOKEN@host/... is how tokens get pasted into URLs: refuse any user part.
        raise _embedded_credentials()
    if user is not None and not _USER.fullmatch(user):
        raise InvalidRepoUrl(f"repository URL user {user!r} is not a valid user name")
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # urlsplit drops IPv6 brackets
    host = _check_host(host, url)
    path = _check_path(parts.path, url)
    return RepoUrl(url, scheme, user, host, port, path.lstrip("/"))


def _parse_scp_like(url: str) -> RepoUrl:
    match = _SCP_LIKE.fullmatch(url)
    if match is None:
        raise InvalidRepoUrl(
            f"{url!r} is not a repository URL; local paths are refused "
            "(use file:///path with ALLOW_FILE_URLS=true)"
        )
    user = match["user"]
    if user is not None and not _USER.fullmatch(user):
        raise InvalidRepoUrl(f"repository URL user {user!r} is not a valid user name")
    host = _check_host(match["host"], url)
    path = _check_path(match["path"], url)
    return RepoUrl(url, "ssh", user, host, None, path.lstrip("/"), scp_like=True)


def parse_repo_url(url: str, *, allow_file: bool = False, allow_http: bool = False) -> RepoUrl:
    """Parse and validate `url`; raises InvalidRepoUrl with the reason."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidRepoUrl("repository URL is empty")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidRepoUrl(f"repository URL is longer than {MAX_URL_LENGTH} characters")
    if url.startswith("-"):
        raise InvalidRepoUrl(
            "repository URL starts with '-'; refused because git would read it as an option"
        )
    _refuse_characters(url)
    allowed = set(SCHEMES)
    if allow_file:
        allowed.add("file")
    if allow_http:
        allowed.add("http")
    if _REMOTE_HELPER.match(url):
        helper = url.split("::", 1)[0]
        raise InvalidRepoUrl(
            f"git remote-helper URLs ({helper}::…) are not allowed; "
            f"use {', '.join(sorted(allowed))}"
        )
    if "://" in url:
        scheme = url.split("://", 1)[0].lower()
        if scheme not in allowed:
            raise _scheme_refused(scheme, frozenset(allowed))
        return _parse_hierarchical(url, scheme)
    return _parse_scp_like(url)


def validate_repo_url(url: str, allow_file: bool = False, allow_http: bool = False) -> str:
    """`url` without surrounding whitespace if DeepTracy may clone it; else InvalidRepoUrl."""
    return parse_repo_url(url, allow_file=allow_file, allow_http=allow_http).original


def normalize_repo_url(url: str) -> str:
    """The repository's identity: `host/path` (or `file:///path`), for uniqueness checks.

    `https://GitHub.com/Owner/Repo.git`, `ssh://git@github.com:22/Owner/Repo` and
    `git@github.com:Owner/Repo.git` all give `github.com/Owner/Repo`. The path keeps its case.
    """
    return parse_repo_url(url, allow_file=True, allow_http=True).identity


def default_project_name(url: str) -> str:
    """The last path segment without `.git`, as the original DeepTracy named projects."""
    return normalize_repo_url(url).rsplit("/", 1)[-1]
