"""Who created a resource: the creator rules and the tag value they produce.

The dbt models compute the same rules in SQL (macros/creators.sql) so the
``resource_creators`` table is readable on its own; the tagger applies these Python rules
to the identity fields stored with each row, which is what lets ``--creator-format`` change
at tag time without reloading the trail.  ``tests/test_attribution.py`` checks both agree.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Mapping

CREATOR_FORMATS = ("name", "role", "role-session", "arn", "principal-id")

# The events the links read besides the resource map's (macros/links.sql names the same):
# STS calls that issue role-session credentials (role chains), stack operations (CloudFormation
# with a service role), launches (instance profiles) and group creations (Auto Scaling).
ROLE_SESSION_EVENT_PAIRS = (
    ("sts.amazonaws.com", "AssumeRole"),
    ("sts.amazonaws.com", "AssumeRoleWithSAML"),
    ("sts.amazonaws.com", "AssumeRoleWithWebIdentity"),
)
LINK_EVENT_PAIRS = ROLE_SESSION_EVENT_PAIRS + (
    ("cloudformation.amazonaws.com", "CreateStack"),
    ("cloudformation.amazonaws.com", "UpdateStack"),
    ("cloudformation.amazonaws.com", "ExecuteChangeSet"),
    ("ec2.amazonaws.com", "RunInstances"),
    ("autoscaling.amazonaws.com", "CreateAutoScalingGroup"),
)

# The identity fields of the person a link found, in resource_creators as person_<field>.
PERSON_FIELDS = (
    "identity_type", "principal_arn", "principal_id", "user_name", "session_name",
    "session_issuer_arn", "session_issuer_name", "on_behalf_of_user_id", "invoked_by",
)

TAG_VALUE_MAX = 256
_TAG_VALUE_PUNCT = set("_.:/=+-@")
_INSTANCE_PROFILE_SESSION = re.compile(r"^i-[0-9a-f]{8,17}$")


def _last_segment(arn: str | None) -> str | None:
    """What follows the ARN's last ``/`` (user name, session name); None without one."""
    if not arn or "/" not in arn:
        return None
    return arn.rsplit("/", 1)[1] or None


def _role_name(row: Mapping) -> str | None:
    """The role behind an assumed-role session: the session issuer's name, else from the ARN."""
    name = row.get("session_issuer_name")
    if name:
        return name
    arn = row.get("principal_arn") or ""
    parts = arn.split(":", 5)[-1].split("/") if arn else []
    # arn:aws:sts::<acct>:assumed-role/<Role>/<session>
    if len(parts) >= 3 and parts[0] == "assumed-role" and arn.split(":")[2:3] == ["sts"]:
        return parts[1] or None
    return None


def identity_fields(user_identity: Mapping | None) -> dict:
    """The identity columns of ``resource_creators`` from a record's ``userIdentity`` element
    (what the staging model extracts in SQL)."""
    ui = user_identity if isinstance(user_identity, Mapping) else {}

    def text(v):  # as DuckDB's ->> gives it: strings as they are, anything else as compact JSON
        if v is None or v == "":
            return None
        return v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))

    issuer = ((ui.get("sessionContext") or {}).get("sessionIssuer") or {}) if isinstance(ui.get("sessionContext"), Mapping) else {}
    row = {
        "identity_type": text(ui.get("type")),
        "principal_arn": text(ui.get("arn")),
        "principal_id": text(ui.get("principalId")),
        "user_name": text(ui.get("userName")),
        "session_issuer_arn": text(issuer.get("arn")) if isinstance(issuer, Mapping) else None,
        "session_issuer_name": text(issuer.get("userName")) if isinstance(issuer, Mapping) else None,
        "on_behalf_of_user_id": text((ui.get("onBehalfOf") or {}).get("userId")) if isinstance(ui.get("onBehalfOf"), Mapping) else None,
        "invoked_by": text(ui.get("invokedBy")),
        "access_key_id": text(ui.get("accessKeyId")),
    }
    session = None
    if row["identity_type"] == "AssumedRole":
        session = _last_segment(row["principal_arn"]) or (
            (row["principal_id"] or "").split(":")[1] if ":" in (row["principal_id"] or "") else None
        ) or None
    row["session_name"] = session
    return row


