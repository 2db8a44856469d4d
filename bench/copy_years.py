"""Make a bigger trail from a generated one: its log objects hard-linked into N year folders.

    python bench/copy_years.py --from bench/out/base2k --copies 10 --out bench/out/trail-x10

Copy k of an object ``.../CloudTrail/<region>/2026/01/05/<acct>_CloudTrail_<region>_20260105T...``
lands under year 2026-k (the name's timestamp too), so the loader lists and reads N times as many
distinct objects; the records are the same (same eventIDs), so the creators expected are the
base trail's (``expected_creators.csv``, ``resource_map.json`` and ``manifest.json`` are copied,
the manifest's counts multiplied). Hard links cost no disk and share the page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--from", dest="src", required=True)
    p.add_argument("--copies", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    year_dir = re.compile(r"(/CloudTrail/[^/]+/)(\d{4})(/\d\d/\d\d/)")
    n = 0
    for dirpath, _, files in os.walk(a.src):
        for name in files:
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, a.src)
            m = year_dir.search("/" + rel)
            if not m:
                if rel in ("expected_creators.csv", "resource_map.json"):
                    shutil.copy(src, os.path.join(a.out, rel) if os.path.isdir(a.out) else _mk(a.out, rel))
                continue
            year = int(m.group(2))
            for k in range(a.copies):
                y = year - k
                new_rel = year_dir.sub(lambda mm: f"{mm.group(1)}{y}{mm.group(3)}", "/" + rel, count=1)[1:]
                new_rel = new_rel.replace(f"_{year}", f"_{y}")
                dst = os.path.join(a.out, new_rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.link(src, dst)
                n += 1
    manifest = json.load(open(os.path.join(a.src, "manifest.json")))
    for key in ("objects", "records", "bytes", "json_bytes", "gz_bytes"):
        if isinstance(manifest.get(key), int):
            manifest[key] *= a.copies
    manifest["copies_of"] = {"trail": os.path.abspath(a.src), "copies": a.copies}
    json.dump(manifest, open(os.path.join(a.out, "manifest.json"), "w"), indent=2)
    print(f"{n} objects under {a.out}", file=sys.stderr)
    return 0


def _mk(out: str, rel: str) -> str:
    os.makedirs(out, exist_ok=True)
    return os.path.join(out, rel)


if __name__ == "__main__":
    sys.exit(main())
