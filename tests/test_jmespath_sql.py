"""The JMESPath -> DuckDB compiler: every construct checked through a real DuckDB against jmespath itself."""

from __future__ import annotations

import json
import os

import duckdb
import jmespath
import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from trailcreator.mapping.jmespath_sql import (
    InvalidExpression,
    MAX_NESTING,
    UnsupportedExpression,
    compile_ids,
    normalize_ids,
    parse_ids,
    register,
    sql_string_literal,
)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    register(c)  # jmespath itself, for what the SQL does not compile
    yield c
    c.close()


def sql_ids(con, expression, doc):
    """Run the compiled expression on ``doc`` (bound as a parameter, never spliced into the SQL)."""
    sql = compile_ids(expression, "doc")
    return con.execute(f"select {sql} from (select ?::JSON as doc)", [json.dumps(doc)]).fetchone()[0]


def reference(expression, doc):
    return normalize_ids(jmespath.search(expression, doc))


DOC = {
    "a": {"b": "x", "c": [1, "y", None, [2, ["z"]], {"q": 1}, True, ""], "0": "zero"},
    "items": [
        {"id": "i-1", "state": {"name": "running"}, "n": 3, "tags": ["t1", "t2"]},
        {"id": "i-2", "state": {"name": "stopped"}, "n": 5, "tags": []},
        {"id": None, "n": 5.5},
        7,
        [{"id": "nested"}],
    ],
    "s": "str",
    "e": "",
    "t": True,
    "f": False,
    "z": None,
    "num": 123,
    "neg": -7,
    "big": 18446744073709551615,
    "flt": 1.5,
    "o": {"k1": "v1", "k2": ["v2", "v3"], "k3": None, "k4": {"deep": "v4"}},
    "odd key": "odd",
    "it's": "quote",
    "a.b": "dotted",
    "ü": "umlaut",
    "": "empty-key",
    "*": "star",
    "lists": [[["a1", "a2"], ["b1"]], [["c1"]], "d1"],
}

