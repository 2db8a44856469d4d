"""The reader: exact S3 keys, unreadable objects retried, unusable records counted, regions of
every partition, and a load killed with SIGKILL resumes where its last batch committed."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import duckdb
import pytest

import trailgen as tg
from conftest import rows
from helpers import cli_command

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9)
ODD_TAGS = ["sq[uare]", "star*", "quest?", "br{ace}", "back\\slash", "a space", "ünïcødé-ключ", "plain"]


def bucket_event(name: str, when=T0, region="us-east-1", **extra) -> dict:
    rec = tg.event(A, region, "s3.amazonaws.com", "CreateBucket", tg.identity_iam_user(A, "alice"), when,
                   {"bucketName": name}, None)
    rec.update(extra)
    return rec


def ledger(duckdb_path) -> list[tuple]:
    con = duckdb.connect(str(duckdb_path))
    try:
        return con.execute("select object_key, status, error, records_kept, records_unusable, unusable_reasons, run_id "
                           "from stg_cloudtrail__objects order by 1").fetchall()
    finally:
        con.close()


def test_s3_keys_with_glob_characters_spaces_and_unicode_are_read_exactly(cli, s3, tmp_path):
    t = tg.Trail()
    keys = {}
    for i, tag in enumerate(ODD_TAGS):
        key = t.key(A, "us-east-1", T0, "x").replace("_" + "x" * 16 + ".json.gz", f"_{tag}.json.gz")
        keys[tag] = key
        t.files[key] = [bucket_event(f"bucket-{i}")]
    s3.create_bucket(Bucket="odd-keys")
    url = t.write_s3(s3, "odd-keys")
    db = tmp_path / "c.db"
    result = cli("load", "--trail", url, "--db", db)
    assert f"objects read:{len(ODD_TAGS)} skipped:0" in result.stderr
    assert {r["resource_id"] for r in rows(db, "select resource_id from resource_creators")} == {
        f"bucket-{i}" for i in range(len(ODD_TAGS))}
    assert {k for k, *_ in ledger(tmp_path / "c.duckdb")} == {f"s3://odd-keys/{k}" for k in keys.values()}


def test_an_object_gone_before_its_get_is_named_and_read_at_the_next_run(cli, s3, tmp_path, monkeypatch):
    """Listed, then deleted before the GET (a lifecycle rule, say): named, not fatal, tried again."""
    from trailcreator.ingest import listing as trail_mod

    t = tg.Trail()
    t.add([bucket_event("stays")], tag="stays")
    gone = t.add([bucket_event("comes-back")], tag="gone")
    s3.create_bucket(Bucket="flaky-trail")
    url = t.write_s3(s3, "flaky-trail")
    real = trail_mod.iter_objects

    def list_then_delete(*a, **kw):
        yield from real(*a, **kw)
        s3.delete_object(Bucket="flaky-trail", Key=gone)

    monkeypatch.setattr(trail_mod, "iter_objects", list_then_delete)
    db = tmp_path / "c.db"
    result = cli("load", "--trail", url, "--db", db)
    assert "objects read:1 skipped:1" in result.stderr and "NoSuchKey" in result.stderr and gone in result.stderr
    assert [r["resource_id"] for r in rows(db, "select resource_id from resource_creators")] == ["stays"]

    monkeypatch.setattr(trail_mod, "iter_objects", real)
    s3.put_object(Bucket="flaky-trail", Key=gone, Body=t.blobs()[gone])
    result = cli("load", "--trail", url, "--db", db)
    assert "objects read:1 skipped:0" in result.stderr
    assert sorted(r["resource_id"] for r in rows(db, "select resource_id from resource_creators")) == ["comes-back", "stays"]


def test_records_that_cannot_be_used_are_counted_and_named(cli, tmp_path):
    t = tg.Trail()
    no_time = bucket_event("no-time")
    del no_time["eventTime"]
    key = t.add([bucket_event("good"), no_time, bucket_event("bad-time", eventTime="2024-05-01 09:00")], tag="mixed")
    root = t.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    result = cli("load", "--trail", root, "--db", db)
    assert "create events kept:1 unusable:2 " in result.stderr
    assert "unusable records:2" in result.stderr and key in result.stderr and "no eventTime" in result.stderr
    assert [r["resource_id"] for r in rows(db, "select resource_id from resource_creators")] == ["good"]
    (row,) = ledger(tmp_path / "c.duckdb")
    assert row[1:6] == ("ok", None, 1, 2, "1 eventTime is not a time (YYYY-MM-DDThh:mm:ssZ); 1 no eventTime")


def test_every_region_folder_is_read_and_a_name_that_is_no_region_is_reported(cli, tmp_path):
    t = tg.Trail()
    regions = ["eusc-de-east-1", "us-isob-east-1", "cn-north-1", "us-gov-west-1", "us-east-1"]
    for r in regions:
        t.add([bucket_event(f"b-{r}", region=r)], tag=r)
    root = t.write_dir(str(tmp_path / "trail"))
    os.makedirs(os.path.join(root, "AWSLogs", A, "CloudTrail", "Not_A_Region", "2024"))
    db = tmp_path / "c.db"
    result = cli("load", "--trail", root, "--db", db)
    assert {r["region"] for r in rows(db, "select region from resource_creators")} == set(regions)
    assert result.stderr.count("Not_A_Region") == 1 and "not a region name" in result.stderr

    db2 = tmp_path / "eusc.db"
    cli("load", "--trail", root, "--db", db2, "--region", "eusc-de-east-1")
    assert [r["region"] for r in rows(db2, "select region from resource_creators")] == ["eusc-de-east-1"]
    bad = cli("load", "--trail", root, "--db", db2, "--region", "us-east-1/../x", expect=1)
    assert "not an AWS region name" in bad.stderr


def test_no_dbt_temporary_table_is_left_behind(cli, tmp_path):
    t = tg.Trail()
    t.add([bucket_event("b1")])
    root = t.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    for _ in range(2):  # a load that reads something, then a no-op load
        cli("load", "--trail", root, "--db", db)
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    try:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
    finally:
        con.close()
    assert not [n for n in names if "dbt_tmp" in n or "__trailcreator" in n], names


def test_the_console_scripts_import_the_cli_only_when_a_command_runs():
    """The reader's worker processes are spawned, and a spawned process first imports the script
    that started its parent: the console script's module must not bring the CLI with it."""
    from importlib.metadata import entry_points

    scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.name.startswith("trailcreator")}
    assert scripts == {"trailcreator": "trailcreator.__main__:main", "trailcreator-tag": "trailcreator.__main__:tag_main"}
    heavy = ("trailcreator.cli", "click", "boto3", "duckdb", "dbt")
    code = f"import sys, trailcreator.__main__; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_reader_bounds_duckdb_while_reading_then_restores_it_and_leaves_no_log(tmp_path, monkeypatch):
    """While reading: the small buffer pool, one thread, rare checkpoints; after: the connection's
    own settings back, and the write-ahead log checkpointed (nothing for the next open to replay)."""
    from trailcreator.ingest import listing, reader

    t = tg.Trail()
    for i in range(3):  # 300 KB of records: in the log unless a checkpoint moved them to the file
        t.add([bucket_event(f"b{i}", additionalEventData={"pad": "x" * 100_000})], tag=f"o{i}")
    root = t.write_dir(str(tmp_path / "trail"))
    duck = tmp_path / "c.duckdb"
    con = duckdb.connect(str(duck))
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '1GiB'")
    setting = lambda k: con.execute("SELECT current_setting(?)", [k]).fetchone()[0]  # noqa: E731
    before = {k: setting(k) for k in reader.INGEST_SETTINGS}
    during = []
    commit = reader.BatchWriter._commit

    def observed_commit(self, *args):
        during.append({k: setting(k) for k in reader.INGEST_SETTINGS})
        return commit(self, *args)

    monkeypatch.setattr(reader.BatchWriter, "_commit", observed_commit)
    try:
        st = reader.ingest(con, listing.TrailSpec(root), [("s3.amazonaws.com", "CreateBucket")], workers=1)
        assert st.objects_read == 3
        assert during and all(d["threads"] == 1 and d["memory_limit"] == "128.0 MiB"
                              and d["checkpoint_threshold"] == "256.0 MiB" for d in during), during
        assert {k: setting(k) for k in reader.INGEST_SETTINGS} == before
        wal = tmp_path / "c.duckdb.wal"  # what is left: the run's finishing time
        assert not wal.exists() or wal.stat().st_size < 16_000
    finally:
        con.close()


