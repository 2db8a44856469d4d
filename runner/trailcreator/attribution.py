"""What the runner knows of the creator rules, which live in SQL (dbt_project/macros/creators.sql).

The models compute the creator in every format (``resource_creators.creator_<format>``) on
DuckDB and on Athena alike; the tagger reads the column its ``--creator-format`` names.  What
stays in Python: the names of the formats and of the events the links read (the reader must
know them before dbt runs), and ``tag_value`` for values that come from outside SQL (an
Identity Center user's name from the Identity Store, upstream c7n-trailcreator's ``user_id``).
``tests/test_attribution.py`` checks ``tag_value`` against the SQL macro.
"""

from __future__ import annotations

import unicodedata

CREATOR_FORMATS = ("name", "role", "role-session", "arn", "principal-id")

# The events the links read besides the resource map's (macros/links/ names the same):
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

TAG_VALUE_MAX = 256
_TAG_VALUE_PUNCT = set("_.:/=+-@")


def tag_value(raw: str | None) -> str | None:
    """A valid AWS tag value (macro tag_value): forbidden characters become ``_``, at most 256 characters."""
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
