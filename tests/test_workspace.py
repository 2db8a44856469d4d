"""The installed package is read-only at run time: each DuckDB file has its own workspace
(the project copy, the compiled map, dbt's target/ and logs/), loads on different databases
share nothing, a second run on the same database is refused in one line, and users run dbt
themselves through ``trailcreator dbt``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import trailgen as tg
from conftest import ROOT, rows
from helpers import assert_one_line_error, cli_command, write_map
from trailcreator.mapping import resource_map
from trailcreator.workspace import workspace

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)

S3_MAP = {"resources": [{"resource": "s3", "events": [
    {"event": "CreateBucket", "service": "s3.amazonaws.com", "ids": "requestParameters.bucketName"}]}]}
ROLE_MAP = {"resources": [{"resource": "iam-role", "events": [
    {"event": "CreateRole", "service": "iam.amazonaws.com", "ids": "requestParameters.roleName"}]}]}

EXPECTED_S3 = {("s3", "alpha-logs"): "alice", ("s3", "beta-logs"): "bob"}
EXPECTED_ROLE = {("iam-role", "deployer"): "alice"}


def small_trail(root: Path) -> str:
    trail = tg.Trail()
    alice = tg.identity_iam_user(A, "alice")
    bob = tg.identity_iam_user(A, "bob")
    e = tg.event
    trail.add([
        e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", alice, T0, {"bucketName": "alpha-logs"}, None),
        e(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", bob, T0, {"bucketName": "beta-logs"}, None),
        e(A, "us-east-1", "iam.amazonaws.com", "CreateRole", alice, T0, {"roleName": "deployer"}, None),
    ], tag="first")
    return trail.write_dir(str(root))


def sqlite_creators(db) -> dict:
    return {(r["resource_type"], r["resource_id"]): r["creator"] for r in rows(db, "select * from resource_creators")}


def duckdb_creators(path) -> dict:
    con = duckdb.connect(str(path))
    try:
        return {(t, i): c for t, i, c in con.execute("select resource_type, resource_id, creator from resource_creators").fetchall()}
    finally:
        con.close()


def tree_digest(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` (Python's byte-code caches aside), by content."""
    out = {}
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                out[str(p.relative_to(ROOT))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def trailcreator_process(*args, cwd, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        cli_command(*args), cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_tracked_generated_map_is_the_default_map_compiled(tmp_path):
    """The checkout's macros/generated/ is the shipped default map compiled (what a plain
    `dbt parse` or `dbt compile --target athena` in the checkout reads)."""
    resource_map.write_dbt_macros(resource_map.load(None), str(tmp_path))
    generated = ROOT / "dbt_project" / "macros" / "generated"
    ours = {p.name: p.read_text() for p in (tmp_path / "macros" / "generated").iterdir()}
    tracked = {p.name: p.read_text() for p in generated.iterdir() if p.is_file()}
    assert ours == tracked, "run: python -c 'from trailcreator.mapping import resource_map as m; m.write_dbt_macros(m.load(None), \"dbt_project\")'"


def test_workspace_per_database_and_checkout_unchanged(cli, tmp_path, _cache_dir):
    trail = small_trail(tmp_path / "trail")
    before = tree_digest(ROOT / "dbt_project", ROOT / "runner")
    cli("load", "--trail", trail, "--db", tmp_path / "one.db", "--resource-map", write_map(tmp_path / "s3.json", S3_MAP))
    assert sqlite_creators(tmp_path / "one.db") == EXPECTED_S3
    assert tree_digest(ROOT / "dbt_project", ROOT / "runner") == before

    ws = workspace.Workspace.for_duckdb(str(tmp_path / "one.duckdb"))
    assert ws.root.parent == _cache_dir / "workspaces"
    assert ws.root.name.startswith("one.duckdb-")
    assert (ws.target / "partial_parse.msgpack").is_file()
    assert (ws.logs / "dbt.log").is_file()
    assert "'s3.amazonaws.com'" in ws.generated_macros.read_text()
    assert "iam.amazonaws.com" not in ws.generated_macros.read_text()
    assert json.loads(ws.map_copy.read_text()) == S3_MAP
    assert list(ws.checks.iterdir())  # the map's c7n check is remembered in the workspace
    # the same file name in another folder is another database: another workspace
    other = workspace.Workspace.for_duckdb(str(tmp_path / "elsewhere" / "one.duckdb"))
    assert other.root != ws.root


def test_two_loads_at_once_with_different_maps(tmp_path):
    """Two processes, two maps, two databases: each gets its own rows, and the checkout stays as it was."""
    trail = small_trail(tmp_path / "trail")
    s3_map = write_map(tmp_path / "s3.json", S3_MAP)
    role_map = write_map(tmp_path / "role.json", ROLE_MAP)
    before = tree_digest(ROOT / "dbt_project", ROOT / "runner")
    procs = [
        trailcreator_process("load", "--trail", trail, "--db", tmp_path / "s3.db", "--resource-map", s3_map, cwd=tmp_path),
        trailcreator_process("load", "--trail", trail, "--db", tmp_path / "role.db", "--resource-map", role_map, cwd=tmp_path),
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    assert sqlite_creators(tmp_path / "s3.db") == EXPECTED_S3
    assert sqlite_creators(tmp_path / "role.db") == EXPECTED_ROLE
    assert duckdb_creators(tmp_path / "s3.duckdb") == EXPECTED_S3
    assert duckdb_creators(tmp_path / "role.duckdb") == EXPECTED_ROLE
    assert tree_digest(ROOT / "dbt_project", ROOT / "runner") == before


def test_second_run_on_the_same_database_is_busy(cli, tmp_path):
    """Another trailcreator run holds the database's workspace: one line, exit 1, nothing read."""
    trail = small_trail(tmp_path / "trail")
    duck = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom trailcreator.workspace.workspace import Workspace\n"
         f"with Workspace.for_duckdb({str(duck)!r}).lock():\n"
         "    print('held', flush=True)\n    sys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for args in (("load", "--trail", trail, "--db", tmp_path / "busy.db"),
                     ("dbt", "--duckdb", duck, "--", "ls"),
                     ("compile-map", "--duckdb", duck)):
            result = cli(*args, expect=1)
            assert result.stderr.strip().splitlines() == [
                f"Error: the database {duck} is busy: another trailcreator run is using it (pid {holder.pid}); "
                "wait for it to finish"], args
        assert not (tmp_path / "busy.db").exists() and not duck.exists()
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=60)
    cli("load", "--trail", trail, "--db", tmp_path / "busy.db")  # released: the next run goes ahead


def test_database_held_by_another_program_is_busy(cli, tmp_path):
    """A DuckDB shell or notebook holding the file: dbt cannot open it, and says so in one line."""
    trail = small_trail(tmp_path / "trail")
    duck = tmp_path / "held.duckdb"
    duckdb.connect(str(duck)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys\nc = duckdb.connect({str(duck)!r})\nprint('held', flush=True)\nsys.stdin.readline()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        result = cli("load", "--trail", trail, "--db", tmp_path / "held.db", expect=1)
        assert_one_line_error(result, f"{duck} is busy", alone=True)
        # the same through the dbt pass-through, where dbt itself meets the lock
        result = cli("dbt", "--duckdb", duck, "--", "run", "--select", "stg_resource_map__entries", expect=None)
        assert result.exit_code != 0 and "Could not set lock" in result.stdout
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=60)


def test_workspace_follows_the_installed_project(tmp_path):
    """A workspace whose copy differs from the installed project (an upgrade) is copied again,
    whole; one that matches is left alone."""
    ws = workspace.Workspace.for_duckdb(str(tmp_path / "w.duckdb")).prepare()
    stamp = (ws.project / workspace.HASH_FILE).read_text()
    assert workspace.project_sha256(ws.project) == workspace.project_sha256(workspace.packaged_project())
    (ws.project / "models" / "stray.sql").write_text("select 1")
    ws.prepare()
    assert (ws.project / "models" / "stray.sql").exists()  # same stamp: not copied again
    (ws.project / workspace.HASH_FILE).write_text("an older release\n")
    ws.target.mkdir(exist_ok=True)
    (ws.target / "partial_parse.msgpack").write_bytes(b"old")
    ws.prepare()
    assert not (ws.project / "models" / "stray.sql").exists()
    assert (ws.project / workspace.HASH_FILE).read_text() == stamp
    assert not (ws.target / "partial_parse.msgpack").exists()
    assert sorted(p.name for p in ws.root.iterdir() if ".tmp-" in p.name or ".old-" in p.name) == []


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temporaries_of_a_killed_run_are_removed(cli, tmp_path):
    trail = small_trail(tmp_path / "trail")
    out = tmp_path / "out"
    out.mkdir()
    gone = dead_pid()
    running = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    stale = [out / f".c.db.tmp-{gone}", out / f".c.db.tmp-{gone}-journal",
             out / f".c.db.tmp-{os.getpid()}"]  # this pid's, left by a killed run before it was reused
    live = out / f".c.db.tmp-{running.pid}"  # a run still going keeps its file
    other = out / f".other.db.tmp-{gone}"  # another database's: not ours to judge
    for p in [*stale, live, other]:
        p.write_bytes(b"partial")
    ws = workspace.Workspace.for_duckdb(str(out / "c.duckdb"))
    ws.root.mkdir(parents=True)
    (ws.root / f"project.tmp-{gone}").mkdir()
    (ws.root / f"resource_map.json.tmp-{gone}").write_text("{")
    try:
        cli("load", "--trail", trail, "--db", out / "c.db")
    finally:
        running.stdin.close()
        running.wait(timeout=60)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == sorted([live.name, other.name])
    assert sqlite_creators(out / "c.db")
    assert not (ws.root / f"project.tmp-{gone}").exists()
    assert not (ws.root / f"resource_map.json.tmp-{gone}").exists()


@pytest.mark.parametrize("where", ["missing", "under_file"])
@pytest.mark.parametrize("option", ["--db", "--duckdb"])
def test_output_paths_checked_before_reading(cli, s3, moto_recorder, tmp_path, option, where):
    """An output in a missing folder, or under a regular file, fails in one line before the trail is read."""
    trail = tg.Trail()
    trail.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"), T0,
                        {"bucketName": "alpha-logs"}, None)])
    s3.create_bucket(Bucket="outputs-checked")
    url = trail.write_s3(s3, "outputs-checked")
    (tmp_path / "plain-file").write_text("not a folder")
    bad = tmp_path / "no" / "such" / "x.out" if where == "missing" else tmp_path / "plain-file" / "x.out"
    args = ["load", "--trail", url, "--db", tmp_path / "ok.db"]
    args += [option, bad] if option == "--duckdb" else []
    if option == "--db":
        args[4] = bad
    moto_recorder.start()
    result = cli(*args, expect=1)
    requests = moto_recorder.requests()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    reason = "does not exist" if where == "missing" else f"{tmp_path / 'plain-file'} is a file, not a folder"
    assert lines[0].startswith(f"Error: {option} {bad}: ") and reason in lines[0]
    assert requests == []  # not one request to S3: nothing was listed or read
    assert not (tmp_path / "ok.db").exists()


