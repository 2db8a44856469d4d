"""The commands' pipelines: what ``load`` (and ``load-s3``), ``load-athena`` and ``export-athena`` do.

The loaders share one tail: check the output paths and hold the DuckDB file's workspace,
compile the resource map into it, read what is new into the ``ingest`` tables, build the
models with dbt when anything changed, and write the SQLite file.  They differ only in what
they read: trail objects (``ingest.reader``), or the CSV result of one Athena query
(``athena``, read by the dbt model through ``ingest.athena_result``).

Knows nothing of Click; the command layer calls one function per command.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import attribution, aws
from .athena import client, glue, query
from .athena.sql import identifier
from .errors import TrailcreatorError
from .export.sqlite import content_hash, export_sqlite
from .ingest import athena_result, listing, reader, scan
from .ingest.s3 import configure_s3, parse_s3_url, s3_client, s3_settings
from .mapping import resource_map
from .workspace import dbt_run, outputs, workspace

log = logging.getLogger("trailcreator")


@dataclass(frozen=True)
class MissedEntry:
    """A map entry whose ids expression found nothing in some of its create events
    (int_events_without_id): a wrong entry shows itself instead of failing silently."""
    resource_type: str
    event_source: str
    event_name: str
    ids: str
    events: int                 # create events without an id
    of: int                     # create events of the pair
    example_event_id: str

    def line(self) -> str:
        return (f"no id: {self.resource_type} {self.event_source} {self.event_name}: ids {self.ids} found nothing "
                f"in {self.events} of {self.of} create events (e.g. eventID {self.example_event_id})")


@dataclass
class LoadSummary:
    run: reader.RunStats = field(default_factory=reader.RunStats)
    resources: int = 0
    elapsed: float = 0.0
    built: bool = True            # False: nothing new, the models were already built from this ledger
    sqlite_rows: dict[str, int] = field(default_factory=dict)
    exported: bool = True         # False: the SQLite file already held this build, untouched since
    no_id: list[MissedEntry] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every object listed was read (or skipped for its content): the SQLite file may be replaced."""
        return not self.run.objects_unfetched

    def line(self) -> str:
        r = self.run
        return (
            f"objects read:{r.objects_read} skipped:{r.objects_skipped} "
            f"records scanned:{r.records_scanned} create events kept:{r.records_kept} "
            f"unusable:{r.records_unusable} no id:{sum(m.events for m in self.no_id)} "
            f"resources:{self.resources} elapsed:{self.elapsed:.1f}s"
        )


@dataclass
class AthenaSummary:
    query_id: str = ""
    result_url: str = ""
    rows: int = 0
    events_kept: int = 0
    resources: int = 0
    elapsed: float = 0.0
    sqlite_rows: dict = field(default_factory=dict)
    no_id: list[MissedEntry] = field(default_factory=list)

    def line(self) -> str:
        return (f"athena query:{self.query_id} result rows:{self.rows} create events kept:{self.events_kept} "
                f"no id:{sum(m.events for m in self.no_id)} resources:{self.resources} elapsed:{self.elapsed:.1f}s")


# --- the shared steps -----------------------------------------------------------------------


def compile_map(map_path: str | None, duckdb_path: str | None = None, check_c7n: bool = True,
                project_dir: str | None = None) -> resource_map.ResourceMap:
    """Load and validate the map, refuse unknown c7n types, and write the dbt macros into the
    DuckDB file's workspace and/or into ``project_dir`` (a dbt project the user runs).  Never
    into the installed package."""
    rmap = resource_map.load(map_path)
    ws = workspace.Workspace.for_duckdb(duckdb_path).prepare() if duckdb_path else None
    if check_c7n:
        # Loading c7n's registry costs seconds: check a map once per workspace, remember it by its hash.
        marker = ws.checks / f"c7n-types-checked-{rmap.sha256[:16]}" if ws else None
        if marker is None or not marker.exists():
            for warning in resource_map.check_types_with_c7n(rmap):
                log.warning(warning)
            if marker is not None:
                workspace.write_atomic(marker, "")
    if ws is not None:
        resource_map.write_dbt_macros(rmap, str(ws.project))
        # `trailcreator dbt` without --resource-map compiles the map last used here again
        if map_path:
            workspace.write_atomic(ws.map_copy, Path(map_path).read_bytes())
        else:
            ws.map_copy.unlink(missing_ok=True)
    if project_dir:
        resource_map.write_dbt_macros(rmap, project_dir)
    return rmap


