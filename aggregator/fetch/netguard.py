"""Fetch stage, private-address guard: URL/host → a checked TCP connection (I/O: DNS, network).

Why at connect time: a check in a request hook resolves the name separately from the
connection, so DNS rebinding (first lookup public, the next one private) walks past it
(reliability catalogue §0.5, measured). :class:`GuardedBackend` is an httpcore network backend
that resolves the host once, checks every address it got, and connects to a checked address;
TLS SNI and the Host header still carry the hostname (httpcore passes ``server_hostname``
from the request origin, not from the address we dial). :func:`check_url` is the cheap
pre-check on the URL itself (scheme, literal and odd numeric IP spellings); it never resolves.

Exception hierarchy (these are raised *through* httpx unchanged, since httpx only maps
httpcore's own exceptions)::

    NetGuardError (Exception)
     ├── BlockedAddressError   an address resolved or written in the URL is forbidden
     └── ResolutionError       the name did not resolve to any usable address
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from aggregator.errors import (
    NetGuardError as NetGuardError,  # re-exported: callers import it from here
)

if TYPE_CHECKING:
    from aggregator.config import FetchConfig

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: A resolver maps ``(host, port)`` to IP address strings. Tests inject one to fake DNS.
Resolver = Callable[[str, int], Sequence[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})

#: Ranges refused unless allowed by config. ``is_global`` below catches the rest of the IANA
#: special-purpose registry; these are listed so the error can name the range.
FORBIDDEN_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "this network"),
    ("10.0.0.0/8", "RFC 1918"),
    ("100.64.0.0/10", "CGNAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "RFC 1918"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.168.0.0/16", "RFC 1918"),
    ("198.18.0.0/15", "benchmarking"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fc00::/7", "unique local"),
    ("fe80::/10", "link-local"),
    # RFC 3879 deprecated site-local addressing, but networks still route it internally and
    # Python's ``is_global`` calls it global (issue 15).
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_FORBIDDEN = tuple((ipaddress.ip_network(n), why) for n, why in FORBIDDEN_NETWORKS)

#: NAT64 well-known prefix (RFC 6052): the low 32 bits are an IPv4 address.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

#: WHATWG URL rule: a host whose last label is numeric is an IPv4 address in some spelling.
_NUMERIC_LABEL = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


class BlockedAddressError(NetGuardError):
    """A forbidden address: ``str(exc)`` reads ``private address 10.0.0.5 (RFC 1918)``."""

    def __init__(self, address: str, reason: str, host: str | None = None) -> None:
        self.address = address
        self.reason = reason
        self.host = host
        super().__init__(f"private address {address} ({reason})")


class ResolutionError(NetGuardError):
    """The hostname did not resolve."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def classify(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address (a short label), or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = classify(inner)
            return f"{why}, inside IPv6" if why else None
    for net, why in _FORBIDDEN:
        if ip.version == net.version and ip in net:
            return why
    if ip.is_multicast:
        return "multicast"
    if not ip.is_global or ip.is_reserved or ip.is_unspecified:
        return "reserved"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be connected to. Order: ``denied`` > ``allowed`` > ``allow_private``.

    ``denied`` is the test hook: ``AddressPolicy(allow_private=True, denied=(127.0.0.2/32,))``
    lets a test serve on 127.0.0.1 while 127.0.0.2 plays the private network.
    """

    allow_private: bool = False
    allowed: tuple[IPNetwork, ...] = ()
    denied: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(cls, cfg: FetchConfig, *, denied: Iterable[str] = ()) -> AddressPolicy:
        return cls(
            allow_private=cfg.allow_private_networks,
            allowed=tuple(ipaddress.ip_network(n, strict=False) for n in cfg.allowed_networks),
            denied=tuple(ipaddress.ip_network(n, strict=False) for n in denied),
        )

    def _in(self, ip: IPAddress, nets: tuple[IPNetwork, ...]) -> bool:
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            inner = _embedded_ipv4(ip)
            if inner is not None:
                candidates.append(inner)
        return any(c.version == n.version and c in n for c in candidates for n in nets)

    def refusal(self, ip: IPAddress) -> str | None:
        """The reason ``ip`` is refused, or None when it may be connected to."""
        if self._in(ip, self.denied):
            return "denied by policy"
        if self._in(ip, self.allowed) or self.allow_private:
            return None
        return classify(ip)

    def check(self, address: str, host: str | None = None) -> IPAddress:
        """Parse and check one address; raise :class:`BlockedAddressError` if refused."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
        why = self.refusal(ip)
        if why is not None:
            raise BlockedAddressError(str(ip), why, host)
        return ip


