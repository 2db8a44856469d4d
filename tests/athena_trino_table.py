"""The Athena table of a test, in the test Trino: the columns and partition keys Glue (moto)
holds for it, filled with a ``trailgen.Trail``'s records, so ``load-athena``'s query runs on
the real engine against the very definition the product read.

What is Athena's alone and stood in for here:

- ``CloudTrailSerde`` reads CloudTrail's gzipped ``{"Records": [...]}`` objects and hands the
  JSON elements (``requestParameters``...) over as text.  Trino has no such serde: each record
  is written one per line in the table's shape (lower-case names; a varchar column or field
  that holds JSON in the record gets its JSON text) for Trino's Hive JSON format.
- Partition projection computes partitions from the query's filter; here each delivery day's
  partition is registered (``system.register_partition``) with the value projection gives it:
  ``timestamp`` = ``yyyy/MM/dd``, or ``region/year/month/day``, from the object's key.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from trailcreator.athena.sql import parse_hive_type

KEY_RE = re.compile(r"/CloudTrail/([^/]+)/(\d{4})/(\d{2})/(\d{2})/([^/]+)$")


def trino_type(tree) -> str:
    if isinstance(tree, str):
        return {"string": "varchar", "int": "integer"}.get(tree, tree)
    if tree[0] == "struct":
        return "ROW(" + ", ".join(f'"{n}" {trino_type(t)}' for n, t in tree[1]) + ")"
    if tree[0] == "array":
        return f"ARRAY({trino_type(tree[1])})"
    return f"MAP({trino_type(tree[1])}, {trino_type(tree[2])})"


def shaped(value, tree):
    """A record's value as the column of type ``tree`` holds it."""
    if value is None:
        return None
    if isinstance(tree, str):
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if tree[0] == "struct":
        if not isinstance(value, dict):
            return None
        lower = {k.lower(): v for k, v in value.items()}
        return {n: shaped(lower.get(n), t) for n, t in tree[1]}
    if tree[0] == "array":
        return [shaped(v, tree[1]) for v in value] if isinstance(value, list) else None
    return {str(k): shaped(v, tree[2]) for k, v in value.items()} if isinstance(value, dict) else None


def trail_of(records: list[dict]):
    """A ``trailgen.Trail`` delivering ``records`` in order, one file per account, region and day."""
    import trailgen

    trail, files = trailgen.Trail(), {}
    for rec in records:
        files.setdefault((rec["recipientAccountId"], rec["awsRegion"], rec["eventTime"][:10]), []).append(rec)
    for i, recs in enumerate(files.values()):
        trail.add(recs, tag=f"file-{i}")
    return trail


def partition_values(keys: list[str], region: str, y: str, m: str, d: str) -> list[str]:
    values = {"timestamp": f"{y}/{m}/{d}", "region": region, "year": y, "month": m, "day": d}
    return [values[k] for k in keys]


def create(trino, glue, database: str, table: str, trail) -> dict[tuple[str, ...], int]:
    """``hive.<database>.<table>`` as Glue defines it, holding ``trail``'s records; returns the
    number of records in each partition (by partition values; ``()`` when unpartitioned)."""
    t = glue.get_table(DatabaseName=database, Name=table)["Table"]
    cols = [(c["Name"].lower(), parse_hive_type(c["Type"])) for c in t["StorageDescriptor"]["Columns"]]
    keys = [k["Name"].lower() for k in t.get("PartitionKeys", [])]
    root = Path(trino.warehouse) / database / table
    shutil.rmtree(root, ignore_errors=True)  # a table made again holds only this trail
    counts: dict[tuple[str, ...], int] = {}
    for key, records in trail.files.items():
        m = KEY_RE.search(key)
        if not m:
            continue  # Athena's table location holds CloudTrail's folder only
        region, y, mo, d, name = m.groups()
        values = tuple(partition_values(keys, region, y, mo, d))
        folder = root.joinpath(*[v.replace("/", "-") for v in values])
        folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for rec in records:
            lower = {k.lower(): v for k, v in rec.items()}
            lines.append(json.dumps({c: shaped(lower.get(c), tree) for c, tree in cols}) + "\n")
        (folder / name.removesuffix(".gz")).write_text("".join(lines))
        counts[values] = counts.get(values, 0) + len(records)
    create_json_table(trino.query, database, table, cols, keys, f"{database}/{table}",
                      {values: "/".join(v.replace("/", "-") for v in values) for values in counts} if keys else {})
    return counts


def create_json_table(q, schema: str, table: str, cols, keys: list[str], location: str, partitions: dict) -> None:
    """``hive.<schema>.<table>`` (made again) over the JSON lines at ``local:///<location>``:
    ``cols`` (name, parsed Hive type), partition columns ``keys``, and ``partitions``
    (values -> folder under the location) registered as projection would give them."""
    q(f'CREATE SCHEMA IF NOT EXISTS hive."{schema}"')
    q(f'DROP TABLE IF EXISTS hive."{schema}"."{table}"')
    column_sql = ", ".join(f'"{c}" {trino_type(tree)}' for c, tree in cols + [(k, "string") for k in keys])
    props = f"format = 'JSON', external_location = 'local:///{location}'"
    if keys:
        props += ", partitioned_by = ARRAY[" + ", ".join(f"'{k}'" for k in keys) + "]"
    q(f'CREATE TABLE hive."{schema}"."{table}" ({column_sql}) WITH ({props})')
    for values, where in sorted(partitions.items()):
        q(f"CALL hive.system.register_partition('{schema}', '{table}', ARRAY[{', '.join(repr(k) for k in keys)}], "
          f"ARRAY[{', '.join(repr(v) for v in values)}], 'local:///{location}/{where}')")
