"""The plan file: one row per resource considered, written by ``--plan`` (CSV or JSON), and a
reviewed plan's would-tag rows read back as the creators to tag with (``--from-plan``)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

from .creators_db import CreatorRecord
from ..errors import TrailcreatorError
from .model import PlanRow

PLAN_FIELDS = ("account", "region", "resource_type", "resource_id", "creator", "action")


def check_plan_path(path: str | None) -> Path | None:
    if not path:
        return None
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".json"):
        raise TrailcreatorError(f"--plan {path}: name the file .csv or .json")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise TrailcreatorError(f"--plan {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise TrailcreatorError(f"--plan {path}: folder {parent} is not writable")
    return p


def write_plan(path: Path, rows: list[PlanRow], created_at: bool = False) -> None:
    """Write the plan atomically: CSV with a header, or a JSON array of objects.  With
    ``created_at`` (``--created-at-tag``) a last column holds the created-at value written."""
    rows = sorted(rows, key=lambda r: (r.account, r.region, r.resource_type, r.resource_id))
    fields = PLAN_FIELDS + (("created_at",) if created_at else ())
    fd, tmp = tempfile.mkstemp(prefix=".plan-", dir=str(path.parent or "."))
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            if path.suffix.lower() == ".json":
                json.dump([{f: getattr(r, f) for f in fields} for r in rows], fh, indent=1)
                fh.write("\n")
            else:
                w = csv.writer(fh)
                w.writerow(fields)
                for r in rows:
                    w.writerow([getattr(r, f) for f in fields])
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_plan(path: str, option: str) -> tuple[list[dict], set[str]]:
    """The rows of a plan file (.csv or .json, as ``--plan`` writes it) and its columns; a file
    that is not one fails in one line naming ``option``."""
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".json"):
        raise TrailcreatorError(f"{option} {path}: name a .csv or .json plan written by --dryrun --plan")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrailcreatorError(f"{option} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TrailcreatorError(f"{option} {path}: cannot read the plan ({e})") from None
    try:
        if p.suffix.lower() == ".json":
            rows = json.loads(text)
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise ValueError("not a JSON array of objects")
            columns = set().union(*(r.keys() for r in rows)) if rows else set(PLAN_FIELDS)
        else:
            reader = csv.DictReader(text.splitlines())
            columns = set(reader.fieldnames or ())
            rows = list(reader)
    except (ValueError, csv.Error) as e:
        raise TrailcreatorError(f"{option} {path}: not a plan file ({e})") from None
    missing = [f for f in PLAN_FIELDS if f not in columns]
    if missing:
        raise TrailcreatorError(f"{option} {path}: not a plan file: no {', '.join(missing)} column(s)")
    return rows, columns


class PlanCreators:
    """The ``would-tag`` rows of a plan written by ``--dryrun --plan``, served like a creators
    database: each account and region gets exactly its rows, with the plan's creator (and
    created-at) values.  ``unserved()`` names the rows no account/region of the run asked for."""

    layout = "plan"

    def __init__(self, path: Path, rows: list[dict], has_created_at: bool):
        self.path = path
        self.rows = rows
        self.has_created_at = has_created_at
        self.served: set[tuple[str, str]] = set()

    @classmethod
    def open(cls, path: str) -> "PlanCreators":
        rows, columns = read_plan(path, "--from-plan")
        wanted = []
        for n, r in enumerate(rows, 1):
            if r.get("action") != "would-tag":
                continue
            if not all(isinstance(r.get(f), str) and r.get(f) for f in ("account", "region", "resource_type",
                                                                          "resource_id", "creator")):
                raise TrailcreatorError(f"--from-plan {path}: row {n} is a would-tag row without account, region, "
                                        f"resource_type, resource_id or creator")
            wanted.append(r)
        if not wanted:
            raise TrailcreatorError(f"--from-plan {path}: the plan has no would-tag rows; nothing to apply")
        return cls(Path(path), wanted, "created_at" in columns)

    def records(self, account_id: str, region: str, **_ignored) -> dict[str, dict[str, CreatorRecord]]:
        self.served.add((account_id, region))
        out: dict[str, dict[str, CreatorRecord]] = {}
        for r in self.rows:
            if r["account"] == account_id and r["region"] == region:
                out.setdefault(r["resource_type"], {})[r["resource_id"]] = CreatorRecord(
                    r["resource_type"], r["resource_id"], region, False, r.get("created_at") or "", r["creator"], None)
        return out

    def unserved(self) -> dict[tuple[str, str], int]:
        """(account, region) -> would-tag rows this run did not reach."""
        left: dict[tuple[str, str], int] = {}
        for r in self.rows:
            key = (r["account"], r["region"])
            if key not in self.served:
                left[key] = left.get(key, 0) + 1
        return left
