"""Store stage, feed credentials: ``http://user:pass@host/feed`` → a clean URL in ``feeds``
and the user/password in a file of their own (I/O: disk).

Where they live, and why not in SQLite: Datasette serves the database and answers any
``Host:`` header (DNS rebinding from a page in a local browser, issue 15); a table it hides
from its listing is still readable with ``select * from …``. So the database never holds
them: they go to ``<db>.credentials`` (JSON, mode 0600, written atomically), which Datasette,
``aggregator backup`` and a copy of the database never see. Each entry is tied to the feed
id *and* the origin (scheme, host, port) it was given for, so a reused id or a moved feed
URL never sends them to another host (the fetcher also never forwards them across origins
on a redirect: NET-06).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from aggregator.models import Credentials

log = logging.getLogger(__name__)

#: File mode of the credentials file: the service user only.
CREDENTIALS_FILE_MODE = 0o600
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """``scheme://host:port`` (default port spelled out), lower-case; "" if unparsable."""
    try:
        u = urlsplit(url)
        port = u.port or _DEFAULT_PORTS.get(u.scheme.lower(), 0)
    except ValueError:
        return ""
    return f"{u.scheme.lower()}://{(u.hostname or '').lower()}:{port}"


def split_credentials(url: str) -> tuple[str, Credentials | None]:
    """``http://u:p@h/f`` → (``http://h/f``, Credentials(u, p)); URLs without userinfo
    come back unchanged with None (pure)."""
    try:
        u = urlsplit(url)
    except ValueError:
        return url, None
    if "@" not in u.netloc:
        return url, None
    userinfo, _, hostport = u.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    clean = urlunsplit((u.scheme, hostport, u.path, u.query, u.fragment))
    if not user and not password:
        return clean, None
    return clean, Credentials(unquote(user), unquote(password), origin_of(clean))


def redact_url(url: str) -> str:
    """``url`` without its userinfo (for messages)."""
    return split_credentials(url)[0]


def credentials_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".credentials")


class CredentialFile:
    """Feed id → :class:`Credentials`, in a 0600 JSON file beside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: dict[str, dict[str, str]] | None = None

    def _load(self) -> dict[str, dict[str, str]]:
        if self._cache is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._cache = {str(k): dict(v) for k, v in data.get("feeds", {}).items()}
            except FileNotFoundError:
                self._cache = {}
            except (OSError, ValueError, AttributeError) as exc:
                log.error("credentials file %s unreadable (%s): feeds go without", self.path,
                          type(exc).__name__)  # fmt: skip
                self._cache = {}
        return self._cache

    def _save(self, entries: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, CREDENTIALS_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"feeds": entries}, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, CREDENTIALS_FILE_MODE)  # whatever the umask
        os.replace(tmp, self.path)
        self._cache = entries

    def get(self, feed_id: int, url: str) -> Credentials | None:
        """The feed's credentials, if any and only if ``url`` is on their origin."""
        e = self._load().get(str(feed_id))
        if not e or e.get("origin") != origin_of(url):
            return None
        return Credentials(e.get("username", ""), e.get("password", ""), e["origin"])

    def set(self, feed_id: int, creds: Credentials) -> None:
        entries = dict(self._load())
        new = {"username": creds.username, "password": creds.password, "origin": creds.origin}
        if entries.get(str(feed_id)) != new:
            entries[str(feed_id)] = new
            self._save(entries)

    def remove(self, feed_ids: list[int]) -> None:
        entries = dict(self._load())
        if any(str(i) in entries for i in feed_ids):
            for i in feed_ids:
                entries.pop(str(i), None)
            self._save(entries)
