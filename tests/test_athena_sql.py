"""The Athena (Trino) form of the id extraction, case by case on a real Trino (the
``trino_server`` fixture, Trino 476: Athena engine 3 is Trino), against the same expected ids as
the DuckDB form.  The cases run in batches (``trino_sql``): every case of a test below is
evaluated in the first batch, then looked up.  The DuckDB form of the same split (value, then
one shared normalization) runs on a real DuckDB."""

from __future__ import annotations

import json

import duckdb
import jmespath
import pytest
import sqlglot
import trino_sql
from hypothesis import given
from hypothesis import strategies as st
from trino_server import TrinoError

import test_jmespath_sql as dk
from test_default_map import FIXTURES, entry_for
from trailcreator.mapping import resource_map
from trailcreator.mapping.jmespath_sql import (
    MAX_NESTING,
    InvalidExpression,
    UnsupportedExpression,
    compile_ids,
    compile_value,
    normalize_ids,
    normalize_sql,
    parse_ids,
    register,
)

ATHENA_QUERY_LIMIT = 262_144  # bytes of query text Athena accepts


# The two forms: "split" is the generated macro's (each expression's value, then one shared
# normalization of the values), "one" is compile_ids (both in one expression).
FORMS = {
    "split": (lambda e: compile_value(e, "doc", dialect="athena"), normalize_sql("v", dialect="athena")),
    "one": (lambda e: compile_ids(e, "doc", dialect="athena"), "v"),
}


def record_doc(event):
    """The document the models hand the extraction: the record's fields the map may name."""
    keys = ("eventSource", "eventName", "awsRegion", "recipientAccountId", "requestParameters",
            "responseElements", "additionalEventData", "serviceEventDetails", "resources")
    return {k: event.get(k) for k in keys}


def _deep(levels):
    v = "x"
    for _ in range(levels):
        v = [v]
    return v


def _registered():
    """Every (form, expression, document) the tests below ask for: one batch on Trino."""
    out = [("split", e, dk.DOC) for e, _ in dk.CASES]
    out += [(f, e, doc) for doc, e, _ in dk.REAL for f in ("split", "one")]
    out += [("one", e, dk.DOC) for e, _ in dk.CASES[::9]]
    out += [("split", "responseElements.instancesSet.items[].instanceId", d) for d in (None, [], "text", 5)]
    out += [("split", "@", v) for v in NUMBERS]
    out += [(f, "a", {"a": d}) for d in (_deep(MAX_NESTING + 2), _deep(MAX_NESTING)) for f in ("split", "one")]
    for key in dk.NASTY:
        doc = {key: "hit", "other": "miss", "a": {key: "deep-hit"}}
        out += [("split", json.dumps(key), doc), ("split", f"a.{json.dumps(key)}", doc)]
        lit = "`" + json.dumps(key).replace("`", "\\`") + "`"
        doc = {"items": [{"k": key, "id": "match"}, {"k": "other", "id": "no"}]}
        out += [("split", f"items[?{op}].id", doc) for op in (f"k == {lit}", f"k != {lit}", f"starts_with(k, {lit})")]
    out += [("split", entry_for(fx), record_doc(fx["event"])) for _, fx in FIXTURES]
    return out


NUMBERS = (0, 1, -1, 2**63 - 1, -(2**63), 2**64 - 1, 0.1, 1.5, -2.25, 123456789.125, 1.0)


class Athena:
    """The ids of an expression on a document, evaluated on Trino (a TrinoError is raised)."""

    def __init__(self, server):
        self.server = server
        self.done: dict[tuple, object] = {}

    def evaluate(self, cases: list[tuple[str, str, object]]) -> list:
        out: list = [None] * len(cases)
        for form, (sql, outer) in FORMS.items():
            idx = [i for i, c in enumerate(cases) if c[0] == form]
            for i, r in zip(idx, trino_sql.evaluate(self.server, [(sql(cases[i][1]), cases[i][2]) for i in idx], outer)):
                out[i] = r
        return out

    def ids(self, expression, doc, form="split"):
        key = (form, expression, json.dumps(doc, sort_keys=True))
        if not self.done:
            cases = _registered()
            for (f, e, d), r in zip(cases, self.evaluate(cases)):
                self.done[(f, e, json.dumps(d, sort_keys=True))] = r
        if key not in self.done:
            self.done[key] = self.evaluate([(form, expression, doc)])[0]
        result = self.done[key]
        if isinstance(result, TrinoError):
            raise result
        return result