# (expression, expected ids on DOC); every case is also checked against jmespath itself.
CASES = [
    # fields and sub-expressions (issue 2)
    ("s", ["str"]),
    ("a.b", ["x"]),
    ("a.missing", []),
    ("missing.b", []),
    ("s.b", []),  # a field of a string is null
    ("items.id", []),  # a field of a list is null
    ("a.c", ["1", "y", "2", "z"]),  # nested lists flatten, null/object/bool/'' dropped
    ("e", []),
    ("t", []),
    ("z", []),
    ("o", []),  # objects are not ids
    ("num", ["123"]),
    ("neg", ["-7"]),
    ("big", ["18446744073709551615"]),
    ("flt", ["1.5"]),
    ('"odd key"', ["odd"]),
    ('"it\'s"', ["quote"]),
    ('"a.b"', ["dotted"]),
    ('"ü"', ["umlaut"]),
    ('"\\u00fc"', ["umlaut"]),
    ('""', ["empty-key"]),
    ('"*"', ["star"]),
    ('a."0"', ["zero"]),
    ('items."0"', []),  # a digit key is a field, never an index
    ("o.k4.deep", ["v4"]),
    ("@.s", ["str"]),
    ("@.lists", ["a1", "a2", "b1", "c1", "d1"]),
    # index and slices
    ("items[0].id", ["i-1"]),
    ("items[1].state.name", ["stopped"]),
    ("items[-1][0].id", ["nested"]),
    ("items[-5].id", ["i-1"]),
    ("items[-6]", []),
    ("items[9]", []),
    ("o[0]", []),  # index of an object is null
    ("s[0]", []),
    ("a.c[1:3]", ["y"]),
    ("a.c[::-1]", ["2", "z", "y", "1"]),
    ("items[::2].id", ["i-1"]),
    ("items[-2:].id", []),
    ("items[:2].id", ["i-1", "i-2"]),
    ("items[5:0:-1].n", ["5.5", "5"]),
    ("s[0:1]", []),
    ("to_string(s[1:])", ["null"]),  # a slice of a non-list is null, not []
    # flatten and projections
    ("items[].id", ["i-1", "i-2", "nested"]),  # [] flattens one level: the nested list's object is reached
    ("items[*].id", ["i-1", "i-2"]),  # [*] does not
    ("items[*].state.name", ["running", "stopped"]),
    ("items[].tags[]", ["t1", "t2"]),
    ("items[*].tags[*]", ["t1", "t2"]),
    ("items[*][0].id", ["nested"]),
    ("lists[]", ["a1", "a2", "b1", "c1", "d1"]),
    ("lists[][]", ["a1", "a2", "b1", "c1", "d1"]),
    ("lists[*][0][1]", ["a2"]),
    ("s[]", []),  # [] on a non-list is null
    ("s[*]", []),
    ("o.*", ["v1", "v2", "v3"]),
    ("o.*.deep", ["v4"]),
    ("o.*[]", ["v1", "v2", "v3"]),
    ("*.b", ["x"]),
    ("items.*", []),  # .* of a list is null
    # values known to be null when compiling (DuckDB folds them; lambdas over them must still bind)
    ("o.*[0].* | [0]", []),
    ("to_string(s)[*].b", []),
    ("length(s)[1:]", []),
    ("`1`.*[0].*[?a].b", []),
    ("(s == 'x')[].a", []),
    ("join(',', `1`[0])", []),
    # multiselect lists and pipes (issue 3)
    ("[a.b, s]", ["x", "str"]),
    ("[a.b, missing, s]", ["x", "str"]),
    ("a.[b, c[0]]", ["x", "1"]),
    ("missing.[b, c]", []),
    ("items[].id | [0]", ["i-1"]),
    ("items[*].id | [-1]", ["i-2"]),
    ("items[*] | [0].id", ["i-1"]),
    ("items | [1].state.name", ["stopped"]),
    ("items[*].tags | [0]", ["t1", "t2"]),  # a projection stops at the pipe
    ("items[*].tags[0]", ["t1"]),
    # filters, comparisons, literals
    ("items[?state.name=='running'].id", ["i-1"]),
    ("items[?state.name!='running'].id", ["i-2"]),
    ("items[?n > `3`].id", ["i-2"]),
    ("items[?n >= `5`].n", ["5", "5.5"]),
    ("items[?n < `5`].id", ["i-1"]),
    ("items[?n <= `5.0`].id", ["i-1", "i-2"]),
    ("items[?n == `5`].id", ["i-2"]),
    ("items[?n == `5.0`].id", ["i-2"]),
    ("items[?`3` < n].id", ["i-2"]),
    ("items[?n > `3` && state.name == 'stopped'].id", ["i-2"]),
    ("items[?n > `4` || state.name == 'running'].id", ["i-1", "i-2"]),
    ("items[?!(n > `4`)].id", ["i-1"]),
    ("items[?id].id", ["i-1", "i-2"]),
    ("items[?!id] | length(@)", ["3"]),
    ("items[?id == `null`] | length(@)", ["3"]),
    ("items[?tags].id", ["i-1"]),  # [] is false
    ("items[?state.name > 'r'].id", ["i-1", "i-2"]),
    ("items[?state.name < 's'].id", ["i-1"]),
    ("items[?n > id].id", []),  # number vs string/null: null, filtered out
    ("items[?tags > `[]`].id", []),  # lists are not ordered
    ("items[?tags == `\"t1\"`].id", []),
    ("`[1]` == `1`", []),
    ("a.c[?@ == `1`]", ["1"]),
    ("a.c[?@ == 'y']", ["y"]),
    ("a.c[?@ == `true`]", []),
    ("[t, f][?@ == `true`]", []),
    ("items[?`true`].id", ["i-1", "i-2"]),
    ("`\"lit\"`", ["lit"]),
    ("'raw'", ["raw"]),
    ("'it\\'s'", ["it's"]),
    ("`[\"l1\", [\"l2\"], 3]`", ["l1", "l2", "3"]),
    ("`{\"k\": \"v\"}`.k", ["v"]),
    ("`12345678901234567890`", ["12345678901234567890"]),
    ("`1e20`", ["1e+20"]),
    ("`-0.0`", ["-0.0"]),
    # and / or / not as values
    ("a.b || s", ["x"]),
    ("missing || s", ["str"]),
    ("e || s", ["str"]),
    ("a.b && s", ["str"]),
    ("missing && s", []),
    ("items[9] || items[0].id", ["i-1"]),
    ("[!t, !e]", []),
    # functions
    ("length(items)", ["5"]),
    ("length(s)", ["3"]),
    ("length('ü😀')", ["2"]),
    ("length(o)", ["4"]),
    ("length(num)", []),  # jmespath raises a type error; SQL gives null
    ("length(items[*].id)", ["2"]),
    ("to_string(num)", ["123"]),
    ("to_string(flt)", ["1.5"]),
    ("to_string(s)", ["str"]),
    ("to_string(t)", ["true"]),
    ("to_string(missing)", ["null"]),
    ("to_string(length(s))", ["3"]),
    ("items[*].to_string(n)", ["3", "5", "5.5", "null", "null"]),  # to_string(null) is "null"
    ("join(',', o.k2)", ["v2,v3"]),
    ("join(s, o.k2)", ["v2strv3"]),
    ("join('-', [a.b, s])", ["x-str"]),
    ("join(',', `[]`)", []),
    ("join(',', items)", []),  # not all strings: jmespath raises, SQL null
    ("not_null(missing, z, a.b)", ["x"]),
    ("not_null(missing, z)", []),
    ("items[?starts_with(state.name, 'run')].id", ["i-1"]),
    ("items[?contains(tags, 't2')].id", ["i-1"]),
    ("items[?contains(state.name, 'top')].id", ["i-2"]),
    ("a.c[?contains(to_string(@), '1')]", ["1"]),
]


