"""The creators ``trailcreator load`` must find in a generated trail, by the project's own rules.

Nothing here is a rule of the generator's: every step is the product's reference semantics,
imported from trailcreator, or the models' SQL restated line by line where no Python form exists.

* The map is read by ``trailcreator.mapping.resource_map.load`` (validated; ``aws.`` prefixes dropped).
* A record counts when it has no ``errorCode``, is not an STS role-session call (those feed the
  links, ``attribution.ROLE_SESSION_EVENT_PAIRS``), and is the first delivery of its ``eventID``
  (stg_cloudtrail__events).
* Its ids, per map entry of its (eventSource, eventName): the entry's expression evaluated by
  ``jmespath_sql.jmespath_json`` (the evaluator DuckDB itself calls for what SQL does not compile)
  on the document the models build (``event_document()`` in macros/engine.sql), turned into ids
  by ``jmespath_sql.normalize_ids``, deduplicated (int_resource_ids_extracted).
* One winner per (account, region, resource_type, resource_id), ranked as resource_creators.sql
  does: a true create before any ``Put*`` event; among true creates the latest ``eventTime``,
  among ``Put*`` events (create-or-update) the earliest; ties to the larger ``eventID``.
* The winning event's own principal ARN (links not followed: ``load --no-follow``).  The creator
  value itself is the models' rule (macros/creators.sql, SQL only), so the file does not restate it.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone

from trailcreator import attribution
from trailcreator.mapping.jmespath_sql import reference as jmespath_sql
from trailcreator.mapping import resource_map as resource_map_mod

EXPECTED_COLUMNS = ("account_id", "region", "resource_type", "resource_id",
                    "creator_principal_arn", "event_id", "event_time", "event_name")

_ROLE_SESSION = set(attribution.ROLE_SESSION_EVENT_PAIRS)


def load_map(path: str | None = None) -> resource_map_mod.ResourceMap:
    """The map as ``trailcreator load`` reads it (``None``: the shipped default.json)."""
    return resource_map_mod.load(path)


def rules(rmap: resource_map_mod.ResourceMap) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(eventSource, eventName) -> [(resource_type, ids expression)], in map order."""
    out: dict = {}
    for e in rmap.entries:
        out.setdefault((e.event_source, e.event_name), []).append((e.resource_type, e.ids))
    return out


def event_document(rec: dict) -> str:
    """The JSON value the ids expressions see: the fields macros/engine.sql's event_document() puts
    in it, no others (an expression naming ``userIdentity`` finds nothing, as in the load)."""
    ident = rec.get("userIdentity")
    account = rec.get("recipientAccountId")
    if account is None and isinstance(ident, dict):
        account = ident.get("accountId")
    return json.dumps({
        "eventSource": rec.get("eventSource"),
        "eventName": rec.get("eventName"),
        "awsRegion": rec.get("awsRegion"),
        "recipientAccountId": account,
        "requestParameters": rec.get("requestParameters"),
        "responseElements": rec.get("responseElements"),
        "additionalEventData": rec.get("additionalEventData"),
        "serviceEventDetails": rec.get("serviceEventDetails"),
        "resources": rec.get("resources"),
    })


def resource_ids(rec: dict, exprs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Distinct (resource_type, resource_id) the map's entries find in one record."""
    doc = event_document(rec)
    out: list[tuple[str, str]] = []
    for rtype, expr in exprs:
        value = jmespath_sql.jmespath_json(expr, doc)
        for rid in jmespath_sql.normalize_ids(json.loads(value) if value is not None else None):
            if (rtype, rid) not in out:
                out.append((rtype, rid))
    return out


def _epoch(event_time: str | None) -> float | None:
    """eventTime as the staging model parses it (second or sub-second precision, UTC)."""
    if not event_time:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(event_time, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            pass
    return None


def _rank(row: dict) -> tuple:
    """resource_creators.sql's ORDER BY, as a key whose minimum wins (event_id desc handled by the caller)."""
    put = row["event_name"].startswith("Put")
    t = row["_epoch"]
    return (put, t is None, (t if put else -t) if t is not None else 0.0)


def _better(a: dict, b: dict) -> bool:
    """Does ``a`` outrank ``b``?"""
    ka, kb = _rank(a), _rank(b)
    return ka < kb or (ka == kb and a["event_id"] > b["event_id"])


def expected_creators(records, rmap: resource_map_mod.ResourceMap) -> dict[tuple, dict]:
    """(account_id, region, resource_type, resource_id) -> the winning create, from ``records``
    (dicts, in delivery order: the first of an ``eventID`` is the one kept)."""
    by_pair = rules(rmap)
    seen: set[str] = set()
    best: dict[tuple, dict] = {}
    for rec in records:
        pair = (rec.get("eventSource"), rec.get("eventName"))
        exprs = by_pair.get(pair)
        if not exprs or pair in _ROLE_SESSION or rec.get("errorCode") is not None:
            continue
        event_id = rec.get("eventID")
        if event_id in seen:
            continue
        seen.add(event_id)
        ident = rec.get("userIdentity")
        arn = ident.get("arn") if isinstance(ident, dict) else None
        account = rec.get("recipientAccountId")
        if account is None and isinstance(ident, dict):
            account = ident.get("accountId")
        row = {"creator_principal_arn": arn if isinstance(arn, str) else "", "event_id": event_id,
               "event_time": rec.get("eventTime"), "event_name": rec.get("eventName"),
               "_epoch": _epoch(rec.get("eventTime"))}
        for rtype, rid in resource_ids(rec, exprs):
            key = (account, rec.get("awsRegion"), rtype, rid)
            cur = best.get(key)
            if cur is None or _better(row, cur):
                best[key] = row
    return best


def write_expected(path: str, best: dict) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EXPECTED_COLUMNS)
        for k in sorted(best):
            w.writerow([*k, *(best[k][c] for c in EXPECTED_COLUMNS[4:])])
