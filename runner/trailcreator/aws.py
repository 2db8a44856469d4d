"""AWS for every command: the one session factory, credentials, account ids and region names.

``AccountSessionFactory`` is the only maker of boto3 sessions.  It is a c7n ``SessionFactory``
(so c7n resource managers use it as their own) that can assume a chain of roles, like
c7n-org's ``get_session``.  The tagger makes one per account; the loaders take the one the
command line chose (``user_session``: ``--profile``, ``--assume``) and make it the process's
session (``use_session``), which the dbt Python model, run in process, reads S3 with.

Every session it makes records the API calls made on the current thread while a
``CallJournal`` is recording: c7n's tag actions skip some failures silently (a role or topic
deleted since it was listed, a bucket whose tags cannot be read), and the journal is how the
tagger still reports them instead of counting those resources as tagged.

Region names, one rule each, both here: ``check_region`` for a region we call (botocore
must know it), ``REGION_RE`` for a region folder of a trail (CloudTrail may deliver a region
newer than the installed botocore).  Account ids: ``ACCOUNT_RE`` / ``check_accounts``.

Throttling: tag and describe APIs throttle in busy accounts.  The tagger's sessions
(``retry_throttles=True``) use botocore's standard retry mode with 10 attempts per call
(``THROTTLE_RETRIES``; exponential backoff with jitter, at most 20 s apart), and also retry
the throttling answers that mode leaves out (``retry_other_throttles``: SNS's ``Throttled``,
any HTTP 429).  ``AWS_RETRY_MODE`` / ``AWS_MAX_ATTEMPTS`` or a profile's ``retry_mode`` /
``max_attempts`` still win: these are defaults.

Credentials stay inside boto3: nothing here formats them into a message.
"""

from __future__ import annotations

import functools
import random
import re
import threading
from dataclasses import dataclass, field

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.session
from botocore.credentials import RefreshableCredentials
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker
from c7n.credentials import SessionFactory

from .errors import TrailcreatorError

SESSION_NAME = "trailcreator"
ACCOUNT_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2,}(-[a-z]+)+-\d{1,2}$")  # us-east-1, eusc-de-east-1, us-isob-east-1


@dataclass
class CallRecord:
    """One API call made while recording."""

    operation: str
    params: dict
    status: int
    error_code: str | None = None
    error_message: str = ""
    failed_resources: dict = field(default_factory=dict)  # resourcegroupstaggingapi FailedResourcesMap


class CallJournal(threading.local):
    """Per-thread list of the API calls made between ``start()`` and ``stop()``."""

    def __init__(self):
        self.records: list[CallRecord] | None = None

    def start(self) -> None:
        self.records = []

    def stop(self) -> list[CallRecord]:
        records, self.records = self.records or [], None
        return records

    # botocore event handlers -----------------------------------------------------------
    def _keep_params(self, params, context, **kwargs):
        if self.records is not None and context is not None:
            context["trailcreator_params"] = dict(params)

    def _after_call(self, http_response, parsed, model, context, **kwargs):
        if self.records is None:
            return
        error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
        self.records.append(
            CallRecord(
                operation=model.name,
                params=(context or {}).get("trailcreator_params", {}),
                status=getattr(http_response, "status_code", 0),
                error_code=error.get("Code") if http_response.status_code >= 300 else None,
                error_message=error.get("Message", "") or "",
                failed_resources=dict(parsed.get("FailedResourcesMap") or {}) if isinstance(parsed, dict) else {},
            )
        )

    def attach(self, session: boto3.Session) -> None:
        events = session.events
        events.register("before-parameter-build", self._keep_params, unique_id="trailcreator-journal-params")
        events.register("after-call", self._after_call, unique_id="trailcreator-journal-after")


JOURNAL = CallJournal()


@functools.lru_cache(maxsize=1)
def _shared_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