@pytest.mark.parametrize("expression,expected", CASES, ids=[c[0] for c in CASES])
def test_construct(con, expression, expected):
    assert sql_ids(con, expression, DOC) == expected
    try:
        want = reference(expression, DOC)
    except (jmespath.exceptions.JMESPathError, TypeError):
        return  # jmespath raises at run time; the SQL gives null (checked above)
    assert want == expected


# --- real CloudTrail shapes -------------------------------------------------------------------------

RUN_INSTANCES = {
    "eventVersion": "1.08",
    "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice"},
    "eventTime": "2024-05-01T10:00:00Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "RunInstances",
    "awsRegion": "eu-west-1",
    "requestParameters": {
        "instancesSet": {"items": [{"imageId": "ami-0abc", "minCount": 2, "maxCount": 2}]},
        "instanceType": "t3.micro",
    },
    "responseElements": {
        "requestId": "e1c4",
        "reservationId": "r-0123",
        "ownerId": "111122223333",
        "instancesSet": {
            "items": [
                {"instanceId": "i-0aaa", "imageId": "ami-0abc", "instanceState": {"code": 0, "name": "pending"},
                 "networkInterfaceSet": {"items": [{"networkInterfaceId": "eni-1"}]}},
                {"instanceId": "i-0bbb", "imageId": "ami-0abc", "instanceState": {"code": 0, "name": "pending"},
                 "networkInterfaceSet": {"items": [{"networkInterfaceId": "eni-2"}]}},
            ]
        },
    },
}

CREATE_BUCKET = {
    "eventSource": "s3.amazonaws.com",
    "eventName": "CreateBucket",
    "requestParameters": {"bucketName": "my-bucket", "Host": "my-bucket.s3.amazonaws.com"},
    "responseElements": None,
}

NUMERIC_IDS = {
    "eventSource": "ec2.amazonaws.com",
    "eventName": "CreateNetworkAclEntry",
    "requestParameters": {"networkAclId": "acl-1", "ruleNumber": 100, "portRange": {"from": 22, "to": 22}},
}

REAL = [
    (RUN_INSTANCES, "responseElements.instancesSet.items[].instanceId", ["i-0aaa", "i-0bbb"]),
    (RUN_INSTANCES, "responseElements.instancesSet.items[*].instanceId", ["i-0aaa", "i-0bbb"]),
    (RUN_INSTANCES, "responseElements.instancesSet.items[].networkInterfaceSet.items[].networkInterfaceId",
     ["eni-1", "eni-2"]),
    (RUN_INSTANCES, "responseElements.instancesSet.items[?instanceState.name=='pending'].instanceId",
     ["i-0aaa", "i-0bbb"]),
    (RUN_INSTANCES, "responseElements.instancesSet.items[?instanceState.name=='running'].instanceId", []),
    (RUN_INSTANCES, "[responseElements.reservationId, responseElements.instancesSet.items[0].instanceId]",
     ["r-0123", "i-0aaa"]),
    (CREATE_BUCKET, "requestParameters.bucketName", ["my-bucket"]),
    (CREATE_BUCKET, "responseElements.bucketName", []),
    (NUMERIC_IDS, "requestParameters.ruleNumber", ["100"]),
    (NUMERIC_IDS, "join(':', [requestParameters.networkAclId, to_string(requestParameters.ruleNumber)])",
     ["acl-1:100"]),
    (NUMERIC_IDS, "requestParameters.portRange.*", ["22", "22"]),
]


