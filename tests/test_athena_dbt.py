"""`dbt build --target athena`, checked offline: dbt-athena parses and compiles the project
without reaching AWS (`--no-populate-cache`), and every compiled model and test parses as
Trino SQL (Athena engine v3).  Nothing here runs on Athena: see the README's limits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

pytest.importorskip("dbt.adapters.athena", reason="the athena extra (dbt-athena) is not installed")


def dbt(project: Path, *args: str, vars_: dict | None = None):
    import yaml
    from dbt.cli.main import dbtRunner

    argv = [*args, "--project-dir", str(project / "dbt_project"), "--profiles-dir", str(project / "dbt_project"),
            "--target-path", str(project / "dbt_project" / "target"), "--log-path", str(project / "dbt_project" / "logs"),
            "--target", "athena", "--no-use-colors", "--log-level", "none"]
    if vars_:
        argv += ["--vars", yaml.safe_dump(vars_)]
    return dbtRunner().invoke(argv)


@pytest.fixture
def athena_env(project, monkeypatch):
    # Credentials dbt-athena could pick up, though nothing here may reach AWS.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTFAKEKEY00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # a closed port: any AWS call fails fast
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return project


def compiled(project: Path) -> dict[str, str]:
    root = project / "dbt_project" / "target" / "compiled" / "trailcreator"
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*.sql")}


def test_compile_for_athena_offline(athena_env):
    res = dbt(athena_env, "compile", "--no-populate-cache", vars_={
        "start_date": "2024-05-01", "end_date": "2024-05-31", "accounts": "111111111111,222222222222",
        "regions": "us-east-1,eusc-de-east-1", "cloudtrail_database": "trails", "cloudtrail_table": "org_trail",
        "cloudtrail_partitioning": "year_month_day",
    })
    assert res.success, res.exception
    sql = compiled(athena_env)
    models = {k: v for k, v in sql.items() if k.startswith("models/") and k.count("/") == 2}
    assert set(models) == {
        "models/staging/stg_resource_map__entries.sql", "models/staging/stg_cloudtrail__events.sql",
        "models/intermediate/int_resource_ids_extracted.sql", "models/marts/creator_events.sql",
        "models/marts/resource_creators.sql",
        # the links (How a creator is found)
        "models/staging/stg_cloudtrail__role_sessions.sql", "models/intermediate/int_link_nodes.sql",
        "models/intermediate/int_link_steps.sql", "models/intermediate/int_instances_launched.sql",
        "models/intermediate/int_creators_linked.sql",
        "models/intermediate/int_events_without_id.sql",  # the silent misses, counted
    }  # no stg_cloudtrail__objects: the DuckDB Python model is disabled on Athena
    for name, text in sql.items():
        statements = sqlglot.parse(text, read="trino")
        assert len(statements) == 1, name
    events = models["models/staging/stg_cloudtrail__events.sql"]
    assert 'from "awsdatacatalog"."trails"."org_trail"' in events
    assert ("(\"year\" = '2024' and \"month\" = '05' and \"day\" in ('01', '02'" in events
            and "(\"year\" = '2024' and \"month\" = '06' and \"day\" in ('01'))" in events)
    assert "eventtime >= '2024-05-01T00:00:00Z' and eventtime < '2024-06-01T00:00:00Z'" in events
    assert "recipientaccountid in ('111111111111', '222222222222')" in events
    assert "awsregion in ('us-east-1', 'eusc-de-east-1')" in events  # every region name, as load --region
    ids = models["models/intermediate/int_resource_ids_extracted.sql"]
    assert "cross join unnest(" in ids and "json_extract(doc, '$.requestParameters.bucketName')" in ids
    assert "qualify row_number" not in models["models/marts/resource_creators.sql"].lower()
    assert "to_unixtime(event_time)" in models["models/marts/resource_creators.sql"]
    # the links on Athena: the STS records from the table, Trino's JSON functions, no DuckDB syntax
    sessions = models["models/staging/stg_cloudtrail__role_sessions.sql"]
    assert "eventname in ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')" in sessions
    assert "json_extract_scalar(responseelements, '$.credentials.accessKeyId')" in sessions
    assert "cast(null as varchar) as source_identity" in sessions  # the guide's table has no sourceidentity
    assert "select 'cloudformation.amazonaws.com', 'UpdateStack'" in events
    assert "cross join unnest(" in models["models/intermediate/int_instances_launched.sql"]
    assert "json_format(request_parameters)" in models["models/intermediate/int_link_nodes.sql"]
    for name in ("stg_cloudtrail__role_sessions", "int_link_nodes", "int_link_steps", "int_creators_linked",
                 "int_instances_launched", "int_events_without_id"):
        text = next(v for k, v in models.items() if k.endswith(f"/{name}.sql"))
        assert "->>" not in text and "qualify" not in text.lower() and "semi join" not in text, name
        assert sqlglot.parse_one(text, read="trino") is not None


def test_links_off_on_athena(athena_env):
    res = dbt(athena_env, "compile", "--no-populate-cache", "--select", "stg_cloudtrail__events int_link_steps",
              vars_={"follow_links": False, "cloudtrail_source_identity": True})
    assert res.success, res.exception
    sql = compiled(athena_env)
    assert "UpdateStack" not in sql["models/staging/stg_cloudtrail__events.sql"]
    assert "nullif(useridentity.sessioncontext.sourceidentity, '')" in sql["models/staging/stg_cloudtrail__events.sql"]
    assert "and false  -- follow_links is off" in sql["models/intermediate/int_link_steps.sql"]


@pytest.mark.parametrize("vars_, message", [
    ({"cloudtrail_table": 'logs"; drop table x; --'}, "cloudtrail_table: 'logs\"; drop table x; --' is not valid: use letters"),
    ({"accounts": "1111' or '1'='1"}, "accounts: '1111'"),
])
def test_bad_vars_stop_the_compile(athena_env, vars_, message):
    res = dbt(athena_env, "compile", "--no-populate-cache", "--select", "stg_cloudtrail__events", vars_=vars_)
    assert not res.success
    assert message in str(res.exception or "") + "".join(str(getattr(r, "message", "")) for r in (res.result or []))


def test_passthrough_compiles_a_map_for_athena_offline(athena_env, cli, tmp_path):
    """The README's Athena route: `trailcreator dbt --duckdb F --resource-map MAP -- ... --target athena`
    compiles the map into F's workspace and runs dbt-athena there, offline."""
    import json

    from trailcreator.workspace.workspace import Workspace

    role_map = tmp_path / "role.json"
    role_map.write_text(json.dumps({"resources": [{"resource": "iam-role", "events": [
        {"event": "CreateRole", "service": "iam.amazonaws.com", "ids": "requestParameters.roleName"}]}]}))
    duck = tmp_path / "creators.duckdb"
    cli("dbt", "--duckdb", duck, "--resource-map", role_map, "--", "compile", "--target", "athena", "--no-populate-cache",
        "--select", "int_resource_ids_extracted", "--vars", '{cloudtrail_database: trails, cloudtrail_table: org_trail}')
    ws = Workspace.for_duckdb(str(duck))
    sql = (ws.target / "compiled" / "trailcreator" / "models" / "intermediate" / "int_resource_ids_extracted.sql").read_text()
    assert "json_extract(doc, '$.requestParameters.roleName')" in sql
    assert "bucketName" not in sql  # the default map is not what was compiled
    assert len(sqlglot.parse(sql, read="trino")) == 1
    assert not duck.exists()  # Athena's run opens no DuckDB file
