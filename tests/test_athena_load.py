"""load-athena against a moto server: Glue holds the CloudTrail table, Athena takes the query,
and the runner reads the result CSV with DuckDB.  The query runs on the test Trino
(``athena_trino``); where a test needs what a real engine does not do on cue (a query that stays
QUEUED, the Athena target's tables) it writes the result by hand (``engine``)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

import athena_fake as af
import athena_trino_table
import trailgen as tg
from athena_fake import bucket, engine, glue, small_map  # noqa: F401  (fixtures)
from athena_front import athena_trino  # noqa: F401  (fixture)
from conftest import creators, rows

A, B = "111111111111", "222222222222"
MOTO_ACCOUNT = "123456789012"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)
DEFAULT_OUTPUT = f"s3://aws-athena-query-results-{MOTO_ACCOUNT}-us-east-1/"


def scenario():
    alice = tg.identity_iam_user(A, "alice", path="/ops/")
    jane = tg.identity_assumed_role(A, "AWSReservedSSO_Admin_0123456789abcdef", "jane@example.com",
                                    path="/aws-reserved/sso.amazonaws.com/")
    ci = tg.identity_assumed_role(B, "ci-deployer", "github-run-42")
    h = dt.timedelta(hours=1)
    e = tg.event
    dup = e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, T0, {"bucketName": "alpha-logs"}, None)
    records = [
        dup,
        dup,  # Athena returns an event twice when CloudTrail delivered it twice
        e(A, "us-east-1", "ec2.amazonaws.com", "RunInstances", jane, T0 + h, None,  # NULL requestparameters
          {"instancesSet": {"items": [{"instanceId": "i-0aaa"}, {"instanceId": "i-0bbb"}]}}),
        e(A, "us-east-1", "iam.amazonaws.com", "CreateRole", tg.identity_root(A), T0 + 2 * h,
          {"roleName": "deployer", "description": "quote \" comma , newline \n done"}, None),  # NULL responseelements
        e(A, "us-east-1", "sns.amazonaws.com", "CreateTopic", alice, T0 + 2 * h, None, None),  # both NULL: no id, no crash
        e(A, "us-east-1", "dynamodb.amazonaws.com", "CreateTable", tg.identity_aws_service(), T0 + 2 * h,
          {"tableName": "stack-table"}, None),
        e(B, "eu-west-1", "lambda.amazonaws.com", "CreateFunction20150331", ci, T0 + h, {"functionName": "resize"},
          {"functionName": "resize", "functionArn": f"arn:aws:lambda:eu-west-1:{B}:function:resize"}),
    ]
    expected = {
        (A, "us-east-1", "s3", "alpha-logs"): ("alice", None),
        (A, "us-east-1", "ec2", "i-0aaa"): ("jane@example.com", None),
        (A, "us-east-1", "ec2", "i-0bbb"): ("jane@example.com", None),
        (A, "us-east-1", "iam-role", "deployer"): ("root", None),
        (A, "us-east-1", "dynamodb-table", "stack-table"): (None, "aws-service"),
        (B, "eu-west-1", "lambda", "resize"): ("github-run-42", None),
    }
    return records, expected


def test_load_athena_end_to_end_with_day_and_projection(cli, athena_trino, trino_server, glue, s3, tmp_path):
    """The query runs on the test Trino (tests/athena_front.py) over the records in the table."""
    af.create_table(glue, "default", "cloudtrail_logs", partitions="projection")
    bucket(s3, DEFAULT_OUTPUT[5:-1])
    records, expected = scenario()
    athena_trino_table.create(trino_server, glue, "default", "cloudtrail_logs", athena_trino_table.trail_of(records))
    db = tmp_path / "creators.db"

    result = cli("load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs", "--db", db, "--day", "2024/05/01")

    assert creators(db) == expected
    (q,) = athena_trino.executions.values()
    # The default output location is upstream's, and the result was read from there.
    assert q.request["ResultConfiguration"] == {"OutputLocation": DEFAULT_OUTPUT}
    assert q.output == f"{DEFAULT_OUTPUT}{q.id}.csv" and q.database == "default" and q.request["WorkGroup"] == "primary"
    sql = q.sql
    assert 'FROM "default"."cloudtrail_logs"' in sql
    assert "errorcode IS NULL" in sql
    assert "(eventsource = 's3.amazonaws.com' AND eventname IN ('CreateBucket'))" in sql
    # --day prunes partitions: the day and the next (late deliveries), then the exact event day.
    assert "\"timestamp\" BETWEEN '2024/05/01' AND '2024/05/02'" in sql
    assert "eventtime >= '2024-05-01T00:00:00Z' AND eventtime < '2024-05-02T00:00:00Z'" in sql
    assert '"useridentity"."sessioncontext"."sessionissuer"."username" AS identity_issuer_username' in sql
    err = result.stderr
    assert f"athena query:{q.id} state:SUCCEEDED" in err and "scanned:" in err and "elapsed:" in err
    assert f"trailcreator: athena query:{q.id} result rows:7 create events kept:7 no id:2 resources:6" in err
    # the test's RunInstances has no network interface, its CreateTopic no response: both named
    assert "no id: sns sns.amazonaws.com CreateTopic: ids responseElements.topicArn found nothing in 1 of 1" in err
    assert "no id: eni ec2.amazonaws.com RunInstances: " in err
    assert "wrote" in result.stdout and "6 resource_creators rows" in result.stdout
    # Upstream's table: person-created ids only; NULL request and response columns loaded fine.
    ev = rows(db, "select rtype, resource_ids, user_id from events order by rtype, resource_ids")
    assert {"rtype": "iam-role", "resource_ids": "deployer", "user_id": "root"} in ev
    assert len(ev) == 5

    # --query-id reprocesses the earlier result without a new query, into another file;
    # --account keeps that account only.
    db2 = tmp_path / "b.db"
    cli("load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs", "--db", db2, "--query-id", q.id,
        "--account", B)
    assert list(athena_trino.executions) == [q.id]
    assert creators(db2) == {k: v for k, v in expected.items() if k[0] == B}


def test_enforcing_workgroup_unpartitioned_table_empty_result_and_polling(cli, engine, glue, s3, tmp_path, moto_server):
    af.create_table(glue, "trails", "flat_trail", partitions="none")
    bucket(s3, "wg-results")
    engine.athena.create_work_group(Name="locked", Configuration={
        "ResultConfiguration": {"OutputLocation": "s3://wg-results/tc/"}, "EnforceWorkGroupConfiguration": True})
    engine.rows = []
    db = tmp_path / "empty.db"
    # Each state lasts two looks, as a real query stays QUEUED, then RUNNING, for a while.
    requests.post(f"{moto_server}/moto-api/state-manager/set-transition", timeout=10,
                  json={"model_name": "athena::execution", "transition": {"progression": "manual", "times": 2}})
    try:
        result = cli("load-athena", "--region", "us-east-1", "--table", "flat_trail", "--athena-db", "trails",
                     "--workgroup", "locked", "--athena-output", "s3://elsewhere-bucket/x/", "--month", "2024/05",
                     "--db", db, "--resource-map", small_map(tmp_path))
    finally:
        requests.post(f"{moto_server}/moto-api/state-manager/unset-transition", timeout=10,
                      json={"model_name": "athena::execution"})
    states = [line.split("state:")[1].split()[0] for line in result.stderr.splitlines() if " state:" in line]
    assert states[0] in ("QUEUED", "RUNNING") and "RUNNING" in states and states[-1] == "SUCCEEDED"
    (q,) = engine.queries
    assert q["sent_output"] is None  # the workgroup's settings count, so none are sent
    assert q["output"].startswith("s3://wg-results/tc/")
    assert "enforces its settings: results go to s3://wg-results/tc/" in result.stderr
    assert "has no date partition column" in result.stderr and "scans the whole table" in result.stderr
    assert "eventtime >= '2024-05-01T00:00:00Z' AND eventtime < '2024-06-01T00:00:00Z'" in q["sql"]
    assert "result rows:0" in result.stderr and "the Athena result holds no create events" in result.stderr
    assert rows(db, "select count(*) as n from resource_creators") == [{"n": 0}]
    assert rows(db, "select count(*) as n from events") == [{"n": 0}]


def test_backoff_and_failure_reason():
    """Delays grow by half up to the cap; a FAILED query names Athena's reason in one line."""
    from trailcreator.athena import client
    from trailcreator.errors import TrailcreatorError

    states = ["QUEUED"] + ["RUNNING"] * 12 + ["FAILED"]

    class Client:
        def get_query_execution(self, QueryExecutionId):
            state = states.pop(0)
            status = {"State": state}
            if state == "FAILED":
                status["StateChangeReason"] = "TABLE_NOT_FOUND: line 3:6: Table 'awsdatacatalog.default.x'\ndoes not exist"
            return {"QueryExecution": {"QueryExecutionId": "q1", "Status": status,
                                       "Statistics": {"DataScannedInBytes": 3 * 2**30}}}

    slept, now = [], [0.0]

    def sleep(s):
        slept.append(s)
        now[0] += s

    import io
    out = io.StringIO()
    with pytest.raises(TrailcreatorError) as e:
        client.wait(Client(), "q1", out, sleep=sleep, clock=lambda: now[0])
    assert str(e.value) == "athena query q1 FAILED: TABLE_NOT_FOUND: line 3:6: Table 'awsdatacatalog.default.x' does not exist"
    assert slept[:4] == [1.0, 1.5, 2.25, 3.375] and max(slept) == client.POLL_MAX_DELAY
    assert "state:RUNNING scanned:3.00 GiB elapsed:" in out.getvalue()




