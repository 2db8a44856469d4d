"""Write creators databases for the tests, with the contract DDL of ``sqlite_schema``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from trailcreator.sqlite_schema import EVENTS_DDL, RESOURCE_CREATORS_COLUMNS, RESOURCE_CREATORS_DDL


def write_creators_db(path: Path, rows: list[dict], with_events: bool = True) -> Path:
    """A trailcreator database: ``resource_creators`` (+ an empty upstream ``events``)."""
    cols = [c for c, _ in RESOURCE_CREATORS_COLUMNS]
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(RESOURCE_CREATORS_DDL)
        if with_events:
            conn.execute(EVENTS_DDL)
        conn.executemany(
            f"insert into resource_creators ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
            [[r.get(c) for c in cols] for r in rows],
        )
    conn.close()
    return path


def write_upstream_db(path: Path, events: list[tuple]) -> Path:
    """A database as upstream c7n-trailcreator writes it: the ``events`` table only.

    ``events``: (account_id, region, event_date, event_name, event_source, user_agent,
    client_ip, user_id, rtype, resource_ids) tuples.
    """
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(EVENTS_DDL)
        conn.executemany("insert into events values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
    conn.close()
    return path
