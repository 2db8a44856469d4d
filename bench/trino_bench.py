#!/usr/bin/env python3
"""The bench trail on Trino: ``dbt build --target trino`` end to end against ``trailcreator load``
on the same records, one run, with the rows compared.

Steps, on one generated trail (``--trail DIR``; generated there first when it holds no
``manifest.json``, with ``--objects`` / ``--records-per-object`` / ``--days``, spread 0):

  start      a single-node Trino (tests/trino_server.py: memory and hive catalogs, ``--heap``)
  write      every log object's records into the Athena guide's CloudTrail table
             (tests/trino_cloudtrail.py ``load_objects``: gunzip, one JSON record per line in the
             table's shape, the day partitions registered); this Python process, timed in it
  count      ``count(*)`` over the table: one full scan, and every record is there
  build      ``trailcreator dbt --duckdb W --resource-map TRAIL/resource_map.json -- build
             --target trino`` (a new process, start to exit; the models into ``memory.bench``)
  load       ``trailcreator load --trail TRAIL --resource-map ... --full-refresh`` (local folder),
             after Trino is stopped

``resource_creators`` of both are compared row by row where the columns mean the same
(tests/trino_compare.py, the tests' comparison), and each against the trail's
expected_creators.csv.  Peak RSS: Trino's JVM (polled from /proc, per step) and the load's
process tree.  One markdown row is printed last; the details go to WORK/result.json.

Usage: python bench/trino_bench.py --trail bench/out/base2k [--work-dir DIR] [--heap 3G]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(HERE), str(REPO / "tests"), str(REPO / "runner")]

import trino_cloudtrail  # noqa: E402
from run_bench import (TreeMonitor, list_log_objects, load_argv, load_manifest, machine_busy_seconds,  # noqa: E402
                       proc_cpu_seconds, read_expected, run_child)
from trino_compare import compare  # noqa: E402
from trino_server import TrinoServer, missing  # noqa: E402

SCHEMA = "bench"  # memory.<SCHEMA>: where dbt builds the models
MIB = 1 << 20


def say(*x) -> None:
    print(*x, file=sys.stderr, flush=True)


def objects(trail: Path, counts: Counter):
    """(key, records) of each log object, read and inflated one at a time."""
    for path, size in list_log_objects(trail):
        with open(path, "rb") as f:
            records = json.loads(gzip.decompress(f.read()))["Records"]
        counts["objects"] += 1
        counts["gz_bytes"] += size
        counts["records"] += len(records)
        yield str(Path(path).relative_to(trail)), records


class Phase:
    """Wall, this process's CPU, Trino's CPU and Trino's peak RSS over a block."""

    def __init__(self, trino_pid: int):
        self.pid = trino_pid

    def __enter__(self):
        self.mon = TreeMonitor(self.pid, hz=10)
        self.mon.start()
        self.t0, self.own0, self.trino0 = time.perf_counter(), os.times(), proc_cpu_seconds(self.pid)
        self.busy0 = machine_busy_seconds()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        own1 = os.times()
        self.cpu = (own1.user - self.own0.user) + (own1.system - self.own0.system)
        self.trino_cpu = proc_cpu_seconds(self.pid) - self.trino0
        busy = machine_busy_seconds() - self.busy0
        self.others = max(0.0, busy - self.cpu - self.trino_cpu) / (self.wall * (os.cpu_count() or 1))
        self.mon.stop()
        self.trino_rss = self.mon.peak
        return False


def model_seconds(dbt_stdout: Path) -> dict[str, float]:
    """Each model's build time, from dbt's ``OK created ... model SCHEMA.NAME ... in N s`` lines."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", dbt_stdout.read_text(errors="replace"))
    return {m[1]: float(m[2]) for m in re.finditer(r"OK created \S+ \S+ model \w+\.(\w+) .* in ([\d.]+)s\]", text)}


def rows_of(cur) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def against_expected(expected: dict | None, rows: list[dict]) -> str:
    """'found/expected' of the trail's known creators (principal and event), or '-'."""
    if expected is None:
        return "-"
    got = {(r["account_id"], r["region"], r["resource_type"], r["resource_id"]):
           (r["principal_arn"] or "", r["event_id"]) for r in rows}
    same = sum(1 for k, v in expected.items() if got.get(k) == v)
    extra = len(set(got) - set(expected))
    return f"{same:,}/{len(expected):,}" + (f" (+{extra} extra)" if extra else "")


