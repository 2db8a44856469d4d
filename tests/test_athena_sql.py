"""The Athena (Trino) form of the id extraction, case by case against the same expected ids as
the DuckDB form.

No Trino-compatible engine runs offline, so each expression's SQL is parsed with sqlglot's Trino
dialect and evaluated by ``trino_eval`` (Trino's function semantics written out in Python).  The
DuckDB form of the same split (value, then one shared normalization) runs on a real DuckDB."""

from __future__ import annotations

import json

import duckdb
import jmespath
import pytest
import sqlglot
from hypothesis import given, reject
from hypothesis import strategies as st

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
from trino_eval import J, TrinoError, evaluate

ATHENA_QUERY_LIMIT = 262_144  # bytes of query text Athena accepts


def athena_ids(expression, doc):
    """The form the generated macro uses: the expression's value, then the shared normalization."""
    value = evaluate(compile_value(expression, "doc", dialect="athena"), doc=None if doc is None else J(doc))
    return evaluate(normalize_sql("v.ids_value", dialect="athena"), **{"v.ids_value": value})


def athena_compile_ids(expression, doc):
    """compile_ids(dialect='athena'): one expression doing both."""
    return evaluate(compile_ids(expression, "doc", dialect="athena"), doc=None if doc is None else J(doc))


# jmespath's JSON text of an array or object: DuckDB asks jmespath, Athena stops with an error.
ATHENA_RUNTIME_REFUSED = {"a.c[?contains(to_string(@), '1')]"}


@pytest.mark.parametrize("expression,expected", dk.CASES, ids=[c[0] for c in dk.CASES])
def test_construct(expression, expected):
    if expression in ATHENA_RUNTIME_REFUSED:
        with pytest.raises(TrinoError, match=r"to_string\(\) of an array or object is not supported on athena"):
            athena_ids(expression, dk.DOC)
        return
    assert athena_ids(expression, dk.DOC) == expected


@pytest.mark.parametrize("doc,expression,expected", dk.REAL, ids=[r[1] for r in dk.REAL])
def test_real_shapes(doc, expression, expected):
    assert athena_ids(expression, doc) == expected
    assert athena_compile_ids(expression, doc) == expected


@pytest.mark.parametrize("expression,expected", dk.CASES[::9], ids=[c[0] for c in dk.CASES[::9]])
def test_compile_ids_in_one_expression(expression, expected):
    assert athena_compile_ids(expression, dk.DOC) == expected


def test_null_and_non_object_documents():
    for doc in (None, [], "text", 5):
        assert athena_ids("responseElements.instancesSet.items[].instanceId", doc) == []


def test_numbers():
    for v in (0, 1, -1, 2**63 - 1, -(2**63), 2**64 - 1, 0.1, 1.5, -2.25, 123456789.125, 1.0):
        assert athena_ids("@", v) == normalize_ids(v), v


def test_too_deep_nesting_fails_loudly():
    deep = "x"
    for _ in range(MAX_NESTING + 2):
        deep = [deep]
    with pytest.raises(TrinoError, match="levels of lists"):
        athena_ids("a", {"a": deep})
    with pytest.raises(TrinoError, match="levels of lists"):
        athena_compile_ids("a", {"a": deep})
    shallow = "x"
    for _ in range(MAX_NESTING):
        shallow = [shallow]
    assert athena_ids("a", {"a": shallow}) == ["x"]


@pytest.mark.parametrize("key", dk.NASTY, ids=[repr(k) for k in dk.NASTY])
def test_field_names_are_data(key):
    doc = {key: "hit", "other": "miss", "a": {key: "deep-hit"}}
    quoted = json.dumps(key)
    assert athena_ids(quoted, doc) == ["hit"]
    assert athena_ids(f"a.{quoted}", doc) == ["deep-hit"]


@pytest.mark.parametrize("value", dk.NASTY, ids=[repr(k) for k in dk.NASTY])
def test_literals_are_data(value):
    lit = "`" + json.dumps(value).replace("`", "\\`") + "`"
    doc = {"items": [{"k": value, "id": "match"}, {"k": "other", "id": "no"}]}
    assert athena_ids(f"items[?k == {lit}].id", doc) == ["match"]
    assert athena_ids(f"items[?k != {lit}].id", doc) == ["no"]
    assert athena_ids(f"items[?starts_with(k, {lit})].id", doc) == ["match"]


def record_doc(event):
    """The document the models hand the extraction: the record's fields the map may name."""
    keys = ("eventSource", "eventName", "awsRegion", "recipientAccountId", "requestParameters",
            "responseElements", "additionalEventData", "serviceEventDetails", "resources")
    return {k: event.get(k) for k in keys}


@pytest.mark.parametrize("name,fixture", FIXTURES, ids=[n for n, _ in FIXTURES])
def test_default_map_on_its_sample_events(name, fixture):
    """Every entry of the shipped map, on the CloudTrail record that backs it."""
    expression = entry_for(fixture)
    doc = record_doc(fixture["event"])
    assert athena_ids(expression, doc) == fixture["expected_ids"]


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


def test_generated_athena_macro_parses_and_fits_athena():
    rmap = resource_map.load(None)
    text = resource_map.render_extraction(rmap, "athena")
    sql = text.replace("{{ events }}", "events")
    tree = sqlglot.parse_one(sql, read="trino")
    assert isinstance(tree, sqlglot.exp.Select)
    assert len(sql.encode()) < ATHENA_QUERY_LIMIT / 2  # room for the model around it and a larger map
    macros = resource_map.render_macros(rmap)
    assert "{% macro athena__extract_resource_ids(events) %}" in macros
    assert "{% macro duckdb__extract_resource_ids(events) %}" in macros


def test_map_values_in_the_athena_macro_are_literals():
    """Even past the map's JSON Schema (which already refuses such names), values stay literals."""
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


def _check_athena_against_jmespath(expression, doc):
    try:
        parse_ids(expression)
        compile_ids(expression, "doc", dialect="athena")
    except (InvalidExpression, UnsupportedExpression):
        reject()  # refused when the map is compiled for Athena
    try:
        got = athena_compile_ids(expression, doc)  # must run (no Trino error) even where jmespath raises
    except TrinoError as e:
        # The one refusal at run time: jmespath's JSON text of an array or object.
        assert "to_string() of an array or object is not supported on athena" in str(e), (expression, doc)
        assert "to_string" in expression
        return
    try:
        want = normalize_ids(jmespath.search(expression, doc, options=dk._OPTIONS))
    except (jmespath.exceptions.JMESPathError, TypeError):
        return
    assert got == want, (expression, doc)


@dk._SETTINGS
@given(doc=dk.DOCS, data=st.data())
def test_matches_jmespath(doc, data):
    _check_athena_against_jmespath(data.draw(dk.expressions(3, dk.real_paths(doc)), label="expression"), doc)


@dk._SETTINGS
@given(expression=dk.expressions(3), doc=dk._nodes(3))
def test_unguided_expressions_match_jmespath(expression, doc):
    _check_athena_against_jmespath(expression, doc)
