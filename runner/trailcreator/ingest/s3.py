"""S3 for the readers: clients, bucket checks, objects fetched by key, and DuckDB's httpfs.

DuckDB reads S3 (an Athena result CSV) with httpfs loaded offline and the credentials of the
user's boto3 session (``aws``), which only ever live in a TEMPORARY secret of one connection:
never on disk, never in a log line.  ``AWS_ENDPOINT_URL`` (the standard boto3 setting) points
DuckDB at the same endpoint as boto3, which is how the tests reach a local S3 emulator.

Knows nothing of Click, dbt or c7n.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlparse

import duckdb

from .. import aws
from ..errors import TrailcreatorError

log = logging.getLogger("trailcreator")

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")

def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def s3_client(session=None, region: str | None = None, config=None):
    session = session or aws.default_session()
    return session.client("s3", region_name=region or session.region_name or "us-east-1", endpoint_url=endpoint_url(),
                          config=config)


def _httpfs_wheel_path() -> str | None:
    try:
        import duckdb_extension_httpfs  # type: ignore
    except ImportError:
        return None
    base = os.path.join(os.path.dirname(duckdb_extension_httpfs.__file__), "extensions")
    path = os.path.join(base, f"v{duckdb.__version__}", "httpfs.duckdb_extension")
    return path if os.path.exists(path) else None


def load_httpfs(con: duckdb.DuckDBPyConnection) -> None:
    """Load httpfs without the network: from the pinned wheel, else DuckDB's own install."""
    path = _httpfs_wheel_path()
    try:
        if path:
            con.execute(f"LOAD '{path}'")
            try:  # so plain `LOAD httpfs` and ad hoc duckdb sessions find it too
                con.execute(f"INSTALL '{path}'")
            except duckdb.Error:
                pass
        else:
            con.execute("INSTALL httpfs")
            con.execute("LOAD httpfs")
    except duckdb.Error as e:
        raise TrailcreatorError(
            f"cannot load DuckDB's httpfs extension to read S3 ({str(e).splitlines()[0]}): "
            f"install duckdb-extension-httpfs=={duckdb.__version__} or give DuckDB network access once"
        ) from None


@dataclass(frozen=True)
class S3Settings:
    region: str
    key_id: str
    secret: str
    session_token: str | None
    endpoint: str | None  # host:port, when not AWS
    use_ssl: bool

    def __repr__(self) -> str:  # never print a secret, even by accident
        return f"S3Settings(region={self.region!r}, endpoint={self.endpoint!r})"


def check_bucket(bucket: str, session=None) -> str:
    """The bucket's region; one clear line when there are no credentials or the bucket cannot be read."""
    import botocore.exceptions

    session = session or aws.default_session()
    aws.frozen_credentials(session, "reading S3")
    try:
        loc = s3_client(session).get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except botocore.exceptions.ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404"):
            raise TrailcreatorError(f"S3 bucket {bucket!r} does not exist: check --trail") from None
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            raise TrailcreatorError(
                f"S3 bucket {bucket!r}: access denied ({code}): check the credentials (--profile/--assume) and the bucket policy"
            ) from None
        raise TrailcreatorError(f"S3 bucket {bucket!r}: {code or e}") from None
    except botocore.exceptions.BotoCoreError as e:
        raise TrailcreatorError(f"S3 bucket {bucket!r}: cannot reach S3 ({e})") from None
    region = loc or "us-east-1"
    return "eu-west-1" if region == "EU" else region


def s3_settings(bucket: str, session=None) -> S3Settings:
    """Credentials and the bucket's region for DuckDB, from the boto3 session."""
    session = session or aws.default_session()
    region = check_bucket(bucket, session)
    frozen = aws.frozen_credentials(session, "reading S3")
    url = endpoint_url()
    endpoint, use_ssl = None, True
    if url:
        parsed = urlparse(url)
        endpoint, use_ssl = parsed.netloc, parsed.scheme != "http"
    return S3Settings(region, frozen.access_key, frozen.secret_key, frozen.token, endpoint, use_ssl)


