"""A real HTTP server on 127.0.0.1 (ephemeral port) in a thread, with fault injection and a log.

Subclasses implement :meth:`FakeServer.route`. Faults are queued with :meth:`FakeServer.inject` and
consumed by the first matching requests; each can replace the response (status/headers/body) and/or
delay it (``delay`` seconds; with ``then_process=True`` the request is handled normally first, so a
client that times out may retry a request that already took effect, as on the real service).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    method: str | None
    path: str | None  # regex searched in the path (without prefix and query)
    times: int
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    then_process: bool = False
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method == method)
                and (self.path is None or re.search(self.path, path) is not None))


@dataclass
class Logged:
    method: str
    path: str  # without the API prefix
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    faulted: bool = False

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Response:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _any(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer


class FakeServer:
    prefix = ""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.log: list[Logged] = []
        self.faults: list[Fault] = []
        self.violations: list[str] = []
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.url + self.prefix

    # -- faults and log --------------------------------------------------------------------
    def inject(self, method: str | None = None, path: str | None = None, *, times: int = 1,
               status: int | None = None, headers: dict[str, str] | None = None,
               body: Any = None, delay: float = 0.0, then_process: bool = False) -> Fault:
        fault = Fault(method, path, times, status, dict(headers or {}), body, delay, then_process)
        with self.lock:
            self.faults.append(fault)
        return fault

    def requests(self, method: str | None = None, path: str | None = None) -> list[Logged]:
        with self.lock:
            return [r for r in self.log if (method is None or r.method == method)
                    and (path is None or re.search(path, r.path))]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.fired < fault.times and fault.matches(method, path):
                    fault.fired += 1
                    return fault
        return None

    # -- serving ---------------------------------------------------------------------------
    def route(self, req: Logged) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, req: Logged, resp: Response, raw_body: bytes) -> None:
        """Hook for validation of the exchange (GitHub: OpenAPI)."""

    def _serve(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix):]
        elif self.prefix:
            self.violations.append(f"{handler.command} {parts.path}: outside the API prefix "
                                   f"{self.prefix} (base URL not honoured)")
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        req = Logged(handler.command, path, parse_qs(parts.query, keep_blank_values=True),
                     {k.lower(): v for k, v in handler.headers.items()}, raw)
        with self.lock:
            self.log.append(req)
        fault = self._take_fault(req.method, path)
        if fault is not None and fault.delay and not fault.then_process:
            time.sleep(fault.delay)
        if fault is not None and fault.status is not None and not fault.then_process:
            resp = Response(fault.status, fault.body, fault.headers)
            req.faulted = True
        else:
            try:
                resp = self.route(req)
            except Exception as exc:  # a bug in the fake must surface, not hang the client
                self.violations.append(f"fake crashed on {req.method} {path}: {exc!r}")
                resp = Response(500, {"message": f"fake crashed: {exc!r}"})
            if fault is not None and fault.then_process and fault.delay:
                time.sleep(fault.delay)
        body = b"" if resp.body is None else (
            resp.body if isinstance(resp.body, bytes) else json.dumps(resp.body).encode())
        headers = {"Content-Type": "application/json; charset=utf-8", **resp.headers}
        req.status, req.response_headers, req.response_body = resp.status, headers, body
        self.check(req, resp, body)
        try:
            handler.send_response(resp.status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if body:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)
