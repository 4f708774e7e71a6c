"""The one exception root for every error aggregator raises on purpose (no I/O).

Callers that only need to know "aggregator refused or failed, with a message fit for a user"
catch :class:`AggregatorError`; the CLI maps it to an exit status in one place
(:func:`aggregator.cli.main`: config errors exit 2, every other one 1). The tree, with where
each class lives (stage roots are defined here, their refinements in their stage)::

    AggregatorError
    ├── ConfigError            a config that cannot be used; names the key   (also ValueError)
    │   └── OpmlError          feeds.opml cannot be read (exit 2)   opml.py
    ├── FetchError             one fetch failed                   fetch/client.py
    │   └── HostBackingOff     the host asked us to wait (Retry-After, errors)
    ├── ResponseError          a response we will not accept      fetch/response.py
    │   ├── BodyTooLarge       over [fetch] max_bytes once decoded
    │   └── BadEncoding        a Content-Encoding we cannot decode
    ├── NetGuardError          the address guard refused          fetch/netguard.py
    │   ├── BlockedAddressError   private/loopback/reserved address
    │   └── ResolutionError       the name did not resolve
    ├── ParseError             a document that is not a feed      (also ValueError)
    ├── StoreError             the store cannot be used           (also RuntimeError)
    │   └── StoreLocked        another daemon or poll holds it    daemon/lock.py
    ├── AuditError             explain/unmerge: no such item, nothing to undo (also LookupError)
    ├── BrowseError            Datasette cannot be started        (also RuntimeError)
    └── TranslateError         a translator failed (that translation waits)  translate/

The secondary bases keep ``except ValueError`` & co. in older callers working.
"""

from __future__ import annotations


class AggregatorError(Exception):
    """Root of every error aggregator raises on purpose."""


class ConfigError(AggregatorError, ValueError):
    """A config file that cannot be used; the message names the key path."""


class FetchError(AggregatorError):
    """One fetch failed; the message says why (status, timeout, size, refused)."""


class ResponseError(AggregatorError):
    """A response whose body we will not accept (too large, undecodable)."""


class NetGuardError(AggregatorError):
    """The private-address guard refused a destination or could not resolve it."""


class ParseError(AggregatorError, ValueError):
    """A document that cannot be read as a feed."""


class StoreError(AggregatorError, RuntimeError):
    """The store cannot be opened or used (locked, read-only, newer schema, corrupt)."""


class AuditError(AggregatorError, LookupError):
    """explain/unmerge cannot answer: no such item, or nothing to undo."""


class BrowseError(AggregatorError, RuntimeError):
    """Datasette cannot be started on this store."""
