"""Units of the tagger: id/ARN/name matching, batch outcomes from the call journal, inputs, plan files."""

from __future__ import annotations

import json

import pytest

from trailcreator.tagging.creators_db import CreatorRecord
from trailcreator.errors import TrailcreatorError
from trailcreator.aws import CallRecord
from trailcreator.tagging.matching import CreatorIndex, arn_name
from trailcreator.tagging.model import PlanRow, check_tag_key
from trailcreator.tagging.outcome import batch_outcome
from trailcreator.tagging.plan import check_plan_path, write_plan


def rec(rid, creator="alice"):
    return CreatorRecord("x", rid, "us-east-1", False, "2024-01-01T00:00:00Z", creator, None)


def test_arn_name():
    assert arn_name("arn:aws:iam::1:role/path/to/app") == "app"
    assert arn_name("arn:aws:sns:us-east-1:1:alerts") == "alerts"
    assert arn_name("arn:aws:s3:::bucket") == "bucket"
    assert arn_name("arn:aws:lambda:us-east-1:1:function:fn") == "fn"
    assert arn_name("arn:aws:dynamodb:us-east-1:1:table/orders") == "orders"


def test_index_matches_id_arn_and_name_forms():
    index = CreatorIndex({
        "i-1": rec("i-1", "by-id"),
        "arn:aws:iam::1:role/app": rec("arn:aws:iam::1:role/app", "by-arn"),
        "alerts": rec("alerts", "by-name"),
    })
    assert index.lookup(["i-1", "arn:aws:ec2:us-east-1:1:instance/i-1"]).creator == "by-id"
    # recorded an ARN, c7n's id is the name
    assert index.lookup(["app", "arn:aws:iam::1:role/app"]).creator == "by-arn"
    assert index.lookup(["app"]).creator == "by-arn"
    # recorded a name, c7n's id is the ARN
    assert index.lookup(["arn:aws:sns:us-east-1:1:alerts"]).creator == "by-name"
    assert index.lookup(["other", "arn:aws:sns:us-east-1:1:other"]) is None


def test_index_never_guesses_between_two_arns_with_one_name():
    index = CreatorIndex({
        "arn:aws:iam::1:role/a/app": rec("arn:aws:iam::1:role/a/app", "one"),
        "arn:aws:iam::1:role/b/app": rec("arn:aws:iam::1:role/b/app", "two"),
    })
    assert index.lookup(["app"]) is None
    assert index.lookup(["app", "arn:aws:iam::1:role/b/app"]).creator == "two"


def call(op, params, status=200, code=None, message="", failed=None):
    return CallRecord(op, params, status, code, message, failed or {})


def test_batch_outcome_ec2_names_bad_ids_and_retry_tags_the_rest():
    keys = {"vol-1": ["vol-1"], "vol-2": ["vol-2"], "vol-3": ["vol-3"]}
    records = [
        call("CreateTags", {"Resources": ["vol-1", "vol-2", "vol-3"], "Tags": [{"Key": "Owner", "Value": "vol-2"}]},
             400, "InvalidVolume.NotFound", "The volume 'vol-2' does not exist."),
        call("CreateTags", {"Resources": ["vol-1", "vol-3"], "Tags": []}),
    ]
    assert batch_outcome(records, keys) == {"vol-1": "ok", "vol-2": "InvalidVolume.NotFound", "vol-3": "ok"}


def test_batch_outcome_per_resource_calls_and_silent_skips():
    keys = {"r1": ["r1", "arn:aws:iam::1:role/r1"], "r2": ["r2"], "r3": ["r3"]}
    records = [
        call("TagRole", {"RoleName": "r1", "Tags": []}),
        call("TagRole", {"RoleName": "r2", "Tags": []}, 404, "NoSuchEntity", "Role r2 not found"),
        # r3: c7n made no call at all
    ]
    assert batch_outcome(records, keys) == {"r1": "ok", "r2": "NoSuchEntity"}


def test_batch_outcome_tagging_api_failed_resources_map_and_throttle_retry():
    a1, a2 = "arn:aws:lambda:us-east-1:1:function:f1", "arn:aws:lambda:us-east-1:1:function:f2"
    keys = {"f1": ["f1", a1], "f2": ["f2", a2]}
    records = [
        call("TagResources", {"ResourceARNList": [a1, a2], "Tags": {"Owner": "x"}},
             failed={a2: {"ErrorCode": "ThrottlingException"}}),
        call("TagResources", {"ResourceARNList": [a2], "Tags": {"Owner": "x"}}),
    ]
    assert batch_outcome(records, keys) == {"f1": "ok", "f2": "ok"}
    records[1] = call("TagResources", {"ResourceARNList": [a2]}, failed={a2: {"ErrorCode": "InvalidParameterException"}})
    assert batch_outcome(records, keys)["f2"] == "InvalidParameterException"


