"""Real git repositories and servers for tests: bare repos built from dicts, smart HTTP, a staller.

    factory = GitRepoFactory(tmp_path / "repos", server=http_server)
    repo = factory.create("acme/app", {"requirements.txt": "flask==2.0\\n"}, branch="main")
    repo.commit({"package.json": "{}", "old.txt": None}, "add npm", branch="feature/x")
    repo.file_url, repo.http_url          # file:///…/acme/app.git, http://127.0.0.1:…/…/app.git
    repo.git_url                          # git://127.0.0.1:…/…/app.git (factory with a GitDaemon)
    factory.create("secret", {...}, private=True)   # HTTP needs basic auth, password = token

`GitHttpServer` runs `git http-backend` (the real smart-HTTP server) behind a threaded
http.server; it decodes chunked request bodies, checks basic auth for private repositories and
records every request (and can send slowly, per repository). `GitDaemon` serves git://.
`StallingServer` accepts TCP connections and never answers.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# Test-side git never reads the developer's configuration either.
_GIT_ENV = {
    "PATH": os.environ.get("PATH", os.defpath),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
    "GIT_AUTHOR_NAME": "DeepTracy Tests",
    "GIT_AUTHOR_EMAIL": "tests@deeptracy.invalid",
    "GIT_COMMITTER_NAME": "DeepTracy Tests",
    "GIT_COMMITTER_EMAIL": "tests@deeptracy.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


def run_git(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> str:
    """Plain git for building fixtures; raises with stderr on failure."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**_GIT_ENV, **(env or {})},
        input=input,
        capture_output=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode("utf-8", errors="replace")


# ---- file entries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Symlink:
    target: str


@dataclass(frozen=True)
class Executable:
    content: str | bytes


@dataclass(frozen=True)
class Gitlink:
    """A submodule entry (mode 160000) pointing at a commit of another repository."""

    commit: str


Entry = str | bytes | Symlink | Executable | Gitlink | None  # None removes the path


def _blob(repo: Path, data: bytes) -> str:
    return run_git("hash-object", "-w", "--stdin", cwd=repo, input=data).strip()


def _index_line(repo: Path, path: str, entry: Entry) -> str:
    if isinstance(entry, Gitlink):
        return f"160000 {entry.commit}\t{path}"
    if isinstance(entry, Symlink):
        return f"120000 {_blob(repo, entry.target.encode())}\t{path}"
    if isinstance(entry, Executable):
        content = entry.content
        data = content.encode() if isinstance(content, str) else content
        return f"100755 {_blob(repo, data)}\t{path}"
    assert entry is not None
    data = entry.encode() if isinstance(entry, str) else entry
    return f"100644 {_blob(repo, data)}\t{path}"


# ---- repositories --------------------------------------------------------------------------


