"""``trailcreator query``: each --format, --limit, the table cut to --max-width, an error in one
line, and csv/json/ndjson streaming a million rows in bounded memory."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import duckdb
import pytest

from helpers import ROOT, assert_one_line_error, run

LONG_ID = "arn:aws:iam::111111111111:role/" + "very-long-role-name-" * 5


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("query") / "q.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""create table resource_creators as select * from (values
        ('111111111111', 'us-east-1', 'iam-role', ?, 'alice', timestamp '2024-05-01 09:00:00', 3),
        ('111111111111', 'eu-west-1', 's3', 'logs', '[red]bob', timestamp '2024-05-02 10:30:00', null),
        ('222222222222', 'eu-west-1', 's3', 'data, "quoted"', null, timestamp '2024-05-03 11:00:00', 1)
        ) t(account_id, region, resource_type, resource_id, creator, event_time, hops)""", [LONG_ID])
    con.close()
    return path


SQL = "select * from resource_creators order by event_time"


def test_table_fits_the_width_and_cuts_long_values(db):
    result = run("query", "--duckdb", db, "--max-width", "100", SQL, expect=0)
    lines = result.stdout.splitlines()
    assert lines and all(len(line) <= 100 for line in lines), result.stdout
    assert LONG_ID not in result.stdout and "arn:aws:iam::" in result.stdout and "…" in result.stdout
    assert "111111111111" in result.stdout and "us-east-1" in result.stdout  # short columns stay whole
    assert "[red]bob" in result.stdout  # data, not markup
    assert result.stderr.strip() == "(3 rows)"
    wide = run("query", "--duckdb", db, "--max-width", "400", SQL, expect=0)
    assert LONG_ID in wide.stdout


def test_table_width_defaults_to_the_terminal(db):
    result = run("query", "--duckdb", db, SQL, env={"COLUMNS": "60"}, expect=0)
    assert max(len(line) for line in result.stdout.splitlines()) <= 60


def test_csv(db):
    result = run("query", "--duckdb", db, "--format", "csv", SQL, expect=0)
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["account_id", "region", "resource_type", "resource_id", "creator", "event_time", "hops"]
    assert rows[1][3] == LONG_ID and rows[3][3] == 'data, "quoted"' and rows[3][4] == ""
    assert rows[1][5] == "2024-05-01 09:00:00" and len(rows) == 4
    assert result.stderr.strip() == "(3 rows)"


def test_json(db):
    result = run("query", "--duckdb", db, "--format", "json", SQL, expect=0)
    rows = json.loads(result.stdout)
    assert rows[0] == {"account_id": "111111111111", "region": "us-east-1", "resource_type": "iam-role",
                       "resource_id": LONG_ID, "creator": "alice", "event_time": "2024-05-01T09:00:00", "hops": 3}
    assert rows[2]["creator"] is None and len(rows) == 3
    empty = run("query", "--duckdb", db, "--format", "json", "select 1 as x where false", expect=0)
    assert json.loads(empty.stdout) == [] and empty.stderr.strip() == "(0 rows)"


def test_ndjson_and_limit(db):
    result = run("query", "--duckdb", db, "--format", "ndjson", "--limit", "2", SQL, expect=0)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["resource_id"] for r in rows] == [LONG_ID, "logs"]
    assert result.stderr.strip() == "(2 rows)"


def test_a_query_error_is_one_line(db):
    assert_one_line_error(run("query", "--duckdb", db, "select nope from resource_creators"),
                          "query failed", "nope", exit_code=1, alone=True)
    assert_one_line_error(run("query", "--duckdb", db, "--format", "csv", "select 1/0::int from range(3) where error('boom')"),
                          "query failed", "boom", exit_code=1)


# The child's own peak: VmHWM of /proc/self/status is the high-water mark of the memory the
# program has since its exec.  (getrusage's ru_maxrss is not: Linux carries the parent's peak
# over fork and exec, so under a big pytest process it reads the pytest's.)
MEASURE = """
import sys
from trailcreator.cli import main
sys.argv = ["trailcreator"] + sys.argv[1:]
try:
    main()
finally:
    with open("/proc/self/status") as f:
        peak = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    sys.stderr.write("peak_kib=%s\\n" % peak)
"""


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_a_million_rows_stream_in_bounded_memory(db, fmt):
    """A million rows of 300 bytes (300 MB if held at once) stay under 200 MB of peak resident
    memory (the process's own, from /proc), written to /dev/null."""
    sql = "select range as n, repeat('x', 300) || range::varchar as payload from range(1000000)"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "runner")}
    with open(os.devnull, "w") as sink:
        done = subprocess.run([sys.executable, "-c", MEASURE, "query", "--duckdb", str(db), "--format", fmt, sql],
                              stdout=sink, stderr=subprocess.PIPE, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "(1000000 rows)" in done.stderr
    peak_mib = int(done.stderr.rsplit("peak_kib=", 1)[1]) / 1024
    assert peak_mib < 200, f"{fmt}: peak {peak_mib:.0f} MiB"


def test_short_columns_stay_whole_and_long_ones_share_the_rest():
    from trailcreator.report.query import fit_widths

    assert fit_widths([12, 14, 130, 20], 80) == [12, 14, 34, 20]  # 20 is under its share: whole
    assert fit_widths([12, 14, 130, 90], 80) == [12, 14, 27, 27]
    narrow = fit_widths([12, 14, 13], 20)  # too narrow for the short ones: all shrink alike
    assert sum(narrow) == 20 and max(narrow) - min(narrow) <= 1
    assert sum(fit_widths([40] * 5, 50)) == 50
