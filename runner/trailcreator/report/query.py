"""``trailcreator query``: SQL on the DuckDB file, printed for a terminal or streamed for a program.

``table`` is for reading: rich lays the rows out to the terminal's width (``--max-width``) and
cuts long values with an ellipsis, so one long id no longer widens every line.  ``csv``,
``json`` and ``ndjson`` are for programs: rows are fetched from DuckDB in batches and written
as they come, so a query over millions of rows runs in bounded memory.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import json
import shutil
from typing import IO

import duckdb

from ..errors import TrailcreatorError
from .duckdb_file import first_line, open_read_only

BATCH_ROWS = 10_000
SHORT_COLUMN, LONG_COLUMN_MIN = 16, 8
COLUMN_GAP = 3  # rich's SIMPLE_HEAD box between two columns
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


def run_query(duckdb_path: str, sql: str, out: IO[str], fmt: str = "table", limit: int | None = None,
              max_width: int | None = None) -> int | None:
    """Run ``sql`` read-only on the file and write its rows to ``out``; the row count, or None
    for a statement that returns no rows."""
    con = open_read_only(duckdb_path)
    try:
        rel = con.sql(sql)
        if rel is None:
            return None
        if limit is not None:
            rel = rel.limit(limit)
        if fmt == "table":
            return _table(rel, out, max_width or shutil.get_terminal_size().columns)
        return _STREAMS[fmt](rel.columns, _batches(rel), out)
    except duckdb.Error as e:
        raise TrailcreatorError(f"query failed: {first_line(e)}") from None
    finally:
        con.close()


def _batches(rel):
    while rows := rel.fetchmany(BATCH_ROWS):
        yield rows


def _table(rel, out: IO[str], width: int) -> int:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [[("" if v is None else str(v)) for v in row] for rows in _batches(rel) for row in rows]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    widest = [max([len(name)] + [len(r[i]) for r in cells]) for i, name in enumerate(rel.columns)]
    for name, dtype, w in zip(rel.columns, rel.types, fit_widths(widest, width - COLUMN_GAP * (len(widest) - 1))):
        numeric = str(dtype).split("(")[0] in _NUMERIC
        table.add_column(Text(name), justify="right" if numeric else "left", overflow="ellipsis", no_wrap=True,
                         width=w)
    for row in cells:  # Text, never markup: a value like "[red]x" is data
        table.add_row(*map(Text, row))
    Console(file=out, width=width, highlight=False, markup=False, emoji=False).print(table)
    return len(cells)


def fit_widths(widest: list[int], room: int) -> list[int]:
    """Column widths within ``room``.  Short columns (account ids, regions, types: at most
    SHORT_COLUMN wide) stay whole when the others keep LONG_COLUMN_MIN each; the rest share what
    is left: a column narrower than an equal share keeps its width, the wider ones split the
    remainder equally, so one long id no longer widens every line."""
    short = [i for i, w in enumerate(widest) if w <= SHORT_COLUMN]
    if len(short) < len(widest) and sum(widest[i] for i in short) + LONG_COLUMN_MIN * (len(widest) - len(short)) <= room:
        widths = {i: widest[i] for i in short}
        left, room = [i for i in range(len(widest)) if i not in widths], room - sum(widths.values())
    else:
        widths, left = {}, list(range(len(widest)))
    left.sort(key=lambda i: widest[i])
    while left:
        share = max(1, room // len(left))
        if widest[left[0]] > share:  # every column left is wider than its share: split the room
            for k, i in enumerate(left):
                widths[i] = max(1, room // len(left) + (k < room % len(left)))
            break
        i = left.pop(0)
        widths[i] = widest[i]
        room -= widest[i]
    return [widths[i] for i in range(len(widest))]


def _json_value(v):
    """What json cannot write itself: times as ISO 8601, decimals as numbers, the rest as text."""
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return str(v)


def _csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, default=_json_value, ensure_ascii=False)
    return v


def _csv(columns, batches, out) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    n = 0
    for rows in batches:
        w.writerows([_csv_cell(v) for v in row] for row in rows)
        n += len(rows)
    return n


def _dumps(columns, row) -> str:
    return json.dumps(dict(zip(columns, row)), default=_json_value, ensure_ascii=False)


def _ndjson(columns, batches, out) -> int:
    n = 0
    for rows in batches:
        out.write("".join(_dumps(columns, row) + "\n" for row in rows))
        n += len(rows)
    return n


def _json(columns, batches, out) -> int:
    """One JSON array of objects, written a batch at a time."""
    n = 0
    for rows in batches:
        out.write("".join(("[\n" if n + i == 0 else ",\n") + _dumps(columns, row) for i, row in enumerate(rows)))
        n += len(rows)
    out.write("\n]\n" if n else "[]\n")
    return n


_STREAMS = {"csv": _csv, "json": _json, "ndjson": _ndjson}
