"""Write the CloudTrail that records who created a test world, as CloudTrail delivers it to S3.

For the end-to-end path trail -> load -> tag: ``trail_records(world)`` makes one realistic
create event per resource whose creator the story knows (IAMUser, AssumedRole and
AWSService identities, the responseElements each service returns) plus the noise a real
trail has (a failed create, a read-only call, an event delivered twice), and
``write_delivery_files`` puts them in a bucket under
``[prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/yyyy/mm/dd/
<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<16 chars>.json.gz`` as gzipped
``{"Records": [...]}`` documents, next to a digest file that a loader must not read.

The loader is built elsewhere; ``TRAIL_IDS`` is the resource-map view of the same events
(eventSource, eventName, JMESPath to the ids) so a test can check what the load yields.
"""

from __future__ import annotations

import gzip
import json
import random
import string
import uuid
from datetime import datetime, timedelta, timezone

import aws_world

# (eventSource, eventName) -> JMESPath to the created ids, per c7n resource type.
TRAIL_IDS = {
    "ec2": ("ec2.amazonaws.com", "RunInstances", "responseElements.instancesSet.items[].instanceId"),
    "ebs": ("ec2.amazonaws.com", "CreateVolume", "responseElements.volumeId"),
    "security-group": ("ec2.amazonaws.com", "CreateSecurityGroup", "responseElements.groupId"),
    "sns": ("sns.amazonaws.com", "CreateTopic", "responseElements.topicArn"),
    "dynamodb-table": ("dynamodb.amazonaws.com", "CreateTable", "requestParameters.tableName"),
    "lambda": ("lambda.amazonaws.com", "CreateFunction20150331", "requestParameters.functionName"),
    "s3": ("s3.amazonaws.com", "CreateBucket", "requestParameters.bucketName"),
    "iam-role": ("iam.amazonaws.com", "CreateRole", "responseElements.role.arn"),
    "iam-user": ("iam.amazonaws.com", "CreateUser", "requestParameters.userName"),
}

DEFAULT_TIME = datetime(2024, 3, 1, 23, 58, tzinfo=timezone.utc)  # late: some deliveries land on 03/02


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _payload(b: aws_world.Built):
    """(requestParameters, responseElements) for the create call of one built resource."""
    s, acct = b.spec, b.spec.account
    region = "us-east-1" if s.region == "global" else s.region
    t = s.rtype
    if t == "ec2":
        return ({"instancesSet": {"items": [{"imageId": "ami-12c6146b", "minCount": 1, "maxCount": 1}]},
                 "instanceType": "t3.micro"},
                {"requestId": str(uuid.uuid4()), "reservationId": "r-0123456789abcdef0", "ownerId": acct,
                 "instancesSet": {"items": [{"instanceId": b.id, "imageId": "ami-12c6146b",
                                             "instanceState": {"code": 0, "name": "pending"}}]}})
    if t == "ebs":
        return ({"size": 1, "zone": f"{region}a", "encrypted": False},
                {"requestId": str(uuid.uuid4()), "volumeId": b.id, "size": "1", "zone": f"{region}a",
                 "status": "creating", "createTime": 1709337480000})
    if t == "security-group":
        return ({"groupName": s.name, "groupDescription": s.name},
                {"requestId": str(uuid.uuid4()), "_return": True, "groupId": b.id})
    if t == "sns":
        return {"name": s.name}, {"topicArn": b.arn}
    if t == "dynamodb-table":
        return ({"tableName": s.name, "billingMode": "PAY_PER_REQUEST",
                 "keySchema": [{"attributeName": "id", "keyType": "HASH"}]},
                {"tableDescription": {"tableName": s.name, "tableArn": b.arn, "tableStatus": "CREATING"}})
    if t == "lambda":
        return ({"functionName": s.name, "runtime": "python3.12", "handler": "index.handler",
                 "role": f"arn:aws:iam::{acct}:role/lambda-exec"},
                {"functionName": s.name, "functionArn": b.arn, "runtime": "python3.12", "state": "Pending"})
    if t == "s3":
        req = {"bucketName": s.name, "Host": f"{s.name}.s3.{region}.amazonaws.com"}
        if region != "us-east-1":
            req["CreateBucketConfiguration"] = {"LocationConstraint": region}
        return req, None
    if t == "iam-role":
        return ({"roleName": s.name, "assumeRolePolicyDocument": "{}"},
                {"role": {"roleName": s.name, "arn": b.arn, "path": "/", "roleId": "AROAEXAMPLEROLEID0001",
                          "createDate": "Mar 1, 2024 11:58:00 PM"}})
    if t == "iam-user":
        return ({"userName": s.name},
                {"user": {"userName": s.name, "arn": b.arn, "path": "/", "userId": "AIDAEXAMPLEUSERID0001",
                          "createDate": "Mar 1, 2024 11:58:00 PM"}})
    raise ValueError(t)