def test_duckdb_option_that_is_a_sqlite_file(cli, tmp_path):
    trail = small_trail(tmp_path / "trail")
    cli("load", "--trail", trail, "--db", tmp_path / "c.db")
    result = cli("load", "--trail", trail, "--db", tmp_path / "d.db", "--duckdb", tmp_path / "c.db", expect=1)
    assert result.stderr.strip().splitlines() == [
        f"Error: --duckdb {tmp_path / 'c.db'}: is a SQLite database, not DuckDB (the --db file of `trailcreator load`?); "
        "give the .duckdb file"]


def test_compile_map_never_writes_into_the_package(cli, tmp_path):
    before = tree_digest(ROOT / "dbt_project", ROOT / "runner")
    role_map = write_map(tmp_path / "role.json", ROLE_MAP)
    result = cli("compile-map", role_map)
    assert "checked only: nothing written" in result.stdout
    result = cli("compile-map", role_map, "--duckdb", tmp_path / "c.duckdb")
    assert f"written to the workspace of {tmp_path / 'c.duckdb'}" in result.stdout
    ws = workspace.Workspace.for_duckdb(str(tmp_path / "c.duckdb"))
    assert "iam.amazonaws.com" in ws.generated_macros.read_text()
    assert not (tmp_path / "c.duckdb").exists()  # compiling opens no database
    mine = tmp_path / "myproject"
    (mine / "macros" / "generated").mkdir(parents=True)
    cli("compile-map", role_map, "--project-dir", mine)
    assert (mine / "macros" / "generated" / "resource_map.sql").read_text() == ws.generated_macros.read_text()
    assert tree_digest(ROOT / "dbt_project", ROOT / "runner") == before


