"""Write creators databases for the tests, with the contract DDL of ``sqlite_schema``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from trailcreator.export.schema import EVENTS_DDL, RESOURCE_CREATORS_COLUMNS, RESOURCE_CREATORS_DDL

PERSON_FIELDS = ("identity_type", "principal_arn", "principal_id", "user_name", "session_name",
                 "session_issuer_arn", "session_issuer_name", "on_behalf_of_user_id", "invoked_by")


def as_loaded(row: dict) -> dict:
    """A row as the models write it, from one a test gives in short: without a link (``via``)
    the person is the principal (person_* columns), and ``creator`` is the value of the
    default format, name (creator_name follows it when a test changes it)."""
    row = dict(row)
    if not row.get("via"):
        for f in PERSON_FIELDS:
            row.setdefault(f"person_{f}", row.get(f))
    row["creator_name"] = row.get("creator")
    return row


def write_creators_db(path: Path, rows: list[dict], with_events: bool = True, ddl: str = RESOURCE_CREATORS_DDL) -> Path:
    """A trailcreator database: ``resource_creators`` (+ an empty upstream ``events``); ``ddl``
    another layout of it (an older trailcreator's)."""
    cols = [c for c, _ in RESOURCE_CREATORS_COLUMNS if f"\n    {c} " in ddl]
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(ddl)
        if with_events:
            conn.execute(EVENTS_DDL)
        conn.executemany(
            f"insert into resource_creators ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
            [[as_loaded(r).get(c) for c in cols] for r in rows],
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


def identity_fields(user_identity) -> dict:
    """The identity columns the models extract from a record's ``userIdentity`` element,
    written out independently of the SQL (an oracle for the extraction, not a creator rule)."""
    ui = user_identity if isinstance(user_identity, dict) else {}

    def text(v):  # as DuckDB's ->> gives it: strings as they are, anything else as compact JSON
        if v is None or v == "":
            return None
        return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))

    def inner(v):
        return v if isinstance(v, dict) else {}

    issuer = inner(inner(ui.get("sessionContext")).get("sessionIssuer"))
    row = {
        "identity_type": text(ui.get("type")),
        "principal_arn": text(ui.get("arn")),
        "principal_id": text(ui.get("principalId")),
        "user_name": text(ui.get("userName")),
        "session_issuer_arn": text(issuer.get("arn")),
        "session_issuer_name": text(issuer.get("userName")),
        "on_behalf_of_user_id": text(inner(ui.get("onBehalfOf")).get("userId")),
        "invoked_by": text(ui.get("invokedBy")),
        "access_key_id": text(ui.get("accessKeyId")),
    }
    session = None
    if row["identity_type"] == "AssumedRole":
        arn, pid = row["principal_arn"] or "", row["principal_id"] or ""
        session = (arn.rsplit("/", 1)[1] if "/" in arn else None) or (pid.split(":")[1] if ":" in pid else None) or None
    row["session_name"] = session
    return row
