"""The one query of ``load-athena``: the mapped create events that succeeded, and what the models need.

Successful events only (``errorcode is null``), only the mapped (eventsource, eventname)
pairs, the identity fields the creator rules need, and the raw ``requestparameters`` /
``responseelements`` / ``additionaleventdata`` / ``resources`` JSON, in the columns the
result's contract names (``ingest.athena_result``).  The resource ids are extracted afterwards
by the same DuckDB models as ``trailcreator load`` (the map compiled to DuckDB SQL), so the two
loaders cannot disagree; ``dbt build --target athena`` is the path that extracts ids in Athena."""

from __future__ import annotations

from dataclasses import dataclass

from .. import aws
from ..errors import TrailcreatorError
from ..ingest import listing
from ..ingest.athena_result import IDENTITY, JSON_COLUMNS, TOP_LEVEL
from ..mapping.jmespath_sql import sql_string_literal
from .glue import TableInfo, partition_filter
from .sql import _struct_field, identifier

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
