"""``trailcreator report``: the page's data is the models' SQL, the page is self-contained, and
bad input fails in one line without touching the output.  (What a browser shows of it:
test_report_browser.py.)"""

from __future__ import annotations

import html.parser
import json
import os
import re
import sqlite3

import duckdb
import pytest

from helpers import assert_one_line_error, run
from report_files import A, B, MARKUP, PLAN_ROWS, write_plan

def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def q(duckdb_path, sql):
    con = duckdb.connect(str(duckdb_path))  # the load ran in this process: the same configuration
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def report(report_duckdb, tmp_path_factory):
    home = tmp_path_factory.mktemp("report-page")
    plan = write_plan(home / "plan.csv")
    out = home / "report.html"
    result = run("report", "--duckdb", report_duckdb, "--plan", plan, "-o", out, expect=0)
    assert f"wrote {out}" in result.stdout
    return out.read_text(encoding="utf-8")


def test_the_pages_figures_are_the_models_queries(report, report_duckdb):
    data = page_data(report)
    (objects,) = q(report_duckdb, """select count(*) filter (where status = 'ok') as ok,
        count(*) filter (where status <> 'ok') as skipped, sum(records_scanned) as scanned,
        sum(records_unusable) as unusable from stg_cloudtrail__objects""")
    totals = data["load"]["totals"][0]
    assert (totals["objects_read"], totals["objects_skipped"], totals["records_scanned"], totals["records_unusable"]) \
        == (objects["ok"], objects["skipped"], objects["scanned"], objects["unusable"]) == (3, 1, 9, 1)
    assert [(r["reason"], r["records"], r["objects"]) for r in data["load"]["unusable"]] == [("no eventTime", 1, 1)]
    assert [s["object_key"].rsplit("/", 1)[1] for s in data["load"]["skipped"]] == [
        f"{B}_CloudTrail_eu-west-1_20240513T0905Z_corruptgzip00000.json.gz"]
    assert (totals["accounts"], totals["regions"]) == (2, 2)
    heat = {(r["account_id"], r["region"], r["resource_type"]): (r["with_creator"], r["resources"])
            for r in data["resources"]["heat"]}
    assert heat == {(r["account_id"], r["region"], r["resource_type"]): (r["c"], r["n"]) for r in q(report_duckdb, """
        select account_id, region, resource_type, count(creator) as c, count(*) as n from resource_creators group by all""")}
    assert heat[(B, "eu-west-1", "iam-role")] == (0, 1)  # the AWS service's role
    via = {r["found_via"]: r["resources"] for r in data["creators"]["via"]}
    assert via == {"principal": 5, "assume-role": 1}
    assert data["creators"]["top"][0] == {"creator": "alice", "resources": 3, "found_via": "principal 2, assume-role 1"}
    assert data["exclusions"]["by_type"] == [
        {"reason": "aws-service", "outcome": "excluded", "resource_type": "iam-role", "resources": 1}]
    assert "ec2" in [r["resource_type"] for r in data["unseen_types"]["types"]]
    assert sum(r["resources"] for r in data["timeline"]["creates"]) == 7
    assert {r["unit"] for r in data["timeline"]["creates"]} == {"week"}


def test_the_plans_say_what_the_run_will_change(report):
    plans = page_data(report)["plans"]
    assert plans["total"] == [{"population": 7, "will_carry": 4, "share_pct": 57.1, "failed": 1}]
    scope = {(r["account"], r["region"], r["resource_type"]): r for r in plans["by_scope"]}
    assert {k: v for k, v in scope[(A, "us-east-1", "iam-role")].items() if k not in ("account", "region", "resource_type")} \
        == {"population": 5, "already_tagged": 1, "would_tag": 2, "tagged": 0, "no_creator": 1, "excluded": 0,
            "failed": 1, "skipped": 0}
    assert plans["failed"] == [{"account": A, "region": "us-east-1", "resource_type": "iam-role",
                                "resource_id": "deployed-role", "action": "failed:AccessDenied"}]


def test_the_audit_data_holds_every_resource(report, report_duckdb):
    audit = page_data(report)["audit"]
    expect = q(report_duckdb, """select resource_id, creator, event_id, epoch(event_time)::bigint as t
                                 from resource_creators order by account_id, region, resource_type, resource_id""")
    assert audit["rows"] == len(expect) == 7
    assert audit["id"] == [r["resource_id"] for r in expect]
    assert [audit["creator"]["values"][c] for c in audit["creator"]["codes"]] == [r["creator"] for r in expect]
    assert audit["event_id"] == [r["event_id"] for r in expect] and audit["t"] == [r["t"] for r in expect]


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_self_contained_and_user_data_is_never_markup(report):
    parser = _Tags()
    parser.feed(report)
    # the only elements naming another resource are the in-page links of the nav
    for tag, attrs in parser.tags:
        for name in ("src", "href", "srcset", "action", "data"):
            if name in attrs:
                assert (tag, name) == ("a", "href") and attrs[name].startswith("#"), (tag, attrs)
    assert [t for t, _ in parser.tags if t == "link"] == []
    assert [a.get("type") for t, a in parser.tags if t == "script"] == ["application/json", None, None]
    assert MARKUP not in report and "alert(1)" in report  # the role named as markup is there, escaped
    assert "default-src 'none'" in report  # and the page may not fetch anything


