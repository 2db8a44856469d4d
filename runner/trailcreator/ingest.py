"""Read trail objects with DuckDB and keep the records the resource map asks for.

One row per object read: its key, size, status (``ok`` or ``skipped`` with the reason),
how many records it held, and the mapped, successful records themselves as a list.  The
filter on (eventSource, eventName), on ``errorCode`` and on the date window runs inside
DuckDB's scan as a list lambda, so no Python touches a record.

A corrupt or truncated object makes DuckDB fail the whole statement, so objects are read
in batches on a private in-memory connection, and a failing batch is split in halves until
the bad objects stand alone: they are skipped and named, the rest loads.  Errors never
reach the dbt connection, whose transaction they would abort.

Used by the dbt Python model ``stg_cloudtrail__objects``; knows nothing of Click or c7n.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field

import duckdb

from . import engine, trail
from .errors import TrailcreatorError

log = logging.getLogger("trailcreator")

# The record fields the models use.  Typed columns mean DuckDB parses only these; the
# shapeless ones stay JSON.  Never rely on read_json's sampling (it fails on unseen keys).
RECORD_FIELDS = (
    ("eventVersion", "VARCHAR"),
    ("eventID", "VARCHAR"),
    ("eventTime", "VARCHAR"),
    ("eventSource", "VARCHAR"),
    ("eventName", "VARCHAR"),
    ("awsRegion", "VARCHAR"),
    ("recipientAccountId", "VARCHAR"),
    ("userAgent", "VARCHAR"),
    ("sourceIPAddress", "VARCHAR"),
    ("errorCode", "VARCHAR"),
    ("userIdentity", "JSON"),
    ("requestParameters", "JSON"),
    ("responseElements", "JSON"),
    ("additionalEventData", "JSON"),
    ("serviceEventDetails", "JSON"),
    ("resources", "JSON"),
)
RECORD_STRUCT = "STRUCT(" + ", ".join(f'"{n}" {t}' for n, t in RECORD_FIELDS) + ")"

OBJECTS_COLUMNS = f"""
    object_key VARCHAR, object_size BIGINT, object_etag VARCHAR, status VARCHAR, error VARCHAR,
    records_scanned BIGINT, map_fingerprint VARCHAR, read_at TIMESTAMP, events {RECORD_STRUCT}[]
"""

MAX_OBJECT_BYTES = 2**31 - 1          # one object is one JSON document; real ones exceed 16 MiB
BATCH_MAX_OBJECTS = 1000
BATCH_MAX_BYTES = 256 * 2**20         # compressed


def map_fingerprint(pairs: list[tuple[str, str]]) -> str:
    """Identifies the set of event types kept: when it changes, old objects must be read again."""
    text = "\n".join(f"{s} {n}" for s, n in sorted(set(pairs)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def record_filter(pairs: list[tuple[str, str]], window: trail.DateWindow | None) -> str:
    """The lambda body that keeps a record: successful, mapped, inside the window."""
    names = sorted({n for _, n in pairs})
    keys = sorted({f"{s} {n}" for s, n in pairs})
    cond = [
        "r.errorCode is null",
        f"list_contains({_sql_list(names)}, r.eventName)",
        f"list_contains({_sql_list(keys)}, r.eventSource || ' ' || r.eventName)",
    ]
    if window:
        cond += [f"r.eventTime >= '{window.event_time_from}'", f"r.eventTime < '{window.event_time_before}'"]
    return " and ".join(cond)


@dataclass
class ReadStats:
    objects: int = 0
    objects_skipped: int = 0
    bytes: int = 0
    records: int = 0
    events: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Progress:
    """Objects and bytes done, on stderr, at most every two seconds."""

    def __init__(self, total_objects: int, total_bytes: int, stream=None):
        self.total_objects, self.total_bytes = total_objects, total_bytes
        self.done_objects = self.done_bytes = 0
        self.stream = stream or sys.stderr
        self.started = self.last = time.monotonic()

    def add(self, objects: int, nbytes: int) -> None:
        self.done_objects += objects
        self.done_bytes += nbytes
        now = time.monotonic()
        if now - self.last >= 2 or self.done_objects == self.total_objects:
            self.last = now
            print(
                f"trailcreator: read {self.done_objects}/{self.total_objects} objects, "
                f"{self.done_bytes / 2**20:.1f}/{self.total_bytes / 2**20:.1f} MiB "
                f"({now - self.started:.0f}s)",
                file=self.stream,
                flush=True,
            )


def _reason(err: Exception, url: str) -> str:
    """DuckDB's message, first line, without the file name (the summary names the object)."""
    msg = str(err).splitlines()[0]
    msg = msg.replace(f'in file "{url}"', "").replace(url, "<object>")
    msg = re.sub(r"^[A-Za-z ]+Error: ", "", msg)
    return re.sub(r"\s+", " ", msg).strip()


