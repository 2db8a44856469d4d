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
import re
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


class S3Fetcher:
    """GetObject by exact key (no glob, no HEAD: the listing gave the size), many in flight."""

    def __init__(self, client, bucket: str):
        self.client, self.bucket = client, bucket
        self.prefix = f"s3://{bucket}/"

    def __call__(self, url: str) -> tuple[bytes | None, str | None]:
        import botocore.exceptions

        key = url[len(self.prefix):]
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read(), None
        except botocore.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            return None, f"S3 GetObject failed: {err.get('Code', '?')} {err.get('Message', '')}".strip()
        except (botocore.exceptions.BotoCoreError, OSError) as e:
            return None, f"S3 GetObject failed: {e}"


def s3_fetch_client(session, threads: int, region: str):
    """An S3 client in the bucket's region whose connection pool holds ``threads`` connections."""
    from botocore.config import Config

    return s3_client(session, region, Config(max_pool_connections=threads, retries={"mode": "standard"}))
