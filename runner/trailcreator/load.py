"""``trailcreator load``: resource map -> dbt macros, trail -> dbt build on DuckDB -> SQLite.

One function, ``run_load``, that the command layer calls; each step lives in its own module.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from . import dbt_run, engine, export, outputs, resource_map, trail, workspace
from .errors import TrailcreatorError

log = logging.getLogger("trailcreator")


@dataclass
class LoadSummary:
    objects_read: int = 0
    objects_skipped: int = 0
    records_scanned: int = 0
    events_kept: int = 0
    resources: int = 0
    elapsed: float = 0.0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    sqlite_rows: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"objects read:{self.objects_read} skipped:{self.objects_skipped} "
            f"records scanned:{self.records_scanned} create events kept:{self.events_kept} "
            f"resources:{self.resources} elapsed:{self.elapsed:.1f}s"
        )


def boto3_session(profile: str | None = None, assume: str | None = None, region: str | None = None):
    """The session the user chose: a named profile, then an assumed role on top of it."""
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except botocore.exceptions.ProfileNotFound:
        raise TrailcreatorError(f"--profile {profile!r}: no such AWS profile in ~/.aws/config or ~/.aws/credentials") from None
    if not assume:
        return session
    try:
        creds = session.client("sts", endpoint_url=os.environ.get("AWS_ENDPOINT_URL")).assume_role(
            RoleArn=assume, RoleSessionName="trailcreator"
        )["Credentials"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise TrailcreatorError(f"--assume {assume}: cannot assume the role ({e})") from None
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=session.region_name,
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


def dbt_env(spec: trail.TrailSpec, creator_format: str = "name") -> dict[str, str]:
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
    }


def default_duckdb_path(db_path: str) -> str:
    root, ext = os.path.splitext(db_path)
    return (root if ext in (".db", ".sqlite", ".sqlite3") else db_path) + ".duckdb"


def run_load(
    spec: trail.TrailSpec,
    map_path: str | None,
    db_path: str,
    duckdb_path: str | None = None,
    creator_format: str = "name",
    full_refresh: bool = False,
    session=None,
) -> LoadSummary:
    """Check the output paths, hold the DuckDB file's workspace, load."""
    duckdb_path = duckdb_path or default_duckdb_path(db_path)
    outputs.prepare(db_path, duckdb_path)
    with workspace.Workspace.for_duckdb(duckdb_path).lock():
        return _load(spec, map_path, db_path, duckdb_path, creator_format, full_refresh, session)


def _load(
    spec: trail.TrailSpec,
    map_path: str | None,
    db_path: str,
    duckdb_path: str | None = None,
    creator_format: str = "name",
    full_refresh: bool = False,
    session=None,
) -> LoadSummary:
    started = time.monotonic()
    duckdb_path = duckdb_path or default_duckdb_path(db_path)
    compile_map(map_path, duckdb_path)
    engine.use_boto3_session(session)  # None: boto3's default chain
    try:
        if spec.is_s3:
            engine.s3_settings(spec.bucket)  # wrong bucket or missing credentials: one line, before dbt starts
        run_started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=1)
        dbt_run.build(duckdb_path, dbt_env(spec, creator_format), full_refresh=full_refresh)
    finally:
        engine.use_boto3_session(None)

    summary = LoadSummary()
    con = duckdb.connect(duckdb_path)
    try:
        row = con.execute(
            """select count(*) filter (where status = 'ok'), count(*) filter (where status = 'skipped'),
                      coalesce(sum(records_scanned), 0), coalesce(sum(len(events)), 0)
               from stg_cloudtrail__objects where read_at >= ?""",
            [run_started],
        ).fetchone()
        summary.objects_read, summary.objects_skipped, summary.records_scanned, summary.events_kept = map(int, row)
        summary.skipped = con.execute(
            "select object_key, error from stg_cloudtrail__objects where status = 'skipped' and read_at >= ? order by 1",
            [run_started],
        ).fetchall()
        summary.resources = con.execute("select count(*) from resource_creators").fetchone()[0]
    finally:
        con.close()
    summary.sqlite_rows = export.export_sqlite(duckdb_path, db_path)
    summary.elapsed = time.monotonic() - started
    return summary
