"""The CloudTrail table of the Athena user guide, in the test Trino: the columns of
``athena_fake.COLUMNS`` (one list for both), filled from a ``trailgen.Trail``, the same
records the DuckDB tests load (or from any log objects: ``load_objects``, the bench's).

What is Athena's alone and stood in for here:

- ``CloudTrailSerde`` reads CloudTrail's gzipped ``{"Records": [...]}`` objects and hands
  ``requestParameters`` and the other JSON elements over as text.  Trino has no such serde, so
  each record is written one per line in the table's shape (lower-case names, those elements
  already JSON text) for Trino's Hive JSON format.
- Partition projection computes partitions from the query's filter; here the partitions are
  registered (``system.register_partition``) with the values projection would give: one
  ``timestamp`` (``yyyy/MM/dd``) per delivery day, or ``region/year/month/day``.

One set of files serves three tables, one per ``cloudtrail_partitioning`` of the models:
``<root>/<yyyy>/<mm>/<dd>/<region>/<object>.json``, read recursively.
"""

from __future__ import annotations

import json
from pathlib import Path

from athena_fake import COLUMNS
from athena_trino_table import KEY_RE, create_json_table, shaped
from trailcreator.athena.sql import parse_hive_type

# The source-identity link reads useridentity.sessioncontext.sourceidentity, which the guide's
# table lacks: the tests add it (var cloudtrail_source_identity: true), as its docs tell users.
SOURCE_IDENTITY = ("sourceidentity", "string")
PARTITIONING = {"timestamp": ["timestamp"], "year_month_day": ["region", "year", "month", "day"], "none": []}


def columns(source_identity: bool = True) -> list[tuple[str, object]]:
    """(name, parsed Hive type) of each column of the guide's table."""
    out = []
    for name, hive in COLUMNS:
        if name == "useridentity" and source_identity:
            hive = hive.replace("sessioncontext:struct<", f"sessioncontext:struct<{SOURCE_IDENTITY[0]}:string,")
        out.append((name, parse_hive_type(hive)))
    return out


def table_row(record: dict, cols: list[tuple[str, object]]) -> dict:
    """One CloudTrail record as the table holds it (what CloudTrailSerde would hand Athena):
    the JSON elements, typed string, become their JSON text."""
    lower = {k.lower(): v for k, v in record.items()}
    return {name: shaped(lower.get(name), tree) for name, tree in cols}


def _delivery(key: str) -> tuple[str, str, str, str]:
    """(region, yyyy, mm, dd) of a CloudTrail object key."""
    m = KEY_RE.search(key)
    if not m:
        raise ValueError(f"not a CloudTrail log key: {key}")
    return m.groups()[:4]


def load_trail(server, trail, schema: str = "cloudtrail", table: str = "cloudtrail_logs",
               source_identity: bool = True) -> dict[str, str]:
    """``load_objects`` of a ``trailgen.Trail``'s log objects."""
    return load_objects(server, trail.files.items(), schema, table, source_identity)


def load_objects(server, objects, schema: str = "cloudtrail", table: str = "cloudtrail_logs",
                 source_identity: bool = True) -> dict[str, str]:
    """Write the log objects ``objects`` ((key, records) pairs, read one at a time: a bench
    trail's gzipped files stream through) under the warehouse and create ``schema.table`` three
    times (``<table>``: timestamp partitions, ``<table>_ymd``, ``<table>_flat``); returns
    partitioning -> table name.  Only keys in CloudTrail's folder are written, as Athena's
    table location holds only them."""
    root = Path(server.warehouse) / schema / table
    cols = columns(source_identity)
    days, region_days = set(), set()
    for key, records in objects:
        region, y, m, d = _delivery(key)
        folder = root / y / m / d / region
        folder.mkdir(parents=True, exist_ok=True)
        name = Path(key).name.removesuffix(".gz").removesuffix(".json") + ".json"
        (folder / name).write_text("".join(json.dumps(table_row(r, cols)) + "\n" for r in records))
        days.add((y, m, d))
        region_days.add((region, y, m, d))
    names = {}
    for partitioning, keys in PARTITIONING.items():
        name = {"timestamp": table, "year_month_day": f"{table}_ymd", "none": f"{table}_flat"}[partitioning]
        names[partitioning] = name
        if partitioning == "timestamp":
            partitions = {("/".join(day),): "/".join(day) for day in days}
        elif keys:
            partitions = {parts: "/".join(parts[1:]) + "/" + parts[0] for parts in region_days}
        else:
            partitions = {}
        create_json_table(server.query, schema, name, cols, keys, f"{schema}/{table}", partitions)
    return names
