"""End to end: a generated trail (local, S3 via moto, organization layout) -> load -> SQLite."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import duckdb
import pytest

import trailgen as tg
from conftest import creators, rows

A, B = "111111111111", "222222222222"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)


def scenario(org_id=None, prefix=""):
    """A trail whose creators the test knows, with every trap the loader must handle."""
    trail = tg.Trail(org_id=org_id, prefix=prefix)
    alice = tg.identity_iam_user(A, "alice", path="/ops/")
    bob = tg.identity_iam_user(A, "bob")
    jane = tg.identity_assumed_role(A, "AWSReservedSSO_Admin_0123456789abcdef", "jane@example.com", path="/aws-reserved/sso.amazonaws.com/")
    ci = tg.identity_assumed_role(B, "ci-deployer", "github-run-42")
    h = dt.timedelta(hours=1)

    e = tg.event
    dup = e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, T0, {"bucketName": "alpha-logs"}, None)
    trail.add([
        dup,
        e(A, "us-east-1", "ec2.amazonaws.com", "RunInstances", jane, T0 + h, {"instanceType": "t3.micro"},
          {"instancesSet": {"items": [{"instanceId": "i-0aaa"}, {"instanceId": "i-0bbb"}]}}),
        e(A, "us-east-1", "sns.amazonaws.com", "CreateTopic", bob, T0 + h, {"name": "denied"}, None, error="AccessDenied"),
        e(A, "us-east-1", "s3.amazonaws.com", "ListBuckets", bob, T0 + h, None, None),
        e(A, "us-east-1", "iam.amazonaws.com", "CreateRole", tg.identity_root(A), T0 + 2 * h, {"roleName": "deployer"},
          {"role": {"roleName": "deployer", "arn": f"arn:aws:iam::{A}:role/deployer"}}),
        e(A, "us-east-1", "dynamodb.amazonaws.com", "CreateTable", tg.identity_aws_service(), T0 + 2 * h, {"tableName": "stack-table"}, None),
    ], tag="first")
    # The same event delivered twice.
    trail.add([dup], delivered=T0 + 3 * h, tag="duplicate")
    # A name reused later: the latest successful create wins.
    trail.add([e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, T0 + 5 * h, {"bucketName": "alpha-logs"}, None)], tag="reuse")
    # An event of 23:58 delivered in the next day's folder.
    late = T0.replace(hour=23, minute=58)
    trail.add([e(A, "eu-west-1", "sns.amazonaws.com", "CreateTopic", alice, late, {"name": "late"},
                 {"topicArn": f"arn:aws:sns:eu-west-1:{A}:late"})], delivered=late + dt.timedelta(minutes=7), tag="late")
    trail.add([e(B, "eu-west-1", "lambda.amazonaws.com", "CreateFunction20150331", ci, T0 + h, {"functionName": "resize"},
                 {"functionName": "resize", "functionArn": f"arn:aws:lambda:eu-west-1:{B}:function:resize"})], tag="other")
    expected = {
        (A, "us-east-1", "s3", "alpha-logs"): ("bob", None),
        (A, "us-east-1", "ec2", "i-0aaa"): ("jane@example.com", None),
        (A, "us-east-1", "ec2", "i-0bbb"): ("jane@example.com", None),
        (A, "us-east-1", "iam-role", "deployer"): ("root", None),
        (A, "us-east-1", "dynamodb-table", "stack-table"): (None, "aws-service"),
        (A, "eu-west-1", "sns", f"arn:aws:sns:eu-west-1:{A}:late"): ("alice", None),
        (B, "eu-west-1", "lambda", "resize"): ("github-run-42", None),
    }
    return trail, expected


def test_load_local_directory(cli, tmp_path):
    trail, expected = scenario()
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "creators.db"
    result = cli("load", "--trail", root, "--db", db)

    assert creators(db) == expected
    assert "objects read:5 skipped:0" in result.stderr
    assert "resources:7" in result.stderr
    # Upstream's events table: exact layout, one row per person-created id, user_id upstream's way.
    con = sqlite3.connect(db)
    cols = [(c[1], c[2]) for c in con.execute("pragma table_info(events)")]
    assert cols == [
        ("account_id", "varchar(16)"), ("region", "varchar(16)"), ("event_date", "datetime"),
        ("event_name", "varchar(128)"), ("event_source", "varchar(128)"), ("user_agent", "varchar(128)"),
        ("client_ip", "varchar(32)"), ("user_id", "varchar(128)"), ("rtype", "varchar(42)"), ("resource_ids", "varchar(256)"),
    ]
    ev = rows(db, "select rtype, resource_ids, user_id from events order by event_date, resource_ids")
    assert {"rtype": "iam-role", "resource_ids": "deployer", "user_id": "root"} in ev
    assert {"rtype": "s3", "resource_ids": "alpha-logs", "user_id": f"arn:aws:iam::{A}:user/ops/alice"} in ev
    assert not any(r["resource_ids"] == "stack-table" for r in ev)  # AWS service: not a creator upstream would tag
    rc = rows(db, "select * from resource_creators where resource_type = 'iam-role'")[0]
    assert rc["is_global"] == 1 and rc["identity_type"] == "Root" and rc["event_time"] == "2024-05-01T11:00:00Z"
    # The DuckDB file is there for ad hoc analysis.
    con = duckdb.connect(str(tmp_path / "creators.duckdb"))
    assert con.execute("select count(*) from resource_creators").fetchone()[0] == 7


def test_load_twice_reads_nothing_again_and_changes_nothing(cli, tmp_path):
    trail, expected = scenario()
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "creators.db"
    cli("load", "--trail", root, "--db", db)
    first = rows(db, "select * from resource_creators order by 1, 2, 3, 4")
    result = cli("load", "--trail", root, "--db", db)
    assert "objects read:0 skipped:0" in result.stderr
    assert rows(db, "select * from resource_creators order by 1, 2, 3, 4") == first
    assert len(rows(db, "select * from events")) == 7  # alpha-logs was created twice


def test_load_s3_organization_trail_with_filters(cli, s3, tmp_path):
    trail, expected = scenario(org_id="o-abcdefghij", prefix="cloudtrail")
    s3.create_bucket(Bucket="org-trail-bucket")
    url = trail.write_s3(s3, "org-trail-bucket")
    db = tmp_path / "org.db"
    result = cli("load", "--trail", url, "--db", db, "--org-id", "o-abcdefghij", "--account", A, "--region", "us-east-1",
                 "--day", "2024/05/01")
    want = {k: v for k, v in expected.items() if k[0] == A and k[1] == "us-east-1"}
    assert creators(db) == want
    assert "objects read:3" in result.stderr


def test_load_s3_upstream_flags(cli, s3, tmp_path):
    trail, expected = scenario()
    s3.create_bucket(Bucket="plain-trail")
    trail.write_s3(s3, "plain-trail")
    db = tmp_path / "up.db"
    cli("load-s3", "--bucket", "plain-trail", "--db", db, "--month", "2024/05")
    assert creators(db) == expected


def test_date_window_keeps_late_delivery_and_drops_other_days(cli, tmp_path):
    trail, expected = scenario()
    # An event on 2024-05-03, outside the window.
    trail.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_root(A),
                        dt.datetime(2024, 5, 3, 12), {"bucketName": "later"}, None)])
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "w.db"
    cli("load", "--trail", root, "--db", db, "--start", "2024-05-01", "--end", "2024-05-01")
    got = creators(db)
    assert (A, "eu-west-1", "sns", f"arn:aws:sns:eu-west-1:{A}:late") in got  # delivered on the 2nd
    assert (A, "us-east-1", "s3", "later") not in got


def test_load_s3_with_profile_and_assumed_role(cli, s3, tmp_path, monkeypatch):
    trail, expected = scenario()
    s3.create_bucket(Bucket="assume-trail")
    trail.write_s3(s3, "assume-trail")
    creds = tmp_path / "credentials"
    creds.write_text("[reader]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = profileSecret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    db = tmp_path / "a.db"
    # moto's default account owns the bucket; assuming a role there keeps the same backend.
    cli("load", "--trail", "s3://assume-trail", "--db", db, "--profile", "reader",
        "--assume", "arn:aws:iam::123456789012:role/trail-reader")
    assert creators(db) == expected
    bad = cli("load", "--trail", "s3://assume-trail", "--db", db, "--profile", "nobody", expect=None)
    assert bad.exit_code == 1 and "--profile 'nobody'" in bad.stderr


def test_a_create_event_whose_ids_expression_finds_nothing_is_counted_and_named(cli, tmp_path):
    """MWAA's CreateEnvironment carries the name in requestParameters.Name: an entry reading
    requestParameters.name finds nothing in it.  The miss is counted per entry and named once,
    with the entry and one event to look at, instead of leaving the environment silently without
    a creator."""
    rmap = tmp_path / "map.json"
    rmap.write_text(json.dumps({"resources": [
        {"resource": "airflow", "events": [
            {"event": "CreateEnvironment", "service": "airflow.amazonaws.com", "ids": "requestParameters.name"}]},
        {"resource": "s3", "events": [
            {"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": "requestParameters.bucketName"}]},
    ]}))
    alice = tg.identity_iam_user(A, "alice")
    e = tg.event
    trail = tg.Trail()
    trail.add([
        e(A, "us-east-1", "airflow.amazonaws.com", "CreateEnvironment", alice, T0, {"Name": "spelled-pascal"},
          {"Arn": f"arn:aws:airflow:us-east-1:{A}:environment/spelled-pascal"}, event_id="mwaa-pascal"),
        e(A, "us-east-1", "airflow.amazonaws.com", "CreateEnvironment", alice, T0, {"name": "spelled-camel"}, None,
          event_id="mwaa-camel"),
        e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, T0, {"bucketName": "found"}, None),
    ])
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    result = cli("load", "--trail", root, "--db", db, "--resource-map", rmap)

    assert " unusable:0 no id:1 resources:2 " in result.stderr
    named = [line for line in result.stderr.splitlines() if "no id: " in line]
    assert named == ["WARNING:trailcreator:no id: airflow airflow.amazonaws.com CreateEnvironment: ids "
                     "requestParameters.name found nothing in 1 of 2 create events (e.g. eventID mwaa-pascal)"]
    assert sorted(r["resource_id"] for r in rows(db, "select resource_id from resource_creators")) == ["found", "spelled-camel"]
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    try:
        assert con.execute("select * from int_events_without_id").fetchall() == [
            ("airflow", "airflow.amazonaws.com", "CreateEnvironment", "requestParameters.name", 2, 1, "mwaa-pascal")]
    finally:
        con.close()

    again = cli("load", "--trail", root, "--db", db, "--resource-map", rmap)  # nothing new: still said
    assert " no id:1 " in again.stderr and "no id: airflow" in again.stderr
