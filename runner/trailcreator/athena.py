"""``trailcreator load-athena``: one Athena query over a CloudTrail table users already have.

The steps, each a function:

* :func:`describe_table` reads the table's columns and partition keys from the Glue Data
  Catalog (Athena's catalog), so an unknown database or table is one clear line before any
  query runs, and the query only names the columns the table has.
* :func:`build_query` writes the query from the resource map: successful events only
  (``errorcode is null``), only the mapped (eventsource, eventname) pairs, the identity
  fields the creator rules need, and the raw ``requestparameters`` / ``responseelements`` /
  ``additionaleventdata`` / ``resources`` JSON.  The resource ids are extracted afterwards by
  the same DuckDB models as ``trailcreator load`` (the map compiled to DuckDB SQL), so the two
  loaders cannot disagree; ``dbt build --target athena`` is the path that extracts ids in
  Athena itself.  Every value from the map or the command line reaches the SQL as an escaped
  string literal or as a validated, quoted identifier.
* :func:`partition_filter` turns the date window into a predicate on the table's partition
  columns (partition projection on ``timestamp`` ``yyyy/MM/dd``, or ``year/month/day``), so
  Athena reads only those days; without them, an event-time filter and a warning that the
  whole table is scanned.
* :func:`wait` polls the query with backoff and reports state, data scanned and elapsed time.
* The result is Athena's own CSV in the output location, read by DuckDB (``ingest`` calls
  :func:`copy_result_rows`): no paging through ``GetQueryResults``.

Knows nothing of Click; :func:`run_load_athena` is what the command calls.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import logging
import re
import sys
import time
from dataclasses import dataclass, field

from . import aws
from .ingest import listing
from .ingest.athena_result import IDENTITY, JSON_COLUMNS, RESULT_COLUMNS, TOP_LEVEL, ResultObject, load_result_table
from .ingest.s3 import parse_s3_url
from .mapping import resource_map
from .errors import TrailcreatorError
from .mapping.jmespath_sql import sql_string_literal

log = logging.getLogger("trailcreator")

NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
WORKGROUP_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
QUERY_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,128}$")

# Polling: first look right away, then wait POLL_FIRST_DELAY, growing by POLL_FACTOR up to POLL_MAX_DELAY.
POLL_FIRST_DELAY = 1.0
POLL_FACTOR = 1.5
POLL_MAX_DELAY = 15.0

# Without these a result cannot be a CloudTrail table's: the query needs them to filter at all.
REQUIRED_TABLE_COLUMNS = ("eventsource", "eventname", "errorcode", "eventtime")


# --- SQL text ------------------------------------------------------------------------------------


def identifier(value: str, option: str) -> str:
    """A database or table name as a quoted identifier, after checking it is a plain name."""
    if not value or not NAME_RE.match(value):
        raise TrailcreatorError(
            f"{option} {value!r} is not a plain Athena name: use letters, digits and underscores only"
        )
    return '"' + value.lower() + '"'


# --- Glue metadata -------------------------------------------------------------------------------


def parse_hive_type(text: str):
    """A Glue/Hive type string as a tree: ``('struct', [(name, type)...])``, ``('array', t)``,
    ``('map', k, v)`` or the scalar type's name."""
    pos = 0

    def name() -> str:
        nonlocal pos
        m = re.compile(r"\s*([^<>,:()\s]+)\s*").match(text, pos)
        if not m:
            raise ValueError(f"cannot read the type {text!r} at {pos}")
        pos = m.end()
        return m.group(1)

    def expect(ch: str) -> None:
        nonlocal pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text) or text[pos] != ch:
            raise ValueError(f"cannot read the type {text!r}: expected {ch!r} at {pos}")
        pos += 1

    def peek() -> str:
        p = pos
        while p < len(text) and text[p].isspace():
            p += 1
        return text[p] if p < len(text) else ""

    def typ():
        nonlocal pos
        base = name().lower()
        if peek() != "<":
            if peek() == "(":  # decimal(10,2), varchar(20)
                end = text.index(")", pos)
                pos = end + 1
            return base
        expect("<")
        if base == "struct":
            fields = []
            while True:
                fname = name().lower()
                expect(":")
                fields.append((fname, typ()))
                if peek() == ",":
                    expect(",")
                    continue
                break
            expect(">")
            return ("struct", fields)
        if base == "array":
            t = typ()
            expect(">")
            return ("array", t)
        if base == "map":
            k = typ()
            expect(",")
            v = typ()
            expect(">")
            return ("map", k, v)
        raise ValueError(f"unknown type {base!r} in {text!r}")

    tree = typ()
    if pos != len(text.rstrip()):
        raise ValueError(f"cannot read the type {text!r}: trailing text at {pos}")
    return tree


