"""Tag resources with their creator, one account and region at a time, through Cloud Custodian.

For each resource type with creators in scope, a c7n policy lists the resources and its
``tag:<key>: absent`` filter (plus upstream's steady-state filter for CloudFormation
stacks) picks the ones to consider; each is matched to a creator by its c7n id, its ARN or
the name inside an ARN (so a map that recorded ARNs finds name-id resources and the
reverse); the candidates are grouped by creator and handed to the type's c7n ``tag``
action in its ``batch_size`` chunks.

Safety, by construction:

- only resources without the tag are ever passed to a tag call, so an existing tag is
  never overwritten or removed, and a rerun finds nothing left to do;
- a failing call fails its batch only; the journal of API calls (``aws.JOURNAL``)
  tells which resources of the batch were really tagged, including the ones c7n skips
  silently (deleted meanwhile), so the counts and the plan say what happened;
- nothing here formats credentials or the environment into a message.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import botocore.exceptions
from botocore.exceptions import ClientError

from .creators_db import CreatorRecord, CreatorsDB
from .errors import TrailcreatorError
from .redact import redact
from .aws import JOURNAL, AccountSessionFactory, c7n_resources

log = logging.getLogger("trailcreator")

PLAN_FIELDS = ("account", "region", "resource_type", "resource_id", "creator", "action")
_TAG_KEY_CHARS = re.compile(r"[\w .:/=+\-@]+", re.UNICODE)
_READ_OPERATION = re.compile(r"^(Get|List|Describe|Head)")
_PARAMS_NOT_IDS = {"Tags", "TagKeys", "Tagging", "DryRun", "TagSet"}
# cfn stacks can only be tagged in a steady state (upstream's filter).
CFN_STEADY_STATES = ["UPDATE_COMPLETE", "CREATE_COMPLETE"]


# --- inputs ---------------------------------------------------------------------------------


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


def resolve_types(types) -> tuple[str, ...]:
    """``--type`` values as c7n AWS resource types that have a ``tag`` action."""
    registry = c7n_resources()
    out = []
    for t in types or ():
        name = t[4:] if t.startswith("aws.") else t
        klass = registry.get(name)
        if klass is None:
            raise TrailcreatorError(f"--type {t}: not a Cloud Custodian AWS resource type (e.g. ec2, s3, iam-role)")
        if "tag" not in klass.action_registry:
            raise TrailcreatorError(f"--type {t}: Cloud Custodian has no tag action for this resource type")
        out.append(name)
    return tuple(dict.fromkeys(out))


def is_global_type(rtype: str) -> bool:
    """Does c7n treat this type as global (one set per account, e.g. IAM)?"""
    klass = c7n_resources().get(rtype)
    return bool(klass and getattr(klass.resource_type, "global_resource", False))


# --- results --------------------------------------------------------------------------------


@dataclass
class TagOptions:
    creator_tag: str
    creator_format: str = "name"
    user_suffix: str | None = None
    dryrun: bool = False
    types: tuple[str, ...] = ()
    created_at_tag: str | None = None   # also write the create event's time under this key
    from_plan: bool = False             # the creators are a reviewed plan's would-tag rows


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


# --- matching -------------------------------------------------------------------------------


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


def resource_keys(rm, resource: dict) -> list[str]:
    """The c7n id of a resource first, then its ARN."""
    from c7n.utils import get_path

    keys = []
    rid = get_path(rm.resource_type.id, resource) if "." in rm.resource_type.id else resource.get(rm.resource_type.id)
    if rid:
        keys.append(str(rid))
    try:
        arns = rm.get_arns([resource])
    except Exception:  # types without ARNs
        arns = []
    keys.extend(a for a in arns if a and a not in keys)
    return keys or ["<no id>"]


# --- tagging one batch ----------------------------------------------------------------------


def _param_values(params: dict):
    for k, v in (params or {}).items():
        if k in _PARAMS_NOT_IDS:
            continue
        if isinstance(v, str):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (x for x in v if isinstance(x, str))


def batch_outcome(records, batch_keys: dict[str, list[str]]) -> dict[str, str]:
    """Per resource id of the batch: ``ok`` or the error code of the last call that touched it.

    A write call that succeeded marks the resources named in its parameters ``ok``; a call
    that failed marks them with its error code (ec2 names the unusable ids in its message,
    and c7n retries without them, so only those are marked); resourcegroupstaggingapi
    reports per-ARN failures in ``FailedResourcesMap``.  Resources no call touched are
    absent from the result.
    """
    from c7n.tags import EC2_BAD_RESOURCE_ID, QUOTED_RESOURCE_IDS

    key_to_id = {}
    for rid, keys in batch_keys.items():
        for k in keys:
            key_to_id.setdefault(k, rid)
    status: dict[str, str] = {}
    for rec in records:
        touched = {key_to_id[v] for v in _param_values(rec.params) if v in key_to_id}
        if rec.error_code:
            if EC2_BAD_RESOURCE_ID.match(rec.error_code):
                named = {rid.strip(" []") for q in QUOTED_RESOURCE_IDS.findall(rec.error_message) for rid in q.split(",")}
                touched = {key_to_id[n] for n in named if n in key_to_id} or touched
            for rid in touched:
                status[rid] = rec.error_code
            continue
        if _READ_OPERATION.match(rec.operation):
            continue
        for rid in touched:
            status[rid] = "ok"
        for arn, info in (rec.failed_resources or {}).items():
            if arn in key_to_id:
                status[key_to_id[arn]] = (info or {}).get("ErrorCode") or "Failed"
    return status


def _root_error(e: BaseException) -> BaseException:
    """The AWS error behind ``e``: c7n sometimes fails while handling one (e.g. an ``except
    client.exceptions.X`` naming an exception the client does not have), which hides it."""
    seen = set()
    cur = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, (ClientError, botocore.exceptions.BotoCoreError)):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return e


def _error_code(e: BaseException) -> str:
    e = _root_error(e)
    if isinstance(e, ClientError):
        return e.response.get("Error", {}).get("Code") or "ClientError"
    if isinstance(e, botocore.exceptions.BotoCoreError):
        return type(e).__name__
    return "TagError"


def tag_batch(tagger, client, batch, tags, keys_of) -> dict[str, str]:
    """Call the c7n tag action on one batch; ``{resource id: 'ok' | error code}``."""
    ids = {keys_of(r)[0]: keys_of(r) for r in batch}
    JOURNAL.start()
    failure = None
    try:
        tagger.process_resource_set(client, batch, tags)
    except Exception as e:  # noqa: BLE001 - any failure fails this batch only
        failure = _error_code(e)
        log.warning("tag call failed resources:%d error:%s detail:%s",
                    len(batch), failure, redact(str(_root_error(e)))[:300])
    finally:
        records = JOURNAL.stop()
    status = batch_outcome(records, ids)
    if not status:
        # no call named a resource of the batch in a form we know (an API taking some other
        # identifier): fall back on what the calls themselves say.
        errors = [r.error_code for r in records if r.error_code]
        writes = [r for r in records if not r.error_code and not _READ_OPERATION.match(r.operation)]
        verdict = failure or (errors[-1] if errors else None) or ("ok" if writes else "NotTagged")
        return {rid: verdict for rid in ids}
    return {rid: status.get(rid) or failure or "NotTagged" for rid in ids}


# --- one account / region -------------------------------------------------------------------


def _reset_thread_sessions() -> None:
    """Forget c7n's per-thread cached sessions: they are keyed by region, not by account."""
    from c7n.utils import CONN_CACHE

    for k in [k for k in dir(CONN_CACHE) if not k.startswith("_")]:
        setattr(CONN_CACHE, k, {})


