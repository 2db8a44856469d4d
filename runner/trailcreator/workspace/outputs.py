"""The files a run writes (``--db``, ``--duckdb``), checked before anything is read.

A folder that is missing or cannot be written, or a ``--duckdb`` that is some other kind of
file, fails in one line before the trail (or Athena) is touched.  Temporaries a killed run
left beside ``--db`` (``.NAME.tmp-PID``, its SQLite journal) are removed here too.
"""

from __future__ import annotations

import os

from ..errors import TrailcreatorError
from .workspace import remove_stale_temporaries

SQLITE_MAGIC = b"SQLite format 3\x00"
DUCKDB_MAGIC = b"DUCK"  # at offset 8 of every DuckDB database file


def check_writable(path: str, option: str) -> None:
    """``path`` can be created or replaced: its folder exists, is a folder, and is writable."""
    full = os.path.abspath(os.path.expanduser(path))
    folder = os.path.dirname(full)
    if os.path.isdir(full):
        raise TrailcreatorError(f"{option} {path}: is a folder; give a file name")
    if not os.path.exists(folder):
        # a parent that is a regular file also makes os.path.exists false for the folder
        parent = folder
        while parent and not os.path.exists(parent):
            parent = os.path.dirname(parent) if os.path.dirname(parent) != parent else ""
        if parent and not os.path.isdir(parent):
            raise TrailcreatorError(f"{option} {path}: {parent} is a file, not a folder")
        raise TrailcreatorError(f"{option} {path}: folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise TrailcreatorError(f"{option} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TrailcreatorError(f"{option} {path}: cannot write in folder {folder} (permission denied)")
    if os.path.exists(full) and not os.access(full, os.W_OK):
        raise TrailcreatorError(f"{option} {path}: the file is not writable (permission denied)")


def not_duckdb_reason(path: str) -> str | None:
    """Why ``path`` (an existing file) is not a DuckDB database, or None when it is one (or empty)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except IsADirectoryError:
        return "is a folder, not a DuckDB database"
    except OSError as e:
        return f"cannot read it ({e.strerror})"
    if not head:
        return None  # an empty file: DuckDB makes a database of it
    if head.startswith(SQLITE_MAGIC):
        return "is a SQLite database, not DuckDB (the --db file of `trailcreator load`?); give the .duckdb file"
    if len(head) >= 12 and head[8:12] == DUCKDB_MAGIC:
        return None
    return "is not a DuckDB database"


def check_duckdb(path: str, option: str = "--duckdb") -> None:
    """An existing ``path`` must be a DuckDB database."""
    if os.path.isfile(path):
        reason = not_duckdb_reason(path)
        if reason:
            raise TrailcreatorError(f"{option} {path}: {reason}")


def prepare(db_path: str, duckdb_path: str) -> None:
    """Check both output paths before any reading, and clear a killed run's leftovers."""
    check_writable(db_path, "--db")
    check_writable(duckdb_path, "--duckdb")
    check_duckdb(duckdb_path)
    if os.path.abspath(db_path) == os.path.abspath(duckdb_path):
        raise TrailcreatorError(f"--db {db_path}: the same file as --duckdb; give them different names")
    full = os.path.abspath(os.path.expanduser(db_path))
    remove_stale_temporaries(os.path.dirname(full), prefix=f".{os.path.basename(full)}.tmp-")
