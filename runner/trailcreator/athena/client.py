"""Athena's API: the workgroup and where results go, starting a query, polling it with backoff
(state, data scanned and elapsed time on stderr), and finding and checking its result CSV."""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from dataclasses import dataclass

from .. import aws
from ..errors import TrailcreatorError
from ..ingest.athena_result import RESULT_COLUMNS, ResultObject
from ..ingest.s3 import parse_s3_url

log = logging.getLogger("trailcreator")

WORKGROUP_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
QUERY_ID_RE = re.compile(r"^[A-Za-z0-9-]{1,128}$")

# Polling: first look right away, then wait POLL_FIRST_DELAY, growing by POLL_FACTOR up to POLL_MAX_DELAY.
POLL_FIRST_DELAY = 1.0
POLL_FACTOR = 1.5
POLL_MAX_DELAY = 15.0

# --- output location -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Workgroup:
    name: str
    output: str | None      # its result location, if it has one
    enforced: bool          # it overrides the client's settings


def check_workgroup_name(name: str) -> str:
    if not WORKGROUP_RE.match(name or ""):
        raise TrailcreatorError(f"--workgroup {name!r} is not an Athena workgroup name (letters, digits, . _ -)")
    return name


def check_query_id(query_id: str | None) -> str | None:
    if query_id is not None and not QUERY_ID_RE.match(query_id):
        raise TrailcreatorError(f"--query-id {query_id!r} is not an Athena query execution id")
    return query_id


def progress(message: str, stream=None) -> None:
    """A progress line: on ``stream`` when the caller gives one, else through the logger (stderr)."""
    if stream is None:
        log.info(message)
    else:
        print(f"trailcreator: {message}", file=stream, flush=True)


def get_workgroup(athena, name: str) -> Workgroup:
    import botocore.exceptions

    check_workgroup_name(name)
    try:
        wg = athena.get_work_group(WorkGroup=name).get("WorkGroup")
    except botocore.exceptions.ClientError as e:
        raise TrailcreatorError(f"{_athena_error(e, f'--workgroup {name}')}: check the name and --region") from None
    except botocore.exceptions.BotoCoreError as e:
        raise _unreachable(e) from None
    if not wg:
        raise TrailcreatorError(f"--workgroup {name}: no such Athena workgroup in this region: check the name and --region")
    conf = wg.get("Configuration") or {}
    output = (conf.get("ResultConfiguration") or {}).get("OutputLocation") or None
    return Workgroup(name, output, bool(conf.get("EnforceWorkGroupConfiguration")))


def default_output(account: str, region: str) -> str:
    """Upstream's default: the bucket Athena's console used to create."""
    return f"s3://aws-athena-query-results-{account}-{region}/"


def check_output_access(s3, location: str, option: str) -> None:
    """The bucket exists and we may use it: Athena writes the result there and we read it back."""
    import botocore.exceptions

    bucket, _ = parse_s3_url(location, option)
    try:
        s3.head_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise TrailcreatorError(
                f"{option} {location}: bucket {bucket} does not exist: create it or pass --athena-output s3://BUCKET/PREFIX/"
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise TrailcreatorError(
                f"{option} {location}: access denied to bucket {bucket}: Athena writes the result there and "
                "trailcreator reads it back; grant s3:ListBucket, s3:GetBucketLocation, s3:PutObject and s3:GetObject"
            ) from None
        raise TrailcreatorError(f"{option} {location}: bucket {bucket}: {code or e}") from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"{option} {location}: cannot reach S3 ({e})") from None


# --- running and polling -------------------------------------------------------------------------


def _message(e, default: str = "") -> str:
    """An AWS error's message on one line."""
    return " ".join(str(getattr(e, "response", {}).get("Error", {}).get("Message") or default).split())


def _athena_error(e, what: str) -> TrailcreatorError:
    code = getattr(e, "response", {}).get("Error", {}).get("Code", "error")
    return TrailcreatorError(f"{what}: {_message(e, str(e))} ({code})")


def _unreachable(e) -> TrailcreatorError:
    return TrailcreatorError(f"cannot reach Athena ({e}): check --region and the network")


def start_query(athena, sql: str, database: str, workgroup: Workgroup, output: str | None) -> str:
    """Start the query; the client's output location is sent only where the workgroup lets it count."""
    import botocore.exceptions

    kwargs = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
        "WorkGroup": workgroup.name,
    }
    if output and not workgroup.enforced:
        kwargs["ResultConfiguration"] = {"OutputLocation": output}
    try:
        return athena.start_query_execution(**kwargs)["QueryExecutionId"]
    except botocore.exceptions.ClientError as e:
        raise _athena_error(e, "Athena refused the query") from None
    except botocore.exceptions.BotoCoreError as e:
        raise _unreachable(e) from None


