"""The CloudTrail writer the end-to-end load will use: keys, files and records as CloudTrail delivers them."""

from __future__ import annotations

import gzip
import json
import re

import aws_world
import jmespath
from cloudtrail_delivery import TRAIL_IDS, trail_records, write_delivery_files


KEY = re.compile(
    r"^(?:trails/)?AWSLogs/(?P<acct>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/"
    r"(?P=acct)_CloudTrail_(?P=region)_(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$"
)


def test_trail_files_for_a_world(world_a):
    s3 = aws_world.Clients()(world_a.a, "s3")
    bucket = f"tc-{world_a.n}-cloudtrail"
    s3.create_bucket(Bucket=bucket)
    records = trail_records(world_a)
    keys = write_delivery_files(s3, bucket, records, prefix="trails")

    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(k for k in listed if "/CloudTrail/" in k) == sorted(keys)
    assert any("/CloudTrail-Digest/" in k for k in listed)
    folders = set()
    delivered = []
    for key in keys:
        m = KEY.match(key)
        assert m, key
        folders.add((m["y"], m["m"], m["d"]))
        assert m["stamp"].startswith(m["y"] + m["m"] + m["d"])
        doc = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        assert set(doc) == {"Records"} and 0 < len(doc["Records"]) <= 4
        assert all(r["recipientAccountId"] == m["acct"] and r["awsRegion"] == m["region"] for r in doc["Records"])
        delivered.extend(doc["Records"])
    assert folders == {("2024", "03", "01"), ("2024", "03", "02")}   # late events land in the next day
    assert len(delivered) == len(records)
    assert len({r["eventID"] for r in delivered}) == len(delivered) - 1   # one event delivered twice

    # each resource the story gives a creator: one successful create event, ids found by the map's JMESPath,
    # and the identity gives the creator the creators table holds
    rows = {(r["resource_type"], r["resource_id"]): r for r in aws_world.creator_rows(world_a)}
    for b in world_a:
        source, name, ids = TRAIL_IDS[b.spec.rtype]

        def created(r):
            if r["eventSource"] != source or r["eventName"] != name or "errorCode" in r:
                return False
            found = jmespath.search(ids, r)
            return bool(set(found if isinstance(found, list) else [found]) & {b.id, b.arn, b.spec.name})

        matches = [r for r in delivered if created(r)]
        if b.spec.who is None:
            assert not matches, b.spec.name   # missing from the trail on purpose
            continue
        assert len({r["eventID"] for r in matches}) == 1, b.spec.name
        cols = aws_world.identity_columns(matches[0]["userIdentity"])
        row = rows[(b.spec.rtype, aws_world.recorded_id(b))]
        assert cols == {k: row[k] for k in cols}   # the identity the creator is taken from (by macros/creators.sql)
    service = [r for r in delivered if r["userIdentity"]["type"] == "AWSService"]
    assert service and all("arn" not in r["userIdentity"] for r in service)
    assert any(r.get("errorCode") == "AccessDenied" for r in delivered)
