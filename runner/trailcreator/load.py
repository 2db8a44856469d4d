"""``trailcreator load``: resource map -> dbt macros, trail -> dbt build on DuckDB -> SQLite.

One function, ``run_load``, that the command layer calls; each step lives in its own module.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import attribution, export
from .ingest import listing, reader, scan
from .mapping import resource_map
from .workspace import dbt_run, outputs, workspace
from .errors import TrailcreatorError

log = logging.getLogger("trailcreator")


@dataclass
class LoadSummary:
    run: reader.RunStats = field(default_factory=reader.RunStats)
    resources: int = 0
    elapsed: float = 0.0
    built: bool = True            # False: nothing new, the models were already built from this ledger
    sqlite_rows: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        r = self.run
        return (
            f"objects read:{r.objects_read} skipped:{r.objects_skipped} "
            f"records scanned:{r.records_scanned} create events kept:{r.records_kept} "
            f"unusable:{r.records_unusable} resources:{self.resources} elapsed:{self.elapsed:.1f}s"
        )


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


def default_duckdb_path(db_path: str) -> str:
    root, ext = os.path.splitext(db_path)
    return (root if ext in (".db", ".sqlite", ".sqlite3") else db_path) + ".duckdb"


def build_key(rmap: resource_map.ResourceMap, creator_format: str) -> str:
    """What the models are built from besides the ledger: the map, the creator format, the project."""
    h = hashlib.sha256(f"{rmap.sha256}\n{creator_format}\n".encode())
    h.update(workspace.project_sha256(workspace.packaged_project()).encode())  # what each workspace copies
    return h.hexdigest()[:24]


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
    """Check the output paths and hold the DuckDB file's workspace; read the new trail objects,
    build the models when anything changed, write the SQLite file."""
    started = time.monotonic()
    duckdb_path = duckdb_path or default_duckdb_path(db_path)
    outputs.prepare(db_path, duckdb_path)
    with workspace.Workspace.for_duckdb(duckdb_path).lock():
        rmap = compile_map(map_path, duckdb_path)
        summary = LoadSummary()
        con = _connect(duckdb_path)
        try:
            # the map's creates, and the events a link from automation to a person follows
            pairs = [*rmap.event_pairs, *(attribution.LINK_EVENT_PAIRS if follow_links else ())]
            summary.run = reader.ingest(
                con, spec, pairs, slim=attribution.ROLE_SESSION_EVENT_PAIRS, session=session, full_refresh=full_refresh,
                max_inflated=max_object_size or scan.DEFAULT_MAX_INFLATED,
            )
            key = f"{build_key(rmap, creator_format)}:{reader.generation(con)}:follow={follow_links}"
            summary.built = reader.get_state(con, "built") != key or not _has_table(con, "resource_creators")
        finally:
            con.close()
        if summary.built:
            dbt_run.build(duckdb_path, {**dbt_env(spec, creator_format, follow_links), "TRAILCREATOR_INGESTED": "1"})
        con = _connect(duckdb_path)
        try:
            if summary.built:
                reader.set_state(con, "built", key)
            summary.resources = con.execute("select count(*) from resource_creators").fetchone()[0]
        finally:
            con.close()
        summary.sqlite_rows = export.export_sqlite(duckdb_path, db_path)
    summary.elapsed = time.monotonic() - started
    return summary


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
