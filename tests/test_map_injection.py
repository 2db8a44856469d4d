"""No string from a resource map is ever read as a template (issue 9, item 4).

dbt renders every file under macros/ as Jinja, and the compiled map is such a file.  Every user
string reaches it as a SQL string literal whose braces are spelled ``chr(123)``/``chr(125)``, so
none can form ``{{``, ``{%`` or ``{#``; the map file's name reaches a comment with braces and ``#``
replaced.  Checked three ways: the Jinja tokens of the generated file are exactly the scaffolding's
whatever the map holds (property); the values come out literally after Jinja rendering and DuckDB
evaluation (property); and the issue's payloads go through a real ``trailcreator load`` without the
secret reaching any file (end to end).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import jinja2
import jmespath
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import trailgen as tg
from conftest import rows
from trailcreator.workspace import workspace
from trailcreator.mapping import resource_map
from trailcreator.errors import TrailcreatorError

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)
SECRET = "tc-secret-value-5b1e9d7c"
PAYLOADS = [
    "{%endraw%}{{ env_var(dict(AWS_SECRET_ACCESS_KEY=1)|first) }}{%raw%}",
    "{%- endraw -%}{{ env_var(dict(AWS_SECRET_ACCESS_KEY=1)|first) }}{%- raw -%}",
]
JINJA_BITS = ["{{", "}}", "{%", "%}", "{#", "#}", "{%- endraw -%}", "{%endraw%}", "{% raw %}", "{{ env_var('X') }}",
              "'", "''", '"', "\\", "\\'", "\n", "\r", "\t", "\x00", "\x7f", "é", "\u2028", "😀", "--", "/*", "*/",
              ";", "$", "~", "/", "`"]
_SETTINGS = settings(max_examples=int(os.environ.get("TRAILCREATOR_HYPOTHESIS_EXAMPLES", "150")), deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])

# Arbitrary text, weighted towards template and SQL syntax, with surrogates and NUL allowed.
TEXT = st.lists(st.one_of(st.sampled_from(JINJA_BITS), st.text(st.characters(codec=None), max_size=4)),
                max_size=8).map("".join)


def jmespath_raw_string(s: str) -> str:
    """The JMESPath raw string literal whose value is ``s`` (jmespath.py: only ``\\'`` is an escape)."""
    return "'" + s.replace("'", "\\'") + "'"


def literal_expression(value: str) -> str:
    """A JMESPath literal whose value is ``value``: a raw string, or a JSON literal where a raw string
    cannot spell it (a backslash before a quote or at the end)."""
    for expression in (jmespath_raw_string(value), "`" + json.dumps(value).replace("`", "\\`") + "`"):
        try:
            if jmespath.search(expression, {}) == value:
                return expression
        except jmespath.exceptions.JMESPathError:
            pass
    assume(False)


def _scaffolding_tokens(text: str) -> list[tuple[str, str]]:
    """The template tokens of a generated macros file: everything but the data between them."""
    env = jinja2.Environment()
    return [(tok_type, None if tok_type == "comment" else value) for _, tok_type, value in env.lex(text)
            if tok_type != "data"]


def _baseline(entries: int) -> list[tuple[str, str]]:
    """The template tokens of the file for a plain map of ``entries`` events."""
    return _scaffolding_tokens(resource_map.render_macros(resource_map.ResourceMap("map.json", tuple(
        resource_map.MapEntry("s3", "s3.amazonaws.com", f"Create{i}", "a") for i in range(entries)), "0" * 64)))


def _assert_only_scaffolding(text: str, entries: int = 1) -> None:
    assert _scaffolding_tokens(text) == _baseline(entries)


# --- property: whatever a map holds, the generated file has the scaffolding's template tokens only ---


@_SETTINGS
@given(resource=TEXT, service=TEXT, event=TEXT, ids=TEXT, file_name=TEXT)
@example(resource="s3", service="s3.amazonaws.com", event="CreateBucket", ids="'" + PAYLOADS[0] + "'", file_name="m")
@example(resource="s3{{x}}", service="s3.amazonaws.com", event="CreateBucket", ids="a", file_name="#}{{ x }}")
def test_every_map_field_is_refused_in_one_line_or_rendered_without_jinja(tmp_path_factory, resource, service, event,
                                                                           ids, file_name):
    folder = tmp_path_factory.mktemp("map")
    name = "".join(c if c.isprintable() and c not in "/\\" and ord(c) < 0xD800 else "_" for c in file_name)[:40] or "m"
    path = folder / (name + ".json")
    try:
        path.write_text(json.dumps({"resources": [{"resource": resource, "events": [
            {"event": event, "service": service, "ids": ids}]}]}))
    except (OSError, UnicodeEncodeError):
        path = folder / "map.json"
        path.write_text(json.dumps({"resources": [{"resource": resource, "events": [
            {"event": event, "service": service, "ids": ids}]}]}))
    try:
        rmap = resource_map.load(str(path))
    except TrailcreatorError as e:
        assert "\n" not in str(e) and "\r" not in str(e), str(e)
    else:
        _assert_only_scaffolding(resource_map.render_macros(rmap))
    # Past the JSON Schema too (it refuses odd types, services and names): the renderer alone is safe.
    entry = resource_map.MapEntry(resource, service, event, jmespath_raw_string(ids))
    try:
        text = resource_map.render_macros(resource_map.ResourceMap(str(path), (entry,), "0" * 64))
    except TrailcreatorError as e:  # a lone surrogate, or a raw string cannot end in a backslash
        assert "\n" not in str(e) and "\r" not in str(e), str(e)
    else:
        _assert_only_scaffolding(text)


# --- property: after Jinja, on DuckDB, the values are matched and extracted literally ----------------


def _render(text: str, macro: str) -> str:
    """What dbt's Jinja makes of a generated macro: the file's macros, then one called."""
    return jinja2.Environment().from_string(text + "{{ " + macro + " }}").render()


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _extract(con, rmap, docs: list[tuple[str, str, dict]]) -> list[tuple[str, str]]:
    con.execute("create or replace temp table events (event_id varchar, event_source varchar, event_name varchar, doc json)")
    for i, (source, name, doc) in enumerate(docs):
        con.execute("insert into events values (?, ?, ?, ?)", [f"e{i}", source, name, json.dumps(doc)])
    sql = _render(resource_map.render_macros(rmap), "duckdb__extract_resource_ids('events')")
    return sorted(con.execute(f"select resource_type, resource_id from ({sql})").fetchall())


PLAIN = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20)


