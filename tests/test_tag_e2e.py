"""End to end against moto: a trail records who created the resources of two accounts x two
regions, the real `trailcreator load` reads it from a bucket, the real CLI tags, and a rerun
changes nothing."""

from __future__ import annotations

import json
import re

import aws_world
import yaml
from helpers import plan_actions, read_plan, run, run_tag_entry

TAG_LINE = re.compile(
    r"^account:(\d{12}) region:([a-z0-9-]+) (tag|would tag) (\d+) ([a-z0-9-]+) resources "
    r"users:(\d+) population:(\d+) not-found:(\d+) records:(\d+)$"
)


def load_creators(world, path):
    """Write the trail of ``world`` into a bucket and run the real load into ``path``.

    The map's iam-role ids are ARNs while Cloud Custodian's are names: the tagger must
    match the two forms."""
    import os
    import uuid

    import boto3
    from cloudtrail_delivery import TRAIL_IDS, trail_records, write_delivery_files

    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    bucket = f"e2e-trail-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    write_delivery_files(s3, bucket, trail_records(world))
    rmap = path.parent / "resource_map.json"
    rmap.write_text(json.dumps({"resources": [
        {"resource": t, "events": [{"event": n, "service": src, "ids": ids}]} for t, (src, n, ids) in TRAIL_IDS.items()]}))
    run("load", "--trail", f"s3://{bucket}", "--resource-map", rmap, "--db", path, expect=0)
    return path


def type_lines(stdout: str) -> dict[tuple, tuple]:
    """(account, region, type) -> (verb, n, users, population, not_found, records)."""
    out = {}
    for line in stdout.splitlines():
        m = TAG_LINE.match(line)
        if m:
            acct, region, verb, n, rtype, users, pop, nf, rec = m.groups()
            out[(acct, region, rtype)] = (verb, int(n), int(users), int(pop), int(nf), int(rec))
    return out


def accounts_file(tmp_path, world, fmt="yaml"):
    data = {"accounts": [
        # a bare role name: c7n-org makes it arn:aws:iam::<account_id>:role/<name>
        {"account_id": world.a, "name": "acct-a", "role": aws_world.ORG_ROLE, "tags": ["env:prod"],
         "regions": list(aws_world.REGIONS)},
        {"account_id": world.b, "name": "acct-b", "role": aws_world.role_arn(world.b), "tags": ["env:dev"],
         "regions": ["us-east-1"]},
    ]}
    path = tmp_path / f"accounts.{fmt}"
    path.write_text(yaml.safe_dump(data) if fmt == "yaml" else json.dumps(data))
    return path


def expected_actions(world, rows):
    """The plan action each created resource should get on a first real run.

    A type is only looked at in an account/region where the trail recorded some of it, so
    resources of other types there get no plan row.
    """
    excluded = {r["resource_id"]: r["excluded_reason"] for r in rows if r["excluded_reason"]}
    scopes = {(r["account_id"], "global" if r["is_global"] else r["region"], r["resource_type"]) for r in rows}
    out = {}
    for b in world:
        s = b.spec
        if (s.account, s.region, s.rtype) not in scopes:
            continue
        if s.preset:
            action = "has-tag"
        elif s.who is None:
            action = "no-creator"
        elif aws_world.recorded_id(b) in excluded:
            action = f"excluded:{excluded[aws_world.recorded_id(b)]}"
        else:
            action = "tag"
        out[(s.account, s.rtype, b.id)] = action
    return out


