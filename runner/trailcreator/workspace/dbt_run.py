"""Run dbt in-process with explicit paths, so nothing depends on the working directory.

Every path is the DuckDB file's workspace (trailcreator.workspace.workspace): the installed package is
never written to, and runs on different DuckDB files share nothing.

dbt's console output goes to stderr (stdout is for data); a failing node becomes one
TrailcreatorError line that names the model and the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys

from ..errors import TrailcreatorError
from .workspace import Workspace


_LOCKED = re.compile(r"Could not set lock on file .*Conflicting lock is held in .*\(PID (\d+)\)")


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
    """``dbt build`` on the DuckDB file, in its workspace, with ``env`` set; raises TrailcreatorError
    naming the first failure.  The caller has compiled the map into the workspace."""
    from dbt.cli.main import dbtRunner

    ws = Workspace.for_duckdb(duckdb_path).prepare()
    # The models and their data tests; the unit tests check the project's SQL, which the
    # package fixes, so they belong to its test suite (and to a `dbt build` of one's own).
    args = ["build", *ws.dbt_paths(), "--no-use-colors", "--exclude-resource-type", "unit_test"]
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
        text = str(res.exception).strip().splitlines()[-1]
        busy = _LOCKED.search(text)
        if busy:  # another program (a duckdb shell, a notebook) has the file open
            raise TrailcreatorError(f"the database {ws.duckdb_path} is busy: another process holds it "
                                    f"(pid {busy.group(1)}); close it or wait for it to finish")
        raise TrailcreatorError(f"dbt could not run: {text}")
    failures = [r for r in (res.result or []) if str(getattr(r, "status", "")) in ("error", "fail")]
    if failures:
        r = failures[0]
        name = getattr(getattr(r, "node", None), "name", "?")
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise TrailcreatorError(f"dbt model {name}: {_node_message(r)}{more}")
    raise TrailcreatorError(f"dbt build failed: see {ws.logs / 'dbt.log'}")




def passthrough(duckdb_path: str, dbt_args: list[str]) -> int:
    """``dbt DBT_ARGS`` in the DuckDB file's workspace (TRAILCREATOR_DUCKDB set to the file);
    dbt's own output, dbt's exit code (0 ok, 1 a node failed, 2 dbt could not run)."""
    from dbt.cli.main import dbtRunner

    ws = Workspace.for_duckdb(duckdb_path).prepare()
    args = list(dbt_args)
    if args and not args[0].startswith("-"):  # a command: the flags go after it (dbt's rule)
        given = {a.split("=", 1)[0] for a in args}
        paths = ws.dbt_paths()
        for flag, value in zip(paths[::2], paths[1::2]):
            if flag not in given:
                args += [flag, value]
    with _env({"TRAILCREATOR_DUCKDB": ws.duckdb_path}):
        res = dbtRunner().invoke(args)
    if res.success:
        return 0
    return 2 if res.exception is not None else 1