def exclusion_reason(row: Mapping) -> str | None:
    """Why this identity is not a person to tag with, or None when it is one."""
    itype = row.get("identity_type")
    arn = row.get("principal_arn") or ""
    issuer = row.get("session_issuer_arn") or ""
    if itype == "AWSService":
        return "aws-service"
    if "aws-service-role/" in arn or "aws-service-role/" in issuer or "AWSServiceRole" in arn:
        return "service-linked-role"
    if itype == "AssumedRole" and _INSTANCE_PROFILE_SESSION.match(row.get("session_name") or _last_segment(arn) or ""):
        return "instance-profile"
    if creator_raw(row, "name") is None:
        return "no-identity"
    return None


def creator_raw(row: Mapping, fmt: str = "name") -> str | None:
    """The creator before tag-value cleaning, for one of ``CREATOR_FORMATS``.

    ``row`` holds the identity columns of ``resource_creators``: identity_type,
    principal_arn, principal_id, user_name, session_name, session_issuer_arn,
    session_issuer_name, on_behalf_of_user_id.
    """
    if fmt not in CREATOR_FORMATS:
        raise ValueError(f"unknown creator format {fmt!r}: use one of {', '.join(CREATOR_FORMATS)}")
    itype = row.get("identity_type")
    arn = row.get("principal_arn")
    if fmt == "arn":
        return arn or creator_raw(row, "name")
    if fmt == "principal-id":
        return row.get("principal_id") or creator_raw(row, "name")
    if itype == "Root":
        return "root"
    if itype == "IAMUser":
        return row.get("user_name") or _last_segment(arn)
    if itype == "AssumedRole":
        session = row.get("session_name") or _last_segment(arn)
        if fmt == "role":
            return _role_name(row) or session
        if fmt == "role-session":
            role = _role_name(row)
            return f"{role}/{session}" if role and session else session
        return session
    if itype == "FederatedUser":
        return _last_segment(arn) or row.get("user_name")
    if itype in ("SAMLUser", "WebIdentityUser"):
        return row.get("user_name") or _last_segment(arn)
    if itype == "IdentityCenterUser":  # the name when the tagger looked it up (--identity-store)
        return row.get("identity_center_user_name") or row.get("on_behalf_of_user_id")
    if itype == "AWSAccount":
        return row.get("principal_id")
    if itype == "AWSService":
        return None
    # Unknown or missing type: the most specific field there is.
    return row.get("user_name") or _last_segment(arn) or None


def person(row: Mapping) -> dict:
    """The identity the creator is taken from: the person a link found (``via`` set, fields
    ``person_<field>``), else the row's own principal."""
    if row.get("via"):
        return {f: row.get(f"person_{f}") for f in PERSON_FIELDS}
    return {f: row.get(f) for f in PERSON_FIELDS}


def tag_value(raw: str | None) -> str | None:
    """A valid AWS tag value: forbidden characters become ``_``, at most 256 characters."""
    if raw is None:
        return None
    out = []
    for ch in raw:
        cat = unicodedata.category(ch)
        if ch in _TAG_VALUE_PUNCT or cat[0] in ("L", "N") or cat == "Zs":
            out.append(ch)
        else:
            out.append("_")
    value = "".join(out)[:TAG_VALUE_MAX]
    return value or None


def creator(row: Mapping, fmt: str = "name", user_suffix: str | None = None) -> str | None:
    """The tag value for this row's creator, or None when there is nothing to write."""
    if exclusion_reason(row):
        return None
    raw = creator_raw(row, fmt)
    if raw is None:
        return None
    if user_suffix and not raw.endswith(user_suffix):
        return None
    return tag_value(raw)