class Reader:
    """A private in-memory DuckDB connection that reads objects into one result table."""

    def __init__(self, spec: trail.TrailSpec, pairs: list[tuple[str, str]], threads: int | None = None):
        self.con = duckdb.connect(config={"preserve_insertion_order": False})
        cores = os.cpu_count() or 2
        if spec.is_s3:
            engine.configure_s3(self.con, engine.s3_settings(spec.bucket))
            # one synchronous request per thread: many more threads than cores for remote reads
            self.con.execute(f"SET threads = {threads or max(16, cores * 8)}")
        elif threads:
            self.con.execute(f"SET threads = {threads}")
        self.fingerprint = map_fingerprint(pairs)
        self.filter = record_filter(pairs, spec.window)
        self.con.execute(f"CREATE TABLE raw (object_key VARCHAR, records_scanned BIGINT, has_records BOOLEAN, events {RECORD_STRUCT}[])")
        self.con.execute("CREATE TABLE failed (object_key VARCHAR, error VARCHAR)")
        self.stats = ReadStats()
        self.read_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")

    def _read(self, urls: list[str]) -> None:
        self.con.execute(
            f"""
            INSERT INTO raw
            SELECT filename, len(Records), Records IS NOT NULL, list_filter(Records, lambda r: {self.filter})
            FROM read_json($files, columns = {{'Records': '{RECORD_STRUCT}[]'}}, format = 'auto',
                           records = true, filename = true, maximum_object_size = {MAX_OBJECT_BYTES},
                           compression = 'auto_detect')
            """,
            {"files": urls},
        )

    def _read_isolating(self, urls: list[str]) -> None:
        try:
            self._read(urls)
        except duckdb.Error as e:
            if len(urls) == 1:
                self.con.execute("INSERT INTO failed VALUES (?, ?)", [urls[0], _reason(e, urls[0])])
                return
            if isinstance(e, (duckdb.HTTPException,)) and "403" in str(e):
                raise TrailcreatorError(f"S3 refused to read {urls[0]} (HTTP 403): check s3:GetObject permission") from None
            half = len(urls) // 2
            self._read_isolating(urls[:half])
            self._read_isolating(urls[half:])

    def read(self, objects: list[trail.TrailObject], progress: Progress | None = None) -> None:
        batch: list[trail.TrailObject] = []
        size = 0

        def flush():
            nonlocal batch, size
            if batch:
                self._read_isolating([o.url for o in batch])
                if progress:
                    progress.add(len(batch), size)
                batch, size = [], 0

        for obj in objects:
            if batch and (len(batch) >= BATCH_MAX_OBJECTS or size + obj.size > BATCH_MAX_BYTES):
                flush()
            batch.append(obj)
            size += obj.size
        flush()

    def write_parquet(self, objects: list[trail.TrailObject], path: str) -> ReadStats:
        """One row per listed object (read, skipped or empty) to a Parquet file; the stats."""
        self.con.execute("CREATE TEMP TABLE listing (object_key VARCHAR, object_size BIGINT, object_etag VARCHAR)")
        self.con.executemany("INSERT INTO listing VALUES (?, ?, ?)", [(o.url, o.size, o.etag) for o in objects])
        self.con.execute(
            f"""
            COPY (
                WITH read AS (
                    SELECT object_key, sum(records_scanned)::BIGINT AS records_scanned,
                           bool_or(has_records) AS has_records, flatten(list(events)) AS events
                    FROM raw GROUP BY object_key
                )
                SELECT l.object_key, l.object_size, l.object_etag,
                       CASE WHEN f.error IS NULL AND coalesce(r.has_records, false) THEN 'ok' ELSE 'skipped' END AS status,
                       CASE WHEN f.error IS NOT NULL THEN f.error
                            WHEN r.object_key IS NULL THEN 'empty object: no JSON document in it'
                            WHEN NOT r.has_records THEN 'not a CloudTrail log file: no "Records" list'
                       END AS error,
                       coalesce(r.records_scanned, 0) AS records_scanned,
                       '{self.fingerprint}' AS map_fingerprint,
                       TIMESTAMP '{self.read_at}' AS read_at,
                       CASE WHEN f.error IS NULL THEN coalesce(r.events, []) ELSE [] END::{RECORD_STRUCT}[] AS events
                FROM listing l
                LEFT JOIN read r USING (object_key)
                LEFT JOIN failed f USING (object_key)
            ) TO '{path}' (FORMAT parquet)
            """
        )
        rows = self.con.execute(
            f"""SELECT status, count(*), sum(object_size), sum(records_scanned), sum(len(events))
                FROM read_parquet('{path}') GROUP BY status"""
        ).fetchall()
        st = self.stats
        for status, n, nbytes, records, events in rows:
            if status == "ok":
                st.objects, st.records, st.events = n, int(records or 0), int(events or 0)
            else:
                st.objects_skipped = n
            st.bytes += int(nbytes or 0)
        st.skipped = self.con.execute(
            f"SELECT object_key, error FROM read_parquet('{path}') WHERE status = 'skipped' ORDER BY object_key"
        ).fetchall()
        return st

    def close(self) -> None:
        self.con.close()


# --- the dbt Python model's body --------------------------------------------------------


