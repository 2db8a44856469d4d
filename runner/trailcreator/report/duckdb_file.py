"""The DuckDB file a report or query reads: opened read-only, so nothing here can change it."""

from __future__ import annotations

import duckdb

from ..errors import TrailcreatorError
from ..workspace import outputs


def first_line(e: Exception) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0]


def open_read_only(path: str):
    outputs.check_duckdb(path)  # a SQLite file would send DuckDB looking for an extension to download
    try:
        return duckdb.connect(path, read_only=True)
    except duckdb.ConnectionException as e:
        # this process has the file open already (a load just ran dbt on it, in a test or a
        # script): DuckDB allows only the same configuration, and the report writes nothing
        if "different configuration" not in str(e):
            raise TrailcreatorError(f"--duckdb {path}: cannot open it ({first_line(e)})") from None
        return duckdb.connect(path)
    except duckdb.Error as e:
        raise TrailcreatorError(f"--duckdb {path}: cannot open it ({first_line(e)})") from None
