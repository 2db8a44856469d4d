"""What one tag call did to each resource of its batch, from the journal of the API calls it made
(``aws.JOURNAL``): c7n's tag actions skip some failures silently (a role deleted since it was
listed), so the journal, not the action's return, says which resources were tagged."""

from __future__ import annotations

import logging
import re

import botocore.exceptions
from botocore.exceptions import ClientError

from ..aws import JOURNAL
from ..redact import redact

log = logging.getLogger("trailcreator")

# The error codes of AWS services for a caller over its request rate (sent with HTTP 400, 429
# or 503): a resource whose call still got one after the retries is left for the next run.
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "Throttled", "TooManyRequestsException",
    "RequestLimitExceeded", "Client.RequestLimitExceeded", "EC2ThrottledException", "RequestThrottled",
    "RequestThrottledException", "SlowDown", "429",
})

_READ_OPERATION = re.compile(r"^(Get|List|Describe|Head)")
_PARAMS_NOT_IDS = {"Tags", "TagKeys", "Tagging", "DryRun", "TagSet"}


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


def root_error(e: BaseException) -> BaseException:
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


def error_code(e: BaseException) -> str:
    e = root_error(e)
    if isinstance(e, ClientError):
        return e.response.get("Error", {}).get("Code") or "ClientError"
    if isinstance(e, botocore.exceptions.BotoCoreError):
        return type(e).__name__
    return "TagError"


def tag_batch(action, client, batch, tags, keys_of) -> dict[str, str]:
    """Call the c7n tag ``action`` on one batch; ``{resource id: 'ok' | error code}``."""
    ids = {keys_of(r)[0]: keys_of(r) for r in batch}
    JOURNAL.start()
    failure = None
    try:
        action.process_resource_set(client, batch, tags)
    except Exception as e:  # noqa: BLE001 - any failure fails this batch only
        failure = error_code(e)
        log.warning("tag call failed resources:%d error:%s detail:%s",
                    len(batch), failure, redact(str(root_error(e)))[:300])
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