def _as_policy(policy: AddressPolicy | FetchConfig) -> AddressPolicy:
    return policy if isinstance(policy, AddressPolicy) else AddressPolicy.from_config(policy)


def parse_ip_host(host: str) -> tuple[IPAddress | None, bool]:
    """``(address, canonical)`` for a URL host that is an IP literal in any spelling.

    Returns ``(None, False)`` for a hostname. ``canonical`` is False for legacy IPv4 forms
    (``2130706434``, ``0x7f000002``, ``127.2``, ``0177.0.0.2``) that resolvers disagree on.
    """
    h = host.strip("[]")
    try:
        return ipaddress.ip_address(h.split("%", 1)[0]), True
    except ValueError:
        pass
    labels = h.rstrip(".").split(".")
    if not labels or not _NUMERIC_LABEL.match(labels[-1]):
        return None, False
    try:
        # inet_aton accepts the BSD forms: fewer parts, octal, hex, a single 32-bit number.
        return ipaddress.IPv4Address(socket.inet_aton(h.rstrip("."))), False
    except OSError:
        return ipaddress.IPv4Address(0), False  # numeric yet unparseable: treat as invalid


def check_url(url: str | httpx.URL, policy: AddressPolicy | FetchConfig) -> str | None:
    """Pre-check a URL without resolving it: the error text, or None when it may be fetched.

    Checks the scheme, that a host is present, and any IP literal in the host against the
    policy. Hostnames are checked later, at connect time, by :class:`GuardedBackend`.
    """
    return checked_url(url, policy)[1]


