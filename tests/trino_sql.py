"""Evaluate many Athena-dialect SQL expressions on the test Trino at once.

Each item is (SQL expression over the JSON column ``doc``, the document); fifty items are one
query (a UNION ALL of one-row selects), not fifty: Trino's cost is per expression planned, its
cost per query (a round trip, a query id, its stages) is what batching saves.  ``outer`` wraps the CASE's value (named ``v``) once, as the generated
macro applies the id normalization once to the values of every map entry.  A batch that fails is split in halves until the failing item is alone, so
an expected run-time error (``fail()``) is pinned to its own case.  The result of an item is its
value as JSON (``json.loads`` of Trino's ``json_format``; SQL NULL is None) or the TrinoError.
"""

from __future__ import annotations

import json

from trino_server import TrinoError

from trailcreator.mapping.jmespath_sql.dialects import sql_string_literal

BATCH = 50


def _doc(value) -> str:
    if value is None:
        return "CAST(NULL AS JSON)"
    return f"json_parse({sql_string_literal(json.dumps(value))})"  # ASCII: json.dumps escapes the rest


def evaluate(server, items: list[tuple[str, object]], outer: str = "v") -> list:
    out: list = [None] * len(items)
    for start in range(0, len(items), BATCH):
        _run(server, items, list(range(start, min(start + BATCH, len(items)))), out, outer)
    return out


def _run(server, items, idx: list[int], out: list, outer: str) -> None:
    selects = "\n  UNION ALL ".join(
        f"SELECT {i} AS n, CAST({items[i][0]} AS JSON) AS v FROM (SELECT {_doc(items[i][1])} AS doc)" for i in idx)
    sql = f"SELECT n, json_format(CAST({outer} AS JSON))\nFROM (\n  {selects}\n) AS w"
    try:
        rows = server.query(sql)
    except TrinoError as e:
        if len(idx) == 1:
            out[idx[0]] = e
            return
        half = len(idx) // 2
        _run(server, items, idx[:half], out, outer)
        _run(server, items, idx[half:], out, outer)
        return
    for n, text in rows:
        out[n] = None if text is None else json.loads(text)
