"""What a tagging run is given (options, the account/region to tag) and what it returns (counts
and plan rows per type and per account/region)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
import re
from collections import Counter
from dataclasses import dataclass, field

from ..aws import AccountSessionFactory
from ..errors import TrailcreatorError

_TAG_KEY_CHARS = re.compile(r"[\w .:/=+\-@]+", re.UNICODE)


def check_tag_key(key: str, option: str = "--creator-tag") -> str:
    """The tag key, or a TrailcreatorError saying why AWS would refuse it."""
    if not key or not key.strip():
        raise TrailcreatorError(f"{option}: the tag key is empty")
    if key.lower().startswith("aws:"):
        raise TrailcreatorError(f"{option} {key}: keys starting with 'aws:' are reserved by AWS; pick another key")
    if len(key) > 128:
        raise TrailcreatorError(f"{option}: the key is {len(key)} characters long; AWS allows at most 128")
    if not _TAG_KEY_CHARS.fullmatch(key):
        raise TrailcreatorError(
            f"{option} {key!r}: AWS tag keys allow letters, digits, spaces and _ . : / = + - @ only"
        )
    return key


def iso_utc(when: str | None) -> str | None:
    """A stored event time as ISO 8601 UTC (``2024-05-01T09:00:00Z``); None when it is not a time."""
    if not when:
        return None
    try:
        t = dt.datetime.fromisoformat(when.strip().replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TagOptions:
    creator_tag: str
    creator_format: str = "name"
    user_suffix: str | None = None
    dryrun: bool = False
    types: tuple[str, ...] = ()
    created_at_tag: str | None = None   # also write the create event's time under this key
    from_plan: bool = False             # the creators are a reviewed plan's would-tag rows
    identity_names: Callable[[str], str | None] | None = None  # Identity Center user id -> name


@dataclass
class Target:
    """One account and region to tag in."""

    account_id: str
    region: str
    factory: AccountSessionFactory
    name: str | None = None
    regional: bool = True        # the region's own resources
    global_types: bool = True    # IAM and other global types: once per account


@dataclass
class PlanRow:
    account: str
    region: str
    resource_type: str
    resource_id: str
    creator: str
    action: str
    created_at: str = ""


@dataclass
class TypeResult:
    resource_type: str
    records: int = 0
    population: int = 0
    tagged: int = 0
    would_tag: int = 0
    has_tag: int = 0
    no_creator: int = 0
    excluded: int = 0
    failures: Counter = field(default_factory=Counter)   # error code -> resources
    users: set = field(default_factory=set)
    skipped: str | None = None
    changed: list = field(default_factory=list)   # --from-plan: (resource id, what changed) skipped
    from_stack: int = 0                           # creators taken from the resource's stack at tag time

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


@dataclass
class RegionResult:
    account_id: str
    region: str
    name: str | None = None
    dryrun: bool = False
    types: list[TypeResult] = field(default_factory=list)
    plan: list[PlanRow] = field(default_factory=list)
    error: str | None = None     # the whole account/region failed (e.g. the role cannot be assumed)

    def total(self, attr: str) -> int:
        return sum(getattr(t, attr) for t in self.types)

    @property
    def failed(self) -> int:
        return self.total("failed") + (1 if self.error else 0)
