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

import logging
from dataclasses import dataclass

from ..aws import c7n_resources
from .creators_db import CreatorRecord, CreatorsDB
from ..errors import TrailcreatorError
from ..redact import redact
from . import custodian
from .matching import CreatorIndex, stack_record
from .model import PlanRow, RegionResult, TagOptions, Target, TypeResult, iso_utc
from .outcome import error_code, root_error, tag_batch

log = logging.getLogger("trailcreator")


@dataclass
class Listed:
    """One type's resources in the region, and which of them lack the tags."""

    manager: object                 # the type's c7n resource manager
    population: list[dict]
    untagged: set[str]              # ids without the creator tag
    eligible: set[str]              # ... and in a state that can be tagged (cfn: steady)
    lacks_created_at: set[str]      # ids without the created-at tag (--created-at-tag)


class TypeRun:
    """Tagging one resource type in one account and region, step by step; the counts go to
    ``tr`` and the plan rows to ``result``."""

    def __init__(self, target: Target, rtype: str, records: dict[str, CreatorRecord], opts: TagOptions,
                 result: RegionResult, stacks: dict | None):
        self.target, self.rtype, self.records, self.opts = target, rtype, records, opts
        self.result, self.stacks = result, stacks
        self.tr = TypeResult(rtype, records=len(records))
        result.types.append(self.tr)
        self.keys_of = None  # the resource's keys (c7n id first), once listed

    def plan(self, rid: str, creator: str | None, action: str, created: str = "") -> None:
        t = self.target
        self.result.plan.append(PlanRow(t.account_id, t.region, self.rtype, rid, creator or "", action, created))

    def created_value(self, rec: CreatorRecord | None) -> str:
        """The created-at tag value of a creator record (empty without --created-at-tag)."""
        return (iso_utc(rec.event_time) or "") if rec is not None and self.opts.created_at_tag else ""

    def taggable(self) -> bool:
        """Cloud Custodian knows the type and can tag it; else the type is skipped and said so."""
        klass = c7n_resources().get(self.rtype)
        if klass is not None and "tag" in klass.action_registry:
            return True
        self.tr.skipped = "unknown resource type" if klass is None else "no c7n tag action"
        log.warning("account:%s region:%s skip type:%s reason:%s records:%d", self.target.account_id,
                    self.target.region, self.rtype, self.tr.skipped, len(self.records))
        return False

    def list(self) -> Listed | None:
        """The type's resources in the region and the filters' verdicts; None (each record failed,
        with the error) when the type cannot be listed: it fails alone."""
        rtype, target, opts = self.rtype, self.target, self.opts
        try:
            lister = custodian.policy(rtype, target)
            absent = custodian.policy(rtype, target, [{f"tag:{opts.creator_tag}": "absent"}])
            no_created_at = (custodian.policy(rtype, target, [{f"tag:{opts.created_at_tag}": "absent"}])
                             if opts.created_at_tag else None)
            steady = custodian.policy(rtype, target, [{"type": "value", "key": "StackStatus", "op": "in",
                                                       "value": custodian.CFN_STEADY_STATES}]) if rtype == "cfn" else None
            rm = lister.resource_manager
            population = [r for r in rm.resources() if custodian.in_region(rtype, r, target.region)]
            untagged = absent.resource_manager.filter_resources(list(population))
            eligible = steady.resource_manager.filter_resources(list(untagged)) if steady else untagged
            lacks_created_at = (no_created_at.resource_manager.filter_resources(list(untagged))
                                if no_created_at else [])
        except Exception as e:  # noqa: BLE001 - a type that cannot be listed fails alone
            code = error_code(e)
            log.error("account:%s region:%s list type:%s error:%s detail:%s",
                      target.account_id, target.region, rtype, code, redact(str(root_error(e)))[:300])
            for rid, rec in sorted(self.records.items()):
                self.plan(rid, rec.creator, f"failed:{code}")
            self.tr.failures[code] += len(self.records)
            return None
        self.keys_of = lambda r: custodian.resource_keys(rm, r)
        ids = lambda resources: {self.keys_of(r)[0] for r in resources}  # noqa: E731
        return Listed(rm, population, ids(untagged), ids(eligible), ids(lacks_created_at))

    def candidates(self, listed: Listed) -> dict[tuple[str, str], list[dict]]:
        """Each listed resource matched to its creator and sorted: planned as has-tag, excluded,
        no-creator, failed, or a candidate.  Returns (creator, created-at value) -> resources."""
        tr, opts = self.tr, self.opts
        index = CreatorIndex(self.records)
        tr.population = len(listed.population)
        candidates: dict[tuple[str, str], list[dict]] = {}
        seen: set[int] = set()
        for r in listed.population:
            keys = self.keys_of(r)
            rid = keys[0]
            rec = index.lookup(keys)
            if rec is None and not opts.from_plan:
                rec = stack_record(r, self.stacks)  # no create event of its own: its stack's creator
                if rec is not None:
                    tr.from_stack += 1
            creator = rec.creator if rec else None
            if opts.from_plan:
                if rec is None:
                    continue  # not in the reviewed plan: not this run's business
                seen.add(id(rec))
                if rid not in listed.untagged or rid not in listed.eligible:
                    what = "has-tag" if rid not in listed.untagged else "not-steady-state"
                    tr.changed.append((rid, what))
                    self.plan(rid, creator, f"skipped:{what}", self.created_value(rec))
                    continue
            if rid not in listed.untagged:
                tr.has_tag += 1
                self.plan(rid, creator, "has-tag")
            elif rid not in listed.eligible:
                tr.excluded += 1
                self.plan(rid, creator, "excluded:not-steady-state")
            elif rec is None:
                tr.no_creator += 1
                self.plan(rid, None, "no-creator")
            elif rec.exclusion:
                tr.excluded += 1
                self.plan(rid, None, f"excluded:{rec.exclusion}")
            elif "get_bucket_tagging" in r.get("c7n:DeniedMethods", ()):
                # its tags could not be read: tagging could overwrite one we cannot see.
                tr.failures["AccessDenied"] += 1
                self.plan(rid, creator, "failed:AccessDenied")
            else:
                # the created-at tag too, where it is absent (never overwritten)
                created = self.created_value(rec) if rid in listed.lacks_created_at else ""
                candidates.setdefault((creator, created), []).append(r)
        if opts.from_plan:
            for rid, rec in sorted(self.records.items()):
                if id(rec) not in seen:
                    tr.changed.append((rid, "gone"))
                    self.plan(rid, rec.creator, "skipped:gone", self.created_value(rec))
        tr.users = {creator for creator, _ in candidates}
        return candidates

    def tag(self, listed: Listed, candidates: dict[tuple[str, str], list[dict]]) -> None:
        """The type's c7n tag action on the candidates, grouped by creator, in its batch size."""
        tag_action = custodian.tag_action(self.rtype, listed.manager)
        client, client_error = None, None
        try:
            client = tag_action.get_client()
        except Exception as e:  # noqa: BLE001 - reported per resource below
            client_error = error_code(e)
        for creator, created in sorted(candidates):
            values = {self.opts.creator_tag: creator}
            if created:
                values[self.opts.created_at_tag] = created
            tags = custodian.tag_values(tag_action, values)
            for batch in custodian.batches(candidates[(creator, created)], tag_action):
                if client is None:
                    outcome = {self.keys_of(r)[0]: client_error for r in batch}
                else:
                    outcome = tag_batch(tag_action, client, batch, tags, self.keys_of)
                for rid, status in outcome.items():
                    if status == "ok":
                        self.tr.tagged += 1
                        self.plan(rid, creator, "tag", created)
                    else:
                        self.tr.failures[status] += 1
                        self.plan(rid, creator, f"failed:{status}", created)

    def would_tag(self, candidates: dict[tuple[str, str], list[dict]]) -> None:
        """A dry run: the candidates planned as would-tag."""
        for (creator, created), resources in candidates.items():
            for r in resources:
                self.tr.would_tag += 1
                self.plan(self.keys_of(r)[0], creator, "would-tag", created)


