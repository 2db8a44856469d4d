"""The report page in a real browser: headless Chromium from Debian's packages, driven by
Selenium through chromedriver.  Each test opens the written file (file://, nothing served),
checks the console is clean, compares what the page shows with the same SQL run on the DuckDB
file, and leaves a screenshot of the page in its temporary folder (page.png).

Without chromium and chromedriver the tests are skipped, except under CI=true, where they fail
(.ci/run installs both: scripts/browser.sh)."""

from __future__ import annotations

import os

import duckdb
import pytest

from helpers import run
from report_files import (A, MARKUP, PLAN_ROWS, chromium, chromium_paths, full_page_png, open_report,
                          synthesize_resources, write_plan)

if chromium_paths() is None:
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but chromium or chromedriver is missing: run scripts/browser.sh", pytrace=False)
    pytest.skip("chromium and chromedriver are not installed (scripts/browser.sh)", allow_module_level=True)

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, tmp_path):
    """Open a report; after the test, its screenshot and a clean console."""
    def show(path):
        browser.get_log("browser")  # drop what an earlier page logged
        open_report(browser, path)
        return browser

    yield show
    full_page_png(browser, tmp_path / "page.png")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def q(duckdb_path, sql):
    con = duckdb.connect(str(duckdb_path))  # the load ran in this process: the same configuration
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def text(driver, css):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]


def table_rows(driver, name):
    rows = driver.find_elements(By.CSS_SELECTOR, f'table[data-table="{name}"] tbody tr')
    return [[td.get_attribute("textContent") for td in r.find_elements(By.TAG_NAME, "td")] for r in rows]


def number(s: str) -> int:
    return int(s.replace(",", ""))


@pytest.fixture(scope="module")
def report_with_plan(report_duckdb, tmp_path_factory):
    home = tmp_path_factory.mktemp("browser-report")
    plan = write_plan(home / "plan.csv")
    run("report", "--duckdb", report_duckdb, "--plan", plan, "-o", home / "report.html", expect=0)
    return home / "report.html", plan


def test_the_page_shows_the_models_figures(page, report_with_plan, report_duckdb):
    driver = page(report_with_plan[0])
    figure = {e.get_attribute("data-figure"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-figure]")}
    (ok, skipped, scanned, kept, unusable), = q(report_duckdb, """select count(*) filter (where status = 'ok'),
        count(*) filter (where status <> 'ok'), sum(records_scanned), sum(records_kept), sum(records_unusable)
        from stg_cloudtrail__objects""")
    assert [number(figure[k]) for k in ("objects_read", "objects_skipped", "records_scanned", "records_kept",
                                         "records_unusable")] == [ok, skipped, scanned, kept, unusable]
    (events, first, last), = q(report_duckdb, """select count(*), strftime(min(event_time), '%Y-%m-%dT%H:%M:%SZ'),
        strftime(max(event_time), '%Y-%m-%dT%H:%M:%SZ') from stg_cloudtrail__events""")
    assert (number(figure["create_events"]), figure["first_event"], figure["last_event"]) == (events, first, last)
    (resources, with_creator), = q(report_duckdb, "select count(*), count(creator) from resource_creators")
    assert (number(figure["resources"]), number(figure["resources_with_creator"])) == (resources, with_creator)

    cells = {e.get_attribute("data-cell"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "td[data-cell]")}
    assert cells == {f"{a}|{r}|{t}": f"{c} / {n}" for a, r, t, c, n in q(report_duckdb, """
        select account_id, region, resource_type, count(creator), count(*) from resource_creators group by all""")}

    shown_via = [(row[0], number(row[1])) for row in table_rows(driver, "via")]
    assert shown_via == q(report_duckdb, """select coalesce(split_part(via, ':', 1), 'principal'), count(*)
        from resource_creators where creator is not null group by 1 order by 2 desc, 1""")
    assert table_rows(driver, "top")[0][:2] == ["alice", "3"]
    assert table_rows(driver, "exclusions") == [["aws-service", "excluded", "iam-role", "1"]]

    plan = {e.get_attribute("data-figure"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "#plan-cards [data-figure]")}
    actions = [r[5] for r in PLAN_ROWS]
    carry = sum(a in ("has-tag", "would-tag", "tag") for a in actions)
    assert (number(plan["plan_population"]), number(plan["plan_will_carry"])) == (len(PLAN_ROWS), carry)
    assert plan["plan_share"] == f"{round(100 * carry / len(PLAN_ROWS), 1)} %"
    iam = [r for r in table_rows(driver, "plan") if r[:3] == [A, "us-east-1", "iam-role"]]
    assert iam == [[A, "us-east-1", "iam-role", "5", "1", "2", "0", "1", "0", "1", "0"]]


def test_the_audit_search_finds_a_resource(page, report_with_plan, report_duckdb):
    driver = page(report_with_plan[0])
    assert driver.find_element(By.ID, "audit-count").text == "7 resources"
    search = driver.find_element(By.ID, "audit-search")
    search.send_keys("deployed-role")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "audit-count").get_attribute("data-shown") == "1")
    assert driver.find_element(By.ID, "audit-count").text == "1 of 7 resources"
    (row,) = driver.find_elements(By.CSS_SELECTOR, ".vt-row")
    shown = {c.get_attribute("data-col"): c.text for c in row.find_elements(By.CSS_SELECTOR, "span")}
    (expect,) = q(report_duckdb, """select resource_type, resource_id, account_id, region, creator, via_path,
        strftime(event_time, '%Y-%m-%dT%H:%M:%SZ'), event_id from resource_creators where resource_id = 'deployed-role'""")
    assert tuple(shown[k] for k in ("resource_type", "resource_id", "account_id", "region", "creator", "via_path",
                                    "event_time", "event_id")) == expect
    assert expect[4] == "alice" and expect[5] == "assume-role"


