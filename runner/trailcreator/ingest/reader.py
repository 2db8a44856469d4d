"""Read the trail objects not read before into the DuckDB file, in committed batches.

Three tables in the ``ingest`` schema of the DuckDB file hold what was read; dbt reads them
(``stg_cloudtrail__objects``, ``stg_cloudtrail__events``):

- ``ingest.objects``: the ledger, one row per object listed and read (or skipped, with the
  reason): key, size, etag, status, records scanned, kept and unusable (with the reasons),
  the map fingerprint it was read with, and the run that read it.
- ``ingest.records``: one row per kept record (a successful call of a mapped
  (eventSource, eventName) pair), with the key of the object that held it.
- ``ingest.runs``: one row per run: what it listed and read.

Rules that make incremental loads equal a full load of the same objects:

- The date window picks which delivery folders are listed (``listing.py``); an object once
  read contributes all its kept records, whatever their event time.
- An object is read again only when its etag or the map's event types changed (its old
  records are replaced in the same transaction), or when it could not be fetched.
- Progress is committed in batches: records and ledger rows of a batch in one transaction.
  A load killed at any point reads again only the objects of the batch it was in.

Memory does not grow with the trail: the listing is written to a temporary DuckDB table (through
a file), compared with the ledger there, and the objects to read stream back from a file; only
the objects in flight are held in Python.

Objects are fetched by their exact key (S3: boto3 ``GetObject`` in a pool of threads sized
for latency; local: opened by the workers), inflated and scanned in worker processes
(``scan.py``), and the kept records go to DuckDB as newline-delimited JSON, a batch in files of
8 MiB (each read in a buffer pool sized for it: long records need ~12x their size).

Knows nothing of Click, dbt or c7n.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

import duckdb

from .. import aws
from ..errors import TrailcreatorError
from . import listing, s3, scan

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

SCHEMA = "ingest"
DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.objects (
        object_key VARCHAR PRIMARY KEY, object_size BIGINT, object_etag VARCHAR,
        status VARCHAR, error VARCHAR, records_scanned BIGINT, records_kept BIGINT,
        records_unusable BIGINT, unusable_reasons VARCHAR, map_fingerprint VARCHAR,
        run_id VARCHAR, read_at TIMESTAMP)""",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.records (object_key VARCHAR, "
    + ", ".join(f'"{n}" {t}' for n, t in RECORD_FIELDS) + ")",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.runs (
        run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, trail VARCHAR,
        objects_listed BIGINT, objects_to_read BIGINT)""",
    # key/value state: the ledger's generation (bumped by every commit) and what the models were built from
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.state (key VARCHAR PRIMARY KEY, value VARCHAR)",
)

# A batch's commit costs ~10 ms whatever its size (the ledger's generation, the transaction), so
# small objects (a quiet region's few records) are committed 1,000 at a time; objects of
# hundreds of records reach the kept-records bound first.
BATCH_MAX_OBJECTS = 1000                # a kill loses at most two batches: one collected, one being written
BATCH_MAX_HIT_BYTES = 32 * 2**20        # kept records buffered before a commit
HITS_FILE_BYTES = 8 * 2**20             # kept records per read_json call (a batch's are split in files)
IN_PROCESS_BYTES = 8 * 2**20            # below this, a worker pool costs more than it saves
TASK_MAX_OBJECTS = 128                  # local objects per worker task: one round trip for several objects,
TASK_MAX_BYTES = 2 * 2**20              # ... up to this many bytes of them (a large object is a task of its own)

# DuckDB while reading (restored after): a bounded buffer pool keeps the reader's memory flat
# however long the trail (the blocks go to the file instead); one thread, since the worker
# processes have the cores and each parsing thread holds a buffer for the longest record; and
# a checkpoint every 256 MiB of log rather than every 16 MiB, since each checkpoint costs more
# as the table grows (x10 trail: 9 CPU-s of checkpoints at 16 MiB; the log itself is durable).
READ_POOL = 128 * 2**20
INGEST_SETTINGS = {"memory_limit": f"{READ_POOL // 2**20}MiB", "threads": "1", "checkpoint_threshold": "256MiB",
                   "preserve_insertion_order": "false"}


def pool_for(nbytes: int) -> str:
    """The buffer pool read_json needs for a file of ``nbytes`` of kept records: its 64 MiB line
    buffer and ~12x the records (long strings cost most: measured, one 15 MiB record needs 256 MiB,
    four of 2 MiB beside 6 MB of small ones 192 MiB); never less than the reading pool."""
    return f"{max(READ_POOL, 64 * 2**20 + 12 * nbytes) // 2**20}MiB"


def map_fingerprint(pairs) -> str:
    """Identifies the set of event types kept: when it changes, old objects must be read again."""
    text = "\n".join(f"{s} {n}" for s, n in sorted(set(pairs)))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def get_state(con, key: str) -> str | None:
    row = con.execute(f"SELECT value FROM {SCHEMA}.state WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_state(con, key: str, value: str) -> None:
    con.execute(f"INSERT OR REPLACE INTO {SCHEMA}.state VALUES (?, ?)", [key, value])


def forget_all(con) -> None:
    """Empty the ledger and the records: the next read takes every object again."""
    con.execute("BEGIN TRANSACTION")
    con.execute(f"DELETE FROM {SCHEMA}.records")
    con.execute(f"DELETE FROM {SCHEMA}.objects")
    set_state(con, "generation", str(generation(con) + 1))
    con.execute("COMMIT")


def generation(con) -> int:
    """Bumped by every commit that changes the ledger: the models are stale when it moved."""
    return int(get_state(con, "generation") or 0)


def run_that_read(duckdb_path: str, key: str) -> str | None:
    """The run that read the object ``key`` into the DuckDB file, if any."""
    if not os.path.exists(duckdb_path):
        return None
    con = duckdb.connect(duckdb_path)
    try:
        if not con.execute(f"select 1 from duckdb_tables() where schema_name = '{SCHEMA}' and table_name = 'objects'").fetchone():
            return None
        row = con.execute(f"select run_id from {SCHEMA}.objects where object_key = ?", [key]).fetchone()
        return row[0] if row else None
    finally:
        con.close()


@dataclass
class RunStats:
    """What one run read, from the ledger rows it wrote (never from a clock)."""

    run_id: str = ""
    objects_listed: int = 0
    objects_read: int = 0
    objects_skipped: int = 0
    objects_unfetched: int = 0          # of the skipped: S3 would not give them (read again next run)
    bytes_read: int = 0
    records_scanned: int = 0
    records_kept: int = 0
    records_unusable: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)        # (object, reason)
    unusable: list[tuple[str, int, str]] = field(default_factory=list)  # (object, records, reasons)
    ignored: list[tuple[str, str]] = field(default_factory=list)        # listed, not log files
    parsed_whole: int = 0                                               # objects the fast scan could not take


def run_stats(con, run_id: str) -> RunStats:
    st = RunStats(run_id=run_id)
    row = con.execute(
        f"""SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status <> 'ok'),
                   count(*) FILTER (WHERE status = 'unreadable'), coalesce(sum(object_size), 0), coalesce(sum(records_scanned), 0),
                   coalesce(sum(records_kept), 0), coalesce(sum(records_unusable), 0)
            FROM {SCHEMA}.objects WHERE run_id = ?""",
        [run_id],
    ).fetchone()
    (st.objects_read, st.objects_skipped, st.objects_unfetched, st.bytes_read, st.records_scanned, st.records_kept,
     st.records_unusable) = map(int, row)
    st.skipped = con.execute(
        f"SELECT object_key, error FROM {SCHEMA}.objects WHERE run_id = ? AND status <> 'ok' ORDER BY 1", [run_id]
    ).fetchall()
    st.unusable = con.execute(
        f"""SELECT object_key, records_unusable, unusable_reasons FROM {SCHEMA}.objects
            WHERE run_id = ? AND records_unusable > 0 ORDER BY 1""", [run_id]
    ).fetchall()
    row = con.execute(f"SELECT objects_listed FROM {SCHEMA}.runs WHERE run_id = ?", [run_id]).fetchone()
    st.objects_listed = int(row[0]) if row else 0
    return st


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


# --- the batch writer ---------------------------------------------------------------------


class BatchWriter:
    """Collects scan results into batch files; a writer thread commits each batch (records and
    ledger rows in one transaction) while the next one is collected, so reading never waits
    for DuckDB except when two batches are ready at once."""

    def __init__(self, con, run_id: str, fingerprint: str, tmpdir: str):
        self.con, self.run_id, self.fingerprint, self.tmpdir = con, run_id, fingerprint, tmpdir
        # the objects handed to the reader and not yet collected: url -> (object, read before)
        self.in_flight: dict[str, tuple[listing.TrailObject, bool]] = {}
        self.parsed_whole = self.committed = self.batches = 0
        self.error: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.thread = threading.Thread(target=self._write_loop, name="trailcreator-batch-writer", daemon=True)
        self.thread.start()
        self._open()

    def _open(self) -> None:
        self.batches += 1
        self.dir = os.path.join(self.tmpdir, f"batch-{self.batches}")
        os.mkdir(self.dir)
        self.hit_files = 0
        self._next_hits_file()
        self.rows: list[dict] = []
        self.reread: list[str] = []     # objects of the batch read before: their old records go
        self.hit_bytes = 0

    def _next_hits_file(self) -> None:
        self.hit_files += 1
        self.hits = open(os.path.join(self.dir, f"hits-{self.hit_files}.ndjson"), "wb")
        self.file_bytes = 0

    def feed(self, todo):
        """``todo``'s objects, each noted as in flight as the reader takes it."""
        for obj, read_before in todo:
            self.in_flight[obj.url] = (obj, read_before)
            yield obj

    def add(self, res: scan.ScanResult) -> listing.TrailObject:
        obj, read_before = self.in_flight.pop(res.url)
        if res.status == "stopped":  # never fetched: no ledger row, so the next run reads it
            return obj
        key = json.dumps(res.url).encode()
        for hit in res.hits:
            if self.file_bytes >= HITS_FILE_BYTES:  # one object's records may span files
                self.hits.close()
                self._next_hits_file()
            self.hits.write(b'{"k":' + key + b',"r":' + hit + b"}\n")
            self.hit_bytes += len(hit)
            self.file_bytes += len(hit)
        if res.status == "ok" and not res.fast:
            self.parsed_whole += 1
        if read_before:
            self.reread.append(res.url)
        self.rows.append({
            "object_key": res.url, "object_size": obj.size, "object_etag": obj.etag, "status": res.status,
            "error": res.error, "records_scanned": res.records, "records_kept": len(res.hits),
            "records_unusable": sum(res.unusable.values()),
            "unusable_reasons": "; ".join(f"{n} {why}" for why, n in sorted(res.unusable.items())) or None,
        })
        if len(self.rows) >= BATCH_MAX_OBJECTS or self.hit_bytes >= BATCH_MAX_HIT_BYTES:
            self.flush()
        return obj

    def flush(self) -> None:
        """Hand the batch being collected to the writer thread (waits while it writes the previous one)."""
        if self.error:
            raise self.error
        if not self.rows:
            return
        self.hits.close()
        with open(os.path.join(self.dir, "status.ndjson"), "w") as f:
            for row in self.rows:
                f.write(json.dumps(row) + "\n")
        self.queue.put((self.dir, self.reread))
        self._open()

    def close(self, wait: bool = True) -> None:
        """Commit what is collected (``wait``) or drop it (after an error), and stop the writer."""
        try:
            if wait:
                self.flush()
        finally:
            self.hits.close()
            self.queue.put(None)
            self.thread.join()
        if wait and self.error:
            raise self.error

    def _write_loop(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._commit(*item)
                except BaseException as e:  # raised in the reading thread at its next flush
                    self.error = e
            shutil.rmtree(item[0], ignore_errors=True)

    def _commit(self, batch_dir: str, stale: list[str]) -> None:
        con = self.con
        status = os.path.join(batch_dir, "status.ndjson")
        hit_files = [f for f in os.listdir(batch_dir) if f.startswith("hits-")]
        con.execute("BEGIN TRANSACTION")
        try:
            if stale:  # objects read before: their old records and ledger rows go
                con.execute(f"DELETE FROM {SCHEMA}.records WHERE list_contains($keys, object_key)", {"keys": stale})
                con.execute(f"DELETE FROM {SCHEMA}.objects WHERE list_contains($keys, object_key)", {"keys": stale})
            pool = INGEST_SETTINGS["memory_limit"]
            for name in hit_files:
                hits = os.path.join(batch_dir, name)
                if not os.path.getsize(hits):
                    continue
                if pool_for(os.path.getsize(hits)) != pool:
                    pool = pool_for(os.path.getsize(hits))
                    con.execute(f"SET memory_limit = '{pool}'")
                con.execute(
                    f"""INSERT INTO {SCHEMA}.records
                        SELECT k, r.* FROM read_json($path, format = 'newline_delimited',
                            columns = {{'k': 'VARCHAR', 'r': '{RECORD_STRUCT}'}}, maximum_object_size = {2 * scan.MAX_RECORD_BYTES})""",
                    {"path": hits},
                )
            if pool != INGEST_SETTINGS["memory_limit"]:
                con.execute(f"SET memory_limit = '{INGEST_SETTINGS['memory_limit']}'")
            n = con.execute(  # a plain insert: the rows of objects read before were deleted above
                f"""INSERT INTO {SCHEMA}.objects
                    SELECT object_key, object_size, object_etag, status, error, records_scanned, records_kept,
                           records_unusable, unusable_reasons, $fp, $run, $now
                    FROM read_json($path, format = 'newline_delimited', columns = {{
                        'object_key': 'VARCHAR', 'object_size': 'BIGINT', 'object_etag': 'VARCHAR',
                        'status': 'VARCHAR', 'error': 'VARCHAR', 'records_scanned': 'BIGINT',
                        'records_kept': 'BIGINT', 'records_unusable': 'BIGINT', 'unusable_reasons': 'VARCHAR'}})""",
                {"path": status, "fp": self.fingerprint, "run": self.run_id, "now": _now()},
            ).fetchone()[0]
            set_state(con, "generation", str(generation(con) + 1))
            con.execute("COMMIT")
        except BaseException:
            try:  # after a failed write (a full disk) there may be no transaction left to roll back
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise
        self.committed += n
        log.debug("committed objects:%d of this run", self.committed)


# --- the reader ---------------------------------------------------------------------------------


class Reader:
    """Fetches, inflates and scans objects; yields their ScanResults in completion order.

    Local objects are opened by the worker processes, several per task.  S3 objects are
    fetched by a pool of threads (requests in flight sized for latency, not for cores), each
    handing its object to a worker process and waiting for the result, so at most ``threads``
    objects are in memory at once."""

    def __init__(self, wanted: scan.Wanted, *, fetch=None, workers: int | None = None, threads: int = 64,
                 max_inflated: int = scan.DEFAULT_MAX_INFLATED, principal=None):
        self.wanted, self.fetch, self.threads, self.max_inflated = wanted, fetch, threads, max_inflated
        self.principal = principal      # who the credentials are, asked only when they fail
        self.workers = workers or os.cpu_count() or 2

    def results(self, objects, total_bytes: int):
        """ScanResults of ``objects`` (any iterable: it is consumed as the reading goes)."""
        if total_bytes <= IN_PROCESS_BYTES or self.workers <= 1:
            yield from self._in_process(objects)
            return
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(
            self.workers, mp_context=ctx, initializer=scan.init_worker,
            initargs=(self.wanted, self.max_inflated, os.getpid()),
        ) as pool:
            if self.fetch is None:
                tasks = (
                    (lambda chunk=chunk: pool.submit(scan.scan_many_in_worker, [o.url for o in chunk]))
                    for chunk in _chunks(objects, TASK_MAX_OBJECTS, TASK_MAX_BYTES)
                )
                yield from _bounded(tasks, 4 * self.workers)
            else:
                with concurrent.futures.ThreadPoolExecutor(self.threads) as fetchers:
                    def fetch_and_scan(url: str) -> list[scan.ScanResult]:
                        data, err, status = self.fetch(url)
                        if err:
                            return [scan.ScanResult(url, status, err)]
                        return pool.submit(scan.scan_many_in_worker, [url], [data]).result()

                    tasks = ((lambda o=o: fetchers.submit(fetch_and_scan, o.url)) for o in objects)
                    try:
                        yield from _bounded(tasks, 2 * self.threads)
                    finally:  # the workers end before the fetcher threads that spawned them (see scan.die_with_parent)
                        pool.shutdown(wait=True, cancel_futures=True)

    def _in_process(self, objects):
        for o in objects:
            if self.fetch is None:
                yield scan.scan(o.url, None, self.wanted, self.max_inflated)
                continue
            data, err, status = self.fetch(o.url)
            yield (scan.ScanResult(o.url, status, err) if err
                   else scan.scan(o.url, data, self.wanted, self.max_inflated))


def _chunks(objects, max_objects: int, max_bytes: int):
    """Consecutive runs of ``objects`` of at most ``max_objects`` and (but for a run of one) ``max_bytes``."""
    chunk, nbytes = [], 0
    for o in objects:
        if chunk and (len(chunk) >= max_objects or nbytes + o.size > max_bytes):
            yield chunk
            chunk, nbytes = [], 0
        chunk.append(o)
        nbytes += o.size
    if chunk:
        yield chunk


def _bounded(tasks, limit: int):
    """Start tasks (callables returning futures of result lists) with at most ``limit`` pending;
    yield each result as its future completes.  When one fails (or the consumer stops), the
    tasks not started are cancelled: nothing more is fetched."""
    pending: set = set()
    try:
        for start in tasks:
            pending.add(start())
            if len(pending) >= limit:
                done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for f in done:
                    yield from f.result()
        while pending:
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for f in done:
                yield from f.result()
    finally:
        for f in pending:
            f.cancel()


BATCH_DIR_PREFIX = "trailcreator-batch-"


def _read(con, reader: Reader, todo, n_todo: int, todo_bytes: int, run_id: str, fingerprint: str, tmp: str,
          stream) -> int:
    """Read ``todo`` ((object, read before) pairs, streamed) through ``reader`` into committed
    batches; the number of objects parsed whole."""
    before = {k: con.execute("SELECT current_setting(?)", [k]).fetchone()[0] for k in INGEST_SETTINGS}
    for k, v in INGEST_SETTINGS.items():
        con.execute(f"SET {k} = '{v}'")
    progress = Progress(n_todo, todo_bytes, stream)
    writer = BatchWriter(con, run_id, fingerprint, tmp)
    try:
        for res in reader.results(writer.feed(todo), todo_bytes):
            progress.add(1, writer.add(res).size)
    except s3.RunFault as fault:
        writer.close()  # what was read whole before the fault is kept
        _restore(con, before)
        raise _stopped(con, fault, run_id, n_todo, reader.principal) from None
    except BaseException:
        writer.close(wait=False)
        with contextlib.suppress(duckdb.Error):  # a failed write may have invalidated the database:
            _restore(con, before)                # the error that did it is the one to report
        raise
    writer.close()
    con.execute("CHECKPOINT")  # within the bounds above, not at the next connection's close
    _restore(con, before)
    return writer.parsed_whole


def _restore(con, settings: dict) -> None:
    for k, v in settings.items():
        con.execute(f"SET {k} = '{v}'")


def _stopped(con, fault: s3.RunFault, run_id: str, n_todo: int, principal) -> TrailcreatorError:
    """The one line for a load stopped by its credentials: the error, who, what is left."""
    done = con.execute(f"SELECT count(*) FROM {SCHEMA}.objects WHERE run_id = ? AND status <> 'unreadable'",
                       [run_id]).fetchone()[0]
    who = principal() if principal else "the session's credentials"
    return TrailcreatorError(
        f"the load stopped: S3 refused {who} ({fault}) at {fault.where}; "
        f"{n_todo - done} of the {n_todo} objects to read are still unread (the {done} read are kept) and "
        f"nothing was built or exported; renew the credentials or grant the access, then run again: "
        f"the next run reads only what is left")


def _list_into(con, spec: listing.TrailSpec, client, threads: int, path: str, stream) -> tuple[int, list]:
    """List the trail into the temporary table ``listed`` (through ``path``, a file, so that no
    list of the whole trail is held in memory); (log files listed, ignored objects)."""
    n, ignored, notes = 0, [], []
    with open(path, "wb", buffering=2**20) as f:
        for obj in listing.iter_objects(spec, client, threads, notes):
            if listing.is_log_file(obj):
                f.write(scan._dumps({"url": obj.url, "size": obj.size, "etag": obj.etag}) + b"\n")
                n += 1
            else:
                ignored.append((obj.url, listing.NOT_A_LOG_FILE))
                print(f"trailcreator: ignored {obj.url}: {listing.NOT_A_LOG_FILE}", file=stream)
    for note in notes:
        print(f"trailcreator: {note}", file=stream)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE listed AS SELECT * FROM read_json($path, format = 'newline_delimited',
                    columns = {{'url': 'VARCHAR', 'size': 'BIGINT', 'etag': 'VARCHAR'}})""", {"path": path})
    return n, ignored


def _todo(con, fingerprint: str, path: str, root: str) -> tuple[int, int, int]:
    """The listed objects to read (never read, changed, unreadable last time, or read for
    another map), and the objects of the trail at ``root`` that could not be fetched by an
    earlier run with another date window, written to ``path`` in key order; (objects, bytes,
    read for another map)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE todo AS
        SELECT l.url, l.size, l.etag, o.object_key IS NOT NULL AS read_before,
               coalesce(o.map_fingerprint <> $fp, false) AS stale
        FROM listed l LEFT JOIN {SCHEMA}.objects o ON o.object_key = l.url
        WHERE o.object_key IS NULL OR o.status = 'unreadable'
           OR o.object_etag IS DISTINCT FROM l.etag OR o.map_fingerprint IS DISTINCT FROM $fp
        UNION ALL
        SELECT object_key, object_size, object_etag, true, false FROM {SCHEMA}.objects
        WHERE status = 'unreadable' AND starts_with(object_key, $root)
          AND object_key NOT IN (SELECT url FROM listed)""", {"fp": fingerprint, "root": root.rstrip("/") + "/"})
    con.execute("COPY (SELECT url, size, etag, read_before FROM todo ORDER BY url) TO $path (FORMAT json)",
                {"path": path})
    n, nbytes, stale = con.execute("SELECT count(*), coalesce(sum(size), 0), count(*) FILTER (stale) FROM todo").fetchone()
    con.execute("DROP TABLE todo")
    con.execute("DROP TABLE listed")
    return n, int(nbytes), stale


def _todo_objects(path: str):
    """(object, read before) from the todo file, one line at a time."""
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            yield listing.TrailObject(row["url"], row["size"], row["etag"] or ""), row["read_before"]


def _remove_stale_batch_dirs() -> None:
    """Batch folders of loads that were killed (their process is gone)."""
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        m = re.fullmatch(re.escape(BATCH_DIR_PREFIX) + r"(\d+)-.*", name)
        if m and not _alive(int(m.group(1))):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- one run ------------------------------------------------------------------------------------


def ingest(
    con: duckdb.DuckDBPyConnection,
    spec: listing.TrailSpec,
    pairs,
    *,
    slim=(),
    session=None,
    full_refresh: bool = False,
    max_inflated: int = scan.DEFAULT_MAX_INFLATED,
    threads: int | None = None,
    workers: int | None = None,
    stream=None,
) -> RunStats:
    """Read the objects of ``spec`` not read before into ``ingest.*``; the run's stats.

    Records of ``pairs`` are kept; of those, the ``slim`` pairs' records only with the fields
    ``scan.slim_record`` names.  ``con`` is in auto-commit mode; each batch is its own transaction."""
    stream = stream or sys.stderr
    pairs = sorted({tuple(p) for p in pairs})
    fingerprint = map_fingerprint(pairs)
    ensure_tables(con)
    run_id = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"

    if full_refresh:
        forget_all(con)

    fetch, client = None, None
    threads = threads or 64
    if spec.is_s3:
        session = session or aws.default_session()
        region = s3.check_bucket(spec.bucket, session)  # one line for a wrong bucket or missing credentials
        client = s3.s3_list_client(session, min(threads, 32), region)
        fetch = s3.S3Fetcher(s3.s3_fetch_client(session, threads, region), spec.bucket)
    _remove_stale_batch_dirs()
    tmp = tempfile.mkdtemp(prefix=f"{BATCH_DIR_PREFIX}{os.getpid()}-")
    try:
        try:
            n_listed, ignored = _list_into(con, spec, client, min(threads, 32), os.path.join(tmp, "listed.ndjson"),
                                           stream)
        except s3.RunFault as fault:
            raise TrailcreatorError(
                f"listing the trail stopped: S3 refused {s3.describe_principal(session)} ({fault}) "
                f"at {fault.where}; nothing was read, built or exported; renew the credentials or grant the access, "
                "then run again") from None
        todo_path = os.path.join(tmp, "todo.ndjson")
        n_todo, todo_bytes, stale = _todo(con, fingerprint, todo_path, spec.root)
        if stale:
            print(f"trailcreator: the resource map's event types changed since {stale} objects were read: "
                  "reading them again", file=stream)
        print(f"trailcreator: {n_listed} trail objects listed, {n_listed - n_todo} already read, "
              f"{n_todo} to read", file=stream, flush=True)
        con.execute(f"INSERT INTO {SCHEMA}.runs VALUES (?, ?, NULL, ?, ?, ?)",
                    [run_id, _now(), spec.root, n_listed, n_todo])

        parsed_whole = 0
        if n_todo:
            wanted = scan.Wanted(frozenset(pairs), frozenset(map(tuple, slim)))
            reader = Reader(wanted, fetch=fetch, workers=workers, threads=threads, max_inflated=max_inflated,
                            principal=session and (lambda: s3.describe_principal(session)))
            parsed_whole = _read(con, reader, _todo_objects(todo_path), n_todo, todo_bytes, run_id, fingerprint, tmp,
                                 stream)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    con.execute(f"UPDATE {SCHEMA}.runs SET finished_at = ? WHERE run_id = ?", [_now(), run_id])
    st = run_stats(con, run_id)
    st.ignored, st.parsed_whole = ignored, parsed_whole
    return st
