"""Store stage, schema: the numbered migrations that build the SQLite database (pure data
plus a statement splitter; :meth:`aggregator.store.core.Store.migrate` applies them, each in its
own transaction, and records them in ``schema_migrations``).

Append a new ``(version, name, sql)`` for every schema change; never edit an applied one.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    -- URL as listed in feeds.opml; url moves on a lasting 301/308, this does not.
    subscribed_url TEXT NOT NULL UNIQUE,
    title TEXT,
    site_url TEXT,
    lang TEXT,
    timezone TEXT,
    bridged TEXT,
    etag TEXT,
    last_modified TEXT,
    last_body_hash TEXT,
    next_check_at TEXT,
    last_fetched_at TEXT,
    last_success_at TEXT,
    last_new_item_at TEXT,
    last_status INTEGER,
    interval_s INTEGER,
    schedule_reason TEXT,
    error_count INTEGER NOT NULL DEFAULT 0,
    first_error_at TEXT,
    last_error TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    id_policy TEXT NOT NULL DEFAULT 'guid',
    added_at TEXT NOT NULL
);
CREATE INDEX feeds_due ON feeds(disabled, next_check_at);

-- AUTOINCREMENT: ids are never reused, because they become the tag: URIs readers key on.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    alt_title TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    item_count INTEGER NOT NULL DEFAULT 0,
    languages TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '[]',
    representative_item_id INTEGER
);
CREATE INDEX events_updated ON events(updated_at);

CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid TEXT NOT NULL,
    url TEXT,
    canonical_url TEXT,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    content_html TEXT NOT NULL DEFAULT '',
    content_text TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT 'und',
    author TEXT,
    published_at TEXT,
    fetched_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    content_hash TEXT NOT NULL,
    match_text TEXT NOT NULL DEFAULT '',
    enclosures TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    duplicate_of INTEGER REFERENCES items(id) ON DELETE SET NULL,
    event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
    UNIQUE (feed_id, guid)
);
CREATE INDEX items_canonical_url ON items(canonical_url);
CREATE INDEX items_content_hash ON items(content_hash);
CREATE INDEX items_duplicate_of ON items(duplicate_of);
CREATE INDEX items_event_id ON items(event_id);
CREATE INDEX items_fetched_at ON items(fetched_at);
CREATE INDEX items_published_at ON items(published_at);

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    rule TEXT NOT NULL,
    target_item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
    target_event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
    score REAL,
    features TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL
);
CREATE INDEX decisions_item ON decisions(item_id);

CREATE TABLE fetches (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    status INTEGER,
    bytes INTEGER,
    elapsed_ms REAL,
    not_modified INTEGER NOT NULL DEFAULT 0,
    parsed INTEGER NOT NULL DEFAULT 0,
    new_items INTEGER NOT NULL DEFAULT 0,
    updated_items INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX fetches_feed ON fetches(feed_id, started_at);

-- Wrong merges a user undid: never merge this pair again.
CREATE TABLE unmerges (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    target_item_id INTEGER,
    target_event_id INTEGER,
    stage TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX unmerges_item ON unmerges(item_id);

CREATE VIRTUAL TABLE items_fts USING fts5(
    title, content_text, content='items', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, title, content_text)
    VALUES (new.id, new.title, new.content_text);
END;
CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, content_text)
    VALUES ('delete', old.id, old.title, old.content_text);
END;
CREATE TRIGGER items_fts_au AFTER UPDATE OF title, content_text ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, content_text)
    VALUES ('delete', old.id, old.title, old.content_text);
    INSERT INTO items_fts(rowid, title, content_text)
    VALUES (new.id, new.title, new.content_text);
END;
""",
    ),
]


MIGRATIONS.append(
    (
        2,
        "item vectors for the event clusterer",
        """
-- Embedding of each clustered item (float32, L2-normalised), so a restart rebuilds the
-- clusterer's window without re-embedding; model names the embedder that made it.
CREATE TABLE item_vectors (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL
);
""",
    )
)


