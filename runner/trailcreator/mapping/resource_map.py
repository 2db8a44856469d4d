"""The resource map: load it, validate it, and compile it into the dbt macros the models use.

Format (upstream c7n-trailcreator's):
``{"resources": [{"resource": TYPE, "events": [{"event": NAME, "service": SOURCE, "ids": JMESPATH}]}]}``.
One (service, event) pair may feed several resource types and one event may yield several ids.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from importlib import resources as importlib_resources
from pathlib import Path

import jsonschema

from .. import aws
from ..errors import TrailcreatorError
from . import jmespath_sql
from .jmespath_sql import sql_string_literal

log = logging.getLogger("trailcreator")

DEFAULT_MAP = "default.json"
GENERATED_MACROS = Path("macros") / "generated" / "resource_map.sql"


@dataclass(frozen=True)
class MapEntry:
    resource_type: str
    event_source: str
    event_name: str
    ids: str


@dataclass(frozen=True)
class ResourceMap:
    source: str                 # the file it came from, for messages
    entries: tuple[MapEntry, ...]
    sha256: str                 # of the file's bytes

    @property
    def event_pairs(self) -> list[tuple[str, str]]:
        """The distinct (eventSource, eventName) pairs the trail is filtered on."""
        return sorted({(e.event_source, e.event_name) for e in self.entries})

    @property
    def resource_types(self) -> list[str]:
        return sorted({e.resource_type for e in self.entries})


def default_map_path() -> str:
    return str(importlib_resources.files(__package__) / "resource_maps" / DEFAULT_MAP)


def _schema() -> dict:
    text = (importlib_resources.files(__package__) / "schemas" / "resource_map.schema.json").read_text()
    return json.loads(text)


def _path_of(error: jsonschema.ValidationError) -> str:
    return " -> ".join(str(p) for p in error.absolute_path) or "(top level)"


def load(path: str | None) -> ResourceMap:
    """Read and validate a map; every ids expression is parsed now, so a bad one fails here."""
    path = path or default_map_path()
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise TrailcreatorError(f"resource map {path}: cannot read it ({e.strerror})") from None
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise TrailcreatorError(f"resource map {path}: not valid JSON ({e})") from None
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise TrailcreatorError(f"resource map {path}: {_path_of(err)}: {err.message}")
    entries: list[MapEntry] = []
    seen: set[tuple[str, str, str]] = set()
    for i, res in enumerate(doc["resources"]):
        rtype = res["resource"].removeprefix("aws.")
        for j, ev in enumerate(res["events"]):
            where = f"resources -> {i} -> events -> {j} -> ids"
            try:
                jmespath_sql.parse_ids(ev["ids"])
            except (jmespath_sql.InvalidExpression, jmespath_sql.UnsupportedExpression) as e:
                raise TrailcreatorError(f"resource map {path}: {where}: {e}") from None
            key = (rtype, ev["service"], ev["event"])
            if key in seen:
                raise TrailcreatorError(
                    f"resource map {path}: resources -> {i} -> events -> {j}: {rtype} "
                    f"{ev['service']} {ev['event']} is listed twice: keep one entry"
                )
            seen.add(key)
            entries.append(MapEntry(rtype, ev["service"], ev["event"], ev["ids"]))
    return ResourceMap(str(path), tuple(entries), hashlib.sha256(raw).hexdigest())


def check_types_with_c7n(rmap: ResourceMap) -> list[str]:
    """Refuse types Cloud Custodian does not know; return warnings for types it cannot tag."""
    registry = aws.c7n_resources()
    warnings = []
    for rtype in rmap.resource_types:
        klass = registry.get(rtype)
        if klass is None:
            raise TrailcreatorError(
                f"resource map {rmap.source}: resource type {rtype!r} is not a Cloud Custodian AWS "
                "resource type: use the name `custodian schema aws` lists (e.g. iam-role, s3, ec2)"
            )
        if klass.action_registry.get("tag") is None:
            warnings.append(f"resource type {rtype} has no tag action in Cloud Custodian: its creators are loaded but not tagged")
    return warnings


# --- compiling to dbt macros ------------------------------------------------------------


_JINJA = re.compile(r"[{}]")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]")


def _no_jinja(sql: str, what: str) -> str:
    """Generated SQL goes into a file dbt renders as Jinja.  It never holds a brace (string
    literals spell them with chr()), so it cannot open or close a template tag, whatever the map
    says; this is checked here rather than trusted."""
    if _JINJA.search(sql):
        raise TrailcreatorError(f"internal error: the SQL generated for {what} holds a brace, which dbt would read as Jinja")
    return sql


def render_macros(rmap: ResourceMap) -> str:
    """The generated macros file: the map's rows, and the id extraction per engine.  Map values
    reach the SQL only as ``sql_string_literal``s, which spell braces with ``chr()``: no map value
    can form Jinja."""
    rows = _no_jinja(",\n        ".join(
        f"({sql_string_literal(e.resource_type)}, {sql_string_literal(e.event_source)}, {sql_string_literal(e.event_name)}, {sql_string_literal(e.ids)})"
        for e in rmap.entries
    ), "the map's rows")
    duckdb = render_extraction(rmap, "duckdb")
    try:
        athena = render_extraction(rmap, "athena")
    except jmespath_sql.UnsupportedExpression:
        # DuckDB evaluates these with jmespath itself; Athena cannot, so `dbt build --target athena`
        # stops at compile time.  A fixed message: no map text ever reaches Jinja.
        athena = ATHENA_REFUSED
    # The file name goes into a Jinja comment: keep only characters that cannot end it.
    name = _SAFE_NAME.sub("_", os.path.basename(rmap.source))
    return f"""{{#-
  GENERATED by `trailcreator compile-map` from {name} (sha256 {rmap.sha256[:16]}).
  Do not edit: change the resource map and run `trailcreator compile-map MAP` again.
-#}}

{{% macro resource_map_rows() %}}
    {{#- One row per (resource_type, event_source, event_name, ids expression) of the map. -#}}
    select * from (values
        {rows}
    ) as t(resource_type, event_source, event_name, ids_expression)
{{% endmacro %}}

{{% macro duckdb__extract_resource_ids(events) %}}
    {{#- One row per (event_id, resource_type, resource_id); `events` has event_id, event_source, event_name, doc (JSON). -#}}
{duckdb}
{{% endmacro %}}

{{% macro athena__extract_resource_ids(events) %}}
    {{#- The same on Athena (Trino). -#}}
{athena}
{{% endmacro %}}
"""


ATHENA_REFUSED = (
    "    {{ exceptions.raise_compiler_error(\"trailcreator: the resource map has an ids expression that cannot "
    "be compiled to Athena SQL: trailcreator compile-map MAP names it\") }}"
)


def athena_refusals(rmap: ResourceMap) -> list[str]:
    """One line per map entry whose ids expression cannot be compiled to Athena SQL, naming the
    construct (DuckDB evaluates such an expression with jmespath itself)."""
    out = []
    for e in rmap.entries:
        missing = jmespath_sql.sql_construct_missing(e.ids, "athena")
        if missing:
            out.append(f"resource map {rmap.source}: {e.resource_type} {e.event_source} {e.event_name}: "
                       f"on Athena: {missing}")
    return out


def render_extraction(rmap: ResourceMap, dialect: str) -> str:
    """The body of extract_resource_ids for one engine (``duckdb`` or ``athena``).

    Each map entry contributes the JSON value its expression yields; the rule that turns a
    value into ids (the long part of the SQL) is applied once to all of them, which keeps the
    SQL small (Athena limits query text to 262,144 bytes) for maps of hundreds of events."""
    # One join of the events with the map's (type, source, name, expression number) rows, and one
    # CASE over the distinct expressions: each expression's SQL is written once (the map reuses
    # requestParameters.name and the like), so the SQL stays small for maps of hundreds of events.
    numbers: dict[str, int] = {}
    for e in rmap.entries:
        numbers.setdefault(e.ids, len(numbers) + 1)
    branches = []
    for ids, n in numbers.items():
        try:
            value_sql = _no_jinja(jmespath_sql.compile_value(ids, "doc", dialect=dialect), repr(ids))
        except jmespath_sql.UnsupportedExpression as err:
            e = next(e for e in rmap.entries if e.ids == ids)
            raise jmespath_sql.UnsupportedExpression(
                f"resource map {rmap.source}: {e.resource_type} {e.event_source} {e.event_name}: "
                f"on {dialect.capitalize()}: {err}") from None
        branches.append(f"            when {n} then CAST({value_sql} AS JSON)")
    rows = ",\n                ".join(
        f"({sql_string_literal(e.resource_type)}, {sql_string_literal(e.event_source)}, {sql_string_literal(e.event_name)}, {numbers[e.ids]})"
        for e in rmap.entries)
    value = "\n".join(branches)
    ids_sql = _no_jinja(jmespath_sql.normalize_sql("v.ids_value", dialect=dialect), "the id rule")
    return (
        "    select v.event_id, v.resource_type, t.resource_id\n"
        "    from (\n"
        "        select e.event_id, m.resource_type, case m.expression\n"
        f"{value}\n"
        "        end as ids_value\n"
        "        from {{ events }} as e\n"
        "        inner join (values\n"
        f"                {rows}\n"
        "        ) as m (resource_type, event_source, event_name, expression)\n"
        "            on e.event_source = m.event_source and e.event_name = m.event_name\n"
        "    ) as v\n"
        f"    cross join unnest({ids_sql}) as t (resource_id)"
    )



def write_dbt_macros(rmap: ResourceMap, project_dir: str) -> str:
    """Write the generated macros atomically; return the path written."""
    for line in athena_refusals(rmap):
        log.warning(line)
    target = Path(project_dir) / GENERATED_MACROS
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render_macros(rmap)
    if target.exists() and target.read_text() == text:
        return str(target)
    tmp = target.with_suffix(f".sql.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, target)
    return str(target)