def configure_s3(con: duckdb.DuckDBPyConnection, s3: S3Settings) -> None:
    """A temporary (this connection only) S3 secret; parameters never pass through a string."""
    load_httpfs(con)
    parts = ["TYPE s3", "KEY_ID $key", "SECRET $secret", "REGION $region"]
    params = {"key": s3.key_id, "secret": s3.secret, "region": s3.region}
    if s3.session_token:
        parts.append("SESSION_TOKEN $token")
        params["token"] = s3.session_token
    if s3.endpoint:
        parts += ["ENDPOINT $endpoint", "URL_STYLE 'path'", f"USE_SSL {'true' if s3.use_ssl else 'false'}"]
        params["endpoint"] = s3.endpoint
    con.execute(f"CREATE OR REPLACE TEMPORARY SECRET trailcreator_s3 ({', '.join(parts)})", params)


def parse_s3_url(url: str, option: str) -> tuple[str, str]:
    if not url.startswith("s3://"):
        raise TrailcreatorError(f"{option} {url!r}: write it as s3://BUCKET[/PREFIX/]")
    bucket, _, key = url[5:].partition("/")
    if not BUCKET_RE.match(bucket):
        raise TrailcreatorError(f"{option} {url!r}: {bucket!r} is not a valid S3 bucket name")
    return bucket, key


# S3's answers that condemn the principal, not the object: every other request of the run
# would get the same, so the run stops (``RunFault``) instead of skipping object after object.
CREDENTIAL_CODES = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
    "TokenRefreshRequired", "InvalidClientTokenId", "UnrecognizedClientException", "AccessDenied",
    "AccessDeniedException", "AllAccessDisabled", "AccountProblem", "InvalidSecurity", "RequestTimeTooSkewed",
    "RequestExpired", "403", "401",
})
# S3's guidance for SlowDown, 5xx and throttling: back off exponentially and try again.  A GET
# is tried whole (the request and the reading of its body: botocore never retries a body cut off
# mid-stream) up to FETCH_ATTEMPTS times, with full jitter, each wait at most FETCH_BACKOFF_MAX.
# The fetcher does it, not botocore: botocore's retry quota (a client-wide budget) runs dry under
# a sustained 20 % of SlowDown across 64 requests in flight, and then nothing is retried at all.
FETCH_ATTEMPTS = 10
FETCH_BACKOFF = 0.2                   # seconds: the first wait is up to this, doubling after each
FETCH_BACKOFF_MAX = 20.0
LIST_RETRIES = {"mode": "standard", "total_max_attempts": 10}   # a few listing pages: botocore's own


class RunFault(TrailcreatorError):
    """The credentials (or the principal's rights) failed: a fault of the run, not of one object."""

    def __init__(self, code: str, message: str, where: str):
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message, self.where = code, message, where


def _error_code(e) -> tuple[str, str]:
    err = e.response.get("Error", {})
    return str(err.get("Code") or e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "?"), \
        str(err.get("Message") or "")


def _credential_failure(e) -> bool:
    """``e`` (from a boto3 call) says the credentials cannot be had or are refused."""
    import botocore.exceptions as bx

    if isinstance(e, bx.ClientError):
        return _error_code(e)[0] in CREDENTIAL_CODES or e.operation_name in ("AssumeRole", "GetRoleCredentials")
    return isinstance(e, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError,
                          bx.TokenRetrievalError, bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError))


def run_fault(e, where: str) -> RunFault | None:
    """The RunFault ``e`` amounts to, or None when it is about ``where`` alone."""
    import botocore.exceptions as bx

    if not _credential_failure(e):
        return None
    if isinstance(e, bx.ClientError):
        return RunFault(*_error_code(e), where)
    return RunFault(type(e).__name__, str(e), where)


def transient(e) -> bool:
    """A failure a later attempt can fix: throttling, a 5xx, the network, a body cut off."""
    import botocore.exceptions as bx

    if isinstance(e, bx.ClientError):
        code, _ = _error_code(e)
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or status == 429 or code in (
            "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
            "RequestTimeout", "InternalError", "ServiceUnavailable")
    return isinstance(e, (bx.BotoCoreError, OSError))