MIGRATIONS.append(
    (
        3,
        "permanent redirects must hold before the feed URL moves",
        """
-- Target of the last permanent (301/308) redirect chain and how many polls in a row saw it.
ALTER TABLE feeds ADD COLUMN redirect_url TEXT;
ALTER TABLE feeds ADD COLUMN redirect_count INTEGER NOT NULL DEFAULT 0;
""",
    )
)


MIGRATIONS.append(
    (
        4,
        "entry fingerprints of the last parsed document",
        """
-- Space-separated fingerprints of the entry segments of the last parsed document: a document
-- whose segments were all seen is not parsed again (only its channel header changed).
ALTER TABLE feeds ADD COLUMN entry_fingerprints TEXT;
""",
    )
)


MIGRATIONS.append(
    (
        5,
        "search index built from the items_search view (store.search)",
        """
-- Settings of the store itself (not user configuration): e.g. which layout items_fts has.
CREATE TABLE store_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- items_fts is rebuilt by aggregator.store.search_index.ensure_search_index right after the
-- migrations, from the view items_search, as [store] search says.
DROP TRIGGER IF EXISTS items_fts_ai;
DROP TRIGGER IF EXISTS items_fts_ad;
DROP TRIGGER IF EXISTS items_fts_au;
DROP TABLE IF EXISTS items_fts;
""",
    )
)


MIGRATIONS.append(
    (
        6,
        "a feed's newest items without a sort",
        """
-- The scheduler reads a feed's newest items on every poll (recent_publish_times, guid_by_link:
-- WHERE feed_id = ? ORDER BY id DESC LIMIT 20). Through the (feed_id, guid) index that was a
-- sort of all the feed's items: 2.4 ms per poll at 400 items, growing with the feed's age.
-- The two times are in the index so that the per-poll query reads no item rows (20 scattered
-- rows per poll): bench/pipeline.py at 1M items re-delivered 24.7k items per CPU-s before,
-- 75.5k after (bench/store_ablation.py variant index_without_times measures it on a copy).
CREATE INDEX items_feed_recent ON items(feed_id, id, published_at, fetched_at);
""",
    )
)


MIGRATIONS.append(
    (
        7,
        "clustering: lexical document frequencies",
        """
-- Document frequencies the clusterer's TF-IDF evidence learns online from the store's own
-- stream (aggregator.cluster.lexical.DocFreq): one row per term of the shared English-word
-- space; the row with term '' holds the number of documents counted. Bounded by the clusterer
-- (rare terms are forgotten past 200k terms, and their rows deleted).
CREATE TABLE lexical_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
""",
    )
)


MIGRATIONS.append(
    (
        8,
        "reader view: outlets, event views, translations, topic matches",
        """
-- The organisation behind one or more feeds (AP Top News and AP Politics are one outlet, AP):
-- set by the OPML attributes outlet/country, else inferred from the feed's registrable domain.
CREATE TABLE outlets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    country TEXT,
    languages TEXT NOT NULL DEFAULT '',
    homepage TEXT,
    domain TEXT,
    inferred INTEGER NOT NULL DEFAULT 0
);
ALTER TABLE feeds ADD COLUMN outlet_id INTEGER REFERENCES outlets(id) ON DELETE SET NULL;
-- Distinct outlets among all members (duplicates included): the one count readers see.
ALTER TABLE events ADD COLUMN outlet_count INTEGER NOT NULL DEFAULT 0;
-- What a reader sees of an event, as last published: story dates, headline and summary in
-- both languages, outlets. signature moves when a member joins or a headline/summary changes.
CREATE TABLE event_views (
    event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    signature TEXT NOT NULL,
    published_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    title_en TEXT,
    title_zh TEXT,
    summary_en TEXT,
    summary_zh TEXT,
    machine_translated TEXT NOT NULL DEFAULT '[]',
    outlets TEXT NOT NULL DEFAULT '[]',
    outlet_count INTEGER NOT NULL DEFAULT 0,
    item_count INTEGER NOT NULL DEFAULT 0,
    -- events.updated_at when this view was computed: a view older than its event is redone.
    event_updated_at TEXT
);
CREATE INDEX event_views_updated ON event_views(updated_at);
CREATE INDEX event_views_published ON event_views(published_at);
-- Machine translations, so republishing makes no call: one row per (text, languages, backend).
CREATE TABLE translations (
    text_hash TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    backend TEXT NOT NULL,
    translated TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (text_hash, source, target, backend)
);
-- Events in each [[topics]] entry of config.toml, with the member and keyword that matched.
CREATE TABLE topic_matches (
    topic TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,
    keyword TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (topic, event_id)
);
CREATE INDEX topic_matches_event ON topic_matches(event_id);
""",
    )
)


