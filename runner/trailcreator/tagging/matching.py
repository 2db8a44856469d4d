"""A listed resource matched to its creator: by its c7n id, its ARN or the name inside an ARN (so a
map that recorded ARNs finds name-id resources and the reverse), else by the creator of the
CloudFormation stack that tagged it."""

from __future__ import annotations

import re

from .creators_db import CreatorRecord


def _is_arn(value: str) -> bool:
    return isinstance(value, str) and value.startswith("arn:") and value.count(":") >= 5


def arn_name(arn: str) -> str:
    """The name inside an ARN: ``arn:aws:iam::1:role/path/app`` -> ``app``."""
    resource = arn.split(":", 5)[5]
    return re.split(r"[/:]", resource)[-1] if resource else resource


class CreatorIndex:
    """Creator records of one type, found by id, by ARN, or by the name inside an ARN."""

    def __init__(self, records: dict[str, CreatorRecord]):
        self.exact = dict(records)
        names: dict[str, list[CreatorRecord]] = {}
        for rid, rec in records.items():
            if _is_arn(rid):
                names.setdefault(arn_name(rid), []).append(rec)
        # a name two ARNs share is ambiguous: never guess between them.
        self.names = {n: recs[0] for n, recs in names.items() if len(recs) == 1}

    def lookup(self, keys: list[str]) -> CreatorRecord | None:
        for k in keys:                      # the resource's id or ARN as recorded
            if k in self.exact:
                return self.exact[k]
        for k in keys:                      # recorded a name, c7n has an ARN
            if _is_arn(k) and arn_name(k) in self.exact:
                return self.exact[arn_name(k)]
        for k in keys:                      # recorded an ARN, c7n has a name
            name = arn_name(k) if _is_arn(k) else k
            if name in self.names:
                return self.names[name]
        return None


STACK_ID_TAG = "aws:cloudformation:stack-id"


def resource_tag(resource: dict, key: str) -> str | None:
    """A tag's value on a resource as c7n lists it (``Tags`` as a list of Key/Value, or a dict)."""
    tags = resource.get("Tags") or resource.get("tags") or []
    if isinstance(tags, dict):
        return tags.get(key)
    for t in tags if isinstance(tags, list) else []:
        if isinstance(t, dict) and (t.get("Key") or t.get("key")) == key:
            return t.get("Value") if "Value" in t else t.get("value")
    return None


def stack_record(resource: dict, stacks: dict | None) -> CreatorRecord | None:
    """The creator of the CloudFormation stack whose aws:cloudformation:stack-id tag the resource
    carries (the create event may not have carried tags; CloudFormation tags what it creates)."""
    if not stacks:
        return None
    stack_id = resource_tag(resource, STACK_ID_TAG)
    m = re.match(r"^arn:[^:]*:cloudformation:([^:]*):[0-9]*:stack/([^/]+)/", stack_id or "")
    return stacks.get((m.group(1), m.group(2))) if m else None