def _struct_field(tree, path: tuple[str, ...]):
    """The type at ``path`` inside a struct type tree, or None when a step is missing."""
    for step in path:
        if not (isinstance(tree, tuple) and tree[0] == "struct"):
            return None
        fields = dict(tree[1])
        if step not in fields:
            return None
        tree = fields[step]
    return tree


@dataclass(frozen=True)
class TableInfo:
    database: str
    name: str
    columns: dict  # lower-case name -> type tree (partition keys included)
    partition_keys: tuple[tuple[str, str], ...]  # (name, type) in order
    parameters: dict = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"


def describe_table(glue, database: str, table: str) -> TableInfo:
    """The table's columns and partition keys from the Glue Data Catalog; one clear line when
    the database or table does not exist."""
    import botocore.exceptions

    identifier(database, "--athena-db")
    identifier(table, "--table")
    try:
        t = glue.get_table(DatabaseName=database.lower(), Name=table.lower())["Table"]
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        code, msg = err.get("Code", ""), " ".join(str(err.get("Message", e)).split())
        if code == "EntityNotFoundException":
            what = "--athena-db" if "database" in msg.lower() else "--table"
            raise TrailcreatorError(
                f"Athena table {database}.{table}: {msg} ({code}): check {what} and --region"
            ) from None
        if code in ("AccessDeniedException", "AccessDenied"):
            raise TrailcreatorError(
                f"Athena table {database}.{table}: access denied reading its definition from Glue ({msg}): "
                "grant glue:GetTable on the database and table"
            ) from None
        raise TrailcreatorError(f"Athena table {database}.{table}: {code or 'error'}: {msg}") from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"Athena table {database}.{table}: cannot reach Glue ({e})") from None
    columns: dict = {}
    for col in t.get("StorageDescriptor", {}).get("Columns", []) + t.get("PartitionKeys", []):
        try:
            columns[col["Name"].lower()] = parse_hive_type(col.get("Type", "string"))
        except ValueError:
            columns[col["Name"].lower()] = "unknown"
    missing = [c for c in REQUIRED_TABLE_COLUMNS if c not in columns]
    if missing:
        raise TrailcreatorError(
            f"Athena table {database}.{table} is not a CloudTrail table: it has no column {', '.join(missing)} "
            "(create it as in the Athena user guide, 'Querying AWS CloudTrail logs')"
        )
    keys = tuple((k["Name"].lower(), k.get("Type", "string").lower()) for k in t.get("PartitionKeys", []))
    return TableInfo(database.lower(), table.lower(), columns, keys, dict(t.get("Parameters") or {}))


# --- the date filter -----------------------------------------------------------------------------

_JAVA_DATE = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"))


def _projection_format(info: TableInfo, key: str) -> str | None:
    """The strftime pattern of a date partition key, when its values sort like dates."""
    fmt = info.parameters.get(f"projection.{key}.format") or "yyyy/MM/dd"
    ptype = info.parameters.get(f"projection.{key}.type")
    if ptype not in (None, "date"):
        return None
    rest, out, order = fmt, "", []
    while rest:
        for java, py in _JAVA_DATE:
            if rest.startswith(java):
                out += py
                order.append(java)
                rest = rest[len(java):]
                break
        else:
            ch = rest[0]
            if ch.isalpha() or ch in "%'":
                return None  # hours, names of months, quoted text: not a plain date
            out += ch
            rest = rest[1:]
    # Lexical order is date order only for year, then month, then day.
    if order != [j for j, _ in _JAVA_DATE][: len(order)] or not order:
        return None
    return out


def _days(window: listing.DateWindow) -> list[dt.date]:
    """The delivery days to read: the window and one day after (late deliveries)."""
    return window.delivery_days()


