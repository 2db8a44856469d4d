"""The safety rules: never overwrite, failures fail their batch only and are reported, no secret leaks."""

from __future__ import annotations

import aws_world
import c7n.resources.iam
import c7n.resources.sns
import c7n.utils
from creators_db_files import write_creators_db
from helpers import error_lines, fail_calls, plan_actions, read_plan, run


def _tag_a(world, tmp_path, *extra, plan_name="plan.csv"):
    db = tmp_path / "creators.db"
    if not db.exists():
        write_creators_db(db, aws_world.creator_rows(world))
    plan = tmp_path / plan_name
    result = run(*extra, "tag", "--db", db, "--creator-tag", "Owner", "--region", "us-east-1",
                 "--assume", aws_world.role_arn(world.a), "--plan", plan)
    return result, plan_actions(read_plan(plan)) if plan.exists() else {}


def test_existing_tags_are_never_overwritten_or_removed(world_a, tmp_path):
    a = world_a.a
    s = aws_world.session(a)
    bucket = world_a.by_name("tc-{n}-a-east-bucket").id       # Owner=preset-owner already
    other = world_a.by_name("a-alerts").id
    s.client("s3").put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [
        {"Key": "Owner", "Value": "preset-owner"}, {"Key": "CostCenter", "Value": "42"}]})
    s.client("sns").tag_resource(ResourceArn=other, Tags=[{"Key": "CostCenter", "Value": "7"}])
    instance = world_a.by_name("a-web").id

    result, actions = _tag_a(world_a, tmp_path)
    assert result.exit_code == 0, result.output
    assert actions[(a, "s3", bucket)] == "has-tag"
    assert s.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"] == [
        {"Key": "Owner", "Value": "preset-owner"}, {"Key": "CostCenter", "Value": "42"}]
    # tagging adds the creator and keeps every other tag
    assert {t["Key"]: t["Value"] for t in s.client("sns").list_tags_for_resource(ResourceArn=other)["Tags"]} == \
        {"CostCenter": "7", "Owner": "alice"}
    ec2_tags = s.client("ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [instance]}])["Tags"]
    assert {t["Key"]: t["Value"] for t in ec2_tags} == {"Name": "a-web", "Owner": "alice"}

    # someone sets a different owner by hand; the next run leaves it alone
    s.client("sns").tag_resource(ResourceArn=other, Tags=[{"Key": "Owner", "Value": "platform-team"}])
    again, actions = _tag_a(world_a, tmp_path)
    assert again.exit_code == 0
    assert "Total resources tagged: 0" in again.stdout
    assert actions[(a, "sns", other)] == "has-tag"
    assert {t["Key"]: t["Value"] for t in s.client("sns").list_tags_for_resource(ResourceArn=other)["Tags"]} == \
        {"CostCenter": "7", "Owner": "platform-team"}


def test_access_denied_fails_that_batch_only(world_a, tmp_path, monkeypatch):
    a = world_a.a
    fail_calls(monkeypatch, "sns", "TagResource", "AccessDenied",
               "User: arn:aws:sts::1:assumed-role/OrgRole/trailcreator is not authorized to perform: SNS:TagResource")
    result, actions = _tag_a(world_a, tmp_path)
    topic = world_a.by_name("a-alerts").id

    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        "Error: 1 resource(s) could not be tagged: see the failed and summary lines above"]
    assert f"account:{a} region:us-east-1 failed 1 sns resources error:AccessDenied" in result.stdout
    assert f"account:{a} region:us-east-1 tag 0 sns resources users:1" in result.stdout
    assert "tagged:8" not in result.stdout and " tagged:7 " in result.stdout and "failed:1" in result.stdout
    assert "Total resources tagged: 7" in result.stdout
    assert "Total resources failed: 1" in result.stdout
    assert actions[(a, "sns", topic)] == "failed:AccessDenied"
    observed = world_a.observed(accounts=[a])
    assert observed[(a, "us-east-1", "sns", topic)] is None
    # the other types went on
    assert observed[(a, "us-east-1", "ec2", world_a.by_name("a-web").id)] == "alice"
    assert observed[(a, "global", "iam-role", "app-role")] == "alice"


