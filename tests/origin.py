"""Programmable test origin: a threaded HTTP/1.1 server on loopback for network tests (I/O).

Register a behaviour per path, point a fetcher at :meth:`Origin.url`, then read the request
log (:meth:`Origin.hits`, :attr:`Origin.log`) as a canary. Every handler is bounded in time
(``max_s``) and stops when the server stops, so a test can never hang on the fixture::

    with Origin() as o:
        o.static("/feed.xml", b"<rss/>", etag='"v1"')
        o.redirect("/old", "/feed.xml", code=301)
        url = o.url("/old")
        ...
        assert o.hits("/feed.xml") == 1

Bodies for the decompression bombs come from :func:`gzip_bomb` (streamed, cached on disk).
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MIB = 1024 * 1024
#: Default upper bound on any handler that streams forever (drip, endless body).
DEFAULT_MAX_STREAM_S = 10.0
BOMB_DECODED_BYTES = 100 * MIB


@dataclass(frozen=True)
class Request:
    """One request as the origin saw it."""

    method: str
    path: str
    headers: Mapping[str, str]
    at_monotonic: float
    client: str


@dataclass
class Response:
    """What a handler answers. ``body`` is bytes, or an iterator of chunks (sent chunked)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterator[bytes] = b""


Handler = Callable[[Request, "Origin"], Response]