@_SETTINGS
@given(value=st.lists(st.one_of(st.sampled_from(JINJA_BITS[:-6]), PLAIN), min_size=1, max_size=6).map("".join),
       key=st.lists(st.one_of(st.sampled_from(JINJA_BITS[:-6]), PLAIN), min_size=1, max_size=6).map("".join))
@example(value=PAYLOADS[0], key=PAYLOADS[1])
def test_raw_strings_and_quoted_fields_come_out_literally(con, value, key):
    """A raw string literal yields itself; a quoted field reads the key spelled exactly so; the
    resource type, source and name are matched as the exact strings."""
    rtype, source, name = "t" + key, key + ".amazonaws.com", "E" + value
    rmap = resource_map.ResourceMap("m.json", (
        resource_map.MapEntry(rtype, source, name, literal_expression(value)),
        resource_map.MapEntry(rtype + "2", source, name, "requestParameters." + json.dumps(key)),
    ), "0" * 64)
    docs = [(source, name, {"requestParameters": {key: "v-" + value, "other": "no"}}),
            (source + "x", name, {"requestParameters": {key: "wrong-source"}}),
            (source, name + "x", {"requestParameters": {key: "wrong-name"}})]
    assert _extract(con, rmap, docs) == sorted([(rtype, value), (rtype + "2", "v-" + value)])


def test_athena_macro_renders_to_the_same_literals():
    rmap = resource_map.ResourceMap("m.json", (resource_map.MapEntry("s3", "s3.amazonaws.com", "CreateBucket",
                                                                     jmespath_raw_string(PAYLOADS[0])),), "0" * 64)
    text = resource_map.render_macros(rmap)
    _assert_only_scaffolding(text)
    sql = _render(text, "athena__extract_resource_ids('events')")
    assert "env_var(dict(AWS_SECRET_ACCESS_KEY=1)|first)" in sql  # the payload is data: still there, not run
    assert "{" not in sql and "}" not in sql


# --- end to end: the payloads through `trailcreator load` ------------------------------------


def _files_holding(folder, needle: bytes) -> list[str]:
    found = []
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            try:
                with open(p, "rb") as fh:
                    if needle in fh.read():
                        found.append(p)
            except OSError:
                pass
    return found


def test_template_payloads_load_as_literal_ids_and_the_secret_goes_nowhere(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    key = "{{ env_var('AWS_SECRET_ACCESS_KEY') }}"
    rmap = {"resources": [
        {"resource": "s3", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com",
                                       "ids": jmespath_raw_string(PAYLOADS[0])}]},
        {"resource": "sns", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com",
                                        "ids": jmespath_raw_string(PAYLOADS[1])}]},
        {"resource": "sqs", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com",
                                        "ids": "requestParameters." + json.dumps(key)}]},
    ]}
    # The map's file name reaches the generated file's header comment.
    path = tmp_path / "#}{{ env_var('AWS_SECRET_ACCESS_KEY') }}{#.json"
    path.write_text(json.dumps(rmap))
    trail = tg.Trail()
    trail.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"), T0,
                        {"bucketName": "b", key: "field-" + key}, None)])
    root = trail.write_dir(str(tmp_path / "trail"))
    db, duck = tmp_path / "c.db", tmp_path / "c.duckdb"
    cli("load", "--trail", root, "--db", db, "--duckdb", duck, "--resource-map", path)

    got = sorted((r["resource_type"], r["resource_id"]) for r in rows(db, "select * from resource_creators"))
    assert got == sorted([("s3", PAYLOADS[0]), ("sns", PAYLOADS[1]), ("sqs", "field-" + key)])
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == SECRET
    ws = workspace.Workspace.for_duckdb(str(duck))
    _assert_only_scaffolding(ws.generated_macros.read_text(), entries=3)
    # Not in the DuckDB file, the SQLite file, the workspace (compiled map, dbt's target/ and logs/),
    # nor the checkout's dbt project.
    assert ws.target.is_dir() and ws.logs.is_dir()
    assert _files_holding(tmp_path, SECRET.encode()) == []
    assert _files_holding(ws.root, SECRET.encode()) == []
    assert _files_holding(Path(__file__).resolve().parents[1] / "dbt_project", SECRET.encode()) == []
