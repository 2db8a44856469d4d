"""Faults of the machine under a load: a full disk (a real tmpfs, mounted for the test) and a
load killed with SIGKILL (its worker processes must not outlive it)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import time

import pytest

import trailgen as tg
from conftest import rows
from helpers import assert_one_line_error, cli_command

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9, 0, 0)
ROWS = "select * from resource_creators order by account_id, region, resource_type, resource_id"


def _add(t: tg.Trail, i: int, pad: str = "") -> None:
    who = tg.identity_iam_user(A, f"user{i % 3}")
    t.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", who, T0 + dt.timedelta(minutes=i),
                    {"bucketName": f"bucket-{i:04d}", "pad": pad}, None)], tag=f"o{i:04d}")


# --- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def small_fs(tmp_path):
    """A 24 MiB tmpfs: a file system that fills up for real."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(folder) -> str:
    """Fill the file system of ``folder`` to the last byte; the filler's path."""
    path = os.path.join(folder, "filler")
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    for size in (4096, 512, 1):  # the last blocks too
        try:
            with open(path, "ab") as f:
                while True:
                    f.write(b"\0" * size)
                    f.flush()
        except OSError:
            pass
    return path


def _trail(root, n: int, pad: int = 0) -> tg.Trail:
    t = tg.Trail()
    for i in range(n):
        _add(t, i, "p" * pad)
    t.write_dir(str(root))
    return t


@pytest.mark.parametrize("where", ["duckdb", "sqlite"])
def test_a_full_disk_is_one_line_the_db_is_kept_and_the_run_after_freeing_space_ends_identical(cli, tmp_path, small_fs,
                                                                                                  where):
    """``duckdb``: the DuckDB file (its write-ahead log) is on the full disk; ``sqlite``: only
    --db is, and the export fails.  A new object makes the second load write both."""
    root = tmp_path / "trail"
    t = _trail(root, 30, pad=20_000)
    full = small_fs / "out"
    full.mkdir()
    db = full / "c.db"
    duck = (full if where == "duckdb" else tmp_path) / "c.duckdb"
    cli("load", "--trail", root, "--db", db, "--duckdb", duck)
    before = db.read_bytes()

    _add(t, 30, "p" * 20_000)
    t.write_dir(str(root))
    filler = fill(small_fs)
    failed = cli("load", "--trail", root, "--db", db, "--duckdb", duck, expect=None)
    assert_one_line_error(failed, "no space left on the device for", str(small_fs), "MiB free there", "run again",
                          f"{db} is as it was")
    assert db.read_bytes() == before
    assert not [p for p in os.listdir(full) if ".tmp-" in p]

    os.unlink(filler)
    cli("load", "--trail", root, "--db", db, "--duckdb", duck)
    clean = tmp_path / "clean.db"
    cli("load", "--trail", root, "--db", clean)
    assert rows(db, ROWS) == rows(clean, ROWS) and len(rows(db, ROWS)) == 31


# --- a killed load -----------------------------------------------------------------------------


def _children(pid: int) -> dict[int, str]:
    """The live descendants of ``pid`` (pid -> command line), from /proc."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(name)] = int(fields[1])
    found, frontier = {}, {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier and p not in found}
        for p in frontier:
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    found[p] = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                found[p] = "?"
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads processes from /proc (Linux)")
def test_workers_do_not_outlive_a_load_killed_with_sigkill(tmp_path):
    """SIGKILL the load while its spawned workers read (seen in /proc, polled); every process it
    started (the workers and multiprocessing's resource tracker) is gone within a few seconds."""
    rng = __import__("random").Random(18)
    t = tg.Trail()
    for i in range(300):  # ~20 MiB of gzip: past the size read in-process, so workers are spawned
        _add(t, i, "".join(rng.choices("0123456789abcdef", k=128_000)))
    root = t.write_dir(str(tmp_path / "trail"))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen(cli_command("load", "--trail", root, "--db", tmp_path / "c.db"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(tmp)})
    try:
        deadline = time.monotonic() + 300
        while True:
            kids = _children(proc.pid)
            if sum("spawn_main" in c for c in kids.values()) >= 2:
                break
            assert proc.poll() is None, "the load ended before its workers were seen"
            assert time.monotonic() < deadline, f"no workers after 300 s: {kids}"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert any("resource_tracker" in c for c in kids.values()), kids

    deadline = time.monotonic() + 10
    while (left := [p for p in kids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, {p: kids[p] for p in left}
    assert list(tmp.glob(f"trailcreator-batch-{proc.pid}-*"))  # left for the next run (test_ingest: it is removed)
    shutil.rmtree(tmp)