@pytest.mark.parametrize("doc,expression,expected", REAL, ids=[r[1] for r in REAL])
def test_real_shapes(con, doc, expression, expected):
    assert sql_ids(con, expression, doc) == expected
    assert reference(expression, doc) == expected


def test_over_a_table_of_records(con):
    """Many rows at once, including rows the expression does not match and a NULL document."""
    docs = [json.dumps(RUN_INSTANCES), json.dumps(CREATE_BUCKET), None, "[]", '"text"']
    sql = compile_ids("responseElements.instancesSet.items[].instanceId", "t.record")
    rows = con.execute(
        f"select {sql} from (select unnest(?)::JSON as record, generate_subscripts(?, 1) as i) t order by i",
        [docs, docs],
    ).fetchall()
    assert [r[0] for r in rows] == [["i-0aaa", "i-0bbb"], [], [], [], []]


def test_document_column_named_like_a_lambda_parameter(con):
    sql = compile_ids("[a, b[*].c]", "__tc1")
    got = con.execute(f"select {sql} from (select ?::JSON as __tc1)", ['{"a": "x", "b": [{"c": "y"}]}']).fetchone()[0]
    assert got == ["x", "y"]


def test_document_may_be_any_json_expression(con):
    sql = compile_ids("requestParameters.bucketName", "json(raw_text)")
    got = con.execute(f"select {sql} from (select ? as raw_text)", [json.dumps(CREATE_BUCKET)]).fetchone()[0]
    assert got == ["my-bucket"]


# --- normalize_ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("x", ["x"]),
        ("", []),
        (None, []),
        (True, []),
        ({"a": "b"}, []),
        (123, ["123"]),
        (-5, ["-5"]),
        (2**64 - 1, ["18446744073709551615"]),
        (2**64, ["1.8446744073709552e+19"]),
        (1.5, ["1.5"]),
        (1.0, ["1.0"]),
        (1e20, ["1e+20"]),
        ([["a", [1, [None, "b"]]], {"x": 1}, "c", "a"], ["a", "1", "b", "c", "a"]),
        ([], []),
    ],
)
def test_normalize_ids(value, expected):
    assert normalize_ids(value) == expected


