#!/usr/bin/env python3
"""Where one object's milliseconds go: each stage of a load, timed on its own, in one process.

    python bench/profile_object.py --trail bench/out/compact2k --objects 400
    python bench/profile_object.py --trail bench/out/small4k --objects 4000

Every stage calls the product's own code (``trailcreator.ingest``) on the first N objects of the
trail, in the order a load runs them, and reports CPU milliseconds per object on one core (the
process's CPU clock, so another process on the machine moves the figures little):

- worker: open + read, inflate, the scan (finding the mapped names, the kept records parsed,
  checked and slimmed), the results' pickling (what goes back to the parent);
- parent: the results' unpickling, the ledger row and the kept records written to the batch
  files (``BatchWriter.add``), the batch's commit (DuckDB reading the files, the ledger insert);
- listing: the listing of the whole trail, per object.

With ``--cprofile`` the scan stage also gets a function-level profile (the top entries).
Not a test and not a timed assertion: figures for the bench notes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pickle
import pstats
import sys
import tempfile
import time

_BENCH = os.path.dirname(os.path.abspath(__file__))
try:
    import trailcreator  # noqa: F401
except ImportError:  # not installed: this checkout's package
    sys.path.insert(0, os.path.join(os.path.dirname(_BENCH), "runner"))

import duckdb  # noqa: E402

from trailcreator.ingest import listing, reader, scan  # noqa: E402
from trailcreator.mapping import resource_map  # noqa: E402
from trailcreator import attribution  # noqa: E402

cpu = time.process_time


def wanted_for(map_path: str) -> tuple[scan.Wanted, list]:
    """What a default load keeps: the map's pairs and the link pairs (slimmed)."""
    rmap = resource_map.load(map_path)
    pairs = sorted(set(rmap.event_pairs) | set(attribution.LINK_EVENT_PAIRS))
    return scan.Wanted(frozenset(pairs), frozenset(attribution.ROLE_SESSION_EVENT_PAIRS)), pairs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trail", required=True)
    p.add_argument("--objects", type=int, default=400)
    p.add_argument("--cprofile", action="store_true")
    a = p.parse_args(argv)
    wanted, pairs = wanted_for(os.path.join(a.trail, "resource_map.json"))
    spec = listing.TrailSpec(os.path.abspath(a.trail))

    t = cpu()
    objs = [o for o in listing.iter_objects(spec) if listing.is_log_file(o)]
    t_list = (cpu() - t) / len(objs)
    objs = objs[: a.objects]
    n = len(objs)
    stages: dict[str, float] = {"listing (whole trail, per object)": t_list}

    def stage(name, fn):
        t0 = cpu()
        out = fn()
        stages[name] = (cpu() - t0) / n
        return out

    scan._keep_buffers_in_the_heap()  # as a worker does
    # One object at a time, as a worker takes them: its buffers freed before the next.
    t_read = t_inflate = t_scan = 0.0
    prof = cProfile.Profile() if a.cprofile else None
    results = []
    for o in objs:
        t0 = cpu()
        with open(o.url, "rb") as f:
            raw = f.read()
        t1 = cpu()
        data = scan.inflate(raw)
        t2 = cpu()
        if prof:
            prof.enable()
        res = scan.ScanResult(o.url)
        if not scan._fast(data, wanted, res):
            res.hits.clear()
            scan._whole(data, wanted, res)
        if prof:
            prof.disable()
        t3 = cpu()
        results.append(res)
        del raw, data
        t_read, t_inflate, t_scan = t_read + t1 - t0, t_inflate + t2 - t1, t_scan + t3 - t2
    stages["worker: open + read"] = t_read / n
    stages["worker: inflate"] = t_inflate / n
    stages["worker: scan (names, kept records)"] = t_scan / n
    by_url = {r.url: r for r in results}
    tasks = [[by_url[o.url] for o in c] for c in reader._chunks(objs, reader.TASK_MAX_OBJECTS, reader.TASK_MAX_BYTES)]
    blobs = stage("worker: results pickled", lambda: [pickle.dumps(t_, pickle.HIGHEST_PROTOCOL) for t_ in tasks])
    back = stage("parent: results unpickled", lambda: [r for b in blobs for r in pickle.loads(b)])
    ipc_bytes = sum(map(len, blobs)) / n

    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(os.path.join(tmp, "p.duckdb"))
        reader.ensure_tables(con)
        for k, v in reader.INGEST_SETTINGS.items():
            con.execute(f"SET {k} = '{v}'")
        writer = reader.BatchWriter(con, "run", reader.map_fingerprint(pairs), tmp)
        writer.queue.put(None)  # the commits are timed here, in this thread
        writer.thread.join()
        batches = []
        writer.queue = type("Q", (), {"put": lambda self, item: batches.append(item)})()

        def add_all():
            for o, r in zip(objs, back):
                writer.in_flight[r.url] = (o, False)
                writer.add(r)
            writer.flush()
        stage("parent: ledger row + kept records to the batch files", add_all)

        def commit_all():
            for d, stale in batches:
                writer._commit(d, stale)
        stage(f"parent: batch commits ({len(batches)} of <= {reader.BATCH_MAX_OBJECTS} objects)", commit_all)
        con.close()

    kept = sum(len(r.hits) for r in results)
    sizes = sum(o.size for o in objs) / n
    print(f"{a.trail}: {n} objects, {sizes / 1e3:.1f} KB gz each, {sum(r.records for r in results) / n:.0f} records "
          f"and {kept / n:.1f} kept per object; {ipc_bytes / 1e3:.1f} KB of results per object back to the parent")
    total = 0.0
    for name, s in stages.items():
        print(f"  {s * 1e3:7.3f} ms  {name}")
        total += s
    print(f"  {total * 1e3:7.3f} ms  all stages, one core")
    if prof:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
