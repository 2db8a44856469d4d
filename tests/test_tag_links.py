"""Tagging against moto with the links and the tagging options: the person a link found is
what gets written, --creator-format principal-id, --created-at-tag, --from-plan."""

from __future__ import annotations

import json

import aws_world
from creators_db_files import write_creators_db
from helpers import assert_one_line_error, error_lines, plan_actions, read_plan, run

INSTANCE_ROLE = "arn:aws:sts::{a}:assumed-role/app-server/i-0123456789abcdef0"


def iam_users(names_and_who: list[tuple[str, str]]):
    """IAM users in a fresh account, and the creators rows the trail gave them."""
    a, _, _ = aws_world.new_accounts()
    clients = aws_world.Clients()
    built = [aws_world.create(aws_world.Spec(a, "global", "iam-user", name, who), clients) for name, who in names_and_who]
    return a, clients, built, aws_world.creator_rows(built)


def user_tags(clients, a, name) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in clients(a, "iam").list_user_tags(UserName=name)["Tags"]}


def test_the_person_a_link_found_is_tagged(aws, tmp_path):
    a, clients, built, rows = iam_users([("linked", "instance"), ("direct", "alice")])
    linked = next(r for r in rows if r["resource_id"] == "linked")
    assert linked["excluded_reason"] == "instance-profile"       # the principal is an instance session
    linked.update(excluded_reason=None, creator="frank", creator_raw="frank", via="instance:i-0123456789abcdef0",
                  via_path="instance:i-0123456789abcdef0", link_hops=1, person_event_id="run-1",
                  person_identity_type="IAMUser", person_principal_arn=f"arn:aws:iam::{a}:user/frank",
                  person_principal_id="AIDAEXAMPLEFRANK", person_user_name="frank",
                  # the models compute every format from the person (test_links.py checks it through dbt)
                  creator_arn=f"arn:aws:iam::{a}:user/frank", creator_principal_id="AIDAEXAMPLEFRANK")
    db = write_creators_db(tmp_path / "c.db", rows)
    common = ["tag", "--db", db, "--region", "us-east-1", "--assume", aws_world.role_arn(a), "--type", "iam-user"]
    result = run(*common, "--creator-tag", "Owner", "--plan", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert user_tags(clients, a, "linked") == {"Owner": "frank"}
    assert user_tags(clients, a, "direct") == {"Owner": "alice"}
    by_arn = run(*common, "--creator-tag", "OwnerArn", "--creator-format", "arn")
    assert by_arn.exit_code == 0, by_arn.output
    assert user_tags(clients, a, "linked")["OwnerArn"] == f"arn:aws:iam::{a}:user/frank"
    by_id = run(*common, "--creator-tag", "OwnerId", "--creator-format", "principal-id")
    assert by_id.exit_code == 0, by_id.output
    assert user_tags(clients, a, "linked")["OwnerId"] == "AIDAEXAMPLEFRANK"
    assert user_tags(clients, a, "direct")["OwnerId"] == "AIDAEXAMPLEALICE"


def test_principal_id_of_a_role_session(aws, tmp_path):
    a, clients, built, rows = iam_users([("by-sso", "bob")])
    db = write_creators_db(tmp_path / "c.db", rows)
    result = run("tag", "--db", db, "--region", "us-east-1", "--assume", aws_world.role_arn(a),
                 "--creator-tag", "Owner", "--creator-format", "principal-id")
    assert result.exit_code == 0, result.output
    # the full principalId, as aws:userid sees it (role id:session)
    assert user_tags(clients, a, "by-sso") == {"Owner": "AROAEXAMPLEAWSRESER:bob@example.com"}


def test_created_at_tag_is_written_beside_the_creator_and_never_overwritten(aws, tmp_path):
    a, clients, built, rows = iam_users([("fresh", "alice"), ("dated", "carol"), ("owned", "alice")])
    for r in rows:
        r["event_time"] = {"fresh": "2024-03-01T10:00:00Z", "dated": "2024-03-02T11:30:00Z",
                           "owned": "2024-03-03T12:00:00Z"}[r["resource_id"]]
    iam = clients(a, "iam")
    iam.tag_user(UserName="dated", Tags=[{"Key": "CreatedAt", "Value": "by hand"}])
    iam.tag_user(UserName="owned", Tags=[{"Key": "Owner", "Value": "someone"}])
    db = write_creators_db(tmp_path / "c.db", rows)
    common = ["tag", "--db", db, "--region", "us-east-1", "--assume", aws_world.role_arn(a),
              "--creator-tag", "Owner", "--created-at-tag", "CreatedAt"]
    dry = run(*common, "--dryrun", "--plan", tmp_path / "dry.json")
    assert dry.exit_code == 0, dry.output
    planned = {r["resource_id"]: (r["action"], r["created_at"]) for r in read_plan(tmp_path / "dry.json")}
    assert planned == {"fresh": ("would-tag", "2024-03-01T10:00:00Z"), "dated": ("would-tag", ""),
                       "owned": ("has-tag", "")}   # created_at: the value written, if any
    result = run(*common)
    assert result.exit_code == 0, result.output
    assert user_tags(clients, a, "fresh") == {"Owner": "alice", "CreatedAt": "2024-03-01T10:00:00Z"}
    assert user_tags(clients, a, "dated") == {"Owner": "carol", "CreatedAt": "by hand"}   # kept
    assert user_tags(clients, a, "owned") == {"Owner": "someone"}                        # left alone
    again = run(*common)
    assert again.exit_code == 0 and "tagged:0 " in again.stdout


def test_bad_created_at_key_is_one_line(aws, tmp_path):
    a, clients, built, rows = iam_users([("x", "alice")])
    db = write_creators_db(tmp_path / "c.db", rows)
    for key, message in (("aws:created", "reserved by AWS"), ("Owner", "the same key as --creator-tag")):
        result = run("tag", "--db", db, "--region", "us-east-1", "--creator-tag", "Owner", "--created-at-tag", key)
        assert_one_line_error(result, message, exit_code=1)


def test_from_plan_applies_exactly_the_reviewed_rows(aws, tmp_path):
    a, clients, built, rows = iam_users([("keep", "alice"), ("gone", "alice"), ("hand", "carol"), ("later", "carol")])
    later = next(r for r in rows if r["resource_id"] == "later")
    db = write_creators_db(tmp_path / "c.db", [r for r in rows if r is not later])
    common = ["tag", "--region", "us-east-1", "--assume", aws_world.role_arn(a), "--creator-tag", "Owner"]
    dry = run(*common, "--db", db, "--dryrun", "--plan", tmp_path / "plan.csv")
    assert dry.exit_code == 0, dry.output
    actions = plan_actions(read_plan(tmp_path / "plan.csv"))
    assert [k[2] for k, v in actions.items() if v == "would-tag"] == ["gone", "hand", "keep"]
    assert actions[(a, "iam-user", "later")] == "no-creator"

    # Since the review: one user deleted, one tagged by hand, and the database now knows "later".
    iam = clients(a, "iam")
    iam.delete_user(UserName="gone")
    iam.tag_user(UserName="hand", Tags=[{"Key": "Owner", "Value": "set by hand"}])
    write_creators_db(tmp_path / "newer.db", rows)

    result = run(*common, "--from-plan", tmp_path / "plan.csv", "--plan", tmp_path / "applied.json")
    assert result.exit_code == 0, result.output
    assert user_tags(clients, a, "keep") == {"Owner": "alice"}
    assert user_tags(clients, a, "hand") == {"Owner": "set by hand"}
    assert user_tags(clients, a, "later") == {}                       # not in the reviewed plan
    assert f"account:{a} region:us-east-1 skip iam-user gone reason:changed-since-plan:gone" in result.stdout
    assert f"account:{a} region:us-east-1 skip iam-user hand reason:changed-since-plan:has-tag" in result.stdout
    applied = {r["resource_id"]: r["action"] for r in json.loads((tmp_path / "applied.json").read_text())}
    assert applied == {"keep": "tag", "gone": "skipped:gone", "hand": "skipped:has-tag"}


def test_from_plan_rows_of_another_account_are_reported(aws, tmp_path):
    a, clients, built, rows = iam_users([("mine", "alice")])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps([
        {"account": a, "region": "us-east-1", "resource_type": "iam-user", "resource_id": "mine",
         "creator": "alice", "action": "would-tag"},
        {"account": "999999999999", "region": "us-east-1", "resource_type": "iam-user", "resource_id": "theirs",
         "creator": "bob", "action": "would-tag"},
    ]))
    result = run("tag", "--region", "us-east-1", "--assume", aws_world.role_arn(a), "--creator-tag", "Owner",
                 "--from-plan", plan)
    assert result.exit_code == 1
    assert user_tags(clients, a, "mine") == {"Owner": "alice"}
    assert "account:999999999999 region:us-east-1 skip 1 plan rows reason:not-in-this-run" in result.stdout
    assert len(error_lines(result.stderr)) == 1 and "not applied" in result.stderr


