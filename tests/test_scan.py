"""The fast scan finds exactly what parsing every record would, and falls back when its
assumptions about the object's layout do not hold."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

import trailgen as tg
from trailcreator.ingest import listing, reader, scan

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9)
PAIRS = [("s3.amazonaws.com", "CreateBucket"), ("ec2.amazonaws.com", "RunInstances")]
WANTED = scan.Wanted(frozenset(PAIRS))


def records():
    alice = tg.identity_iam_user(A, "alice")
    return [
        tg.event(A, "us-east-1", "s3.amazonaws.com", "ListBuckets", alice, T0),
        tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, T0, {"bucketName": "b1"}),
        # A mapped name inside a payload of another event: not a hit.
        tg.event(A, "us-east-1", "cloudtrail.amazonaws.com", "LookupEvents", alice, T0, None,
                 {"events": [{"eventName": "CreateBucket"}]}),
        tg.event(A, "us-east-1", "ec2.amazonaws.com", "RunInstances", alice, T0, {}, {"instancesSet": {"items": []}}),
        tg.event(A, "us-east-1", "ec2.amazonaws.com", "CreateBucketX", alice, T0),  # a longer name sharing a prefix
    ]


def reference(recs):
    return sorted(json.dumps(r, sort_keys=True) for r in recs if (r["eventSource"], r["eventName"]) in PAIRS)


@pytest.mark.parametrize("layout", ["cloudtrail", "spaces", "sorted-keys", "pretty"])
def test_scan_finds_what_a_full_parse_finds(layout):
    recs = records()
    if layout == "cloudtrail":
        data = json.dumps({"Records": recs}, separators=(",", ":")).encode()
    elif layout == "spaces":
        data = json.dumps({"Records": recs}).encode()
    elif layout == "sorted-keys":
        data = json.dumps({"Records": recs}, separators=(",", ":"), sort_keys=True).encode()
    else:
        data = json.dumps({"Records": recs}, indent=2).encode()
    res = scan.scan("x.json.gz", gzip.compress(data), WANTED)
    assert res.status == "ok" and res.records == len(recs)
    assert sorted(json.dumps(json.loads(h), sort_keys=True) for h in res.hits) == reference(recs)
    # The payload that mentions CreateBucket sends the compact layout to the whole parse too.
    assert res.fast is False


def test_fast_path_taken_on_cloudtrail_layout():
    recs = [r for r in records() if r["eventName"] != "LookupEvents"]
    data = json.dumps({"Records": recs}, separators=(",", ":")).encode()
    res = scan.scan("x.json", data, WANTED)
    assert res.fast is True and res.records == len(recs)
    assert sorted(json.dumps(json.loads(h), sort_keys=True) for h in res.hits) == reference(recs)


@pytest.mark.parametrize("names", [("Tag",), ("Tag", "CreateBucket"), ("TagResource",), ("Ta", "Tagging")])
def test_fast_path_finds_names_shorter_or_longer_than_the_compared_prefix(names):
    """The fast scan compares a few bytes of each name before looking for its end: a mapped name
    shorter than those bytes, or one that shares them with an unmapped name, is still found exactly."""
    alice = tg.identity_iam_user(A, "alice")
    all_names = ["T", "Ta", "Tag", "Tags", "TagResource", "Tagging", "CreateBucket", "CreateBucketX"]
    recs = [tg.event(A, "us-east-1", "x.amazonaws.com", n, alice, T0, {"i": i}) for i, n in enumerate(all_names)]
    wanted = scan.Wanted(frozenset(("x.amazonaws.com", n) for n in names))
    res = scan.scan("x.json", json.dumps({"Records": recs}, separators=(",", ":")).encode(), wanted)
    assert res.fast is True and res.records == len(recs)
    assert sorted(json.loads(h)["eventName"] for h in res.hits) == sorted(names)


def test_local_objects_go_to_the_workers_in_runs_bounded_by_count_and_bytes():
    objs = [listing.TrailObject(f"o{i}", size) for i, size in enumerate([10, 10, 10, 50, 10, 200, 10, 10, 10, 10])]
    chunks = [[o.url for o in c] for c in reader._chunks(objs, 3, 60)]
    # at most 3 objects and 60 bytes a run; an object larger than the bound is a run of its own
    assert chunks == [["o0", "o1", "o2"], ["o3", "o4"], ["o5"], ["o6", "o7", "o8"], ["o9"]]
    assert [o for c in reader._chunks(objs, 3, 60) for o in c] == objs


@pytest.mark.parametrize("data,reason", [
    (b"\x1f\x8b\x08\x00garbage", "gzip"),
    (gzip.compress(b'{"Records":[{"eventVersion":"1.08","eventName":"CreateBucket"'), "JSON"),
    (b'{"hello": 1}', "Records"),
    (b'{"Records": null}', "Records"),
    (b"", "empty"),
])
def test_bad_objects_are_skipped_with_a_reason(data, reason):
    res = scan.scan("x", data, WANTED)
    assert res.status == "skipped" and reason.lower() in res.error.lower() and res.hits == []


def test_worker_pool_gives_the_same_results_as_in_process(tmp_path, monkeypatch):
    t = tg.Trail()
    for i in range(6):
        t.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"),
                        T0 + dt.timedelta(minutes=i), {"bucketName": f"b{i}"})] + records(), tag=f"obj{i}")
    root = t.write_dir(str(tmp_path / "trail"))
    objs = [o for o in listing.iter_objects(listing.make_spec(root)) if listing.is_log_file(o)]

    def run(in_process_bytes):
        monkeypatch.setattr(reader, "IN_PROCESS_BYTES", in_process_bytes)
        results = reader.Reader(WANTED, workers=2).results(objs, sum(o.size for o in objs))
        return sorted((r.url, r.status, r.records, sorted(json.loads(h)["eventID"] for h in r.hits)) for r in results)

    pool, local = run(0), run(10**12)
    assert pool == local
    assert len(pool) == 6 and sum(r[2] for r in pool) == 36 and sum(len(r[3]) for r in pool) == 18


def test_unusable_records_are_counted_with_their_reason():
    alice = tg.identity_iam_user(A, "alice")
    good = tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, T0, {"bucketName": "ok"})
    no_time = {**good, "eventID": "e-no-time"}
    del no_time["eventTime"]
    bad_time = {**good, "eventID": "e-bad-time", "eventTime": "yesterday"}
    bad_month = {**good, "eventID": "e-bad-month", "eventTime": "2024-13-01T00:00:00Z"}
    no_account = {**good, "eventID": "e-no-account", "recipientAccountId": None,
                  "userIdentity": {"type": "AWSService", "invokedBy": "s3.amazonaws.com"}}
    no_region = {**good, "eventID": "e-no-region", "awsRegion": ""}
    failed = {**good, "eventID": "e-failed", "errorCode": "AccessDenied", "eventTime": None}  # failed: not counted
    exported = {**good, "eventID": "e-exported", "eventTime": "2024-05-01 09:00:00.000000000"}  # another tool's copy
    recs = [good, no_time, bad_time, bad_month, no_account, no_region, failed, exported]
    for layout in ({"separators": (",", ":")}, {"indent": 2}):
        res = scan.scan("x.json", json.dumps({"Records": recs}, **layout).encode(), WANTED)
        assert [json.loads(h)["eventID"] for h in res.hits] == [good["eventID"], "e-exported"]
        assert res.unusable == {"no eventTime": 1, "eventTime is not a time (YYYY-MM-DDThh:mm:ssZ)": 2,
                                "no account id (recipientAccountId)": 1, "no awsRegion": 1}


def test_an_object_inflating_past_the_limit_is_skipped_and_named():
    data = gzip.compress(json.dumps({"Records": records()}).encode() + b" " * 5000)
    assert scan.scan("x.json.gz", data, WANTED, max_inflated=10**6).status == "ok"
    res = scan.scan("x.json.gz", data, WANTED, max_inflated=4096)
    assert res.status == "skipped" and "inflates to more than" in res.error and "--max-object-size" in res.error
    res = scan.scan("x.json", b'{"Records":[]}' + b" " * 5000, WANTED, max_inflated=4096)
    assert res.status == "skipped" and "--max-object-size" in res.error


def test_a_gzip_file_of_several_members_is_read_whole():
    recs = records()
    doc = json.dumps({"Records": recs}, separators=(",", ":")).encode()
    cut = doc.index(b'{"eventVersion"', len(doc) // 2)
    res = scan.scan("x.json.gz", gzip.compress(doc[:cut]) + gzip.compress(doc[cut:]), WANTED)
    assert res.status == "ok" and res.records == len(recs)
    assert res.error is None


def test_a_record_with_an_integer_past_64_bits_is_kept_whole():
    big = 2**70
    rec = tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"), T0,
                   {"bucketName": "big", "size": big})
    for data in (json.dumps({"Records": [rec]}, separators=(",", ":")).encode(), json.dumps({"Records": [rec]}).encode()):
        res = scan.scan("x.json", data, WANTED)
        assert res.status == "ok" and [json.loads(h)["requestParameters"]["size"] for h in res.hits] == [big]
