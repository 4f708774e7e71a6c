"""Datasette plugin loaded by ``aggregator datasette`` (``--plugins-dir``): limits and a Host
guard for the Datasette process (I/O: none of its own; runs inside Datasette; the SQL limits are
:mod:`aggregator.store.limits`).

Issue 15: one query built on ``zeroblob``/``replace`` ran 6.6 s and took 2.3 GB against a
3 s limit — Datasette's limit is a progress handler, called between VM steps, and one
``replace()`` over a huge string is a single step. So (settings come from the metadata's
``plugins.aggregator_guard``, written by :mod:`aggregator.serve.datasette`):

- every value is capped (``SQLITE_LIMIT_LENGTH``): a string or blob over ``max_value_bytes``
  is an error, so no single function call can run long or grow huge; LIKE/GLOB patterns are
  capped too (their matching is pattern × text);
- SQLite's own memory is capped (``PRAGMA hard_heap_limit``): over it, a query fails with
  "out of memory" instead of growing the process;
- the process's address space is capped (``RLIMIT_AS``: its size at start plus
  ``address_space_headroom_bytes``) as the backstop for memory held by Python (rows being
  rendered);
- only requests naming one of our hosts are answered: an IP literal, ``localhost`` or the
  configured host; any other ``Host`` (a DNS-rebinding page in a local browser) gets 421.
"""

from __future__ import annotations

import ipaddress
import resource
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar, cast

from datasette import hookimpl as _hookimpl

from aggregator.store.limits import cap_reader_connection

PLUGIN = "aggregator_guard"
F = TypeVar("F", bound=Callable[..., Any])


def hookimpl(fn: F) -> F:
    """Datasette's (pluggy's) marker, typed: it returns the function it marks."""
    return cast(F, _hookimpl(fn))


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _settings(datasette: Any) -> dict[str, Any]:
    cfg = datasette.plugin_config(PLUGIN)
    if not isinstance(cfg, dict):
        raise RuntimeError(f"{PLUGIN}: no plugins.{PLUGIN} settings in the metadata")
    return cfg


@hookimpl
def startup(datasette: Any) -> None:
    cfg = _settings(datasette)
    headroom = int(cfg["address_space_headroom_bytes"])
    if headroom > 0:
        with open("/proc/self/statm") as f:
            vm_bytes = int(f.read().split()[0]) * resource.getpagesize()
        cap = vm_bytes + headroom
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    cfg = _settings(datasette)
    cap_reader_connection(
        conn,
        max_value_bytes=int(cfg["max_value_bytes"]),
        max_like_pattern_bytes=int(cfg["max_like_pattern_bytes"]),
        heap_limit_bytes=int(cfg["sqlite_heap_limit_bytes"]),
    )


def host_allowed(host_header: str, own_hosts: frozenset[str]) -> bool:
    """An IP literal (a rebinding attack needs a DNS name), ``localhost`` or one of ours."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [v6]:port
        name = host[1 : host.find("]")] if "]" in host else ""
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not name:
        return False
    if name in own_hosts or name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[ASGIApp], ASGIApp]:
    def wrap(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope.get("type") == "http":
                own = frozenset(h.lower() for h in _settings(datasette)["hosts"])
                hosts = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"]
                if len(hosts) != 1 or not host_allowed(hosts[0], own):
                    body = b"421 Misdirected Request: unknown Host\n"
                    await send({
                        "type": "http.response.start", "status": 421,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())],
                    })  # fmt: skip
                    await send({"type": "http.response.body", "body": body})
                    return
            await app(scope, receive, send)

        return guarded

    return wrap
