"""The layout of a benchmark trail: which objects exist (stream, delivery time, key, record count),
which planned records (creates, duplicates) go into which object, rendering and writing one object,
and the digest files beside the logs."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import time

from .creates import ALREADY_EXISTS, CREATE_KINDS
from .records import Renderer
from .world import (CREATE_DUP_RATE, CREATE_FAIL_RATE, CREATE_RATE, ENVS, GLOBAL_REGION, LAG_RATE, NAME_REUSE_RATE,
                    NOISE_DUP_RATE, PROJECTS, TRAIL_BUCKET, TRAIL_NAME, WORDS, Weighted, World, alnum, hexs, iso, uuid4)

# --- per-object work (runs in the pool) --------------------------------------------------------

_R: Renderer | None = None


def _init_worker(cfg: dict) -> None:
    global _R
    _R = Renderer(cfg)


def render_object(r: Renderer, task: dict) -> tuple[bytes, dict]:
    rng = random.Random(task["seed"])
    account, region, deliv = task["account"], task["region"], task["delivery"]
    n_noise = task["n"] - len(task["planned"])
    parts = []
    prev = None
    t = deliv - rng.uniform(5, 300)
    for _ in range(max(0, n_noise)):
        # Calls come in bursts (a poller, a Config sweep, a deploy): the same caller making the
        # same call again a moment later; otherwise a new call at a new time.
        if prev is not None and rng.random() < prev[0].burst:
            t = min(deliv - 1, t + rng.random() * 2)
        else:
            prev = None
            lag = rng.uniform(300, 1500) if rng.random() < LAG_RATE else rng.uniform(5, 300)
            t = deliv - lag
        rec, prev = r.noise_record(rng, account, region, int(t), prev=prev)
        parts.append((int(t), rec))
    for e in task["planned"]:
        if e["kind"] == "create":
            parts.append((e["t"], r.create_record(e)))
        else:
            parts.append((e["t"], r.noise_record(random.Random(e["seed"]), account, region, e["t"], e["event_id"])[0]))
    parts.sort(key=lambda p: p[0])
    day = time.strftime("%Y-%m-%d", time.gmtime(deliv))
    late = sum(1 for t, _ in parts if iso(t)[:10] != day)
    data = ('{"Records":[' + ",".join(s for _, s in parts) + "]}").encode()
    info = {"records": len(parts), "late": late, "json_bytes": len(data),
            "oldest": iso(parts[0][0]) if parts else None, "newest": iso(parts[-1][0]) if parts else None}
    return data, info


def _work(task: dict) -> dict:
    data, info = render_object(_R, task)
    gz = gzip.compress(data, compresslevel=6, mtime=0)
    path = os.path.join(task["out"], task["key"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gz)
    info.update(idx=task["idx"], key=task["key"], account=task["account"], region=task["region"],
                delivery=task["delivery"], gz_bytes=len(gz), sha256=hashlib.sha256(data).hexdigest())
    return info


# --- planning (parent) ------------------------------------------------------------------------

def _stream_weights(world: World) -> list[tuple[float, str, str]]:
    out = []
    for i, a in enumerate(world.accounts):
        for j, r in enumerate(world.regions):
            out.append(((1.0 / (1 + 0.5 * i)) * (1.6 if j == 0 else 1.0 / (1 + 0.3 * j)), a, r))
    return out


def _split(total: int, weights: list[float]) -> list[int]:
    s = sum(weights)
    raw = [total * w / s for w in weights]
    n = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - n[i], reverse=True)[: total - sum(n)]:
        n[i] += 1
    return n


def plan(cfg: dict, r: Renderer) -> tuple[list[dict], dict]:
    """Decide every object (where, when, how many records) and every planned record.

    Planned records are the create events (and a few noise events delivered twice); they are
    decided here, in time order per stream, so name reuse and duplicates are consistent.
    """
    world = r.world
    rng = random.Random(f"plan:{cfg['seed']}")
    start = cfg["start"]
    span = cfg["days"] * 86400
    streams = _stream_weights(world)
    counts = _split(cfg["objects"], [w for w, _, _ in streams])
    mapped = {}
    for res in cfg["resource_map"]["resources"]:
        for ev in res["events"]:
            mapped.setdefault((ev["service"], ev["event"]), []).append(res["resource"])
    kinds = [k for k in CREATE_KINDS if (k.source, k.name) in mapped]
    stats = {"create_events": 0, "failed_creates": 0, "duplicate_records": 0, "duplicate_creates": 0,
             "name_reuses": 0, "successful_reuses": 0, "overwrites": 0}
    tasks = []
    spread = cfg["spread"]
    rpo = cfg["records_per_object"]
    create_rate = cfg.get("create_rate") or CREATE_RATE
    for (_, account, region), n_obj in zip(streams, counts):
        if n_obj == 0:
            continue
        times = sorted(start + rng.uniform(0, span) for _ in range(n_obj))
        stream_tasks = []
        for t in times:
            n = max(1, round(rpo * rng.uniform(1 - spread, 1 + spread)))
            key = _object_key(world, account, region, t, rng)
            stream_tasks.append({"account": account, "region": region, "delivery": int(t), "n": n,
                                 "seed": rng.getrandbits(63), "planned": [], "key": key})
        tasks.append(stream_tasks)

    # Late delivery, for certain: the first stream's object nearest a midnight is moved to 00:03
    # after it and gets a create from before midnight, so that event sits in the next day's folder.
    if kinds:
        boundary = start + 86400 * max(1, cfg["days"] // 2)
        first = tasks[0]
        j = min(range(len(first)), key=lambda i: abs(first[i]["delivery"] - boundary))
        late = first[j]
        late["delivery"] = boundary + 180 + rng.randrange(60)
        late["key"] = _object_key(world, late["account"], late["region"], late["delivery"], rng)
        late["late_boundary"] = boundary
        first.sort(key=lambda x: x["delivery"])

    reuse_pool: dict[tuple, list[tuple[str, int]]] = {}
    used_names: set[tuple] = set()
    for stream_tasks in tasks:
        for i, task in enumerate(stream_tasks):
            account, region, deliv = task["account"], task["region"], task["delivery"]
            here = [k for k in kinds if not k.global_only or region == GLOBAL_REGION]
            n_create = int(task["n"] * create_rate)
            if rng.random() < task["n"] * create_rate - n_create:
                n_create += 1
            boundary = task.get("late_boundary")
            if boundary:
                n_create = max(n_create, 1)
                here = here or kinds
            if not here:
                n_create = 0
            n_create = min(n_create, task["n"])
            for _ in range(n_create):
                kind = Weighted([(k.weight, k) for k in here]).pick(rng)
                t = (boundary - rng.randrange(1, 600)) if boundary else int(deliv - rng.uniform(5, 300))
                e = {"kind": "create", "source": kind.source, "event": kind.name, "account": account, "region": region,
                     "t": t, "event_id": uuid4(rng), "seed": rng.getrandbits(63)}
                pool = reuse_pool.setdefault((account, region, kind.name), [])
                error = None
                if kind.naming == "name":
                    older = [p for p in pool if p[1] < t - 2]
                    # (the first chance of a reuse is always taken, and succeeds: even a tiny trail
                    # then has a name whose latest create must win)
                    force = older and stats["successful_reuses"] == 0
                    if older and (force or rng.random() < NAME_REUSE_RATE):
                        e["rname"] = rng.choice(older)[0]
                        stats["name_reuses"] += 1
                        already = ALREADY_EXISTS.get(kind.name)  # SNS CreateTopic is idempotent: succeeds
                        if already and not force and rng.random() < 0.5:
                            error = already
                        else:
                            error = False  # not failed by chance either
                            e["overwrite"] = True
                            stats["successful_reuses"] += 1
                    else:
                        while True:
                            e["rname"] = _new_name(rng, kind.name, account, region)
                            if (account, kind.name, e["rname"]) not in used_names:
                                break
                    used_names.add((account, kind.name, e["rname"]))
                else:
                    n_ids = 1 if kind.name == "CreateVolume" or rng.random() < 0.85 else rng.randrange(2, 5)
                    prefix = "vol-" if kind.name == "CreateVolume" else "i-"
                    e["ids"] = [prefix + hexs(rng, 17) for _ in range(n_ids)]
                if error is None and (rng.random() < CREATE_FAIL_RATE or stats["failed_creates"] == 0 < stats["create_events"]):
                    error = rng.choice(kind.errors)  # (the second create of a trail fails, at least)
                if error:
                    e["error"] = list(error)
                    stats["failed_creates"] += 1
                elif kind.naming == "name":
                    pool.append((e["rname"], t))
                task["planned"].append(e)
                stats["create_events"] += 1
                # A create-or-update call (PutParameter) often writes the same name again soon after,
                # from the same automation or a person (the first chance is always taken).
                if (not error and kind.overwrite and not boundary and deliv - t >= 2
                        and (rng.random() < kind.overwrite or stats["overwrites"] == 0)):
                    again = dict(e, t=t + rng.randrange(1, deliv - t), event_id=uuid4(rng), seed=rng.getrandbits(63),
                                 overwrite=True)
                    task["planned"].append(again)
                    pool.append((again["rname"], again["t"]))
                    stats["create_events"] += 1
                    stats["overwrites"] += 1
                if i + 1 < len(stream_tasks) and (rng.random() < CREATE_DUP_RATE or stats["duplicate_creates"] == 0):
                    stream_tasks[i + 1]["planned"].append(e)  # (the first chance is always taken)
                    stats["duplicate_records"] += 1
                    stats["duplicate_creates"] += 1
            # noise delivered twice
            n_dup = int(task["n"] * NOISE_DUP_RATE)
            if rng.random() < task["n"] * NOISE_DUP_RATE - n_dup:
                n_dup += 1
            if i + 1 < len(stream_tasks):
                for _ in range(n_dup):
                    e = {"kind": "noise", "t": int(deliv - rng.uniform(5, 300)), "event_id": uuid4(rng),
                         "seed": rng.getrandbits(63)}
                    task["planned"].append(e)
                    stream_tasks[i + 1]["planned"].append(e)
                    stats["duplicate_records"] += 1
    flat = [t for st in tasks for t in st]
    for t in flat:  # a duplicate lands in an object that may already be full of planned records
        t["n"] = max(t["n"], len(t["planned"]))
    flat.sort(key=lambda x: (x["delivery"], x["key"]))
    for idx, t in enumerate(flat):
        t["idx"] = idx
        t["out"] = cfg["out"]
    return flat, stats


def _object_key(world: World, account: str, region: str, t: float, rng: random.Random) -> str:
    g = time.gmtime(t)
    return (world.key_prefix(account, "CloudTrail", region, t) + "/" +
            f"{account}_CloudTrail_{region}_{g.tm_year:04d}{g.tm_mon:02d}{g.tm_mday:02d}T"
            f"{g.tm_hour:02d}{g.tm_min:02d}Z_{alnum(rng, 16)}.json.gz")


# How each create names its resource (p: project, e: environment, w: word, sfx: random suffix);
# other events (sns topics) take the default.
_NAME_FORMATS = {
    "CreateBucket": "acme-{p}-{w}-{e}-{sfx}",
    "CreateRole": "{p}-{w}-{e}-role-{sfx}",
    "CreateUser": "svc-{p}-{w}-{sfx}",
    "CreateFunction20150331": "{p}-{e}-{w}-{sfx}",
    "PutParameter": "/{p}/{e}/{w}/{sfx}",
}


def _new_name(rng: random.Random, event: str, account: str, region: str) -> str:
    p, e, w = rng.choice(PROJECTS), rng.choice(ENVS), rng.choice(WORDS)
    sfx = alnum(rng, 6).lower()
    return _NAME_FORMATS.get(event, "{p}-{w}-{e}-{sfx}").format(p=p, e=e, w=w, sfx=sfx)


# --- digests ----------------------------------------------------------------------------------

def write_digests(cfg: dict, world: World, results: list[dict]) -> int:
    by_hour: dict = {}
    for r in results:
        by_hour.setdefault((r["account"], r["region"], r["delivery"] // 3600), []).append(r)
    rng = random.Random(f"digest:{cfg['seed']}")
    start_h = cfg["start"] // 3600
    last_h = max([r["delivery"] // 3600 for r in results] + [start_h + 24 * cfg["days"] - 1])
    n = 0
    for account in world.accounts:
        for region in world.regions:
            prev = None
            for h in range(start_h, last_h + 1):
                files = sorted(by_hour.get((account, region, h), []), key=lambda r: r["key"])
                end = (h + 1) * 3600
                ts = end + rng.randrange(300, 1800)
                g = time.gmtime(ts)
                key = (world.key_prefix(account, "CloudTrail-Digest", region, ts) + "/" +
                       f"{account}_CloudTrail-Digest_{region}_{TRAIL_NAME}_{GLOBAL_REGION}_"
                       f"{g.tm_year:04d}{g.tm_mon:02d}{g.tm_mday:02d}T{g.tm_hour:02d}{g.tm_min:02d}{g.tm_sec:02d}Z.json.gz")
                doc = {"awsAccountId": account, "digestStartTime": iso(h * 3600), "digestEndTime": iso(end),
                       "digestS3Bucket": TRAIL_BUCKET, "digestS3Object": key,
                       "digestPublicKeyFingerprint": hexs(rng, 32), "digestSignatureAlgorithm": "SHA256withRSA",
                       "newestEventTime": max((f["newest"] for f in files), default=None),
                       "oldestEventTime": min((f["oldest"] for f in files), default=None),
                       "previousDigestS3Bucket": TRAIL_BUCKET if prev else None,
                       "previousDigestS3Object": prev,
                       "previousDigestHashValue": hexs(rng, 64) if prev else None,
                       "previousDigestHashAlgorithm": "SHA-256" if prev else None,
                       "previousDigestSignature": hexs(rng, 512) if prev else None,
                       "logFiles": [{"s3Bucket": TRAIL_BUCKET, "s3Object": f["key"], "hashValue": f["sha256"],
                                     "hashAlgorithm": "SHA-256", "newestEventTime": f["newest"],
                                     "oldestEventTime": f["oldest"]} for f in files]}
                path = os.path.join(cfg["out"], key)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(gzip.compress(json.dumps(doc).encode(), 6, mtime=0))
                prev = key
                n += 1
    return n


