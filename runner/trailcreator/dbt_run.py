"""Run dbt in-process with explicit paths, so nothing depends on the working directory.

dbt's console output goes to stderr (stdout is for data); a failing node becomes one
TrailcreatorError line that names the model and the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

from .errors import TrailcreatorError


def repo_root() -> Path:
    """The checkout holding dbt_project/ and profiles.yml (the package is installed editable)."""
    env = os.environ.get("TRAILCREATOR_HOME")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "dbt_project" / "dbt_project.yml").exists():
            return parent
    raise TrailcreatorError(
        "cannot find the dbt project: install trailcreator from its checkout (pip install -e .) "
        "or set TRAILCREATOR_HOME to the folder holding dbt_project/"
    )


def project_dir() -> Path:
    return repo_root() / "dbt_project"


def _node_message(result) -> str:
    msg = str(getattr(result, "message", "") or "")
    lines = [line.strip() for line in msg.splitlines() if line.strip()]
    # A Python model's exception arrives as a traceback; keep our own one-line message.
    for line in reversed(lines):
        if line.startswith("trailcreator.errors.TrailcreatorError: "):
            return line.split(": ", 1)[1]
    return lines[-1] if lines else "failed"


@contextlib.contextmanager
def _env(values: dict[str, str]):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build(duckdb_path: str, env: dict[str, str], full_refresh: bool = False, select: str | None = None, quiet: bool = True) -> None:
    """``dbt build`` on the DuckDB file with ``env`` set; raises TrailcreatorError naming the first failure."""
    from dbt.cli.main import dbtRunner

    proj = project_dir()
    args = [
        "build",
        "--project-dir", str(proj),
        "--profiles-dir", str(repo_root()),
        "--target-path", str(proj / "target"),
        "--log-path", str(proj / "logs"),
        "--no-use-colors",
    ]
    if quiet:  # our own summary and errors are the output; dbt's full log stays in its log file
        args += ["--log-level", "none", "--log-level-file", "info"]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    with _env({**env, "TRAILCREATOR_DUCKDB": os.path.abspath(duckdb_path)}), contextlib.redirect_stdout(sys.stderr):
        res = dbtRunner().invoke(args)
    if res.success:
        return
    if res.exception is not None:
        raise TrailcreatorError(f"dbt could not run: {str(res.exception).strip().splitlines()[-1]}")
    failures = [r for r in (res.result or []) if str(getattr(r, "status", "")) in ("error", "fail")]
    if failures:
        r = failures[0]
        name = getattr(getattr(r, "node", None), "name", "?")
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise TrailcreatorError(f"dbt model {name}: {_node_message(r)}{more}")
    raise TrailcreatorError("dbt build failed: see dbt_project/logs/dbt.log")