def test_long_records_load_and_one_past_the_limit_is_counted(tmp_path):
    """Long kept records (one of 15 MiB, 60 of 256 KiB, four of 2 MiB: DuckDB needs ~12x their size
    to read them) load in the bounded pool; one longer than the limit is counted, not loaded."""
    from trailcreator.ingest import listing, reader, scan

    sizes = [15 * 2**20] + [256 * 2**10] * 60 + [2 * 2**20] * 4 + [scan.MAX_RECORD_BYTES + 1]
    events = [bucket_event(f"b{i}", requestParameters={"bucketName": f"b{i}", "pad": "x" * n})
              for i, n in enumerate(sizes)]
    t = tg.Trail()
    t.add(events[:30], tag="o1")
    t.add(events[30:], tag="o2")
    root = t.write_dir(str(tmp_path / "trail"))
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    try:
        st = reader.ingest(con, listing.TrailSpec(root), [("s3.amazonaws.com", "CreateBucket")], workers=1)
        assert (st.objects_read, st.records_kept, st.records_unusable) == (2, len(sizes) - 1, 1)
        assert [u[1:] for u in st.unusable] == [(1, "1 record longer than 16 MiB")]
        lengths = con.execute("select length(requestParameters->>'pad') from ingest.records order by 1 desc").fetchall()
        assert [n for (n,) in lengths] == sorted(sizes[:-1], reverse=True)
    finally:
        con.close()


