"""The lines a tagging run prints: upstream's line per type, a summary per account/region, totals,
and the one-line failure the command exits with."""

from __future__ import annotations

from .model import RegionResult
from .outcome import THROTTLING_CODES

NAMED_PER_LINE = 20  # failed resources named on their line; the plan names every one


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
            ids = [p.resource_id for p in result.plan
                   if p.resource_type == t.resource_type and p.action == f"failed:{code}"]
            more = f" +{len(ids) - NAMED_PER_LINE} more (--plan lists all)" if len(ids) > NAMED_PER_LINE else ""
            lines.append(f"account:{result.account_id} region:{result.region} failed {count} "
                         f"{t.resource_type} resources error:{code} ids:{','.join(ids[:NAMED_PER_LINE])}{more}")
        for rid, what in t.changed:
            lines.append(f"account:{result.account_id} region:{result.region} skip {t.resource_type} {rid} "
                         f"reason:changed-since-plan:{what}")
    return lines


def summary_line(result: RegionResult) -> str:
    who = f"account:{result.name} id:{result.account_id}" if result.name else f"account:{result.account_id}"
    if result.error:
        return f"summary {who} region:{result.region} error:{result.error}"
    slowed = throttled(result)
    return (
        f"summary {who} region:{result.region} tagged:{result.total('tagged')} "
        f"would-tag:{result.total('would_tag')} has-tag:{result.total('has_tag')} "
        f"no-creator:{result.total('no_creator')} excluded:{result.total('excluded')} "
        f"failed:{result.total('failed')}" + (f" throttled:{slowed}" if slowed else "")
    )


def throttled(result: RegionResult) -> int:
    """Resources that failed because AWS throttled the calls past their retries."""
    return sum(n for t in result.types for code, n in t.failures.items() if code in THROTTLING_CODES)


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
    slowed = sum(throttled(r) for r in results)
    if failed:
        parts.append(f"{failed} resource(s) could not be tagged"
                     + (f" ({slowed} throttled past the retries: run again to tag what is left)" if slowed else ""))
    if errors:
        parts.append(f"{errors} account/region(s) could not be processed")
    return "; ".join(parts) + ": see the failed and summary lines above"