def describe_principal(session) -> str:
    """Who the run's credentials belong to, for an error line: the ARN STS gives, else where the
    credentials came from (never a key or a secret)."""
    from botocore.config import Config

    try:
        sts = session.client("sts", config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=5))
        return sts.get_caller_identity()["Arn"]
    except Exception:  # the same credentials may be refused by STS: say where they came from
        pass
    try:
        method = session.get_credentials().method
    except Exception:
        method = ""
    return {"env": "the credentials of the environment (AWS_ACCESS_KEY_ID)",
            "shared-credentials-file": f"profile {session.profile_name}", "config-file": f"profile {session.profile_name}",
            "sts-assume-role": "the assumed role (--assume)", "assume-role": f"the role of profile {session.profile_name}",
            "iam-role": "the instance role", "container-role": "the container role",
            "sso": f"the SSO profile {session.profile_name}"}.get(method, "the session's credentials")


def listing_error(e, where: str) -> TrailcreatorError:
    """One line for a listing that failed after botocore's attempts (a RunFault when the
    credentials failed: the reader names the principal)."""
    import botocore.exceptions

    fault = run_fault(e, where)
    if fault:
        return fault
    if isinstance(e, botocore.exceptions.ClientError):
        code, message = _error_code(e)
        why = f"{code} {message}".strip()
    else:
        why = str(e)
    return TrailcreatorError(f"listing {where} failed after {LIST_RETRIES['total_max_attempts']} attempts ({why}): "
                             "nothing was read, built or exported; run again when S3 answers")


class S3Fetcher:
    """GetObject by exact key (no glob, no HEAD: the listing gave the size), many in flight.

    An object S3 would not give after FETCH_ATTEMPTS is ``unreadable`` (read again next run):
    a rerun can fix it; one refused for what it is (gone since the listing, archived) is
    ``skipped``.  A credential failure raises RunFault and stops every fetch
    of the run (``stop``)."""

    def __init__(self, client, bucket: str):
        self.client, self.bucket = client, bucket
        self.prefix = f"s3://{bucket}/"
        self.stop = threading.Event()

    def __call__(self, url: str) -> tuple[bytes | None, str | None, str]:
        """(bytes, None, "ok"), or (None, why, "unreadable" | "skipped" | "stopped")."""
        import botocore.exceptions

        key = url[len(self.prefix):]
        for attempt in range(1, FETCH_ATTEMPTS + 1):
            if self.stop.is_set():
                return None, "not fetched: the load stopped", "stopped"
            try:
                return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read(), None, "ok"
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError) as e:
                fault = run_fault(e, url)
                if fault:
                    self.stop.set()
                    raise fault from None
                if isinstance(e, botocore.exceptions.ClientError):
                    code, message = _error_code(e)
                    why = f"S3 GetObject failed: {code} {message}".strip()
                else:
                    why = f"S3 GetObject failed: {e}"
                if not transient(e):
                    return None, why, "skipped"
                if attempt < FETCH_ATTEMPTS:
                    log.debug("fetch %s failed (%s): attempt %d of %d", url, why, attempt, FETCH_ATTEMPTS)
                    self.stop.wait(random.random() * min(FETCH_BACKOFF_MAX, FETCH_BACKOFF * 2 ** (attempt - 1)))
        return None, f"could not be fetched after {FETCH_ATTEMPTS} attempts: {why}", "unreadable"


def s3_fetch_client(session, threads: int, region: str):
    """An S3 client in the bucket's region whose connection pool holds ``threads`` connections,
    one attempt per call (``S3Fetcher`` retries)."""
    from botocore.config import Config

    return s3_client(session, region, Config(max_pool_connections=threads, retries={"total_max_attempts": 1}))


def s3_list_client(session, threads: int, region: str):
    """An S3 client for the listing: botocore's standard retries, ``LIST_RETRIES``."""
    from botocore.config import Config

    return s3_client(session, region, Config(max_pool_connections=threads, retries=dict(LIST_RETRIES)))