def test_a_load_killed_with_sigkill_resumes_where_its_last_batch_committed(tmp_path, project):
    """SIGKILL right after the first batch commits; the second run reads only what was not
    committed, and the result equals an uninterrupted load."""
    from trailcreator.ingest import reader

    t = tg.Trail()
    n = 3 * reader.BATCH_MAX_OBJECTS
    for i in range(n):
        t.add([bucket_event(f"bucket-{i:05d}", when=T0 + dt.timedelta(seconds=i))], tag=f"o{i:05d}")
    root = t.write_dir(str(tmp_path / "trail"))
    db, duck = tmp_path / "c.db", tmp_path / "c.duckdb"
    load = ("load", "--trail", root, "--db", db)
    tmp = tmp_path / "tmp"  # the loads' own temporary folder: no other load cleans it meanwhile
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(cli_command("-v", *load), stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:
        if "committed objects:" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not db.exists()

    con = duckdb.connect(str(duck))
    try:
        first = con.execute("select count(*) from ingest.objects").fetchone()[0]
        records = con.execute("select count(*) from ingest.records").fetchone()[0]
    finally:
        con.close()
    assert 0 < first < n and records == first  # whole batches: each object's record came with it
    left = list(tmp.glob(f"{reader.BATCH_DIR_PREFIX}{proc.pid}-*"))
    assert left  # the killed load's batch folder ...

    resumed = subprocess.run(cli_command(*load), capture_output=True, text=True, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert f"objects read:{n - first} skipped:0" in resumed.stderr
    assert not any(os.path.exists(p) for p in left)  # ... is removed by the next load

    whole = tmp_path / "whole.db"
    again = subprocess.run(cli_command("load", "--trail", root, "--db", whole), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    q = "select * from resource_creators order by resource_id"
    assert rows(db, q) == rows(whole, q) and len(rows(db, q)) == n