@pytest.fixture(scope="module")
def athena(trino_server):
    return Athena(trino_server)


# jmespath's JSON text of an array or object: DuckDB asks jmespath, Athena stops with an error.
ATHENA_RUNTIME_REFUSED = {"a.c[?contains(to_string(@), '1')]"}


@pytest.mark.parametrize("expression,expected", dk.CASES, ids=[c[0] for c in dk.CASES])
def test_construct(athena, expression, expected):
    if expression in ATHENA_RUNTIME_REFUSED:
        with pytest.raises(TrinoError, match=r"to_string\(\) of an array or object is not supported on athena"):
            athena.ids(expression, dk.DOC)
        return
    assert athena.ids(expression, dk.DOC) == expected


@pytest.mark.parametrize("doc,expression,expected", dk.REAL, ids=[r[1] for r in dk.REAL])
def test_real_shapes(athena, doc, expression, expected):
    assert athena.ids(expression, doc) == expected
    assert athena.ids(expression, doc, "one") == expected


@pytest.mark.parametrize("expression,expected", dk.CASES[::9], ids=[c[0] for c in dk.CASES[::9]])
def test_compile_ids_in_one_expression(athena, expression, expected):
    assert athena.ids(expression, dk.DOC, "one") == expected


def test_null_and_non_object_documents(athena):
    for doc in (None, [], "text", 5):
        assert athena.ids("responseElements.instancesSet.items[].instanceId", doc) == []


def test_numbers(athena):
    for v in NUMBERS:
        assert athena.ids("@", v) == normalize_ids(v), v


def test_too_deep_nesting_fails_loudly(athena):
    for form in ("split", "one"):
        with pytest.raises(TrinoError, match="levels of lists"):
            athena.ids("a", {"a": _deep(MAX_NESTING + 2)}, form)
    assert athena.ids("a", {"a": _deep(MAX_NESTING)}) == ["x"]


@pytest.mark.parametrize("key", dk.NASTY, ids=[repr(k) for k in dk.NASTY])
def test_field_names_are_data(athena, key):
    doc = {key: "hit", "other": "miss", "a": {key: "deep-hit"}}
    quoted = json.dumps(key)
    assert athena.ids(quoted, doc) == ["hit"]
    assert athena.ids(f"a.{quoted}", doc) == ["deep-hit"]


@pytest.mark.parametrize("value", dk.NASTY, ids=[repr(k) for k in dk.NASTY])
def test_literals_are_data(athena, value):
    lit = "`" + json.dumps(value).replace("`", "\\`") + "`"
    doc = {"items": [{"k": value, "id": "match"}, {"k": "other", "id": "no"}]}
    assert athena.ids(f"items[?k == {lit}].id", doc) == ["match"]
    assert athena.ids(f"items[?k != {lit}].id", doc) == ["no"]
    assert athena.ids(f"items[?starts_with(k, {lit})].id", doc) == ["match"]


@pytest.mark.parametrize("name,fixture", FIXTURES, ids=[n for n, _ in FIXTURES])
def test_default_map_on_its_sample_events(athena, name, fixture):
    """Every entry of the shipped map, on the CloudTrail record that backs it."""
    assert athena.ids(entry_for(fixture), record_doc(fixture["event"])) == fixture["expected_ids"]


def test_split_form_equals_compile_ids_on_duckdb():
    """value-then-normalize is the same rule as compile_ids, checked on a real engine."""
    con = duckdb.connect()
    register(con)
    cases = [(dk.DOC, e, x) for e, x in dk.CASES] + list(dk.REAL)
    for doc, expression, want in cases:
        value = compile_value(expression, "doc")
        got = con.execute(f"select {normalize_sql('v', 'duckdb')} from (select {value} as v from "
                          f"(select ?::JSON as doc))", [json.dumps(doc)]).fetchone()[0]
        assert got == want, expression
    con.close()