def test_from_plan_bad_input_is_one_line(aws, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("account,region,resource_type,resource_id,creator,action\n1,us-east-1,s3,b,,no-creator\n")
    db = write_creators_db(tmp_path / "c.db", [])
    for args, message in (
        (["--from-plan", tmp_path / "nope.csv"], "no such file"),
        (["--from-plan", bad], "not a plan file"),
        (["--from-plan", empty], "no would-tag rows"),
        (["--from-plan", empty, "--db", db], "give one"),
        ([], "--db is required"),
    ):
        result = run("tag", "--region", "us-east-1", "--creator-tag", "Owner", *args)
        assert_one_line_error(result, message, exit_code=1)


def test_a_resource_without_a_creator_gets_its_stacks_creator(aws, tmp_path):
    a, clients, built, rows = iam_users([("stacked", "alice"), ("orphan", "alice"), ("other", "alice")])
    iam = clients(a, "iam")
    stack = f"arn:aws:cloudformation:us-east-1:{a}:stack/web/8a1b2c3d-0000-11ef-9f00-0a1b2c3d4e5f"
    iam.tag_user(UserName="stacked", Tags=[{"Key": "aws:cloudformation:stack-id", "Value": stack}])
    iam.tag_user(UserName="orphan", Tags=[{"Key": "aws:cloudformation:stack-id",
                                           "Value": stack.replace("/web/", "/unknown/")}])
    dave = aws_world.identity_columns({"type": "IAMUser", "arn": f"arn:aws:iam::{a}:user/dave", "userName": "dave",
                                       "principalId": "AIDAEXAMPLEDAVE"})
    stack_row = dict(rows[0], resource_type="cfn", resource_id="web", is_global=0, creator="dave", creator_raw="dave",
                     excluded_reason=None, event_name="CreateStack", event_source="cloudformation.amazonaws.com",
                     event_id="stack-1", **{k: v for k, v in dave.items()})
    # the database knows the stack and "other", not the two users CloudFormation made
    db = write_creators_db(tmp_path / "c.db", [stack_row] + [r for r in rows if r["resource_id"] == "other"])
    result = run("tag", "--db", db, "--region", "us-east-1", "--assume", aws_world.role_arn(a),
                 "--creator-tag", "Owner", "--type", "iam-user", "--plan", tmp_path / "p.csv")
    assert result.exit_code == 0, result.output
    assert user_tags(clients, a, "stacked")["Owner"] == "dave"
    assert "Owner" not in user_tags(clients, a, "orphan")
    assert user_tags(clients, a, "other")["Owner"] == "alice"
    assert "from-stack:1" in result.stdout
    assert plan_actions(read_plan(tmp_path / "p.csv"))[(a, "iam-user", "orphan")] == "no-creator"


STORE = "d-90676420ac"


def identity_center_rows(a, rows, user_ids):
    """The rows of ``rows`` made creates of Identity Center users (known by user id only)."""
    for r, user_id in zip(rows, user_ids):
        ident = aws_world.identity_columns({"type": "IdentityCenterUser", "accountId": a, "onBehalfOf": {
            "userId": user_id, "identityStoreArn": f"arn:aws:identitystore::{a}:identitystore/{STORE}"}})
        r.update(ident, creator=user_id, creator_raw=user_id, excluded_reason=None)
    return rows


def test_identity_center_users_are_named_through_the_identity_store(aws, tmp_path):
    a, clients, built, rows = iam_users([("by-jane", "alice"), ("by-jane-too", "alice"), ("by-gone", "alice")])
    import boto3

    store = boto3.client("identitystore", region_name="us-east-1")   # in the caller's own account
    jane = store.create_user(IdentityStoreId=STORE, UserName="jane@example.com", DisplayName="Jane",
                             Name={"GivenName": "Jane", "FamilyName": "Doe"})["UserId"]
    gone = "9067642a-0000-4000-8000-000000000000"
    db = write_creators_db(tmp_path / "c.db", identity_center_rows(a, rows, [jane, jane, gone]))
    common = ["tag", "--db", db, "--region", "us-east-1", "--assume", aws_world.role_arn(a), "--type", "iam-user"]

    plain = run(*common, "--creator-tag", "OwnerId", "--dryrun", "--plan", tmp_path / "ids.csv")
    assert plain.exit_code == 0, plain.output
    assert {r["creator"] for r in read_plan(tmp_path / "ids.csv")} == {jane, gone}   # the option is off: user ids

    named = run(*common, "--creator-tag", "Owner", "--identity-store",
                f"arn:aws:identitystore::{a}:identitystore/{STORE}", "--identity-store-region", "us-east-1")
    assert named.exit_code == 0, named.output
    assert user_tags(clients, a, "by-jane") == {"Owner": "jane@example.com"}
    assert user_tags(clients, a, "by-jane-too") == {"Owner": "jane@example.com"}
    assert user_tags(clients, a, "by-gone") == {"Owner": gone}        # not in the store: the id, and said so
    assert f"has no user {gone}" in named.stderr
    assert named.stderr.count(f"has no user {gone}") == 1             # asked once per user


def test_identity_store_bad_input_is_one_line(aws, tmp_path):
    a, clients, built, rows = iam_users([("x", "alice")])
    db = write_creators_db(tmp_path / "c.db", rows)
    common = ["tag", "--db", db, "--region", "us-east-1", "--assume", aws_world.role_arn(a), "--creator-tag", "Owner"]
    cases = {
        ("--identity-store", "sso-store"): "not an Identity Store id",
        ("--identity-store-region", "us-east-1"): "--identity-store-region needs --identity-store",
        ("--identity-store", STORE, "--identity-store-region", "mars-1"): "--identity-store-region mars-1",
    }
    for extra, words in cases.items():
        assert_one_line_error(run(*common, *extra), words)
    assert user_tags(clients, a, "x") == {}
