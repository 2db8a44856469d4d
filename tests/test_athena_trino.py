"""load-athena end to end on the real engine: the query the product sends runs on the test Trino
(tests/athena_front.py) over the Glue table's columns and partitions, its result CSV is the
engine's, and ``resource_creators`` matches ``trailcreator load`` on the same records row by
row, for each partitioning; what Trino read shows the date filter pruning."""

from __future__ import annotations

import datetime as dt

import pytest

import athena_fake as af
import athena_trino_table
import helpers
import test_athena_load
import test_links
import trailgen as tg
from athena_front import athena_trino  # noqa: F401  (fixture)
from athena_fake import bucket, glue  # noqa: F401  (fixtures)
from conftest import rows

A = test_links.A
OUTPUT = "s3://athena-results/tc/"
TABLES = {"projection": "cloudtrail_logs", "ymd": "cloudtrail_ymd", "none": "cloudtrail_flat"}
DAY = "2024/05/01"
DAYS_READ = ("2024/05/01", "2024/05/02")  # the day and the next (late deliveries)


def scenario_trail() -> tg.Trail:
    """The link scenarios, load-athena's own (duplicate delivery, quotes and newlines in JSON
    text, NULL request/response), a late delivery, days around the window, an errored call."""
    t = test_links.scenario_trail()
    records, _ = test_athena_load.scenario()
    for i, rec in enumerate(records):
        t.add([rec], tag=f"load-athena-{i}")
    alice = tg.identity_iam_user(A, "alice")
    late = dt.datetime(2024, 5, 1, 23, 58)
    t.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, late, {"bucketName": "late-one"}, None)],
          delivered=late + dt.timedelta(minutes=9), tag="late")  # in the next day's folder
    for day, name in ((dt.datetime(2024, 4, 28, 12), "before"), (dt.datetime(2024, 5, 2, 12), "after")):
        t.add([tg.event(A, "eu-west-1", "s3.amazonaws.com", "CreateBucket", alice, day, {"bucketName": name}, None)],
              tag=name)
    t.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, dt.datetime(2024, 5, 1, 15),
                    {"bucketName": "denied"}, None, error="AccessDenied")], tag="denied")
    return t


@pytest.fixture
def trino_trail(athena_trino, glue, s3, trino_server, tmp_path):
    """The scenario trail on disk (for load) and as the three Athena tables (for load-athena)."""
    trail = scenario_trail()
    root = trail.write_dir(str(tmp_path / "trail"))
    counts = {}
    for partitions, table in TABLES.items():
        af.create_table(glue, "trails", table, partitions=partitions, source_identity=True)
        counts[partitions] = athena_trino_table.create(trino_server, glue, "trails", table, trail)
    bucket(s3, OUTPUT[5:].split("/")[0])
    return root, counts


def ordered(db) -> list[dict]:
    return rows(db, "select * from resource_creators order by account_id, region, resource_type, resource_id")


def differences(got: list[dict], want: list[dict]) -> list:
    """(resource, column, load-athena's value, load's value) for every cell that differs."""
    key = ("account_id", "region", "resource_type", "resource_id")
    a, b = ({tuple(r[k] for k in key): r for r in side} for side in (got, want))
    out = [(k, "missing" if k not in a else "extra", None, None) for k in a.keys() ^ b.keys()]
    out += [(k, c, a[k][c], b[k][c]) for k in a.keys() & b.keys() for c in b[k] if a[k][c] != b[k][c]]
    return sorted(out, key=str)


def load_athena(cli, db, table, *args):
    return cli("load-athena", "--region", "us-east-1", "--athena-db", "trails", "--table", table,
               "--athena-output", OUTPUT, "--db", db, *args)


