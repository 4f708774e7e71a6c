"""Tests for aggregator.fetch.netguard: the address policy, URL pre-check and the guarded backend.

"Private" on the test rig is 127.0.0.2, forbidden through ``AddressPolicy.denied`` while
127.0.0.1 (where the origin listens) is allowed; DNS is faked with an injected resolver.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Sequence

import httpx
import pytest
from origin import Origin

from aggregator.config import FetchConfig
from aggregator.fetch.netguard import (
    AddressPolicy,
    BlockedAddressError,
    GuardedBackend,
    GuardedTransport,
    ResolutionError,
    Resolver,
    check_url,
)

DEFAULT = FetchConfig()
RIG = AddressPolicy(allow_private=True, denied=(ipaddress.ip_network("127.0.0.2/32"),))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://10.0.0.5/", "RFC 1918"),
        ("http://172.16.3.4/", "RFC 1918"),
        ("http://192.168.1.1/", "RFC 1918"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://100.64.0.1/", "CGNAT"),
        ("http://[::1]/", "loopback"),
        ("http://[fc00::1]/", "unique local"),
        ("http://[fd12:3456::1]/", "unique local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fec0::1]/", "site-local"),
        ("http://[feff:ffff::1]/", "site-local"),
        ("http://0.0.0.0/", "this network"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://[::ffff:10.0.0.1]/", "RFC 1918, inside IPv6"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local, inside IPv6"),
    ],
)
def test_net_01_private_ranges_refused_by_default(url: str, why: str) -> None:
    err = check_url(url, DEFAULT)
    assert err is not None and err.startswith("refused: private address")
    assert why in err


def test_net_01_allowlist_and_allow_private() -> None:
    url = "http://10.1.2.3/feed"
    assert check_url(url, DEFAULT) is not None
    assert check_url(url, FetchConfig(allowed_networks=("10.1.0.0/16",))) is None
    assert check_url(url, FetchConfig(allow_private_networks=True)) is None
    assert check_url("http://10.2.0.1/", FetchConfig(allowed_networks=("10.1.0.0/16",)))
    assert check_url("http://93.184.215.14/", DEFAULT) is None
    # The test hook: deny wins over allow_private.
    assert check_url("http://127.0.0.1/", RIG) is None
    assert "denied by policy" in (check_url("http://127.0.0.2/", RIG) or "")


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706434/",
        "http://0x7f000002/",
        "http://127.2/",
        "http://0177.0.0.2/",
        "http://[::ffff:127.0.0.2]/",
        "http://[::ffff:7f00:2]/",
        "http://127.0.0.2./",
        "http://0x7f.0.0.2/",
    ],
)
def test_net_02_ip_spellings(url: str) -> None:
    for policy in (DEFAULT, RIG):
        err = check_url(url, policy)
        assert err is not None, url
        assert err.startswith(("refused:", "invalid URL")), err


def test_net_02_public_odd_spelling_is_invalid() -> None:
    # Resolvers disagree on legacy forms: refuse them even when they point somewhere public.
    assert (check_url("http://0x08080808/", DEFAULT) or "").startswith("invalid URL")
    assert (check_url("http://134744072/", DEFAULT) or "").startswith("invalid URL")


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://x/", "ftp://example.com/f", "/etc/passwd", "feed://x/y"],
)
def test_net_05_scheme_refused(url: str) -> None:
    err = check_url(url, FetchConfig(allow_private_networks=True))
    assert err is not None and ("scheme" in err), err


def _fixed(mapping: dict[str, Sequence[str]], calls: list[str]) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        return mapping[host]

    return resolve


async def test_backend_refuses_if_any_address_is_private() -> None:
    calls: list[str] = []
    backend = GuardedBackend(
        AddressPolicy(), resolver=_fixed({"mixed.test": ["93.184.215.14", "10.0.0.1"]}, calls)
    )
    with pytest.raises(BlockedAddressError) as info:
        await backend.resolve("mixed.test", 80)
    assert info.value.address == "10.0.0.1" and info.value.host == "mixed.test"
    assert str(info.value) == "private address 10.0.0.1 (RFC 1918)"
    assert calls == ["mixed.test"]


async def test_backend_resolution_error() -> None:
    def nxdomain(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    backend = GuardedBackend(AddressPolicy(), resolver=nxdomain)
    with pytest.raises(ResolutionError):
        await backend.resolve("nx.test", 80)


async def test_net_04_dns_rebinding_connects_only_to_checked_address() -> None:
    """First lookup "public" (127.0.0.1), every later one private (127.0.0.2).

    A hook that resolves on its own and then lets the client resolve again would send the
    request to 127.0.0.2; the guarded backend resolves once per connection and dials that.
    """
    answers = iter([["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        return next(answers, ["127.0.0.2"])

    with Origin("127.0.0.1") as good, Origin("127.0.0.2", port=0) as private:
        good.static("/feed", b"<rss/>")
        private.static("/feed", b"SECRET")
        backend = GuardedBackend(RIG, resolver=rebinding)
        transport = GuardedTransport(backend, limits=httpx.Limits(max_keepalive_connections=0))
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            r = await client.get(f"http://rebind.test:{good.port}/feed")
            assert r.content == b"<rss/>"
            # Second connection: the name now points at the private address → refused.
            with pytest.raises(BlockedAddressError):
                await client.get(f"http://rebind.test:{private.port}/feed")
        assert private.hits() == 0
        assert backend.connections == [("rebind.test", "127.0.0.1")]
        assert calls == ["rebind.test", "rebind.test"]


async def test_guarded_transport_really_uses_backend() -> None:
    """Guards the seam into httpx internals (GuardedTransport replaces the parent's pool)."""
    backend = GuardedBackend(AddressPolicy())
    transport = GuardedTransport(backend, limits=httpx.Limits())
    async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
        with pytest.raises(BlockedAddressError):
            await client.get("http://127.0.0.1:9/")


def test_transports_share_one_tls_context_built_at_the_first_https_origin() -> None:
    """The CA bundle is loaded once per process, not once per poll (each poll builds a new
    transport: ~70 ms of CPU per daemon tick before), and only once an https origin needs
    it: plain-http connections carry none (a pass of http feeds never loads it)."""
    import httpcore

    from aggregator.fetch.netguard import GuardedBackend, GuardedTransport, default_ssl_context

    backend = GuardedBackend(AddressPolicy.from_config(FetchConfig()))
    limits = httpx.Limits(max_connections=4)
    a = GuardedTransport(backend, limits=limits)
    b = GuardedTransport(backend, limits=limits)
    plain = a._pool.create_connection(httpcore.Origin(b"http", b"example.org", 80))
    assert a._pool._ssl_context is None and plain._ssl_context is None
    tls_a = a._pool.create_connection(httpcore.Origin(b"https", b"example.org", 443))
    tls_b = b._pool.create_connection(httpcore.Origin(b"https", b"example.org", 443))
    assert tls_a._ssl_context is tls_b._ssl_context is default_ssl_context()
    assert default_ssl_context().verify_mode == ssl.CERT_REQUIRED
    assert default_ssl_context().check_hostname
    custom = GuardedTransport(backend, limits=limits, verify=False)
    off = custom._pool.create_connection(httpcore.Origin(b"https", b"example.org", 443))
    assert off._ssl_context is not None and off._ssl_context.verify_mode == ssl.CERT_NONE