def test_numbers_print_the_same_in_sql_and_python(con):
    values = [0, 1, -1, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, 10**30, 0.1, 1.5, -2.25, 1e16, 1e-7, 1e300,
              5e-324, 123456789.125, 1.0, -0.0]
    for v in values:
        assert sql_ids(con, "@", v) == normalize_ids(v), v


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression", ["a.", "a[", "[?", "a ==", "'unterminated", "a..b", "foo("])
def test_invalid_expression(expression):
    with pytest.raises(InvalidExpression) as e:
        parse_ids(expression)
    assert repr(expression) in str(e.value)
    assert "not valid JMESPath" in str(e.value)
    with pytest.raises(InvalidExpression):
        compile_ids(expression, "doc")


@pytest.mark.parametrize("expression", ["", "   "])
def test_empty_expression(expression):
    with pytest.raises(InvalidExpression):
        parse_ids(expression)


DUCKDB_ONLY = [
    ("{id: a}", "multiselect hash"),
    ("a.{id: b}", "multiselect hash"),
    ("map(&id, items)", "map()"),
    ("keys(o)", "keys()"),
    ("values(o)", "values()"),
    ("type(o.k2)", "type()"),
    ("abs(neg)", "abs()"),
    ("ceil(flt)", "ceil()"),
    ("floor(flt)", "floor()"),
    ("ends_with(s, 'tr')", "ends_with()"),
    ("to_array(s)", "to_array()"),
    ("reverse(items[*].id)", "reverse()"),
]


@pytest.mark.parametrize("expression,construct", DUCKDB_ONLY)
def test_compiled_on_duckdb_refused_on_athena(con, expression, construct):
    if construct not in ("ceil()", "floor()", "reverse()"):  # these ask jmespath for edge values only
        assert "trailcreator_jmespath(" not in compile_ids(expression, "doc")
    assert sql_ids(con, expression, DOC) == reference(expression, DOC)
    with pytest.raises(UnsupportedExpression) as e:
        compile_ids(expression, "doc", dialect="athena")
    assert repr(expression) in str(e.value) and construct in str(e.value)


UNCOMPILED = [
    ("sort_by(items, &n)", "sort_by()"),
    ("max(a)", "max()"),
    ("a == b", "equality comparison without a string, number, boolean or null literal"),
    ("items[?id == null]", "equality comparison without"),  # null is a field name here
    ("items[?id != state]", "equality comparison without"),
    ("items[?tags == `[\"t1\"]`]", "equality comparison without"),
    ("contains(a, b)", "contains() with a search argument"),
    ("contains(a, `1`)", "contains() with a search argument"),
]


@pytest.mark.parametrize("expression,construct", UNCOMPILED)
def test_what_sql_does_not_express_is_evaluated_by_jmespath_on_duckdb(con, expression, construct):
    """Valid everywhere; DuckDB calls jmespath itself for it, exactly; Athena refuses it, naming the construct."""
    parse_ids(expression)
    assert "trailcreator_jmespath(" in compile_ids(expression, "doc")
    try:
        want = reference(expression, DOC)
    except jmespath.exceptions.JMESPathTypeError:
        want = []  # a type error at run time gives null, as in the compiled SQL
    assert sql_ids(con, expression, DOC) == want
    with pytest.raises(UnsupportedExpression) as e:
        compile_ids(expression, "doc", dialect="athena")
    msg = str(e.value)
    assert repr(expression) in msg and construct in msg and "supported:" in msg


def test_jmespath_inside_duckdb_gives_null_where_jmespath_fails(con):
    doc = {"s": "nan", "items": [{"n": 1}, {"n": "x"}], "t": "12"}
    assert sql_ids(con, "to_number(t)", doc) == ["12"]
    assert sql_ids(con, "to_number(s)", doc) == []  # NaN is not JSON: null
    assert sql_ids(con, "sort_by(items, &n)[*].n", doc) == []  # jmespath's type error: null
    assert sql_ids(con, "[&n][0]", doc) == []  # an expression reference is not a value


def test_unknown_function_is_invalid():
    with pytest.raises(InvalidExpression) as e:
        parse_ids("nope(a)")
    assert "unknown function nope()" in str(e.value)


@pytest.mark.parametrize("expression", ["length(a, b)", "not_null()", "join(',')", "a[::0]"])
def test_always_failing_calls_are_invalid(expression):
    with pytest.raises(InvalidExpression) as e:
        parse_ids(expression)
    assert repr(expression) in str(e.value)


def test_errors_are_value_errors_and_trailcreator_errors():
    from trailcreator.errors import TrailcreatorError

    for cls in (InvalidExpression, UnsupportedExpression):
        assert issubclass(cls, ValueError) and issubclass(cls, TrailcreatorError)


def test_unknown_dialect():
    assert compile_ids("a", "doc", dialect="athena").startswith("element_at(")  # tests/test_athena_sql.py
    with pytest.raises(ValueError):
        compile_ids("a", "doc", dialect="sqlite")


def test_parse_returns_the_ast():
    assert parse_ids("a.b") == {
        "type": "subexpression",
        "children": [{"type": "field", "children": [], "value": "a"}, {"type": "field", "children": [], "value": "b"}],
    }


def test_too_deep_nesting_fails_loudly(con):
    deep = "x"
    for _ in range(MAX_NESTING + 2):
        deep = [deep]
    with pytest.raises(duckdb.Error, match="levels of lists"):
        sql_ids(con, "a", {"a": deep})
    shallow = "x"
    for _ in range(MAX_NESTING):
        shallow = [shallow]
    assert sql_ids(con, "a", {"a": shallow}) == ["x"]


# --- SQL injection: names and literals come back as data ---------------------------------------------

NASTY = [
    "x' or 1=1 --",
    "x'' or 1=1 --",
    "'; drop table t; --",
    'a"b',
    "a\\b",
    "back\\",
    "\\'",
    "--",
    "/* c */",
    "$.a[0]",
    "~1/0",
    "é😀中",
    "tab\there",
    "nul\x00byte",
    "new\nline",
    "0",
    "12",
    "*",
    "..",
    "{x}",
    "__tc1",
    "doc",
]


@pytest.mark.parametrize("key", NASTY, ids=[repr(k) for k in NASTY])
def test_field_names_are_data(con, key):
    doc = {key: "hit", "other": "miss", "a": {key: "deep-hit"}}
    quoted = json.dumps(key)  # a JMESPath quoted identifier is a JSON string
    assert sql_ids(con, quoted, doc) == ["hit"]
    assert sql_ids(con, f"a.{quoted}", doc) == ["deep-hit"]
    assert sql_ids(con, f"[{quoted}, a.{quoted}]", doc) == ["hit", "deep-hit"]
    assert reference(quoted, doc) == ["hit"]


@pytest.mark.parametrize("value", NASTY, ids=[repr(k) for k in NASTY])
def test_literals_are_data(con, value):
    raw = "'" + value.replace("'", "\\'") + "'"  # jmespath unescapes only \' in raw strings
    as_json = "`" + json.dumps(value).replace("`", "\\`") + "`"
    lits = [as_json]
    if not value.endswith("\\") and "\\'" not in value:  # otherwise not expressible as a raw string
        lits.append(raw)
    for lit in lits:
        parsed = jmespath.search(lit, {})
        doc = {"items": [{"k": parsed, "id": "match"}, {"k": "other", "id": "no"}]}
        assert sql_ids(con, lit, doc) == normalize_ids(parsed)
        assert sql_ids(con, f"items[?k == {lit}].id", doc) == ["match"]
        assert sql_ids(con, f"items[?k != {lit}].id", doc) == ["no"]
        assert sql_ids(con, f"items[?starts_with(k, {lit})].id", doc) == ["match"]


def test_the_example_from_the_issue(con):
    expr = "a.'x'' or 1=1 --'"
    with pytest.raises(InvalidExpression):  # a raw string cannot follow a dot
        parse_ids(expr)
    expr = "a.\"x' or 1=1 --\""
    assert sql_ids(con, expr, {"a": {"x' or 1=1 --": "ok"}}) == ["ok"]


@pytest.mark.parametrize("s", NASTY + ["", "'", "''", "a'b'c"])
def test_sql_string_literal_round_trips(con, s):
    assert con.execute(f"select {sql_string_literal(s)}").fetchone()[0] == s


def test_sql_string_literal_rejects_lone_surrogates():
    with pytest.raises(UnsupportedExpression):
        sql_string_literal("\ud800")
    # Spelled with an escape, the expression is plain text: valid, evaluated by jmespath on DuckDB,
    # refused on Athena (whose SQL would have to hold the surrogate).
    parse_ids('"\\ud800"')
    assert "trailcreator_jmespath(" in compile_ids('"\\ud800"', "doc")
    with pytest.raises(UnsupportedExpression):
        compile_ids('"\\ud800"', "doc", dialect="athena")
    with pytest.raises(UnsupportedExpression):
        parse_ids('"\ud800"')  # the surrogate itself in the text cannot be written as UTF-8 SQL


# --- property: SQL == normalize_ids(jmespath) on random documents and expressions ---------------------


EXPR_KEYS = ["a", "a", "b", "b", "c", '"0"', '"x y"']
TEXT = st.text(alphabet="ab'\"\\é😀 \n", max_size=3)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 1.0, -0.0, 2.5]),
    TEXT,
    st.sampled_from(["a", "b", ""]),
)