def test_tag_one_account_region_then_rerun(world, tmp_path):
    a = world.a
    rows = aws_world.creator_rows(world)
    db = load_creators(world, tmp_path / "creators.db")
    plan = tmp_path / "plan.csv"
    args = ["tag", "--db", db, "--creator-tag", "Owner", "--region", "us-east-1",
            "--assume", aws_world.role_arn(a), "--plan", plan]
    before = world.observed()

    first = run(*args)
    assert first.exit_code == 0, first.output

    # account A's us-east-1 and IAM resources get their creator; nothing else changes
    in_scope = {k for k in before if k[0] == a and k[1] in ("us-east-1", "global")}
    expected = {k: v for k, v in aws_world.expected_tags(world).items() if k in in_scope}
    observed = world.observed()
    aws_world.assert_tags(expected, {k: v for k, v in observed.items() if k in in_scope})
    assert {k: v for k, v in observed.items() if k not in in_scope} == \
        {k: v for k, v in before.items() if k not in in_scope}

    lines = type_lines(first.stdout)
    assert lines[(a, "us-east-1", "ec2")] == ("tag", 1, 1, 1, 0, 1)
    assert lines[(a, "us-east-1", "iam-role")] == ("tag", 2, 2, 2, 0, 2)         # app-role recorded by ARN
    assert lines[(a, "us-east-1", "iam-user")] == ("tag", 1, 1, 2, 0, 2)         # dave: service-linked role
    assert lines[(a, "us-east-1", "sns")] == ("tag", 1, 1, 1, 0, 1)
    assert lines[(a, "us-east-1", "dynamodb-table")] == ("tag", 0, 0, 1, 0, 1)   # created by CloudFormation
    assert lines[(a, "us-east-1", "s3")] == ("tag", 0, 0, 2, 1, 1)               # preset tag + not in trail
    assert lines[(a, "us-east-1", "ebs")] == ("tag", 1, 1, 2, 1, 1)              # + the instance's root volume
    assert f"summary account:{a} region:us-east-1 tagged:8 would-tag:0 has-tag:1 no-creator:3 excluded:2 failed:0" \
        in first.stdout
    assert first.stdout.strip().endswith("Total resources tagged: 8")
    assert "progress account:" in first.stderr  # progress goes to stderr, results to stdout
    assert "progress" not in first.stdout

    actions = plan_actions(read_plan(plan))
    for key, action in expected_actions(world, rows).items():
        if key in actions or (key[0] == a and key[1].startswith("iam-")):
            assert actions[key] == action, key
    assert set(actions.values()) == {"tag", "has-tag", "no-creator", "excluded:aws-service",
                                     "excluded:service-linked-role"}

    second = run(*args)
    assert second.exit_code == 0, second.output
    assert second.stdout.strip().endswith("Total resources tagged: 0")
    assert all(v[1] == 0 for v in type_lines(second.stdout).values())
    assert world.observed() == observed
    rerun_actions = plan_actions(read_plan(plan))
    assert {k for k, v in rerun_actions.items() if v == "has-tag"} == \
        {k for k, v in actions.items() if v in ("tag", "has-tag")}
    assert "tag" not in rerun_actions.values()


def test_tag_org_dry_run_real_run_rerun(world, tmp_path):
    rows = aws_world.creator_rows(world)
    db = load_creators(world, tmp_path / "creators.db")
    accounts = accounts_file(tmp_path, world)
    base = ["tag-org", "-c", accounts, "--db", db, "--creator-tag", "Owner", "-r", "us-east-1", "-r", "eu-west-1"]
    before = world.observed()
    expected = aws_world.expected_tags(world)
    wanted = expected_actions(world, rows)
    to_tag = sum(1 for v in wanted.values() if v == "tag")
    assert to_tag == 26

    dry = run(*base, "--dryrun", "--plan", tmp_path / "dry.json")
    assert dry.exit_code == 0, dry.output
    assert world.observed() == before            # nothing written
    assert "Total resources tagged: 0" in dry.stdout
    assert f"Total resources that would be tagged: {to_tag}" in dry.stdout
    dry_lines = type_lines(dry.stdout)
    assert {v[0] for v in dry_lines.values()} == {"would tag"}
    dry_plan = read_plan(tmp_path / "dry.json")
    assert {r["action"] for r in dry_plan} >= {"would-tag", "has-tag", "no-creator"}
    assert "tag" not in {r["action"] for r in dry_plan}

    real = run(*base, "--plan", tmp_path / "real.csv")
    assert real.exit_code == 0, real.output
    aws_world.assert_tags(expected, world.observed())
    assert f"Total resources tagged: {to_tag}" in real.stdout
    real_lines = type_lines(real.stdout)
    # the dry run announced exactly what the real run did
    assert {k: v[1:] for k, v in dry_lines.items()} == {k: v[1:] for k, v in real_lines.items()}
    # global types once per account, in us-east-1
    for acct in (world.a, world.b):
        for rtype in ("iam-role", "iam-user"):
            assert (acct, "us-east-1", rtype) in real_lines
            assert (acct, "eu-west-1", rtype) not in real_lines
    for name, acct in (("acct-a", world.a), ("acct-b", world.b)):
        for region in aws_world.REGIONS:
            assert f"summary account:{name} id:{acct} region:{region} " in real.stdout
    plan_rows = read_plan(tmp_path / "real.csv")
    actions = plan_actions(plan_rows)
    for key, action in wanted.items():
        assert actions[key] == action, key
    assert len(plan_rows) == len(actions)  # one row per resource
    assert {r["creator"] for r in plan_rows if r["action"] == "tag"} == \
        {"alice", "bob@example.com", "carol", "github-actions"}
    assert {(r["account"], r["resource_id"]) for r in dry_plan if r["action"] == "would-tag"} == \
        {(r["account"], r["resource_id"]) for r in plan_rows if r["action"] == "tag"}

    rerun = run(*base, "--plan", tmp_path / "rerun.csv")
    assert rerun.exit_code == 0, rerun.output
    assert "Total resources tagged: 0" in rerun.stdout
    aws_world.assert_tags(expected, world.observed())
    assert "tag" not in {r["action"] for r in read_plan(tmp_path / "rerun.csv")}