def dbt_env(spec: listing.TrailSpec, creator_format: str = "name", follow_links: bool = True) -> dict[str, str]:
    """The trail settings as the TRAILCREATOR_* variables the dbt project reads.

    Environment variables rather than --vars: dbt re-parses only the files that use a changed
    variable, where a change of --vars costs a full parse of the project on every load."""
    window = spec.window
    return {
        "TRAILCREATOR_TRAIL": spec.root,
        "TRAILCREATOR_ACCOUNTS": ",".join(spec.accounts),
        "TRAILCREATOR_REGIONS": ",".join(spec.regions),
        "TRAILCREATOR_ORG_ID": spec.org_id or "",
        "TRAILCREATOR_START_DATE": window.start.isoformat() if window else "",
        "TRAILCREATOR_END_DATE": window.end.isoformat() if window else "",
        "TRAILCREATOR_CREATOR_FORMAT": creator_format,
        "TRAILCREATOR_FOLLOW_LINKS": "true" if follow_links else "false",
    }


def events_to_read(rmap: resource_map.ResourceMap, follow_links: bool) -> list[tuple[str, str]]:
    """The map's creates, and the events a link from automation to a person follows."""
    return [*rmap.event_pairs, *(attribution.LINK_EVENT_PAIRS if follow_links else ())]


def default_duckdb_path(db_path: str) -> str:
    root, ext = os.path.splitext(db_path)
    return (root if ext in (".db", ".sqlite", ".sqlite3") else db_path) + ".duckdb"


def build_key(rmap: resource_map.ResourceMap, creator_format: str) -> str:
    """What the models are built from besides the ledger: the map, the creator format, the project."""
    h = hashlib.sha256(f"{rmap.sha256}\n{creator_format}\n".encode())
    h.update(workspace.project_sha256(workspace.packaged_project()).encode())  # what each workspace copies
    return h.hexdigest()[:24]


@contextlib.contextmanager
def holding(db_path: str, duckdb_path: str | None):
    """Check both output paths before anything is read, then hold the DuckDB file's workspace;
    yields the DuckDB path (default: ``--db`` with ``.duckdb``)."""
    duckdb_path = duckdb_path or default_duckdb_path(db_path)
    outputs.prepare(db_path, duckdb_path)
    with workspace.Workspace.for_duckdb(duckdb_path).lock():
        yield duckdb_path


def build_and_export(duckdb_path: str, db_path: str, env: dict[str, str] | None, full_refresh: bool = False,
                     after_build=None, export: bool = True) -> tuple[int, dict[str, int], bool]:
    """``dbt build`` with ``env`` (None: the models are up to date), ``after_build(con)`` on the
    built file, then the SQLite file unless not ``export``; returns (resources, SQLite row counts,
    whether it was written).

    A SQLite file written here before, from the same table contents, at the same path, and
    unchanged since (size and modification time) is kept as it is."""
    if env is not None:
        dbt_run.build(duckdb_path, env, full_refresh=full_refresh)
    con = _connect(duckdb_path)
    try:
        if after_build is not None:
            after_build(con)
        resources = con.execute("select count(*) from resource_creators").fetchone()[0]
        last = json.loads(reader.get_state(con, "exported") or "{}")
        here = {"content": content_hash(con), "db": os.path.abspath(db_path)}
    finally:
        con.close()
    if not export:
        return resources, {}, False
    if here["content"] and last.get("file") == _stamp(db_path) and {k: last.get(k) for k in here} == here:
        return resources, last["counts"], False
    counts = export_sqlite(duckdb_path, db_path)
    con = _connect(duckdb_path)
    try:
        reader.set_state(con, "exported", json.dumps({**here, "file": _stamp(db_path), "counts": counts}))
    finally:
        con.close()
    return resources, counts, True


def entries_without_id(duckdb_path: str) -> list[MissedEntry]:
    """The rows of int_events_without_id in the built file."""
    con = _connect(duckdb_path)
    try:
        if not _has_table(con, "int_events_without_id"):
            return []
        return [MissedEntry(*row) for row in con.execute(
            "select resource_type, event_source, event_name, ids_expression, events_without_id, create_events, "
            "example_event_id from int_events_without_id order by resource_type, event_source, event_name").fetchall()]
    finally:
        con.close()


def _stamp(path: str) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return f"{st.st_size}-{st.st_mtime_ns}"


# --- load: the trail's objects ----------------------------------------------------------


