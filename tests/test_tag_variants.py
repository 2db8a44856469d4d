"""Tagging variants against moto: upstream's database, --creator-format, --user-suffix."""

from __future__ import annotations

import aws_world
from creators_db_files import write_creators_db, write_upstream_db
from helpers import plan_actions, read_plan, run


def upstream_events(world) -> list[tuple]:
    """What upstream c7n-trailcreator's loader stored for the same trail."""
    out = []
    for b in world:
        if b.spec.who is None:
            continue
        ui = aws_world.identities(b.spec.account)[b.spec.who]
        user_id = "root" if ui["type"] == "Root" else ui.get("arn")   # AWSService: no arn -> NULL
        event, source = aws_world.CREATE_EVENTS[b.spec.rtype]
        region = "us-east-1" if b.spec.region == "global" else b.spec.region
        out.append((b.spec.account, region, "2024-03-01T10:00:00Z", event, source, "aws-cli/2", "198.51.100.7",
                    user_id, b.spec.rtype, aws_world.recorded_id(b)))
    return out


def test_tag_from_an_upstream_database(world_a, tmp_path):
    a = world_a.a
    db = write_upstream_db(tmp_path / "upstream.db", upstream_events(world_a))
    # IAM is global in an upstream database too: tagged from eu-west-1
    result = run("tag", "--db", db, "--creator-tag", "Owner", "--region", "eu-west-1",
                 "--assume", aws_world.role_arn(a), "--type", "iam-role", "--type", "iam-user",
                 "--plan", tmp_path / "plan.csv")
    assert result.exit_code == 0, result.output
    observed = world_a.observed()
    assert observed[(a, "global", "iam-role", "app-role")] == "alice"            # recorded by ARN
    assert observed[(a, "global", "iam-role", "lambda-exec")] == "bob@example.com"
    assert observed[(a, "global", "iam-user", "erin")] == "github-actions"
    assert observed[(a, "global", "iam-user", "dave")] is None                   # AWSServiceRole skipped
    assert plan_actions(read_plan(tmp_path / "plan.csv"))[(a, "iam-user", "dave")] == "excluded:service-linked-role"

    regional = run("tag", "--db", db, "--creator-tag", "Owner", "--region", "us-east-1",
                   "--assume", aws_world.role_arn(a))
    assert regional.exit_code == 0, regional.output
    expected = {k: v for k, v in aws_world.expected_tags(world_a).items()}
    aws_world.assert_tags(expected, world_a.observed())


def test_creator_format_and_user_suffix(world_a, tmp_path):
    a = world_a.a
    db = write_creators_db(tmp_path / "creators.db", aws_world.creator_rows(world_a))
    common = ["tag", "--db", db, "--region", "us-east-1", "--assume", aws_world.role_arn(a)]

    by_role = run(*common, "--creator-tag", "CreatorRole", "--creator-format", "role",
                  "--type", "ebs", "--type", "security-group", "--type", "ec2")
    assert by_role.exit_code == 0, by_role.output
    by_arn = run(*common, "--creator-tag", "CreatorArn", "--creator-format", "arn", "--type", "iam-role")
    assert by_arn.exit_code == 0, by_arn.output
    sso = run(*common, "--creator-tag", "Owner", "--user-suffix", "@example.com", "--plan", tmp_path / "p.json")
    assert sso.exit_code == 0, sso.output

    s = aws_world.session(a)
    ec2 = s.client("ec2")

    def ec2_tags(rid):
        return {t["Key"]: t["Value"] for t in ec2.describe_tags(
            Filters=[{"Name": "resource-id", "Values": [rid]}])["Tags"]}

    assert ec2_tags(world_a.by_name("a-data").id) == {
        "Name": "a-data", "CreatorRole": "AWSReservedSSO_Admin_0123abcd", "Owner": "bob@example.com"}
    assert ec2_tags(world_a.by_name("a-app-sg").id) == {"CreatorRole": "ci-deployer"}   # not @example.com
    assert ec2_tags(world_a.by_name("a-web").id) == {"Name": "a-web", "CreatorRole": "alice"}
    role_tags = {t["Key"]: t["Value"] for t in s.client("iam").list_role_tags(RoleName="app-role")["Tags"]}
    assert role_tags == {"CreatorArn": f"arn:aws:iam::{a}:user/alice"}
    actions = plan_actions(read_plan(tmp_path / "p.json"))
    assert actions[(a, "iam-role", "lambda-exec")] == "tag"          # bob@example.com
    assert actions[(a, "iam-role", "app-role")] == "excluded:user-suffix"
    assert actions[(a, "ec2", world_a.by_name("a-web").id)] == "excluded:user-suffix"


def test_grouped_by_creator_in_batch_size_chunks(aws, tmp_path, monkeypatch):
    import c7n.resources.iam

    a, _, _ = aws_world.new_accounts()
    clients = aws_world.Clients()
    built = [aws_world.create(aws_world.Spec(a, "global", "iam-user", f"u{i}", who), clients)
             for i, who in enumerate(["alice"] * 5 + ["carol"] * 2)]
    db = write_creators_db(tmp_path / "c.db", aws_world.creator_rows(built))
    batches = []
    original = c7n.resources.iam.UserTag.process_resource_set

    def recording(self, client, users, tags):
        batches.append((tags[0]["Value"], sorted(u["UserName"] for u in users)))
        return original(self, client, users, tags)

    monkeypatch.setattr(c7n.resources.iam.UserTag, "batch_size", 2)
    monkeypatch.setattr(c7n.resources.iam.UserTag, "process_resource_set", recording)
    result = run("tag", "--db", db, "--creator-tag", "Owner", "--region", "us-east-1",
                 "--assume", aws_world.role_arn(a))
    assert result.exit_code == 0, result.output
    assert f"account:{a} region:us-east-1 tag 7 iam-user resources users:2 population:7" in result.stdout
    assert [(who, len(users)) for who, users in batches] == [("alice", 2), ("alice", 2), ("alice", 1), ("carol", 2)]
    assert sorted(u for _, users in batches for u in users) == [f"u{i}" for i in range(7)]