# botocore's session variables (name: config key, environment variable, default, type) with
# the tagger's defaults: the environment and the profile still override them.
THROTTLE_RETRIES = {
    "retry_mode": ("retry_mode", "AWS_RETRY_MODE", "standard", None),
    "max_attempts": ("max_attempts", "AWS_MAX_ATTEMPTS", 10, int),
}
_MAX_BACKOFF = 20  # seconds, as botocore's standard mode
_BOTOCORE_THROTTLES = ThrottledRetryableChecker()


def retry_other_throttles(attempts, response=None, request_dict=None, operation=None, **kwargs):
    """A ``needs-retry`` handler for throttling answers botocore's standard mode does not
    retry (SNS answers ``Throttled`` with HTTP 429; any other 429): the delay before the next
    attempt, as standard mode computes it, or None.  Registered on the generic event, it runs
    after botocore's own per-service handler, whose answer wins when it has one."""
    if response is None:
        return None
    http, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code")
    if http.status_code != 429 and code != "Throttled":
        return None
    context = RetryContext(attempt_number=attempts, operation_model=operation, parsed_response=parsed,
                           http_response=http)
    if _BOTOCORE_THROTTLES.is_retryable(context):
        return None  # botocore's handler decides (and keeps its retry quota)
    config = ((request_dict or {}).get("context") or {}).get("client_config")
    max_attempts = ((getattr(config, "retries", None) or {}).get("total_max_attempts")
                    or THROTTLE_RETRIES["max_attempts"][2])
    if attempts >= max_attempts:
        return None
    return random.random() * min(2 ** (attempts - 1), _MAX_BACKOFF)


def botocore_session(retry_throttles: bool = False) -> botocore.session.Session:
    """A botocore session sharing one data loader with all others; with ``retry_throttles``,
    one whose clients retry throttled calls 10 times (``THROTTLE_RETRIES``).

    Every account x region needs fresh sessions (and every assumed role one more); sharing
    the loader means botocore parses its endpoint and service models once per process,
    not once per session.
    """
    s = botocore.session.Session(session_vars=THROTTLE_RETRIES if retry_throttles else None)
    s.register_component("data_loader", _shared_loader())
    if retry_throttles:
        s.register("needs-retry", retry_other_throttles, unique_id="trailcreator-other-throttles")
    return s


def _assume(role_arn: str, session: boto3.Session, region: str, external_id: str | None,
            retry_throttles: bool = False) -> boto3.Session:
    """A session with ``role_arn``'s credentials, renewed before they expire."""

    def refresh():
        params = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
        if external_id:
            params["ExternalId"] = external_id
        creds = session.client("sts").assume_role(**params)["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="sts-assume-role"
    )
    bs = botocore_session(retry_throttles)
    bs._credentials = credentials  # botocore has no public setter for refreshable credentials
    if region:
        bs.set_config_variable("region", region)
    return boto3.Session(botocore_session=bs)


class AccountSessionFactory(SessionFactory):
    """Sessions for one account: a profile, then zero or more roles assumed in turn (a chain);
    ``retry_throttles``: their clients retry throttled calls 10 times (the tagger's)."""

    def __init__(self, region: str, profile: str | None = None, roles=(), external_id: str | None = None,
                 retry_throttles: bool = False):
        roles = tuple(roles or ())
        super().__init__(region, profile=profile, assume_role=roles[-1] if roles else None, external_id=external_id)
        self.roles = roles
        self.session_name = SESSION_NAME
        self.retry_throttles = retry_throttles

    def __call__(self, assume: bool = True, region: str | None = None) -> boto3.Session:
        region = region or self.region
        session = boto3.Session(botocore_session=botocore_session(self.retry_throttles), profile_name=self.profile,
                                region_name=region)
        if assume:
            for role in self.roles:
                session = _assume(role, session, region, self.external_id, self.retry_throttles)
        JOURNAL.attach(session)
        return self.update(session)


def _no_profile(profile: str | None) -> TrailcreatorError:
    return TrailcreatorError(f"--profile {profile!r}: no such AWS profile in ~/.aws/config or ~/.aws/credentials")


