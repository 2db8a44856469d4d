"""An Athena query's result CSV read as one more trail object (``trailcreator load-athena``).

The result's contract lives here: the columns a ``load-athena`` query writes (``athena.query``
writes them, this module reads them back), and the DuckDB SQL that turns each row into a
record shaped like the reader's (``reader.RECORD_STRUCT``).  The result is Athena's own CSV
in its output location, read by DuckDB: no paging through ``GetQueryResults``.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass

import duckdb

from ..errors import TrailcreatorError
from . import s3
from .reader import RECORD_STRUCT, SCHEMA, _now, generation, map_fingerprint, set_state

# The longest row of a result CSV DuckDB reads (one record); its read buffer is twice that,
# which has to fit DuckDB's memory limit (the dbt profile's, 320 MB by default).
CSV_MAX_LINE = 32 * 2**20

# --- the result's contract ---------------------------------------------------------------------

# The columns of the query's result, in order: (CSV column, record field, source in the table).
# The source is a column path; ``None`` marks the ones assembled below (identity, resources).
TOP_LEVEL = (
    ("eventversion", "eventVersion"),
    ("eventid", "eventID"),
    ("eventtime", "eventTime"),
    ("eventsource", "eventSource"),
    ("eventname", "eventName"),
    ("awsregion", "awsRegion"),
    ("recipientaccountid", "recipientAccountId"),
    ("useragent", "userAgent"),
    ("sourceipaddress", "sourceIPAddress"),
    ("errorcode", "errorCode"),
)
# (CSV column, path in the useridentity struct, JSON path of the rebuilt userIdentity)
IDENTITY = (
    ("identity_type", ("type",), ("type",)),
    ("identity_principalid", ("principalid",), ("principalId",)),
    ("identity_arn", ("arn",), ("arn",)),
    ("identity_accountid", ("accountid",), ("accountId",)),
    ("identity_invokedby", ("invokedby",), ("invokedBy",)),
    ("identity_accesskeyid", ("accesskeyid",), ("accessKeyId",)),
    ("identity_username", ("username",), ("userName",)),
    ("identity_issuer_arn", ("sessioncontext", "sessionissuer", "arn"), ("sessionContext", "sessionIssuer", "arn")),
    ("identity_issuer_username", ("sessioncontext", "sessionissuer", "username"), ("sessionContext", "sessionIssuer", "userName")),
    ("identity_onbehalfof_userid", ("onbehalfof", "userid"), ("onBehalfOf", "userId")),
    # not in the user guide's table: NULL unless the table has it (the source-identity link)
    ("identity_sourceidentity", ("sessioncontext", "sourceidentity"), ("sessionContext", "sourceIdentity")),
)
JSON_COLUMNS = (
    ("requestparameters", "requestParameters"),
    ("responseelements", "responseElements"),
    ("additionaleventdata", "additionalEventData"),
    ("serviceeventdetails", "serviceEventDetails"),
    ("resources", "resources"),
)
RESULT_COLUMNS = tuple([c for c, _ in TOP_LEVEL] + [c for c, _, _ in IDENTITY] + [c for c, _ in JSON_COLUMNS])
# Without these a result cannot be a CloudTrail table's: the query needs them to filter at all.


@dataclass(frozen=True)
class ResultObject:
    url: str
    size: int
    etag: str


def _json_object(pairs: list[tuple[str, str]]) -> str:
    return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"


def identity_json_sql() -> str:
    """DuckDB SQL rebuilding CloudTrail's userIdentity (a JSON object) from the identity columns."""
    top: list[tuple[str, str]] = []
    nested: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for col, _, path in IDENTITY:
        value = f"nullif(\"{col}\", '')"
        if len(path) == 1:
            top.append((path[0], value))
        elif len(path) == 2:
            nested.setdefault(path[0], {}).setdefault("", []).append((path[1], value))
        else:
            nested.setdefault(path[0], {}).setdefault(path[1], []).append((path[2], value))
    for outer, inner in nested.items():
        parts = list(inner.get("", []))
        parts += [(k, _json_object(v)) for k, v in inner.items() if k]
        top.append((outer, _json_object(parts)))
    return _json_object(top)


def _json_value(col: str) -> str:
    """A JSON text column as JSON; NULL for empty, 'null' or anything not valid JSON."""
    return f"CASE WHEN nullif(\"{col}\", '') IS NOT NULL AND json_valid(\"{col}\") THEN CAST(\"{col}\" AS JSON) END"