def _ymd_filter(info: TableInfo, names: list[str], window: listing.DateWindow) -> str:
    """year/month/day partitions: whole years, whole months, and single days, as equalities."""
    types = dict(info.partition_keys)

    def lit(name: str, value: int, width: int) -> str:
        if types.get(name, "string") in ("int", "integer", "bigint", "smallint", "tinyint"):
            return str(value)
        return sql_string_literal(f"{value:0{width}d}")

    days = _days(window)
    by_month: dict[tuple[int, int], list[int]] = {}
    for d in days:
        by_month.setdefault((d.year, d.month), []).append(d.day)
    year_col, month_col, day_col = (f'"{n}"' for n in (names + ["", "", ""])[:3])
    terms = []
    by_year: dict[int, list[tuple[int, list[int]]]] = {}
    for (y, m), ds in sorted(by_month.items()):
        by_year.setdefault(y, []).append((m, ds))
    for y, months in sorted(by_year.items()):
        full_months = [m for m, ds in months if len(ds) == calendar.monthrange(y, m)[1]]
        if len(names) == 1 or len(full_months) == 12:
            terms.append(f"{year_col} = {lit(names[0], y, 4)}")
            continue
        for m, ds in months:
            month_term = f"{year_col} = {lit(names[0], y, 4)} AND {month_col} = {lit(names[1], m, 2)}"
            if len(names) == 2 or m in full_months:
                terms.append(f"({month_term})")
            else:
                in_list = ", ".join(lit(names[2], d, 2) for d in ds)
                terms.append(f"({month_term} AND {day_col} IN ({in_list}))")
    return "(" + " OR ".join(terms) + ")"


def partition_filter(info: TableInfo, window: listing.DateWindow | None) -> tuple[str | None, str]:
    """(predicate on partition columns or None, a note saying how the query is pruned)."""
    if window is None:
        return None, "no date filter: the query reads the whole table"
    keys = [k for k, _ in info.partition_keys]
    days = _days(window)
    for key in keys:
        if key in ("timestamp", "dt", "date", "day_partition") or info.parameters.get(f"projection.{key}.type") == "date":
            if key in ("year", "month", "day"):
                continue
            fmt = _projection_format(info, key)
            if fmt is None:
                continue
            lo, hi = days[0].strftime(fmt), days[-1].strftime(fmt)
            return (f'"{key}" BETWEEN {sql_string_literal(lo)} AND {sql_string_literal(hi)}',
                    f"partition filter on {key} from {lo} to {hi}")
    ymd = [k for k in ("year", "month", "day") if k in keys]
    if ymd and ymd == ["year", "month", "day"][: len(ymd)]:
        return _ymd_filter(info, ymd, window), f"partition filter on {'/'.join(ymd)}"
    return None, (
        f"table {info.qualified} has no date partition column (timestamp, or year/month/day): "
        "the date filter is on eventtime and Athena scans the whole table"
    )


# --- the query -----------------------------------------------------------------------------------


def _column_sql(info: TableInfo, column: str) -> str:
    """A top-level column as text; NULL when the table lacks it."""
    tree = info.columns.get(column)
    if tree is None:
        return "CAST(NULL AS VARCHAR)"
    if tree in ("string", "varchar", "char"):
        return f'"{column}"'
    if isinstance(tree, str):
        return f'CAST("{column}" AS VARCHAR)'
    return f'json_format(CAST("{column}" AS JSON))'


def _identity_sql(info: TableInfo, path: tuple[str, ...]) -> str:
    tree = _struct_field(info.columns.get("useridentity"), path)
    if tree is None:
        return "CAST(NULL AS VARCHAR)"
    expr = '"useridentity".' + ".".join(f'"{p}"' for p in path)
    return expr if tree == "string" else f"CAST({expr} AS VARCHAR)"


def _resources_sql(info: TableInfo) -> str:
    """The resources list as CloudTrail writes it (``[{"ARN":..,"accountId":..,"type":..}]``)."""
    tree = info.columns.get("resources")
    if tree is None:
        return "CAST(NULL AS VARCHAR)"
    if tree == "string":
        return '"resources"'
    if isinstance(tree, tuple) and tree[0] == "array" and isinstance(tree[1], tuple) and tree[1][0] == "struct":
        fields = dict(tree[1][1])
        names = [(k, f) for k, f in (("ARN", "arn"), ("accountId", "accountid"), ("type", "type")) if f in fields]
        if names:
            keys = ", ".join(sql_string_literal(k) for k, _ in names)
            vals = ", ".join(f'CAST(r."{f}" AS VARCHAR)' for _, f in names)
            return (f'json_format(CAST(transform("resources", r -> MAP(ARRAY[{keys}], ARRAY[{vals}])) '
                    f"AS JSON))")
    return _column_sql(info, "resources")