def generate(trail: Path, a) -> None:
    argv = [sys.executable, str(HERE / "generate_trail.py"), "--out", str(trail), "--objects", str(a.objects),
            "--records-per-object", str(a.records_per_object), "--spread", "0", "--days", str(a.days)]
    say("generating:", " ".join(argv[1:]))
    t0 = time.perf_counter()
    subprocess.run(argv, check=True)
    say(f"generated in {time.perf_counter() - t0:.1f} s")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trail", required=True, type=Path, help="a trail of bench/generate_trail.py (made when absent)")
    p.add_argument("--objects", type=int, default=2000, help="when generating (default: the base trail's 2000)")
    p.add_argument("--records-per-object", type=int, default=500)
    p.add_argument("--days", type=int, default=10)
    p.add_argument("--work-dir", type=Path,
                   help="Trino's data, the databases, result.json (default: bench/out/trino-<trail>)")
    p.add_argument("--heap", default="3G", help="Trino's JVM heap (default: 3G)")
    a = p.parse_args(argv)

    trail = a.trail.resolve()
    if not (trail / "manifest.json").exists():
        generate(trail, a)
    reason = missing()
    if reason:
        say(f"Trino: {reason}")
        return 2
    work = (a.work_dir or HERE / "out" / f"trino-{trail.name}").resolve()
    shutil.rmtree(work, ignore_errors=True)  # one run: a fresh warehouse, workspace and databases
    (work / "logs").mkdir(parents=True)
    rmap = trail / "resource_map.json"
    manifest = load_manifest(trail)
    res: dict = {"trail": str(trail), "manifest_records": manifest.get("records"),
                 "load_average_before": os.getloadavg()}

    server = TrinoServer(work / "trino", heap=a.heap).start()
    trino_pid = server._proc.pid
    whole = TreeMonitor(trino_pid, hz=5)
    whole.start()
    try:
        say(f"Trino {server.version} on {server.url}, started in {server.start_seconds:.1f} s")
        res["trino_start_s"] = server.start_seconds

        counts: Counter = Counter()
        with Phase(trino_pid) as w:
            tables = trino_cloudtrail.load_objects(server, objects(trail, counts))
        json_bytes = sum(f.stat().st_size for f in (server.warehouse / "cloudtrail").rglob("*.json"))
        res["write"] = dict(wall=w.wall, cpu=w.cpu, trino_cpu=w.trino_cpu, trino_rss=w.trino_rss, others=w.others,
                            json_bytes=json_bytes, **counts)
        say(f"[write] {counts['objects']:,} objects, {counts['records']:,} records, "
            f"{json_bytes / 1e9:.2f} GB JSON lines: {w.wall:.1f} s")

        with Phase(trino_pid) as c:
            n = server.query(f"select count(*) from hive.cloudtrail.{tables['timestamp']}")[0][0]
        res["count"] = dict(wall=c.wall, trino_cpu=c.trino_cpu, rows=n)
        say(f"[count] {n:,} rows in the table: {c.wall:.1f} s")
        if n != counts["records"]:
            say(f"the table holds {n:,} rows, the objects {counts['records']:,} records")
            return 1

        build_vars = {"cloudtrail_catalog": "hive", "cloudtrail_database": "cloudtrail",
                      "cloudtrail_table": tables["timestamp"], "cloudtrail_source_identity": True}
        cmd, env, _ = load_argv("trailcreator dbt --duckdb {db} --resource-map {resource_map} -- build "
                                "--target trino", str(trail), str(rmap), str(work / "trino-workspace.duckdb"))
        cmd += ["--vars", yaml.safe_dump(build_vars)]
        env.update(TRAILCREATOR_TRINO_HOST=server.host, TRAILCREATOR_TRINO_PORT=str(server.port),
                   TRAILCREATOR_TRINO_CATALOG="memory", TRAILCREATOR_TRINO_SCHEMA=SCHEMA)
        say("[build] " + " ".join(cmd[-8:]))
        mon = TreeMonitor(trino_pid, hz=10)
        mon.start()
        b = run_child("dbt build --target trino", cmd, env=env, log_dir=work / "logs", extra_monitor=trino_pid)
        mon.stop()
        res["build"] = {k: b.get(k) for k in ("wall", "cpu", "peak_rss", "rc", "others", "extra_cpu", "note")}
        res["build"]["trino_rss"] = mon.peak
        res["build"]["models"] = model_seconds(Path(b["stdout_path"]))
        if not b["ok"]:
            say(f"[build] failed: {b.get('note')}")
            return 1
        say(f"[build] {b['wall']:.1f} s (dbt {b['cpu']:.1f} CPU-s, Trino {b['extra_cpu']:.1f} CPU-s); models: "
            + ", ".join(f"{m} {t:.1f} s" for m, t in res["build"]["models"].items()))
        trino_rows = server.dicts(f"select * from memory.{SCHEMA}.resource_creators")
    finally:
        whole.stop()
        server.stop()
    res["trino_peak_rss"] = whole.peak

    db, duck = work / "load.db", work / "load.duckdb"
    cmd, env, _ = load_argv("trailcreator load --trail {trail} --resource-map {resource_map} --db {db} "
                            "--full-refresh", str(trail), str(rmap), str(db))
    cmd += ["--duckdb", str(duck)]
    say("[load] " + " ".join(cmd[1:]))
    ld = run_child("trailcreator load", cmd, env=env, log_dir=work / "logs")
    res["load"] = {k: ld.get(k) for k in ("wall", "cpu", "peak_rss", "rc", "others", "note")}
    if not ld["ok"]:
        say(f"[load] failed: {ld.get('note')}")
        return 1
    say(f"[load] {ld['wall']:.1f} s ({ld['cpu']:.1f} CPU-s)")
    con = duckdb.connect(str(duck), read_only=True)
    try:
        duck_rows = rows_of(con.execute("select * from resource_creators"))
    finally:
        con.close()

    compared, matched, diffs = compare(duck_rows, trino_rows)
    expected = read_expected(trail)
    differing = Counter(part.split(":")[0] for d in diffs for part in d.split(": ", 1)[1].split(", ")
                        if "only on" not in d)
    res["compare"] = dict(trino_rows=len(trino_rows), duckdb_rows=len(duck_rows), compared=compared["all"],
                          matched=matched["all"], differences=diffs[:50], differing_columns=dict(differing),
                          expected_trino=against_expected(expected, trino_rows),
                          expected_load=against_expected(expected, duck_rows))
    res["load_average_after"] = os.getloadavg()
    (work / "result.json").write_text(json.dumps(res, indent=2, default=str))
    for d in diffs[:20]:
        say("differs:", d)

    wr, bd, c = res["write"], res["build"], res["compare"]
    # the two models that scan the table (dbt runs them side by side: its threads)
    scans = " / ".join(f"{t:.1f}" for m, t in bd["models"].items() if m.startswith("stg_cloudtrail__"))
    print("| trail | records | write into Trino | count(*) scan | dbt build --target trino | trailcreator load "
          "| rows compared / equal | expected creators (Trino / load) | peak RSS MiB: Trino JVM / load "
          "| others' CPU (write / build / load) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ld = res["load"]
    print(f"| {trail.name}: {wr['objects']:,} objects, {wr['gz_bytes'] / 1e6:.0f} MB gz | {wr['records']:,} "
          f"| {wr['wall']:.1f} s ({wr['cpu']:.1f} CPU-s), {wr['json_bytes'] / 1e9:.2f} GB JSON "
          f"| {res['count']['wall']:.1f} s "
          f"| {bd['wall']:.1f} s (dbt {bd['cpu']:.1f} + Trino {bd['extra_cpu']:.1f} CPU-s; staging scans {scans} s) "
          f"| {ld['wall']:.1f} s ({ld['cpu']:.1f} CPU-s) "
          f"| {c['compared']:,} / {c['matched']:,} | {c['expected_trino']} / {c['expected_load']} "
          f"| {res['trino_peak_rss'] / MIB:.0f} (build {bd['trino_rss'] / MIB:.0f}) / {ld['peak_rss'] / MIB:.0f} "
          f"| {wr['others']:.0%} / {bd['others']:.0%} / {ld['others']:.0%} |")
    return 0 if not diffs else 1


if __name__ == "__main__":
    sys.exit(main())
