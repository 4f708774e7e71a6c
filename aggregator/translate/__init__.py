"""Machine translation backends behind one small protocol (I/O: network or an in-process model).

Optional (``[translate] enabled``, off by default): fills the headline and summary of an event
in the language no member covers. Two backends:

- ``libretranslate``: a LibreTranslate-compatible HTTP API (``POST /translate``, JSON
  ``{q, source, target, format, api_key}`` → ``{translatedText}``), e.g. a self-hosted
  LibreTranslate. Spoken with :mod:`http.client` under one overall deadline per call
  (``timeout_s``), enforced between reads, so a server that drips bytes cannot hold a call
  longer than that (per-read timeouts alone never trip on a drip).
- ``argos``: argostranslate in-process, imported only when chosen (install it and a zh↔en
  model yourself).

The job that calls them is :mod:`aggregator.pipeline.translate_pass`; results are cached in
SQLite by :func:`text_key` + backend, so republishing makes no call.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
from typing import Any, Protocol
from urllib.parse import urlsplit

from aggregator.config import TranslateConfig
from aggregator.errors import AggregatorError

#: Largest response body accepted from a translation server, in bytes.
MAX_RESPONSE_BYTES = 1_000_000
#: Read size while enforcing the deadline.
READ_CHUNK = 16_384
#: Language codes the backends use for our view languages.
BACKEND_CODES = {"en": "en", "zh": "zh"}


class TranslateError(AggregatorError, RuntimeError):
    """A translation failed (backend down, timeout, bad answer); only that text waits."""


class Translator(Protocol):
    #: Backend name, part of the cache key.
    name: str

    def translate(self, text: str, source: str, target: str) -> str: ...


def text_key(text: str, source: str, target: str) -> tuple[str, str, str]:
    """Cache key of one translation (the backend is added by the cache)."""
    return (hashlib.sha256(text.encode("utf-8")).hexdigest()[:32], source, target)


class LibreTranslate:
    """LibreTranslate-compatible HTTP API client (module docstring)."""

    name = "libretranslate"

    def __init__(self, url: str, *, api_key: str = "", timeout_s: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TranslateError(f"translate.url is not an http(s) URL: {url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path.rstrip("/") + "/translate"
        self._api_key = api_key
        self._timeout = timeout_s

    def translate(self, text: str, source: str, target: str) -> str:
        body: dict[str, Any] = {
            "q": text,
            "source": BACKEND_CODES.get(source, source),
            "target": BACKEND_CODES.get(target, target),
            "format": "text",
        }
        if self._api_key:
            body["api_key"] = self._api_key
        data = self._post(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        try:
            out = json.loads(data.decode("utf-8"))["translatedText"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TranslateError("translation server sent no translatedText") from exc
        if not isinstance(out, str) or not out.strip():
            raise TranslateError("translation server sent an empty translation")
        return out.strip()

    def _post(self, payload: bytes) -> bytes:
        deadline = time.monotonic() + self._timeout
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self._timeout)
        try:
            conn.request(
                "POST",
                self._path,
                body=payload,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
            )
            resp = conn.getresponse()
            if resp.status != 200:
                raise TranslateError(f"translation server answered HTTP {resp.status}")
            chunks: list[bytes] = []
            size = 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TranslateError(f"translation took longer than {self._timeout} s")
                if conn.sock is not None:
                    conn.sock.settimeout(left)
                chunk = resp.read1(READ_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise TranslateError("translation answer too large")
                chunks.append(chunk)
            return b"".join(chunks)
        except (OSError, http.client.HTTPException) as exc:
            raise TranslateError(f"translation server unreachable: {type(exc).__name__}") from exc
        finally:
            conn.close()


class Argos:
    """argostranslate in-process (imported on first use; needs an installed zh↔en model)."""

    name = "argos"

    def translate(self, text: str, source: str, target: str) -> str:
        try:
            import argostranslate.translate as argos
        except ImportError as exc:
            raise TranslateError(
                "translate.backend = argos but argostranslate is not installed"
            ) from exc
        try:
            out = str(argos.translate(text, source, target))
        except Exception as exc:  # the library raises plain exceptions for a missing model
            raise TranslateError(f"argostranslate failed: {exc}") from exc
        if not out.strip():
            raise TranslateError("argostranslate returned nothing")
        return out.strip()


def make_translator(cfg: TranslateConfig) -> Translator:
    if cfg.backend == "argos":
        return Argos()
    return LibreTranslate(cfg.url, api_key=cfg.api_key, timeout_s=cfg.timeout_s)
