#!/usr/bin/env python3
"""A stand-in for ``trailcreator load``, to check the benchmark harness itself. Not the product.

Same arguments (``load --trail DIR|s3://BUCKET/PREFIX --resource-map MAP --db OUT.db``), built on
the harness's plain Python loop, in one process; reads S3 with boto3, which honours
``AWS_ENDPOINT_URL`` (the moto server run_bench.py starts). It writes only the ``resource_creators``
columns the benchmark compares, so a run of

    python bench/run_bench.py --trail T --load-cmd "{python} bench/standin_load.py load --trail {trail} --resource-map {resource_map} --db {db}"

shows the load rows, the S3 wiring and the correctness check working, and the time the
straightforward approach takes as the "load".
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_bench  # noqa: E402


def iter_objects(trail: str):
    if trail.startswith("s3://"):
        import boto3
        bucket, _, prefix = trail[5:].partition("/")
        s3 = boto3.client("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                parts = obj["Key"].split("/")
                if "AWSLogs" in parts and len(parts) >= 6 and parts[-6] == "CloudTrail" and obj["Key"].endswith(".json.gz"):
                    yield s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    else:
        for path, _ in run_bench.list_log_objects(Path(trail)):
            with open(path, "rb") as f:
                yield f.read()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="standin_load.py")
    p.add_argument("command", choices=["load"])
    p.add_argument("--trail", required=True)
    p.add_argument("--resource-map", required=True)
    p.add_argument("--db", required=True)
    a = p.parse_args(argv)
    cmap = run_bench.compile_map(json.loads(Path(a.resource_map).read_text()))
    best: dict = {}
    n = 0
    for raw in iter_objects(a.trail):
        n += run_bench.scan_bytes(raw, cmap, best)
    if os.path.exists(a.db):
        os.remove(a.db)
    con = sqlite3.connect(a.db)
    con.execute("create table resource_creators (account_id text, region text, resource_type text, "
                "resource_id text, principal_arn text, event_id text, event_time text, "
                "primary key (account_id, region, resource_type, resource_id))")
    con.executemany("insert into resource_creators values (?, ?, ?, ?, ?, ?, ?)",
                    [(*k, v[2] or None, v[1], v[0]) for k, v in best.items()])
    con.commit()
    con.close()
    print(f"stand-in load: {n} records, {len(best)} resources -> {a.db}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