def test_generated_athena_macro_fits_athena():
    rmap = resource_map.load(None)
    text = resource_map.render_extraction(rmap, "athena")
    sql = text.replace("{{ events }}", "events")
    # Trino has no such limit (the models run on it in test_trino_models.py): Athena's is checked here
    assert len(sql.encode()) < ATHENA_QUERY_LIMIT / 2  # room for the model around it and a larger map
    macros = resource_map.render_macros(rmap)
    assert "{% macro athena__extract_resource_ids(events) %}" in macros
    assert "{% macro duckdb__extract_resource_ids(events) %}" in macros


def test_map_values_in_the_athena_macro_are_literals():
    """Even past the map's JSON Schema (which already refuses such names), values stay literals:
    a check of the SQL's structure (sqlglot's Trino parser), which running it cannot make."""
    nasty = "x' OR '1'='1 -- /* {{ boom }} */"
    entry = resource_map.MapEntry("s3", nasty, nasty, json.dumps(nasty))
    rmap = resource_map.ResourceMap("test.json", (entry,), "0" * 64)
    text = resource_map.render_extraction(rmap, "athena")
    assert "{" not in text.replace("{{ events }}", "")  # braces only as chr(123) / chr(125): no Jinja
    sql = text.replace("{{ events }}", "events")
    tree = sqlglot.parse_one(sql, read="trino")
    literals = [_constant_string(node) for node in tree.find_all(sqlglot.exp.Literal, sqlglot.exp.DPipe)]
    assert literals.count(nasty) == 3  # event source, event name and the quoted field: never split into SQL
    assert tree.find(sqlglot.exp.Drop) is None


def _constant_string(node):
    """The value of a string literal, or of a concatenation of string literals and chr(n); else None."""
    if isinstance(node, sqlglot.exp.Literal):
        return node.this if node.is_string else None
    if isinstance(node, sqlglot.exp.Chr) and len(node.expressions) == 1 and not node.expressions[0].is_string:
        return chr(int(node.expressions[0].this))
    if isinstance(node, sqlglot.exp.Paren):
        return _constant_string(node.this)
    if isinstance(node, sqlglot.exp.DPipe):
        parts = [_constant_string(node.this), _constant_string(node.expression)]
        return None if None in parts else "".join(parts)
    return None


# --- property: the Athena SQL == normalize_ids(jmespath), as the DuckDB tests check DuckDB ---------
# Hypothesis draws the cases; they are then run on Trino in batches (one query per hundred cases
# rather than one each), so a failure names its case without shrinking it.


def _compilable(expression) -> bool:
    try:
        parse_ids(expression)
        compile_ids(expression, "doc", dialect="athena")
        return True
    except (InvalidExpression, UnsupportedExpression):
        return False  # refused when the map is compiled for Athena


def _check_athena_against_jmespath(athena, cases):
    results = athena.evaluate([("split", e, d) for e, d in cases])
    for (expression, doc), got in zip(cases, results):
        if isinstance(got, TrinoError):
            # The one refusal at run time: jmespath's JSON text of an array or object.
            assert "to_string() of an array or object is not supported on athena" in str(got), (expression, doc, got)
            assert "to_string" in expression
            continue
        try:
            want = normalize_ids(jmespath.search(expression, doc, options=dk._OPTIONS))
        except (jmespath.exceptions.JMESPathError, TypeError):
            continue
        # Trino does not keep a JSON object's key order, so `*` (object values) may list them in
        # another order than the document's (the README says so): the same ids, reordered.
        assert got == want or ("*" in expression and sorted(got) == sorted(want)), (expression, doc)


def test_matches_jmespath(athena):
    cases = []

    @dk._SETTINGS
    @given(doc=dk.DOCS, data=st.data())
    def draw(doc, data):
        expression = data.draw(dk.expressions(3, dk.real_paths(doc)), label="expression")
        if _compilable(expression):
            cases.append((expression, doc))

    draw()
    _check_athena_against_jmespath(athena, cases)


def test_unguided_expressions_match_jmespath(athena):
    cases = []

    @dk._SETTINGS
    @given(expression=dk.expressions(3), doc=dk._nodes(3))
    def draw(expression, doc):
        if _compilable(expression):
            cases.append((expression, doc))

    draw()
    _check_athena_against_jmespath(athena, cases)