def create_event(b: aws_world.Built, when: datetime = DEFAULT_TIME, **over) -> dict:
    """The CloudTrail record of ``b``'s creation by its spec's creator."""
    s = b.spec
    ui = aws_world.identities(s.account)[s.who]
    source, name, _ = TRAIL_IDS[s.rtype]
    req, resp = _payload(b)
    service_call = ui["type"] == "AWSService"
    record = {
        "eventVersion": "1.09",
        "userIdentity": ui,
        "eventTime": _iso(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1" if s.region == "global" else s.region,
        "sourceIPAddress": ui["invokedBy"] if service_call else "198.51.100.7",
        "userAgent": ui["invokedBy"] if service_call else "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5",
        "requestParameters": req,
        "responseElements": resp,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": s.account,
        "eventCategory": "Management",
    }
    if not service_call:
        record["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                "clientProvidedHostHeader": f"{source.split('.')[0]}.{record['awsRegion']}.amazonaws.com"}
    record.update(over)
    return record


def trail_records(world, when: datetime = DEFAULT_TIME) -> list[dict]:
    """Every create event the trail holds for ``world``, and the noise around them.

    Resources whose spec has no creator are missing from the trail on purpose.  The noise:
    a create that failed (``errorCode``: it created nothing), a read-only call, and one
    event delivered twice (same ``eventID``), as CloudTrail may.
    """
    records = []
    for i, b in enumerate(world):
        if b.spec.who is None:
            continue
        records.append(create_event(b, when + timedelta(seconds=i)))
    first = next(b for b in world if b.spec.who and b.spec.region != "global")
    failed = create_event(first, when - timedelta(minutes=5), errorCode="AccessDenied",
                          errorMessage="User is not authorized to perform this operation",
                          responseElements=None)
    if first.spec.rtype == "s3":
        failed["requestParameters"] = {**failed["requestParameters"], "bucketName": "tc-denied-bucket"}
    read_only = create_event(first, when, eventName="DescribeInstances", readOnly=True,
                             requestParameters={"filterSet": {}}, responseElements=None)
    return records + [failed, read_only, dict(records[0])]


def _rand16(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))


def delivery_key(account: str, region: str, delivered: datetime, rng: random.Random,
                 prefix: str = "", org_id: str | None = None) -> str:
    base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    org = f"{org_id}/" if org_id else ""
    stamp = delivered.strftime("%Y%m%dT%H%MZ")
    return (f"{base}AWSLogs/{org}{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{stamp}_{_rand16(rng)}.json.gz")


def write_delivery_files(s3, bucket: str, records: list[dict], prefix: str = "", org_id: str | None = None,
                         per_file: int = 4, delay: timedelta = timedelta(minutes=5), seed: int = 7) -> list[str]:
    """Put ``records`` in ``bucket`` as CloudTrail delivers them; the object keys written.

    Files are per (account, region), at most ``per_file`` records each, dated by delivery
    time (event time + ``delay``, so late events land in the next day's folder).  A digest
    file is written too (``CloudTrail-Digest/``), which is not events.
    """
    rng = random.Random(seed)
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        t = datetime.strptime(r["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        delivered = (t + delay).replace(second=0)
        groups.setdefault((r["recipientAccountId"], r["awsRegion"], delivered), []).append(r)
    keys = []
    for (account, region, delivered), recs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        for i in range(0, len(recs), per_file):
            key = delivery_key(account, region, delivered, rng, prefix, org_id)
            body = gzip.compress(json.dumps({"Records": recs[i:i + per_file]}).encode())
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", ContentEncoding="gzip")
            keys.append(key)
        digest = key.replace("/CloudTrail/", "/CloudTrail-Digest/").replace(
            "_CloudTrail_", "_CloudTrail-Digest_")
        s3.put_object(Bucket=bucket, Key=digest, Body=gzip.compress(b'{"digestStartTime": "x", "logFiles": []}'))
    return keys
