"""Read trail objects and keep the records the resource map asks for.

One row per object read: its key, size, status (``ok`` or ``skipped`` with the reason),
how many records it held, and the mapped, successful records themselves as a list.

Worker processes inflate each object and find the mapped records with one pass of a
regular expression (``scan.py``), so the 99% of records that are not creates are never
parsed; DuckDB fetches S3 objects (httpfs) and types and filters the records found on
(eventSource, eventName), ``errorCode`` and the date window.  A corrupt, truncated or
foreign object is skipped and named with the reason; the rest loads.  All of it happens on
a private in-memory DuckDB connection, so no error reaches the dbt connection.

Used by the dbt Python model ``stg_cloudtrail__objects``; knows nothing of Click or c7n.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

import duckdb

from . import engine, scan, trail
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

HIT_MAX_BYTES = 256 * 2**20            # one record found by the scan (a line of the hits file)
BATCH_MAX_OBJECTS = 1000
BATCH_MAX_BYTES = 64 * 2**20          # compressed bytes fetched from S3 at a time


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
    parsed_whole: int = 0   # objects the fast scan could not take, parsed whole instead


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
    """Reads objects and keeps the mapped, successful records of each.

    Worker processes inflate and scan the objects (``scan.py``); a private in-memory DuckDB
    connection fetches S3 objects (httpfs, the user's credentials) and turns the records found
    into typed rows, filtered on (eventSource, eventName), ``errorCode`` and the date window.
    """

    IN_PROCESS_BYTES = 8 * 2**20  # below this, a worker pool costs more than it saves

    def __init__(self, spec: trail.TrailSpec, pairs: list[tuple[str, str]], threads: int | None = None,
                 workers: int | None = None):
        self.spec = spec
        self.con = duckdb.connect(config={"preserve_insertion_order": False})
        cores = os.cpu_count() or 2
        if spec.is_s3:
            engine.configure_s3(self.con, engine.s3_settings(spec.bucket))
            # one synchronous request per thread: many more threads than cores for remote reads
            self.con.execute(f"SET threads = {threads or max(16, cores * 8)}")
        elif threads:
            self.con.execute(f"SET threads = {threads}")
        self.workers = workers or cores
        self.names = sorted({n for _, n in pairs})
        self.fingerprint = map_fingerprint(pairs)
        self.filter = record_filter(pairs, spec.window)
        self.tmp = tempfile.mkdtemp(prefix="trailcreator-read-")
        self.hits_path = os.path.join(self.tmp, "hits.ndjson")
        self.hits = open(self.hits_path, "wb")
        self.status: list[tuple[str, str, str | None, int, bool]] = []
        self.stats = ReadStats()
        self.read_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")

    # -- fetching (S3: DuckDB httpfs; local: the workers open the files) --

    def _fetch(self, urls: list[str]) -> list[tuple[str, bytes | None, str | None]]:
        """(url, bytes, None) per object, or (url, None, reason) for one S3 would not give."""
        try:
            got = dict(self.con.execute("SELECT filename, content FROM read_blob($files)", {"files": urls}).fetchall())
            return [(u, got[u], None) for u in urls]
        except duckdb.Error as e:
            if len(urls) == 1:
                return [(urls[0], None, _reason(e, urls[0]))]
            if "403" in str(e):
                raise TrailcreatorError(f"S3 refused to read {urls[0]} (HTTP 403): check s3:GetObject permission") from None
            half = len(urls) // 2
            return self._fetch(urls[:half]) + self._fetch(urls[half:])

    def _batches(self, objects: list[trail.TrailObject]):
        batch, size = [], 0
        for obj in objects:
            if batch and (len(batch) >= BATCH_MAX_OBJECTS or size + obj.size > BATCH_MAX_BYTES):
                yield batch
                batch, size = [], 0
            batch.append(obj)
            size += obj.size
        if batch:
            yield batch

    def _collect(self, res: "scan.ScanResult", size: int, progress: Progress | None) -> None:
        self.status.append((res.url, res.status, res.error, res.records, res.fast))
        key = json.dumps(res.url).encode()
        for hit in res.hits:
            self.hits.write(b'{"k":' + key + b',"r":' + hit + b"}\n")
        if progress:
            progress.add(1, size)

    def read(self, objects: list[trail.TrailObject], progress: Progress | None = None) -> None:
        sizes = {o.url: o.size for o in objects}
        total = sum(sizes.values())
        if total <= self.IN_PROCESS_BYTES or self.workers <= 1:
            pattern = scan.name_pattern(self.names)
            for batch in self._batches(objects):
                for url, data, err in self._fetched(batch):
                    res = scan.ScanResult(url, "skipped", err) if err else scan.scan(url, data, self.names, pattern)
                    self._collect(res, sizes[url], progress)
            return
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=scan.init_worker, initargs=(self.names,)
        ) as pool:
            pending: set = set()
            chunk: list[str] = []
            for batch in self._batches(objects):
                for url, data, err in self._fetched(batch):
                    if err:
                        self._collect(scan.ScanResult(url, "skipped", err), sizes[url], progress)
                    elif data is None:  # local: the worker opens the file; several per task saves IPC
                        chunk.append(url)
                        if len(chunk) >= 8:
                            pending.add(pool.submit(scan.scan_many_in_worker, chunk))
                            chunk = []
                    else:
                        pending.add(pool.submit(scan.scan_many_in_worker, [url], [data]))
                if chunk:
                    pending.add(pool.submit(scan.scan_many_in_worker, chunk))
                    chunk = []
                # Keep about one batch in flight beyond the one being fetched: bounded memory.
                while len(pending) > BATCH_MAX_OBJECTS:
                    done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                    for f in done:
                        for res in f.result():
                            self._collect(res, sizes[res.url], progress)
            for f in concurrent.futures.as_completed(pending):
                for res in f.result():
                    self._collect(res, sizes[res.url], progress)

    def _fetched(self, batch: list[trail.TrailObject]):
        if self.spec.is_s3:
            return self._fetch([o.url for o in batch])
        return [(o.url, None, None) for o in batch]

    def write_parquet(self, objects: list[trail.TrailObject], path: str) -> ReadStats:
        """One row per listed object (read or skipped) to a Parquet file; the stats."""
        self.hits.close()
        con = self.con
        # The listing and each object's outcome reach DuckDB as a file: binding Python lists
        # as parameters costs seconds per thousand objects.
        status_path = os.path.join(self.tmp, "status.ndjson")
        by_url = {o.url: o for o in objects}
        with open(status_path, "w") as f:
            for url, status, error, records, fast in self.status:
                o = by_url[url]
                f.write(json.dumps({"object_key": url, "object_size": o.size, "object_etag": o.etag, "status": status,
                                    "error": error, "records_scanned": records, "fast": fast}) + "\n")
        con.execute(
            """CREATE TEMP TABLE status AS SELECT * FROM read_json($path, format = 'newline_delimited', columns = {
                   'object_key': 'VARCHAR', 'object_size': 'BIGINT', 'object_etag': 'VARCHAR', 'status': 'VARCHAR',
                   'error': 'VARCHAR', 'records_scanned': 'BIGINT', 'fast': 'BOOLEAN'})""",
            {"path": status_path},
        )
        con.execute(f"CREATE TEMP TABLE hits (k VARCHAR, r {RECORD_STRUCT})")
        if os.path.getsize(self.hits_path):
            con.execute(
                f"""INSERT INTO hits SELECT k, r FROM read_json($path, columns = {{'k': 'VARCHAR', 'r': '{RECORD_STRUCT}'}},
                        format = 'newline_delimited', maximum_object_size = {HIT_MAX_BYTES})""",
                {"path": self.hits_path},
            )
        con.execute(
            f"""
            COPY (
                WITH events AS (
                    SELECT k AS object_key, list(r) FILTER (WHERE {self.filter}) AS events
                    FROM hits GROUP BY k
                )
                SELECT s.object_key, s.object_size, s.object_etag, s.status, s.error, s.records_scanned,
                       '{self.fingerprint}' AS map_fingerprint,
                       TIMESTAMP '{self.read_at}' AS read_at,
                       coalesce(e.events, [])::{RECORD_STRUCT}[] AS events
                FROM status s
                LEFT JOIN events e USING (object_key)
            ) TO '{path}' (FORMAT parquet)
            """
        )
        st = self.stats
        for status, n, nbytes, records, events in con.execute(
            f"""SELECT status, count(*), sum(object_size), sum(records_scanned), sum(len(events))
                FROM read_parquet('{path}') GROUP BY status"""
        ).fetchall():
            if status == "ok":
                st.objects, st.records, st.events = n, int(records or 0), int(events or 0)
            else:
                st.objects_skipped = n
            st.bytes += int(nbytes or 0)
        st.skipped = con.execute(
            f"SELECT object_key, error FROM read_parquet('{path}') WHERE status = 'skipped' ORDER BY object_key"
        ).fetchall()
        st.parsed_whole = sum(1 for row in self.status if row[1] == "ok" and not row[4])
        return st

    def close(self) -> None:
        if not self.hits.closed:
            self.hits.close()
        self.con.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


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
