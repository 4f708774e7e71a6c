"""Typed configuration: ``config.toml`` → frozen dataclasses, one table per stage (reads one file).

Every key has a default and help text (``field(metadata={"help": …})``), so ``check-config``
and the docs test can list them. Unknown keys and bad values raise :class:`ConfigError`
naming the key path (``fetch.timeout_s``); the CLI turns that into exit status 2.
Relative paths are resolved against the folder of the config file.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator.errors import ConfigError as ConfigError  # re-exported: callers import it from here

MIB = 1024 * 1024


def _f(default: Any, help: str, **kw: Any) -> Any:
    """A config field with a default and help text (``choices``/``min`` optional)."""
    meta = {"help": help, **kw}
    if isinstance(default, list | tuple):
        return field(default_factory=lambda: tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class FeedsConfig:
    opml: str = _f("feeds.opml", "Subscription list (OPML 2.0), relative to the config file.")
    default_timezone: str = _f(
        "UTC",
        "IANA zone for naive dates in feeds that do not set one; outlets on .cn hosts "
        "default to Asia/Shanghai.",
    )


@dataclass(frozen=True)
class StoreConfig:
    path: str = _f("db/aggregator.db", "SQLite database file, relative to the config file.")
    busy_timeout_ms: int = _f(10_000, "How long a writer waits for a lock before failing.", min=0)
    journal_size_limit_bytes: int = _f(
        64 * MIB, "WAL file is truncated back to this size after checkpoints.", min=0
    )
    wal_warn_bytes: int = _f(
        256 * MIB, "Log a warning when the WAL grows past this (a reader holding it open).", min=0
    )
    # 8, not 64: the cache fills with every page a pass reads (the whole 58 MB store of the
    # peer benchmark's first pass), and 64 MiB of it cost 51 MB peak RSS for no CPU (bench/ab.py,
    # peer pass 1, 6 alternated trials each: median 16.31 s at 64 vs 16.30 s at 8; pass 5:
    # 5.12 vs 4.90 s, 262 -> 212 MB). bench/store_ablation.py at 200k items: 2 MiB within
    # noise of 64 MiB.
    cache_mb: int = _f(
        8,
        "SQLite page cache of the daemon's connection, MiB (SQLite's default is 2 MiB).",
        min=1,
    )
    commit_interval_ms: int = _f(
        1000,
        "During a poll, feeds' writes are grouped into one commit at most this old (each "
        "feed still all-or-nothing); 0 commits every feed on its own.",
        min=0,
    )
    search: str = _f(
        "lead",
        "What the full-text index covers: lead (title + first 600 characters of the summary; "
        "less CPU per new item) or full (title + whole text). "
        "Changing it rebuilds the "
        "index at the next start.",
        choices=("lead", "full"),
    )


@dataclass(frozen=True)
class PublishConfig:
    dir: str = _f("public", "Output folder for the feeds and index.html, relative to config.")
    title: str = _f("Aggregator", "Title of the published feeds.")
    base_url: str = _f(
        "http://127.0.0.1:8080/", "Public URL of the output folder (self links in the feeds)."
    )
    max_entries: int = _f(200, "Entries per published feed.", min=1)
    preferred_language: str = _f(
        "en", "Language of event headlines when an event has members in it (en, zh, …)."
    )
    tag_authority: str = _f(
        "aggregator.localhost,2026",
        "Authority part of the tag: URIs used as entry ids (RFC 4151), e.g. example.org,2026.",
    )
    digest_timezone: str = _f(
        "Asia/Shanghai",
        "IANA zone whose calendar days the daily digest (digest.atom/.rss/.json) follows.",
    )
    digest_days: int = _f(14, "Days listed in the daily digest, newest first.", min=1)


@dataclass(frozen=True)
class FetchConfig:
    allow_private_networks: bool = _f(
        False,
        "true lets feeds on 127.0.0.1 / private ranges be fetched (tests, demo, intranets).",
    )
    allowed_networks: tuple[str, ...] = _f(
        [], "CIDR ranges allowed even though private (e.g. 10.1.0.0/16 for an intranet bridge)."
    )
    user_agent: str = _f(
        "aggregator/0.1 (self-hosted news aggregator)",
        "User-Agent sent with every request. Add a contact so feed operators can reach you,"
        " e.g. \"aggregator/0.1 (self-hosted; +https://example.org/about; admin@example.org)\".",
    )
    connect_timeout_s: float = _f(15.0, "TCP+TLS connect timeout per attempt.", min=0.1)
    read_timeout_s: float = _f(20.0, "Longest silence between two reads.", min=0.1)
    deadline_s: float = _f(
        45.0, "Overall wall-clock limit for one fetch, redirects included.", min=0.5
    )
    max_bytes: int = _f(15 * MIB, "Cap on the decoded (inflated) body size.", min=1024)
    max_redirects: int = _f(5, "Redirect hops followed before giving up.", min=0)
    concurrency: int = _f(32, "Fetches in flight at once, all hosts together.", min=1)
    per_host_concurrency: int = _f(2, "Fetches in flight at once to one host.", min=1)
    per_host_min_gap_s: float = _f(1.0, "Minimum gap between two requests to one host.", min=0.0)


@dataclass(frozen=True)
class ScheduleConfig:
    min_interval_s: int = _f(600, "Shortest time between two polls of a feed.", min=1)
    max_interval_s: int = _f(6 * 3600, "Longest time between two polls of a feed.", min=1)
    default_interval_s: int = _f(1800, "Interval for a feed with no history.", min=1)
    jitter_fraction: float = _f(0.1, "Random spread added to each interval (0.1 = ±10%).", min=0.0)
    max_backoff_s: int = _f(24 * 3600, "Longest wait after repeated errors.", min=1)
    disable_after_s: int = _f(
        7 * 24 * 3600, "Disable a feed after it has failed continuously this long.", min=1
    )
    per_host_due_cap: int = _f(10, "Feeds of one host taken per poll tick.", min=1)


@dataclass(frozen=True)
class ParseConfig:
    max_entries_per_feed: int = _f(500, "Entries read from one document; the rest are dropped.")
    max_field_chars: int = _f(200_000, "Longest text kept for one field (content, summary).")
    max_title_chars: int = _f(1000, "Longest title kept.")
    timeout_s: float = _f(20.0, "Parse time budget per document.", min=0.1)
    workers: int = _f(0, "Parse worker processes; 0: one per usable core, at most 2.", min=0)
    worker_memory_mb: int = _f(
        160,
        "Address-space cap of each parse worker, MiB (RLIMIT_AS): a document that needs more "
        "fails alone. 500 entries in 15 MB of Atom peak at ~140 MB; 0: no cap.",
        min=0,
    )


@dataclass(frozen=True)
class DedupeConfig:
    enabled: bool = _f(True, "Mark exact duplicates across feeds (GUID, canonical URL, hash).")
    near_duplicates: bool = _f(True, "Also mark near-duplicate text (MinHash-LSH).")
    window_days: int = _f(7, "Only items this recent are candidates for near-duplicates.", min=1)


@dataclass(frozen=True)
class ClusterConfig:
    backend: str = _f(
        "use",
        "Embedding backend for cross-lingual events: use (multilingual USE, default), e5 "
        "(optional extra), or none (same-language lexical clustering only).",
        choices=("use", "e5", "none"),
    )
    threads: int = _f(1, "BLAS/compute threads for the embedding model.", min=1)
    window_days: float = _f(3.0, "Events older than this (last update) take no new members.")


@dataclass(frozen=True)
class BridgesConfig:
    rsshub: str = _f(
        "https://rsshub.app",
        "Base URL of the RSSHub instance used for outlets without a feed. The public "
        "instance blocks readers: self-host one and set its URL here.",
    )


@dataclass(frozen=True)
class TranslateConfig:
    enabled: bool = _f(
        False,
        "Machine-translate the headline and summary of events no member covers in the other "
        "language (en <-> zh); marked as machine translation in every output.",
    )
    backend: str = _f(
        "libretranslate",
        "libretranslate (a LibreTranslate-compatible HTTP API, e.g. self-hosted) or argos "
        "(argostranslate in-process; install it with a zh<->en model).",
        choices=("libretranslate", "argos"),
    )
    url: str = _f("http://127.0.0.1:5000/", "Base URL of the LibreTranslate API.")
    api_key: str = _f("", "LibreTranslate API key, if the server wants one (never logged).")
    timeout_s: float = _f(
        20.0, "Longest wait for one translation; a slower backend only delays that one.", min=0.1
    )
    max_per_pass: int = _f(
        100, "Texts translated per background pass, at most (the rest wait for the next).", min=1
    )


@dataclass(frozen=True)
class TopicConfig:
    """One ``[[topics]]`` table: a subject gathered across languages."""

    slug: str = _f("", "File and URL name: topics/<slug>.atom, .rss, .json.")
    title: str = _f("", "Title of the topic's feeds and page section.")
    keywords: tuple[str, ...] = _f(
        [], "Words in any language; an event is in the topic when any member's title or lead "
        "contains one (Simplified/Traditional and case folded)."
    )
    exclude: tuple[str, ...] = _f([], "Words that keep a member out of the topic.")


@dataclass(frozen=True)
class ServerConfig:
    host: str = _f("127.0.0.1", "Address the HTTP server binds; loopback unless you mean it.")
    port: int = _f(8080, "HTTP port.", min=0)
    max_connections: int = _f(100, "Open client connections at once.", min=1)
    idle_timeout_s: float = _f(15.0, "Close a client connection idle this long.", min=0.1)
    write_timeout_s: float = _f(
        30.0, "Drop a client that has not taken a whole response in this long.", min=0.1
    )


@dataclass(frozen=True)
class DaemonConfig:
    tick_s: int = _f(
        60,
        "How often the daemon asks the store for due feeds; while a tick takes a full batch"
        " (fetch.concurrency × 8) the next starts at once.",
        min=1,
    )
    publish_interval_s: int = _f(300, "Rewrite the output feeds at least this often.", min=1)
    publish_min_gap_s: float = _f(
        30.0,
        "After a poll that stored something, rewrite the outputs only if the last rewrite is"
        " this old (else a later tick or the publish job does it).",
        min=0.0,
    )
    retention_days: int = _f(90, "Delete items and events older than this (0 keeps all).")
    checkpoint_interval_s: int = _f(300, "WAL checkpoint interval.", min=1)
    stop_timeout_s: float = _f(20.0, "On SIGTERM, wait this long for in-flight fetches.")
    health_grace_s: float = _f(
        600.0, "/healthz is not ok when no feed was fetched this long after start.", min=0.0
    )


@dataclass(frozen=True)
class LogConfig:
    level: str = _f("INFO", "Log level.", choices=("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True)
class Config:
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    parse: ParseConfig = field(default_factory=ParseConfig)
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    bridges: BridgesConfig = field(default_factory=BridgesConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    log: LogConfig = field(default_factory=LogConfig)
    translate: TranslateConfig = field(default_factory=TranslateConfig)
    #: ``[[topics]]`` tables (an array, not a section of keys).
    topics: tuple[TopicConfig, ...] = field(default=(), metadata={"array_of": TopicConfig})
    #: Folder of the config file; relative paths resolve against it. Not a TOML key.
    base_dir: Path = field(default=Path("."), metadata={"internal": True})
    #: ``$AGGREGATOR_STATE_DIR`` (set by the systemd unit): relative state paths — the store
    #: and the output folder — resolve against it instead. Not a TOML key.
    state_dir: Path | None = field(default=None, metadata={"internal": True})

    def resolve(self, p: str, *, state: bool = False) -> Path:
        path = Path(p).expanduser()
        if path.is_absolute():
            return path
        return (self.state_dir if state and self.state_dir else self.base_dir) / path

    @property
    def store_path(self) -> Path:
        return self.resolve(self.store.path, state=True)

    @property
    def publish_dir(self) -> Path:
        return self.resolve(self.publish.dir, state=True)

    @property
    def opml_path(self) -> Path:
        return self.resolve(self.feeds.opml)


def _coerce(path: str, value: Any, tp: Any, meta: typing.Mapping[str, Any]) -> Any:
    """Check ``value`` against the annotated type, allowing int → float."""
    origin = typing.get_origin(tp)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        value = float(value)
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {value!r}")
    elif origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: expected a list of strings, got {value!r}")
        value = tuple(value)
    else:  # pragma: no cover - a programming error in this module
        raise TypeError(f"unsupported config type {tp} for {path}")
    if "min" in meta and value < meta["min"]:
        raise ConfigError(f"{path}: must be at least {meta['min']}, got {value!r}")
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{path}: must be one of {', '.join(meta['choices'])}; got {value!r}")
    return value


def _build(cls: type[Any], data: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        where = f"[{prefix}]" if prefix else "top level"
        raise ConfigError(
            f"{prefix + '.' if prefix else ''}{unknown[0]}: unknown key in {where}; "
            f"known keys: {', '.join(sorted(fields))}"
        )
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        tp = hints[name]
        if "array_of" in fields[name].metadata:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError(f"{key}: expected [[{key}]] tables")
            sub = fields[name].metadata["array_of"]
            kwargs[name] = tuple(_build(sub, v, f"{key}[{i}]") for i, v in enumerate(value))
        elif dataclasses.is_dataclass(tp):
            if not isinstance(value, dict):
                raise ConfigError(f"{key}: expected a table [{key}]")
            kwargs[name] = _build(typing.cast(type, tp), value, key)
        else:
            kwargs[name] = _coerce(key, value, tp, fields[name].metadata)
    return cls(**kwargs)


def _check(cfg: Config) -> None:
    """Cross-field checks that types alone cannot express."""
    s = cfg.schedule
    if s.min_interval_s > s.max_interval_s:
        raise ConfigError("schedule.min_interval_s: must not exceed schedule.max_interval_s")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(cfg.feeds.default_timezone)
    except Exception as exc:
        raise ConfigError(
            f"feeds.default_timezone: unknown time zone {cfg.feeds.default_timezone!r}"
        ) from exc
    import ipaddress

    for net in cfg.fetch.allowed_networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError as exc:
            raise ConfigError(f"fetch.allowed_networks: {net!r} is not a CIDR range") from exc
    if not cfg.publish.base_url.endswith("/"):
        raise ConfigError("publish.base_url: must end with '/'")
    try:
        ZoneInfo(cfg.publish.digest_timezone)
    except Exception as exc:
        raise ConfigError(
            f"publish.digest_timezone: unknown time zone {cfg.publish.digest_timezone!r}"
        ) from exc
    _check_topics(cfg.topics)


def _check_topics(topics: tuple[TopicConfig, ...]) -> None:
    import re

    seen: set[str] = set()
    for i, t in enumerate(topics):
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", t.slug):
            raise ConfigError(
                f"topics[{i}].slug: lower-case letters, digits, - and _ only; got {t.slug!r}"
            )
        if t.slug in seen:
            raise ConfigError(f"topics[{i}].slug: {t.slug!r} is used twice")
        seen.add(t.slug)
        if not [k for k in t.keywords if k.strip()]:
            raise ConfigError(f"topics[{i}].keywords: give at least one keyword")


def load_config(path: str | os.PathLike[str] | None, *, must_exist: bool = False) -> Config:
    """Read and validate a config file. A missing file gives the embedded defaults unless
    ``must_exist`` (an explicit ``--config``)."""
    p = Path(path) if path is not None else Path("config.toml")
    env_state = os.environ.get("AGGREGATOR_STATE_DIR")
    state_dir = Path(env_state) if env_state else None
    if not p.exists():
        if must_exist:
            raise ConfigError(f"{p}: config file not found")
        cfg = Config(base_dir=p.resolve().parent, state_dir=state_dir)
        _check(cfg)
        return cfg
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{p}: not UTF-8 text") from exc
    cfg = _build(Config, data, "")
    cfg = dataclasses.replace(cfg, base_dir=p.resolve().parent, state_dir=state_dir)
    _check(cfg)
    return typing.cast(Config, cfg)


def from_dict(data: dict[str, Any], base_dir: Path | None = None) -> Config:
    """Build a config from a dict shaped like the TOML (tests, demo)."""
    cfg = _build(Config, data, "")
    cfg = dataclasses.replace(cfg, base_dir=base_dir or Path("."))
    _check(cfg)
    return typing.cast(Config, cfg)


def iter_settings(cfg: Config) -> typing.Iterator[tuple[str, Any, Any, str]]:
    """Yield ``(key_path, value, default, help)`` for every key, in declaration order."""
    for sect in dataclasses.fields(Config):
        if sect.metadata.get("internal") or "array_of" in sect.metadata:
            continue
        sub = getattr(cfg, sect.name)
        for f in dataclasses.fields(sub):
            default: Any = f.default
            if default is dataclasses.MISSING and callable(f.default_factory):
                default = f.default_factory()
            yield f"{sect.name}.{f.name}", getattr(sub, f.name), default, f.metadata["help"]


def to_toml(cfg: Config, *, with_help: bool = True) -> str:
    """Render the effective config as TOML (``check-config``)."""
    import json

    out: list[str] = []
    current = None
    for key, value, _default, help in iter_settings(cfg):
        sect, name = key.split(".", 1)
        if sect != current:
            out.append(f"\n[{sect}]")
            current = sect
        if with_help:
            out.append(f"# {help}")
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, tuple):
            rendered = json.dumps(list(value), ensure_ascii=False)
        elif isinstance(value, str):
            rendered = json.dumps(value, ensure_ascii=False)
        else:
            rendered = repr(value)
        out.append(f"{name} = {rendered}")
    for t in cfg.topics:
        out.append("\n[[topics]]")
        for f in dataclasses.fields(t):
            v = getattr(t, f.name)
            v = list(v) if isinstance(v, tuple) else v
            out.append(f"{f.name} = {json.dumps(v, ensure_ascii=False)}")
    return "\n".join(out).lstrip() + "\n"