class BareRepo:
    """A bare repository on disk; commits are written with plumbing, no working tree."""

    def __init__(
        self, path: Path, name: str, http_base: str | None, git_base: str | None = None
    ) -> None:
        self.path = path
        self.name = name
        self._http_base = http_base
        self._git_base = git_base

    @property
    def file_url(self) -> str:
        return self.path.as_uri()

    @property
    def http_url(self) -> str:
        if self._http_base is None:
            raise RuntimeError(f"{self.name} is not served over HTTP (factory has no server)")
        return f"{self._http_base}/{self.name}.git"

    @property
    def git_url(self) -> str:
        if self._git_base is None:
            raise RuntimeError(f"{self.name} is not served by git daemon (factory has no daemon)")
        return f"{self._git_base}/{self.name}.git"

    def git(self, *args: str, input: bytes | None = None) -> str:
        return run_git(*args, cwd=self.path, input=input)

    def head(self, branch: str = "main") -> str:
        return self.git("rev-parse", "--verify", f"refs/heads/{branch}^{{commit}}").strip()

    def has_branch(self, branch: str) -> bool:
        done = subprocess.run(
            ["git", "show-ref", "--verify", "--quiet", f"refs/heads/{branch}"],
            cwd=self.path,
            env=_GIT_ENV,
            check=False,
        )
        return done.returncode == 0

    def commit(
        self,
        files: Mapping[str, Entry],
        message: str = "update",
        branch: str = "main",
        *,
        parent_branch: str | None = None,
    ) -> str:
        """Commit `files` on top of `branch` (or of `parent_branch` for a new branch).

        Values: text or bytes (100644), Executable (100755), Symlink (120000), Gitlink
        (160000), None (delete). Returns the new commit id.
        """
        base = branch if self.has_branch(branch) else parent_branch
        parent = self.head(base) if base is not None else None
        index = self.path / f"tmp-index-{secrets.token_hex(4)}"
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            if parent is not None:
                run_git("read-tree", parent, cwd=self.path, env=env)
            additions = [_index_line(self.path, p, e) for p, e in files.items() if e is not None]
            if additions:
                run_git(
                    "update-index",
                    "--add",
                    "--index-info",
                    cwd=self.path,
                    env=env,
                    input="\n".join(additions).encode() + b"\n",
                )
            removed = [p for p, e in files.items() if e is None]
            if removed:
                run_git("update-index", "--force-remove", "--", *removed, cwd=self.path, env=env)
            tree = run_git("write-tree", cwd=self.path, env=env).strip()
        finally:
            index.unlink(missing_ok=True)
        parents = ["-p", parent] if parent is not None else []
        sha = self.git("commit-tree", tree, *parents, "-m", message).strip()
        self.git("update-ref", f"refs/heads/{branch}", sha)
        return sha

    def commit_tree(self, tree: str, message: str, branch: str) -> str:
        """Commit a tree made by hand (e.g. with `git mktree`, for trees git would refuse)."""
        parents = ["-p", self.head(branch)] if self.has_branch(branch) else []
        sha = self.git("commit-tree", tree, *parents, "-m", message).strip()
        self.git("update-ref", f"refs/heads/{branch}", sha)
        return sha

    def set_default_branch(self, branch: str) -> None:
        self.git("symbolic-ref", "HEAD", f"refs/heads/{branch}")

    def object_exists(self, sha: str) -> bool:
        done = subprocess.run(
            ["git", "cat-file", "-e", sha], cwd=self.path, env=_GIT_ENV, check=False
        )
        return done.returncode == 0


def _base_for(root: Path, served_root: Path, base_url: str) -> str:
    prefix = root.resolve().relative_to(served_root).as_posix()
    return base_url if prefix == "." else f"{base_url}/{prefix}"


class GitRepoFactory:
    """Creates bare repositories below `root`; served over HTTP when `server` serves `root`."""

    def __init__(
        self, root: Path, server: GitHttpServer | None = None, daemon: GitDaemon | None = None
    ) -> None:
        self.root = root
        self.server = server
        root.mkdir(parents=True, exist_ok=True)
        self._http_base = _base_for(root, server.root, server.base_url) if server else None
        self._git_base = _base_for(root, daemon.root, daemon.base_url) if daemon else None

    def create(
        self,
        name: str,
        files: Mapping[str, Entry] | None = None,
        branch: str = "main",
        *,
        message: str = "initial commit",
        private: bool | str = False,
        allow_filter: bool = True,
    ) -> BareRepo:
        """A bare repo `name` (may contain '/') with one commit of `files` on `branch`, which
        is also its default branch. `private=True` (or a token) makes HTTP require that token;
        `allow_filter=False` makes the server refuse partial clone, like some real servers."""
        path = self.root / f"{name}.git"
        run_git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(path))
        run_git("config", "uploadpack.allowFilter", str(allow_filter).lower(), cwd=path)
        run_git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=path)
        repo = BareRepo(path, name, self._http_base, self._git_base)
        if files is not None:
            repo.commit(files, message, branch)
        if private:
            if self.server is None:
                raise RuntimeError("private repositories need a server")
            token = private if isinstance(private, str) else self.server.token
            self.server.make_private(path, token)
        return repo


# ---- the HTTP server -----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    user: str | None  # basic-auth user when the credentials were accepted
    status: int


