#!/usr/bin/env python3
"""Time ``trailcreator report``: writing the page, its size, and until headless Chromium has drawn it.

For each DuckDB file (``--duckdb``: a load's file, e.g. of the bench trail; ``--synthesize N``: a
file of N resource_creators rows written from SQL by tests/report_files.py), in child processes:

  written    wall time of ``trailcreator report --duckdb FILE -o FILE.html`` (a new process)
  size       bytes of the page
  rendered   the page's own clock (performance.now() when its script has drawn every section,
             i.e. from navigation start, parse and JSON.parse included) in headless Chromium
             opening the file; and the wall time from driver.get() to then

Each step runs --repeat times and the fastest is kept; the load average is printed beside,
since on a shared machine the figures say more about the neighbours than about the page.

Usage: python bench/report_bench.py --duckdb bench/out/base2k.duckdb --synthesize 100000 [--repeat 3]
Targets (issue 22): written <= 5 s and rendered <= 2 s at 100,000 resources, page <= 15 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "runner"), str(ROOT / "tests")]

import report_files  # noqa: E402


def trailcreator() -> list[str]:
    exe = Path(sys.executable).with_name("trailcreator")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from trailcreator.cli import main; main()"]


def resources(path: str) -> int:
    import duckdb

    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute("select count(*) from resource_creators").fetchone()[0]
    finally:
        con.close()


def bench_one(path: str, out: Path, repeat: int, driver) -> dict:
    page = out / (Path(path).stem + ".html")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "runner")}
    written = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(trailcreator() + ["report", "--duckdb", path, "-o", str(page)], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        written.append(time.perf_counter() - t)
    own, wall = [], []
    for _ in range(repeat):
        driver.get("about:blank")
        t = time.perf_counter()
        report_files.open_report(driver, page, timeout=120)
        wall.append(time.perf_counter() - t)
        own.append(float(driver.execute_script("return document.documentElement.getAttribute('data-rendered')")) / 1000)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
    report_files.full_page_png(driver, out / (Path(path).stem + ".png"))
    return {"file": path, "resources": resources(path), "written": min(written), "bytes": page.stat().st_size,
            "rendered": min(own), "rendered_wall": min(wall)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duckdb", action="append", default=[], help="a DuckDB file a load built (repeatable)")
    ap.add_argument("--synthesize", action="append", type=int, default=[], help="N resources, from SQL (repeatable)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "report"), help="pages and screenshots go here")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = list(args.duckdb)
    for n in args.synthesize:
        path = out / f"synthetic-{n}.duckdb"
        if not path.exists():
            report_files.synthesize_resources(str(path), n)
        files.append(str(path))
    if report_files.chromium_paths() is None:
        sys.exit("chromium and chromedriver are needed: bash scripts/browser.sh")
    driver = report_files.chromium()
    try:
        print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
        print("| file | resources | written (s) | page (bytes) | rendered, page's clock (s) | rendered, wall (s) |")
        print("|---|---:|---:|---:|---:|---:|")
        for path in files:
            r = bench_one(path, out, args.repeat, driver)
            print(f"| `{Path(r['file']).name}` | {r['resources']:,} | {r['written']:.2f} | {r['bytes']:,} "
                  f"| {r['rendered']:.2f} | {r['rendered_wall']:.2f} |", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