MIGRATIONS.append(
    (
        10,
        "feeds.opml is the subscription list: bridge routes, categories, unsubscribed feeds",
        """
-- RSSHub route of a bridged feed (bridged = 'rsshub'): a new [bridges] rsshub base rewrites
-- url/subscribed_url of the same row instead of adding a second subscription.
ALTER TABLE feeds ADD COLUMN bridge_route TEXT;
-- The OPML category (the enclosing outline's title), written back by `feeds export`.
ALTER TABLE feeds ADD COLUMN category TEXT;
-- Set when the feed's outline left feeds.opml: the feed is disabled, its items stay.
ALTER TABLE feeds ADD COLUMN unsubscribed_at TEXT;
""",
    )
)


MIGRATIONS.append(
    (
        11,
        "clusterer term counts per item",
        """
-- Lexical term counts of each clustered item (JSON object term -> count, from title + lead),
-- so loading the clustering window reads them instead of segmenting and glossing every
-- member again (issue 16: 3.4 s under cProfile of bench/peer.py's 2-new pass, 4,400 members).
CREATE TABLE item_terms (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    terms TEXT NOT NULL
);
""",
    )
)


MIGRATIONS.append(
    (
        12,
        "clusterer entity keys per item",
        """
-- Entity keys (cluster/evidence.py) of each clustered item: JSON [[headline keys], [lead-only
-- keys]], and the fingerprint of the extractor that made them (a changed extractor recomputes
-- them once). Loading the clustering window reads them instead of running the extractor on
-- every member (issue 16: ~0.9 s under cProfile of bench/peer.py's 2-new pass, 4,400 members).
CREATE TABLE item_evidence (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    extractor TEXT NOT NULL,
    keys TEXT NOT NULL
);
""",
    )
)


MIGRATIONS.append(
    (
        13,
        "event views remember what their texts were computed from",
        """
-- Digest of the members' fields and stored vectors an event's headlines and summaries were
-- computed from (publish/view.py members_key): a publish whose members digest to the same key
-- reuses the stored texts instead of recomputing them (issue 16: the reader view was ~40% of
-- a publish). NULL (views stored before this): recomputed once, as before.
ALTER TABLE event_views ADD COLUMN members_key TEXT;
""",
    )
)


MIGRATIONS.append(
    (
        14,
        "the search index's insert trigger stands aside inside the store's own write batches",
        """
-- items_fts_ai gains a WHEN condition: inside a write transaction of the daemon's own
-- connection (marked by a table in an in-memory schema attached to that connection only),
-- new rows are indexed in one statement before the commit (store/search_index.py
-- SearchBatch) instead of one trigger statement per item, each of which made FTS5 write a
-- segment (issue 16). Any other writer's rows are indexed by the trigger as before. Two
-- BEFORE triggers (items_fts_bd, items_fts_bu) index a batch's pending rows before a delete
-- or an update of an indexed column inside it. ensure_search_index creates the new and
-- missing triggers right after the migrations, in the form [store] search asks for; the
-- index itself is not rebuilt.
DROP TRIGGER IF EXISTS items_fts_ai;
""",
    )
)


def split_sql(script: str) -> list[str]:
    """Split a migration into statements; trigger bodies (BEGIN … END;) stay whole."""
    out: list[str] = []
    buf: list[str] = []
    in_trigger = False
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf.append(line)
        up = line.strip().upper()
        if up.startswith("CREATE TRIGGER"):
            in_trigger = True
        if (in_trigger and up == "END;") or (not in_trigger and up.endswith(";")):
            out.append("\n".join(buf))
            buf = []
            in_trigger = False
    if buf:
        out.append("\n".join(buf))
    return out