def _policy(rtype: str, target: Target, filters=None):
    from c7n.config import Config
    from c7n.policy import Policy

    data = {"name": f"trailcreator-{rtype}", "resource": f"aws.{rtype}"}
    if rtype == "s3":
        data["query"] = [{"augment-keys": "none"}]  # Location and Tags are all we need
    if filters:
        data["filters"] = filters
    config = Config.empty(region=target.region, account_id=target.account_id, dryrun=False, cache="", output_dir="")
    policy = Policy(data, config, session_factory=target.factory)
    policy.validate()
    return policy


def _in_region(rtype: str, resource: dict, region: str) -> bool:
    """c7n lists every bucket of the account in any region: keep the region's own."""
    if rtype != "s3":
        return True
    from c7n.resources.s3 import get_region

    return get_region(resource) == region


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


def tag_type(target: Target, rtype: str, records: dict[str, CreatorRecord], opts: TagOptions, result: RegionResult,
             stacks: dict | None = None):
    tr = TypeResult(rtype, records=len(records))
    result.types.append(tr)
    klass = c7n_resources().get(rtype)
    if klass is None or "tag" not in klass.action_registry:
        tr.skipped = "unknown resource type" if klass is None else "no c7n tag action"
        log.warning("account:%s region:%s skip type:%s reason:%s records:%d",
                    target.account_id, target.region, rtype, tr.skipped, len(records))
        return tr

    def created_value(rec):
        return (iso_utc(rec.event_time) or "") if rec is not None and opts.created_at_tag else ""

    def plan(rid, creator, action, rec=None):
        result.plan.append(PlanRow(target.account_id, target.region, rtype, rid, creator or "", action, created_value(rec)))

    try:
        lister = _policy(rtype, target)
        absent = _policy(rtype, target, [{f"tag:{opts.creator_tag}": "absent"}])
        no_created_at = (_policy(rtype, target, [{f"tag:{opts.created_at_tag}": "absent"}])
                         if opts.created_at_tag else None)
        steady = _policy(rtype, target, [{"type": "value", "key": "StackStatus", "op": "in",
                                         "value": CFN_STEADY_STATES}]) if rtype == "cfn" else None
        rm = lister.resource_manager
        population = [r for r in rm.resources() if _in_region(rtype, r, target.region)]
        untagged = absent.resource_manager.filter_resources(list(population))
        eligible = steady.resource_manager.filter_resources(list(untagged)) if steady else untagged
        lacks_created_at = (no_created_at.resource_manager.filter_resources(list(untagged))
                            if no_created_at else [])
    except Exception as e:  # noqa: BLE001 - a type that cannot be listed fails alone
        code = _error_code(e)
        log.error("account:%s region:%s list type:%s error:%s detail:%s",
                  target.account_id, target.region, rtype, code, redact(str(_root_error(e)))[:300])
        for rid, rec in sorted(records.items()):
            plan(rid, rec.creator, f"failed:{code}")
        tr.failures[code] += len(records)
        return tr

    keys_of = lambda r: resource_keys(rm, r)  # noqa: E731
    untagged_ids = {keys_of(r)[0] for r in untagged}
    eligible_ids = {keys_of(r)[0] for r in eligible}
    lacks_created_at_ids = {keys_of(r)[0] for r in lacks_created_at}
    index = CreatorIndex(records)
    tr.population = len(population)
    candidates: dict[tuple[str, str], list[dict]] = {}   # (creator, created-at value) -> resources
    seen: set[int] = set()
    for r in population:
        keys = keys_of(r)
        rid = keys[0]
        rec = index.lookup(keys)
        if rec is None and not opts.from_plan:
            rec = stack_record(r, stacks)  # no create event of its own: its stack's creator
            if rec is not None:
                tr.from_stack += 1
        creator = rec.creator if rec else None
        if opts.from_plan:
            if rec is None:
                continue  # not in the reviewed plan: not this run's business
            seen.add(id(rec))
            if rid not in untagged_ids or rid not in eligible_ids:
                what = "has-tag" if rid not in untagged_ids else "not-steady-state"
                tr.changed.append((rid, what))
                plan(rid, creator, f"skipped:{what}", rec)
                continue
        if rid not in untagged_ids:
            tr.has_tag += 1
            plan(rid, creator, "has-tag")
        elif rid not in eligible_ids:
            tr.excluded += 1
            plan(rid, creator, "excluded:not-steady-state")
        elif rec is None:
            tr.no_creator += 1
            plan(rid, None, "no-creator")
        elif rec.exclusion:
            tr.excluded += 1
            plan(rid, None, f"excluded:{rec.exclusion}")
        elif "get_bucket_tagging" in r.get("c7n:DeniedMethods", ()):
            # its tags could not be read: tagging could overwrite one we cannot see.
            tr.failures["AccessDenied"] += 1
            plan(rid, creator, "failed:AccessDenied")
        else:
            # the created-at tag too, where it is absent (never overwritten)
            created = created_value(rec) if rid in lacks_created_at_ids else ""
            candidates.setdefault((creator, created), []).append(r)
    if opts.from_plan:
        for rid, rec in sorted(records.items()):
            if id(rec) not in seen:
                tr.changed.append((rid, "gone"))
                plan(rid, rec.creator, "skipped:gone", rec)
    tr.users = {creator for creator, _ in candidates}

    def plan_tagged(rid, creator, created, action):
        result.plan.append(PlanRow(target.account_id, target.region, rtype, rid, creator or "", action, created))

    if candidates and not opts.dryrun:
        from c7n.tags import UniversalTag
        from c7n.utils import chunks

        tagger = klass.action_registry["tag"]({}, rm)
        client, client_error = None, None
        try:
            client = tagger.get_client()
        except Exception as e:  # noqa: BLE001 - reported per resource below
            client_error = _error_code(e)
        for creator, created in sorted(candidates):
            values = {opts.creator_tag: creator}
            if created:
                values[opts.created_at_tag] = created
            tags = (dict(values) if isinstance(tagger, UniversalTag)
                    else [{"Key": k, "Value": v} for k, v in values.items()])
            for batch in chunks(candidates[(creator, created)], tagger.batch_size):
                if client is None:
                    outcome = {keys_of(r)[0]: client_error for r in batch}
                else:
                    outcome = tag_batch(tagger, client, batch, tags, keys_of)
                for rid, status in outcome.items():
                    if status == "ok":
                        tr.tagged += 1
                        plan_tagged(rid, creator, created, "tag")
                    else:
                        tr.failures[status] += 1
                        plan_tagged(rid, creator, created, f"failed:{status}")
    else:
        for (creator, created), resources in candidates.items():
            for r in resources:
                tr.would_tag += 1
                plan_tagged(keys_of(r)[0], creator, created, "would-tag")
    return tr