class GitHttpServer:
    """Smart HTTP for every bare repository below `root`, on 127.0.0.1 (an ephemeral port)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.token = "tok-" + secrets.token_hex(16)  # default token of private repositories
        self.requests: list[Request] = []
        self._private: dict[Path, str] = {}
        self._rates: dict[Path, int] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_for(self, name: str) -> str:
        """URL of the repository at `root/<name>.git`."""
        return f"{self.base_url}/{name}.git"

    def make_private(self, repo_path: Path, token: str | None = None) -> str:
        with self._lock:
            self._private[repo_path.resolve()] = token or self.token
        return token or self.token

    def set_rate(self, repo_path: Path, bytes_per_second: int | None) -> None:
        """Send this repository's responses slowly (None: full speed), to test limits."""
        with self._lock:
            if bytes_per_second is None:
                self._rates.pop(repo_path.resolve(), None)
            else:
                self._rates[repo_path.resolve()] = bytes_per_second

    def _rate_of(self, path_info: str) -> int | None:
        repo = self._repo_of(path_info)
        with self._lock:
            return self._rates.get(repo) if repo is not None else None

    def requests_for(self, name_or_url: str) -> list[Request]:
        """Requests for one repository, named as in `url_for` or by its URL (`repo.http_url`)."""
        url = name_or_url if "://" in name_or_url else self.url_for(name_or_url)
        prefix = urlsplit(url).path
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix + "/")]

    def start(self) -> GitHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> GitHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler

    def _repo_of(self, path_info: str) -> Path | None:
        parts = path_info.strip("/").split("/")
        for end in range(len(parts), 0, -1):
            if parts[end - 1].endswith(".git"):
                return (self.root / "/".join(parts[:end])).resolve()
        return None

    def _authorize(self, path_info: str, header: str | None) -> tuple[bool, str | None]:
        repo = self._repo_of(path_info)
        with self._lock:
            token = self._private.get(repo) if repo is not None else None
        user = None
        if header and header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode()
            except ValueError:
                decoded = ""
            user, _, password = decoded.partition(":")
            if token is not None and not hmac.compare_digest(password, token):
                return False, None
        elif token is not None:
            return False, None
        return True, user

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


def _read_chunked(handler: BaseHTTPRequestHandler) -> bytes:
    body = bytearray()
    while True:
        size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(body)
        body += handler.rfile.read(size)
        handler.rfile.readline()


def _handler_for(server: GitHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return  # requests are recorded on the server instead

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            allowed, user = server._authorize(parts.path, self.headers.get("Authorization"))
            if not allowed:
                server._record(Request(self.command, parts.path, None, 401))
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="deeptracy-tests"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = _read_chunked(self)
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            env = {
                **_GIT_ENV,
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_ADDR": self.client_address[0],
                "REMOTE_USER": user or "",
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=120
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            if not _:
                head, _, payload = done.stdout.partition(b"\n\n")
            status = 200 if done.returncode == 0 else 500
            headers: list[tuple[str, str]] = []
            for line in head.decode("latin-1").splitlines():
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.strip().split()[0])
                elif key:
                    headers.append((key, value.strip()))
            server._record(Request(self.command, parts.path, user, status))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            rate = server._rate_of(parts.path)
            step = max(1, rate // 20) if rate else len(payload) or 1
            try:
                for start in range(0, len(payload), step):
                    self.wfile.write(payload[start : start + step])
                    if rate:
                        self.wfile.flush()
                        time.sleep(step / rate)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client was killed mid-transfer, as some tests intend

    return Handler


# ---- a server that never answers -----------------------------------------------------------


class StallingServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte: git waits until killed."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.2)
        self.port: int = self._socket.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url_for(self, name: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{name}.git"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)

    def __enter__(self) -> StallingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        for conn in self._held:
            conn.close()
        self._socket.close()


class GitDaemon:
    """`git daemon` (the git:// protocol) for every bare repository below `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.port = closed_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"git://127.0.0.1:{self.port}"

    def url_for(self, name: str) -> str:
        return f"{self.base_url}/{name}.git"

    def __enter__(self) -> GitDaemon:
        self._proc = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--informative-errors",
                f"--base-path={self.root}",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                str(self.root),
            ],
            env={**_GIT_ENV, "HOME": str(self.root)},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                if self._proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("git daemon did not start")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None


def closed_port() -> int:
    """A local TCP port nothing listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def serving(root: Path) -> Iterator[GitHttpServer]:
    with GitHttpServer(root) as server:
        yield server
