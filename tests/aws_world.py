"""A small two-account, two-region AWS estate in moto, who created what, and the tags to expect.

``SPECS`` lists every resource the tests create: its account (``A``/``B``: every ``World``
gets two fresh account ids, so tests share one moto without resetting it; a reset makes
moto rebuild its EC2 backends, which costs seconds), region (``global`` for IAM),
c7n type, name, who created it (a key of ``identities``, or None when the trail missed it),
the form the creators table records its id in (c7n id, ARN, or name), and a creator tag
that is already set.  ``build()`` creates them through assumed roles (moto switches to the
role's account), ``creator_rows`` turns them into ``resource_creators`` rows as the loader
would, ``expected_tags`` says what every resource must carry after tagging, and
``observed_tags`` reads the tags back from moto, including the resources AWS creates on its
own (default security groups, root volumes), which must stay untagged.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from dataclasses import dataclass, replace

import boto3

from trailcreator.attribution import CREATOR_FORMATS
from trailcreator.aws import botocore_session
from trailcreator.export.schema import CREATOR_COLUMNS

A, B = "A", "B"      # account placeholders in SPECS; each World gets fresh account ids
REGIONS = ("us-east-1", "eu-west-1")
ORG_ROLE = "OrgRole"
TAG = "Owner"
TYPES = ("ec2", "ebs", "security-group", "sns", "dynamodb-table", "lambda", "s3", "iam-role", "iam-user")


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{ORG_ROLE}"


def identities(account: str) -> dict[str, dict]:
    """CloudTrail ``userIdentity`` elements of the people and services in the story."""

    def assumed(role, session, issuer_path="/"):
        return {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE{role.upper()[:8]}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLEEXAMPLE00",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": f"AROAEXAMPLE{role.upper()[:8]}",
                    "arn": f"arn:aws:iam::{account}:role{issuer_path}{role}",
                    "accountId": account,
                    "userName": role,
                },
                "attributes": {"creationDate": "2024-03-01T09:00:00Z", "mfaAuthenticated": "false"},
            },
        }

    def user(name):
        return {
            "type": "IAMUser",
            "principalId": f"AIDAEXAMPLE{name.upper()}",
            "arn": f"arn:aws:iam::{account}:user/{name}",
            "accountId": account,
            "accessKeyId": "AKIAEXAMPLEEXAMPLE00",
            "userName": name,
        }

    return {
        "alice": user("alice"),
        "carol": user("carol"),
        "bob": assumed("AWSReservedSSO_Admin_0123abcd", "bob@example.com", "/aws-reserved/sso.amazonaws.com/"),
        "ci": assumed("ci-deployer", "github-actions"),
        "instance": assumed("app-server", "i-0123456789abcdef0"),
        "slr": assumed("AWSServiceRoleForAutoScaling", "AutoScaling", "/aws-service-role/autoscaling.amazonaws.com/"),
        "cfn": {"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"},
    }


@dataclass(frozen=True)
class Spec:
    account: str
    region: str        # "global" for IAM
    rtype: str
    name: str
    who: str | None    # None: the trail has no record of its creation
    id_form: str = "id"  # how the creators table records it: id | arn | name
    preset: str | None = None


SPECS = (
    # account A, us-east-1
    Spec(A, "us-east-1", "ec2", "a-web", "alice"),
    Spec(A, "us-east-1", "ebs", "a-data", "bob"),
    Spec(A, "us-east-1", "security-group", "a-app-sg", "ci"),
    Spec(A, "us-east-1", "sns", "a-alerts", "alice"),                     # recorded as the topic ARN
    Spec(A, "us-east-1", "dynamodb-table", "a-orders", "cfn"),            # an AWS service created it
    Spec(A, "us-east-1", "lambda", "a-fn-east", "carol"),
    Spec(A, "us-east-1", "s3", "tc-{n}-a-east-bucket", "alice", preset="preset-owner"),
    Spec(A, "us-east-1", "s3", "tc-{n}-a-east-logs", None),
    # account A, eu-west-1
    Spec(A, "eu-west-1", "ec2", "a-worker", "instance"),                  # an instance profile session
    Spec(A, "eu-west-1", "ebs", "a-scratch", None),
    Spec(A, "eu-west-1", "security-group", "a-eu-sg", "bob"),
    Spec(A, "eu-west-1", "sns", "a-eu-topic", "carol", id_form="name"),   # c7n's id is the ARN
    Spec(A, "eu-west-1", "dynamodb-table", "a-eu-table", "alice"),
    Spec(A, "eu-west-1", "lambda", "a-fn-eu", "bob"),
    Spec(A, "eu-west-1", "s3", "tc-{n}-a-eu-bucket", "carol"),
    # account A, IAM
    Spec(A, "global", "iam-role", "lambda-exec", "bob"),
    Spec(A, "global", "iam-role", "app-role", "alice", id_form="arn"),    # c7n's id is the name
    Spec(A, "global", "iam-user", "dave", "slr"),                         # a service-linked role
    Spec(A, "global", "iam-user", "erin", "ci"),
    # account B, us-east-1
    Spec(B, "us-east-1", "ec2", "b-web", "carol"),
    Spec(B, "us-east-1", "ebs", "b-data", "alice"),
    Spec(B, "us-east-1", "security-group", "b-sg", None),
    Spec(B, "us-east-1", "sns", "b-alerts", "bob"),
    Spec(B, "us-east-1", "dynamodb-table", "b-orders", "carol"),
    Spec(B, "us-east-1", "lambda", "b-fn-east", "alice"),
    Spec(B, "us-east-1", "s3", "tc-{n}-b-east-bucket", "bob"),
    # account B, eu-west-1
    Spec(B, "eu-west-1", "ec2", "b-worker", "bob"),
    Spec(B, "eu-west-1", "ebs", "b-scratch", "carol", preset="team-x"),
    Spec(B, "eu-west-1", "security-group", "b-eu-sg", "alice"),
    Spec(B, "eu-west-1", "sns", "b-eu-topic", None),
    Spec(B, "eu-west-1", "dynamodb-table", "b-eu-table", "bob"),
    Spec(B, "eu-west-1", "lambda", "b-fn-eu", "carol"),
    Spec(B, "eu-west-1", "s3", "tc-{n}-b-eu-bucket", "alice"),
    # account B, IAM
    Spec(B, "global", "iam-role", "lambda-exec", "carol"),
    Spec(B, "global", "iam-user", "frank", "bob"),
)


@dataclass(frozen=True)
class Built:
    spec: Spec
    id: str     # the c7n id (resource_type.id)
    arn: str


def session(account: str, region: str = "us-east-1") -> boto3.Session:
    """Credentials in ``account``: moto switches account on AssumeRole into its role."""
    base = boto3.Session(botocore_session=botocore_session(), region_name="us-east-1")
    creds = base.client("sts").assume_role(RoleArn=role_arn(account), RoleSessionName="setup")["Credentials"]
    return boto3.Session(
        botocore_session=botocore_session(),
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


class Clients:
    """boto3 clients per (account, service, region), made once (client creation is slow)."""

    def __init__(self):
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple, object] = {}

    def __call__(self, account: str, service: str, region: str = "us-east-1"):
        key = (account, service, region)
        if key not in self._clients:
            if account not in self._sessions:
                self._sessions[account] = session(account)
            self._clients[key] = self._sessions[account].client(service, region_name=region)
        return self._clients[key]


_LAMBDA_TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buf.getvalue()


def _tags(spec: Spec):
    return [{"Key": TAG, "Value": spec.preset}] if spec.preset else []


def create(spec: Spec, clients: Clients) -> Built:
    region = "us-east-1" if spec.region == "global" else spec.region
    acct = spec.account
    t = spec.rtype

    class _S:  # the account's clients, by service and region
        @staticmethod
        def client(service, region_name="us-east-1"):
            return clients(acct, service, region_name)

    s = _S
    if t == "ec2":
        ec2 = s.client("ec2", region_name=region)
        inst = ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": spec.name}] + _tags(spec)}],
        )["Instances"][0]
        rid = inst["InstanceId"]
        return Built(spec, rid, f"arn:aws:ec2:{region}:{acct}:instance/{rid}")
    if t == "ebs":
        ec2 = s.client("ec2", region_name=region)
        tags = [{"Key": "Name", "Value": spec.name}] + _tags(spec)
        vol = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1,
                                TagSpecifications=[{"ResourceType": "volume", "Tags": tags}])
        rid = vol["VolumeId"]
        return Built(spec, rid, f"arn:aws:ec2:{region}:{acct}:volume/{rid}")
    if t == "security-group":
        ec2 = s.client("ec2", region_name=region)
        rid = ec2.create_security_group(GroupName=spec.name, Description=spec.name)["GroupId"]
        if spec.preset:
            ec2.create_tags(Resources=[rid], Tags=_tags(spec))
        return Built(spec, rid, f"arn:aws:ec2:{region}:{acct}:security-group/{rid}")
    if t == "sns":
        arn = s.client("sns", region_name=region).create_topic(Name=spec.name, Tags=_tags(spec))["TopicArn"]
        return Built(spec, arn, arn)
    if t == "dynamodb-table":
        kw = {"Tags": _tags(spec)} if spec.preset else {}
        desc = s.client("dynamodb", region_name=region).create_table(
            TableName=spec.name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST", **kw,
        )["TableDescription"]
        return Built(spec, spec.name, desc["TableArn"])
    if t == "lambda":
        role = f"arn:aws:iam::{acct}:role/lambda-exec"
        kw = {"Tags": {TAG: spec.preset}} if spec.preset else {}
        fn = s.client("lambda", region_name=region).create_function(
            FunctionName=spec.name, Runtime="python3.12", Role=role, Handler="index.handler",
            Code={"ZipFile": _zip()}, **kw,
        )
        return Built(spec, spec.name, fn["FunctionArn"])
    if t == "s3":
        s3 = s.client("s3", region_name=region)
        kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=spec.name, **kw)
        if spec.preset:
            s3.put_bucket_tagging(Bucket=spec.name, Tagging={"TagSet": _tags(spec)})
        return Built(spec, spec.name, f"arn:aws:s3:::{spec.name}")
    if t == "iam-role":
        trust = _LAMBDA_TRUST if spec.name == "lambda-exec" else json.dumps({"Version": "2012-10-17", "Statement": []})
        arn = s.client("iam").create_role(RoleName=spec.name, AssumeRolePolicyDocument=trust, Tags=_tags(spec))["Role"]["Arn"]
        return Built(spec, spec.name, arn)
    if t == "iam-user":
        arn = s.client("iam").create_user(UserName=spec.name, Tags=_tags(spec))["User"]["Arn"]
        return Built(spec, spec.name, arn)
    raise ValueError(t)


_WORLDS = itertools.count(1)


@dataclass
class World:
    """The resources of one test, in two accounts of its own."""

    a: str
    b: str
    n: str
    built: list[Built]

    def __iter__(self):
        return iter(self.built)

    def by_name(self, name: str) -> Built:
        return next(b for b in self.built if b.spec.name == name.format(n=self.n))

    def observed(self, accounts=None, regions=None):
        """Creator tags of every resource of the world's types (and only those: listing a type
        the world does not use would make moto build backends for nothing)."""
        accounts = accounts or sorted({b.spec.account for b in self.built})
        regions = regions or [r for r in REGIONS if any(b.spec.region == r for b in self.built)]
        return observed_tags(accounts, regions, {b.spec.rtype for b in self.built})


def new_accounts() -> tuple[str, str, str]:
    n = next(_WORLDS)
    return f"1111{n:08d}", f"2222{n:08d}", f"{n:04d}"


SMALL = tuple(s for s in SPECS if s.account == A and s.region in ("us-east-1", "global"))


def build(specs=SPECS, accounts: tuple[str, str, str] | None = None) -> World:
    """Create every resource in two fresh accounts (``accounts``: given ones, as
    ``new_accounts`` makes them); IAM first (the functions need their role)."""
    a, b, n = accounts or new_accounts()
    concrete = [replace(s, account={A: a, B: b}[s.account], name=s.name.format(n=n)) for s in specs]
    clients = Clients()
    order = sorted(concrete, key=lambda s: (s.region != "global", s.rtype == "lambda"))
    return World(a, b, n, [create(spec, clients) for spec in order])


# --- what the creators table holds -----------------------------------------------------------


def identity_columns(ui: dict) -> dict:
    """The identity columns of ``resource_creators`` for a CloudTrail userIdentity."""
    issuer = (ui.get("sessionContext") or {}).get("sessionIssuer") or {}
    arn = ui.get("arn")
    session_name = arn.rsplit("/", 1)[-1] if ui.get("type") == "AssumedRole" and arn else None
    return {
        "identity_type": ui.get("type"),
        "principal_arn": arn,
        "principal_id": ui.get("principalId"),
        "user_name": ui.get("userName"),
        "session_name": session_name,
        "session_issuer_arn": issuer.get("arn"),
        "session_issuer_name": issuer.get("userName"),
        "on_behalf_of_user_id": (ui.get("onBehalfOf") or {}).get("userId"),
        "invoked_by": ui.get("invokedBy"),
        "access_key_id": ui.get("accessKeyId"),
    }


CREATE_EVENTS = {
    "ec2": ("RunInstances", "ec2.amazonaws.com"),
    "ebs": ("CreateVolume", "ec2.amazonaws.com"),
    "security-group": ("CreateSecurityGroup", "ec2.amazonaws.com"),
    "sns": ("CreateTopic", "sns.amazonaws.com"),
    "dynamodb-table": ("CreateTable", "dynamodb.amazonaws.com"),
    "lambda": ("CreateFunction20150331", "lambda.amazonaws.com"),
    "s3": ("CreateBucket", "s3.amazonaws.com"),
    "iam-role": ("CreateRole", "iam.amazonaws.com"),
    "iam-user": ("CreateUser", "iam.amazonaws.com"),
}


def creator_values(account: str, who: str) -> tuple[dict[str, str | None], str | None]:
    """({creator format: tag value}, exclusion) of a person of the story, stated by hand:
    the rules themselves are SQL's (dbt_project/macros/creators.sql)."""
    ui = identities(account)[who]
    reason = {"instance": "instance-profile", "slr": "service-linked-role", "cfn": "aws-service"}.get(who)
    if reason:
        return dict.fromkeys(CREATOR_FORMATS), reason
    if ui["type"] == "IAMUser":
        name = role = role_session = ui["userName"]
    else:  # AssumedRole: the session, the role that issued it
        name, role = ui["arn"].rsplit("/", 1)[1], ui["sessionContext"]["sessionIssuer"]["userName"]
        role_session = f"{role}/{name}"
    return {"name": name, "role": role, "role-session": role_session, "arn": ui["arn"],
            "principal-id": ui["principalId"]}, None


