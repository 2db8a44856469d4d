"""The Athena models on a real Trino: `dbt build --target trino` (which runs the ``athena__``
forms) against `trailcreator load` (DuckDB) on the same records, row by row.

One trail holds every scenario the DuckDB path is tested with (the shipped map's sample events,
the identity kinds of test_attribution, the links of test_links, the daily-load cases of
test_daily_loads with late and duplicate deliveries, errored calls), so the whole comparison
costs one Trino start, one table and a few builds.  Each compared row is counted by the scenario
its creating event came from (printed as a table, -s shows it).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import duckdb
import helpers
import pytest
import trailgen as tg
import trino_cloudtrail
import yaml
from trino_compare import compare, report

from trailcreator.aws import ACCOUNT_RE, REGION_RE

import test_attribution
import test_daily_loads
import test_links
from test_default_map import FIXTURES

pytest.importorskip("dbt.adapters.trino", reason="the trino extra (dbt-trino) is not installed")

F = "333333333333"  # the faults scenario's account


def faults_trail() -> tg.Trail:
    """Errored calls (never a creation), a duplicate delivery, a name reused."""
    alice, bob = tg.identity_iam_user(F, "alice"), tg.identity_iam_user(F, "bob")
    t = tg.Trail()
    when = dt.datetime(2024, 5, 1, 10)
    ok = tg.event(F, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, when, {"bucketName": "f-ok"}, None)
    t.add([ok,
           tg.event(F, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, when, {"bucketName": "f-denied"}, None,
                    error="AccessDenied"),
           # an errored retry after the creation must not take the resource over
           tg.event(F, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, when + dt.timedelta(minutes=3),
                    {"bucketName": "f-ok"}, None, error="BucketAlreadyOwnedByYou")], tag="faults")
    t.add([ok], delivered=when + dt.timedelta(hours=2), tag="faults-again")
    return t


def default_map_trail() -> tuple[tg.Trail, dict[str, tuple[str, list[str]]]]:
    """Every fixture's sample event, each with its own eventID (two fixtures may share a
    published record); returns the trail and event id -> (resource type, expected ids).
    Records whose account or region cannot name a trail folder (the user guide's
    `<region-code>`, an 11-digit account) are left out: `load` never sees them."""
    t = tg.Trail()
    expected = {}
    for i, (name, fx) in enumerate(FIXTURES):
        rec = dict(fx["event"], eventID=f"00000000-0000-4000-8000-{i:012d}")
        # a denied call is in the map's samples for its spelling alone: as a success, its ids are extracted
        for k in ("errorCode", "errorMessage"):
            rec.pop(k, None)
        account, region = rec.get("recipientAccountId") or "000000000000", rec.get("awsRegion") or "us-east-1"
        if not (ACCOUNT_RE.match(account) and REGION_RE.match(region)):
            continue  # the user guide's `<region-code>` or an 11-digit account: no trail folder files it
        expected[rec["eventID"]] = (fx["resource"], fx["expected_ids"])
        when = dt.datetime.fromisoformat(rec["eventTime"].rstrip("Z")[:19])
        key = t.key(account, region, when + dt.timedelta(minutes=5), tag=f"map{i}")
        t.files[key] = [rec]
    return t, expected


def attribution_trail() -> tg.Trail:
    t = tg.Trail()
    t.add([tg.event(test_attribution.A, "us-east-1", "s3.amazonaws.com", "CreateBucket", ui,
                    dt.datetime(2024, 5, 1, 9, 0, i % 60), {"bucketName": f"bucket-{i:03d}"}, None)
           for i, (ui, _, _) in enumerate(test_attribution.CASES)])
    return t


SCENARIOS = {
    "attribution": attribution_trail,
    "links": test_links.scenario_trail,
    "daily": test_daily_loads.period_trail,
    "faults": faults_trail,
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The combined trail, and event id -> scenario."""
    trail = tg.Trail()
    scenario_of = {}
    map_trail, map_expected = default_map_trail()
    for name, trail_of in [("default-map", lambda: map_trail), *SCENARIOS.items()]:
        part = trail_of()
        assert not set(part.files) & set(trail.files)
        trail.files.update(part.files)
        trail.raw.update(part.raw)
        for records in part.files.values():
            for r in records:
                scenario_of[r["eventID"]] = name
    root = trail.write_dir(str(tmp_path_factory.mktemp("trino-world") / "trail"))
    return trail, root, scenario_of, map_expected


def duckdb_load(cli, root, tmp: Path, *window: str) -> dict:
    duck = tmp / "c.duckdb"
    cli("load", "--trail", root, "--db", tmp / "c.db", "--duckdb", duck, "--full-refresh", *window)
    con = duckdb.connect(str(duck))
    try:
        out = {}
        for table in ("resource_creators", "int_resource_ids_extracted"):
            cur = con.execute(f"select * from {table}")
            names = [d[0] for d in cur.description]
            out[table] = [dict(zip(names, r)) for r in cur.fetchall()]
        return out
    finally:
        con.close()