def checked_url(
    url: str | httpx.URL, policy: AddressPolicy | FetchConfig
) -> tuple[httpx.URL | None, str | None]:
    """:func:`check_url` that also hands back the parsed URL (None when refused), so a caller
    parses each URL once (URL parsing was ~15% of a 304's CPU in the fetcher)."""
    pol = _as_policy(policy)
    raw_host: str | None = None
    if isinstance(url, str):
        # httpx rejects some spellings (0177.0.0.2) with a generic error; read the host first.
        m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(?://([^/?#]*))?", url)
        if not m:
            return None, "invalid URL: no scheme (a bare path?)"
        scheme = m.group(1).lower()
        if scheme not in ALLOWED_SCHEMES:
            return None, f"refused: unsupported scheme {scheme}:"
        authority = m.group(2) or ""
        hostport = authority.rsplit("@", 1)[-1]
        raw_host = hostport if hostport.startswith("[") else hostport.split(":", 1)[0]
        if raw_host.startswith("["):
            raw_host = raw_host.split("]", 1)[0] + "]"
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
    except (httpx.InvalidURL, ValueError) as exc:
        ip, _ = parse_ip_host(raw_host or "")
        if ip is not None:
            why = pol.refusal(ip)
            if why is not None:
                return None, f"refused: private address {ip} ({why}, written {raw_host})"
        return None, f"invalid URL: {exc}"
    err = _check_parsed(parsed, pol)
    return (None, err) if err else (parsed, None)


def _check_parsed(parsed: httpx.URL, pol: AddressPolicy) -> str | None:
    if parsed.scheme not in ALLOWED_SCHEMES:
        return f"refused: unsupported scheme {parsed.scheme}:"
    host = parsed.host
    if not host:
        return "invalid URL: no host"
    ip, canonical = parse_ip_host(host)
    if ip is None:
        return None
    why = pol.refusal(ip)
    if why is not None:
        written = "" if canonical else f", written {host}"
        return f"refused: private address {ip} ({why}{written})"
    if not canonical:
        return f"invalid URL: non-canonical IPv4 address {host}"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host`` (blocking; run it in a thread)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore backend: resolve once, check every address, dial only a checked address.

    Refuses the whole host when *any* of its addresses is forbidden, so a name that mixes a
    public and a private address cannot be steered to the private one.
    """

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self.policy = policy
        self.resolver: Resolver = resolver or system_resolver
        self._inner = httpcore.AnyIOBackend()
        #: ``(host, address)`` of every connection made; tests read it.
        self.connections: list[tuple[str, str]] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Resolve ``host`` once and check each address (raises :class:`NetGuardError`)."""
        ip, canonical = parse_ip_host(host)
        if ip is not None:
            if not canonical:
                raise BlockedAddressError(host, "non-canonical IP spelling", host)
            return [self.policy.check(str(ip), host)]
        try:
            addrs = await asyncio.to_thread(self.resolver, host, port)
        except OSError as exc:
            raise ResolutionError(f"cannot resolve {host}: {exc}") from exc
        if not addrs:
            raise ResolutionError(f"cannot resolve {host}: no addresses")
        return [self.policy.check(a, host) for a in addrs]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addrs = await self.resolve(host, port)
        last: Exception | None = None
        for ip in addrs:
            try:
                stream = await self._inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            self.connections.append((host, str(ip)))
            return stream
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise NetGuardError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """The verifying TLS context every transport shares (certifi's CA bundle, loaded once:
    75,000 feeds in 293 daemon ticks loaded it 293 times a cycle, bench/scale.py)."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


class _TLSOnDemandPool(httpcore.AsyncConnectionPool):
    """httpcore's pool, given its TLS context at the first origin that needs one: a pass
    whose feeds are all plain http never loads the CA bundle (~65 ms CPU a process, 213M
    instructions: callgrind of ``httpx.create_ssl_context``). Every TLS connection gets the
    same context as before."""

    def __init__(self, tls: Callable[[], ssl.SSLContext], **kwargs: Any) -> None:
        super().__init__(ssl_context=None, **kwargs)
        self._tls = tls

    def create_connection(self, origin: httpcore.Origin) -> Any:
        if self._ssl_context is None and origin.scheme != b"http":
            self._ssl_context = self._tls()
        return super().create_connection(origin)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connection pool dials through :class:`GuardedBackend`.

    httpx 0.28 has no ``network_backend`` argument, so the pool built by the parent is
    replaced by one with the same settings and our backend (httpx is pinned <0.29;
    ``tests/fetch/test_netguard.py`` fails if this seam moves).
    """

    def __init__(
        self,
        backend: GuardedBackend,
        *,
        limits: httpx.Limits,
        verify: Any = True,
    ) -> None:
        # Loading the CA bundle is the slow part of building a transport (~70 ms CPU), and the
        # pipeline builds one transport per poll (a daemon tick): one context per process,
        # built when the first https origin is met (_TLSOnDemandPool).
        if verify is True:
            tls: Callable[[], ssl.SSLContext] = default_ssl_context
        else:
            context = httpx.create_ssl_context(verify=verify, trust_env=False)
            tls = lambda: context  # noqa: E731
        # The parent's pool is replaced below: it gets a context that trusts no CA (cheap,
        # and it would fail closed if it were ever used).
        super().__init__(
            limits=limits, verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), trust_env=False
        )
        self.backend = backend
        self._pool = _TLSOnDemandPool(
            tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )
