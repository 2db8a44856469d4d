"""`dbt build --target trino` on bad input: Trino unreachable, a schema or table that is not
there, a table without the CloudTrail columns.  dbt's own error is passed on: it names what
is missing, the exit is non-zero, and the model is not built."""

from __future__ import annotations

import socket

import pytest
import yaml

pytest.importorskip("dbt.adapters.trino", reason="the trino extra (dbt-trino) is not installed")


def build(server_port, tmp_path, monkeypatch, host="127.0.0.1", schema="errors", **vars_):
    import helpers

    monkeypatch.setenv("TRAILCREATOR_TRINO_HOST", host)
    monkeypatch.setenv("TRAILCREATOR_TRINO_PORT", str(server_port))
    monkeypatch.setenv("TRAILCREATOR_TRINO_CATALOG", "memory")
    monkeypatch.setenv("TRAILCREATOR_TRINO_SCHEMA", schema)
    return helpers.run("dbt", "--duckdb", tmp_path / "w.duckdb", "--", "build", "--target", "trino",
                       "--select", "stg_resource_map__entries stg_cloudtrail__events",
                       "--vars", yaml.safe_dump({"cloudtrail_catalog": "hive", **vars_}))


def test_trino_unreachable(tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = build(port, tmp_path, monkeypatch)
    assert res.exit_code != 0
    assert "Connection refused" in res.stdout, res.stdout


def test_missing_schema_is_named(trino_server, tmp_path, monkeypatch):
    res = build(trino_server.port, tmp_path, monkeypatch, cloudtrail_database="no_such_schema")
    assert res.exit_code != 0
    assert "no_such_schema" in res.stdout and ("does not exist" in res.stdout or "not found" in res.stdout), res.stdout
    assert not trino_server.query("SELECT 1 FROM memory.information_schema.tables WHERE table_schema = 'errors' AND table_name = 'stg_cloudtrail__events'")


def test_table_without_the_columns(trino_server, tmp_path, monkeypatch):
    q = trino_server.query
    q("CREATE SCHEMA IF NOT EXISTS hive.errors")
    q("DROP TABLE IF EXISTS hive.errors.not_cloudtrail")
    q("CREATE TABLE hive.errors.not_cloudtrail (eventversion varchar, eventname varchar) WITH (format = 'JSON')")
    res = build(trino_server.port, tmp_path, monkeypatch, cloudtrail_database="errors", cloudtrail_table="not_cloudtrail")
    assert res.exit_code != 0
    assert "COLUMN_NOT_FOUND" in res.stdout or "cannot be resolved" in res.stdout, res.stdout
    assert not trino_server.query("SELECT 1 FROM memory.information_schema.tables WHERE table_schema = 'errors' AND table_name = 'stg_cloudtrail__events'")


def test_a_map_trino_cannot_run_stops_at_compile_time(trino_server, tmp_path, monkeypatch):
    """The map is compiled by the Athena dialect for Trino too: an expression it cannot express
    stops the build in one fixed line, before any SQL reaches Trino."""
    import json

    import helpers
    from test_jmespath_fallback_load import EXPRESSIONS

    path = tmp_path / "map.json"
    path.write_text(json.dumps({"resources": [{"resource": "s3", "events": [
        {"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": EXPRESSIONS["s3"]}]}]}))
    monkeypatch.setenv("TRAILCREATOR_TRINO_HOST", trino_server.host)
    monkeypatch.setenv("TRAILCREATOR_TRINO_PORT", str(trino_server.port))
    monkeypatch.setenv("TRAILCREATOR_TRINO_SCHEMA", "errors_map")
    res = helpers.run("dbt", "--duckdb", tmp_path / "w.duckdb", "--resource-map", path, "--", "compile",
                      "--target", "trino", "--select", "int_resource_ids_extracted")
    assert res.exit_code != 0
    assert "cannot be compiled to Athena SQL: trailcreator compile-map MAP names it" in res.stdout, res.stdout
