"""The load-athena query text: what it selects, how the date filter prunes, and that no value
from the map or the command line can change its shape.  Parsed with sqlglot's Trino dialect
(Athena engine v3 is Trino)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot
from sqlglot import exp

import athena_fake as af
from trailcreator.athena import client, glue, query
from trailcreator.athena import sql as athena_sql
from trailcreator.ingest import athena_result
from trailcreator.ingest import listing as trail
from trailcreator.errors import TrailcreatorError


def table(partitions="projection", columns=None, keys=None, params=None):
    cols = {n: athena_sql.parse_hive_type(t) for n, t in (columns or af.COLUMNS)}
    if partitions == "projection":
        keys = keys or [("timestamp", "string")]
        params = {"projection.enabled": "true", "projection.timestamp.type": "date",
                  "projection.timestamp.format": "yyyy/MM/dd", **(params or {})}
    elif partitions == "ymd":
        keys = keys or [("region", "string"), ("year", "string"), ("month", "string"), ("day", "string")]
    else:
        keys = keys or []
    for k, t in keys:
        cols[k] = t
    return glue.TableInfo("default", "cloudtrail_logs", cols, tuple(keys), params or {})


PAIRS = [("s3.amazonaws.com", "CreateBucket"), ("ec2.amazonaws.com", "RunInstances"), ("ec2.amazonaws.com", "CreateVolume")]


def parse(sql):
    statements = sqlglot.parse(sql, read="trino")
    assert len(statements) == 1
    return statements[0]


def where_literals(tree):
    return [lit.this for lit in tree.find(exp.Where).find_all(exp.Literal) if lit.is_string]


def test_selects_the_result_contract_and_filters_in_athena():
    q = query.build_query(table(), PAIRS, trail.parse_window(day="2024/05/01"), ("111111111111",))
    tree = parse(q.sql)
    assert [s.alias_or_name for s in tree.selects] == af.RESULT_HEADER == list(athena_result.RESULT_COLUMNS)
    assert "errorcode IS NULL" in q.sql
    assert ("(eventsource = 'ec2.amazonaws.com' AND eventname IN ('CreateVolume', 'RunInstances'))\n"
            "       OR (eventsource = 's3.amazonaws.com' AND eventname IN ('CreateBucket'))") in q.sql
    assert "recipientaccountid IN ('111111111111')" in q.sql
    assert not q.scans_whole_table
    # resources: CloudTrail's own JSON keys rebuilt from the struct array
    assert "transform(\"resources\", r -> MAP(ARRAY['ARN', 'accountId', 'type'], ARRAY[" in q.sql


@pytest.mark.parametrize("window, expected", [
    (dict(day="2024/05/01"), "\"timestamp\" BETWEEN '2024/05/01' AND '2024/05/02'"),
    (dict(month="2024/02"), "\"timestamp\" BETWEEN '2024/02/01' AND '2024/03/01'"),
    (dict(year="2019"), "\"timestamp\" BETWEEN '2019/01/01' AND '2020/01/01'"),
])
def test_timestamp_projection(window, expected):
    q = query.build_query(table(), PAIRS, trail.parse_window(**window))
    assert expected in q.sql
    parse(q.sql)


def test_projection_format_of_the_table_is_used():
    q = query.build_query(table(params={"projection.timestamp.format": "yyyy-MM-dd"}), PAIRS,
                           trail.parse_window(day="2024/12/31"))
    assert "\"timestamp\" BETWEEN '2024-12-31' AND '2025-01-01'" in q.sql


@pytest.mark.parametrize("window, expected", [
    (dict(day="2024/05/01"), "((\"year\" = '2024' AND \"month\" = '05' AND \"day\" IN ('01', '02')))"),
    (dict(day="2024/05/31"),
     "((\"year\" = '2024' AND \"month\" = '05' AND \"day\" IN ('31')) OR (\"year\" = '2024' AND \"month\" = '06' AND \"day\" IN ('01')))"),
    (dict(month="2024/02"),
     "((\"year\" = '2024' AND \"month\" = '02') OR (\"year\" = '2024' AND \"month\" = '03' AND \"day\" IN ('01')))"),
    (dict(year="2023"),
     "(\"year\" = '2023' OR (\"year\" = '2024' AND \"month\" = '01' AND \"day\" IN ('01')))"),
])
def test_year_month_day_partitions(window, expected):
    q = query.build_query(table("ymd"), PAIRS, trail.parse_window(**window))
    assert expected in q.sql
    parse(q.sql)


def test_integer_partitions_get_integer_literals():
    keys = [("year", "int"), ("month", "int"), ("day", "int")]
    q = query.build_query(table("ymd", keys=keys), PAIRS, trail.parse_window(day="2024/05/01"))
    assert '("year" = 2024 AND "month" = 5 AND "day" IN (1, 2))' in q.sql


def test_no_partitions_falls_back_to_event_time_and_says_so():
    q = query.build_query(table("none"), PAIRS, trail.parse_window(day="2024/05/01"))
    assert q.scans_whole_table
    assert "scans the whole table" in q.notes[0]
    assert "eventtime >= '2024-05-01T00:00:00Z' AND eventtime < '2024-05-02T00:00:00Z'" in q.sql
    assert not query.build_query(table("none"), PAIRS, None).scans_whole_table  # no window asked: nothing to prune


def test_an_older_table_without_some_identity_fields():
    """Tables created before onBehalfOf existed: the query selects NULL rather than failing in Athena."""
    old = [(n, t.replace("onbehalfof:struct<userid:string,identitystorearn:string>,", "")) for n, t in af.COLUMNS]
    old = [(n, t) for n, t in old if n not in ("serviceeventdetails", "resources")]
    q = query.build_query(table("none", columns=old), PAIRS)
    assert "CAST(NULL AS VARCHAR) AS identity_onbehalfof_userid" in q.sql
    assert "CAST(NULL AS VARCHAR) AS serviceeventdetails" in q.sql
    assert "CAST(NULL AS VARCHAR) AS resources" in q.sql
    parse(q.sql)


NASTY = [
    "x' OR '1'='1",
    "a -- comment",
    "b /* comment */ c",
    "quote\"double",
    "semi; DROP TABLE cloudtrail_logs; --",
    "back\\slash",
    "ünïcode",
]


@pytest.mark.parametrize("value", NASTY)
def test_map_values_are_literals(value):
    """Quotes and comments in a map's service or event name stay inside one string literal."""
    pairs = [(value, "CreateBucket"), ("s3.amazonaws.com", value)]
    q = query.build_query(table(), pairs, trail.parse_window(day="2024/05/01"))
    tree = parse(q.sql)
    assert sorted(where_literals(tree).count(v) for v in (value,)) == [2]
    assert tree.find(exp.Drop) is None and "--" not in q.sql.replace(value.replace("'", "''"), "")


