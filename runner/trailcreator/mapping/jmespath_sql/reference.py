"""What an ``ids`` expression means, in Python: the ids a jmespath result stands for, and jmespath
itself evaluating an expression inside DuckDB for what the compiler does not translate
(docs/jmespath.md)."""

from __future__ import annotations

import functools
import json

import jmespath
from jmespath import exceptions as jmespath_exceptions


def _number_text(n) -> str:
    if isinstance(n, int) and -(2**63) <= n < 2**64:
        return str(n)
    return repr(float(n))


def normalize_ids(value) -> list[str]:
    """The ids a jmespath result stands for: flat list of strings, in order (see the module doc)."""
    out: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, bool) or v is None or isinstance(v, dict):
            continue
        if isinstance(v, str):
            if v:
                out.append(v)
        elif isinstance(v, (int, float)):
            out.append(_number_text(v))
        elif isinstance(v, list):
            stack.extend(reversed(v))
    return out


# --- jmespath inside DuckDB ----------------------------------------------------------------------

#: The DuckDB scalar function (VARCHAR expression, VARCHAR JSON document) -> VARCHAR JSON result that
#: the SQL calls for what it does not compile.  :func:`register` defines it on a connection; the dbt
#: project's profile does so through ``trailcreator.mapping.dbt_plugin``.
UDF_NAME = "trailcreator_jmespath"


@functools.lru_cache(maxsize=4096)
def _parsed(expression: str):
    return jmespath.compile(expression)


def jmespath_json(expression: str | None, document: str | None) -> str | None:
    """``expression`` on the JSON text ``document``, by jmespath, as JSON text ('null' for null).
    Where jmespath raises at run time (a type error), the result is null, as in the compiled SQL."""
    if expression is None or document is None:
        return None
    try:
        value = _parsed(expression).search(json.loads(document))
        # NaN and infinities (to_number('nan')) and expression references are not JSON: null.
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (jmespath_exceptions.JMESPathError, ValueError, TypeError, RecursionError):
        return "null"


def register(con) -> None:
    """Define :data:`UDF_NAME` on the DuckDB connection ``con`` (idempotent): every connection that
    runs SQL from :func:`compile_ids` / :func:`compile_value` needs it."""
    import duckdb

    varchar = duckdb.sqltype("VARCHAR")
    try:
        con.create_function(UDF_NAME, jmespath_json, [varchar, varchar], varchar)
    except duckdb.Error as e:  # already defined on this connection
        if "already" not in str(e).lower():
            raise
