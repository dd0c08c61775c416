"""A real HTTP server on 127.0.0.1 laid out like the OSV export bucket, for sync tests.

It serves files under a root folder and answers <ECOSYSTEM>/<ID>.json from
<ECOSYSTEM>/all.zip when no such file exists. Faults can be queued per path (a status code and
an optional Retry-After) to exercise retries; every request path is logged.
"""

from __future__ import annotations

import threading
import zipfile
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class BucketServer:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()
        self.requests: list[str] = []
        self.faults: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> BucketServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail(self, path: str, status: int, times: int = 1, retry_after: str | None = None) -> None:
        for _ in range(times):
            self.faults[path].append((status, retry_after))

    def count(self, suffix: str) -> int:
        return sum(1 for r in self.requests if r.endswith(suffix))

    def _answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            self.requests.append(path)
            queued = self.faults.get(path)
            if queued:
                status, retry_after = queued.popleft()
                return status, b"fault", ({"Retry-After": retry_after} if retry_after else {})
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root):
            return 404, b"", {}
        if target.is_file():
            return 200, target.read_bytes(), {}
        archive = target.parent / "all.zip"
        if target.suffix == ".json" and archive.is_file():
            with zipfile.ZipFile(archive) as zf:
                try:
                    return 200, zf.read(target.name), {}
                except KeyError:
                    pass
        return 404, b"not found", {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, headers = server._answer(unquote(urlsplit(self.path).path))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return None

        return Handler