def test_dbt_passthrough_builds_in_the_workspace(cli, tmp_path):
    """`trailcreator dbt --duckdb FILE -- build --vars ...`: a real dbt build of a local trail,
    with the map given, then remembered; dbt's exit code comes back."""
    trail = small_trail(tmp_path / "trail")
    duck = tmp_path / "mine.duckdb"
    role_map = write_map(tmp_path / "role.json", ROLE_MAP)
    before = tree_digest(ROOT / "dbt_project", ROOT / "runner")
    vars_ = json.dumps({"trail": trail, "start_date": "2024-05-01", "end_date": "2024-05-01"})

    result = cli("dbt", "--duckdb", duck, "--resource-map", role_map, "--", "build", "--vars", vars_)
    assert "Completed successfully" in result.stdout
    assert " unit_test " in result.stdout  # the project's unit tests run here (a load leaves them out)
    assert duckdb_creators(duck) == EXPECTED_ROLE

    # without --resource-map: the map this database was last compiled with
    cli("dbt", "--duckdb", duck, "--", "build", "--full-refresh", "--vars", vars_)
    assert duckdb_creators(duck) == EXPECTED_ROLE
    # ... and a load with another map changes what the next `trailcreator dbt` uses
    cli("load", "--trail", trail, "--db", tmp_path / "mine.db", "--duckdb", duck,
        "--resource-map", write_map(tmp_path / "s3.json", S3_MAP), "--full-refresh")
    cli("dbt", "--duckdb", duck, "--", "build", "--full-refresh", "--vars", vars_)
    assert duckdb_creators(duck) == EXPECTED_S3

    listed = cli("dbt", "--duckdb", duck, "--", "ls", "--resource-type", "model", "--output", "name").stdout.split()
    assert "resource_creators" in listed and "stg_cloudtrail__objects" in listed
    failed = cli("dbt", "--duckdb", duck, "--", "run-operation", "no_such_macro", expect=2)
    assert "no_such_macro" in failed.stdout
    ws = workspace.Workspace.for_duckdb(str(duck))
    assert (ws.target / "run_results.json").is_file()
    assert tree_digest(ROOT / "dbt_project", ROOT / "runner") == before


def test_dbt_passthrough_needs_a_command(cli, tmp_path):
    result = cli("dbt", "--duckdb", tmp_path / "x.duckdb", expect=1)
    assert result.stderr.strip().splitlines() == [
        "Error: give the dbt command after --, e.g. trailcreator dbt --duckdb creators.duckdb -- build"]


@pytest.mark.parametrize("command", [
    ["load-athena", "--region", "us-east-1", "--table", "cloudtrail_logs"],
    ["export-athena", "--region", "us-east-1"],
])
def test_athena_commands_check_outputs_before_asking_athena(cli, tmp_path, monkeypatch, command):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # a closed port: any AWS call would fail otherwise
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTFAKEKEY00001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    (tmp_path / "plain-file").write_text("not a folder")
    bad = tmp_path / "plain-file" / "x.db"
    result = cli(*command, "--db", bad, expect=1)
    assert result.stderr.strip().splitlines() == [
        f"Error: --db {bad}: {tmp_path / 'plain-file'} is a file, not a folder"]