def run_load(
    spec: listing.TrailSpec,
    map_path: str | None,
    db_path: str,
    duckdb_path: str | None = None,
    creator_format: str = "name",
    full_refresh: bool = False,
    session=None,
    max_object_size: int | None = None,
    follow_links: bool = True,
) -> LoadSummary:
    """Read the new trail objects, build the models when anything changed, write the SQLite file
    (not while objects S3 would not give are missing: ``summary.complete``)."""
    started = time.monotonic()
    summary = LoadSummary()
    with holding(db_path, duckdb_path) as duckdb_path, _no_space(db_path, duckdb_path):
        rmap = compile_map(map_path, duckdb_path)
        con = _connect(duckdb_path)
        try:
            summary.run = reader.ingest(
                con, spec, events_to_read(rmap, follow_links), slim=attribution.ROLE_SESSION_EVENT_PAIRS, session=session,
                full_refresh=full_refresh,
                max_inflated=max_object_size or scan.DEFAULT_MAX_INFLATED,
            )
            key = f"{build_key(rmap, creator_format)}:{reader.generation(con)}:follow={follow_links}"
            summary.built = reader.get_state(con, "built") != key or not _has_table(con, "resource_creators")
        finally:
            con.close()
        env = {**dbt_env(spec, creator_format, follow_links), "TRAILCREATOR_INGESTED": "1"} if summary.built else None
        summary.resources, summary.sqlite_rows, summary.exported = build_and_export(
            duckdb_path, db_path, env, after_build=lambda con: reader.set_state(con, "built", key) if summary.built else None,
            export=summary.complete)
        summary.no_id = entries_without_id(duckdb_path)
    summary.elapsed = time.monotonic() - started
    return summary


# --- load-athena: one query's result ------------------------------------------------------


def run_load_athena(
    region: str,
    table: str,
    map_path: str | None,
    db_path: str,
    database: str = "default",
    workgroup_name: str = "primary",
    output: str | None = None,
    query_id: str | None = None,
    accounts: tuple[str, ...] = (),
    window: listing.DateWindow | None = None,
    duckdb_path: str | None = None,
    creator_format: str = "name",
    full_refresh: bool = False,
    follow_links: bool = True,
    session=None,
    stream=None,
) -> AthenaSummary:
    """Query (or take --query-id's result), then the same dbt models and export as ``load``.

    The output paths are checked and the DuckDB file's workspace held before Athena is asked
    anything."""
    started = time.monotonic()
    with holding(db_path, duckdb_path) as duckdb_path:
        aws.check_region(region or "")
        aws.check_accounts(accounts)
        client.check_query_id(query_id)
        if output is not None:
            parse_s3_url(output, "--athena-output")
        identifier(database, "--athena-db")
        identifier(table, "--table")
        client.check_workgroup_name(workgroup_name)
        rmap = resource_map.load(map_path)  # validated now; compiled for dbt (with the c7n check) after the query

        if session is not None:  # --profile/--assume: the dbt model's S3 reads use it too
            aws.use_session(session)
        session = session or aws.AccountSessionFactory(region)()
        athena = session.client("athena", region_name=region)
        s3 = s3_client(session, region)
        workgroup = client.get_workgroup(athena, workgroup_name)
        if query_id:
            ex = client.finished_execution(athena, query_id)
        else:
            info = glue.describe_table(session.client("glue", region_name=region), database, table)
            q = query.build_query(info, events_to_read(rmap, follow_links), window, tuple(accounts))
            for note in q.notes:
                (log.warning if q.scans_whole_table else log.info)(note)
            location = client.choose_output(session, s3, workgroup, output, region)
            query_id = client.start_query(athena, q.sql, info.database, workgroup, location)
            client.progress(f"athena query:{query_id} started in workgroup {workgroup.name}", stream)
            ex = client.wait(athena, query_id, stream)
        url = client.result_url(ex, workgroup)
        result = client.check_result(s3, url, query_id)
        client.progress(f"athena result {url} ({client.size_text(result.size)})", stream)

        compile_map(map_path, duckdb_path)
        env = dbt_env(listing.TrailSpec(root="", accounts=tuple(accounts), window=window), creator_format, follow_links)
        env["TRAILCREATOR_ATHENA_RESULT"] = url
        if full_refresh:
            env["TRAILCREATOR_READ_ALL_AGAIN"] = "1"
        before = reader.run_that_read(duckdb_path, url)
        summary = AthenaSummary(query_id=query_id, result_url=url)

        def count_rows(con):
            row = con.execute("select records_scanned, records_kept, run_id from ingest.objects where object_key = ?",
                              [url]).fetchone()
            summary.rows, summary.events_kept = int(row[0]), int(row[1])
            if before is not None and before == row[2]:
                log.info("result %s was read by an earlier run: nothing new to read", url)

        summary.resources, summary.sqlite_rows, _ = build_and_export(duckdb_path, db_path, env, full_refresh, count_rows)
        summary.no_id = entries_without_id(duckdb_path)
    summary.elapsed = time.monotonic() - started
    return summary


# --- export-athena: the Athena target's tables -> the SQLite file ---------------------------------

