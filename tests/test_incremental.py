"""Incremental refresh: objects are read once; a new day costs that day; the result equals a
full rebuild row by row; a map with new event types reads the old objects again."""

from __future__ import annotations

import datetime as dt
import json

import trailgen as tg
from conftest import rows

A = "111111111111"
DAY1 = dt.datetime(2024, 5, 1, 9)
DAY2 = dt.datetime(2024, 5, 2, 9)


def two_days():
    alice, bob = tg.identity_iam_user(A, "alice"), tg.identity_iam_user(A, "bob")
    e = tg.event
    shared = e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, DAY1, {"bucketName": "b-shared"}, None)
    day1 = tg.Trail()
    day1.add([shared, e(A, "us-east-1", "iam.amazonaws.com", "CreateRole", alice, DAY1, {"roleName": "r1"},
                        {"role": {"roleName": "r1"}})], tag="day1a")
    day1.add([e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, DAY1, {"bucketName": "b-reused"}, None)], tag="day1b")
    day2 = tg.Trail()
    # Day 2: a duplicate delivery of a day-1 event, a late one, a name reused, a new resource.
    day2.add([shared], delivered=DAY2, tag="day2dup")
    day2.add([e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, DAY1.replace(hour=23, minute=59), {"bucketName": "b-late"}, None)],
             delivered=DAY2.replace(hour=0, minute=4), tag="day2late")
    day2.add([e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, DAY2, {"bucketName": "b-reused"}, None),
              e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, DAY2, {"bucketName": "b-new"}, None)], tag="day2new")
    return day1, day2


def table(db, name):
    return rows(db, f"select * from {name} order by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10")


def test_new_day_reads_only_new_objects_and_equals_full_rebuild(cli, tmp_path):
    day1, day2 = two_days()
    root = str(tmp_path / "trail")
    day1.write_dir(root)
    db = tmp_path / "inc.db"
    r1 = cli("load", "--trail", root, "--db", db)
    assert "objects read:2 " in r1.stderr
    day2.write_dir(root)
    r2 = cli("load", "--trail", root, "--db", db)
    assert "objects read:3 " in r2.stderr  # day 2 only
    r3 = cli("load", "--trail", root, "--db", db)
    assert "objects read:0 " in r3.stderr

    full = tmp_path / "full.db"
    cli("load", "--trail", root, "--db", full, "--full-refresh")
    for name in ("resource_creators", "events"):
        assert table(db, name) == table(full, name)
    got = {r["resource_id"]: r["creator"] for r in rows(db, "select * from resource_creators")}
    assert got == {"b-shared": "alice", "r1": "alice", "b-reused": "bob", "b-late": "bob", "b-new": "bob"}


def test_a_load_with_nothing_new_keeps_the_sqlite_file_it_wrote_unless_it_changed(cli, tmp_path):
    """The SQLite file already holds what the tables hold: it stays as it is. Edited, deleted,
    another --db, another creator format, or the models rebuilt by dbt itself: written again."""
    day1, _ = two_days()
    root = day1.write_dir(str(tmp_path / "trail"))
    db, duck = tmp_path / "c.db", tmp_path / "c.duckdb"
    load = ("load", "--trail", root, "--db", db, "--duckdb", duck)
    assert cli(*load).stdout.startswith(f"wrote {db}: 3 resource_creators rows")
    written = db.stat().st_mtime_ns
    assert cli(*load).stdout.startswith(f"kept (unchanged) {db}: 3 resource_creators rows")
    assert db.stat().st_mtime_ns == written

    import sqlite3
    con = sqlite3.connect(db)
    con.execute("delete from resource_creators")
    con.commit()
    con.close()
    assert cli(*load).stdout.startswith(f"wrote {db}: 3 resource_creators rows")
    assert len(rows(db, "select * from resource_creators")) == 3
    db.unlink()
    assert cli(*load).stdout.startswith(f"wrote {db}: 3 resource_creators rows")
    other = tmp_path / "other.db"
    assert cli("load", "--trail", root, "--db", other, "--duckdb", duck).stdout.startswith(f"wrote {other}:")
    assert cli(*load).stdout.startswith(f"wrote {db}:")  # the last export went to other.db
    assert cli(*load, "--creator-format", "arn").stdout.startswith(f"wrote {db}:")
    assert rows(db, "select creator from resource_creators")[0]["creator"].startswith("arn:aws:iam::")
    assert cli(*load, "--creator-format", "arn").stdout.startswith(f"kept (unchanged) {db}:")

    # dbt run directly (the models rebuilt with the name format), then a load with nothing new
    vars_ = json.dumps({"trail": root, "creator_format": "name"})
    cli("dbt", "--duckdb", duck, "--", "run", "--vars", vars_)
    assert cli(*load, "--creator-format", "arn").stdout.startswith(f"wrote {db}:")


def test_full_refresh_reads_everything_again(cli, tmp_path):
    day1, _ = two_days()
    root = day1.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    cli("load", "--trail", root, "--db", db)
    assert "objects read:2 " in cli("load", "--trail", root, "--db", db, "--full-refresh").stderr


def test_map_with_new_event_types_reads_old_objects_again(cli, tmp_path):
    day1, _ = two_days()
    root = day1.write_dir(str(tmp_path / "trail"))
    s3_only = tmp_path / "s3.json"
    s3_only.write_text(json.dumps({"resources": [{"resource": "s3", "events": [
        {"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": "requestParameters.bucketName"}]}]}))
    db = tmp_path / "c.db"
    cli("load", "--trail", root, "--db", db, "--resource-map", s3_only)
    assert {r["resource_type"] for r in rows(db, "select resource_type from resource_creators")} == {"s3"}
    result = cli("load", "--trail", root, "--db", db)  # the default map adds iam-role
    assert "event types changed" in result.stderr and "objects read:2 " in result.stderr
    assert {r["resource_type"] for r in rows(db, "select resource_type from resource_creators")} == {"s3", "iam-role"}


def test_s3_second_load_sends_no_object_get(cli, s3, moto_recorder, tmp_path):
    day1, day2 = two_days()
    s3.create_bucket(Bucket="inc-trail")
    url = day1.write_s3(s3, "inc-trail")
    db = tmp_path / "c.db"
    cli("load", "--trail", url, "--db", db)
    day2.write_s3(s3, "inc-trail")
    moto_recorder.start()
    cli("load", "--trail", url, "--db", db)
    reqs = moto_recorder.requests()
    object_reads = sorted({path.split("?")[0] for method, path in reqs if method in ("GET", "HEAD") and "/AWSLogs/" in path
                           and path.split("?")[0].endswith(".json.gz")})
    assert len(object_reads) == 3 and all("CloudTrail/" in p and "Digest" not in p for p in object_reads)
    assert all(p.split("/")[-1].split("_")[-1].startswith("day2") for p in object_reads), object_reads