def test_resource_deleted_meanwhile_is_reported_not_counted(world_a, tmp_path, monkeypatch):
    """c7n skips a role or topic deleted since listing without a word; we must not count it as tagged."""
    a = world_a.a
    s = aws_world.session(a)
    topic = world_a.by_name("a-alerts").id

    def deleting(cls, delete):
        original = cls.process_resource_set

        def process_resource_set(self, client, resources, tags):
            delete(resources)
            return original(self, client, resources, tags)
        monkeypatch.setattr(cls, "process_resource_set", process_resource_set)

    deleting(c7n.resources.iam.RoleTag,
             lambda rs: [s.client("iam").delete_role(RoleName=r["RoleName"]) for r in rs if r["RoleName"] == "app-role"])
    deleting(c7n.resources.sns.TagTopic, lambda rs: s.client("sns").delete_topic(TopicArn=topic))

    result, actions = _tag_a(world_a, tmp_path)
    assert result.exit_code == 1
    assert actions[(a, "iam-role", "app-role")] == "failed:NoSuchEntity"
    assert actions[(a, "iam-role", "lambda-exec")] == "tag"
    assert actions[(a, "sns", topic)].startswith("failed:ResourceNotFound")
    assert f"account:{a} region:us-east-1 tag 1 iam-role resources" in result.stdout
    assert f"account:{a} region:us-east-1 failed 1 iam-role resources error:NoSuchEntity" in result.stdout
    assert "Total resources tagged: 6" in result.stdout
    assert "Total resources failed: 2" in result.stdout
    assert aws_world.session(a).client("iam").list_role_tags(RoleName="lambda-exec")["Tags"] == \
        [{"Key": "Owner", "Value": "bob@example.com"}]


def test_throttling_that_outlasts_the_retries(world_a, tmp_path, monkeypatch):
    a = world_a.a
    calls, slept = [], []
    fail_calls(monkeypatch, "ec2", "CreateTags", "RequestLimitExceeded", "Request limit exceeded.", calls=calls)
    monkeypatch.setattr(c7n.utils.time, "sleep", lambda s: slept.append(s))

    result, actions = _tag_a(world_a, tmp_path)
    assert result.exit_code == 1
    # c7n retried with backoff before giving up, on each of the three ec2-tagged types
    assert len(calls) == 3 * 8 and len(slept) >= 3 * 7
    for rtype, name in (("ec2", "a-web"), ("ebs", "a-data"), ("security-group", "a-app-sg")):
        assert actions[(a, rtype, world_a.by_name(name).id)] == "failed:RequestLimitExceeded"
        assert f"failed 1 {rtype} resources error:RequestLimitExceeded ids:{world_a.by_name(name).id}\n" in result.stdout
    assert "Total resources tagged: 5" in result.stdout   # iam x3, sns, lambda went on
    assert " failed:3 throttled:3\n" in result.stdout
    assert error_lines(result.stderr) == ["Error: 3 resource(s) could not be tagged (3 throttled past the retries: "
                                          "run again to tag what is left): see the failed and summary lines above"]
    assert world_a.observed(accounts=[a])[(a, "us-east-1", "sns", world_a.by_name("a-alerts").id)] == "alice"


def test_no_secret_reaches_output_logs_or_plan(world_a, tmp_path, monkeypatch):
    key_id = "AKIATRAILCREATORFAKE"
    secret = "Tr4ilCreatorFakeSecretKeyDoNotLeak/0123456789+ab"
    token = "FwoGZXIvYXdzTrailcreatorFakeSessionTokenDoNotLeak0123456789"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    # a failure whose message carries the key (as some services' errors do) and a listing failure
    fail_calls(monkeypatch, "sns", "TagResource", "AccessDenied", f"access key {key_id} with token {token} denied")
    fail_calls(monkeypatch, "dynamodb", "ListTables", "UnrecognizedClientException",
               f"The security token {token} is invalid; secret {secret}")

    result, _ = _tag_a(world_a, tmp_path, "-v", plan_name="plan.json")
    assert result.exit_code == 1
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    texts.update({p.name: p.read_text(errors="replace") for p in tmp_path.iterdir() if p.is_file() and p.suffix != ".db"})
    for name, text in texts.items():
        for value in (key_id, secret, token):
            assert value not in text, f"{name} holds a credential"
    assert "access key **** with token **** denied" in result.stderr   # logged, masked
    assert "failed:AccessDenied" in texts["plan.json"]
    assert "failed:UnrecognizedClientException" in texts["plan.json"]
