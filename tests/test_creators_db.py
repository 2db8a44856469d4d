"""Reading creators: our layout with --creator-format and --user-suffix, upstream's events layout."""

from __future__ import annotations

import aws_world
import pytest
from creators_db_files import write_creators_db, write_upstream_db

from trailcreator.tagging.creators_db import CreatorsDB, upstream_creator
from trailcreator.errors import TrailcreatorError
from trailcreator.export.schema import CREATOR_COLUMNS, RESOURCE_CREATORS_DDL

ACCT = "123456789012"


def row(rtype, rid, who, region="us-east-1", is_global=0, when="2024-03-01T10:00:00Z", account=ACCT):
    cols = aws_world.identity_columns(aws_world.identities(account)[who])
    values, reason = aws_world.creator_values(account, who)
    return {"account_id": account, "region": region, "resource_type": rtype, "resource_id": rid,
            "is_global": is_global, "creator": values["name"], "creator_raw": values["name"], "excluded_reason": reason,
            **{CREATOR_COLUMNS[fmt]: value for fmt, value in values.items()}, **cols, "event_time": when,
            "event_name": "X", "event_source": "x.amazonaws.com"}


@pytest.fixture
def db(tmp_path):
    rows = [
        row("ec2", "i-1", "alice"),
        row("ebs", "vol-1", "bob"),
        row("security-group", "sg-1", "ci"),
        row("ec2", "i-2", "instance"),
        row("sns", "t-1", "cfn"),
        row("iam-role", "r-1", "slr", is_global=1),
        row("iam-role", "r-2", "bob", is_global=1),
        row("ec2", "i-eu", "alice", region="eu-west-1"),
        row("ec2", "i-other", "alice", account="210987654321"),
    ]
    return CreatorsDB.open(write_creators_db(tmp_path / "c.db", rows))


def values(records):
    return {rid: (r.creator, r.exclusion) for by_id in records.values() for rid, r in by_id.items()}


def test_scope_regional_and_global(db):
    assert db.layout == "resource_creators"
    us = db.records(ACCT, "us-east-1")
    assert set(values(us)) == {"i-1", "vol-1", "sg-1", "i-2", "t-1", "r-1", "r-2"}
    eu = db.records(ACCT, "eu-west-1")
    assert set(values(eu)) == {"i-eu", "r-1", "r-2"}          # IAM from any region
    eu_only = db.records(ACCT, "eu-west-1", global_types=False)
    assert set(values(eu_only)) == {"i-eu"}
    glob_only = db.records(ACCT, "eu-west-1", regional=False)
    assert set(values(glob_only)) == {"r-1", "r-2"}
    # a type c7n calls global is global even when the table says otherwise
    forced = db.records(ACCT, "eu-west-1", is_global_type=lambda t: t == "sns")
    assert "t-1" in values(forced)


@pytest.mark.parametrize("fmt, expected", [
    ("name", {"i-1": "alice", "vol-1": "bob@example.com", "sg-1": "github-actions"}),
    ("role", {"i-1": "alice", "vol-1": "AWSReservedSSO_Admin_0123abcd", "sg-1": "ci-deployer"}),
    ("role-session", {"i-1": "alice", "vol-1": "AWSReservedSSO_Admin_0123abcd/bob@example.com",
                      "sg-1": "ci-deployer/github-actions"}),
    ("arn", {"i-1": f"arn:aws:iam::{ACCT}:user/alice",
             "vol-1": f"arn:aws:sts::{ACCT}:assumed-role/AWSReservedSSO_Admin_0123abcd/bob@example.com",
             "sg-1": f"arn:aws:sts::{ACCT}:assumed-role/ci-deployer/github-actions"}),
])
def test_creator_format(db, fmt, expected):
    got = values(db.records(ACCT, "us-east-1", creator_format=fmt))
    assert {k: got[k][0] for k in expected} == expected
    # exclusions do not depend on the format
    assert got["i-2"] == (None, "instance-profile")
    assert got["t-1"] == (None, "aws-service")
    assert got["r-1"] == (None, "service-linked-role")


def test_user_suffix(db):
    got = values(db.records(ACCT, "us-east-1", user_suffix="@example.com"))
    assert got["vol-1"] == ("bob@example.com", None)
    assert got["i-1"] == (None, "user-suffix")
    assert got["sg-1"] == (None, "user-suffix")


def test_latest_create_event_wins_for_a_global_id_seen_in_two_regions(tmp_path):
    rows = [row("iam-role", "r-1", "alice", region="eu-west-1", is_global=1, when="2024-03-01T10:00:00Z"),
            row("iam-role", "r-1", "bob", region="us-east-1", is_global=1, when="2024-01-01T10:00:00Z")]
    db = CreatorsDB.open(write_creators_db(tmp_path / "c.db", rows))
    assert values(db.records(ACCT, "us-east-1"))["r-1"] == ("alice", None)


