#!/usr/bin/env python3
"""Write a realistic CloudTrail trail for the benchmark, and the creators a loader must find.

Layout (what CloudTrail delivers to S3):

    OUT/[prefix/]AWSLogs/[o-org/]<acct>/CloudTrail/<region>/yyyy/mm/dd/<acct>_CloudTrail_<region>_<yyyymmddThhmmZ>_<16>.json.gz
    OUT/[prefix/]AWSLogs/[o-org/]<acct>/CloudTrail-Digest/<region>/yyyy/mm/dd/<acct>_CloudTrail-Digest_<region>_<trail>_<home>_<ts>.json.gz

plus, beside ``AWSLogs``:

    OUT/resource_map.json        the map the trail was generated for (trailcreator's shipped map unless --resource-map)
    OUT/expected_creators.csv    the creator per (account, region, resource_type, resource_id), by trailcreator's
                                 own rules (benchtrail/expected.py)
    OUT/manifest.json            parameters and counts (objects, records, bytes, duplicates, failures, ...)

The trail is mostly read-only noise (Describe*/Get*/List*, AssumeRole, KMS, ...) from many kinds of
identity; about 1% of the records are create events of the mapped kinds, some of them failed
(``errorCode``: must not count), some delivered twice (same ``eventID`` in two objects), some reusing
a name created earlier (the latest successful create wins; for a Put* event, which creates or
updates, the earliest) and some delivered late (event time on
the day before the folder's date).  Digest files sit beside the logs.

Determinism: every object is rendered from its own seed, derived from ``--seed``; the same arguments
give byte-identical files whatever the number of worker processes.

Run ``python bench/generate_trail.py --help``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from datetime import datetime, timezone

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _BENCH)  # bench/benchtrail, also when loaded by path
try:
    import trailcreator  # noqa: F401  (the expected creators are its rules)
except ImportError:  # not installed: this checkout's package
    sys.path.insert(0, os.path.join(os.path.dirname(_BENCH), "runner"))

from benchtrail.layout import _init_worker, _stream_weights, _work, plan, render_object, write_digests  # noqa: E402
from trailcreator.errors import TrailcreatorError  # noqa: E402
from benchtrail.expected import expected_creators, load_map, write_expected  # noqa: E402
from benchtrail.creates import CREATE_BY_KEY  # noqa: E402
from benchtrail.records import Renderer  # noqa: E402
from benchtrail.world import REGION_POOL  # noqa: E402


# --- trail shapes -----------------------------------------------------------------------------

# What real trails are mostly made of (CloudTrail delivers an object per account, region and ~5
# minutes, busy or not): each shape sets the objects' size and the mix of calls.  AssumeRole is
# ~10% of the records (its pick weight 8.4 against the catalog's: AssumeRole bursts less than the
# reads do), creates of mapped kinds ~2%, reads (Describe/List/Get) most of the rest.
REAL_MIX = {"create_rate": 0.02, "noise_weights": {"sts.amazonaws.com AssumeRole": 8.4}}
SHAPES = {
    "default": {"records_per_object": 1000, "spread": 0.5},
    "compact": {"objects": 2000, "records_per_object": 500, "spread": 0.0, "days": 10, **REAL_MIX},  # a busy region
    "small": {"objects": 4000, "records_per_object": 20, "spread": 0.0, "days": 10, **REAL_MIX},     # a quiet one
}


# --- main -------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output directory (created; must be empty or a previous output)")
    p.add_argument("--shape", choices=sorted(SHAPES), default="default",
                   help="compact: 2,000 objects of 500 records, small: 4,000 objects of 20 records, both with a real "
                        "trail's mix (AssumeRole ~10%%, creates ~2%%, reads most of the rest); the options below "
                        "override a shape's sizes")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--size-mb", type=float, help="target total size of the gzipped log objects, in MB (10^6 bytes)")
    size.add_argument("--objects", type=int, help="number of log objects")
    p.add_argument("--records-per-object", type=int, help="mean records per object (default 1000)")
    p.add_argument("--spread", type=float,
                   help="records per object vary uniformly in mean*(1±spread) (default 0.5; 0 = exact)")
    p.add_argument("--accounts", type=int, default=3)
    p.add_argument("--regions", type=int, default=3, help=f"how many of {', '.join(REGION_POOL)} (first N)")
    p.add_argument("--days", type=int)
    p.add_argument("--start", default="2026-01-05", help="first day, UTC (default 2026-01-05)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--resource-map", help="resource map JSON (default: trailcreator's shipped map); creates are "
                                          "generated for its events that this generator knows")
    p.add_argument("--org-id", help="organization trail layout: AWSLogs/<org-id>/<account>/...")
    p.add_argument("--prefix", default="", help="S3 prefix before AWSLogs/")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--force", action="store_true", help="replace a previous output in --out")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)
    shape = SHAPES[a.shape]
    for k in ("records_per_object", "spread", "days"):
        if getattr(a, k) is None:
            setattr(a, k, shape.get(k, {"records_per_object": 1000, "spread": 0.5, "days": 7}[k]))
    if a.size_mb is None and a.objects is None:
        if "objects" not in shape:
            p.error("one of --size-mb or --objects is required (or a --shape that sets them)")
        a.objects = shape["objects"]
    if a.spread < 0 or a.spread >= 1:
        p.error("--spread must be in [0, 1)")
    return a


def _prepare_out(out: str, force: bool) -> None:
    if os.path.isdir(out) and os.listdir(out):
        if not force:
            raise SystemExit(f"{out} is not empty (use --force to replace a previous output)")
        if not os.path.exists(os.path.join(out, "manifest.json")):
            raise SystemExit(f"{out} is not a previous output of this generator (no manifest.json): not touching it")
        for name in os.listdir(out):
            path = os.path.join(out, name)
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    os.makedirs(out, exist_ok=True)


def main(argv=None) -> int:
    a = parse_args(argv)
    t0 = time.time()
    log = (lambda *x: None) if a.quiet else (lambda *x: print(*x, file=sys.stderr, flush=True))
    # The map the load will use: the shipped one unless --resource-map; read and validated by
    # trailcreator itself (its ids expressions decide what the expected creators are).
    try:
        resource_map = load_map(a.resource_map)
    except TrailcreatorError as e:
        raise SystemExit(str(e)) from None
    with open(resource_map.source, "rb") as f:
        map_bytes = f.read()
    rmap = json.loads(map_bytes)
    mapped = set(resource_map.event_pairs)
    known = mapped & set(CREATE_BY_KEY)
    log(f"{resource_map.source}: creates are generated for {len(known)} of its {len(mapped)} events "
        f"({', '.join(sorted(e for _, e in known)) or 'none'}); the generator makes no others")
    start = int(datetime.strptime(a.start, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())
    cfg = {"seed": a.seed, "accounts": a.accounts, "regions": a.regions, "days": a.days, "start": start,
           "records_per_object": a.records_per_object, "spread": a.spread, "resource_map": rmap,
           "org_id": a.org_id, "prefix": a.prefix, "out": os.path.abspath(a.out), "objects": a.objects or 0,
           "create_rate": SHAPES[a.shape].get("create_rate"), "noise_weights": SHAPES[a.shape].get("noise_weights")}
    renderer = Renderer(cfg)

    if a.size_mb:
        # Calibrate: compressed bytes per record of a dozen objects from the busiest streams,
        # weighted like the streams (objects vary a lot: bursts); creates are 1% and barely count.
        streams = sorted(_stream_weights(renderer.world), reverse=True)
        sample = [streams[i % min(6, len(streams))] for i in range(12)]
        n = max(200, min(a.records_per_object, 2000))
        gz = raw = 0.0
        for i, (w, acct, reg) in enumerate(sample):
            data, info = render_object(renderer, {"account": acct, "region": reg, "delivery": start + 43200 + i,
                                                  "n": n, "seed": a.seed * 1000 + i, "planned": []})
            gz += w * len(gzip.compress(data, 6, mtime=0)) / n
            raw += w * len(data) / n
        wsum = sum(w for w, _, _ in sample)
        per_record, data_len = gz / wsum, raw / wsum
        cfg["objects"] = max(1, round(a.size_mb * 1e6 / (per_record * a.records_per_object)))
        log(f"calibration: {per_record:.0f} gz bytes/record, {data_len:.0f} JSON bytes/record "
            f"-> {cfg['objects']} objects of ~{a.records_per_object} records")

    _prepare_out(a.out, a.force)
    tasks, stats = plan(cfg, renderer)
    # Noise never holds a mapped event (Renderer leaves those kinds out), so the planned creates are
    # every record the map can find ids in; first deliveries first, as the load keeps them.
    creates = {e["event_id"]: e for t in tasks for e in t["planned"] if e["kind"] == "create"}
    best = expected_creators((json.loads(renderer.create_record(e)) for e in creates.values()), resource_map)
    log(f"planned {len(tasks)} objects, {sum(t['n'] for t in tasks)} records, {stats['create_events']} creates "
        f"({stats['failed_creates']} failed), {len(best)} expected creators; rendering with {a.workers} processes")

    results = []
    total_gz = 0
    t_render = time.time()
    if a.workers > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(a.workers, initializer=_init_worker, initargs=(cfg,)) as pool:
            for i, info in enumerate(pool.imap_unordered(_work, tasks, chunksize=1)):
                results.append(info)
                total_gz += info["gz_bytes"]
                if not a.quiet and (i + 1) % max(1, len(tasks) // 20) == 0:
                    el = time.time() - t_render
                    log(f"  {i + 1}/{len(tasks)} objects, {total_gz / 1e6:.0f} MB gz, {el:.0f} s")
    else:
        _init_worker(cfg)
        results = [_work(t) for t in tasks]
    n_digests = write_digests(cfg, renderer.world, results)
    write_expected(os.path.join(a.out, "expected_creators.csv"), best)
    with open(os.path.join(a.out, "resource_map.json"), "wb") as f:
        f.write(map_bytes)  # the map as it was read, byte for byte
    results.sort(key=lambda r: r["idx"])
    manifest = {
        "generator": "bench/generate_trail.py",
        "args": {k: v for k, v in vars(a).items() if k not in ("out", "force", "quiet", "workers")},
        "accounts": renderer.world.accounts, "regions": renderer.world.regions,
        "org_id": a.org_id, "prefix": a.prefix,
        "objects": len(results), "records": sum(r["records"] for r in results),
        "gz_bytes": sum(r["gz_bytes"] for r in results), "json_bytes": sum(r["json_bytes"] for r in results),
        "digest_files": n_digests, "late_records": sum(r["late"] for r in results),
        "expected_creators": len(best), **stats,
        "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    log(f"wrote {manifest['objects']} objects, {manifest['records']} records, {manifest['gz_bytes'] / 1e6:.1f} MB gz "
        f"({manifest['json_bytes'] / 1e6:.0f} MB JSON, x{manifest['json_bytes'] / max(1, manifest['gz_bytes']):.1f}), "
        f"{n_digests} digests, {manifest['late_records']} late records in {manifest['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
