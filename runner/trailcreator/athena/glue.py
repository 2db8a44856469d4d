"""A CloudTrail table in the Glue Data Catalog (Athena's catalog): its columns and partition keys,
and the date window as a predicate on those partitions.

:func:`describe_table` makes an unknown database or table one clear line before any query
runs, so the query names only the columns the table has.  :func:`partition_filter` turns the
date window into a predicate on the table's partition columns (partition projection on
``timestamp`` ``yyyy/MM/dd``, or ``year/month/day``), so Athena reads only those days.

The dbt project writes the same filter for ``dbt build --target athena``
(``athena_trail_filter`` in ``dbt_project/macros/staging.sql``)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

from ..errors import TrailcreatorError
from ..ingest import listing
from ..mapping.jmespath_sql import sql_string_literal
from .sql import identifier, parse_hive_type

# Without these a result cannot be a CloudTrail table's: the query needs them to filter at all.
REQUIRED_TABLE_COLUMNS = ("eventsource", "eventname", "errorcode", "eventtime")

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


def _ymd_filter(info: TableInfo, names: list[str], window: listing.DateWindow) -> str:
    """year/month/day partitions: whole years, whole months, and single days, as equalities."""
    types = dict(info.partition_keys)

    def lit(name: str, value: int, width: int) -> str:
        if types.get(name, "string") in ("int", "integer", "bigint", "smallint", "tinyint"):
            return str(value)
        return sql_string_literal(f"{value:0{width}d}")

    days = window.delivery_days()
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
    days = window.delivery_days()
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
