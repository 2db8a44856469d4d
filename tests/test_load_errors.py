"""Bad input to `load`: one clear line, a non-zero exit, nothing lost; bad objects skipped and named."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os

import pytest

import trailgen as tg
from conftest import rows
from helpers import assert_one_line_error, write_map

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)


def bucket_event(name, identity=None, **kw):
    return tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", identity or tg.identity_iam_user(A, "alice"),
                    T0, {"bucketName": name}, None, **kw)


# --- resource map -----------------------------------------------------------------------

MAP_ERRORS = [
    ("{not json", ["map.json", "not valid JSON"]),
    ({"resources": [{"resource": "s3", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com"}]}]},
     ["resources -> 0 -> events -> 0: 'ids' is a required property"]),
    ({"resources": [{"resource": "s3", "events": [], "extra": 1}]}, ["resources -> 0"]),
    ({"resources": [{"resource": "s3", "events": [{"event": "CreateBucket' or 1=1 --", "service": "s3.amazonaws.com",
                                                   "ids": "requestParameters.bucketName"}]}]},
     ["resources -> 0 -> events -> 0 -> event", "does not match"]),
    ({"resources": [{"resource": "s3", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com'; drop table x; --",
                                                   "ids": "requestParameters.bucketName"}]}]},
     ["resources -> 0 -> events -> 0 -> service"]),
    ({"resources": [{"resource": "s3", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com",
                                                   "ids": "requestParameters.[bucketName"}]}]},
     ["resources -> 0 -> events -> 0 -> ids", "requestParameters.[bucketName"]),
    ({"resources": [{"resource": "s3", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com",
                                                   "ids": "sort_by(requestParameters.items)"}]}]},
     ["resources -> 0 -> events -> 0 -> ids", "sort_by() takes 2 argument(s), got 1"]),
    ({"resources": [{"resource": "s3", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com",
                                                   "ids": "no_such_function(requestParameters)"}]}]},
     ["resources -> 0 -> events -> 0 -> ids", "unknown function no_such_function()"]),
    ({"resources": [{"resource": "no-such-type", "events": [{"event": "CreateBucket", "service": "s3.amazonaws.com",
                                                             "ids": "requestParameters.bucketName"}]}]},
     ["'no-such-type' is not a Cloud Custodian"]),
]


@pytest.mark.parametrize("doc,needles", MAP_ERRORS, ids=[f"map{i}" for i in range(len(MAP_ERRORS))])
def test_bad_resource_map_is_one_line(cli, tmp_path, doc, needles):
    path = write_map(tmp_path / "map.json", doc)
    result = cli("compile-map", path, expect=None)
    assert_one_line_error(result, *needles, alone=True)


def test_bad_map_in_load_leaves_previous_db_intact(cli, tmp_path):
    trail = tg.Trail()
    trail.add([bucket_event("keep-me")])
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    cli("load", "--trail", root, "--db", db)
    before = db.read_bytes()
    bad = write_map(tmp_path / "map.json", {"resources": []})
    result = cli("load", "--trail", root, "--db", db, "--resource-map", bad, expect=None)
    assert_one_line_error(result, "map.json", "resources", alone=True)
    assert db.read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_field_names_that_look_like_sql_stay_data(cli, tmp_path):
    odd = "x' or 1=1 --\\\"é"
    rmap = {"resources": [{"resource": "s3", "events": [
        {"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": "requestParameters." + json.dumps(odd)}]}]}
    path = write_map(tmp_path / "map.json", rmap)
    trail = tg.Trail()
    trail.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"), T0,
                        {odd: "odd-bucket", "bucketName": "plain"}, None)])
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    cli("load", "--trail", root, "--db", db, "--resource-map", path)
    assert [r["resource_id"] for r in rows(db, "select resource_id from resource_creators")] == ["odd-bucket"]


# --- trail ------------------------------------------------------------------------------


def test_no_objects_for_the_filters_gives_empty_tables(cli, tmp_path):
    trail = tg.Trail()
    trail.add([bucket_event("b1")])
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    result = cli("load", "--trail", root, "--db", db, "--region", "ap-south-1")
    assert "no trail objects match" in result.stderr
    assert rows(db, "select count(*) n from resource_creators") == [{"n": 0}]
    assert rows(db, "select count(*) n from events") == [{"n": 0}]


def test_bad_objects_are_skipped_and_named_the_rest_loads(cli, tmp_path):
    trail = tg.Trail()
    trail.add([bucket_event("good-1")], tag="good1")
    d = f"AWSLogs/{A}/CloudTrail/us-east-1/2024/05/01"
    good2 = json.dumps({"Records": [bucket_event("good-2")]}).encode()
    trail.add_raw(f"{d}/{A}_CloudTrail_us-east-1_20240501T0905Z_corruptgzip00000.json.gz", b"\x1f\x8b\x08\x00" + b"garbage" * 50)
    trail.add_raw(f"{d}/{A}_CloudTrail_us-east-1_20240501T0905Z_truncated0000000.json.gz", gzip.compress(good2[:-15]))
    trail.add_raw(f"{d}/{A}_CloudTrail_us-east-1_20240501T0905Z_notcloudtrail000.json.gz", gzip.compress(b'{"hello": "world"}'))
    trail.add_raw(f"{d}/{A}_CloudTrail_us-east-1_20240501T0905Z_recordsnull00000.json.gz", gzip.compress(b'{"Records": null}'))
    trail.add_raw(f"{d}/{A}_CloudTrail_us-east-1_20240501T0905Z_recordsempty0000.json.gz", gzip.compress(b'{"Records": []}'))
    trail.add_raw(f"{d}/{A}_CloudTrail_us-east-1_20240501T0905Z_plainjson0000000.json", good2)
    trail.add_raw(f"{d}/README.txt", b"not a log")
    # Records missing userIdentity, eventID, requestParameters.
    no_identity = bucket_event("no-identity")
    del no_identity["userIdentity"]
    no_id = bucket_event("no-event-id")
    del no_id["eventID"]
    no_params = bucket_event("x")
    del no_params["requestParameters"]
    trail.add([no_identity, no_id, no_params], tag="missing")
    root = trail.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    result = cli("load", "--trail", root, "--db", db)

    got = {r["resource_id"]: r for r in rows(db, "select * from resource_creators")}
    assert set(got) == {"good-1", "good-2", "no-identity", "no-event-id"}
    assert got["no-identity"]["creator"] is None and got["no-identity"]["excluded_reason"] == "no-identity"
    assert got["no-event-id"]["creator"] == "alice"
    assert "objects read:4 skipped:4" in result.stderr  # good1, missing, plain json, empty Records
    for name, reason in (("corruptgzip", "gzip"), ("truncated", "JSON"), ("notcloudtrail", "Records"), ("recordsnull", "Records")):
        line = next(l for l in result.stderr.splitlines() if name in l)
        assert "skipped object:" in line and reason.lower() in line.lower(), line
    assert "README.txt" in result.stderr


def test_object_over_16_mib_loads(cli, tmp_path):
    filler = "x" * 4000
    noise = [tg.event(A, "us-east-1", "ec2.amazonaws.com", "DescribeInstances", tg.identity_iam_user(A, "bot"), T0,
                      {"filter": filler}, None) for _ in range(4500)]
    trail = tg.Trail()
    trail.add(noise + [bucket_event("in-a-big-file")], tag="big")
    root = trail.write_dir(str(tmp_path / "trail"))
    big = next(p for p in trail.files)
    assert len(json.dumps({"Records": trail.files[big]})) > 17 * 2**20
    db = tmp_path / "c.db"
    cli("load", "--trail", root, "--db", db)
    assert [r["resource_id"] for r in rows(db, "select resource_id from resource_creators")] == ["in-a-big-file"]


@pytest.mark.parametrize("args,needles", [
    (["--account", "12345"], ["--account '12345'", "12 digits"]),
    (["--region", "mars-1"], ["--region 'mars-1'"]),
    (["--org-id", "org1"], ["--org-id 'org1'"]),
    (["--day", "2024/13/01"], ["--day '2024/13/01'"]),
    (["--day", "2024/05/01", "--month", "2024/05"], ["one date filter"]),
    (["--start", "2024-05-02"], ["--start and --end go together"]),
])
def test_bad_filters(cli, tmp_path, args, needles):
    result = cli("load", "--trail", str(tmp_path), "--db", tmp_path / "c.db", *args, expect=None)
    assert_one_line_error(result, *needles, alone=True)
    assert not (tmp_path / "c.db").exists()


def test_missing_trail_directory(cli, tmp_path):
    result = cli("load", "--trail", tmp_path / "nope", "--db", tmp_path / "c.db", expect=None)
    assert_one_line_error(result, "is not a directory", alone=True)


def test_wrong_bucket_is_one_line(cli, s3, tmp_path):
    result = cli("load", "--trail", "s3://no-such-trail-bucket", "--db", tmp_path / "c.db", expect=None)
    assert_one_line_error(result, "no-such-trail-bucket", "does not exist", alone=True)
    assert not (tmp_path / "c.db").exists()


def test_missing_credentials_is_one_line(cli, s3, tmp_path, monkeypatch):
    s3.create_bucket(Bucket="creds-test")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = cli("load", "--trail", "s3://creds-test", "--db", tmp_path / "c.db", expect=None)
    assert_one_line_error(result, "no AWS credentials", alone=True)