def test_upstream_events_layout(tmp_path):
    u = f"arn:aws:iam::{ACCT}:user/"
    events = [
        (ACCT, "us-east-1", "2024-01-01T00:00:00Z", "RunInstances", "ec2.amazonaws.com", "cli", "1.2.3.4",
         u + "alice", "ec2", "i-1 ,i-2"),                                  # upstream's " ," join
        (ACCT, "us-east-1", "2024-01-01T00:00:00Z", "CreateVolume", "ec2.amazonaws.com", "cli", "1.2.3.4",
         u + "alice", "ebs", "vol-1"),
        (ACCT, "us-east-1", "2024-02-01T00:00:00Z", "CreateVolume", "ec2.amazonaws.com", "cli", "1.2.3.4",
         f"arn:aws:sts::{ACCT}:assumed-role/Dev/carol", "ebs", "vol-1"),     # later: wins
        (ACCT, "us-east-1", "2024-01-01T00:00:00Z", "CreateRole", "iam.amazonaws.com", "cli", "1.2.3.4",
         f"arn:aws:sts::{ACCT}:assumed-role/AWSServiceRoleForECS/ecs", "iam-role", "ecs-role"),
        (ACCT, "us-east-1", "2024-01-01T00:00:00Z", "CreateRole", "iam.amazonaws.com", "cli", "1.2.3.4",
         "root", "iam-role", "admin"),
        (ACCT, "us-east-1", "2024-01-01T00:00:00Z", "CreateUser", "iam.amazonaws.com", "cli", "1.2.3.4",
         "dave@example.com", "iam-user", "svc"),                            # SAMLUser: userName
        (ACCT, "us-east-1", "2024-01-01T00:00:00Z", "CreateBucket", "s3.amazonaws.com", "cli", "1.2.3.4",
         None, "s3", "logs"),                                               # AWSService: no arn
    ]
    db = CreatorsDB.open(write_upstream_db(tmp_path / "up.db", events))
    assert db.layout == "events"
    got = values(db.records(ACCT, "us-east-1"))
    assert got == {
        "i-1": ("alice", None), "i-2": ("alice", None), "vol-1": ("carol", None),
        "ecs-role": (None, "service-linked-role"), "admin": ("root", None),
        "svc": ("dave@example.com", None), "logs": (None, "no-identity"),
    }
    # iam-* are global there too: found from another region
    assert set(values(db.records(ACCT, "eu-west-1"))) == {"ecs-role", "admin", "svc"}


def test_upstream_creator():
    assert upstream_creator(None, "name") == (None, "no-identity")
    assert upstream_creator("root", "name") == ("root", None)
    assert upstream_creator("arn:aws:iam::1:root", "name") == ("root", None)
    assert upstream_creator("arn:aws:iam::1:user/x", "name") == ("x", None)
    assert upstream_creator("arn:aws:sts::1:assumed-role/R/s", "name") == ("s", None)
    assert upstream_creator("arn:aws:sts::1:assumed-role/R/s", "arn") == ("arn:aws:sts::1:assumed-role/R/s", None)
    assert upstream_creator("arn:aws:sts::1:assumed-role/R/s", "role") == ("s", None)   # upstream kept no role
    assert upstream_creator("cloudformation.amazonaws.com", "name") == (None, "aws-service")
    assert upstream_creator("someone", "principal-id") == ("someone", None)


def test_principal_id_format(db):
    got = values(db.records(ACCT, "us-east-1", creator_format="principal-id"))
    assert got["i-1"] == ("AIDAEXAMPLEALICE", None)
    assert got["sg-1"] == ("AROAEXAMPLECI-DEPLO:github-actions", None)


def test_a_file_written_by_an_older_trailcreator_is_named_in_one_line(tmp_path):
    older = RESOURCE_CREATORS_DDL
    for column in CREATOR_COLUMNS.values():
        older = older.replace(f"\n    {column} text,", "")
    assert "creator_name" not in older
    path = write_creators_db(tmp_path / "old.db", [row("ec2", "i-1", "alice")], ddl=older)
    with pytest.raises(TrailcreatorError) as e:
        CreatorsDB.open(path)
    assert str(e.value) == (f"--db {path}: written by an older trailcreator (no creator_name, creator_role, "
                            f"creator_role_session, creator_arn, creator_principal_id columns); "
                            f"run `trailcreator load` again to rewrite it")