EXPORT_TABLES = ("creator_events", "resource_creators")
# Columns the SQLite export reads from each table (the rest are kept too).
EXPORT_COLUMNS = {
    "creator_events": ("account_id", "region", "resource_type", "resource_id", "event_time", "event_name",
                       "event_source", "event_id", "user_agent", "source_ip", "identity_type", "principal_arn",
                       "principal_id", "user_name", "excluded_reason"),
    "resource_creators": ("account_id", "region", "resource_type", "resource_id", "is_global", "creator",
                          "excluded_reason", "event_time", "event_id"),
}


def run_export_athena(
    region: str,
    schema: str,
    db_path: str,
    workgroup_name: str = "primary",
    output: str | None = None,
    duckdb_path: str | None = None,
    session=None,
    stream=None,
) -> dict[str, int]:
    """Query the tables ``dbt build --target athena`` made, copy them into a DuckDB file, and
    write the SQLite file from it exactly as ``load`` does.  Returns the SQLite row counts."""
    aws.check_region(region or "")
    identifier(schema, "--athena-schema")
    client.check_workgroup_name(workgroup_name)
    if output is not None:
        parse_s3_url(output, "--athena-output")
    duckdb_path = duckdb_path or default_duckdb_path(db_path)
    outputs.prepare(db_path, duckdb_path)
    if session is not None:
        aws.use_session(session)
    session = session or aws.AccountSessionFactory(region)()
    athena = session.client("athena", region_name=region)
    s3 = s3_client(session, region)
    workgroup = client.get_workgroup(athena, workgroup_name)
    location = client.choose_output(session, s3, workgroup, output, region)

    results = {}
    for table in EXPORT_TABLES:
        sql = f"SELECT * FROM {identifier(schema, '--athena-schema')}.{identifier(table, 'table')}"
        qid = client.start_query(athena, sql, schema.lower(), workgroup, location)
        client.progress(f"athena query:{qid} started: {table}", stream)
        ex = client.wait(athena, qid, stream)
        url = client.result_url(ex, workgroup)
        client.check_result(s3, url, qid, EXPORT_COLUMNS[table], f"the {table} table of dbt build --target athena")
        results[table] = url

    con = duckdb.connect(duckdb_path)
    try:
        for table, url in results.items():
            bucket, _ = parse_s3_url(url, "result")
            configure_s3(con, s3_settings(bucket))
            try:
                n = athena_result.load_result_table(con, table, url)
            except duckdb.Error as e:
                raise TrailcreatorError(f"cannot read the Athena result {url}: {str(e).splitlines()[0]}") from None
            client.progress(f"{table}: {n} rows from {url}", stream)
    finally:
        con.close()
    return export_sqlite(duckdb_path, db_path)


_FULL = re.compile(r"no space left on device|database or disk is full|disk is full|database has been invalidated", re.I)
_QUOTED_PATH = re.compile(r"""["'](/[^"']+)["']""")


@contextlib.contextmanager
def _no_space(db_path: str, duckdb_path: str):
    """A full disk, wherever it strikes (DuckDB's log, a batch file, the SQLite export), as one
    line naming the file and the space left there; what was committed stays, ``--db`` is as it was."""
    try:
        yield
    except (duckdb.Error, sqlite3.Error, OSError) as e:
        if not (isinstance(e, OSError) and e.errno == errno.ENOSPC) and not _FULL.search(str(e)):
            raise
        if isinstance(e, sqlite3.Error):  # the export: a new file beside the old one, about as large
            path = db_path
            need = f", about {os.path.getsize(db_path) / 2**20:.1f} MiB needed" if os.path.exists(db_path) else ""
        else:  # DuckDB names its file; a bare OSError is a batch file in the temporary folder
            path = next(iter(_QUOTED_PATH.findall(str(e))), None) or getattr(e, "filename", None) or (
                tempfile.gettempdir() if isinstance(e, OSError) else duckdb_path)
            need = ""
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        try:
            free = f"{shutil.disk_usage(folder).free / 2**20:.1f} MiB free there{need}"
        except OSError:
            free = "its file system is full"
        raise TrailcreatorError(
            f"no space left on the device for {path} ({free}): free some space and run again (the next run continues "
            f"from what was committed); {db_path} is as it was") from None


def _connect(duckdb_path: str) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(duckdb_path)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise TrailcreatorError(f"the database {duckdb_path} is busy: another program has it open; "
                                    "wait for it to finish") from None
        raise TrailcreatorError(f"cannot open {duckdb_path}: {str(e).splitlines()[0]}") from None


def _has_table(con, name: str) -> bool:
    return con.execute("select 1 from duckdb_tables() where schema_name = 'main' and table_name = ?", [name]).fetchone() is not None