def tag_account_region(target: Target, db: CreatorsDB, opts: TagOptions) -> RegionResult:
    """Tag what the creators database knows about in one account and region."""
    result = RegionResult(target.account_id, target.region, target.name, opts.dryrun)
    _reset_thread_sessions()
    try:
        by_type = db.records(
            target.account_id, target.region,
            regional=target.regional, global_types=target.global_types,
            is_global_type=is_global_type,
            creator_format=opts.creator_format, user_suffix=opts.user_suffix,
        )
        stacks = None
        if not opts.from_plan and hasattr(db, "stack_creators"):
            stacks = db.stack_creators(target.account_id, creator_format=opts.creator_format,
                                       user_suffix=opts.user_suffix)
        # with stack creators, a type asked for by --type is listed even without records of its own
        names = set(by_type) | (set(opts.types) if stacks else set())
        types = sorted(t for t in names if not opts.types or t in opts.types)
        if not types:
            log.warning("account:%s region:%s no creators in the database for this account and region%s",
                        target.account_id, target.region, " and --type" if opts.types else "")
        done_resources = 0
        for n, rtype in enumerate(types, 1):
            tr = tag_type(target, rtype, by_type.get(rtype, {}), opts, result, stacks)
            done_resources += tr.population
            log.info("progress account:%s region:%s types:%d/%d resources:%d",
                     target.account_id, target.region, n, len(types), done_resources)
    except TrailcreatorError as e:
        result.error = str(e)
    finally:
        _reset_thread_sessions()
    return result