@dataclass(frozen=True)
class Query:
    sql: str
    notes: tuple[str, ...]   # how the date filter prunes, for the log
    scans_whole_table: bool


def build_query(
    info: TableInfo,
    pairs: list[tuple[str, str]],
    window: listing.DateWindow | None = None,
    accounts: tuple[str, ...] = (),
) -> Query:
    """The one query of ``load-athena``: mapped successful events and what the models need."""
    if not pairs:
        raise TrailcreatorError("the resource map has no events: nothing to ask Athena for")
    aws.check_accounts(accounts)
    select = [f"{_column_sql(info, col)} AS {col}" for col, _ in TOP_LEVEL]
    select += [f"{_identity_sql(info, path)} AS {col}" for col, path, _ in IDENTITY]
    for col, _ in JSON_COLUMNS:
        select.append(f"{_resources_sql(info) if col == 'resources' else _column_sql(info, col)} AS {col}")

    by_source: dict[str, list[str]] = {}
    for source, name in sorted(set(pairs)):
        by_source.setdefault(source, []).append(name)
    event_terms = [
        f"(eventsource = {sql_string_literal(s)} AND eventname IN ({', '.join(sql_string_literal(n) for n in names)}))"
        for s, names in by_source.items()
    ]
    where = ["errorcode IS NULL", "(" + "\n       OR ".join(event_terms) + ")"]
    part, note = partition_filter(info, window)
    notes = [note]
    if part:
        where.append(part)
    if window:
        where.append(f"eventtime >= {sql_string_literal(window.event_time_from)} AND eventtime < {sql_string_literal(window.event_time_before)}")
    if accounts:
        where.append(f"recipientaccountid IN ({', '.join(sql_string_literal(a) for a in accounts)})")
        if "account" in dict(info.partition_keys):
            where.append(f'"account" IN ({", ".join(sql_string_literal(a) for a in accounts)})')
    sql = (
        "SELECT\n    " + ",\n    ".join(select) + "\n"
        f"FROM {identifier(info.database, '--athena-db')}.{identifier(info.name, '--table')}\n"
        "WHERE " + "\n  AND ".join(where)
    )
    return Query(sql, tuple(notes), bool(window) and part is None)


# --- output location -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Workgroup:
    name: str
    output: str | None      # its result location, if it has one
    enforced: bool          # it overrides the client's settings


def get_workgroup(athena, name: str) -> Workgroup:
    import botocore.exceptions

    if not WORKGROUP_RE.match(name or ""):
        raise TrailcreatorError(f"--workgroup {name!r} is not an Athena workgroup name (letters, digits, . _ -)")
    try:
        wg = athena.get_work_group(WorkGroup=name).get("WorkGroup")
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        raise TrailcreatorError(
            f"--workgroup {name}: {' '.join(str(err.get('Message', e)).split())} ({err.get('Code', 'error')}): "
            "check the name and --region"
        ) from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"cannot reach Athena ({e}): check --region and the network") from None
    if not wg:
        raise TrailcreatorError(f"--workgroup {name}: no such Athena workgroup in this region: check the name and --region")
    conf = wg.get("Configuration") or {}
    output = (conf.get("ResultConfiguration") or {}).get("OutputLocation") or None
    return Workgroup(name, output, bool(conf.get("EnforceWorkGroupConfiguration")))


def default_output(account: str, region: str) -> str:
    """Upstream's default: the bucket Athena's console used to create."""
    return f"s3://aws-athena-query-results-{account}-{region}/"


def check_output_access(s3, location: str, option: str) -> None:
    """The bucket exists and we may use it: Athena writes the result there and we read it back."""
    import botocore.exceptions

    bucket, _ = parse_s3_url(location, option)
    try:
        s3.head_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise TrailcreatorError(
                f"{option} {location}: bucket {bucket} does not exist: create it or pass --athena-output s3://BUCKET/PREFIX/"
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise TrailcreatorError(
                f"{option} {location}: access denied to bucket {bucket}: Athena writes the result there and "
                "trailcreator reads it back; grant s3:ListBucket, s3:GetBucketLocation, s3:PutObject and s3:GetObject"
            ) from None
        raise TrailcreatorError(f"{option} {location}: bucket {bucket}: {code or e}") from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"{option} {location}: cannot reach S3 ({e})") from None