def test_export_from_the_athena_target(cli, engine, s3, tmp_path):
    """export-athena: the tables dbt built on Athena -> the same SQLite file as load writes."""
    bucket(s3, "export-results")
    ce_header = ["account_id", "region", "resource_type", "resource_id", "is_global", "event_time", "event_name",
                 "event_source", "event_id", "user_agent", "source_ip", "identity_type", "principal_arn",
                 "principal_id", "user_name", "session_name", "session_issuer_arn", "session_issuer_name",
                 "on_behalf_of_user_id", "invoked_by", "access_key_id", "creator_raw", "excluded_reason", "creator",
                 "creator_name", "creator_role", "creator_role_session", "creator_arn", "creator_principal_id"]
    alice = [A, "us-east-1", "s3", "alpha-logs", "false", "2024-05-01 09:00:00.000", "CreateBucket", "s3.amazonaws.com",
             "e1", "aws-cli/2", "198.51.100.7", "IAMUser", f"arn:aws:iam::{A}:user/alice", "AIDA1", "alice", None,
             None, None, None, None, "AKIA1", "alice", None, "alice", "alice", "alice", "alice",
             f"arn:aws:iam::{A}:user/alice", "AIDA1"]
    service = [A, "us-east-1", "dynamodb-table", "stack-table", "false", "2024-05-01 10:00:00.000", "CreateTable",
               "dynamodb.amazonaws.com", "e2", None, None, "AWSService", None, None, None, None, None, None, None,
               "cloudformation.amazonaws.com", None, None, "aws-service", None, None, None, None, None, None]
    # the links' columns (none followed here): the person is the principal itself
    link_header = ["source_identity", "via", "via_path", "link_hops", "link_note", "person_event_id",
                   *(f"person_{c}" for c in ce_header[11:20])]
    ce_header = ce_header + link_header
    alice = alice + [None, None, None, "0", None, None, *alice[11:20]]
    service = service + [None, None, None, "0", None, None, *service[11:20]]
    engine.by_text['"creator_events"'] = (ce_header, [alice, service])
    engine.by_text['"resource_creators"'] = (ce_header, [alice, service])  # one row per resource here too
    db = tmp_path / "athena.db"
    result = cli("export-athena", "--region", "us-east-1", "--athena-schema", "trailcreator",
                 "--athena-output", "s3://export-results/x/", "--db", db)
    assert [q["sql"] for q in engine.queries] == ['SELECT * FROM "trailcreator"."creator_events"',
                                                  'SELECT * FROM "trailcreator"."resource_creators"']
    assert "wrote" in result.stdout and "2 resource_creators rows, 1 events rows" in result.stdout
    assert creators(db) == {(A, "us-east-1", "s3", "alpha-logs"): ("alice", None),
                            (A, "us-east-1", "dynamodb-table", "stack-table"): (None, "aws-service")}
    ev = rows(db, "select * from events")
    assert ev == [{"account_id": A, "region": "us-east-1", "event_date": "2024-05-01 09:00:00", "event_name": "CreateBucket",
                   "event_source": "s3.amazonaws.com", "user_agent": "aws-cli/2", "client_ip": "198.51.100.7",
                   "user_id": f"arn:aws:iam::{A}:user/alice", "rtype": "s3", "resource_ids": "alpha-logs"}]
    assert rows(db, "select event_time, is_global from resource_creators where resource_id = 'alpha-logs'") == [
        {"event_time": "2024-05-01T09:00:00Z", "is_global": 0}]