def _objects(inner):
    # Dense objects, so that random paths meet random documents often enough to yield ids.
    return st.fixed_dictionaries({"a": inner, "b": inner}, optional={k: inner for k in ("c", "0", "x y")})


def _pick(*choices):
    """One of ``choices`` with equal odds (st.one_of would flatten nested one_ofs into their branches)."""
    return st.sampled_from(choices).flatmap(lambda strategy: strategy)


def _nodes(depth):
    if depth == 0:
        return SCALARS
    inner = _nodes(depth - 1)
    return _pick(SCALARS, st.lists(inner, max_size=3), _objects(inner), _objects(inner))


DOCS = _objects(_nodes(3))

SCALAR_LITERALS = st.sampled_from(
    ["'a'", "'b'", "''", "`\"a\"`", "`1`", "`-2`", "`0`", "`2.5`", "`1.0`", "`true`", "`false`", "`null`", "'é'"]
)
LITERALS = SCALAR_LITERALS | st.sampled_from(['`[1, "a", [null, "b"]]`', '`{"a": "x"}`', "`[]`"])
CMP = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
ORDER = st.sampled_from(["<", "<=", ">", ">="])
SLICES = st.tuples(
    st.sampled_from(["", "0", "1", "-1", "-2", "3"]),
    st.sampled_from(["", "0", "1", "-1", "2", "5"]),
    st.sampled_from([None, "1", "2", "-1", "-2"]),
).map(lambda t: f"{t[0]}:{t[1]}" + ("" if t[2] is None else f":{t[2]}"))