# --- reporting ------------------------------------------------------------------------------


def type_lines(result: RegionResult) -> list[str]:
    """Upstream's line per type (``would tag`` in a dry run), then one per failure."""
    verb = "would tag" if result.dryrun else "tag"
    lines = []
    for t in result.types:
        if t.skipped:
            lines.append(f"account:{result.account_id} region:{result.region} skip {t.resource_type} "
                         f"reason:{t.skipped} records:{t.records}")
            continue
        n = t.would_tag if result.dryrun else t.tagged
        lines.append(
            f"account:{result.account_id} region:{result.region} {verb} {n} {t.resource_type} resources "
            f"users:{len(t.users)} population:{t.population} not-found:{t.no_creator} records:{t.records}"
            + (f" from-stack:{t.from_stack}" if t.from_stack else "")
        )
        for code, count in sorted(t.failures.items()):
            lines.append(f"account:{result.account_id} region:{result.region} failed {count} "
                         f"{t.resource_type} resources error:{code}")
        for rid, what in t.changed:
            lines.append(f"account:{result.account_id} region:{result.region} skip {t.resource_type} {rid} "
                         f"reason:changed-since-plan:{what}")
    return lines


def summary_line(result: RegionResult) -> str:
    who = f"account:{result.name} id:{result.account_id}" if result.name else f"account:{result.account_id}"
    if result.error:
        return f"summary {who} region:{result.region} error:{result.error}"
    return (
        f"summary {who} region:{result.region} tagged:{result.total('tagged')} "
        f"would-tag:{result.total('would_tag')} has-tag:{result.total('has_tag')} "
        f"no-creator:{result.total('no_creator')} excluded:{result.total('excluded')} "
        f"failed:{result.total('failed')}"
    )


