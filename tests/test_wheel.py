"""A wheel, installed non-editable into a fresh virtual environment, loads a trail from an
unrelated folder, and leaves its installed package as it was.

The wheel is built from a copy of the checkout (pip's build, as a user's `pip install .`).
The fresh environment gets the wheel alone (`--no-deps`); its dependencies come from this
environment's site-packages through a .pth line, which adds the folder but runs none of its
own .pth files, so the editable install of this checkout is not active there: trailcreator
can only come from the wheel, and the test checks that it does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from conftest import ROOT, rows

COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", "target", "logs", "dbt_packages")


def tracked_project_files() -> set[str]:
    out = subprocess.run(["git", "ls-files", "dbt_project"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        return {line for line in out.stdout.splitlines()}
    return {str(p.relative_to(ROOT)) for p in (ROOT / "dbt_project").rglob("*")
            if p.is_file() and not {"target", "logs", "__pycache__"} & set(p.parts)}


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_wheel_installed_non_editable_loads_from_an_unrelated_folder(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("runner", "dbt_project"):
        shutil.copytree(ROOT / name, src / name, ignore=COPY_IGNORE)
    # dbt output left in a checkout by someone who ran dbt there: never shipped
    (src / "dbt_project" / "target" / "compiled").mkdir(parents=True)
    (src / "dbt_project" / "target" / "compiled" / "stray.sql").write_text("select 1")
    (src / "dbt_project" / "logs").mkdir()
    (src / "dbt_project" / "logs" / "dbt.log").write_text("old log")

    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "-w", str(dist), "--no-deps", "-q"],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("trailcreator-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.removeprefix("trailcreator/") for n in names if n.startswith("trailcreator/dbt_project/")}
    assert tracked_project_files() <= shipped
    assert not [n for n in shipped if "/target/" in n or "/logs/" in n]

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                              "-q", str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_trailcreator_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "examples" / "sample-trail", elsewhere / "trail")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TRAILCREATOR_HOME")}
    env["TRAILCREATOR_CACHE_DIR"] = str(tmp_path / "cache")
    where = subprocess.run([str(py), "-c", "import trailcreator.workspace.workspace as w; print(w.packaged_project())"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where) == site / "trailcreator" / "dbt_project"
    installed = tree_digest(site / "trailcreator")

    load = subprocess.run([str(venv / "bin" / "trailcreator"), "load", "--trail", "trail", "--db", "x.db"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert load.returncode == 0, load.stderr
    n = len(rows(elsewhere / "x.db", "select * from resource_creators"))
    assert n > 0 and f"wrote x.db: {n} resource_creators rows" in load.stdout
    # the report's template and inlined scripts ship in the wheel
    report = subprocess.run([str(venv / "bin" / "trailcreator"), "report", "--duckdb", "x.duckdb", "-o", "r.html"],
                            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stderr
    assert "Chart.js v4" in (elsewhere / "r.html").read_text() and "audit-table" in (elsewhere / "r.html").read_text()
    assert tree_digest(site / "trailcreator") == installed  # the installed package is read only
    assert sorted(p.name for p in elsewhere.iterdir()) == ["r.html", "trail", "x.db", "x.duckdb"]
