"""Read the creators SQLite file (``--db``) for the tagger: read-only, validated, both layouts.

Two layouts are accepted (``sqlite_schema`` is the contract):

- ``resource_creators``: one row per resource with the creator's identity fields, written by
  ``trailcreator``.  The tag value is computed here from those fields with
  ``attribution.creator`` so ``--creator-format`` works without reloading the trail.
- ``events`` only: a database written by upstream ``c7n-trailcreator``.  Creators are
  derived the upstream way: the latest event per (account, type, resource id) wins, the
  value is the last ``/`` segment of ``user_id``, ``AWSServiceRole`` principals are skipped.

The file is opened with a ``file:...?mode=ro`` URI: the tagger can never write to it, and a
missing file is an error instead of a new empty database.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import attribution
from .errors import TrailcreatorError
from .sqlite_schema import RESOURCE_CREATORS_COLUMNS

# How long to wait for another process's write lock before giving up.
LOCK_TIMEOUT_SECONDS = 5.0

_REQUIRED_CREATORS = ("account_id", "region", "resource_type", "resource_id", "is_global", "event_time")
_REQUIRED_EVENTS = ("account_id", "region", "event_date", "user_id", "rtype", "resource_ids")

LAYOUT_TRAILCREATOR = "resource_creators"
LAYOUT_UPSTREAM = "events"


@dataclass(frozen=True)
class CreatorRecord:
    """Who created one resource, as the tagger will use it."""

    resource_type: str
    resource_id: str
    region: str
    is_global: bool
    event_time: str
    creator: str | None          # tag value in the chosen format; None when not taggable
    exclusion: str | None        # why it is not tagged: aws-service, service-linked-role, ...


def _connect(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=LOCK_TIMEOUT_SECONDS, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _db_error(path: Path, e: sqlite3.Error) -> TrailcreatorError:
    msg = str(e)
    if "locked" in msg or "busy" in msg:
        return TrailcreatorError(
            f"--db {path}: the database is locked by another process; wait for it to finish "
            f"(a load or export still writing?) and run again"
        )
    if "not a database" in msg or "malformed" in msg or "encrypted" in msg:
        return TrailcreatorError(
            f"--db {path}: not a SQLite database; pass the file written by "
            f"`trailcreator load --db` or by c7n-trailcreator"
        )
    return TrailcreatorError(f"--db {path}: cannot read the database: {msg}")


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r["name"] for r in conn.execute(f"pragma table_info({table})")}


def upstream_identity(user_id: str | None) -> dict:
    """Identity fields for an upstream ``events.user_id`` (an ARN, ``root``, a SAML name)."""
    if not user_id:
        return {}
    if user_id == "root":
        return {"identity_type": "Root"}
    if user_id.startswith("arn:"):
        resource = user_id.split(":", 5)[-1]
        if resource.startswith("assumed-role/"):
            return {"identity_type": "AssumedRole", "principal_arn": user_id}
        if resource.startswith("user/"):
            return {"identity_type": "IAMUser", "principal_arn": user_id}
        if resource.startswith("federated-user/"):
            return {"identity_type": "FederatedUser", "principal_arn": user_id}
        if resource == "root":
            return {"identity_type": "Root", "principal_arn": user_id}
        return {"principal_arn": user_id}
    if user_id.endswith(".amazonaws.com") or user_id == "AWS Internal":
        return {"identity_type": "AWSService", "invoked_by": user_id}
    return {"identity_type": "SAMLUser", "user_name": user_id}


def _decide(identity: dict, stored_reason: str | None, fmt: str, user_suffix: str | None, identity_names=None):
    """(creator, exclusion) for one row's identity; ``identity_names(user_id)`` names an
    Identity Center user (identity_center.IdentityStoreNames)."""
    user_id = identity.get("on_behalf_of_user_id")
    if identity_names and user_id and identity.get("identity_type") == "IdentityCenterUser":
        identity = {**identity, "identity_center_user_name": identity_names(user_id)}
    reason = stored_reason or attribution.exclusion_reason(identity)
    if reason:
        return None, reason
    value = attribution.creator(identity, fmt, user_suffix)
    if value is None:
        raw = attribution.creator_raw(identity, fmt)
        if raw is not None and user_suffix and not raw.endswith(user_suffix):
            return None, "user-suffix"
        return None, "no-identity"
    return value, None


class CreatorsDB:
    """The validated creators database; ``records`` reads one account's scope from it."""

    def __init__(self, path: str | Path, layout: str, row_count: int):
        self.path = Path(path)
        self.layout = layout
        self.row_count = row_count

    @classmethod
    def open(cls, path: str | Path) -> "CreatorsDB":
        """Check the file is there, ours (or upstream's), readable now and not empty."""
        path = Path(path)
        if not path.exists():
            raise TrailcreatorError(f"--db {path}: no such file; pass the SQLite file written by `trailcreator load --db`")
        if not path.is_file():
            raise TrailcreatorError(f"--db {path}: not a file")
        if path.stat().st_size == 0:
            raise TrailcreatorError(f"--db {path}: the file is empty (0 bytes); load a trail into it first")
        try:
            conn = _connect(path)
            try:
                tables = {r["name"] for r in conn.execute("select name from sqlite_master where type = 'table'")}
                if "resource_creators" in tables:
                    layout, table, required = LAYOUT_TRAILCREATOR, "resource_creators", _REQUIRED_CREATORS
                elif "events" in tables:
                    layout, table, required = LAYOUT_UPSTREAM, "events", _REQUIRED_EVENTS
                else:
                    raise TrailcreatorError(
                        f"--db {path}: not a trailcreator database (no resource_creators or events table); "
                        f"pass the file written by `trailcreator load --db` or by c7n-trailcreator"
                    )
                missing = [c for c in required if c not in _columns(conn, table)]
                if missing:
                    raise TrailcreatorError(
                        f"--db {path}: table {table} lacks column(s) {', '.join(missing)}; "
                        f"it was not written by trailcreator or c7n-trailcreator"
                    )
                count = conn.execute(f"select count(*) from {table}").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise _db_error(path, e) from None
        if count == 0:
            raise TrailcreatorError(f"--db {path}: table {table} holds no creators; load a trail into it first")
        return cls(path, layout, count)

    def records(
        self,
        account_id: str,
        region: str,
        *,
        regional: bool = True,
        global_types: bool = True,
        is_global_type=lambda rtype: False,
        creator_format: str = "name",
        user_suffix: str | None = None,
        identity_names=None,
    ) -> dict[str, dict[str, CreatorRecord]]:
        """Creators in one account: ``{resource_type: {resource_id: record}}``.

        ``regional`` selects the non-global resources of ``region``; ``global_types`` the
        global ones (IAM, ...) from any region, so they are handled once per account.
        ``is_global_type(rtype)`` adds types the database does not mark global.
        """
        try:
            conn = _connect(self.path)
            try:
                if self.layout == LAYOUT_TRAILCREATOR:
                    rows = self._creator_rows(conn, account_id)
                else:
                    rows = self._upstream_rows(conn, account_id)
                out: dict[str, dict[str, CreatorRecord]] = {}
                for rtype, rid, row_region, glob, when, identity, stored_reason in rows:
                    glob = bool(glob) or is_global_type(rtype)
                    if glob and not global_types:
                        continue
                    if not glob and (not regional or row_region != region):
                        continue
                    current = out.setdefault(rtype, {}).get(rid)
                    if current is not None and current.event_time > (when or ""):
                        continue  # the latest create event wins
                    creator, reason = _decide(identity, stored_reason, creator_format, user_suffix, identity_names)
                    out[rtype][rid] = CreatorRecord(rtype, rid, row_region, glob, when or "", creator, reason)
                return out
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from None

    def stack_creators(self, account_id: str, *, creator_format: str = "name", user_suffix: str | None = None,
                       identity_names=None) -> dict[tuple[str, str], CreatorRecord]:
        """The creators of the account's CloudFormation stacks (type ``cfn``), every region:
        ``{(region, stack name): record}`` (a stack recorded by its id is found by its name)."""
        out: dict[tuple[str, str], CreatorRecord] = {}
        try:
            conn = _connect(self.path)
            try:
                rows = (self._creator_rows(conn, account_id) if self.layout == LAYOUT_TRAILCREATOR
                        else self._upstream_rows(conn, account_id))
                for rtype, rid, region, _glob, when, identity, stored_reason in rows:
                    if rtype != "cfn":
                        continue
                    name = rid.split(":stack/", 1)[1].split("/", 1)[0] if ":stack/" in rid else rid
                    current = out.get((region, name))
                    if current is not None and current.event_time > (when or ""):
                        continue
                    creator, reason = _decide(identity, stored_reason, creator_format, user_suffix, identity_names)
                    out[(region, name)] = CreatorRecord(rtype, rid, region, False, when or "", creator, reason)
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from None
        return out

    def _creator_rows(self, conn, account_id):
        present = _columns(conn, "resource_creators")
        wanted = [c for c, _ in RESOURCE_CREATORS_COLUMNS if c in present]
        sql = f"select {', '.join(wanted)} from resource_creators where account_id = ?"
        for r in conn.execute(sql, (account_id,)):
            r = dict(r)
            identity = attribution.person(r)  # the person a link found, else the principal
            if not identity.get("identity_type") and not identity.get("principal_arn") and r.get("creator"):
                # a row without identity fields: trust the stored value (name format only).
                identity = {"identity_type": None, "user_name": r.get("creator_raw") or r["creator"]}
            yield (r["resource_type"], r["resource_id"], r["region"], r["is_global"], r["event_time"],
                   identity, r.get("excluded_reason"))

    def _upstream_rows(self, conn, account_id):
        sql = ("select region, event_date, user_id, rtype, resource_ids from events "
               "where account_id = ? order by event_date")
        for r in conn.execute(sql, (account_id,)):
            ids = r["resource_ids"] or ""
            identity = upstream_identity(r["user_id"])
            for rid in ids.split(","):
                rid = rid.strip()
                if rid:
                    yield (r["rtype"], rid, r["region"], r["rtype"].startswith("iam-"),
                           str(r["event_date"] or ""), identity, None)