@pytest.mark.parametrize("partitions", list(TABLES))
def test_load_athena_on_trino_matches_load(cli, athena_trino, trino_trail, tmp_path, partitions):
    root, counts = trino_trail
    local, athena = tmp_path / "local.db", tmp_path / "athena.db"
    cli("load", "--trail", root, "--db", local, "--day", DAY)
    result = load_athena(cli, athena, TABLES[partitions], "--day", DAY)

    # load keeps every create event of the folders it reads (the day's and the next);
    # load-athena filters eventtime to the day as well.
    want = [r for r in ordered(local) if r["event_time"].startswith("2024-05-01")]
    got = ordered(athena)
    diff = differences(got, want)
    print(f"{partitions}: {len(want)} rows compared", *diff, sep="\n")
    assert len(want) > 20 and diff == []
    ids = {r["resource_id"] for r in got}
    assert {"late-one", "alpha-logs", "two-hops"} <= ids and not {"before", "after", "denied"} & ids
    (ex,) = athena_trino.executions.values()
    assert ex.state == "SUCCEEDED" and f"athena query:{ex.id} state:SUCCEEDED" in result.stderr

    # What Trino read: the day's partition and the next (late deliveries), or everything.
    read = athena_trino.trino_stats(ex.id)["physicalInputPositions"]
    total = sum(counts[partitions].values())
    # a partition's day: (timestamp,) or (region, year, month, day)
    in_window = sum(n for values, n in counts[partitions].items() if "/".join(values[-3:])[-10:] in DAYS_READ)
    if partitions == "none":
        assert read == total and "scans the whole table" in result.stderr
    else:
        assert 0 < in_window < total and read == in_window


def test_without_a_window_the_whole_table_is_read(cli, athena_trino, trino_trail, aws_env, tmp_path):
    root, counts = trino_trail
    local, athena = tmp_path / "local.db", tmp_path / "athena.db"
    cli("load", "--trail", root, "--db", local)
    load_athena(cli, athena, TABLES["projection"])
    print(f"whole table: {len(ordered(local))} rows compared")
    assert differences(ordered(athena), ordered(local)) == []
    assert {"before", "after"} <= {r["resource_id"] for r in ordered(athena)}
    (ex,) = athena_trino.executions.values()
    assert athena_trino.trino_stats(ex.id)["physicalInputPositions"] == sum(counts["projection"].values())
    # GetQueryResults pages what the CSV holds, header row first (the product reads the CSV)
    page = aws_env.client("athena", endpoint_url=athena_trino.url).get_query_results(QueryExecutionId=ex.id)
    got = page["ResultSet"]["Rows"]
    assert [d["VarCharValue"] for d in got[0]["Data"]] == ex.header and len(got) == len(ex.rows) + 1


def test_a_query_the_engine_fails_is_one_line(cli, athena_trino, trino_trail, glue, tmp_path):
    """Glue has the table, the engine does not: Trino's error, as Athena reports it, on one line."""
    af.create_table(glue, "trails", "only_in_glue", partitions="projection")
    db = tmp_path / "c.db"
    result = load_athena(helpers.run, db, "only_in_glue", "--day", DAY)
    (ex,) = athena_trino.executions.values()
    assert ex.state == "FAILED" and ex.error_name == "TABLE_NOT_FOUND"
    last = result.stderr.strip().splitlines()[-1]
    # Athena names the table awsdatacatalog.trails.only_in_glue; the stand-in's catalog is hive.
    assert last.startswith(f"Error: athena query {ex.id} FAILED: TABLE_NOT_FOUND: line ")
    assert last.endswith("Table 'hive.trails.only_in_glue' does not exist")
    assert result.exit_code == 1 and "Traceback" not in result.stderr and not db.exists()


def test_the_default_maps_sample_events_on_trino_match_load(cli, athena_trino, glue, s3, trino_server, tmp_path):
    """The sample event of every entry of the shipped map (public CloudTrail records and the
    user guide's), through the whole default map: load-athena on Trino gives load's rows."""
    import re

    import test_default_map

    events = {fx["event"]["eventID"]: fx["event"] for _, fx in test_default_map.FIXTURES}
    from trailcreator.aws import ACCOUNT_RE, REGION_RE

    # a few samples spell eventTime otherwise, or keep the user guide's `<region-code>` or an
    # 11-digit account: a trail's folders file records by all three
    usable = [e for e in events.values() if ACCOUNT_RE.match(e.get("recipientAccountId") or "")
              and REGION_RE.match(e.get("awsRegion") or "")
              and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.get("eventTime", ""))]
    assert len(usable) > 300
    trail = athena_trino_table.trail_of(sorted(usable, key=lambda e: e["eventTime"]))
    af.create_table(glue, "trails", "samples", partitions="projection", source_identity=True)
    athena_trino_table.create(trino_server, glue, "trails", "samples", trail)
    bucket(s3, OUTPUT[5:].split("/")[0])
    local, athena = tmp_path / "local.db", tmp_path / "athena.db"
    cli("load", "--trail", trail.write_dir(str(tmp_path / "trail")), "--db", local)
    load_athena(cli, athena, "samples")
    want, got = ordered(local), ordered(athena)
    diff = differences(got, want)
    print(f"{len(want)} rows compared", *diff, sep="\n")
    assert len(want) > 250 and diff == []
