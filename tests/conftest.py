"""Shared fixtures: one moto server on loopback for the session, the AWS environment pointing
at it, one Trino server (started by the first test that needs it), workspaces in a session
folder, the CLI.

The tests talk HTTP to moto as the product talks to AWS (``AWS_ENDPOINT_URL``); nothing
reaches the network.  ``world`` resets moto and creates the two-account, two-region
resources of ``aws_world`` for a test that tags them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "runner"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# CI runs the property tests with a fixed seed, so a run fails only on a real change.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    # never pick up a developer's real AWS files or an instance role
    "AWS_CONFIG_FILE": "/nonexistent/trailcreator-tests/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/trailcreator-tests/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
UNSET_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION")

FAKE_KEY_ID = "AKIATESTFAKEKEY00001"
FAKE_SECRET = "fakeSecretDoNotLog/ABCDEFGHIJKLMNOPQRSTUVWX"


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    """A real HTTP endpoint for S3, STS, IAM, EC2... on 127.0.0.1; the product reaches it
    through the standard AWS_ENDPOINT_URL.  Its request recorder lets tests count requests."""
    from moto.server import ThreadedMotoServer

    os.environ["MOTO_ENABLE_RECORDING"] = "True"
    os.environ["MOTO_RECORDER_FILEPATH"] = str(tmp_path_factory.mktemp("moto") / "recording")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def trino_server(tmp_path_factory):
    """One real Trino coordinator on 127.0.0.1 for the session (tests/trino_server.py): its
    ``host``, ``port``, ``catalogs`` (memory, hive), ``warehouse``, ``query(sql)``.  Without
    Java >= 24 or the fetched server the test skips with one line saying what is missing;
    under CI=true that is a failure, so CI cannot pass without the engine."""
    import trino_server as ts

    reason = ts.missing()
    if reason:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"Trino: {reason}")
    server = ts.TrinoServer(tmp_path_factory.mktemp("trino")).start()
    print(f"\nTrino {server.version} started on {server.url} in {server.start_seconds:.1f} s")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_endpoint(moto_server):
    """The moto server, with the session's environment pointing at it and fake credentials."""
    saved = {k: os.environ.get(k) for k in list(FAKE_ENV) + list(UNSET_ENV) + ["AWS_ENDPOINT_URL"]}
    os.environ.update(FAKE_ENV, AWS_ENDPOINT_URL=moto_server)
    for k in UNSET_ENV:
        os.environ.pop(k, None)
    try:
        yield moto_server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def aws(moto_endpoint):
    """moto, with no c7n session cached from an earlier test."""
    from c7n.utils import reset_session_cache

    reset_session_cache()
    yield moto_endpoint
    reset_session_cache()


@pytest.fixture
def world(aws):
    """Resources in two fresh accounts x two regions, with a recorded creator for most of them."""
    import aws_world

    return aws_world.build()


@pytest.fixture
def world_a(aws):
    """Only account A's us-east-1 and IAM resources of ``world``: for tests of one tag run."""
    import aws_world

    return aws_world.build(aws_world.SMALL)


@pytest.fixture(autouse=True)
def _quiet_moto_log():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    yield


@pytest.fixture
def aws_env(moto_server, monkeypatch):
    """Environment pointing boto3 (and so DuckDB) at the moto server, with recognisable fake
    credentials; returns a boto3 session."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    import boto3

    return boto3.Session(region_name="us-east-1")


@pytest.fixture
def s3(aws_env):
    return aws_env.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """Workspaces (trailcreator.workspace) live in a folder of the test session, never in ~/.cache."""
    old = os.environ.get("TRAILCREATOR_CACHE_DIR")
    path = tmp_path_factory.mktemp("cache")
    os.environ["TRAILCREATOR_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("TRAILCREATOR_CACHE_DIR", None)
    else:
        os.environ["TRAILCREATOR_CACHE_DIR"] = old


@pytest.fixture
def project(tmp_path_factory):
    """A private copy of dbt_project/ (profiles.yml inside), for tests that run dbt on the
    project folder itself."""
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(ROOT / "dbt_project", home / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    return home


@pytest.fixture
def cli():
    """Run ``trailcreator ...`` through Click (``helpers.run``), expecting exit 0 unless told
    ``expect=N`` (or ``expect=None``: any); returns the result (exit_code, stdout, stderr)."""
    import functools

    import helpers

    return functools.partial(helpers.run, expect=0)


class MotoRecorder:
    """The requests the moto server received between start() and requests()."""

    def __init__(self, url):
        self.url = url

    def start(self):
        import requests

        requests.post(f"{self.url}/moto-api/recorder/reset-recording", timeout=10)
        requests.post(f"{self.url}/moto-api/recorder/start-recording", timeout=10)

    def requests(self) -> list[tuple[str, str]]:
        import requests

        text = requests.get(f"{self.url}/moto-api/recorder/download-recording", timeout=10).text
        requests.post(f"{self.url}/moto-api/recorder/stop-recording", timeout=10)
        out = []
        for line in text.splitlines():
            if line.strip():
                d = json.loads(line)
                out.append((d["method"], d["url"][len(self.url):]))
        return out


@pytest.fixture
def moto_recorder(moto_server):
    return MotoRecorder(moto_server)


def rows(db_path, sql, params=()):
    con = sqlite3.connect(db_path)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(sql, params).fetchall()]
    finally:
        con.close()

def creators(db):
    """(account, region, resource type, resource id) -> (creator, excluded_reason) of a creators database."""
    return {
        (r["account_id"], r["region"], r["resource_type"], r["resource_id"]): (r["creator"], r["excluded_reason"])
        for r in rows(db, "select * from resource_creators")
    }


@pytest.fixture(scope="session")
def report_duckdb(tmp_path_factory):
    """The DuckDB file of a load of ``report_files.write_report_trail`` (one load for the report's
    tests); copy it before changing it."""
    import helpers
    import report_files

    home = tmp_path_factory.mktemp("report")
    trail = report_files.write_report_trail(home / "trail")
    helpers.run("load", "--trail", trail, "--db", home / "creators.db", expect=0)
    return home / "creators.duckdb"