def tag_type(target: Target, rtype: str, records: dict[str, CreatorRecord], opts: TagOptions, result: RegionResult,
             stacks: dict | None = None) -> TypeResult:
    """One type in one account and region: list, match, then tag (or plan would-tag)."""
    run = TypeRun(target, rtype, records, opts, result, stacks)
    if not run.taggable():
        return run.tr
    listed = run.list()
    if listed is None:
        return run.tr
    candidates = run.candidates(listed)
    if candidates and not opts.dryrun:
        run.tag(listed, candidates)
    else:
        run.would_tag(candidates)
    return run.tr


def tag_account_region(target: Target, db: CreatorsDB, opts: TagOptions) -> RegionResult:
    """Tag what the creators database knows about in one account and region."""
    result = RegionResult(target.account_id, target.region, target.name, opts.dryrun)
    custodian.reset_thread_sessions()
    try:
        by_type = db.records(
            target.account_id, target.region,
            regional=target.regional, global_types=target.global_types,
            is_global_type=custodian.is_global_type,
            creator_format=opts.creator_format, user_suffix=opts.user_suffix,
            identity_names=opts.identity_names,
        )
        stacks = None
        if not opts.from_plan and hasattr(db, "stack_creators"):
            stacks = db.stack_creators(target.account_id, creator_format=opts.creator_format,
                                       user_suffix=opts.user_suffix, identity_names=opts.identity_names)
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
        custodian.reset_thread_sessions()
    return result