def records_sql(alias: str = "r", url_param: str = "$url") -> str:
    """DuckDB SELECT of one RECORD_STRUCT-shaped struct ``alias`` per row of the result CSV.

    Athena's CSV has a header row and every value double-quoted; NULL is an empty field.
    All columns are read as text, the JSON ones typed afterwards."""
    fields = [(field, f"nullif(\"{col}\", '')") for col, field in TOP_LEVEL]
    fields.append(("userIdentity", f"CASE WHEN nullif(\"identity_type\", '') IS NOT NULL OR nullif(\"identity_arn\", '') IS NOT NULL "
                                   f"OR nullif(\"identity_principalid\", '') IS NOT NULL THEN {identity_json_sql()} END"))
    fields += [(field, _json_value(col)) for col, field in JSON_COLUMNS]
    return (
        "SELECT {" + ", ".join(f"'{f}': {v}" for f, v in fields) + f"}} AS {alias} "
        f"FROM read_csv({url_param}, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
        f"max_line_size = {CSV_MAX_LINE}, buffer_size = {2 * CSV_MAX_LINE}, auto_detect = false, "
        "columns = {" + ", ".join(f"'{c}': 'VARCHAR'" for c in RESULT_COLUMNS) + "})"
    )


def copy_result_records(con, result: ResultObject, table: str, record_filter: str, record_struct: str,
                        params: dict) -> tuple[int, int]:
    """Insert the records of a result CSV that pass ``record_filter`` (over ``r``) into ``table``
    (object_key, then the record's fields); returns (rows in the CSV, records kept)."""
    if result.size == 0:
        return 0, 0
    con.execute(f"CREATE OR REPLACE TEMP TABLE athena_result AS SELECT rec::{record_struct} AS r FROM ({records_sql('rec')})",
                {"url": result.url})
    try:
        n = con.execute("SELECT count(*) FROM athena_result").fetchone()[0]
        con.execute(f"INSERT INTO {table} SELECT $url, r.* FROM athena_result WHERE {record_filter}",
                    {"url": result.url, **params})
        kept = con.execute(f"SELECT count(*) FROM athena_result WHERE {record_filter}", params).fetchone()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS athena_result")
    return int(n), int(kept)


def load_result_table(con, table: str, url: str) -> int:
    """The CSV result of ``SELECT * FROM table`` as a DuckDB table, timestamps and booleans typed."""
    con.execute(
        f"""CREATE OR REPLACE TABLE {table} AS
            SELECT * REPLACE (try_cast(event_time AS TIMESTAMP) AS event_time,
                              try_cast(is_global AS BOOLEAN) AS is_global)
            FROM read_csv($url, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"',
                          max_line_size = {CSV_MAX_LINE}, buffer_size = {2 * CSV_MAX_LINE})""",
        {"url": url},
    )
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def ingest_athena_result(con, url: str, pairs, accounts: list[str]) -> bool:
    """The records of a ``load-athena`` result CSV into ``ingest.*`` as one object; False when
    that result was already read with the same map."""
    pairs = sorted({tuple(p) for p in pairs})
    fingerprint = map_fingerprint(pairs)
    bucket, key = s3.parse_s3_url(url, "athena_result")
    head = s3.s3_client().head_object(Bucket=bucket, Key=key)
    result = ResultObject(url, int(head.get("ContentLength", 0)), str(head.get("ETag", "")).strip('"'))
    known = con.execute(f"SELECT object_etag, map_fingerprint FROM {SCHEMA}.objects WHERE object_key = ?", [url]).fetchall()
    if known and tuple(known[0]) == (result.etag, fingerprint):
        print(f"trailcreator: {url} already read", file=sys.stderr, flush=True)
        return False
    params: dict = {"keys": [f"{s} {n}" for s, n in pairs]}
    cond = "r.errorCode IS NULL AND list_contains($keys, r.eventSource || ' ' || r.eventName)"
    if accounts:
        cond += " AND list_contains($accounts, r.recipientAccountId)"
        params["accounts"] = accounts
    s3.configure_s3(con, s3.s3_settings(bucket))
    run_id = f"athena-{uuid.uuid4().hex[:8]}"
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {SCHEMA}.records WHERE object_key = ?", [url])
        try:
            n_rows, kept = copy_result_records(con, result, f"{SCHEMA}.records", cond, RECORD_STRUCT, params)
        except duckdb.Error as e:
            raise TrailcreatorError(f"cannot read the Athena result {url}: {str(e).splitlines()[0]}") from None
        con.execute(
            f"INSERT OR REPLACE INTO {SCHEMA}.objects VALUES (?, ?, ?, 'ok', NULL, ?, ?, 0, NULL, ?, ?, ?)",
            [url, result.size, result.etag, n_rows, kept, fingerprint, run_id, _now()],
        )
        set_state(con, "generation", str(generation(con) + 1))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    print(f"trailcreator: read {url}: {n_rows} rows, {kept} create events kept", file=sys.stderr, flush=True)
    return True
