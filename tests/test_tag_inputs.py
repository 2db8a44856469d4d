"""Bad input: one clear line, a non-zero exit, and no tag written."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import aws_world
import pytest
import yaml
from creators_db_files import write_creators_db, write_upstream_db
from helpers import assert_one_line_error, error_lines, run, run_tag_entry

from trailcreator.tagging import creators_db


@pytest.fixture(scope="module")
def mini(moto_endpoint, tmp_path_factory):
    """One IAM user with a recorded creator, in an account of its own, and a good database."""
    a, b, n = aws_world.new_accounts()
    spec = aws_world.Spec(a, "global", "iam-user", "mallory", "alice")
    built = aws_world.create(spec, aws_world.Clients())
    tmp = tmp_path_factory.mktemp("mini")
    db = write_creators_db(tmp / "creators.db", aws_world.creator_rows([built]))
    return {"account": a, "db": db, "tmp": tmp}


def user_tags(mini):
    return aws_world.session(mini["account"]).client("iam").list_user_tags(UserName="mallory")["Tags"]


def tag_args(mini, **over):
    opts = {"--db": mini["db"], "--creator-tag": "Owner", "--region": "us-east-1",
            "--assume": aws_world.role_arn(mini["account"])}
    opts.update(over)
    args = ["tag"]
    for k, v in opts.items():
        if v is not None:
            args += [k, v]
    return args


def assert_refused(result, expected: str):
    """One error line naming ``expected``, and nothing tagged or counted."""
    assert_one_line_error(result, expected)
    assert "tag " not in result.stdout and "Total" not in result.stdout


def _not_sqlite(tmp):
    p = tmp / "notes.db"
    p.write_text("these are not the creators you are looking for\n" * 100)
    return p


def _other_sqlite(tmp):
    p = tmp / "other.db"
    conn = sqlite3.connect(p)
    conn.execute("create table inventory (id text)")
    conn.commit()
    conn.close()
    return p


def _empty_file(tmp):
    p = tmp / "empty.db"
    p.write_bytes(b"")
    return p


def _no_rows(tmp):
    return write_creators_db(tmp / "norows.db", [])


def _no_rows_upstream(tmp):
    return write_upstream_db(tmp / "norows-upstream.db", [])


@pytest.mark.parametrize("make_db, expected", [
    (lambda tmp: tmp / "missing.db", "no such file; pass the SQLite file written by `trailcreator load --db`"),
    (_not_sqlite, "not a SQLite database"),
    (_other_sqlite, "not a trailcreator database (no resource_creators or events table)"),
    (_empty_file, "the file is empty (0 bytes)"),
    (_no_rows, "table resource_creators holds no creators"),
    (_no_rows_upstream, "table events holds no creators"),
], ids=["missing", "not-sqlite", "not-ours", "zero-bytes", "no-rows", "no-rows-upstream"])
def test_bad_db(mini, tmp_path, make_db, expected):
    db = make_db(tmp_path)
    result = run(*tag_args(mini, **{"--db": db}))
    assert_refused(result, f"--db {db}: {expected}")
    assert user_tags(mini) == []


def test_db_locked_by_another_process(mini, tmp_path, monkeypatch):
    monkeypatch.setattr(creators_db, "LOCK_TIMEOUT_SECONDS", 0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('begin exclusive')\n"
         "print('locked', flush=True)\n"
         "time.sleep(60)\n",
         str(mini["db"])],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run(*tag_args(mini))
    finally:
        holder.kill()
        holder.wait()
    assert_refused(result, f"--db {mini['db']}: the database is locked by another process")
    assert user_tags(mini) == []
    # and once the other process is done, the same command works
    ok = run(*tag_args(mini, **{"--dryrun": None}), "--dryrun")
    assert ok.exit_code == 0, ok.output


@pytest.mark.parametrize("over, extra, expected", [
    ({}, ["--type", "ec3"], "--type ec3: not a Cloud Custodian AWS resource type"),
    ({}, ["--type", "account"], "--type account: Cloud Custodian has no tag action for this resource type"),
    ({"--creator-tag": "aws:createdBy"}, [], "--creator-tag aws:createdBy: keys starting with 'aws:' are reserved"),
    ({"--creator-tag": "AWS:Owner"}, [], "keys starting with 'aws:' are reserved"),
    ({"--creator-tag": "O" * 129}, [], "--creator-tag: the key is 129 characters long; AWS allows at most 128"),
    ({"--creator-tag": "Owner#1"}, [], "AWS tag keys allow letters, digits, spaces and _ . : / = + - @ only"),
    ({"--region": "us-east-7"}, [], "--region us-east-7: unknown AWS region"),
    ({}, ["--plan", "plan.txt"], "--plan plan.txt: name the file .csv or .json"),
], ids=["unknown-type", "untaggable-type", "aws-prefix", "aws-prefix-case", "key-too-long", "key-chars",
        "unknown-region", "plan-extension"])
def test_bad_options(mini, over, extra, expected):
    result = run(*tag_args(mini, **over), *extra)
    assert_refused(result, expected)
    assert user_tags(mini) == []


def test_no_credentials(mini):
    env = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None}
    result = run(*tag_args(mini), env=env)
    assert_refused(result, "no AWS credentials found for the tagger")
    org = run("tag-org", "-c", accounts_yaml(mini["tmp"], [{
        "account_id": mini["account"], "role": "OrgRole"}]), "--db", mini["db"], "--creator-tag", "Owner",
        "-r", "us-east-1", env=env)
    assert_refused(org, "no AWS credentials found for assuming the accounts' roles")
    assert user_tags(mini) == []


def accounts_yaml(tmp, accounts, name="accounts.yml"):
    p = tmp / name
    p.write_text(yaml.safe_dump({"accounts": accounts}))
    return p


@pytest.mark.parametrize("accounts, expected", [
    ([{"account_id": "12345", "role": "OrgRole"}],
     "accounts -> 0 -> account_id: '12345' is not a 12-digit AWS account id"),
    ([{"account_id": "111111111111", "role": "OrgRole"}, {"account_id": 222222222222, "role": "OrgRole"}],
     "accounts -> 1 -> account_id: 222222222222 must be a string of 12 digits (quote it in YAML)"),
    ([{"account_id": "111111111111", "name": "no-role"}],
     "accounts -> 0: no role: add the IAM role (ARN or name) to assume in account 111111111111"),
    ([{"account_id": "111111111111", "role": ""}], "accounts -> 0 -> role: '' is too short"),
    ([{"account_id": "111111111111", "role": "OrgRole"}, {"account_id": "111111111111", "role": "OrgRole"}],
     "accounts -> 1 -> account_id: 111111111111 is also accounts -> 0; list each account once"),
    ([{"account_id": "111111111111", "role": "OrgRole", "regions": ["us-east-1", "mars-north-1"]}],
     "accounts -> 0 -> regions -> 1: mars-north-1: unknown AWS region"),
], ids=["short-id", "numeric-id", "missing-role", "empty-role", "duplicate", "bad-region"])
def test_bad_accounts_file(mini, accounts, expected):
    path = accounts_yaml(mini["tmp"], accounts, name="bad.yml")
    result = run("tag-org", "-c", path, "--db", mini["db"], "--creator-tag", "Owner", "-r", "us-east-1")
    assert_refused(result, f"--config {path}: {expected}")
    assert user_tags(mini) == []


def test_accounts_file_not_yaml_and_filters(mini, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("accounts:\n  - account_id: '111111111111'\n    role: [unclosed\n")
    result = run("tag-org", "-c", bad, "--db", mini["db"], "--creator-tag", "Owner", "-r", "us-east-1")
    assert_refused(result, f"--config {bad}: line ")
    good = accounts_yaml(tmp_path, [{"account_id": mini["account"], "name": "mini", "role": "OrgRole"}])
    unknown = run("tag-org", "-c", good, "--db", mini["db"], "--creator-tag", "Owner", "-r", "us-east-1", "-a", "prod")
    assert_refused(unknown, "-a prod: no such account name or id in the accounts file")
    no_region = run("tag-org", "-c", good, "--db", mini["db"], "--creator-tag", "Owner")
    assert_refused(no_region, "account mini (" + mini["account"] + "): no region; pass -r REGION")
    none = run("tag-org", "-c", good, "--db", mini["db"], "--creator-tag", "Owner", "-r", "us-east-1", "-t", "env:prod")
    assert_refused(none, "no account in the accounts file matches the -a/-t filters")
    assert user_tags(mini) == []


def test_role_that_cannot_be_used_fails_that_account_only(mini, tmp_path):
    """An account whose role lands in another account is refused; the others go on."""
    other, _, _ = aws_world.new_accounts()
    path = accounts_yaml(tmp_path, [
        {"account_id": mini["account"], "name": "mini", "role": "OrgRole"},
        # the role ARN names another account than account_id: never tag the wrong account
        {"account_id": "999999999999", "name": "mismatch", "role": aws_world.role_arn(other)},
    ])
    result = run("tag-org", "-c", path, "--db", mini["db"], "--creator-tag", "Owner", "-r", "us-east-1")
    assert result.exit_code == 1
    assert f"summary account:mismatch id:999999999999 region:us-east-1 error:the credentials act in account {other}, " \
           f"not 999999999999; check its role" in result.stdout
    assert f"summary account:mini id:{mini['account']} region:us-east-1 tagged:1 " in result.stdout
    assert error_lines(result.stderr) == [
        "Error: 1 account/region(s) could not be processed: see the failed and summary lines above"]
    assert user_tags(mini) == [{"Key": "Owner", "Value": "alice"}]


def test_entry_point_reports_bad_input_in_one_line(mini):
    proc = run_tag_entry(*tag_args(mini, **{"--creator-tag": "aws:owner"})[1:])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "Error: --creator-tag aws:owner: keys starting with 'aws:' are reserved by AWS; pick another key"]
    usage = run_tag_entry("--db", mini["db"])
    assert usage.returncode == 2 and "Missing option" in usage.stderr
