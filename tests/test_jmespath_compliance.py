"""The JMESPath compliance suite (tests/compliance/, vendored) through the path the models use.

Every case with a `result`: the expression is compiled with ``jmespath_sql.compile_value`` (what
``resource_map.render_extraction`` writes into the dbt macro), evaluated on DuckDB against the
case's document, and compared with the expected value.  An expression is either evaluated exactly
(in SQL, or by jmespath inside DuckDB for what the SQL does not express) or refused naming the
construct; never a different answer.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import jmespath
import pytest

from trailcreator.mapping.jmespath_sql import (
    UDF_NAME,
    InvalidExpression,
    UnsupportedExpression,
    compile_value,
    register,
)

SUITE = Path(__file__).parent / "compliance"


def _cases():
    out = []
    for path in sorted(SUITE.glob("*.json")):
        for g, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            for c, case in enumerate(group["cases"]):
                if "result" in case:
                    out.append((f"{path.stem}-{g}-{c}", group["given"], case["expression"], case["result"]))
    return out


CASES = _cases()


def same(a, b) -> bool:
    """JSON equality: booleans are not numbers, 1 == 1.0, objects by keys, arrays in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    register(c)
    yield c
    c.close()


def outcome(con, given, expression, expected) -> str:
    """'sql' or 'jmespath' (evaluated on DuckDB, exactly), 'refused', 'not-applicable' (the
    installed jmespath itself refuses the expression), or 'wrong: ...'."""
    try:
        jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError:
        return "not-applicable"
    try:
        sql = compile_value(expression, "doc")
    except InvalidExpression as e:
        return f"wrong: a valid expression refused as invalid: {e}"
    except UnsupportedExpression as e:
        assert "\n" not in str(e) and repr(expression) in str(e)
        return "refused"
    got = con.execute(f"select CAST({sql} AS VARCHAR) from (select CAST(? AS JSON) as doc)",
                      [json.dumps(given)]).fetchone()[0]
    value = None if got is None else json.loads(got)
    if not same(value, expected):
        return f"wrong: {value!r}, expected {expected!r}"
    return "jmespath" if f"{UDF_NAME}(" in sql else "sql"


@pytest.mark.parametrize("name,given,expression,expected", CASES, ids=[c[0] for c in CASES])
def test_case(con, name, given, expression, expected):
    assert not outcome(con, given, expression, expected).startswith("wrong"), expression


def test_counts(con, capsys):
    """0 wrong answers, at least 95% of the result cases evaluated on DuckDB; the counts are printed
    (and quoted in the README's Resource map section)."""
    counts = Counter()
    wrong = []
    for name, given, expression, expected in CASES:
        result = outcome(con, given, expression, expected)
        counts[result.split(":")[0]] += 1
        if result.startswith("wrong"):
            wrong.append((name, expression, result))
    applicable = len(CASES) - counts["not-applicable"]
    evaluated = counts["sql"] + counts["jmespath"]
    with capsys.disabled():
        print(f"\njmespath compliance: {len(CASES)} cases with a result, {counts['not-applicable']} refused by "
              f"jmespath itself; of the other {applicable}: {evaluated} evaluated on DuckDB exactly "
              f"({counts['sql']} compiled to SQL, {counts['jmespath']} by jmespath inside DuckDB), "
              f"{counts['refused']} refused, {len(wrong)} wrong")
    assert wrong == []
    assert evaluated >= 0.95 * applicable
    assert counts["not-applicable"] <= 2  # the two escape.json cases the README names


def test_athena_dialect_on_trino(trino_server, capsys):
    """The cases the Athena dialect compiles, evaluated on a real Trino (Athena engine 3 is
    Trino): each gives the expected value, or stops with the one run-time refusal (to_string of
    an array or object); the others are refused when the map is compiled."""
    import functools

    import trino_sql
    from trino_server import TrinoError

    items, cases, refused = [], [], 0
    for name, given, expression, expected in CASES:
        try:
            jmespath.compile(expression)
            items.append((compile_value(expression, "doc", dialect="athena"), given))
            cases.append((name, expression, expected))
        except jmespath.exceptions.JMESPathError:
            continue  # not applicable, as above
        except (InvalidExpression, UnsupportedExpression):
            refused += 1
    wrong, stopped, reordered = [], 0, 0
    for (name, expression, expected), got in zip(cases, trino_sql.evaluate(trino_server, items)):
        if isinstance(got, TrinoError):
            stopped += 1
            if "to_string() of an array or object is not supported on athena" not in str(got):
                wrong.append((name, expression, str(got)))
        elif not same(got, expected):
            # Trino does not keep a JSON object's key order: `*` over an object may list its values in
            # another order than the document's (the README's limits say so)
            key = functools.partial(json.dumps, sort_keys=True)
            if "*" in expression and isinstance(got, list) and isinstance(expected, list) \
                    and sorted(map(key, got)) == sorted(map(key, expected)):
                reordered += 1
            else:
                wrong.append((name, expression, got, expected))
    with capsys.disabled():
        print(f"\njmespath compliance on Trino (Athena dialect): {len(cases)} compiled, "
              f"{len(cases) - stopped - reordered - len(wrong)} right, {reordered} `*` values in Trino's key order, "
              f"{stopped} stopped by to_string, {refused} refused "
              f"at compile time, {len(wrong)} wrong")
    assert wrong == []