def test_tag_org_filters_and_json_accounts_file(aws, tmp_path):
    world = aws_world.build([s for s in aws_world.SPECS if s.rtype in ("s3", "sns", "iam-user", "iam-role")])
    a, b = world.a, world.b
    db = load_creators(world, tmp_path / "creators.db")
    accounts = accounts_file(tmp_path, world, fmt="json")
    # -t selects acct-b only; without -r each account's own regions are used (acct-b: us-east-1)
    result = run("tag-org", "-c", accounts, "--db", db, "--creator-tag", "Owner", "-t", "env:dev",
                 "--type", "iam-user", "--type", "s3")
    assert result.exit_code == 0, result.output
    assert set(type_lines(result.stdout)) == {(b, "us-east-1", "iam-user"), (b, "us-east-1", "s3")}
    observed = world.observed()
    assert observed[(b, "global", "iam-user", "frank")] == "bob@example.com"
    assert observed[(b, "us-east-1", "s3", world.by_name("tc-{n}-b-east-bucket").id)] == "bob@example.com"
    assert observed[(b, "eu-west-1", "s3", world.by_name("tc-{n}-b-eu-bucket").id)] is None  # not acct-b's region
    assert observed[(b, "us-east-1", "sns", world.by_name("b-alerts").id)] is None              # not a --type
    assert observed[(a, "global", "iam-user", "erin")] is None                                  # not -t env:dev

    by_name = run("tag-org", "-c", accounts, "--db", db, "--creator-tag", "Owner", "-a", "acct-a",
                  "-r", "eu-west-1", "--type", "iam-role")
    assert by_name.exit_code == 0, by_name.output
    # eu-west-1 is acct-a's only region in this run: its global types are handled there
    assert type_lines(by_name.stdout)[(a, "eu-west-1", "iam-role")][1] == 2


def test_trailcreator_tag_entry_point_subprocess(aws, tmp_path):
    world = aws_world.build([s for s in aws_world.SPECS if s.account == aws_world.B and s.rtype in ("s3", "iam-role")])
    b = world.b
    db = load_creators(world, tmp_path / "creators.db")
    proc = run_tag_entry("--db", db, "--creator-tag", "Owner", "--region", "eu-west-1",
                         "--assume", aws_world.role_arn(b), "--type", "s3", "--type", "iam-role")
    assert proc.returncode == 0, proc.stderr
    assert f"account:{b} region:eu-west-1 tag 1 s3 resources users:1 population:1 not-found:0 records:1" in proc.stdout
    # IAM is global: tagged from whatever region the tagger runs in
    assert f"account:{b} region:eu-west-1 tag 1 iam-role resources" in proc.stdout
    observed = world.observed(accounts=[b])
    assert observed[(b, "eu-west-1", "s3", world.by_name("tc-{n}-b-eu-bucket").id)] == "alice"
    assert observed[(b, "global", "iam-role", "lambda-exec")] == "carol"

    missing = run_tag_entry("--db", tmp_path / "nope.db", "--creator-tag", "Owner", "--region", "us-east-1")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"Error: --db {tmp_path / 'nope.db'}: no such file; pass the SQLite file written by `trailcreator load --db`"
    ]
