"""Running the CLI in tests (in-process or as a process), its one-line errors, reading plans,
forcing API failures."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import botocore.client
from botocore.exceptions import ClientError
from click.testing import CliRunner

from trailcreator.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args, env=None, expect: int | None = None):
    """``trailcreator ARGS`` in-process through Click; the Result (stdout, stderr, exit_code).

    Every in-process run of the CLI goes through here (the ``cli`` fixture is this with
    ``expect=0``).  ``expect``: the exit code to assert, with the output in the message;
    None: any.  ``env``: variables set for the run only (a None value unsets one)."""
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def cli_command(*args, entry: str = "main") -> list[str]:
    """The command line running a console entry of the CLI in a new Python process:
    ``main`` is ``trailcreator``, ``tag_main`` is ``trailcreator-tag``.  For tests that need
    a real process (the console entry itself, a signal, a lock held by another pid)."""
    return [sys.executable, "-c", f"from trailcreator.cli import {entry}; {entry}()", *map(str, args)]


def run_tag_entry(*args, env_extra=None, timeout=180):
    """The ``trailcreator-tag`` console entry (``tag_main``) in a subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "runner")
    env.update(env_extra or {})
    return subprocess.run(cli_command(*args, entry="tag_main"),
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=str(ROOT))


def write_map(path: Path, doc: dict | str) -> Path:
    """A resource map file at ``path``: ``doc`` as JSON (a str is written as it is)."""
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def read_plan(path: Path) -> list[dict]:
    path = Path(path)
    if path.suffix == ".json":
        return json.loads(path.read_text())
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def plan_actions(rows) -> dict[tuple, str]:
    """(account, resource_type, resource_id) -> action."""
    return {(r["account"], r["resource_type"], r["resource_id"]): r["action"] for r in rows}


def fail_calls(monkeypatch, service: str, operation: str, code: str, message: str = "forced failure", calls=None):
    """Make every ``service`` ``operation`` call fail with ``code``, as AWS would answer."""
    original = botocore.client.BaseClient._make_api_call

    def _make_api_call(self, operation_name, api_params):
        if self.meta.service_model.service_name == service and operation_name == operation:
            if calls is not None:
                calls.append(dict(api_params))
            raise ClientError({"Error": {"Code": code, "Message": message},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", _make_api_call)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def assert_one_line_error(result, *needles, exit_code: int | None = None, alone: bool = False):
    """A refused input: a non-zero exit (``exit_code`` if given), exactly one ``Error:`` line,
    the last of stderr, holding each of ``needles``, and no traceback anywhere.  ``alone``:
    that line is all of stderr (no progress lines before it).  ``result`` is a Click Result or
    a finished subprocess."""
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    if exit_code is None:
        assert code != 0, f"exit 0\nstderr:\n{result.stderr}"
    else:
        assert code == exit_code, f"exit {code}\nstderr:\n{result.stderr}"
    lines = result.stderr.strip().splitlines()
    if alone:
        assert len(lines) == 1, result.stderr
    assert error_lines(result.stderr) == lines[-1:], result.stderr
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    assert "Traceback" not in result.stderr and "Traceback" not in (result.stdout or ""), result.stderr
