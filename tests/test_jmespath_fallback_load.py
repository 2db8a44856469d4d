"""What the SQL compiler does not translate is evaluated by jmespath inside DuckDB: through
`trailcreator load` (dbt build, the profile's plugin registers the function), the same ids as
jmespath gives; the Athena form of such a map stops `dbt build --target athena` at compile time."""

from __future__ import annotations

import datetime as dt
import json

import jmespath

import trailgen as tg
from conftest import rows
from trailcreator.workspace import workspace
from trailcreator.mapping import jmespath_sql, resource_map

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)
REQUEST = {"items": [{"name": "b-2", "n": 2}, {"name": "b-1", "n": 1}, {"name": "b-3", "n": 3}],
           "tags": {"Name": "tagged-bucket", "Team": "x"}}
EXPRESSIONS = {
    "s3": "sort_by(requestParameters.items, &n)[*].name",            # jmespath: an expression reference
    "sns": "sort(values(requestParameters.tags))",                  # jmespath: sort()
    "sqs": "to_string(requestParameters.items[?n > `2`].n)",        # jmespath for the array's text
    "ebs": "values({k: requestParameters.tags.Name})",              # SQL on DuckDB (a hash), not on Athena
}


def test_uncompiled_expressions_load_through_dbt_as_jmespath_gives_them(cli, tmp_path):
    assert [rtype for rtype, e in EXPRESSIONS.items() if jmespath_sql.sql_construct_missing(e, "duckdb")] == ["s3", "sns"]
    assert "trailcreator_jmespath(" in jmespath_sql.compile_value(EXPRESSIONS["sqs"], "doc")
    assert "trailcreator_jmespath(" not in jmespath_sql.compile_value(EXPRESSIONS["ebs"], "doc")
    rmap = {"resources": [{"resource": rtype, "events": [
        {"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": ids}]} for rtype, ids in EXPRESSIONS.items()]}
    path = tmp_path / "map.json"
    path.write_text(json.dumps(rmap))
    trail = tg.Trail()
    trail.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"), T0,
                        REQUEST, None)])
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    duck = tmp_path / "c.duckdb"
    result = cli("load", "--trail", root, "--db", db, "--duckdb", duck, "--resource-map", path)

    got = sorted((r["resource_type"], r["resource_id"]) for r in rows(db, "select * from resource_creators"))
    record = {"requestParameters": REQUEST}
    want = sorted((rtype, i) for rtype, ids in EXPRESSIONS.items()
                  for i in jmespath_sql.normalize_ids(jmespath.search(ids, record)))
    assert got == want
    assert {("sqs", "[3]"), ("s3", "b-1"), ("sns", "x"), ("ebs", "tagged-bucket")} <= set(got)
    # Athena cannot: one warning line per such entry, and its macro stops a build at compile time.
    refusals = [line for line in result.stderr.splitlines() if "on Athena" in line]
    assert len(refusals) == 3, result.stderr
    assert [r.split("map.json: ")[1].split()[0] for r in refusals] == ["s3", "sns", "ebs"], refusals
    assert "sort_by()" in refusals[0] and "sort()" in refusals[1] and "multiselect hash" in refusals[2]
    generated = workspace.Workspace.for_duckdb(str(duck)).generated_macros.read_text()
    assert resource_map.ATHENA_REFUSED in generated


def test_athena_build_stops_at_compile_time_for_such_a_map(project, tmp_path, monkeypatch):
    """The Athena macro of a map with an expression Trino SQL cannot express raises a fixed message."""
    import pytest

    pytest.importorskip("dbt.adapters.athena", reason="the athena extra (dbt-athena) is not installed")
    from test_athena_dbt import dbt

    for var, value in {"AWS_ACCESS_KEY_ID": "AKIATESTFAKEKEY00001", "AWS_SECRET_ACCESS_KEY": "fake",
                       "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(var, value)
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"resources": [{"resource": "s3", "events": [
        {"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": EXPRESSIONS["s3"]}]}]}))
    rmap = resource_map.load(str(path))
    assert len(resource_map.athena_refusals(rmap)) == 1
    resource_map.write_dbt_macros(rmap, str(project / "dbt_project"))
    res = dbt(project, "compile", "--no-populate-cache", "--select", "int_resource_ids_extracted",
              vars_={"cloudtrail_database": "trails", "cloudtrail_table": "org_trail"})
    assert not res.success
    text = str(res.exception or "") + "".join(str(getattr(r, "message", "")) for r in (res.result or []))
    assert "cannot be compiled to Athena SQL" in text, text
