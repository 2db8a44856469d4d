"""The fast scan finds exactly what parsing every record would, and falls back when its
assumptions about the object's layout do not hold."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

import trailgen as tg
from trailcreator import ingest, scan, trail

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9)
NAMES = ["CreateBucket", "RunInstances"]


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
    return sorted(json.dumps(r, sort_keys=True) for r in recs if r["eventName"] in NAMES)


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
    res = scan.scan("x.json.gz", gzip.compress(data), NAMES)
    assert res.status == "ok" and res.records == len(recs)
    assert sorted(json.dumps(json.loads(h), sort_keys=True) for h in res.hits) == reference(recs)
    # The payload that mentions CreateBucket sends the compact layout to the whole parse too.
    assert res.fast is False


def test_fast_path_taken_on_cloudtrail_layout():
    recs = [r for r in records() if r["eventName"] != "LookupEvents"]
    data = json.dumps({"Records": recs}, separators=(",", ":")).encode()
    res = scan.scan("x.json", data, NAMES)
    assert res.fast is True and res.records == len(recs)
    assert sorted(json.dumps(json.loads(h), sort_keys=True) for h in res.hits) == reference(recs)


@pytest.mark.parametrize("data,reason", [
    (b"\x1f\x8b\x08\x00garbage", "gzip"),
    (gzip.compress(b'{"Records":[{"eventVersion":"1.08","eventName":"CreateBucket"'), "JSON"),
    (b'{"hello": 1}', "Records"),
    (b'{"Records": null}', "Records"),
    (b"", "empty"),
])
def test_bad_objects_are_skipped_with_a_reason(data, reason):
    res = scan.scan("x", data, NAMES)
    assert res.status == "skipped" and reason.lower() in res.error.lower() and res.hits == []


def test_worker_pool_gives_the_same_rows_as_in_process(tmp_path, monkeypatch):
    t = tg.Trail()
    for i in range(6):
        t.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"),
                        T0 + dt.timedelta(minutes=i), {"bucketName": f"b{i}"})] + records(), tag=f"obj{i}")
    root = t.write_dir(str(tmp_path / "trail"))
    spec = trail.make_spec(root)
    objs, _ = trail.list_objects(spec)
    pairs = [("s3.amazonaws.com", "CreateBucket"), ("ec2.amazonaws.com", "RunInstances")]

    def run(in_process_bytes, out):
        monkeypatch.setattr(ingest.Reader, "IN_PROCESS_BYTES", in_process_bytes)
        r = ingest.Reader(spec, pairs, workers=2)
        try:
            r.read(objs)
            st = r.write_parquet(objs, str(tmp_path / out))
        finally:
            r.close()
        return st, r.con

    st_pool, _ = run(0, "pool.parquet")
    st_local, _ = run(10**12, "local.parquet")
    assert (st_pool.objects, st_pool.records, st_pool.events) == (st_local.objects, st_local.records, st_local.events) == (6, 36, 18)
    import duckdb

    q = "select object_key, status, records_scanned, list_sort(list_transform(events, lambda e: e.eventID)) from read_parquet('{}') order by 1"
    con = duckdb.connect()
    assert con.execute(q.format(tmp_path / "pool.parquet")).fetchall() == con.execute(q.format(tmp_path / "local.parquet")).fetchall()