def recorded_id(b: Built) -> str:
    return {"id": b.id, "arn": b.arn, "name": b.spec.name}[b.spec.id_form]


def creator_rows(built: list[Built], when: str = "2024-03-01T10:00:00Z") -> list[dict]:
    """``resource_creators`` rows for what the trail recorded, as the loader writes them."""
    rows = []
    for i, b in enumerate(built):
        if b.spec.who is None:
            continue
        cols = identity_columns(identities(b.spec.account)[b.spec.who])
        values, reason = creator_values(b.spec.account, b.spec.who)
        event_name, source = CREATE_EVENTS[b.spec.rtype]
        rows.append({
            "account_id": b.spec.account,
            "region": "us-east-1" if b.spec.region == "global" else b.spec.region,
            "resource_type": b.spec.rtype,
            "resource_id": recorded_id(b),
            "is_global": 1 if b.spec.region == "global" else 0,
            "creator": values["name"],
            "creator_raw": values["name"],
            "excluded_reason": reason,
            **{CREATOR_COLUMNS[fmt]: value for fmt, value in values.items()},
            **cols,
            "event_time": when,
            "event_name": event_name,
            "event_source": source,
            "event_id": f"00000000-0000-0000-0000-{i:012d}",
            "user_agent": "aws-cli/2.15.0",
            "source_ip": "198.51.100.7",
        })
    return rows


