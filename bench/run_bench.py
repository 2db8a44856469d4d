#!/usr/bin/env python3
"""Time ``trailcreator load`` against the zlib floor and the plain Python loop, on one generated trail.

Every timed step runs as a child process; while it runs, the whole process tree under it is polled
from /proc at ~20 Hz for its resident memory (sum of RSS, peak kept) and the machine's CPU counters
are read before and after, so a step slowed down by other work on the machine shows it ("others"
column: CPU seconds used by processes outside the step, as a share of all cores).

Steps (see bench/README.md):
  floor           zlib inflate of every log object, a process per core, output discarded
  gzip -dc        GNU gzip on a sample of the objects (one process per core), scaled to the whole trail
  python loop     gzip + json + jmespath over every object, one process (the client-side upstream path)
  python loop xN  the same in a pool of N processes
  load            the --load-cmd on the local directory
  s3 list/GET     listing, then GET of every object (without and with inflate) from a moto server
  load s3         the --load-cmd on s3://BUCKET/ through the same moto server

Results are checked against the trail's expected_creators.csv (python loop and load).

Usage: python bench/run_bench.py --trail bench/out/trail-100mb [--load-cmd TEMPLATE] [--repeat N]
Internal sub-commands (the timed children): _floor, _gzip, _pyloop, _s3list.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import multiprocessing as mp
import os
import resource
import shlex
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGE = os.sysconf("SC_PAGE_SIZE")
CLK = os.sysconf("SC_CLK_TCK")
DEFAULT_LOAD_CMD = "trailcreator load --trail {trail} --resource-map {resource_map} --db {db}"
S3_BUCKET = "bench-trail"
S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
          "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


# --- the trail ----------------------------------------------------------------------------------

def list_log_objects(trail: Path) -> list[tuple[str, int]]:
    """(path, size) of every CloudTrail log object: ``.../AWSLogs/[o-org/]acct/CloudTrail/region/y/m/d/*.json.gz``.

    Digest (``CloudTrail-Digest``), Insight and other folders are not event logs and are left out.
    """
    out = []
    for dirpath, _dirs, files in os.walk(trail):
        parts = Path(dirpath).relative_to(trail).parts
        if "AWSLogs" not in parts:
            continue
        rest = parts[parts.index("AWSLogs") + 1:]
        if len(rest) >= 5 and rest[-5] == "CloudTrail":
            for f in files:
                if f.endswith(".json.gz"):
                    p = os.path.join(dirpath, f)
                    out.append((p, os.path.getsize(p)))
    out.sort()
    return out


def load_manifest(trail: Path) -> dict:
    try:
        return json.loads((trail / "manifest.json").read_text())
    except FileNotFoundError:
        return {}


# --- measuring a child process tree ----------------------------------------------------------

def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split(None, 2)[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree_pids(root: int) -> list[int]:
    kids = _children_map()
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(kids.get(p, ()))
    return out


def tree_rss(root: int) -> tuple[int, int]:
    """(sum of RSS in bytes, number of processes) of ``root`` and all its descendants."""
    total = n = 0
    for p in tree_pids(root):
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
            n += 1
        except (OSError, IndexError, ValueError):
            pass
    return total, n


class TreeMonitor(threading.Thread):
    """Peak RSS of a process tree, polled at ``hz``."""

    def __init__(self, root: int, hz: float = 20.0):
        super().__init__(daemon=True)
        self.root, self.interval = root, 1.0 / hz
        self.peak = self.peak_procs = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            rss, n = tree_rss(self.root)
            if rss > self.peak:
                self.peak = rss
            self.peak_procs = max(self.peak_procs, n)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (all cores; /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (v + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK


class StepResult(dict):
    pass


def run_child(name: str, argv: list[str], env: dict | None = None, log_dir: Path | None = None,
              extra_monitor: int | None = None) -> StepResult:
    """Run one timed step as a child process; measure wall, tree CPU, tree peak RSS, others' CPU."""
    log_dir = log_dir or Path(tempfile.mkdtemp())
    safe = name.replace(" ", "_").replace("/", "_")
    out_path, err_path = log_dir / f"{safe}.stdout", log_dir / f"{safe}.stderr"
    res = StepResult(step=name, argv=argv, ok=False, started=False, stdout_path=str(out_path),
                     stderr_path=str(err_path))
    self0 = os.times()
    extra0 = proc_cpu_seconds(extra_monitor) if extra_monitor else 0.0
    busy0 = machine_busy_seconds()
    t0 = time.perf_counter()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        try:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        except OSError as e:
            res["note"] = f"did not start: {e}"
            return res
        res["started"] = True
        mon = TreeMonitor(proc.pid)
        mon.start()
        extra = TreeMonitor(extra_monitor) if extra_monitor else None
        if extra:
            extra.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        except KeyboardInterrupt:
            proc.kill()
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        mon.stop()
        if extra:
            extra.stop()
    busy = machine_busy_seconds() - busy0
    extra_cpu = proc_cpu_seconds(extra_monitor) - extra0 if extra_monitor else 0.0
    self1 = os.times()
    tree_cpu = ru.ru_utime + ru.ru_stime
    own = (self1.user - self0.user) + (self1.system - self0.system)
    res.update(wall=wall, cpu=tree_cpu, peak_rss=mon.peak, procs=mon.peak_procs, rc=proc.returncode,
               others=max(0.0, busy - tree_cpu - own - extra_cpu) / (wall * (os.cpu_count() or 1)))
    if extra:
        res["extra_peak_rss"] = extra.peak
        res["extra_cpu"] = extra_cpu
    res["ok"] = proc.returncode == 0
    try:
        res["report"] = json.loads(out_path.read_text().strip().splitlines()[-1])
    except (ValueError, IndexError):
        res["report"] = None
    if not res["ok"]:
        tail = [ln for ln in err_path.read_text(errors="replace").strip().splitlines() if ln.strip()][-1:]
        res["note"] = f"exit {proc.returncode}: " + " | ".join(tail)[:300] + f" (log: {err_path})"
    return res


def best_of(runs: list[StepResult]) -> StepResult:
    """The fastest successful run; peak RSS is the largest seen in any run."""
    ok = [r for r in runs if r.get("ok")]
    if not ok:
        return runs[-1]
    best = StepResult(min(ok, key=lambda r: r["wall"]))
    best["peak_rss"] = max(r["peak_rss"] for r in ok)
    best["runs"] = [round(r["wall"], 2) for r in ok]
    return best


# --- child: the floor (local files or S3 objects) ---------------------------------------------

def _inflater():
    """ISA-L where installed (the floor the load's own inflate can reach), else zlib."""
    if os.environ.get("BENCH_FLOOR_LIB", "isal") == "isal":
        try:
            from isal import isal_zlib
            return isal_zlib
        except ImportError:
            pass
    return zlib


def _inflate_file(path: str) -> int:
    d = _inflater().decompressobj(31)
    n = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 18)
            if not chunk:
                break
            n += len(d.decompress(chunk))
    return n + len(d.flush())


_S3 = None


def _s3_client(endpoint: str):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(max_pool_connections=32, retries={"max_attempts": 3}))


def _init_s3(endpoint: str) -> None:
    global _S3
    _S3 = _s3_client(endpoint)


def _fetch_batch(args) -> tuple[int, int]:
    """GET a batch of keys with a few threads; inflate unless told not to. (bytes fetched, bytes inflated)"""
    bucket, keys, inflate, threads = args

    def one(key):
        body = _S3.get_object(Bucket=bucket, Key=key)["Body"]
        d = _inflater().decompressobj(31) if inflate else None
        got = out = 0
        while True:
            chunk = body.read(1 << 18)
            if not chunk:
                break
            got += len(chunk)
            if d:
                out += len(d.decompress(chunk))
        return got, out + (len(d.flush()) if d else 0)

    with ThreadPoolExecutor(threads) as ex:
        res = list(ex.map(one, keys))
    return sum(r[0] for r in res), sum(r[1] for r in res)


def _noop(_=None):
    return os.getpid()


def _cpu_now() -> float:
    """CPU seconds of this process plus its reaped children (a pool's workers, once joined)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def child_floor(a) -> None:
    items = [ln for ln in Path(a.list).read_text().splitlines() if ln]
    ctx = mp.get_context("fork")
    cpu0 = _cpu_now()
    if a.s3_endpoint:
        pool = ctx.Pool(a.workers, initializer=_init_s3, initargs=(a.s3_endpoint,))
    else:
        pool = ctx.Pool(a.workers)
    with pool:
        pool.map(_noop, range(a.workers * 4))  # workers up before the clock starts
        t0 = time.perf_counter()
        if a.s3_endpoint:
            size = 16
            batches = [(a.bucket, items[i:i + size], not a.no_inflate, a.threads) for i in range(0, len(items), size)]
            res = list(pool.imap_unordered(_fetch_batch, batches))
            fetched, out = sum(r[0] for r in res), sum(r[1] for r in res)
        else:
            out = sum(pool.imap_unordered(_inflate_file, items, chunksize=4))
            fetched = None
        secs = time.perf_counter() - t0
        pool.close()
        pool.join()
    print(json.dumps({"seconds": secs, "cpu": _cpu_now() - cpu0, "json_bytes": out, "fetched_bytes": fetched,
                      "objects": len(items)}))


def child_gzip(a) -> None:
    """``gzip -dc`` over the listed files, one gzip process at a time per worker, output to /dev/null."""
    items = [ln for ln in Path(a.list).read_text().splitlines() if ln]
    groups = [items[i::a.workers] for i in range(a.workers)]

    def run(group):
        for i in range(0, len(group), 200):
            subprocess.run(["gzip", "-dc", *group[i:i + 200]], stdout=subprocess.DEVNULL, check=True)

    cpu0 = _cpu_now()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.workers) as ex:
        list(ex.map(run, groups))
    print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": _cpu_now() - cpu0}))


def child_s3list(a) -> None:
    c = _s3_client(a.s3_endpoint)
    t0 = time.perf_counter()
    n = pages = 0
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=a.bucket):
        pages += 1
        n += len(page.get("Contents", []))
    print(json.dumps({"seconds": time.perf_counter() - t0, "keys": n, "pages": pages}))


# --- child: the python loop (also used by standin_load.py) -------------------------------------

def compile_map(resource_map: dict) -> dict:
    import jmespath
    out: dict = {}
    for res in resource_map["resources"]:
        for ev in res["events"]:
            out.setdefault((ev["service"], ev["event"]), []).append((res["resource"], jmespath.compile(ev["ids"])))
    return out


def _ids(v) -> list[str]:
    if v is None or isinstance(v, (dict, bool)):
        return []
    if isinstance(v, list):
        return [x for item in v for x in _ids(item)]
    s = str(v)
    return [s] if s else []


def scan_records(records, cmap: dict, best: dict) -> int:
    """Fold create events into ``best``: (account, region, type, id) -> (eventTime, eventID, arn, record).

    Failed calls (errorCode) created nothing.  The project's rule picks the winner (``_wins``),
    so a duplicate delivery (same eventID) changes nothing.
    """
    n = 0
    for rec in records:
        n += 1
        rules = cmap.get((rec.get("eventSource"), rec.get("eventName")))
        if not rules or rec.get("errorCode"):
            continue
        for rtype, expr in rules:
            for rid in _ids(expr.search(rec)):
                k = (rec.get("recipientAccountId"), rec.get("awsRegion"), rtype, rid)
                cand = (rec.get("eventTime") or "", rec.get("eventID") or "",
                        (rec.get("userIdentity") or {}).get("arn") or "", rec.get("eventName") or "")
                cur = best.get(k)
                if cur is None or _wins(cand, cur):
                    best[k] = (*cand, rec)
    return n


def _wins(a: tuple, b: tuple) -> bool:
    """Does event ``a`` (eventTime, eventID, arn, eventName) beat ``b`` as the creation, as
    resource_creators.sql ranks them: a true create beats any Put*; among creates the latest,
    among Put* the earliest (which created it); ties to the larger eventID."""
    a_put, b_put = a[3].startswith("Put"), b[3].startswith("Put")
    if a_put != b_put:
        return b_put
    if a[0] != b[0]:
        return a[0] < b[0] if a_put else a[0] > b[0]
    return a[1] > b[1]


_CMAP = None


def _init_scan(map_path: str) -> None:
    global _CMAP
    _CMAP = compile_map(json.loads(Path(map_path).read_text()))


def scan_bytes(raw: bytes, cmap: dict, best: dict) -> int:
    doc = json.loads(gzip.decompress(raw))
    return scan_records(doc.get("Records") or [], cmap, best)


def _scan_file(path: str) -> tuple[int, dict]:
    best: dict = {}
    with open(path, "rb") as f:
        n = scan_bytes(f.read(), _CMAP, best)
    return n, {k: v[:4] for k, v in best.items()}


def merge(into: dict, part: dict) -> None:
    for k, v in part.items():
        cur = into.get(k)
        if cur is None or _wins(v, cur):
            into[k] = v


def write_result_csv(path: str, best: dict) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["account_id", "region", "resource_type", "resource_id", "principal_arn", "event_id"])
        for k in sorted(best):
            w.writerow([*k, best[k][2], best[k][1]])


def child_pyloop(a) -> None:
    items = [ln for ln in Path(a.list).read_text().splitlines() if ln]
    best: dict = {}
    records = 0
    cpu0 = _cpu_now()
    if a.workers <= 1:
        _init_scan(a.map)
        t0 = time.perf_counter()
        for p in items:
            n, part = _scan_file(p)
            records += n
            merge(best, part)
    else:
        with mp.get_context("fork").Pool(a.workers, initializer=_init_scan, initargs=(a.map,)) as pool:
            pool.map(_noop, range(a.workers * 4))
            t0 = time.perf_counter()
            for n, part in pool.imap_unordered(_scan_file, items, chunksize=2):
                records += n
                merge(best, part)
            secs = time.perf_counter() - t0
            pool.close()
            pool.join()
    secs = secs if a.workers > 1 else time.perf_counter() - t0
    cpu = _cpu_now() - cpu0
    write_result_csv(a.out, best)
    print(json.dumps({"seconds": secs, "cpu": cpu, "records": records, "rows": len(best)}))


# --- checking results ---------------------------------------------------------------------------

def read_expected(trail: Path) -> dict | None:
    p = trail / "expected_creators.csv"
    if not p.exists():
        return None
    with open(p, newline="") as f:
        return {(r["account_id"], r["region"], r["resource_type"], r["resource_id"]):
                (r["creator_principal_arn"] or "", r["event_id"]) for r in csv.DictReader(f)}


def read_result_csv(path: str) -> dict:
    with open(path, newline="") as f:
        return {(r["account_id"], r["region"], r["resource_type"], r["resource_id"]):
                (r["principal_arn"] or "", r["event_id"]) for r in csv.DictReader(f)}


def read_result_db(path: str) -> dict:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("select account_id, region, resource_type, resource_id, principal_arn, event_id "
                           "from resource_creators").fetchall()
    finally:
        con.close()
    return {tuple(str(x) for x in r[:4]): (r[4] or "", r[5] or "") for r in rows}


def compare(expected: dict, got: dict) -> dict:
    same = sum(1 for k, v in got.items() if expected.get(k) == v)
    wrong = [k for k, v in got.items() if k in expected and expected[k] != v]
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    return {"expected": len(expected), "got": len(got), "matches": same, "wrong": len(wrong),
            "missing": len(missing), "extra": len(extra),
            "examples": {"wrong": [list(k) + list(got[k]) + list(expected[k]) for k in wrong[:3]],
                         "missing": [list(k) for k in missing[:3]], "extra": [list(k) for k in extra[:3]]}}


# --- the load command -----------------------------------------------------------------------------

def load_argv(template: str, trail: str, resource_map: str, db: str) -> tuple[list[str], dict, str | None]:
    """The load command as argv, its environment, and a note on how it was resolved.

    ``trailcreator`` not on PATH nor beside this Python: run the package from this worktree's
    ``runner/`` (``python -c 'from trailcreator.cli import main; main()'``), no install needed.
    """
    vals = {"trail": trail, "resource_map": resource_map, "db": db, "python": sys.executable, "repo": str(REPO)}
    argv = [tok.format(**vals) for tok in shlex.split(template)]
    env = dict(os.environ)
    note = None
    if argv and argv[0] == "trailcreator" and not shutil.which("trailcreator"):
        beside = Path(sys.executable).parent / "trailcreator"
        if beside.exists():
            argv[0] = str(beside)
        else:
            argv = [sys.executable, "-c", "import sys; sys.argv[0] = 'trailcreator'; "
                    "from trailcreator.cli import main; main()"] + argv[1:]
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "runner"), env.get("PYTHONPATH")]))
            note = "trailcreator from runner/ (not installed)"
    return argv, env, note


def not_available(res: StepResult) -> bool:
    """The load command is not there yet (vs. there and failing)."""
    if not res.get("started"):
        return True
    err = Path(res["stderr_path"]).read_text(errors="replace")
    return res.get("rc") == 2 and ("No such command" in err or "Usage:" in err) or "ModuleNotFoundError" in err


# --- S3 through moto -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    exe = Path(sys.executable).parent / "moto_server"
    argv = [str(exe), "-H", "127.0.0.1", "-p", str(port)] if exe.exists() else \
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    log = open(log_dir / "moto_server.log", "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited {proc.returncode}; see {log_dir / 'moto_server.log'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, endpoint
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("moto_server did not listen within 30 s")


def start_front(trail: Path, latency_ms: float, log_dir: Path) -> tuple[subprocess.Popen, str]:
    """bench/s3_front.py serving the trail folder as s3://bench-trail with a delay per request."""
    log = open(log_dir / "s3_front.log", "wb")
    proc = subprocess.Popen([sys.executable, str(HERE / "s3_front.py"), "--root", str(trail), "--bucket", S3_BUCKET,
                             "--latency-ms", str(latency_ms)], stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    endpoint = proc.stdout.readline().decode().strip()
    if not endpoint.startswith("http://"):
        proc.kill()
        raise RuntimeError(f"s3_front did not start; see {log_dir / 's3_front.log'}")
    return proc, endpoint


def front_stats(endpoint: str, reset_max: bool = False) -> dict:
    """The front's request counts (cumulative); ``reset_max`` starts a new peak of requests in flight."""
    import urllib.request
    with urllib.request.urlopen(f"{endpoint}/_stats" + ("?reset" if reset_max else ""), timeout=10) as r:
        return json.loads(r.read())


def upload_trail(trail: Path, endpoint: str, bucket: str) -> tuple[int, int, float]:
    """Upload everything under trail/ (logs, digests; not the bench's own files) to s3://bucket/."""
    c = _s3_client(endpoint)
    c.create_bucket(Bucket=bucket)
    files = []
    for dirpath, _d, names in os.walk(trail):
        rel = Path(dirpath).relative_to(trail)
        if rel == Path("."):
            continue
        files += [(os.path.join(dirpath, n), str(rel / n)) for n in names]
    t0 = time.perf_counter()

    def put(item):
        path, key = item
        with open(path, "rb") as f:
            c.put_object(Bucket=bucket, Key=key, Body=f.read())
        return os.path.getsize(path)

    with ThreadPoolExecutor(8) as ex:
        total = sum(ex.map(put, files))
    return len(files), total, time.perf_counter() - t0


# --- the report -------------------------------------------------------------------------------------

def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def table(rows: list[dict], gz_total: int, records: int | None, floor: float | None) -> str:
    head = ("| step | wall s | CPU s | compressed MB/s | records/s | peak RSS MiB | × floor | others' CPU | notes |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|---|")
    lines = [head]
    for r in rows:
        wall = r.get("wall_eff", r.get("wall")) if r.get("ok") else None
        rate = wall if not r.get("no_rate") else None
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            r["step"], fmt(wall, ".2f"), fmt(r.get("cpu") if r.get("ok") else None, ".1f"),
            fmt(gz_total / 1e6 / rate if rate else None, ".1f"),
            fmt(records / rate if rate and records else None, ",.0f"),
            fmt(r["peak_rss"] / 2**20 if r.get("ok") and r.get("peak_rss") else None, ".0f"),
            fmt(rate / floor if rate and floor else None, ".2f"),
            fmt(r.get("others") * 100 if r.get("ok") and r.get("others") is not None else None, ".0f") + ("%" if r.get("ok") else ""),
            r.get("note") or ""))
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Benchmark trailcreator load on a generated trail (see bench/README.md).")
    p.add_argument("--trail", required=True, type=Path, help="directory written by bench/generate_trail.py")
    p.add_argument("--load-cmd", default=DEFAULT_LOAD_CMD,
                   help="load command template; {trail} {resource_map} {db} {python} {repo} are filled in "
                        f"(default: {DEFAULT_LOAD_CMD!r})")
    p.add_argument("--resource-map", type=Path, help="default: TRAIL/resource_map.json")
    p.add_argument("--work-dir", type=Path, help="databases, logs, results (default: bench/out/run-<trail name>)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the floor and the pool rows")
    p.add_argument("--repeat", type=int, default=1, help="run each timed step N times, report the fastest")
    p.add_argument("--gzip-sample-mb", type=float, default=100.0, help="compressed MB that gzip -dc inflates (scaled)")
    p.add_argument("--s3-threads", type=int, default=8, help="GET threads per process in the S3 floor rows")
    p.add_argument("--s3-latency-ms", type=float, help="also load through bench/s3_front.py, each request delayed this much")
    for step in ("gzip", "python", "python-pool", "load", "s3"):
        p.add_argument(f"--no-{step}", action="store_true", help=f"skip the {step} row(s)")
    a = p.parse_args(argv)

    trail = a.trail.resolve()
    rmap = (a.resource_map or trail / "resource_map.json").resolve()
    work = (a.work_dir or HERE / "out" / f"run-{trail.name}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    objs = list_log_objects(trail)
    if not objs:
        print(f"no CloudTrail log objects under {trail}", file=sys.stderr)
        return 2
    gz_total = sum(s for _, s in objs)
    manifest = load_manifest(trail)
    records = manifest.get("records")
    expected = read_expected(trail)
    list_file = work / "objects.txt"
    list_file.write_text("\n".join(p for p, _ in objs) + "\n")
    me = [sys.executable, str(Path(__file__).resolve())]
    say = lambda *x: print(*x, file=sys.stderr, flush=True)  # noqa: E731

    say(f"trail {trail}: {len(objs)} log objects, {gz_total / 1e6:.1f} MB gz"
        + (f", {records:,} records, {manifest.get('json_bytes', 0) / 1e9:.2f} GB JSON" if records else ""))
    t0 = time.perf_counter()
    for path, _ in objs:  # same footing for every row: the files are in the page cache
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass
    say(f"page cache warm-up read: {time.perf_counter() - t0:.1f} s")

    def timed(name, argv, **kw):
        runs = []
        for i in range(a.repeat):
            say(f"[{name}] run {i + 1}/{a.repeat} ...")
            r = run_child(name, argv, log_dir=logs, **kw)
            runs.append(r)
            if not r.get("ok"):
                break
            say(f"[{name}] {r['wall']:.2f} s")
        return best_of(runs)

    rows: list[dict] = []
    checks: dict[str, dict] = {}

    # (1) floor
    lib = "ISA-L" if _inflater() is not zlib else "zlib"
    floor = timed(f"floor: {lib} inflate ×{a.workers} procs", me + ["_floor", "--list", str(list_file), "--workers", str(a.workers)])
    if floor.get("ok") and floor.get("report"):
        floor["wall_eff"] = floor["report"]["seconds"]  # the pool's own clock: without interpreter/pool start
        floor["cpu"] = floor["report"]["cpu"]
        floor["note"] = f"{floor['report']['json_bytes'] / 1e9:.2f} GB JSON out; pool start excluded"
    rows.append(floor)
    floor_s = floor.get("wall_eff") if floor.get("ok") else None

    if not a.no_gzip:
        sample, acc = [], 0
        step = max(1, int(len(objs) / max(1, a.gzip_sample_mb * 1e6 / (gz_total / len(objs)))))
        for path, size in objs[::step]:
            sample.append(path)
            acc += size
        sl = work / "gzip-sample.txt"
        sl.write_text("\n".join(sample) + "\n")
        g = timed(f"gzip -dc ×{a.workers} procs", me + ["_gzip", "--list", str(sl), "--workers", str(a.workers)])
        if g.get("ok") and g.get("report"):
            g["wall_eff"] = g["report"]["seconds"] * gz_total / acc
            g["cpu"] = g["report"]["cpu"] * gz_total / acc
            g["note"] = f"scaled from {acc / 1e6:.0f} MB ({len(sample)} objects)" if acc < gz_total else "all objects"
        rows.append(g)

    # (3) the python loop
    if not a.no_python:
        out = work / "pyloop.csv"
        r = timed("python loop: gzip+json+jmespath, 1 proc",
                  me + ["_pyloop", "--list", str(list_file), "--map", str(rmap), "--out", str(out), "--workers", "1"])
        if r.get("ok"):
            r["wall_eff"], r["cpu"] = r["report"]["seconds"], r["report"]["cpu"]
            if expected is not None:
                checks[r["step"]] = compare(expected, read_result_csv(str(out)))
        rows.append(r)
    if not a.no_python_pool and a.workers > 1:
        out = work / "pyloop-pool.csv"
        r = timed(f"python loop ×{a.workers} procs (for reference)",
                  me + ["_pyloop", "--list", str(list_file), "--map", str(rmap), "--out", str(out), "--workers", str(a.workers)])
        if r.get("ok"):
            r["wall_eff"], r["cpu"] = r["report"]["seconds"], r["report"]["cpu"]
            if expected is not None:
                checks[r["step"]] = compare(expected, read_result_csv(str(out)))
        rows.append(r)

    # (2) trailcreator load, local
    load_local = None
    if not a.no_load:
        db = work / "load-local.db"
        for f in (db, work / "load-local.duckdb", work / "load-local.duckdb.wal"):
            f.unlink(missing_ok=True)
        argv_, env, how = load_argv(a.load_cmd, str(trail), str(rmap), str(db))
        say(f"load command: {shlex.join(argv_)}")
        r = timed("load (local dir)", argv_, env=env)
        if r.get("ok"):
            r["note"] = how or ""
            try:
                if expected is not None:
                    checks[r["step"]] = compare(expected, read_result_db(str(db)))
            except sqlite3.Error as e:
                r["note"] = f"{r['note']}; result not readable: {e}".strip("; ")
            load_local = r
        elif not_available(r):
            r["note"] = f"skipped: load command not available ({r.get('note', '')})"
        rows.append(r)
        if r.get("ok"):
            again = run_child("load again, nothing new (no-op)", argv_, env=env, log_dir=logs)
            again["no_rate"] = True
            rows.append(again)

    # S3 at internet latency: a read-only S3 front over the trail folder, each answer delayed
    latency_rows = {}
    if a.s3_latency_ms is not None:
        front = None
        try:
            front, endpoint = start_front(trail, a.s3_latency_ms, logs)
            keys = [str(Path(pth).relative_to(trail)) for pth, _ in objs]
            kl = work / "s3-keys.txt"
            kl.write_text("\n".join(keys) + "\n")
            name = f"s3 GET + inflate, {a.s3_latency_ms:g} ms ×{a.workers}×{a.s3_threads}"
            r = timed(name, me + ["_floor", "--list", str(kl), "--workers", str(a.workers), "--s3-endpoint", endpoint,
                                  "--bucket", S3_BUCKET, "--threads", str(a.s3_threads)], extra_monitor=front.pid)
            if r.get("ok"):
                r["wall_eff"], r["cpu"] = r["report"]["seconds"], r["report"]["cpu"]
            rows.append(r)
            if not a.no_load:
                db = work / "load-s3-latency.db"
                for f in (db, Path(str(db)[:-3] + ".duckdb"), Path(str(db)[:-3] + ".duckdb.wal")):
                    f.unlink(missing_ok=True)
                argv_, env, how = load_argv(a.load_cmd, f"s3://{S3_BUCKET}/", str(rmap), str(db))
                env.update(S3_ENV)
                env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ENDPOINT_URL_S3": endpoint})
                env.pop("AWS_PROFILE", None)
                stats0 = front_stats(endpoint, reset_max=True)
                r = timed(f"load (s3, {a.s3_latency_ms:g} ms latency)", argv_, env=env, extra_monitor=front.pid)
                st = front_stats(endpoint)
                if r.get("ok"):
                    n_req = st["requests"] - stats0["requests"]
                    kinds = {k: n - stats0["by_kind"].get(k, 0) for k, n in st["by_kind"].items()}
                    r["note"] = (f"{len(objs) / r['wall']:.0f} objects/s, {gz_total / 1e6 / r['wall']:.1f} MB/s; "
                                 f"{n_req} requests ({kinds}), at most {st['max_in_flight']} in flight")
                    if expected is not None:
                        checks[r["step"]] = compare(expected, read_result_db(str(db)))
                    latency_rows["load"] = r
                rows.append(r)
        except Exception as e:
            rows.append(StepResult(step="s3 latency front", ok=False, note=f"failed: {type(e).__name__}: {e}"))
        finally:
            if front:
                front.terminate()
                front.wait(10)

    # S3 through moto
    s3_info = {}
    if not a.no_s3:
        moto = None
        try:
            moto, endpoint = start_moto(logs)
            n_files, up_bytes, up_s = upload_trail(trail, endpoint, S3_BUCKET)
            s3_info = {"endpoint": endpoint, "uploaded_files": n_files, "upload_s": up_s, "moto_pid": moto.pid}
            say(f"moto at {endpoint}: uploaded {n_files} files ({up_bytes / 1e6:.0f} MB) in {up_s:.1f} s")
            keys = [str(Path(pth).relative_to(trail)) for pth, _ in objs]
            kl = work / "s3-keys.txt"
            kl.write_text("\n".join(keys) + "\n")
            r = timed("s3 list (whole bucket, boto3)", me + ["_s3list", "--s3-endpoint", endpoint, "--bucket", S3_BUCKET],
                      extra_monitor=moto.pid)
            if r.get("ok"):
                r["wall_eff"] = r["report"]["seconds"]
                r["note"] = (f"{r['report']['keys']} keys (logs + digests), {r['report']['pages']} pages; "
                             f"moto: {r.get('extra_cpu', 0):.1f} CPU s")
                r["no_rate"] = True
            rows.append(r)
            for inflate in (False, True):
                name = (f"s3 GET + inflate ×{a.workers}×{a.s3_threads}" if inflate else f"s3 GET only ×{a.workers}×{a.s3_threads}")
                argv_ = me + ["_floor", "--list", str(kl), "--workers", str(a.workers), "--s3-endpoint", endpoint,
                              "--bucket", S3_BUCKET, "--threads", str(a.s3_threads)] + ([] if inflate else ["--no-inflate"])
                r = timed(name, argv_, extra_monitor=moto.pid)
                if r.get("ok"):
                    r["wall_eff"], r["cpu"] = r["report"]["seconds"], r["report"]["cpu"]
                    r["note"] = (f"{len(keys) / r['wall_eff']:.0f} GET/s; moto: {r.get('extra_cpu', 0):.1f} CPU s, "
                                 f"peak {r.get('extra_peak_rss', 0) / 2**20:.0f} MiB")
                rows.append(r)
            if not a.no_load:
                db = work / "load-s3.db"
                for f in (db, work / "load-s3.duckdb", work / "load-s3.duckdb.wal"):
                    f.unlink(missing_ok=True)
                argv_, env, how = load_argv(a.load_cmd, f"s3://{S3_BUCKET}/", str(rmap), str(db))
                env.update(S3_ENV)
                env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ENDPOINT_URL_S3": endpoint})
                env.pop("AWS_PROFILE", None)
                r = timed("load (s3 via moto)", argv_, env=env, extra_monitor=moto.pid)
                if r.get("ok"):
                    r["note"] = (f"moto: {r.get('extra_cpu', 0):.1f} CPU s, peak {r.get('extra_peak_rss', 0) / 2**20:.0f} MiB "
                                 f"(not in CPU s / RSS columns)")
                    try:
                        if expected is not None:
                            checks[r["step"]] = compare(expected, read_result_db(str(db)))
                    except sqlite3.Error as e:
                        r["note"] += f"; result not readable: {e}"
                elif not_available(r):
                    r["note"] = f"skipped: load command not available ({r.get('note', '')})"
                rows.append(r)
        except Exception as e:  # the local rows stand on their own
            rows.append(StepResult(step="s3 (moto)", ok=False, note=f"failed: {type(e).__name__}: {e}"))
        finally:
            if moto:
                moto.terminate()
                try:
                    moto.wait(10)
                except subprocess.TimeoutExpired:
                    moto.kill()

    # --- report
    print()
    print(f"trail: {trail} — {len(objs)} objects, {gz_total / 1e6:.1f} MB gz"
          + (f", {manifest.get('json_bytes', 0) / 1e9:.2f} GB JSON, {records:,} records" if records else "")
          + f"; {os.cpu_count()} CPUs; best of {a.repeat}")
    print()
    print(table(rows, gz_total, records, floor_s))
    print()
    byname = {r["step"]: r for r in rows}
    py = next((r for r in rows if r["step"].startswith("python loop:") and r.get("ok")), None)
    eff = lambda r: r.get("wall_eff", r.get("wall"))  # noqa: E731
    cpu_ratio = lambda x, y: f" (CPU time: {x['cpu'] / y['cpu']:.2f})" if x.get("cpu") and y.get("cpu") else ""  # noqa: E731
    if load_local and floor_s:
        print(f"- load/floor = {eff(load_local) / floor_s:.2f}{cpu_ratio(load_local, floor)} (target ≤ 2.0 at 3.5 GB)")
    if load_local and py:
        print(f"- python/load = {eff(py) / eff(load_local):.2f}{cpu_ratio(py, load_local)} (target ≥ 10)")
    if load_local:
        print(f"- load per object = {eff(load_local) / len(objs) * 1e3:.3f} ms wall, "
              f"{load_local.get('cpu', 0) / len(objs) * 1e3:.3f} CPU-ms (whole command; {gz_total / len(objs) / 1e3:.1f} KB gz "
              f"per object)")
        print(f"- load peak RSS = {load_local['peak_rss'] / 2**20:.0f} MiB (target ≤ 512, flat with trail size)")
    if py and floor_s:
        print(f"- python/floor = {eff(py) / floor_s:.2f}{cpu_ratio(py, floor)}")
    gz_row = next((r for r in rows if r["step"].startswith("gzip -dc") and r.get("ok")), None)
    if gz_row and floor_s:
        print(f"- gzip -dc/floor = {eff(gz_row) / floor_s:.2f}{cpu_ratio(gz_row, floor)} (zlib vs GNU gzip)")
    s3_load = byname.get("load (s3 via moto)")
    s3_floor = next((r for r in rows if r["step"].startswith("s3 GET + inflate") and r.get("ok")), None)
    s3_get = next((r for r in rows if r["step"].startswith("s3 GET only") and r.get("ok")), None)
    s3_list = byname.get("s3 list (whole bucket, boto3)")
    if s3_info:
        parts = [f"upload (setup, untimed in rows) {s3_info['upload_s']:.1f} s"]
        if s3_list and s3_list.get("ok"):
            parts.append(f"listing {eff(s3_list):.2f} s")
        if s3_get:
            parts.append(f"GETs {eff(s3_get):.2f} s")
        if s3_floor:
            parts.append(f"GET+inflate {eff(s3_floor):.2f} s")
        if s3_load and s3_load.get("ok"):
            parts.append(f"load {eff(s3_load):.2f} s")
            if s3_floor:
                parts.append(f"load/(GET+inflate) = {eff(s3_load) / eff(s3_floor):.2f}")
                parts.append(f"≈ {max(0.0, eff(s3_load) - eff(s3_floor)):.1f} s beyond fetching and inflating (parsing, "
                             f"filtering, writing)")
        print("- S3 via moto: " + "; ".join(parts))
    if latency_rows.get("load") and load_local:
        lat = latency_rows["load"]
        print(f"- S3 at {a.s3_latency_ms:g} ms: throughput {eff(load_local) / eff(lat) * 100:.0f}% of the local directory's "
              f"(target ≥ 50%); {lat.get('note', '')}")
    no_op = byname.get("load again, nothing new (no-op)")
    if no_op and no_op.get("ok"):
        print(f"- no-op reload = {no_op['wall']:.2f} s (target ≤ 3 s)")
    for name, c in checks.items():
        status = "OK" if c["matches"] == c["expected"] and not c["extra"] else "MISMATCH"
        print(f"- correctness [{name}]: {status}: {c['matches']}/{c['expected']} match, {c['wrong']} wrong creator/event, "
              f"{c['missing']} missing, {c['extra']} extra")
        for kind in ("wrong", "missing", "extra"):
            for ex in c["examples"][kind]:
                print(f"    {kind}: {ex}")
    if expected is None:
        print("- correctness: no expected_creators.csv in the trail; not checked")
    others = [r.get("others", 0) for r in rows if r.get("ok")]
    if others and max(others) > 0.1:
        print(f"- note: other processes used up to {max(others) * 100:.0f}% of the CPUs during a step; "
              "timings are pessimistic (use --repeat, or an idle machine)")
    result = {"trail": str(trail), "objects": len(objs), "gz_bytes": gz_total, "records": records,
              "json_bytes": manifest.get("json_bytes"), "cpus": os.cpu_count(), "repeat": a.repeat,
              "rows": [{k: v for k, v in r.items() if k not in ("argv",)} for r in rows], "checks": checks, "s3": s3_info}
    (work / "results.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"\n(results: {work / 'results.json'}; logs: {logs})")
    return 0


def child_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="run_bench.py " + argv[0])
    p.add_argument("--list")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--map")
    p.add_argument("--out")
    p.add_argument("--s3-endpoint")
    p.add_argument("--bucket")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--no-inflate", action="store_true")
    a = p.parse_args(argv[1:])
    {"_floor": child_floor, "_gzip": child_gzip, "_pyloop": child_pyloop, "_s3list": child_s3list}[argv[0]](a)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        sys.exit(child_main(sys.argv[1:]))
    sys.exit(main())