def test_a_plan_read_twice_counts_the_last(report_duckdb, tmp_path):
    first = write_plan(tmp_path / "dry.csv")
    applied = write_plan(tmp_path / "applied.json.csv",
                         [r[:5] + ("tag",) if r[5] == "would-tag" else r for r in PLAN_ROWS])
    run("report", "--duckdb", report_duckdb, "--plan", first, "--plan", applied, "-o", tmp_path / "r.html", expect=0)
    by_scope = page_data((tmp_path / "r.html").read_text())["plans"]["by_scope"]
    assert sum(r["tagged"] for r in by_scope) == 3 and sum(r["would_tag"] for r in by_scope) == 0


def test_a_file_export_athena_wrote_reports_what_it_holds(tmp_path):
    from report_files import synthesize_resources

    db = synthesize_resources(str(tmp_path / "marts.duckdb"), 500)
    run("report", "--duckdb", db, "-o", tmp_path / "r.html", expect=0)
    data = page_data((tmp_path / "r.html").read_text())
    assert data["load"] is None and data["unseen_types"] is None
    assert data["audit"]["rows"] == 500


# --- bad input: one line, non-zero exit, the previous output untouched, no temporary left ---


@pytest.fixture
def previous(tmp_path):
    out = tmp_path / "out" / "report.html"
    out.parent.mkdir()
    out.write_text("the previous report")
    return out


def _untouched(out):
    assert out.read_text() == "the previous report"
    assert sorted(os.listdir(out.parent)) == ["report.html"]


def test_a_file_that_is_not_duckdb(previous, tmp_path):
    sqlite = tmp_path / "creators.db"
    sqlite3.connect(sqlite).execute("create table t (x)").connection.commit()
    assert_one_line_error(run("report", "--duckdb", sqlite, "-o", previous), "SQLite", "not DuckDB")
    text = tmp_path / "notes.duckdb"
    text.write_text("hello, this is not a database at all")
    assert_one_line_error(run("report", "--duckdb", text, "-o", previous), "is not a DuckDB database")
    _untouched(previous)


def test_a_duckdb_file_without_resource_creators(previous, tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).execute("create table other (x int)").close()
    assert_one_line_error(run("report", "--duckdb", empty, "-o", previous), "no resource_creators", "load")
    _untouched(previous)


def test_a_plan_of_another_database(report_duckdb, previous, tmp_path):
    other = write_plan(tmp_path / "other.csv", [("999999999999", "us-east-1", "iam-role", "web-role", "x", "would-tag"),
                                                (A, "us-east-1", "iam-role", "nobody-role", "y", "would-tag")])
    assert_one_line_error(run("report", "--duckdb", report_duckdb, "--plan", other, "-o", previous),
                          "--plan", "none of its 2 resources is in", "another database")
    _untouched(previous)


@pytest.mark.parametrize("name, body, needle", [
    ("nocols.csv", "account,region\n1,2\n", "no resource_type, resource_id, creator, action column(s)"),
    ("array.json", '{"account": "1"}', "not a JSON array of objects"),
    ("broken.json", "[{", "not a plan file"),
    ("plan.txt", "account,region", "name a .csv or .json plan"),
    ("blank.csv", "account,region,resource_type,resource_id,creator,action\n1,,iam-role,r,c,tag\n", "row 1 has no region"),
])
def test_a_malformed_plan(report_duckdb, previous, tmp_path, name, body, needle):
    plan = tmp_path / name
    plan.write_text(body)
    assert_one_line_error(run("report", "--duckdb", report_duckdb, "--plan", plan, "-o", previous), "--plan", needle)
    _untouched(previous)


def test_an_output_that_cannot_be_written(report_duckdb, tmp_path):
    assert_one_line_error(run("report", "--duckdb", report_duckdb, "-o", tmp_path / "no" / "r.html"), "-o", "does not exist")
    (tmp_path / "file").write_text("x")
    assert_one_line_error(run("report", "--duckdb", report_duckdb, "-o", tmp_path / "file" / "r.html"), "-o", "is a file")
    assert_one_line_error(run("report", "--duckdb", report_duckdb, "-o", tmp_path), "-o")


def test_a_failed_write_leaves_the_previous_page(report_duckdb, previous, monkeypatch):
    """The page goes to a temporary file renamed into place: when that fails (a full disk),
    the old page stays and the temporary is removed."""
    from trailcreator.report import page

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(page.os, "replace", full_disk)
    assert_one_line_error(run("report", "--duckdb", report_duckdb, "-o", previous), "-o", "No space left")
    monkeypatch.undo()
    _untouched(previous)


def test_the_vendored_library_is_the_one_noted():
    """static/VENDORED.md names the version and hash of what is inlined."""
    import hashlib
    from importlib import resources

    static = resources.files("trailcreator.report").joinpath("static")
    note = static.joinpath("VENDORED.md").read_text()
    digest = hashlib.sha256(static.joinpath("chart.umd.min.js").read_bytes()).hexdigest()
    assert digest in note and "4.6.2" in static.joinpath("chart.umd.min.js").read_text()[:200]
    assert static.joinpath("chart.js-LICENSE.md").read_text().startswith("The MIT License")