def trino_build(cli, server, tmp: Path, schema: str, vars_: dict, monkeypatch) -> dict:
    """`trailcreator dbt -- build --target trino` (the README's route) into memory.<schema>."""
    monkeypatch.setenv("TRAILCREATOR_TRINO_HOST", server.host)
    monkeypatch.setenv("TRAILCREATOR_TRINO_PORT", str(server.port))
    monkeypatch.setenv("TRAILCREATOR_TRINO_CATALOG", "memory")
    monkeypatch.setenv("TRAILCREATOR_TRINO_SCHEMA", schema)
    all_vars = {"cloudtrail_catalog": "hive", "cloudtrail_database": "cloudtrail", "cloudtrail_source_identity": True,
                **vars_}
    cli("dbt", "--duckdb", tmp / "trino-workspace.duckdb", "--", "build", "--target", "trino",
        "--vars", yaml.safe_dump(all_vars))
    return {table: server.dicts(f"select * from memory.{schema}.{table}")
            for table in ("resource_creators", "int_resource_ids_extracted")}


@pytest.fixture(scope="module")
def trino_table(trino_server, world):
    trail = world[0]
    return trino_cloudtrail.load_trail(trino_server, trail)


def test_full_build_equals_duckdb(cli, trino_server, trino_table, world, tmp_path, monkeypatch):
    trail, root, scenario_of, map_expected = world
    duck = duckdb_load(cli, root, tmp_path)
    trino = trino_build(cli, trino_server, tmp_path, "all_records", {}, monkeypatch)
    compared, matched, diffs = compare(duck["resource_creators"], trino["resource_creators"], scenario_of)
    report("full trail", compared, matched)
    assert not diffs, "\n".join(diffs)
    assert compared["default-map"] > 250 and all(compared[s] for s in SCENARIOS)

    # the shipped map's id extraction on every sample event, on Trino itself
    got: dict[tuple, list] = {}
    for r in trino["int_resource_ids_extracted"]:
        got.setdefault((r["event_id"], r["resource_type"]), []).append(r["resource_id"])
    wrong = [(eid, rtype, sorted(got.get((eid, rtype), [])), sorted(ids))
             for eid, (rtype, ids) in map_expected.items() if sorted(got.get((eid, rtype), [])) != sorted(ids)]
    print(f"default map on Trino: {len(map_expected) - len(wrong)} of {len(map_expected)} sample events give their ids")
    assert not wrong, wrong


START, END = "2024-05-02", "2024-05-03"  # the daily scenario's late and duplicate deliveries fall around it


@pytest.fixture(scope="module")
def duck_window(world, tmp_path_factory):
    return duckdb_load(functools.partial(helpers.run, expect=0), world[1], tmp_path_factory.mktemp("duck-window"), "--start", START, "--end", END)


@pytest.mark.parametrize("partitioning", ["timestamp", "year_month_day", "none"])
def test_day_window_equals_duckdb(cli, trino_server, trino_table, world, duck_window, partitioning, tmp_path,
                                  monkeypatch):
    """A date window on each partitioning, against `load --start --end`.  load keeps every event
    of the folders it reads (the window's days and the next); the Athena query keeps those whose
    eventTime is in the window, so DuckDB's rows of events outside it are left out."""
    scenario_of = world[2]
    trino = trino_build(cli, trino_server, tmp_path, f"window_{partitioning}", {
        "start_date": START, "end_date": END, "cloudtrail_partitioning": partitioning,
        "cloudtrail_table": trino_table[partitioning]}, monkeypatch)
    first, after = dt.datetime.fromisoformat(START), dt.datetime.fromisoformat(END) + dt.timedelta(days=1)
    duck = [r for r in duck_window["resource_creators"] if first <= r["event_time"] < after]
    compared, matched, diffs = compare(duck, trino["resource_creators"], scenario_of)
    report(f"{START}..{END}, {partitioning}", compared, matched)
    assert not diffs, "\n".join(diffs)
    ids = {r["resource_id"] for r in trino["resource_creators"]}
    assert {"a-day2", "a-day3", "late-bucket"} <= ids  # late: 2 May 23:58, in the 3 May folder
    assert not ids & {"a-day1", "a-day4", "last-bucket", "dup-bucket"}  # dup-bucket: a 1 May event in 2 May's folder


def test_every_athena_form_has_its_trino_line():
    """macros/engine/trino.sql names each athena__ macro for Trino (dbt dispatches on the adapter type)."""
    macros = Path(__file__).resolve().parents[1] / "dbt_project" / "macros"
    athena = {m for p in macros.rglob("*.sql") for m in re.findall(r"macro athena__(\w+)\(", p.read_text())}
    trino = set(re.findall(r"macro trino__(\w+)\(", (macros / "engine" / "trino.sql").read_text()))
    assert athena and athena == trino