def test_batch_outcome_read_calls_do_not_count_as_tagged():
    keys = {"b": ["b"]}
    assert batch_outcome([call("GetBucketTagging", {"Bucket": "b"})], keys) == {}
    assert batch_outcome([call("GetBucketTagging", {"Bucket": "b"}, 404, "NoSuchTagSet"),
                          call("PutBucketTagging", {"Bucket": "b", "Tagging": {}})], keys) == {"b": "ok"}


@pytest.mark.parametrize("key", ["Owner", "owner:team", "created-by", "Créateur", "a b", "x" * 128])
def test_good_tag_keys(key):
    assert check_tag_key(key) == key


@pytest.mark.parametrize("key", ["", " ", "aws:x", "AWS:x", "x" * 129, "bad#key", "new\nline", "Owner\n"])
def test_bad_tag_keys(key):
    with pytest.raises(TrailcreatorError):
        check_tag_key(key)


def test_plan_files(tmp_path):
    rows = [PlanRow("2", "us-east-1", "s3", "b", "", "no-creator"),
            PlanRow("1", "us-east-1", "ec2", "i-1", "alice, the \"admin\"", "tag")]
    csv_path = check_plan_path(str(tmp_path / "plan.csv"))
    write_plan(csv_path, rows)
    text = csv_path.read_text()
    assert text.splitlines()[0] == "account,region,resource_type,resource_id,creator,action"
    assert text.splitlines()[1] == '1,us-east-1,ec2,i-1,"alice, the ""admin""",tag'  # sorted, quoted
    json_path = check_plan_path(str(tmp_path / "plan.json"))
    write_plan(json_path, rows)
    assert json.loads(json_path.read_text())[1] == {
        "account": "2", "region": "us-east-1", "resource_type": "s3", "resource_id": "b",
        "creator": "", "action": "no-creator"}
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".plan-*"))
    with pytest.raises(TrailcreatorError, match="does not exist"):
        check_plan_path(str(tmp_path / "nope" / "plan.csv"))


class _Tagger:
    """A stand-in c7n tag action whose calls are journaled like real ones."""

    def __init__(self, records, raise_with=None):
        self.records, self.raise_with = records, raise_with

    def process_resource_set(self, client, resources, tags):
        from trailcreator.aws import JOURNAL

        JOURNAL.records.extend(self.records)
        if self.raise_with:
            raise self.raise_with


def test_tag_batch_when_no_call_names_a_resource():
    from botocore.exceptions import ClientError

    from trailcreator.tagging.outcome import tag_batch

    batch = [{"Id": "x-1"}, {"Id": "x-2"}]
    keys_of = lambda r: [r["Id"]]  # noqa: E731
    odd_write = call("AddTagsToThing", {"ThingHandle": "h-1"})
    assert tag_batch(_Tagger([odd_write]), None, batch, [], keys_of) == {"x-1": "ok", "x-2": "ok"}
    assert tag_batch(_Tagger([]), None, batch, [], keys_of) == {"x-1": "NotTagged", "x-2": "NotTagged"}
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "AddTagsToThing")
    assert tag_batch(_Tagger([], denied), None, batch, [], keys_of) == {"x-1": "AccessDenied", "x-2": "AccessDenied"}
    # c7n failing while handling an AWS error still reports the AWS error
    try:
        try:
            raise denied
        except ClientError:
            raise AttributeError("client has no attribute ResourceNotFound")
    except AttributeError as hidden:
        assert tag_batch(_Tagger([], hidden), None, batch, [], keys_of)["x-1"] == "AccessDenied"
    # a journaled error with no resource named in its parameters fails the whole batch
    odd_error = call("AddTagsToThing", {"ThingHandle": "h-1"}, 400, "ValidationException")
    assert set(tag_batch(_Tagger([odd_error]), None, batch, [], keys_of).values()) == {"ValidationException"}


def test_tagger_sessions_retry_throttling_10_times_unless_told_otherwise(monkeypatch):
    from trailcreator.aws import AccountSessionFactory

    def retries(**kw):
        return AccountSessionFactory("us-east-1", **kw)().client("sns", endpoint_url="http://127.0.0.1:9").meta.config.retries

    for var in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(var, raising=False)
    assert retries(retry_throttles=True) == {"mode": "standard", "total_max_attempts": 10}
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    assert retries(retry_throttles=True) == {"mode": "adaptive", "total_max_attempts": 4}