def _split(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [v for v in re.split(r"[,\s]+", str(value)) if v]


def spec_from_config(get) -> trail.TrailSpec:
    """The trail spec from the model's config (dbt vars or TRAILCREATOR_* environment variables)."""
    window = trail.parse_window(start=get("start_date") or None, end=get("end_date") or None)
    return trail.make_spec(get("trail") or "", _split(get("accounts")), _split(get("regions")), get("org_id") or None, window)


def run_model(dbt, session, config: dict, entries):
    """Body of ``stg_cloudtrail__objects``: read the objects not read before; return them."""
    if config.get("athena_result"):  # trailcreator load-athena: the input is a query's result CSV
        return run_model_athena_result(dbt, session, config, entries)
    spec = spec_from_config(config.get)
    pairs = [tuple(r) for r in entries.query("entries", "select distinct event_source, event_name from entries").fetchall()]
    fingerprint = map_fingerprint(pairs)

    known: dict[str, tuple[str, str]] = {}
    if dbt.is_incremental:
        for key, etag, fp in session.execute(f"select object_key, object_etag, map_fingerprint from {dbt.this}").fetchall():
            known[key] = (etag, fp)

    s3 = engine.s3_client() if spec.is_s3 else None
    if spec.is_s3:
        engine.s3_settings(spec.bucket)  # clear errors for a wrong bucket or missing credentials, before listing
    listed, ignored = trail.list_objects(spec, s3)
    stale = sum(1 for o in listed if o.url in known and known[o.url][1] != fingerprint)
    if stale:
        print(
            f"trailcreator: the resource map's event types changed since {stale} objects were read: reading them again",
            file=sys.stderr,
        )
    todo = [o for o in listed if o.url not in known or known[o.url] != (o.etag, fingerprint)]
    print(
        f"trailcreator: {len(listed)} trail objects listed, {len(listed) - len(todo)} already read, {len(todo)} to read",
        file=sys.stderr,
        flush=True,
    )
    for url, why in ignored:
        print(f"trailcreator: ignored {url}: {why}", file=sys.stderr)
    if not todo:
        session.execute(f"create or replace temp table __trailcreator_new_objects ({OBJECTS_COLUMNS})")
        return session.table("__trailcreator_new_objects")

    reader = Reader(spec, pairs, threads=int(config.get("read_threads") or 0) or None)
    try:
        reader.read(todo, Progress(len(todo), sum(o.size for o in todo)))
        with tempfile.TemporaryDirectory(prefix="trailcreator-") as tmp:
            path = os.path.join(tmp, "objects.parquet")
            reader.write_parquet(todo, path)
            session.execute(f"create or replace temp table __trailcreator_new_objects as select * from read_parquet('{path}')")
    finally:
        reader.close()
    return session.table("__trailcreator_new_objects")


# --- an Athena query's result as one more trail object (trailcreator load-athena) ---------------


def run_model_athena_result(dbt, session, config: dict, entries):
    """Body of ``stg_cloudtrail__objects`` when the input is a ``load-athena`` result CSV:
    one row for the CSV, holding its records in the same shape as a trail object's."""
    from . import athena

    url = config.get("athena_result")
    window = trail.parse_window(start=config.get("start_date") or None, end=config.get("end_date") or None)
    pairs = [tuple(r) for r in entries.query("entries", "select distinct event_source, event_name from entries").fetchall()]
    fingerprint = map_fingerprint(pairs)
    bucket, key = athena.parse_s3_url(url, "athena_result")
    head = engine.s3_client().head_object(Bucket=bucket, Key=key)
    result = athena.ResultObject(url, int(head.get("ContentLength", 0)), str(head.get("ETag", "")).strip('"'))

    if dbt.is_incremental:
        known = session.execute(f"select object_etag, map_fingerprint from {dbt.this} where object_key = ?", [url]).fetchall()
        if known and tuple(known[0]) == (result.etag, fingerprint):
            print(f"trailcreator: {url} already read", file=sys.stderr, flush=True)
            session.execute(f"create or replace temp table __trailcreator_new_objects ({OBJECTS_COLUMNS})")
            return session.table("__trailcreator_new_objects")

    cond = record_filter(pairs, window)
    accounts = _split(config.get("accounts"))
    if accounts:
        cond += f" and list_contains({_sql_list(accounts)}, r.recipientAccountId)"
    con = duckdb.connect(config={"preserve_insertion_order": False})
    try:
        engine.configure_s3(con, engine.s3_settings(bucket))
        read_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
        with tempfile.TemporaryDirectory(prefix="trailcreator-") as tmp:
            path = os.path.join(tmp, "objects.parquet")
            try:
                rows, kept = athena.copy_result_rows(con, result, cond, RECORD_STRUCT, fingerprint, read_at, path)
            except duckdb.Error as e:
                raise TrailcreatorError(f"cannot read the Athena result {url}: {_reason(e, url)}") from None
            print(f"trailcreator: read {url}: {rows} rows, {kept} create events kept", file=sys.stderr, flush=True)
            session.execute(f"create or replace temp table __trailcreator_new_objects as select * from read_parquet('{path}')")
    finally:
        con.close()
    return session.table("__trailcreator_new_objects")