def test_markup_in_the_data_shows_as_text(page, report_with_plan, tmp_path):
    """A resource id (from the trail) and a creator (written into the table: a load cleans tag
    values, so a file from elsewhere) that are `<script>alert(1)</script>` show as that text."""
    db = synthesize_resources(str(tmp_path / "markup.duckdb"), 50)
    con = duckdb.connect(db)
    con.execute("update resource_creators set creator = ? where creator is not null", [MARKUP])
    con.close()
    run("report", "--duckdb", db, "-o", tmp_path / "markup.html", expect=0)
    for path, column in ((tmp_path / "markup.html", "creator"), (report_with_plan[0], "resource_id")):
        driver = page(path)
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text
        assert len(driver.find_elements(By.TAG_NAME, "script")) == 3  # the data, Chart.js, the page's own
        driver.find_element(By.ID, "audit-search").send_keys("alert(1)")
        WebDriverWait(driver, 10).until(
            lambda d: d.find_element(By.ID, "audit-count").get_attribute("data-shown") not in (None, "7", "50"))
        cells = text(driver, f'.vt-row span[data-col="{column}"]')
        assert cells and set(cells) == {MARKUP}
    assert table_rows(driver, "plan-failed")  # the second page is the one with the plan
    assert [r[0] for r in table_rows(page(tmp_path / "markup.html"), "top")] == [MARKUP]


def test_a_report_of_100000_resources_opens_and_its_table_scrolls(page, tmp_path):
    db = synthesize_resources(str(tmp_path / "big.duckdb"), 100_000)
    run("report", "--duckdb", db, "-o", tmp_path / "big.html", expect=0)
    driver = page(tmp_path / "big.html")
    assert driver.find_element(By.ID, "audit-count").text == "100,000 resources"
    assert len(driver.find_elements(By.CSS_SELECTOR, ".vt-row")) < 100  # the rows in view, not 100,000

    body = driver.find_element(By.CSS_SELECTOR, "#audit-table .vt-body")
    driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", body)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, '.vt-row[data-row="99999"]'))
    last = driver.find_element(By.CSS_SELECTOR, '.vt-row[data-row="99999"] span[data-col="resource_id"]')
    (in_order,), = q(db, """select resource_id from resource_creators
        order by account_id desc, region desc, resource_type desc, resource_id desc limit 1""")
    assert last.text == in_order
    assert len(driver.find_elements(By.CSS_SELECTOR, ".vt-row")) < 100

    header = driver.find_element(By.CSS_SELECTOR, '.vt-head button[data-col="resource_id"]')
    header.click()
    header.click()  # descending
    first = driver.find_element(By.CSS_SELECTOR, '.vt-row[data-row="0"] span[data-col="resource_id"]')
    assert first.text == q(db, "select max(resource_id) from resource_creators")[0][0]
