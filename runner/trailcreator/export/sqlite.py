"""DuckDB marts -> the SQLite file (``--db``), written whole or not at all.

The file is built under a temporary name beside the target and renamed into place, so an
interrupted run leaves the previous file as it was.
"""

from __future__ import annotations

import os
import sqlite3

import duckdb

from ..errors import TrailcreatorError
from .schema import EVENTS_DDL, RESOURCE_CREATORS_COLUMNS, RESOURCE_CREATORS_DDL

# Upstream's `events` table: one row per (create event, resource type, resource id), the
# person identities only (an excluded identity would be tagged by the upstream tagger).
# user_id keeps upstream's meaning: 'root' for Root, userName for SAMLUser, else the ARN.
EVENTS_SQL = """
select
    account_id,
    region,
    strftime(event_time, '%Y-%m-%d %H:%M:%S') as event_date,
    event_name,
    event_source,
    user_agent,
    source_ip as client_ip,
    case  -- the person the creator was taken from (the principal unless a link found one)
        when person_identity_type = 'Root' then 'root'
        when person_identity_type in ('SAMLUser', 'SourceIdentity') then coalesce(person_user_name, person_principal_arn)
        else coalesce(person_principal_arn, person_user_name, person_principal_id)
    end as user_id,
    resource_type as rtype,
    resource_id as resource_ids
from creator_events
where excluded_reason is null
order by account_id, region, event_time, event_id, resource_type, resource_id
"""


def _resource_creators_sql() -> str:
    cols = []
    for name, _ in RESOURCE_CREATORS_COLUMNS:
        if name == "event_time":
            cols.append("strftime(event_time, '%Y-%m-%dT%H:%M:%SZ') as event_time")
        elif name == "is_global":
            cols.append("is_global::integer as is_global")
        else:
            cols.append(name)
    return f"select {', '.join(cols)} from resource_creators order by account_id, region, resource_type, resource_id"


def content_hash(src) -> str | None:
    """One hash of what ``export_sqlite`` would write from ``src`` (None when it cannot be read):
    equal hashes, equal files, however the models were built."""
    try:
        return "/".join("{}:{}".format(*src.execute(
            f"select count(*), coalesce(sum(hash(q)::hugeint), 0) from ({sql}) q").fetchone())
            for sql in (EVENTS_SQL, _resource_creators_sql()))
    except duckdb.Error:  # an older build lacks columns: export_sqlite says so in one line
        return None


def _check_columns(src, duckdb_path: str) -> None:
    """resource_creators as this trailcreator's models build it (an older build lacks columns)."""
    present = {r[0] for r in src.execute(
        "select column_name from information_schema.columns where table_name = 'resource_creators'").fetchall()}
    missing = [name for name, _ in RESOURCE_CREATORS_COLUMNS if name not in present]
    if present and missing:
        raise TrailcreatorError(
            f"{duckdb_path}: resource_creators lacks column(s) {', '.join(missing)}: it was built by an older "
            f"trailcreator; build it again (load --full-refresh, or dbt build --target athena before export-athena)")


def export_sqlite(duckdb_path: str, db_path: str) -> dict[str, int]:
    """Write ``events`` and ``resource_creators`` to ``db_path``; return the row counts."""
    target_dir = os.path.dirname(os.path.abspath(db_path)) or "."
    if not os.path.isdir(target_dir):
        raise TrailcreatorError(f"--db {db_path}: folder {target_dir} does not exist")
    tmp = os.path.join(target_dir, f".{os.path.basename(db_path)}.tmp-{os.getpid()}")
    for leftover in (tmp, tmp + "-journal"):  # a killed run's, whose pid this process now has
        if os.path.exists(leftover):
            os.unlink(leftover)
    counts = {}
    try:
        src = duckdb.connect(duckdb_path)
        try:
            _check_columns(src, duckdb_path)
            out = sqlite3.connect(tmp)
            try:
                out.execute(EVENTS_DDL)
                out.execute(RESOURCE_CREATORS_DDL)
                out.execute("create index events_account_region on events (account_id, region, rtype)")
                for table, sql, ncols in (
                    ("events", EVENTS_SQL, 10),
                    ("resource_creators", _resource_creators_sql(), len(RESOURCE_CREATORS_COLUMNS)),
                ):
                    cur = src.execute(sql)
                    placeholders = ", ".join("?" * ncols)
                    n = 0
                    while rows := cur.fetchmany(10000):
                        out.executemany(f"insert into {table} values ({placeholders})", rows)
                        n += len(rows)
                    counts[table] = n
                out.commit()
            finally:
                out.close()
        finally:
            src.close()
        os.replace(tmp, db_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return counts