def gzip_bomb(cache_dir: Path, decoded_bytes: int = BOMB_DECODED_BYTES, layers: int = 1) -> bytes:
    """gzip of ``decoded_bytes`` zeros, ``layers`` times over; built in 1 MiB steps, cached.

    100 MiB of zeros gives ~100 KB of gzip; a second layer shrinks that to a few KB.
    """
    path = cache_dir / f"bomb-{decoded_bytes}-{layers}.gz"
    if path.exists():
        return path.read_bytes()
    if layers > 1:
        data = gzip.compress(gzip_bomb(cache_dir, decoded_bytes, layers - 1), 9)
    else:
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = bytes(MIB)
        parts: list[bytes] = []
        left = decoded_bytes
        while left > 0:
            step = min(left, MIB)
            parts.append(comp.compress(zeros[:step]))
            left -= step
        parts.append(comp.flush())
        data = b"".join(parts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    origin: Origin


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass

    def do_GET(self) -> None:
        self.server.origin._serve(self)

    do_HEAD = do_GET


class Origin:
    """A loopback HTTP server with per-path handlers and a request log.

    ``host`` may be any loopback address (127.0.0.2 plays the "private" network in tests).
    Use as a context manager or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._want_port = port
        self.routes: dict[str, Handler] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._inflight = 0
        #: Highest number of requests handled at the same time.
        self.max_inflight = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> Origin:
        server = _Server((self.host, self._want_port), _Handler)
        server.origin = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Origin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "origin not started"
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    # --- request log -----------------------------------------------------------------------
    def hits(self, path: str | None = None) -> int:
        """Requests seen for ``path`` (all paths when None)."""
        with self._lock:
            return sum(1 for r in self.log if path is None or r.path == path)

    def requests(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path == path]

    # --- registering behaviours ------------------------------------------------------------
    def route(self, path: str, handler: Handler) -> None:
        """Register any handler: ``handler(request, origin) -> Response``."""
        self.routes[path] = handler

    def static(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "application/rss+xml",
        headers: Mapping[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        delay_s: float = 0.0,
    ) -> None:
        """Fixed body; with ``etag``/``last_modified`` a matching conditional GET gets 304."""

        def handler(req: Request, origin: Origin) -> Response:
            if delay_s:
                origin._stop.wait(delay_s)
            h = {"Content-Type": content_type, **(headers or {})}
            if etag is not None:
                h["ETag"] = etag
            if last_modified is not None:
                h["Last-Modified"] = last_modified
            inm = req.headers.get("if-none-match")
            ims = req.headers.get("if-modified-since")
            if (etag is not None and inm == etag) or (
                inm is None and last_modified is not None and ims == last_modified
            ):
                h.pop("Content-Type", None)
                return Response(304, h)
            return Response(status, h, body)

        self.route(path, handler)

    def status(
        self, path: str, code: int, *, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> None:
        """A fixed status, e.g. 404, 410, or 429/503 with ``{"Retry-After": "120"}``."""
        self.route(path, lambda req, o: Response(code, dict(headers or {}), body))

    def redirect(
        self, path: str, to: str, *, code: int = 302, headers: Mapping[str, str] | None = None
    ) -> None:
        """Redirect to ``to`` (a path on this origin or an absolute URL)."""
        self.route(path, lambda req, o: Response(code, {"Location": to, **(headers or {})}))

    def chain(self, prefix: str, codes: list[int], final: str) -> str:
        """``prefix0 → prefix1 → … → final`` with the given status per hop; returns the start."""
        hops = [f"{prefix}{i}" for i in range(len(codes))] + [final]
        for i, code in enumerate(codes):
            self.redirect(hops[i], hops[i + 1], code=code)
        return hops[0]

    def loop(self, a: str, b: str, code: int = 302) -> None:
        """``a → b → a → …`` forever."""
        self.redirect(a, b, code=code)
        self.redirect(b, a, code=code)

    def drip(
        self, path: str, *, interval_s: float = 0.5, max_s: float = DEFAULT_MAX_STREAM_S
    ) -> None:
        """Slow drip: headers at once, then one byte every ``interval_s``, for ``max_s``."""

        def handler(req: Request, origin: Origin) -> Response:
            def gen() -> Iterator[bytes]:
                end = time.monotonic() + max_s
                yield b"<"
                while time.monotonic() < end and not origin._stop.wait(interval_s):
                    yield b"x"

            return Response(200, {"Content-Type": "application/rss+xml"}, gen())

        self.route(path, handler)

    def endless(
        self, path: str, *, chunk: int = 64 * 1024, max_s: float = DEFAULT_MAX_STREAM_S
    ) -> None:
        """A chunked body that never ends (until ``max_s`` or the client hangs up)."""

        def handler(req: Request, origin: Origin) -> Response:
            def gen() -> Iterator[bytes]:
                block = b"a" * chunk
                end = time.monotonic() + max_s
                while time.monotonic() < end and not origin._stop.is_set():
                    yield block

            return Response(200, {"Content-Type": "application/rss+xml"}, gen())

        self.route(path, handler)

    def encoded(self, path: str, body: bytes, encoding: str) -> None:
        """``body`` sent as-is with ``Content-Encoding: encoding`` (gzip bomb, ``gzip, gzip``)."""
        self.static(path, body, headers={"Content-Encoding": encoding})

    # --- serving ---------------------------------------------------------------------------
    def _serve(self, h: _Handler) -> None:
        path = h.path.split("?", 1)[0]
        req = Request(
            method=h.command,
            path=path,
            headers={k.lower(): v for k, v in h.headers.items()},
            at_monotonic=time.monotonic(),
            client=h.client_address[0],
        )
        with self._lock:
            self.log.append(req)
            self._inflight += 1
            self.max_inflight = max(self.max_inflight, self._inflight)
        try:
            handler = self.routes.get(path)
            resp = handler(req, self) if handler else Response(404, {}, b"not found")
            self._write(h, resp)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True
        finally:
            with self._lock:
                self._inflight -= 1

    def _write(self, h: _Handler, resp: Response) -> None:
        h.send_response_only(resp.status)
        defaults = {"Server": "test-origin", "Date": h.date_time_string()}
        for k, v in defaults.items():
            if k not in resp.headers:
                h.send_header(k, v)
        for k, v in resp.headers.items():
            h.send_header(k, v)
        if isinstance(resp.body, bytes):
            if resp.status != 304 and "Content-Length" not in resp.headers:
                h.send_header("Content-Length", str(len(resp.body)))
            h.end_headers()
            if h.command != "HEAD" and resp.status != 304:
                h.wfile.write(resp.body)
            return
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for piece in resp.body:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            h.wfile.flush()
        h.wfile.write(b"0\r\n\r\n")


class SilentServer:
    """Accepts TCP connections and never answers (for read and TLS-handshake timeouts).

    Each accepted socket is held until ``max_s`` or :meth:`stop`, then closed.
    """

    def __init__(self, host: str = "127.0.0.1", max_s: float = DEFAULT_MAX_STREAM_S) -> None:
        self.host = host
        self.max_s = max_s
        self.accepted = 0
        self._sock = socket.create_server((host, 0))
        self._sock.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://{self.host}:{self.port}{path}"

    def _run(self) -> None:
        held: list[socket.socket] = []
        end = time.monotonic() + self.max_s
        while not self._stop.is_set() and time.monotonic() < end:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            held.append(conn)
        for c in held:
            c.close()

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