def test_control_characters_in_map_values():
    q = query.build_query(table(), [("s3.amazonaws.com", "Create\nBucket\x00")], None)
    assert "('Create' || chr(10) || 'Bucket' || chr(0))" in q.sql
    parse(q.sql)


@pytest.mark.parametrize("name", ['logs"x', "logs;", "logs --", "a/*b*/", "", "a.b", "a b", "ä"])
def test_names_must_be_plain(name):
    with pytest.raises(TrailcreatorError, match="is not a plain Athena name"):
        athena_sql.identifier(name, "--table")


def test_names_are_quoted_and_lowercased():
    assert athena_sql.identifier("CloudTrail_Logs", "--table") == '"cloudtrail_logs"'


def test_hive_types():
    assert athena_sql.parse_hive_type("string") == "string"
    assert athena_sql.parse_hive_type("array<struct<arn:string,accountid:string,type:string>>") == (
        "array", ("struct", [("arn", "string"), ("accountid", "string"), ("type", "string")]))
    assert athena_sql.parse_hive_type("map<string, decimal(10,2)>") == ("map", "string", "decimal")
    tree = athena_sql.parse_hive_type(af.USERIDENTITY)
    assert athena_sql._struct_field(tree, ("sessioncontext", "sessionissuer", "username")) == "string"
    assert athena_sql._struct_field(tree, ("sessioncontext", "nope")) is None
    with pytest.raises(ValueError):
        athena_sql.parse_hive_type("struct<a:string")


def test_not_a_cloudtrail_table():
    class Glue:
        def get_table(self, DatabaseName, Name):
            return {"Table": {"Name": Name, "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "int"}]}}}

    with pytest.raises(TrailcreatorError, match="is not a CloudTrail table: it has no column eventsource, eventname"):
        glue.describe_table(Glue(), "default", "other")


def test_result_url():
    wg = client.Workgroup("w", "s3://wg/out/", True)
    assert client.result_url({"QueryExecutionId": "q", "ResultConfiguration": {"OutputLocation": "s3://b/p/q.csv"}}, wg) == "s3://b/p/q.csv"
    assert client.result_url({"QueryExecutionId": "q"}, wg) == "s3://wg/out/q.csv"
    with pytest.raises(TrailcreatorError, match="reports no result location"):
        client.result_url({"QueryExecutionId": "q"}, client.Workgroup("w", None, False))


def test_delivery_day_after_the_window_is_included():
    days = trail.parse_window(day="2024/02/29").delivery_days()
    assert days == [dt.date(2024, 2, 29), dt.date(2024, 3, 1)]
