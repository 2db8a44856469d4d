"""Write CloudTrail records the way CloudTrail delivers them, for tests.

``Trail`` collects records per (account, region, delivery day) and writes them as
``AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<ts>_<rand>.json.gz``
files into a local directory or an S3 bucket, with digest files beside them.  The
``identity_*`` helpers build the userIdentity element of each identity type.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
import json
import os
import uuid
from dataclasses import dataclass, field

_counter = itertools.count(1)


def identity_iam_user(account: str, name: str, path: str = "/") -> dict:
    return {
        "type": "IAMUser",
        "principalId": f"AIDA{abs(hash(name)) % 10**12:012d}",
        "arn": f"arn:aws:iam::{account}:user{path}{name}",
        "accountId": account,
        "accessKeyId": "AKIAEXAMPLEEXAMPLE12",
        "userName": name,
    }


def identity_assumed_role(account: str, role: str, session: str, path: str = "/") -> dict:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLEEXAMPLE12",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID",
                "arn": f"arn:aws:iam::{account}:role{path}{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def identity_root(account: str) -> dict:
    return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}


def identity_aws_service(service: str = "cloudformation.amazonaws.com") -> dict:
    return {"type": "AWSService", "invokedBy": service}


def event(
    account: str,
    region: str,
    source: str,
    name: str,
    identity: dict | None,
    when: dt.datetime,
    request: dict | None = None,
    response: dict | None = None,
    error: str | None = None,
    event_id: str | None = None,
) -> dict:
    rec = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11",
        "requestParameters": request,
        "responseElements": response,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id or str(uuid.UUID(int=next(_counter))),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    }
    if identity is None:
        del rec["userIdentity"]
    if error:
        rec["errorCode"] = error
        rec["errorMessage"] = f"{error}: the call failed"
    return rec


@dataclass
class Trail:
    org_id: str | None = None
    prefix: str = ""
    files: dict[str, list[dict]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)

    def _dir(self, account: str, region: str, day: dt.date, folder: str = "CloudTrail") -> str:
        parts = [self.prefix.strip("/")] if self.prefix.strip("/") else []
        parts.append("AWSLogs")
        if self.org_id:
            parts.append(self.org_id)
        parts += [account, folder, region, f"{day:%Y}", f"{day:%m}", f"{day:%d}"]
        return "/".join(parts)

    def key(self, account: str, region: str, delivered: dt.datetime, tag: str = "", folder: str = "CloudTrail") -> str:
        suffix = (tag or uuid.uuid4().hex)[:16].ljust(16, "x")
        return (
            f"{self._dir(account, region, delivered.date(), folder)}/"
            f"{account}_{folder}_{region}_{delivered:%Y%m%dT%H%MZ}_{suffix}.json.gz"
        )

    def add(self, records: list[dict], delivered: dt.datetime | None = None, tag: str = "") -> str:
        """One delivery file holding ``records`` (all of one account and region)."""
        first = records[0]
        account, region = first["recipientAccountId"], first["awsRegion"]
        delivered = delivered or dt.datetime.strptime(first["eventTime"], "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(minutes=5)
        key = self.key(account, region, delivered, tag)
        self.files[key] = records
        # A digest beside every log file, as CloudTrail writes them: never to be read as events.
        digest = self.key(account, region, delivered, tag, folder="CloudTrail-Digest")
        self.raw[digest] = gzip.compress(json.dumps({"awsAccountId": account, "logFiles": [{"s3Object": key}]}).encode())
        return key

    def add_raw(self, key: str, data: bytes) -> str:
        self.raw[key] = data
        return key

    def blobs(self) -> dict[str, bytes]:
        # compact, as CloudTrail delivers them (the pretty-printed layout is tested in test_scan.py)
        out = {k: gzip.compress(json.dumps({"Records": v}, separators=(",", ":")).encode()) for k, v in self.files.items()}
        out.update(self.raw)
        return out

    def write_dir(self, root: str) -> str:
        for key, data in self.blobs().items():
            path = os.path.join(root, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        return root

    def write_s3(self, client, bucket: str) -> str:
        for key, data in self.blobs().items():
            client.upload_fileobj(io.BytesIO(data), bucket, key)
        return f"s3://{bucket}/{self.prefix.strip('/')}" if self.prefix.strip("/") else f"s3://{bucket}"