def test_load_athena_follows_a_role_chain_to_the_person(cli, athena_trino, trino_server, glue, s3, tmp_path):
    """The query also asks for the AssumeRole calls, so a create by a role session is followed
    to the person who assumed the role; --no-follow asks for the map's events only."""
    af.create_table(glue, "default", "cloudtrail_logs", partitions="projection")
    bucket(s3, DEFAULT_OUTPUT[5:-1])
    alice = tg.identity_iam_user(A, "alice")
    deploy = tg.identity_assumed_role(A, "deploy", "ci-run-7", access_key_id="ASIAEXAMPLEDEPLOY001")
    athena_trino_table.create(trino_server, glue, "default", "cloudtrail_logs", athena_trino_table.trail_of([
        tg.assume_role(A, alice, T0, "deploy", "ci-run-7", "ASIAEXAMPLEDEPLOY001"),
        tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", deploy, T0 + dt.timedelta(minutes=5),
                 {"bucketName": "built-by-ci"}, None),
    ]))
    db = tmp_path / "creators.db"
    cli("load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs", "--db", db, "--day", "2024/05/01")
    assert "(eventsource = 'sts.amazonaws.com' AND eventname IN ('AssumeRole'" in list(athena_trino.executions.values())[-1].sql
    (row,) = rows(db, "select creator, via, session_name from resource_creators")
    assert row == {"creator": "alice", "via": "assume-role", "session_name": "ci-run-7"}

    plain = tmp_path / "plain.db"
    cli("load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs", "--db", plain, "--day", "2024/05/01",
        "--no-follow")
    assert "sts.amazonaws.com" not in list(athena_trino.executions.values())[-1].sql
    (row,) = rows(plain, "select creator, via from resource_creators")
    assert row == {"creator": "ci-run-7", "via": None}