# --- running and polling -------------------------------------------------------------------------


def _athena_error(e, what: str) -> TrailcreatorError:
    err = getattr(e, "response", {}).get("Error", {})
    msg = " ".join(str(err.get("Message") or e).split())
    return TrailcreatorError(f"{what}: {msg} ({err.get('Code', 'error')})")


def start_query(athena, sql: str, database: str, workgroup: Workgroup, output: str | None) -> str:
    """Start the query; the client's output location is sent only where the workgroup lets it count."""
    import botocore.exceptions

    kwargs = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
        "WorkGroup": workgroup.name,
    }
    if output and not workgroup.enforced:
        kwargs["ResultConfiguration"] = {"OutputLocation": output}
    try:
        return athena.start_query_execution(**kwargs)["QueryExecutionId"]
    except botocore.exceptions.ClientError as e:
        raise _athena_error(e, "Athena refused the query") from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"cannot reach Athena ({e}): check --region and the network") from None


def get_execution(athena, query_id: str) -> dict:
    import botocore.exceptions

    try:
        return athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        msg = " ".join(str(err.get("Message") or "").split())
        if not msg or msg.startswith("<"):  # an HTML error page: say what we know
            msg = f"HTTP {e.response.get('ResponseMetadata', {}).get('HTTPStatusCode', '?')}"
        raise TrailcreatorError(
            f"--query-id {query_id}: Athena does not know this query in this region ({msg}): "
            "check the id, --region and --workgroup"
        ) from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"cannot reach Athena ({e}): check --region and the network") from None


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n} B"


def failure_reason(execution: dict) -> str:
    status = execution.get("Status", {})
    reason = status.get("StateChangeReason") or (status.get("AthenaError") or {}).get("ErrorMessage") or "no reason given"
    return " ".join(str(reason).split())