def total_lines(results: list[RegionResult], dryrun: bool) -> list[str]:
    lines = [f"Total resources tagged: {sum(r.total('tagged') for r in results)}"]
    if dryrun:
        lines.append(f"Total resources that would be tagged: {sum(r.total('would_tag') for r in results)}")
    failed = sum(r.total("failed") for r in results)
    errors = sum(1 for r in results if r.error)
    if failed:
        lines.append(f"Total resources failed: {failed}")
    if errors:
        lines.append(f"Total account/regions failed: {errors}")
    return lines


def failure_message(results: list[RegionResult]) -> str | None:
    failed = sum(r.total("failed") for r in results)
    errors = sum(1 for r in results if r.error)
    if not failed and not errors:
        return None
    parts = []
    if failed:
        parts.append(f"{failed} resource(s) could not be tagged")
    if errors:
        parts.append(f"{errors} account/region(s) could not be processed")
    return "; ".join(parts) + ": see the failed and summary lines above"


# --- plan file ------------------------------------------------------------------------------


def check_plan_path(path: str | None) -> Path | None:
    if not path:
        return None
    p = Path(path)
    if p.suffix.lower() not in (".csv", ".json"):
        raise TrailcreatorError(f"--plan {path}: name the file .csv or .json")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise TrailcreatorError(f"--plan {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise TrailcreatorError(f"--plan {path}: folder {parent} is not writable")
    return p


def write_plan(path: Path, rows: list[PlanRow], created_at: bool = False) -> None:
    """Write the plan atomically: CSV with a header, or a JSON array of objects.  With
    ``created_at`` (``--created-at-tag``) a last column holds the created-at value written."""
    rows = sorted(rows, key=lambda r: (r.account, r.region, r.resource_type, r.resource_id))
    fields = PLAN_FIELDS + (("created_at",) if created_at else ())
    fd, tmp = tempfile.mkstemp(prefix=".plan-", dir=str(path.parent or "."))
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            if path.suffix.lower() == ".json":
                json.dump([{f: getattr(r, f) for f in fields} for r in rows], fh, indent=1)
                fh.write("\n")
            else:
                w = csv.writer(fh)
                w.writerow(fields)
                for r in rows:
                    w.writerow([getattr(r, f) for f in fields])
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- a reviewed plan as the creators (--from-plan) --------------------------------------------


class PlanCreators:
    """The ``would-tag`` rows of a plan written by ``--dryrun --plan``, served like a creators
    database: each account and region gets exactly its rows, with the plan's creator (and
    created-at) values.  ``unserved()`` names the rows no account/region of the run asked for."""

    layout = "plan"

    def __init__(self, path: Path, rows: list[dict], has_created_at: bool):
        self.path = path
        self.rows = rows
        self.has_created_at = has_created_at
        self.served: set[tuple[str, str]] = set()

    @classmethod
    def open(cls, path: str) -> "PlanCreators":
        p = Path(path)
        if p.suffix.lower() not in (".csv", ".json"):
            raise TrailcreatorError(f"--from-plan {path}: name a .csv or .json plan written by --dryrun --plan")
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TrailcreatorError(f"--from-plan {path}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            raise TrailcreatorError(f"--from-plan {path}: cannot read the plan ({e})") from None
        try:
            if p.suffix.lower() == ".json":
                rows = json.loads(text)
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValueError("not a JSON array of objects")
                columns = set().union(*(r.keys() for r in rows)) if rows else set(PLAN_FIELDS)
            else:
                reader = csv.DictReader(text.splitlines())
                columns = set(reader.fieldnames or ())
                rows = list(reader)
        except (ValueError, csv.Error) as e:
            raise TrailcreatorError(f"--from-plan {path}: not a plan file ({e})") from None
        missing = [f for f in PLAN_FIELDS if f not in columns]
        if missing:
            raise TrailcreatorError(f"--from-plan {path}: not a plan file: no {', '.join(missing)} column(s)")
        wanted = []
        for n, r in enumerate(rows, 1):
            if r.get("action") != "would-tag":
                continue
            if not all(isinstance(r.get(f), str) and r.get(f) for f in ("account", "region", "resource_type",
                                                                          "resource_id", "creator")):
                raise TrailcreatorError(f"--from-plan {path}: row {n} is a would-tag row without account, region, "
                                        f"resource_type, resource_id or creator")
            wanted.append(r)
        if not wanted:
            raise TrailcreatorError(f"--from-plan {path}: the plan has no would-tag rows; nothing to apply")
        return cls(p, wanted, "created_at" in columns)

    def records(self, account_id: str, region: str, **_ignored) -> dict[str, dict[str, CreatorRecord]]:
        self.served.add((account_id, region))
        out: dict[str, dict[str, CreatorRecord]] = {}
        for r in self.rows:
            if r["account"] == account_id and r["region"] == region:
                out.setdefault(r["resource_type"], {})[r["resource_id"]] = CreatorRecord(
                    r["resource_type"], r["resource_id"], region, False, r.get("created_at") or "", r["creator"], None)
        return out

    def unserved(self) -> dict[tuple[str, str], int]:
        """(account, region) -> would-tag rows this run did not reach."""
        left: dict[tuple[str, str], int] = {}
        for r in self.rows:
            key = (r["account"], r["region"])
            if key not in self.served:
                left[key] = left.get(key, 0) + 1
        return left
