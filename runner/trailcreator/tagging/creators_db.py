"""Read the creators SQLite file (``--db``) for the tagger: read-only, validated, both layouts.

Two layouts are accepted (``sqlite_schema`` is the contract):

- ``resource_creators``: one row per resource, written by ``trailcreator``.  The models
  computed the tag value in every format (``creator_name``, ``creator_role``, ...:
  ``sqlite_schema.CREATOR_COLUMNS``); the column ``--creator-format`` names is read as it is,
  so ``--creator-format`` changes without reloading the trail and no rule is computed twice.
  What stays here: ``--user-suffix``, and an Identity Center user's name from the Identity
  Store (``identity_names``) in place of the user id the trail gave.
- ``events`` only: a database written by upstream ``c7n-trailcreator``.  Creators are
  derived the upstream way: the latest event per (account, type, resource id) wins, the
  value is ``user_id`` (its last ``/`` segment), ``AWSServiceRole`` principals are skipped.

The file is opened with a ``file:...?mode=ro`` URI: the tagger can never write to it, and a
missing file is an error instead of a new empty database.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..attribution import tag_value
from ..errors import TrailcreatorError
from ..export.schema import CREATOR_COLUMNS

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


def upstream_creator(user_id: str | None, fmt: str) -> tuple[str | None, str | None]:
    """(creator before cleaning, exclusion) for an upstream ``events.user_id`` (an ARN,
    ``root``, a SAML user name, a service).  Upstream kept nothing else of the identity: the
    ``arn`` format gives the ARN, every other format upstream's value, its last ``/`` segment."""
    if not user_id:
        return None, "no-identity"
    if "AWSServiceRole" in user_id or "aws-service-role/" in user_id:
        return None, "service-linked-role"
    if user_id.endswith(".amazonaws.com") or user_id == "AWS Internal":
        return None, "aws-service"
    if fmt == "arn" or not user_id.startswith("arn:"):
        return user_id, None
    return ("root" if user_id.endswith(":root") else user_id.rsplit("/", 1)[-1]), None


def _decide(row: dict, fmt: str, user_suffix: str | None, identity_names=None):
    """(creator, exclusion) for one row: the stored tag value in format ``fmt``;
    ``identity_names(user_id)`` names an Identity Center user (identity_center.IdentityStoreNames)."""
    if row["excluded_reason"]:
        return None, row["excluded_reason"]
    value = row["creator"]
    user_id = row["identity_center_user_id"]
    if identity_names and user_id and value == row["creator_name"]:
        # the trail names the user by id only (the name format's value): the store's UserName instead
        value = tag_value(identity_names(user_id)) or value
    if value is None:
        return None, "no-identity"
    if user_suffix and not value.endswith(user_suffix):
        return None, "user-suffix"
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
                columns = _columns(conn, table)
                missing = [c for c in required if c not in columns]
                if layout == LAYOUT_TRAILCREATOR and not missing and not set(CREATOR_COLUMNS.values()) <= columns:
                    raise TrailcreatorError(
                        f"--db {path}: written by an older trailcreator (no {', '.join(CREATOR_COLUMNS.values())} "
                        f"columns); run `trailcreator load` again to rewrite it"
                    )
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
                out: dict[str, dict[str, CreatorRecord]] = {}
                for row in self._rows(conn, account_id, creator_format):
                    rtype, rid, row_region, glob, when = (row[k] for k in (
                        "resource_type", "resource_id", "region", "is_global", "event_time"))
                    glob = bool(glob) or is_global_type(rtype)
                    if glob and not global_types:
                        continue
                    if not glob and (not regional or row_region != region):
                        continue
                    current = out.setdefault(rtype, {}).get(rid)
                    if current is not None and current.event_time > (when or ""):
                        continue  # the latest create event wins
                    creator, reason = _decide(row, creator_format, user_suffix, identity_names)
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
                for row in self._rows(conn, account_id, creator_format):
                    rtype, rid, region, when = (row[k] for k in ("resource_type", "resource_id", "region", "event_time"))
                    if rtype != "cfn":
                        continue
                    name = rid.split(":stack/", 1)[1].split("/", 1)[0] if ":stack/" in rid else rid
                    current = out.get((region, name))
                    if current is not None and current.event_time > (when or ""):
                        continue
                    creator, reason = _decide(row, creator_format, user_suffix, identity_names)
                    out[(region, name)] = CreatorRecord(rtype, rid, region, False, when or "", creator, reason)
            finally:
                conn.close()
        except sqlite3.Error as e:
            raise _db_error(self.path, e) from None
        return out

    def _rows(self, conn, account_id, creator_format):
        """The account's rows as dicts: resource_type, resource_id, region, is_global, event_time,
        creator (the tag value in ``creator_format``), creator_name, excluded_reason, and
        identity_center_user_id (the person's user id when an Identity Center user)."""
        if creator_format not in CREATOR_COLUMNS:
            raise TrailcreatorError(f"--creator-format {creator_format}: use one of {', '.join(CREATOR_COLUMNS)}")
        if self.layout == LAYOUT_TRAILCREATOR:
            return self._creator_rows(conn, account_id, creator_format)
        return self._upstream_rows(conn, account_id, creator_format)

    def _creator_rows(self, conn, account_id, creator_format):
        sql = (f"select resource_type, resource_id, region, is_global, event_time, excluded_reason, creator_name, "
               f"{CREATOR_COLUMNS[creator_format]} as creator, "
               f"case when person_identity_type = 'IdentityCenterUser' then person_on_behalf_of_user_id end "
               f"as identity_center_user_id "
               f"from resource_creators where account_id = ?")
        return map(dict, conn.execute(sql, (account_id,)))

    def _upstream_rows(self, conn, account_id, creator_format):
        sql = ("select region, event_date, user_id, rtype, resource_ids from events "
               "where account_id = ? order by event_date")
        for r in conn.execute(sql, (account_id,)):
            ids = r["resource_ids"] or ""
            raw, reason = upstream_creator(r["user_id"], creator_format)
            value, name = tag_value(raw), tag_value(upstream_creator(r["user_id"], "name")[0])
            for rid in ids.split(","):
                rid = rid.strip()
                if rid:
                    yield {"resource_type": r["rtype"], "resource_id": rid, "region": r["region"],
                           "is_global": r["rtype"].startswith("iam-"), "event_time": str(r["event_date"] or ""),
                           "excluded_reason": reason, "creator": value, "creator_name": name,
                           "identity_center_user_id": None}