def _json_literal(value):
    return "`" + json.dumps(value).replace("`", "\\`") + "`"


def _name(key):
    return key if key.isidentifier() and key.isascii() else json.dumps(key)


@st.composite
def real_paths(draw, doc):
    """A path that exists in ``doc``, each step sometimes widened to a projection, flatten, slice or
    filter, so that random expressions actually reach ids."""
    out = ""
    node = doc
    while draw(st.integers(0, 5)) > 0:
        if isinstance(node, dict) and node:
            if draw(st.integers(0, 6)) == 0:
                out += ".*" if out else "*"
                node = node[draw(st.sampled_from(sorted(node)))]
            else:
                key = draw(st.sampled_from(sorted(node)))
                out += ("." if out else "") + _name(key)
                node = node[key]
        elif isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            elem = node[i]
            style = draw(st.sampled_from(["index", "negative", "star", "flatten", "slice", "filter"]))
            if style == "index":
                out += f"[{i}]"
            elif style == "negative":
                out += f"[{i - len(node)}]"
            elif style == "star":
                out += "[*]"
            elif style == "flatten":
                out += "[]"
            elif style == "slice":
                out += draw(st.sampled_from(["[1:]", "[:2]", "[::-1]", "[::2]", "[-2:]"]))
            else:
                scalars = sorted(k for k, v in elem.items() if not isinstance(v, (list, dict))) if isinstance(
                    elem, dict) else []
                if scalars:
                    k = draw(st.sampled_from(scalars))
                    op = draw(st.sampled_from(["==", "!=", "", ">=", "<"]))
                    if op in ("==", "!="):
                        out += f"[?{_name(k)} {op} {_json_literal(elem[k])}]"
                    elif op:
                        out += f"[?{_name(k)} {op} {draw(SCALAR_LITERALS)}]"
                    else:
                        out += f"[?{_name(k)}]"
                else:
                    out += draw(st.sampled_from(["[?@]", "[?!@]", "[?@ == `1`]", "[?@ != 'a']"]))
            node = elem
        else:
            break
    return out or "@"


def _grow(sub, leaf):
    """Expressions one level deeper than ``sub``."""
    conds = conditions(sub)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(EXPR_KEYS)).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(sub, st.integers(-3, 3)).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(sub, st.sampled_from(["[]", "[*]", ".*"])).map("".join),
        st.tuples(sub, SLICES).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(sub, conds).map(lambda t: f"{t[0]}[?{t[1]}]"),
        st.tuples(sub, sub).map(lambda t: f"[{t[0]}, {t[1]}]"),
        st.tuples(sub, sub, sub).map(lambda t: f"{t[0]}.[{t[1]}, {t[2]}]"),
        st.tuples(sub, sub).map(lambda t: f"{t[0]} | {t[1]}"),
        st.tuples(sub, st.sampled_from(["||", "&&"]), sub).map(" ".join),
        sub.map(lambda e: f"!{e}"),
        sub.map(lambda e: f"({e})"),
        st.tuples(sub, CMP, SCALAR_LITERALS).map(" ".join),
        st.tuples(sub, ORDER, sub).map(" ".join),
        st.tuples(st.sampled_from(["length", "to_string"]), sub).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["','", "''", "a"]), sub).map(lambda t: f"join({t[0]}, {t[1]})"),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: f"not_null({', '.join(xs)})"),
        st.tuples(sub, sub).map(lambda t: f"starts_with({t[0]}, {t[1]})"),
        st.tuples(sub, st.sampled_from(["'a'", "''", "`\"b\"`"])).map(lambda t: f"contains({t[0]}, {t[1]})"),
        # compiled on DuckDB only (jmespath itself for the rest, e.g. sort_by, deep equality)
        st.tuples(st.sampled_from(["type", "abs", "ceil", "floor", "keys", "values", "to_array", "reverse",
                                   "sort", "to_number"]), sub).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"ends_with({t[0]}, {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"map(&{t[0]}, {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"{{k: {t[0]}, \"l m\": {t[1]}}}"),
        st.tuples(sub, sub).map(lambda t: f"{t[0]} == {t[1]}"),
    )