def expected_tags(built: list[Built], fmt: str = "name") -> dict[tuple, str | None]:
    """(account, region, type, id) -> the creator tag every created resource must carry."""
    out = {}
    for b in built:
        s = b.spec
        if s.preset:
            value = s.preset
        elif s.who is None:
            value = None
        else:
            value = creator_values(s.account, s.who)[0][fmt]
        out[(s.account, s.region, s.rtype, b.id)] = value
    return out


# --- what moto holds -----------------------------------------------------------------------


def _owner(tags, key="Key", value="Value"):
    for t in tags or ():
        if t[key] == TAG:
            return t[value]
    return None


def observed_tags(accounts, regions=REGIONS, types=TYPES) -> dict[tuple, str | None]:
    """(account, region, type, id) -> creator tag, for every resource of ``types``."""
    out = {}
    clients = Clients()
    for acct in accounts:

        class s:  # noqa: N801 - the account's clients, by service and region
            @staticmethod
            def client(service, region_name="us-east-1", _acct=acct):
                return clients(_acct, service, region_name)

        for region in regions:
            ec2 = s.client("ec2", region_name=region)
            if "ec2" in types:
                for res in ec2.describe_instances()["Reservations"]:
                    for i in res["Instances"]:
                        if i["State"]["Name"] != "terminated":
                            out[(acct, region, "ec2", i["InstanceId"])] = _owner(i.get("Tags"))
            if "ebs" in types:
                for v in ec2.describe_volumes()["Volumes"]:
                    out[(acct, region, "ebs", v["VolumeId"])] = _owner(v.get("Tags"))
            if "security-group" in types:
                for g in ec2.describe_security_groups()["SecurityGroups"]:
                    out[(acct, region, "security-group", g["GroupId"])] = _owner(g.get("Tags"))
            if "sns" in types:
                sns = s.client("sns", region_name=region)
                for t in sns.list_topics()["Topics"]:
                    arn = t["TopicArn"]
                    out[(acct, region, "sns", arn)] = _owner(sns.list_tags_for_resource(ResourceArn=arn)["Tags"])
            if "dynamodb-table" in types:
                ddb = s.client("dynamodb", region_name=region)
                for name in ddb.list_tables()["TableNames"]:
                    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
                    tags = ddb.list_tags_of_resource(ResourceArn=arn).get("Tags")
                    out[(acct, region, "dynamodb-table", name)] = _owner(tags)
            if "lambda" in types:
                lam = s.client("lambda", region_name=region)
                for f in lam.list_functions()["Functions"]:
                    tags = lam.list_tags(Resource=f["FunctionArn"]).get("Tags") or {}
                    out[(acct, region, "lambda", f["FunctionName"])] = tags.get(TAG)
        if "s3" in types:
            s3 = s.client("s3")
            for bkt in s3.list_buckets()["Buckets"]:
                name = bkt["Name"]
                region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
                try:
                    tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
                except s3.exceptions.ClientError:
                    tags = []
                if region in regions:
                    out[(acct, region, "s3", name)] = _owner(tags)
        iam = s.client("iam")
        if "iam-role" in types:
            for r in iam.list_roles()["Roles"]:
                out[(acct, "global", "iam-role", r["RoleName"])] = _owner(iam.list_role_tags(RoleName=r["RoleName"])["Tags"])
        if "iam-user" in types:
            for u in iam.list_users()["Users"]:
                out[(acct, "global", "iam-user", u["UserName"])] = _owner(iam.list_user_tags(UserName=u["UserName"])["Tags"])
    return out


def assert_tags(expected: dict, observed: dict) -> None:
    """Every created resource carries exactly its expected tag; every other one carries none."""
    wrong = {k: (v, observed.get(k, "<missing>")) for k, v in expected.items() if observed.get(k, "<missing>") != v}
    stray = {k: v for k, v in observed.items() if k not in expected and v is not None}
    assert not wrong, f"resources with the wrong creator tag (expected, observed): {wrong}"
    assert not stray, f"resources tagged that nobody recorded: {stray}"
