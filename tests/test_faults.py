"""The load under faults: throttling, 5xx, cut bodies, credentials that expire or are refused,
failing listings.  Nothing is lost, nothing partial is reported as success, and a rerun ends
identical to a clean load.

S3 here is ``s3_faults.FaultyS3`` (a model of S3 serving a local trail folder, with faults
decided by a seeded hash of key and attempt); STS is the moto server.  botocore's backoff and
the fetcher's own are shortened to milliseconds: the attempts are real, the waits are not.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

import trailgen as tg
from conftest import rows
from helpers import assert_one_line_error
from s3_faults import Faults, FaultyS3

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)
BUCKET = "fault-trail"
N_OBJECTS = 40
ROWS = "select * from resource_creators order by account_id, region, resource_type, resource_id"


def _trail(root) -> str:
    """N_OBJECTS delivery files over two days, two records each (a bucket and a role)."""
    t = tg.Trail()
    for i in range(N_OBJECTS):
        when = T0 + dt.timedelta(hours=i)
        who = tg.identity_iam_user(A, f"user{i % 5}")
        t.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", who, when, {"bucketName": f"bucket-{i:03d}"}, None),
               tg.event(A, "us-east-1", "iam.amazonaws.com", "CreateRole", who, when, {"roleName": f"role-{i:03d}"}, None)],
              tag=f"o{i:03d}")
    return t.write_dir(str(root))


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    return _trail(tmp_path_factory.mktemp("faults") / "trail")


@pytest.fixture(scope="module")
def clean(trail, tmp_path_factory):
    """resource_creators of a clean load of the same trail (from the folder)."""
    from helpers import run

    db = tmp_path_factory.mktemp("clean") / "clean.db"
    run("load", "--trail", trail, "--db", db, expect=0)
    got = rows(db, ROWS)
    assert len(got) == 2 * N_OBJECTS
    return got


@pytest.fixture
def faulty(trail, aws_env, monkeypatch):
    """A FaultyS3 over the trail, S3 calls pointed at it (STS stays on moto), backoffs short.
    ``faulty.faults = Faults(...)`` sets what it injects."""
    from botocore.retries import standard

    from trailcreator.ingest import s3

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.001)  # the listing's
    monkeypatch.setattr(s3, "FETCH_BACKOFF", 0.001)
    with FaultyS3(trail, BUCKET) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.url)
        yield server


@pytest.fixture(params=["in-process", "workers"])
def mode(request, monkeypatch):
    """Both read paths: fetch and scan in the command's process, or fetcher threads feeding
    spawned worker processes (normally only past 8 MiB of objects)."""
    from trailcreator.ingest import reader

    if request.param == "workers":
        monkeypatch.setattr(reader, "IN_PROCESS_BYTES", 0)
    return request.param


def load(*extra, db, expect=None):
    from helpers import run

    return run("load", "--trail", f"s3://{BUCKET}", "--db", db, *extra, expect=expect)


def last_line(result) -> str:
    return result.stderr.strip().splitlines()[-1]


# --- retried until they succeed ---------------------------------------------------------------


def test_throttling_5xx_and_cut_bodies_are_retried_until_the_load_is_whole(faulty, clean, tmp_path, mode):
    faulty.faults = Faults(slowdown=0.2, error500=0.1, cut=0.1)
    keys = [k for k in faulty.keys if "/CloudTrail/" in k]
    deep = [k for k in keys if max(faulty.faults.leading_failures(kind, k) for kind in ("slowdown", "error500")) >= 3]
    assert deep, "some object must fail three times in a row (botocore's old 3 attempts lose it)"
    assert any(faulty.faults.leading_failures("cut", k) for k in keys)
    db = tmp_path / "c.db"
    result = load(db=db, expect=0)
    assert f"objects read:{N_OBJECTS} skipped:0" in result.stderr
    assert rows(db, ROWS) == clean
    inj = faulty.injected.counts
    assert inj.get("slowdown") and inj.get("error500") and inj.get("cut"), inj
    assert "Traceback" not in result.stderr


# --- still failing after the retries ------------------------------------------------------------


def test_objects_still_failing_are_named_the_db_is_kept_and_the_rerun_reads_only_them(faulty, clean, tmp_path, mode):
    from trailcreator.ingest import s3

    db = tmp_path / "c.db"
    load(db=db, expect=0)                      # a complete --db
    before = db.read_bytes()
    bad = sorted(k for k in faulty.keys if "/CloudTrail/" in k)[3:5]
    faulty.faults = Faults(always=frozenset(bad))
    gets_before = faulty.injected.gets[bad[0]]
    first = load("--full-refresh", db=db, expect=None)
    assert_one_line_error(first, "2 objects could not be fetched", "was not replaced", "run again")
    for key in bad:
        line = next(l for l in first.stderr.splitlines() if key in l)
        assert "skipped object:" in line and "could not be fetched after" in line and "SlowDown" in line, line
    assert faulty.injected.gets[bad[0]] - gets_before == s3.FETCH_ATTEMPTS
    assert db.read_bytes() == before

    faulty.heal()
    second = load(db=db, expect=0)
    assert "objects read:2 skipped:0" in second.stderr
    assert rows(db, ROWS) == clean


def test_a_first_load_with_objects_missing_writes_no_db(faulty, clean, tmp_path):
    db = tmp_path / "c.db"
    faulty.faults = Faults(always=frozenset(sorted(k for k in faulty.keys if "/CloudTrail/" in k)[:1]))
    first = load(db=db, expect=None)
    assert_one_line_error(first, "1 object could not be fetched", "was not written")
    assert not db.exists()
    faulty.heal()
    load(db=db, expect=0)
    assert rows(db, ROWS) == clean


# --- credentials --------------------------------------------------------------------------------


@pytest.mark.parametrize("fault,code", [("expire_after", "ExpiredToken"), ("deny_after", "AccessDenied")])
def test_credentials_failing_mid_load_stop_it_and_the_next_run_continues(faulty, clean, tmp_path, mode, fault, code):
    db = tmp_path / "c.db"
    load(db=db, expect=0)
    before = db.read_bytes()
    faulty.faults = Faults(**{fault: 15})
    first = load("--full-refresh", db=db, expect=None)
    assert_one_line_error(first, "the load stopped", code, "arn:aws:sts::123456789012:", "still unread",
                          "the next run reads only what is left")
    assert "skipped object:" not in first.stderr     # not 25 bad objects: one fault of the run
    assert db.read_bytes() == before                 # --full-refresh did not replace a complete --db
    refused = faulty.injected.counts[code]
    assert refused == 1 if mode == "in-process" else refused <= 2 * 64  # stopped at once: only what was in flight

    line = last_line(first)
    unread = int(line.split(" of the ")[0].rsplit(" ", 1)[1])
    assert (unread == N_OBJECTS - 15) if mode == "in-process" else (N_OBJECTS - 15 <= unread <= N_OBJECTS)
    faulty.heal()
    second = load(db=db, expect=0)
    assert f"{unread} to read" in second.stderr
    assert rows(db, ROWS) == clean


def test_a_long_load_across_credential_renewals(faulty, clean, tmp_path, monkeypatch):
    """--assume (moto's STS): each key S3 accepts for 8 requests only; the refreshable
    credentials renew every 8 uses (their refresh is forced by use, not by the clock), so the
    load needs five renewals and completes.  The same S3 without renewals stops the load."""
    from trailcreator import aws, cli

    limit = 8
    refreshes = []

    def renewing_session(profile=None, assume=None, region=None):
        session = aws.user_session(profile, assume, region)
        creds = session._session._credentials           # the RefreshableCredentials of aws._assume
        uses = {"n": 0}
        fetch, frozen = creds._refresh_using, creds.get_frozen_credentials

        def refresh():
            uses["n"] = 0
            refreshes.append(1)
            return fetch()

        def get_frozen():
            uses["n"] += 1
            return frozen()

        creds._refresh_using = refresh
        creds.refresh_needed = lambda refresh_in=None: uses["n"] >= limit
        creds.get_frozen_credentials = get_frozen
        return session

    role = "arn:aws:iam::123456789012:role/trail-reader"
    db = tmp_path / "c.db"
    faulty.faults = Faults(key_limit=limit)
    monkeypatch.setattr(cli, "user_session", renewing_session)
    load("--assume", role, db=db, expect=0)
    assert rows(db, ROWS) == clean
    assert len(refreshes) >= N_OBJECTS // limit
    assert len([k for k, n in faulty.injected.key_ids.items() if n]) >= N_OBJECTS // limit

    monkeypatch.setattr(cli, "user_session", aws.user_session)   # renewed by the clock only: not in this load
    stopped = load("--assume", role, "--full-refresh", db=tmp_path / "d.db", expect=None)
    assert_one_line_error(stopped, "ExpiredToken", "stopped")


# --- listing ------------------------------------------------------------------------------------


def test_a_listing_page_failing_a_few_times_is_retried(faulty, clean, tmp_path):
    faulty.faults = Faults(list_fail=(f"AWSLogs/{A}/CloudTrail/us-east-1/2024/05/", 3))
    db = tmp_path / "c.db"
    load(db=db, expect=0)
    assert faulty.injected.counts["list"] == 3
    assert rows(db, ROWS) == clean


@pytest.mark.parametrize("error,needles", [
    ((503, "SlowDown"), ["listing s3://fault-trail/AWSLogs/", "failed after 10 attempts", "SlowDown", "run again"]),
    ((400, "ExpiredToken"), ["listing the trail stopped", "ExpiredToken", "arn:aws:sts::123456789012:"]),
])
def test_a_listing_that_keeps_failing_is_one_line_and_the_db_is_kept(faulty, clean, tmp_path, error, needles):
    db = tmp_path / "c.db"
    load(db=db, expect=0)
    before = db.read_bytes()
    faulty.faults = Faults(list_fail=(f"AWSLogs/{A}/CloudTrail/us-east-1/", 1000), list_error=error)
    result = load("--full-refresh", db=db, expect=None)
    assert_one_line_error(result, *needles)
    assert db.read_bytes() == before
    faulty.heal()
    load(db=db, expect=0)
    assert rows(db, ROWS) == clean


def test_no_traceback_for_an_unexpected_error_without_v(monkeypatch, tmp_path, trail):
    from helpers import run
    from trailcreator.ingest import reader

    def broken(*a, **kw):
        raise ValueError("something nobody foresaw\nsecond line")

    monkeypatch.setattr(reader, "ingest", broken)
    result = run("load", "--trail", trail, "--db", tmp_path / "c.db", expect=None)
    assert_one_line_error(result, "ValueError: something nobody foresaw", "-v")
    with pytest.raises(ValueError):
        run("-v", "load", "--trail", trail, "--db", tmp_path / "c.db", expect=None)
    assert not os.path.exists(tmp_path / "c.db")


def test_a_dbt_build_with_objects_missing_fails_and_keeps_the_models(faulty, clean, tmp_path):
    """The pass-through's `dbt build` reads the trail in its first model: an object that could
    not be fetched fails that model (exit 1), the later models keep what they held, and the
    next build reads only that object."""
    from helpers import run

    duck = tmp_path / "c.duckdb"
    build = ("dbt", "--duckdb", duck, "--", "build", "--vars", f"{{trail: 's3://{BUCKET}'}}")
    bad = sorted(k for k in faulty.keys if "/CloudTrail/" in k)[:1]
    faulty.faults = Faults(always=frozenset(bad))
    first = run(*build, expect=None)
    assert first.exit_code == 1
    assert "1 object(s) could not be fetched" in first.stdout + first.stderr
    import duckdb

    with duckdb.connect(str(duck)) as con:
        assert not con.execute("select count(*) from information_schema.tables "
                               "where table_name = 'resource_creators'").fetchone()[0]
        assert con.execute("select count(*) from ingest.objects where status = 'ok'").fetchone()[0] == N_OBJECTS - 1
    faulty.heal()
    second = run(*build, expect=0)
    assert "objects read:1 " in second.stderr
    with duckdb.connect(str(duck)) as con:
        got = con.execute(ROWS).fetchall()
    assert len(got) == len(clean)
