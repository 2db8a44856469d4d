"""load-athena's bad input on a moto server: each is one line naming the value, and no query runs."""

from __future__ import annotations

import json

import pytest
import requests

import athena_fake as af
from athena_fake import bucket, engine, glue  # noqa: F401  (fixtures)


# --- bad input: one line each, non-zero exit ----------------------------------------------------


def test_unknown_database_and_table(cli, engine, glue, tmp_path):
    af.create_table(glue, "default", "cloudtrail_logs")
    r = cli("load-athena", "--region", "us-east-1", "--table", "nope", "--db", tmp_path / "x.db", expect=1)
    assert r.stderr.strip().splitlines()[-1] == (
        "Error: Athena table default.nope: Table nope not found. (EntityNotFoundException): check --table and --region")
    r = cli("load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs", "--athena-db", "nodb",
            "--db", tmp_path / "x.db", expect=1)
    assert r.stderr.strip().splitlines()[-1] == (
        "Error: Athena table nodb.cloudtrail_logs: Database nodb not found. (EntityNotFoundException): "
        "check --athena-db and --region")
    assert engine.queries == []


def test_output_location_missing_bucket(cli, engine, glue, tmp_path):
    af.create_table(glue, "default", "cloudtrail_logs")
    r = cli("load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs", "--athena-output",
            "s3://no-such-results-bucket/x/", "--db", tmp_path / "x.db", expect=1)
    assert "Error: --athena-output s3://no-such-results-bucket/x/: bucket no-such-results-bucket does not exist" in r.stderr
    assert engine.queries == []


def test_output_location_without_access(cli, engine, glue, s3, aws_env, tmp_path, moto_server, monkeypatch):
    """A caller whose policy denies the results bucket: stopped before the query, with the permissions to grant."""
    af.create_table(glue, "default", "cloudtrail_logs")
    bucket(s3, "locked-results")
    iam = aws_env.client("iam", endpoint_url=moto_server)
    iam.create_user(UserName="analyst")
    iam.put_user_policy(UserName="analyst", PolicyName="no-results", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": ["arn:aws:s3:::locked-results", "arn:aws:s3:::locked-results/*"]},
        ]}))
    key = iam.create_access_key(UserName="analyst")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    previous = requests.post(f"{moto_server}/moto-api/reset-auth", data=b"0", timeout=10).json()
    try:
        r = cli("load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs", "--athena-output",
                "s3://locked-results/q/", "--db", tmp_path / "x.db", expect=1)
    finally:
        requests.post(f"{moto_server}/moto-api/reset-auth",
                      data=previous["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"].encode(), timeout=10)
    assert r.stderr.strip().splitlines()[-1].startswith(
        "Error: --athena-output s3://locked-results/q/: access denied to bucket locked-results")
    assert "s3:PutObject" in r.stderr
    assert engine.queries == []


def test_query_id_unknown(cli, engine, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    r = cli("load-athena", "--region", "us-east-1", "--table", "t", "--query-id", "00000000-dead-beef-0000-000000000000",
            "--db", tmp_path / "x.db", expect=1)
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: --query-id 00000000-dead-beef-0000-000000000000: Athena does not know this query")


def test_query_id_cancelled(cli, engine, tmp_path):
    qid = engine.athena.start_query_execution(
        QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://somewhere-bucket/x/"})["QueryExecutionId"]
    engine.athena.stop_query_execution(QueryExecutionId=qid)
    r = cli("load-athena", "--region", "us-east-1", "--table", "t", "--query-id", qid, "--db", tmp_path / "x.db", expect=1)
    assert f"Error: --query-id {qid}: the query CANCELLED" in r.stderr
    assert "run load-athena without --query-id" in r.stderr


def test_query_id_of_another_query(cli, engine, s3, tmp_path):
    bucket(s3, "other-results")
    qid = engine.athena.start_query_execution(
        QueryString="SELECT 1 AS x", ResultConfiguration={"OutputLocation": "s3://other-results/x/"})["QueryExecutionId"]
    af.write_result(s3, f"s3://other-results/x/{qid}.csv", [["1"]], header=["x"])
    r = cli("load-athena", "--region", "us-east-1", "--table", "t", "--query-id", qid, "--db", tmp_path / "x.db", expect=1)
    assert f"Error: athena query {qid}: its result is not a load-athena result (no column eventversion" in r.stderr


def test_result_gone(cli, engine, s3, tmp_path):
    bucket(s3, "other-results")
    qid = engine.athena.start_query_execution(
        QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://other-results/gone/"})["QueryExecutionId"]
    r = cli("load-athena", "--region", "us-east-1", "--table", "t", "--query-id", qid, "--db", tmp_path / "x.db", expect=1)
    assert f"Error: athena query {qid}: its result s3://other-results/gone/{qid}.csv is gone" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--table", 'logs"; DROP TABLE x; --'], "--table 'logs\"; DROP TABLE x; --' is not a plain Athena name"),
    (["--table", "logs", "--athena-db", "db/* comment */"], "--athena-db 'db/* comment */' is not a plain Athena name"),
    (["--table", "logs", "--workgroup", "wg' OR '1'='1"], "--workgroup \"wg' OR '1'='1\" is not an Athena workgroup name"),
    (["--table", "logs", "--account", "1111' --"], "--account \"1111' --\" is not an AWS account id"),
    (["--table", "logs", "--query-id", "x'; --"], "--query-id \"x'; --\" is not an Athena query execution id"),
    (["--table", "logs", "--athena-output", "s3://Bad'Bucket/"], "is not a valid S3 bucket name"),
    (["--table", "logs", "--day", "2024/05/01' --"], "is not a date"),
])
def test_command_line_values_never_reach_sql_unchecked(cli, engine, args, message, tmp_path):
    r = cli("load-athena", "--region", "us-east-1", *args, "--db", tmp_path / "x.db", expect=1)
    assert message in r.stderr
    assert engine.queries == []
