"""Loads you can run every day: day-by-day loads equal one load of the period, a narrower
load followed by a wider one equals the wider one, late and duplicate deliveries included.

The rule that makes this hold: the date window picks which delivery folders are read (the
window's days and the day after it), and an object once read contributes all its records."""

from __future__ import annotations

import datetime as dt

import pytest

import trailgen as tg
from conftest import rows

A, B = "111111111111", "222222222222"
D = [dt.datetime(2024, 5, d, 9) for d in range(1, 6)]  # 1..5 May


def period_trail() -> tg.Trail:
    """Four days of creates in two accounts, with the cases daily loads get wrong."""
    alice, bob = tg.identity_iam_user(A, "alice"), tg.identity_iam_user(A, "bob")
    carol = tg.identity_iam_user(B, "carol")
    e = tg.event
    t = tg.Trail()
    for i, day in enumerate(D[:4]):
        t.add([e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, day, {"bucketName": f"a-day{i + 1}"}, None),
               e(A, "us-east-1", "iam.amazonaws.com", "CreateRole", bob, day, {"roleName": f"role-{i + 1}"},
                 {"role": {"roleName": f"role-{i + 1}"}})], tag=f"a{i}")
        t.add([e(B, "eu-west-1", "s3.amazonaws.com", "CreateBucket", carol, day, {"bucketName": f"b-day{i + 1}"}, None)],
              tag=f"b{i}")
    # Late: created 23:58 on 2 May, delivered into the 3 May folder.
    late = e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, D[1].replace(hour=23, minute=58),
             {"bucketName": "late-bucket"}, None)
    t.add([late], delivered=D[2].replace(hour=0, minute=4), tag="late")
    # Late at the end of the period: created 23:59 on 4 May, delivered on 5 May.
    last = e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, D[3].replace(hour=23, minute=59),
             {"bucketName": "last-bucket"}, None)
    t.add([last], delivered=D[4].replace(hour=0, minute=3), tag="last")
    # A duplicate delivery of a 1 May event in the 2 May folder.
    dup = e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, D[0], {"bucketName": "dup-bucket"}, None)
    t.add([dup], tag="dup1")
    t.add([dup], delivered=D[1], tag="dup2")
    # A name reused: created by alice on 1 May, deleted, created again by carol on 3 May.
    t.add([e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, D[0], {"bucketName": "reused"}, None)], tag="r1")
    t.add([e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, D[2], {"bucketName": "reused"}, None)], tag="r2")
    return t


def tables(db):
    return {name: rows(db, f"select * from {name} order by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10")
            for name in ("resource_creators", "events")}


@pytest.fixture
def trail_root(tmp_path):
    return period_trail().write_dir(str(tmp_path / "trail"))


def test_day_by_day_equals_one_load_of_the_period(cli, tmp_path, trail_root):
    daily = tmp_path / "daily.db"
    for day in D[:4]:
        cli("load", "--trail", trail_root, "--db", daily, "--day", f"{day:%Y/%m/%d}")
    once = tmp_path / "once.db"
    cli("load", "--trail", trail_root, "--db", once, "--start", "2024-05-01", "--end", "2024-05-04")
    assert tables(daily) == tables(once)
    got = {r["resource_id"]: r["creator"] for r in rows(daily, "select * from resource_creators")}
    assert got["late-bucket"] == "bob" and got["last-bucket"] == "alice" and got["reused"] == "bob"
    assert got["dup-bucket"] == "alice" and len(got) == 4 * 3 + 4
    assert rows(daily, "select count(*) as n from events where resource_ids = 'dup-bucket'") == [{"n": 1}]


@pytest.mark.parametrize("narrow,wide", [
    (["--day", "2024/05/02"], []),
    (["--day", "2024/05/02"], ["--month", "2024/05"]),
    (["--start", "2024-05-02", "--end", "2024-05-03"], ["--start", "2024-05-01", "--end", "2024-05-04"]),
    (["--region", "eu-west-1"], []),
    (["--account", A, "--day", "2024/05/04"], ["--year", "2024"]),
])
def test_a_narrower_load_then_a_wider_one_equals_the_wider_one(cli, tmp_path, trail_root, narrow, wide):
    inc = tmp_path / "inc.db"
    cli("load", "--trail", trail_root, "--db", inc, *narrow)
    cli("load", "--trail", trail_root, "--db", inc, *wide)
    one = tmp_path / "one.db"
    cli("load", "--trail", trail_root, "--db", one, *wide)
    assert tables(inc) == tables(one)


def test_day_reads_its_folder_and_the_next_and_keeps_every_event_in_them(cli, tmp_path, trail_root):
    db = tmp_path / "c.db"
    result = cli("load", "--trail", trail_root, "--db", db, "--day", "2024/05/02")
    got = {r["resource_id"] for r in rows(db, "select resource_id from resource_creators")}
    # The 2 May folder and the 3 May folder (late deliveries of 2 May), all of their events.
    assert {"a-day2", "b-day2", "late-bucket", "a-day3", "b-day3", "role-2", "role-3", "dup-bucket"} <= got
    assert "a-day1" not in got and "a-day4" not in got
    assert "objects read:" in result.stderr