def wait(athena, query_id: str, stream=None, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Poll until the query ends, with backoff; progress lines on ``stream`` (stderr).
    Returns the execution of a SUCCEEDED query; raises with Athena's reason otherwise."""
    stream = stream or sys.stderr
    started = clock()
    delay = POLL_FIRST_DELAY
    while True:
        ex = get_execution(athena, query_id)
        state = ex.get("Status", {}).get("State", "?")
        scanned = int(ex.get("Statistics", {}).get("DataScannedInBytes") or 0)
        print(f"trailcreator: athena query:{query_id} state:{state} scanned:{_size(scanned)} "
              f"elapsed:{clock() - started:.0f}s", file=stream, flush=True)
        if state == "SUCCEEDED":
            return ex
        if state in ("FAILED", "CANCELLED"):
            raise TrailcreatorError(f"athena query {query_id} {state}: {failure_reason(ex)}")
        sleep(delay)
        delay = min(delay * POLL_FACTOR, POLL_MAX_DELAY)


def result_url(execution: dict, workgroup: Workgroup | None) -> str:
    """Where the query's CSV is: Athena reports it; else the workgroup's location + id.csv."""
    qid = execution["QueryExecutionId"]
    loc = (execution.get("ResultConfiguration") or {}).get("OutputLocation")
    if not loc and workgroup and workgroup.output:
        loc = workgroup.output
    if not loc:
        raise TrailcreatorError(
            f"athena query {qid}: Athena reports no result location: pass --athena-output, or set one on the workgroup"
        )
    if not loc.endswith(".csv"):
        loc = loc.rstrip("/") + f"/{qid}.csv"
    return loc


def check_result(s3, url: str, query_id: str, columns: tuple[str, ...] = RESULT_COLUMNS,
                 what: str = "a load-athena result") -> ResultObject:
    """The result CSV is there, readable, and has ``columns`` (those a load-athena query writes)."""
    import botocore.exceptions

    bucket, key = parse_s3_url(url, "result")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        size = int(head.get("ContentLength", 0))
        first = b""
        if size:
            first = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")["Body"].read()
    except botocore.exceptions.ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
            raise TrailcreatorError(
                f"athena query {query_id}: its result {url} is gone ({code}): a lifecycle rule may have removed it; "
                "run the query again without --query-id"
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise TrailcreatorError(
                f"athena query {query_id}: access denied reading its result {url}: grant s3:GetObject on it"
            ) from None
        raise TrailcreatorError(f"athena query {query_id}: cannot read its result {url} ({code or e})") from None
    if size:
        line = first.decode("utf-8", "replace").splitlines()[0] if first else ""
        header = [c.strip().lower() for c in next(csv.reader(io.StringIO(line)), [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise TrailcreatorError(
                f"athena query {query_id}: its result is not {what} (no column "
                f"{', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}): give the id of a query "
                "trailcreator load-athena started"
            )
    return ResultObject(url, size, str(head.get("ETag", "")).strip('"'))


# --- the command ---------------------------------------------------------------------------------


def choose_output(session, s3, workgroup: Workgroup, output: str | None, region: str) -> str | None:
    """Where the query's result goes: a workgroup that enforces its settings decides (and the
    client sends none); else --athena-output, else upstream's default.  Checked for access."""
    if workgroup.enforced:
        location = workgroup.output
        if output and location and output.rstrip("/") != location.rstrip("/"):
            log.warning("workgroup %s enforces its settings: results go to %s, not --athena-output %s",
                        workgroup.name, location, output)
        if location:
            check_output_access(s3, location, f"the output location of workgroup {workgroup.name}")
        return None
    location, option = output, "--athena-output"
    if not location:
        account = aws.caller_account(session)
        location, option = default_output(account, region), "the default --athena-output"
    check_output_access(s3, location, option)
    return location


@dataclass
class AthenaSummary:
    query_id: str = ""
    result_url: str = ""
    rows: int = 0
    events_kept: int = 0
    resources: int = 0
    elapsed: float = 0.0
    sqlite_rows: dict = field(default_factory=dict)

    def line(self) -> str:
        return (f"athena query:{self.query_id} result rows:{self.rows} create events kept:{self.events_kept} "
                f"resources:{self.resources} elapsed:{self.elapsed:.1f}s")


def run_load_athena(region: str, table: str, map_path: str | None, db_path: str, duckdb_path: str | None = None,
                    **kw) -> AthenaSummary:
    """Query (or take --query-id's result), then the same dbt models and export as ``load``.

    The output paths are checked and the DuckDB file's workspace held before Athena is asked
    anything."""
    from . import load
    from .workspace import outputs, workspace

    duckdb_path = duckdb_path or load.default_duckdb_path(db_path)
    outputs.prepare(db_path, duckdb_path)
    with workspace.Workspace.for_duckdb(duckdb_path).lock():
        return _run_load_athena(region, table, map_path, db_path, duckdb_path=duckdb_path, **kw)


def _run_load_athena(
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
    session=None,
    stream=None,
) -> AthenaSummary:
    """Query (or take --query-id's result), then the same dbt models and export as ``load``."""
    import duckdb

    from . import export, load
    from .ingest.s3 import s3_client
    from .workspace import dbt_run

    stream = stream or sys.stderr
    started = time.monotonic()
    aws.check_region(region or "")
    aws.check_accounts(accounts)
    if query_id is not None and not QUERY_ID_RE.match(query_id):
        raise TrailcreatorError(f"--query-id {query_id!r} is not an Athena query execution id")
    if output is not None:
        parse_s3_url(output, "--athena-output")
    identifier(database, "--athena-db")
    identifier(table, "--table")
    if not WORKGROUP_RE.match(workgroup_name or ""):
        raise TrailcreatorError(f"--workgroup {workgroup_name!r} is not an Athena workgroup name (letters, digits, . _ -)")
    duckdb_path = duckdb_path or load.default_duckdb_path(db_path)
    rmap = resource_map.load(map_path)  # validated now; compiled for dbt (with the c7n check) after the query

    if session is not None:  # --profile/--assume: the dbt model's S3 reads use it too
        aws.use_session(session)
    session = session or aws.AccountSessionFactory(region)()
    athena = session.client("athena", region_name=region)
    s3 = s3_client(session, region)
    workgroup = get_workgroup(athena, workgroup_name)

    if query_id:
        ex = get_execution(athena, query_id)
        state = ex.get("Status", {}).get("State", "?")
        if state != "SUCCEEDED":
            raise TrailcreatorError(
                f"--query-id {query_id}: the query {state}"
                + (f": {failure_reason(ex)}" if state in ("FAILED", "CANCELLED") else ": wait for it to finish")
                + ("" if state not in ("FAILED", "CANCELLED") else "; run load-athena without --query-id to query again")
            )
    else:
        info = describe_table(session.client("glue", region_name=region), database, table)
        query = build_query(info, rmap.event_pairs, window, tuple(accounts))
        for note in query.notes:
            (log.warning if query.scans_whole_table else log.info)(note)
        location = choose_output(session, s3, workgroup, output, region)
        query_id = start_query(athena, query.sql, info.database, workgroup, location)
        print(f"trailcreator: athena query:{query_id} started in workgroup {workgroup.name}", file=stream, flush=True)
        ex = wait(athena, query_id, stream)

    url = result_url(ex, workgroup)
    result = check_result(s3, url, query_id)
    print(f"trailcreator: athena result {url} ({_size(result.size)})", file=stream, flush=True)

    load.compile_map(map_path, duckdb_path)
    env = load.dbt_env(listing.TrailSpec(root="", accounts=tuple(accounts), window=window), creator_format)
    env["TRAILCREATOR_ATHENA_RESULT"] = url
    before = _ledger_row(duckdb_path, url)
    if full_refresh:
        env["TRAILCREATOR_READ_ALL_AGAIN"] = "1"
    dbt_run.build(duckdb_path, env, full_refresh=full_refresh)

    summary = AthenaSummary(query_id=query_id, result_url=url)
    con = duckdb.connect(duckdb_path)
    try:
        row = con.execute("select records_scanned, records_kept, run_id from ingest.objects where object_key = ?",
                          [url]).fetchone()
        summary.rows, summary.events_kept = int(row[0]), int(row[1])
        summary.resources = con.execute("select count(*) from resource_creators").fetchone()[0]
        if before is not None and before == row[2]:
            log.info("result %s was read by an earlier run: nothing new to read", url)
    finally:
        con.close()
    summary.sqlite_rows = export.export_sqlite(duckdb_path, db_path)
    summary.elapsed = time.monotonic() - started
    return summary


def _ledger_row(duckdb_path: str, url: str) -> str | None:
    """The run that read ``url`` into the DuckDB file, if any."""
    import os

    import duckdb

    if not os.path.exists(duckdb_path):
        return None
    con = duckdb.connect(duckdb_path)
    try:
        if not con.execute("select 1 from duckdb_tables() where schema_name = 'ingest' and table_name = 'objects'").fetchone():
            return None
        row = con.execute("select run_id from ingest.objects where object_key = ?", [url]).fetchone()
        return row[0] if row else None
    finally:
        con.close()


# --- export: the Athena target's tables -> the SQLite file ---------------------------------------

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
    import duckdb

    from . import export, load
    from .ingest.s3 import configure_s3, s3_client, s3_settings
    from .workspace import outputs

    stream = stream or sys.stderr
    aws.check_region(region or "")
    identifier(schema, "--athena-schema")
    if not WORKGROUP_RE.match(workgroup_name or ""):
        raise TrailcreatorError(f"--workgroup {workgroup_name!r} is not an Athena workgroup name (letters, digits, . _ -)")
    if output is not None:
        parse_s3_url(output, "--athena-output")
    duckdb_path = duckdb_path or load.default_duckdb_path(db_path)
    outputs.prepare(db_path, duckdb_path)
    if session is not None:
        aws.use_session(session)
    session = session or aws.AccountSessionFactory(region)()
    athena = session.client("athena", region_name=region)
    s3 = s3_client(session, region)
    workgroup = get_workgroup(athena, workgroup_name)
    location = choose_output(session, s3, workgroup, output, region)

    results = {}
    for table in EXPORT_TABLES:
        sql = f"SELECT * FROM {identifier(schema, '--athena-schema')}.{identifier(table, 'table')}"
        qid = start_query(athena, sql, schema.lower(), workgroup, location)
        print(f"trailcreator: athena query:{qid} started: {table}", file=stream, flush=True)
        ex = wait(athena, qid, stream)
        url = result_url(ex, workgroup)
        check_result(s3, url, qid, EXPORT_COLUMNS[table], f"the {table} table of dbt build --target athena")
        results[table] = url

    con = duckdb.connect(duckdb_path)
    try:
        for table, url in results.items():
            bucket, _ = parse_s3_url(url, "result")
            configure_s3(con, s3_settings(bucket))
            try:
                n = load_result_table(con, table, url)
            except duckdb.Error as e:
                raise TrailcreatorError(f"cannot read the Athena result {url}: {str(e).splitlines()[0]}") from None
            print(f"trailcreator: {table}: {n} rows from {url}", file=stream, flush=True)
    finally:
        con.close()
    return export.export_sqlite(duckdb_path, db_path)