def get_execution(athena, query_id: str) -> dict:
    import botocore.exceptions

    try:
        return athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    except botocore.exceptions.ClientError as e:
        msg = _message(e)
        if not msg or msg.startswith("<"):  # an HTML error page: say what we know
            msg = f"HTTP {e.response.get('ResponseMetadata', {}).get('HTTPStatusCode', '?')}"
        raise TrailcreatorError(
            f"--query-id {query_id}: Athena does not know this query in this region ({msg}): "
            "check the id, --region and --workgroup"
        ) from None
    except botocore.exceptions.BotoCoreError as e:
        raise _unreachable(e) from None


def size_text(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n} B"


def finished_execution(athena, query_id: str) -> dict:
    """The execution of an earlier query (``--query-id``), which must have SUCCEEDED."""
    ex = get_execution(athena, query_id)
    state = ex.get("Status", {}).get("State", "?")
    if state != "SUCCEEDED":
        raise TrailcreatorError(
            f"--query-id {query_id}: the query {state}"
            + (f": {failure_reason(ex)}" if state in ("FAILED", "CANCELLED") else ": wait for it to finish")
            + ("" if state not in ("FAILED", "CANCELLED") else "; run load-athena without --query-id to query again")
        )
    return ex


def failure_reason(execution: dict) -> str:
    status = execution.get("Status", {})
    reason = status.get("StateChangeReason") or (status.get("AthenaError") or {}).get("ErrorMessage") or "no reason given"
    return " ".join(str(reason).split())


def wait(athena, query_id: str, stream=None, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Poll until the query ends, with backoff; progress lines on ``stream`` (stderr).
    Returns the execution of a SUCCEEDED query; raises with Athena's reason otherwise."""
    started = clock()
    delay = POLL_FIRST_DELAY
    while True:
        ex = get_execution(athena, query_id)
        state = ex.get("Status", {}).get("State", "?")
        scanned = int(ex.get("Statistics", {}).get("DataScannedInBytes") or 0)
        progress(f"athena query:{query_id} state:{state} scanned:{size_text(scanned)} "
                 f"elapsed:{clock() - started:.0f}s", stream)
        if state == "SUCCEEDED":
            return ex
        if state in ("FAILED", "CANCELLED"):
            raise TrailcreatorError(f"athena query {query_id} {state}: {failure_reason(ex)}")
        sleep(delay)
        delay = min(delay * POLL_FACTOR, POLL_MAX_DELAY)


def result_url(execution: dict, workgroup: Workgroup | None) -> str:
    """Where the query's CSV is: Athena reports it; else the workgroup's location + id.csv."""
    qid = execution["QueryExecutionId"]
    loc = (execution.get("ResultConfiguration") or {}).get("OutputLocation")
    if not loc and workgroup and workgroup.output:
        loc = workgroup.output
    if not loc:
        raise TrailcreatorError(
            f"athena query {qid}: Athena reports no result location: pass --athena-output, or set one on the workgroup"
        )
    if not loc.endswith(".csv"):
        loc = loc.rstrip("/") + f"/{qid}.csv"
    return loc


def check_result(s3, url: str, query_id: str, columns: tuple[str, ...] = RESULT_COLUMNS,
                 what: str = "a load-athena result") -> ResultObject:
    """The result CSV is there, readable, and has ``columns`` (those a load-athena query writes)."""
    import botocore.exceptions

    bucket, key = parse_s3_url(url, "result")
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        size = int(head.get("ContentLength", 0))
        first = b""
        if size:
            first = s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")["Body"].read()
    except botocore.exceptions.ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
            raise TrailcreatorError(
                f"athena query {query_id}: its result {url} is gone ({code}): a lifecycle rule may have removed it; "
                "run the query again without --query-id"
            ) from None
        if code in ("403", "AccessDenied", "Forbidden"):
            raise TrailcreatorError(
                f"athena query {query_id}: access denied reading its result {url}: grant s3:GetObject on it"
            ) from None
        raise TrailcreatorError(f"athena query {query_id}: cannot read its result {url} ({code or e})") from None
    if size:
        line = first.decode("utf-8", "replace").splitlines()[0] if first else ""
        header = [c.strip().lower() for c in next(csv.reader(io.StringIO(line)), [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise TrailcreatorError(
                f"athena query {query_id}: its result is not {what} (no column "
                f"{', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''}): give the id of a query "
                "trailcreator load-athena started"
            )
    return ResultObject(url, size, str(head.get("ETag", "")).strip('"'))


# --- the command ---------------------------------------------------------------------------------


def choose_output(session, s3, workgroup: Workgroup, output: str | None, region: str) -> str | None:
    """Where the query's result goes: a workgroup that enforces its settings decides (and the
    client sends none); else --athena-output, else upstream's default.  Checked for access."""
    if workgroup.enforced:
        location = workgroup.output
        if output and location and output.rstrip("/") != location.rstrip("/"):
            log.warning("workgroup %s enforces its settings: results go to %s, not --athena-output %s",
                        workgroup.name, location, output)
        if location:
            check_output_access(s3, location, f"the output location of workgroup {workgroup.name}")
        return None
    location, option = output, "--athena-output"
    if not location:
        account = aws.caller_account(session)
        location, option = default_output(account, region), "the default --athena-output"
    check_output_access(s3, location, option)
    return location