def expressions(depth, paths=None):
    """Strings of the supported grammar, ``depth`` levels deep; leaves are keys, @, literals and
    (given a ``paths`` strategy) paths that exist in the document."""
    leaf = st.one_of(st.sampled_from(EXPR_KEYS), st.just("@"), LITERALS)
    if paths is not None:
        leaf = _pick(paths, paths, leaf)
    strategy = leaf
    for _ in range(depth):
        strategy = _pick(leaf, _grow(strategy, leaf))
    return strategy


def conditions(sub):
    atom = st.one_of(
        sub,
        st.tuples(sub, CMP, SCALAR_LITERALS).map(" ".join),
        st.tuples(SCALAR_LITERALS, CMP, sub).map(" ".join),
        st.tuples(sub, ORDER, sub).map(" ".join),
    )
    return st.one_of(
        atom,
        st.tuples(atom, st.sampled_from(["&&", "||"]), atom).map(" ".join),
        atom.map(lambda c: f"!({c})"),
    )


_OPTIONS = jmespath.Options()  # jmespath as it is: the DuckDB SQL has no documented difference left


def _check_against_jmespath(con, expression, doc):
    try:
        parse_ids(expression)
    except InvalidExpression:
        reject()
    got = sql_ids(con, expression, doc)  # must run even where jmespath raises (what SQL lacks, jmespath does)
    try:
        want = normalize_ids(jmespath.search(expression, doc, options=_OPTIONS))
    except (jmespath.exceptions.JMESPathError, TypeError):
        return  # jmespath fails at run time (type errors); the SQL gives null there
    assert got == want, (expression, doc)


# TRAILCREATOR_HYPOTHESIS_EXAMPLES=5000 for a long run; the default keeps the file well under a minute.
_SETTINGS = settings(
    max_examples=int(os.environ.get("TRAILCREATOR_HYPOTHESIS_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


@_SETTINGS
@given(doc=DOCS, data=st.data())
def test_matches_jmespath(con, doc, data):
    """Random expressions over the whole grammar, half of their leaves paths of the document."""
    expression = data.draw(expressions(3, real_paths(doc)), label="expression")
    _check_against_jmespath(con, expression, doc)


@_SETTINGS
@given(doc=DOCS, data=st.data())
def test_paths_match_jmespath(con, doc, data):
    """The common shape of a resource map: a path with projections and filters, alone or in a list."""
    paths = real_paths(doc)
    expression = data.draw(_pick(paths, paths.map(lambda p: p + " | [0]"),
                                 st.tuples(paths, paths).map(lambda t: f"[{t[0]}, {t[1]}]")), label="expression")
    _check_against_jmespath(con, expression, doc)


@_SETTINGS
@given(expression=expressions(3), doc=_nodes(3))
@example(expression="a[?b == `1`].c", doc={"a": [{"b": 1, "c": "x"}, {"b": True, "c": "y"}, {"b": 1.0, "c": "z"}]})
@example(expression="a[*].b[*].c", doc={"a": [{"b": [{"c": "1"}, {"c": None}]}, {"b": "s"}, {"b": []}]})
def test_unguided_expressions_match_jmespath(con, expression, doc):
    """Expressions that ignore the document, on any JSON value (scalars and lists too)."""
    _check_against_jmespath(con, expression, doc)