def frozen_credentials(session: boto3.Session, what: str):
    """The session's credentials now, or one line saying there are none (never the values)."""
    try:
        creds = session.get_credentials()
    except botocore.exceptions.ProfileNotFound as e:
        raise _no_profile(e.kwargs.get("profile")) from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"cannot load AWS credentials: {e}") from None
    if creds is None:
        raise TrailcreatorError(
            f"no AWS credentials found for {what}: set AWS_PROFILE or pass --profile, "
            f"or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    return creds.get_frozen_credentials()


def check_credentials(profile: str | None = None, what: str = "the tagger") -> None:
    """Fail early, with one line, when no credentials can be found at all."""
    try:
        session = boto3.Session(botocore_session=botocore_session(), profile_name=profile)
    except botocore.exceptions.ProfileNotFound:
        raise _no_profile(profile) from None
    frozen_credentials(session, what)


def user_session(profile: str | None = None, assume: str | None = None, region: str | None = None) -> boto3.Session:
    """The session the command line chose: a named profile, then an assumed role on top of it."""
    try:
        return AccountSessionFactory(region, profile=profile, roles=[assume] if assume else ())()
    except botocore.exceptions.ProfileNotFound:
        raise _no_profile(profile) from None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise TrailcreatorError(f"--assume {assume}: cannot assume the role ({e})") from None


_chosen_lock = threading.Lock()
_chosen: boto3.Session | None = None  # the session the command line chose (--profile/--assume), if any


def use_session(session: boto3.Session | None) -> None:
    """Make ``session`` the one every S3 read and listing in this process uses."""
    global _chosen
    with _chosen_lock:
        _chosen = session


def default_session(region: str | None = None) -> boto3.Session:
    """The session the command line chose, else boto3's default chain (env, profile, role)."""
    with _chosen_lock:
        if _chosen is not None:
            return _chosen
    return AccountSessionFactory(region)()


def caller_account(factory) -> str:
    """The account id the credentials of ``factory`` (a session factory, or a session) act in
    (sts:GetCallerIdentity)."""
    try:
        session = factory() if callable(factory) else factory
        return session.client("sts").get_caller_identity()["Account"]
    except botocore.exceptions.ClientError as e:
        code = e.response.get("Error", {}).get("Code", "ClientError")
        role = f" assuming {factory.roles[-1]}" if getattr(factory, "roles", None) else ""
        raise TrailcreatorError(f"cannot identify the AWS account{role}: {code}") from None
    except botocore.exceptions.NoCredentialsError:
        raise TrailcreatorError("no AWS credentials found: set AWS_PROFILE or pass --profile") from None
    except botocore.exceptions.ProfileNotFound as e:
        raise TrailcreatorError(f"{e}") from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"cannot reach AWS STS: {type(e).__name__}") from None


@functools.lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region botocore knows, in every partition."""
    s = botocore_session()
    regions: set[str] = set()
    for partition in s.get_available_partitions():
        for service in ("ec2", "sts"):
            regions.update(s.get_available_regions(service, partition_name=partition))
    return frozenset(regions)


def check_region(region: str, option: str = "--region") -> str:
    """A region we call: one botocore knows."""
    if region not in known_regions():
        raise TrailcreatorError(f"{option} {region}: unknown AWS region (e.g. us-east-1, eu-west-1)")
    return region


def check_accounts(accounts, option: str = "--account") -> tuple[str, ...]:
    """Account ids as given, each 12 digits."""
    accounts = tuple(accounts)
    for a in accounts:
        if not ACCOUNT_RE.match(a):
            raise TrailcreatorError(f"{option} {a!r} is not an AWS account id (12 digits)")
    return accounts


@functools.lru_cache(maxsize=1)
def c7n_resources() -> dict:
    """Cloud Custodian's AWS resource types by name (its registry), loaded once per process
    (the first call takes seconds: make it from the main thread)."""
    from c7n.provider import clouds
    from c7n.resources import load_resources

    load_resources(("aws.*",))
    return clouds["aws"].resources
