"""The records of a benchmark trail: identities, the world they act in, noise and create events,
and one record rendered as CloudTrail writes it.

Nothing here knows resource ids as the product extracts them: which records are creates, and of
what, is the resource map's business (``expected.py`` applies it through trailcreator's own rules).
Every function takes its rng explicitly, so any process renders the same record from the same seed.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import random
import time
from dataclasses import dataclass, field

REGION_POOL = [
    "us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2",
    "eu-central-1", "ap-northeast-1", "sa-east-1", "ca-central-1",
]
GLOBAL_REGION = "us-east-1"  # IAM and console sign-in events are recorded here
TRAIL_NAME = "org-trail"
TRAIL_BUCKET = "bench-cloudtrail-logs"

# Rates (fractions of records, or of create events).
CREATE_RATE = 0.01          # create events of the mapped kinds, of all records
CREATE_FAIL_RATE = 0.08     # of creates: errorCode set, nothing created
NAME_REUSE_RATE = 0.06      # of named creates: a name created earlier in the same account/region
CREATE_DUP_RATE = 0.04      # of creates: delivered again in the stream's next object
NOISE_DUP_RATE = 0.002      # of records: a noise event delivered again in the next object
LAG_RATE = 0.01             # of records: delivered 5-25 minutes after the event, not 5 s-5 min
NOISE_DENIED_RATE = 0.02    # of noise records: AccessDenied
BURST_RATE = 0.75           # of noise records: the previous record's caller making the same call again

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- small random helpers (all take the rng explicitly: determinism) -----------------------

def hexs(rng: random.Random, n: int) -> str:
    return "%0*x" % (n, rng.getrandbits(4 * n))


_VARIANT = "89ab" * 4


def uuid4(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[rng.getrandbits(4)]}{h[17:20]}-{h[20:]}"


def key_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices(_UPPER_DIGITS, k=16))


def alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(_ALNUM, k=n))


def b64(rng: random.Random, nbytes: int) -> str:
    return base64.b64encode(rng.randbytes(nbytes)).decode()


_ISO_CACHE: dict[int, str] = {}


def iso(t: float) -> str:
    t = int(t)
    s = _ISO_CACHE.get(t)
    if s is None:
        if len(_ISO_CACHE) > 100_000:
            _ISO_CACHE.clear()
        s = _ISO_CACHE[t] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    return s


def java_date(t: float) -> str:
    """The 'Jan 5, 2026 10:00:00 AM' form many services use inside responseElements."""
    g = time.gmtime(t)
    h = g.tm_hour % 12 or 12
    return f"{_MONTHS[g.tm_mon - 1]} {g.tm_mday}, {g.tm_year} {h}:{g.tm_min:02d}:{g.tm_sec:02d} {'AM' if g.tm_hour < 12 else 'PM'}"


def ip(rng: random.Random) -> str:
    return f"{rng.choice((3, 18, 34, 52, 54, 35, 44, 81, 93, 185))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def private_ip(rng: random.Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


# --- identities -------------------------------------------------------------------------------

USER_AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/{cmd}",
    "aws-cli/2.13.25 Python/3.11.5 Darwin/23.2.0 exe/x86_64 prompt/off command/{cmd}",
    "Boto3/1.34.50 md/Botocore#1.34.50 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 cfg/retry-mode#legacy Botocore/1.34.50",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.0 md/GOOS#linux md/GOARCH#amd64 api/{svc}#1.149.3",
    "aws-sdk-java/2.20.162 Linux/5.10.205-195.804.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard",
    "aws-sdk-go/1.50.30 (go1.21.7; linux; amd64)",
    "[aws-sdk-js/3.525.0 ua/2.0 os/linux#5.10.209-198.858.amzn2.x86_64 lang/js md/nodejs#18.19.1 api/{svc}#3.525.0]",
    "AWS Internal",
    "console.amazonaws.com",
]

SERVICE_PRINCIPALS = [
    "cloudtrail.amazonaws.com", "config.amazonaws.com", "ec2.amazonaws.com", "lambda.amazonaws.com",
    "ssm.amazonaws.com", "elasticloadbalancing.amazonaws.com", "access-analyzer.amazonaws.com",
    "securityhub.amazonaws.com", "logs.amazonaws.com", "backup.amazonaws.com", "cloudformation.amazonaws.com",
]

SERVICE_LINKED = [  # (role name, session name, service)
    ("AWSServiceRoleForAutoScaling", "AutoScaling", "autoscaling.amazonaws.com"),
    ("AWSServiceRoleForConfig", "AWSConfig-Describe", "config.amazonaws.com"),
    ("AWSServiceRoleForECS", "ecs-service-scheduler", "ecs.amazonaws.com"),
    ("AWSServiceRoleForElasticLoadBalancing", "ElasticLoadBalancing", "elasticloadbalancing.amazonaws.com"),
    ("AWSServiceRoleForSecurityHub", "securityhub", "securityhub.amazonaws.com"),
    ("AWSServiceRoleForAmazonGuardDuty", "GuardDuty", "guardduty.amazonaws.com"),
]

FIRST = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
         "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yasmin", "zoe"]
LAST = ["smith", "jones", "garcia", "muller", "rossi", "dubois", "tanaka", "silva", "novak", "kowalski",
        "nielsen", "oconnor", "kim", "singh", "ivanova", "haddad"]
PROJECTS = ["payments", "billing", "search", "ingest", "analytics", "checkout", "catalog", "auth", "ledger",
            "reports", "media", "notify", "orders", "profile", "pricing", "etl", "ml", "gateway"]
ENVS = ["prod", "staging", "dev", "qa", "sandbox"]
WORDS = ["events", "archive", "assets", "logs", "exports", "uploads", "cache", "jobs", "state", "queue",
         "backups", "artifacts", "metrics", "invoices", "images", "data", "audit", "tmp"]


class Principal:
    """One caller; ``render`` gives its userIdentity JSON for one event.

    Like a real caller it keeps its credentials for a while: the access key and session creation
    time change once an hour (a pure function of the principal and the hour, so any process
    renders the same), and it calls from a few fixed addresses with one or two user agents.
    """

    __slots__ = ("kind", "account", "arn", "pid", "name", "session", "issuer_arn", "issuer_name",
                 "invoked_by", "console", "extra", "ips", "uas", "_sess")

    def __init__(self, kind, account, arn=None, pid=None, name=None, session=None, issuer_arn=None,
                 issuer_name=None, invoked_by=None, console=False, extra=None):
        self.kind, self.account, self.arn, self.pid, self.name = kind, account, arn, pid, name
        self.session, self.issuer_arn, self.issuer_name = session, issuer_arn, issuer_name
        self.invoked_by, self.console, self.extra = invoked_by, console, extra
        h = hashlib.blake2b(f"{kind}|{account}|{arn}|{pid}|{invoked_by}".encode(), digest_size=16).digest()
        self.ips = [f"{(3, 18, 34, 52, 54, 35, 44, 81, 93, 185)[h[i] % 10]}.{h[i + 1]}.{h[i + 2]}.{h[i + 3] % 254 + 1}"
                    for i in (0, 4, 8)]
        self.uas = [USER_AGENTS[h[12] % len(USER_AGENTS)], USER_AGENTS[h[13] % len(USER_AGENTS)]]
        self._sess = {}

    def credentials(self, t: float) -> tuple[str, str]:
        """(access key id, session creation time) of the session in use at ``t``."""
        hour = int(t) // 3600
        s = self._sess.get(hour)
        if s is None:
            d = hashlib.blake2b(f"{self.pid}|{self.session}|{self.account}|{hour}".encode(), digest_size=12).digest()
            prefix = "AKIA" if self.kind == "IAMUser" and not self.console else "ASIA"
            s = (prefix + base64.b32encode(d[:10]).decode()[:16], iso(hour * 3600 + d[11] * 13))
            if len(self._sess) > 64:
                self._sess.clear()
            self._sess[hour] = s
        return s

    def render(self, rng: random.Random, t: float) -> str:
        k = self.kind
        if k == "AWSService":
            return '{"type":"AWSService","invokedBy":"%s"}' % self.invoked_by
        if k == "AssumedRole":
            inv = ',"invokedBy":"%s"' % self.invoked_by if self.invoked_by else ""
            ec2 = ',"ec2RoleDelivery":"2.0"' if self.extra == "ec2" else ""
            src = ',"sourceIdentity":"%s"' % self.extra if self.extra and self.extra != "ec2" else ""
            akey, created = self.credentials(t)
            akid = "" if self.invoked_by else ',"accessKeyId":"%s"' % akey
            return ('{"type":"AssumedRole","principalId":"%s:%s","arn":"%s","accountId":"%s"%s,'
                    '"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"%s","arn":"%s",'
                    '"accountId":"%s","userName":"%s"},"webIdFederationData":{},"attributes":'
                    '{"creationDate":"%s","mfaAuthenticated":"false"}%s%s}%s}'
                    % (self.pid, self.session, self.arn, self.account, akid, self.pid, self.issuer_arn,
                       self.account, self.issuer_name, created, ec2, src, inv))
        akey, created = self.credentials(t)
        if k == "IAMUser":
            sc = (',"sessionContext":{"sessionIssuer":{},"webIdFederationData":{},"attributes":'
                  '{"creationDate":"%s","mfaAuthenticated":"true"}}' % created) if self.console else ""
            return ('{"type":"IAMUser","principalId":"%s","arn":"%s","accountId":"%s","accessKeyId":"%s",'
                    '"userName":"%s"%s}' % (self.pid, self.arn, self.account, akey, self.name, sc))
        if k == "Root":
            return ('{"type":"Root","principalId":"%s","arn":"%s","accountId":"%s","accessKeyId":"%s",'
                    '"userName":"%s","sessionContext":{"sessionIssuer":{},"webIdFederationData":{},'
                    '"attributes":{"creationDate":"%s","mfaAuthenticated":"true"}}}'
                    % (self.pid, self.arn, self.account, akey, self.name, created))
        if k == "FederatedUser":
            return ('{"type":"FederatedUser","principalId":"%s:%s","arn":"%s","accountId":"%s",'
                    '"accessKeyId":"%s","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"%s",'
                    '"arn":"%s","accountId":"%s","userName":"%s"},"webIdFederationData":{},"attributes":'
                    '{"creationDate":"%s","mfaAuthenticated":"false"}}}'
                    % (self.account, self.session, self.arn, self.account, akey, self.pid,
                       self.issuer_arn, self.account, self.issuer_name, created))
        if k == "AWSAccount":
            return ('{"type":"AWSAccount","principalId":"%s","accountId":"%s"}' % (self.pid, self.extra))
        if k == "SAMLUser":
            return ('{"type":"SAMLUser","principalId":"%s","userName":"%s","identityProvider":"%s"}'
                    % (self.pid, self.name, self.extra))
        if k == "WebIdentityUser":
            return ('{"type":"WebIdentityUser","principalId":"%s","userName":"%s","identityProvider":"%s"}'
                    % (self.pid, self.name, self.extra))
        raise ValueError(k)


class Weighted:
    """Draw from (weight, item) pairs with one random() and a bisect."""

    def __init__(self, pairs):
        self.items = [x for w, x in pairs if w > 0]
        acc, self.cum = 0.0, []
        for w, _ in pairs:
            if w > 0:
                acc += w
                self.cum.append(acc)
        self.total = acc

    def pick(self, rng):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


class AccountWorld:
    """The people, roles and resources of one account: what events refer to."""

    def __init__(self, rng: random.Random, account: str, regions: list[str], other_accounts: list[str]):
        self.account = account
        a = account
        people = sorted({f"{rng.choice(FIRST)}.{rng.choice(LAST)}" for _ in range(14)})
        self.people = people
        self.alias = f"acme-{rng.choice(PROJECTS)}-{rng.choice(ENVS)}"

        def role_pid():
            return key_id(rng, "AROA")

        P = Principal
        self.iam_users = [P("IAMUser", a, f"arn:aws:iam::{a}:user/{n}", key_id(rng, "AIDA"), n)
                          for n in people[:6] + ["ci-deploy", "terraform", "backup-agent", "jenkins-legacy"]]
        for u in self.iam_users[:6]:
            u.console = True
        sso = []
        for perm in ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "DeveloperAccess"):
            rname = f"AWSReservedSSO_{perm}_{hexs(rng, 16)}"
            issuer = f"arn:aws:iam::{a}:role/aws-reserved/sso.amazonaws.com/{rng.choice(regions)}/{rname}"
            pid = role_pid()
            for person in people:
                email = f"{person}@example.com"
                sso.append(P("AssumedRole", a, f"arn:aws:sts::{a}:assumed-role/{rname}/{email}", pid,
                             session=email, issuer_arn=issuer, issuer_name=rname))
        self.sso = sso
        ci = []
        for rname, sessions in (("github-actions-deploy", ["GitHubActions"]),
                                ("terraform-apply", [f"terraform-{rng.randrange(10**9, 10**10)}" for _ in range(4)]),
                                ("OrganizationAccountAccessRole", [f"{p}@example.com" for p in people[:3]])):
            pid = role_pid()
            for s in sessions:
                ci.append(P("AssumedRole", a, f"arn:aws:sts::{a}:assumed-role/{rname}/{s}", pid, session=s,
                            issuer_arn=f"arn:aws:iam::{a}:role/{rname}", issuer_name=rname))
        self.ci = ci
        self.instance_roles = []
        self.instances = {r: [f"i-{hexs(rng, 17)}" for _ in range(24)] for r in regions}
        for rname in ("app-server-role", "batch-worker-role", "bastion-role", "eks-node-role"):
            pid = role_pid()
            for r in regions:
                for iid in rng.sample(self.instances[r], 4):
                    self.instance_roles.append(P("AssumedRole", a, f"arn:aws:sts::{a}:assumed-role/{rname}/{iid}",
                                                 pid, session=iid, issuer_arn=f"arn:aws:iam::{a}:role/{rname}",
                                                 issuer_name=rname, extra="ec2"))
        self.functions = {r: [f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}-{rng.choice(WORDS)}-handler"
                              for _ in range(12)] for r in regions}
        self.lambda_roles = []
        for r in regions:
            for fn in self.functions[r][:8]:
                rname = f"{fn}-role-{alnum(rng, 8).lower()}"
                self.lambda_roles.append(P("AssumedRole", a, f"arn:aws:sts::{a}:assumed-role/{rname}/{fn}",
                                           role_pid(), session=fn, issuer_arn=f"arn:aws:iam::{a}:role/{rname}",
                                           issuer_name=rname))
        self.service_linked = []
        for rname, sess, svc in SERVICE_LINKED:
            self.service_linked.append(P("AssumedRole", a, f"arn:aws:sts::{a}:assumed-role/{rname}/{sess}",
                                         role_pid(), session=sess,
                                         issuer_arn=f"arn:aws:iam::{a}:role/aws-service-role/{svc}/{rname}",
                                         issuer_name=rname, invoked_by=svc))
        self.services = [P("AWSService", a, invoked_by=s) for s in SERVICE_PRINCIPALS]
        self.root = P("Root", a, f"arn:aws:iam::{a}:root", a, self.alias)
        self.federated = [P("FederatedUser", a, f"arn:aws:sts::{a}:federated-user/{p}", key_id(rng, "AIDA"),
                            session=p, issuer_arn=f"arn:aws:iam::{a}:user/federation-broker",
                            issuer_name="federation-broker") for p in people[:3]]
        self.cross = [P("AWSAccount", a, pid=key_id(rng, "AIDA"), extra=o) for o in other_accounts]
        self.saml = [P("SAMLUser", a, pid=f"{hexs(rng, 40)}", name=f"{p}@example.com",
                       extra=f"arn:aws:iam::{a}:saml-provider/Okta") for p in people[:4]]
        self.webid = [P("WebIdentityUser", a, pid=f"token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/{p}",
                        name=f"repo:acme/{p}:ref:refs/heads/main", extra="token.actions.githubusercontent.com")
                      for p in PROJECTS[:4]]

        # Who calls, for the noise and for the creates.
        self.noise_callers = Weighted([
            (22, self.services), (14, self.service_linked), (16, self.lambda_roles), (12, self.instance_roles),
            (9, self.ci), (12, self.sso), (8, self.iam_users), (0.4, [self.root]), (0.6, self.federated),
            (0.5, self.cross)])
        self.create_callers = Weighted([
            (38, self.sso), (18, self.iam_users), (16, self.ci), (9, self.instance_roles),
            (4, self.lambda_roles), (3, [self.root]), (2, self.federated), (8, self.service_linked[:1]),
            (2, self.services[9:11])])  # AWSService: no arn; the loader must keep it, flagged

        # Resources the noise refers to.
        self.buckets = sorted({f"acme-{rng.choice(PROJECTS)}-{rng.choice(WORDS)}-{a}-{rng.choice(regions)}"
                               for _ in range(30)})
        self.kms_keys = {r: [f"arn:aws:kms:{r}:{a}:key/{uuid4(rng)}" for _ in range(6)] for r in regions}
        self.tables = {r: [f"{rng.choice(PROJECTS)}-{rng.choice(WORDS)}-{rng.choice(ENVS)}" for _ in range(10)]
                       for r in regions}
        self.topics = {r: [f"arn:aws:sns:{r}:{a}:{rng.choice(PROJECTS)}-{rng.choice(WORDS)}" for _ in range(8)]
                       for r in regions}
        self.log_groups = {r: [f"/aws/lambda/{f}" for f in self.functions[r]]
                           + [f"/ecs/{rng.choice(PROJECTS)}-{rng.choice(ENVS)}" for _ in range(6)] for r in regions}
        self.params = [f"/{rng.choice(PROJECTS)}/{rng.choice(ENVS)}/{rng.choice(WORDS)}/{alnum(rng, 6).lower()}"
                       for _ in range(40)]
        self.secrets = [f"{rng.choice(PROJECTS)}/{rng.choice(ENVS)}/db-credentials" for _ in range(8)]
        self.roles = [p.issuer_name for p in self.ci + self.lambda_roles[:10]] + [r for r, _, _ in SERVICE_LINKED]
        self.vpcs = {r: [f"vpc-{hexs(rng, 17)}" for _ in range(3)] for r in regions}
        self.subnets = {r: [f"subnet-{hexs(rng, 17)}" for _ in range(9)] for r in regions}
        self.sgs = {r: [f"sg-{hexs(rng, 17)}" for _ in range(12)] for r in regions}
        self.amis = {r: [f"ami-{hexs(rng, 17)}" for _ in range(5)] for r in regions}
        self.volumes = {r: [f"vol-{hexs(rng, 17)}" for _ in range(30)] for r in regions}
        self.clusters = [f"{p}-{e}" for p, e in zip(rng.sample(PROJECTS, 4), rng.choices(ENVS, k=4))]
        self.stacks = [f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}-{rng.choice(WORDS)}" for _ in range(12)]
        self.asgs = [f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}-asg" for _ in range(6)]


class World:
    """Everything derived from (seed, accounts, regions): rebuilt identically in every worker."""

    def __init__(self, seed: int, n_accounts: int, n_regions: int, org_id: str | None = None,
                 prefix: str = ""):
        rng = random.Random(f"world:{seed}")
        if not 1 <= n_regions <= len(REGION_POOL):
            raise SystemExit(f"--regions must be 1..{len(REGION_POOL)}")
        self.accounts = sorted({str(rng.randrange(10**11, 10**12)) for _ in range(n_accounts * 3)})[:n_accounts]
        rng.shuffle(self.accounts)
        self.regions = REGION_POOL[:n_regions]
        outsiders = [str(rng.randrange(10**11, 10**12)) for _ in range(2)]
        self.acct = {a: AccountWorld(rng, a, self.regions, outsiders) for a in self.accounts}
        self.org_id = org_id
        self.prefix = prefix.strip("/")

    def key_prefix(self, account: str, folder: str, region: str, t: float) -> str:
        g = time.gmtime(t)
        parts = [self.prefix] if self.prefix else []
        parts.append("AWSLogs")
        if self.org_id:
            parts.append(self.org_id)
        parts += [account, folder, region, f"{g.tm_year:04d}", f"{g.tm_mon:02d}", f"{g.tm_mday:02d}"]
        return "/".join(parts)


# --- events -----------------------------------------------------------------------------------

class Ctx:
    """What an event builder sees: the rng, the account's world, where and when, and who calls."""

    __slots__ = ("rng", "aw", "account", "region", "t", "caller")

    def __init__(self, rng, aw, account, region, t, caller):
        self.rng, self.aw, self.account, self.region, self.t, self.caller = rng, aw, account, region, t, caller


def _s3_add(c: Ctx, out: int = 0) -> dict:
    return {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader", "x-amz-id-2": b64(c.rng, 56), "bytesTransferredOut": out}


def _tls(c: Ctx, host: str) -> str:
    return (',"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",'
            '"clientProvidedHostHeader":"%s"}' % host)


def _filters(c: Ctx, names) -> dict:
    rng = c.rng
    return {"items": [{"name": n, "valueSet": {"items": [{"value": v} for v in vals]}}
                      for n, vals in ((n, [f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}" for _ in range(rng.randrange(1, 4))])
                                      for n in names)]}


def _policy_doc(c: Ctx, n: int) -> str:
    rng = c.rng
    stmts = [{"Sid": f"Stmt{rng.randrange(10**12)}", "Effect": "Allow",
              "Action": rng.sample(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt",
                                    "kms:GenerateDataKey", "sqs:SendMessage", "dynamodb:GetItem",
                                    "dynamodb:PutItem", "dynamodb:Query", "logs:PutLogEvents",
                                    "logs:CreateLogStream", "sns:Publish"], rng.randrange(2, 6)),
              "Resource": [f"arn:aws:s3:::{rng.choice(c.aw.buckets)}/*" for _ in range(rng.randrange(1, 4))]}
             for _ in range(n)]
    return json.dumps({"Version": "2012-10-17", "Statement": stmts})


def _assume_role_response(c: Ctx, role_arn: str, session: str) -> dict:
    rng = c.rng
    rname = role_arn.rsplit("/", 1)[-1]
    return {"credentials": {"accessKeyId": key_id(rng, "ASIA"), "sessionToken": "IQoJb3JpZ2luX2Vj" + b64(rng, rng.randrange(300, 700)),
                            "expiration": java_date(c.t + 3600)},
            "assumedRoleUser": {"assumedRoleId": f"{key_id(rng, 'AROA')}:{session}",
                                "arn": f"arn:aws:sts::{c.account}:assumed-role/{rname}/{session}"}}


# Noise builders: return a dict with rp, re and optional add/res/err/ident/ua/ip/host/shared/vpce.

def n_assume_role(c: Ctx):
    rng, aw = c.rng, c.aw
    who = rng.random()
    if who < 0.55:
        svc = rng.choice(aw.services)
        c.caller = svc
        rname = rng.choice(aw.roles)
        session = rng.choice(["AWSConfig-Describe", "SNSDescribeHandlerSession", "AccessAnalyzer", "LambdaSession",
                              f"{rng.randrange(10**12, 10**13)}", "securityhub"])
        role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
        return dict(rp={"roleArn": role_arn, "roleSessionName": session},
                    re=_assume_role_response(c, role_arn, session), shared=True, ip=svc.invoked_by,
                    ua=svc.invoked_by, res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])
    rname = rng.choice(aw.roles)
    session = f"botocore-session-{int(c.t) - rng.randrange(10**4)}"
    role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
    rp = {"roleArn": role_arn, "roleSessionName": session, "durationSeconds": 3600}
    if rng.random() < 0.3:
        rp["tags"] = [{"key": "team", "value": rng.choice(PROJECTS)}, {"key": "env", "value": rng.choice(ENVS)}]
        rp["transitiveTagKeys"] = ["team"]
    return dict(rp=rp, re=_assume_role_response(c, role_arn, session), host="sts.amazonaws.com",
                res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])


def n_assume_role_saml(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = rng.choice(aw.saml)
    rname = rng.choice(aw.roles)
    role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
    resp = _assume_role_response(c, role_arn, c.caller.name)
    resp.update({"subjectType": "persistent", "issuer": "http://www.okta.com/exk1a2b3c4d5e6f7g8h9",
                 "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": b64(rng, 20),
                 "subject": c.caller.name, "sourceIdentity": c.caller.name})
    return dict(rp={"sAMLAssertionID": f"id{rng.randrange(10**20)}", "roleSessionName": c.caller.name,
                    "principalTags": {"team": rng.choice(PROJECTS)}, "durationSeconds": 3600,
                    "roleArn": role_arn, "principalArn": c.caller.extra},
                re=resp, ua="aws-internal/3 aws-sdk-java/1.12.660", ip=ip(rng),
                res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])


def n_assume_role_webid(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = rng.choice(aw.webid)
    rname = aw.ci[0].issuer_name
    role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
    resp = _assume_role_response(c, role_arn, "GitHubActions")
    resp.update({"subjectFromWebIdentityToken": c.caller.name, "audience": "sts.amazonaws.com",
                 "provider": f"arn:aws:iam::{c.account}:oidc-provider/token.actions.githubusercontent.com"})
    return dict(rp={"roleArn": role_arn, "roleSessionName": "GitHubActions", "durationSeconds": 3600},
                re=resp, ua="aws-sdk-js/2.1552.0 promise", ip=ip(rng), host="sts.amazonaws.com",
                res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])


def n_get_caller_identity(c: Ctx):
    return dict(rp=None, re=None, host=f"sts.{c.region}.amazonaws.com")


def _kms(c: Ctx, with_spec: bool):
    rng, aw = c.rng, c.aw
    key = rng.choice(aw.kms_keys[c.region])
    r = rng.random()
    if r < 0.35:
        ctx = {"aws:lambda:FunctionArn": f"arn:aws:lambda:{c.region}:{c.account}:function:{rng.choice(aw.functions[c.region])}"}
    elif r < 0.65:
        b = rng.choice(aw.buckets)
        ctx = {"aws:s3:arn": f"arn:aws:s3:::{b}/{rng.choice(WORDS)}/{rng.randrange(2020, 2027)}/{hexs(rng, 24)}.parquet"}
    elif r < 0.85:
        ctx = {"aws:cloudtrail:arn": f"arn:aws:cloudtrail:{c.region}:{c.account}:trail/{TRAIL_NAME}",
               "aws:s3:arn": f"arn:aws:s3:::{TRAIL_BUCKET}/AWSLogs/{c.account}/CloudTrail/{c.region}/"
                             f"{iso(c.t)[:10].replace('-', '/')}/{c.account}_CloudTrail_{c.region}_{alnum(rng, 16)}.json.gz"}
        c.caller = c.aw.services[0]
    else:
        ctx = {"SecretARN": f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{rng.choice(aw.secrets)}-{alnum(rng, 6)}",
               "SecretVersionId": uuid4(rng)}
    rp = {"encryptionContext": ctx, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    if with_spec:
        rp = {"keyId": key, "encryptionContext": ctx, "keySpec": "AES_256"}
    res = [{"accountId": c.account, "type": "AWS::KMS::Key", "ARN": key}]
    out = dict(rp=rp, re=None, res=res, host=f"kms.{c.region}.amazonaws.com")
    if c.caller.kind == "AWSService":
        out.update(ip=c.caller.invoked_by, ua=c.caller.invoked_by, shared=True, host=None)
    return out


def n_decrypt(c: Ctx):
    return _kms(c, False)


def n_generate_data_key(c: Ctx):
    return _kms(c, True)


def _s3_bucket(sub: str, err: tuple[str, str, float] | None = None, out: int = 0):
    def build(c: Ctx):
        rng = c.rng
        b = rng.choice(c.aw.buckets)
        rp = {"bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", sub: ""}
        d = dict(rp=rp, re=None, add=_s3_add(c, out),
                 res=[{"accountId": c.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}],
                 rid=alnum(rng, 16).upper())
        if rng.random() < 0.6:
            d["vpce"] = "vpce-0a1b2c3d4e5f60718"
        if err and rng.random() < err[2]:
            d["err"] = (err[0], err[1])
        if rng.random() < 0.15:
            c.caller = rng.choice(c.aw.cross)
        return d
    return build


def n_list_buckets(c: Ctx):
    return dict(rp={"Host": "s3.amazonaws.com"}, re=None, add=_s3_add(c, 8000 + 120 * len(c.aw.buckets)),
                rid=alnum(c.rng, 16).upper())


def n_describe_instances(c: Ctx):
    rng, aw = c.rng, c.aw
    if rng.random() < 0.5:
        rp = {"instancesSet": {"items": [{"instanceId": i} for i in rng.sample(aw.instances[c.region], rng.randrange(1, 9))]},
              "filterSet": {}}
    else:
        rp = {"instancesSet": {}, "filterSet": _filters(c, rng.sample(["tag:Name", "tag:team", "instance-state-name",
                                                                       "vpc-id", "tag:aws:autoscaling:groupName"],
                                                                      rng.randrange(1, 4)))}
        if rng.random() < 0.5:
            rp["maxResults"] = 1000
    return dict(rp=rp, re=None, host=f"ec2.{c.region}.amazonaws.com")


def n_describe_instance_status(c: Ctx):
    rng = c.rng
    c.caller = c.aw.service_linked[0] if rng.random() < 0.5 else c.caller
    return dict(rp={"instancesSet": {"items": [{"instanceId": i} for i in rng.sample(c.aw.instances[c.region], rng.randrange(1, 6))]},
                    "filterSet": {}, "includeAllInstances": True}, re=None)


def _ec2_describe(kind: str, idkey: str, pool: str):
    def build(c: Ctx):
        rng = c.rng
        ids = getattr(c.aw, pool)[c.region]
        r = rng.random()
        if r < 0.4:
            rp = {f"{kind}Set": {"items": [{idkey: i} for i in rng.sample(ids, min(len(ids), rng.randrange(1, 6)))]},
                  "filterSet": {}}
        elif r < 0.8:
            rp = {f"{kind}Set": {}, "filterSet": _filters(c, ["vpc-id", "tag:Name"][: rng.randrange(1, 3)])}
        else:
            rp = {f"{kind}Set": {}, "filterSet": {}, "maxResults": 1000}
        return dict(rp=rp, re=None, host=f"ec2.{c.region}.amazonaws.com")
    return build


def n_describe_images(c: Ctx):
    rng = c.rng
    return dict(rp={"executableBySet": {}, "imagesSet": {"items": [{"imageId": i} for i in c.aw.amis[c.region][: rng.randrange(1, 5)]]},
                    "ownersSet": {"items": [{"owner": "self"}, {"owner": "amazon"}]}, "availabilitySet": {},
                    "filterSet": _filters(c, ["name", "architecture", "root-device-type"]), "includeDeprecated": False,
                    "includeDisabled": False}, re=None)


def n_create_tags(c: Ctx):
    rng, aw = c.rng, c.aw
    rs = rng.sample(aw.instances[c.region] + aw.volumes[c.region], rng.randrange(1, 4))
    return dict(rp={"resourcesSet": {"items": [{"resourceId": r} for r in rs]},
                    "tagSet": {"items": [{"key": k, "value": f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}"}
                                         for k in ("Name", "team", "cost-center", "owner")[: rng.randrange(1, 5)]]}},
                re={"requestId": uuid4(rng), "_return": True}, ro=False)


def n_authorize_sg_ingress(c: Ctx):
    rng, aw = c.rng, c.aw
    sg = rng.choice(aw.sgs[c.region])
    perms = [{"ipProtocol": "tcp", "fromPort": p, "toPort": p, "groups": {},
              "ipRanges": {"items": [{"cidrIp": f"10.{rng.randrange(256)}.0.0/16", "description": f"{rng.choice(PROJECTS)} access"}]},
              "ipv6Ranges": {}, "prefixListIds": {}} for p in rng.sample([22, 80, 443, 5432, 6379, 8080, 9200], rng.randrange(1, 4))]
    rules = [{"groupOwnerId": c.account, "isEgress": False, "ipProtocol": "tcp", "fromPort": p["fromPort"],
              "toPort": p["toPort"], "cidrIpv4": p["ipRanges"]["items"][0]["cidrIp"],
              "securityGroupRuleId": f"sgr-{hexs(rng, 17)}", "groupId": sg} for p in perms]
    return dict(rp={"groupId": sg, "ipPermissions": {"items": perms}},
                re={"requestId": uuid4(rng), "_return": True, "securityGroupRuleSet": {"items": rules}}, ro=False)


def n_create_network_interface(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = c.aw.services[3]  # lambda.amazonaws.com attaching an ENI for a VPC function
    sub, vpc, sg = rng.choice(aw.subnets[c.region]), rng.choice(aw.vpcs[c.region]), rng.choice(aw.sgs[c.region])
    pip = private_ip(rng)
    return dict(rp={"subnetId": sub, "description": f"AWS Lambda VPC ENI-{rng.choice(aw.functions[c.region])}-{uuid4(rng)}",
                    "groupSet": {"items": [{"groupId": sg}]}, "privateIpAddressesSet": {}, "ipv6AddressCount": 0},
                re={"requestId": uuid4(rng), "networkInterface": {
                    "networkInterfaceId": f"eni-{hexs(rng, 17)}", "subnetId": sub, "vpcId": vpc,
                    "availabilityZone": f"{c.region}{rng.choice('abc')}", "description": "AWS Lambda VPC ENI",
                    "ownerId": c.account, "requesterId": "560378237116", "requesterManaged": True, "status": "pending",
                    "macAddress": ":".join(hexs(rng, 2) for _ in range(6)), "privateIpAddress": pip,
                    "privateDnsName": f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal", "sourceDestCheck": True,
                    "groupSet": {"items": [{"groupId": sg, "groupName": f"{rng.choice(PROJECTS)}-lambda-sg"}]},
                    "privateIpAddressesSet": {"item": [{"privateIpAddress": pip, "privateDnsName": f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal", "primary": True}]},
                    "ipv6AddressesSet": {}, "tagSet": {}, "interfaceType": "lambda"}},
                ro=False, ip=c.caller.invoked_by, ua=c.caller.invoked_by)


def _iam_read(name: str):
    def build(c: Ctx):
        rng, aw = c.rng, c.aw
        if name in ("GetRole", "ListAttachedRolePolicies", "ListRolePolicies"):
            rp = {"roleName": rng.choice(aw.roles)}
        elif name == "GetPolicy":
            rp = {"policyArn": f"arn:aws:iam::aws:policy/{rng.choice(['ReadOnlyAccess', 'AmazonS3FullAccess', 'AWSLambdaBasicExecutionRole'])}"}
        elif name == "GetUser":
            rp = {"userName": rng.choice(aw.iam_users).name}
        else:
            rp = {"maxItems": 1000} if rng.random() < 0.5 else None
        return dict(rp=rp, re=None, host="iam.amazonaws.com")
    return build


def n_put_role_policy(c: Ctx):
    rng, aw = c.rng, c.aw
    return dict(rp={"roleName": rng.choice(aw.roles), "policyName": f"{rng.choice(PROJECTS)}-inline",
                    "policyDocument": _policy_doc(c, rng.randrange(1, 5))}, re=None, ro=False, host="iam.amazonaws.com")


def n_attach_role_policy(c: Ctx):
    rng, aw = c.rng, c.aw
    return dict(rp={"roleName": rng.choice(aw.roles),
                    "policyArn": f"arn:aws:iam::aws:policy/{rng.choice(['ReadOnlyAccess', 'AmazonSSMManagedInstanceCore', 'CloudWatchAgentServerPolicy'])}"},
                re=None, ro=False, host="iam.amazonaws.com")


def n_console_login(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = aw.root if rng.random() < 0.1 else rng.choice(aw.iam_users[:6])
    ok = rng.random() < 0.93
    d = dict(rp=None, re={"ConsoleLogin": "Success" if ok else "Failure"}, ro=False, event_type="AwsConsoleSignIn",
             add={"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                  "MobileVersion": "No", "MFAIdentifier": f"arn:aws:iam::{c.account}:mfa/{rng.choice(aw.people)}",
                  "MFAUsed": "Yes"},
             ua="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
             ip=ip(rng))
    if not ok:
        d["err"] = (None, "Failed authentication")
    return d


def _lambda_read(name: str):
    def build(c: Ctx):
        rng = c.rng
        if name == "ListFunctions20150331":
            rp = {"functionVersion": "ALL"} if rng.random() < 0.5 else None
        else:
            rp = {"functionName": rng.choice(c.aw.functions[c.region])}
        return dict(rp=rp, re=None, host=f"lambda.{c.region}.amazonaws.com")
    return build


def _lambda_config_response(c: Ctx, fn: str, role: str) -> dict:
    rng = c.rng
    return {"functionName": fn, "functionArn": f"arn:aws:lambda:{c.region}:{c.account}:function:{fn}",
            "runtime": rng.choice(["python3.12", "python3.11", "nodejs20.x", "java21"]), "role": role,
            "handler": "app.handler", "codeSize": rng.randrange(2000, 40_000_000), "description": f"{fn} handler",
            "timeout": rng.choice([3, 30, 60, 300, 900]), "memorySize": rng.choice([128, 256, 512, 1024, 2048]),
            "lastModified": iso(c.t)[:-1] + ".000+0000", "codeSha256": b64(rng, 32), "version": "$LATEST",
            "vpcConfig": {"subnetIds": rng.sample(c.aw.subnets[c.region], 2), "securityGroupIds": [rng.choice(c.aw.sgs[c.region])],
                          "ipv6AllowedForDualStack": False},
            "environment": {}, "tracingConfig": {"mode": "PassThrough"}, "revisionId": uuid4(rng),
            "state": "Active", "lastUpdateStatus": "InProgress", "lastUpdateStatusReason": "The function is being created.",
            "lastUpdateStatusReasonCode": "Creating", "packageType": "Zip", "architectures": ["x86_64"],
            "ephemeralStorage": {"size": 512}, "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
            "runtimeVersionConfig": {"runtimeVersionArn": f"arn:aws:lambda:{c.region}::runtime:{hexs(rng, 64)}"},
            "loggingConfig": {"logFormat": "Text", "logGroup": f"/aws/lambda/{fn}"}}


def n_update_function_configuration(c: Ctx):
    rng, aw = c.rng, c.aw
    fn = rng.choice(aw.functions[c.region])
    role = f"arn:aws:iam::{c.account}:role/{fn}-role"
    return dict(rp={"functionName": fn, "timeout": 60, "environment": {}, "memorySize": 512,
                    "layers": [f"arn:aws:lambda:{c.region}:{c.account}:layer:{rng.choice(PROJECTS)}-deps:{rng.randrange(1, 90)}"]},
                re=_lambda_config_response(c, fn, role), ro=False)


def n_update_function_code(c: Ctx):
    rng, aw = c.rng, c.aw
    fn = rng.choice(aw.functions[c.region])
    return dict(rp={"functionName": fn, "s3Bucket": rng.choice(aw.buckets), "s3Key": f"lambda/{fn}/{hexs(rng, 40)}.zip",
                    "publish": True, "dryRun": False, "architectures": ["x86_64"]},
                re=_lambda_config_response(c, fn, f"arn:aws:iam::{c.account}:role/{fn}-role"), ro=False)


def _ddb_read(name: str):
    def build(c: Ctx):
        rng = c.rng
        if name == "ListTables":
            return dict(rp=None, re=None)
        d = dict(rp={"tableName": rng.choice(c.aw.tables[c.region])}, re=None,
                 res=None, host=f"dynamodb.{c.region}.amazonaws.com")
        if rng.random() < 0.03:
            d["err"] = ("ResourceNotFoundException", "Requested resource not found")
        return d
    return build


def _sns_read(name: str):
    def build(c: Ctx):
        rng = c.rng
        rp = None if name == "ListTopics" else {"topicArn": rng.choice(c.aw.topics[c.region])}
        if name == "ListTopics" and rng.random() < 0.4:
            rp = {"nextToken": b64(rng, 48)}
        return dict(rp=rp, re=None)
    return build


def n_create_log_stream(c: Ctx):
    rng, aw = c.rng, c.aw
    g = rng.choice(aw.log_groups[c.region])
    if g.startswith("/aws/lambda/") and aw.lambda_roles:
        c.caller = rng.choice(aw.lambda_roles)
    return dict(rp={"logGroupName": g, "logStreamName": f"{iso(c.t)[:10].replace('-', '/')}/[$LATEST]{hexs(rng, 32)}"},
                re=None, ro=False)


def n_describe_log_groups(c: Ctx):
    rng = c.rng
    rp = {"logGroupNamePrefix": rng.choice(["/aws/lambda/", "/ecs/", "/aws/rds/"])} if rng.random() < 0.6 else {"limit": 50}
    return dict(rp=rp, re=None)


def n_get_parameter(c: Ctx):
    rng = c.rng
    return dict(rp={"name": rng.choice(c.aw.params), "withDecryption": rng.random() < 0.5}, re=None,
                host=f"ssm.{c.region}.amazonaws.com")


def n_get_parameters(c: Ctx):
    rng = c.rng
    return dict(rp={"names": rng.sample(c.aw.params, rng.randrange(2, 10)), "withDecryption": True}, re=None)


def n_update_instance_information(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = rng.choice(aw.instance_roles)
    iid = c.caller.session
    pip = private_ip(rng)
    return dict(rp={"instanceId": iid, "agentVersion": "3.3.40.0", "agentName": "amazon-ssm-agent", "platformType": "Linux",
                    "platformName": "Amazon Linux", "platformVersion": "2023", "iPAddress": pip,
                    "computerName": f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal",
                    "agentStatus": "Active", "availabilityZone": f"{c.region}{rng.choice('abc')}",
                    "availabilityZoneId": f"{c.region[:3]}{c.region[-1]}-az{rng.randrange(1, 4)}"},
                re=None, ro=False, ua="amazon-ssm-agent/3.3.40.0", ip=ip(rng))


def n_send_command(c: Ctx):
    rng, aw = c.rng, c.aw
    cmds = [rng.choice(["yum -y update --security", "systemctl restart app", "df -h", "cat /etc/os-release",
                        "curl -s http://127.0.0.1:2022/api/v1/health", "/opt/app/bin/rotate-logs --keep 7"])
            for _ in range(rng.randrange(1, 5))]
    iids = rng.sample(aw.instances[c.region], rng.randrange(1, 5))
    cmd = {"commandId": uuid4(rng), "documentName": "AWS-RunShellScript", "documentVersion": "$DEFAULT", "comment": "",
           "expiresAfter": java_date(c.t + 7200), "parameters": {"commands": cmds}, "instanceIds": iids, "targets": [],
           "requestedDateTime": java_date(c.t), "status": "Pending", "statusDetails": "Pending", "outputS3Region": c.region,
           "outputS3BucketName": "", "outputS3KeyPrefix": "", "maxConcurrency": "50", "maxErrors": "0",
           "targetCount": len(iids), "completedCount": 0, "errorCount": 0, "deliveryTimedOutCount": 0, "serviceRole": "",
           "notificationConfig": {"notificationArn": "", "notificationEvents": [], "notificationType": ""},
           "cloudWatchOutputConfig": {"cloudWatchLogGroupName": "", "cloudWatchOutputEnabled": False},
           "interactive": False, "timeoutSeconds": 3600}
    return dict(rp={"instanceIds": iids, "documentName": "AWS-RunShellScript", "parameters": {"commands": cmds},
                    "interactive": False}, re={"command": cmd}, ro=False)


def n_get_secret_value(c: Ctx):
    rng = c.rng
    return dict(rp={"secretId": f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{rng.choice(c.aw.secrets)}-{alnum(rng, 6)}"},
                re=None, host=f"secretsmanager.{c.region}.amazonaws.com")


def n_ecr_auth(c: Ctx):
    return dict(rp={"registryIds": [c.account]} if c.rng.random() < 0.3 else None, re=None)


def n_ecs_describe_services(c: Ctx):
    rng = c.rng
    cl = rng.choice(c.aw.clusters)
    return dict(rp={"cluster": cl, "services": [f"{cl}-{w}" for w in rng.sample(WORDS, rng.randrange(1, 4))],
                    "include": ["TAGS"]}, re=None)


def n_ecs_run_task(c: Ctx):
    rng, aw = c.rng, c.aw
    cl = rng.choice(aw.clusters)
    td = f"arn:aws:ecs:{c.region}:{c.account}:task-definition/{cl}-job:{rng.randrange(1, 300)}"
    task_arn = f"arn:aws:ecs:{c.region}:{c.account}:task/{cl}/{hexs(rng, 32)}"
    containers = [{"containerArn": f"arn:aws:ecs:{c.region}:{c.account}:container/{cl}/{hexs(rng, 32)}/{uuid4(rng)}",
                   "taskArn": task_arn, "name": n, "image": f"{c.account}.dkr.ecr.{c.region}.amazonaws.com/{cl}-{n}:{hexs(rng, 40)}",
                   "lastStatus": "PENDING", "networkInterfaces": [], "cpu": "256", "memory": "512"}
                  for n in ("app", "sidecar", "log-router")[: rng.randrange(1, 4)]]
    task = {"attachments": [{"id": uuid4(rng), "type": "ElasticNetworkInterface", "status": "PRECREATED",
                             "details": [{"name": "subnetId", "value": rng.choice(aw.subnets[c.region])}]}],
            "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}], "availabilityZone": f"{c.region}a",
            "clusterArn": f"arn:aws:ecs:{c.region}:{c.account}:cluster/{cl}", "containers": containers, "cpu": "512",
            "createdAt": java_date(c.t), "desiredStatus": "RUNNING", "enableExecuteCommand": False, "group": f"family:{cl}-job",
            "lastStatus": "PROVISIONING", "launchType": "FARGATE", "memory": "1024", "overrides": {"containerOverrides": [{"name": "app"}],
            "inferenceAcceleratorOverrides": []}, "platformVersion": "1.4.0", "platformFamily": "Linux", "tags": [],
            "taskArn": task_arn, "taskDefinitionArn": td, "version": 1, "ephemeralStorage": {"sizeInGiB": 20}}
    return dict(rp={"cluster": cl, "count": 1, "launchType": "FARGATE", "taskDefinition": td,
                    "networkConfiguration": {"awsvpcConfiguration": {"subnets": rng.sample(aw.subnets[c.region], 2),
                                                                     "securityGroups": [rng.choice(aw.sgs[c.region])],
                                                                     "assignPublicIp": "DISABLED"}},
                    "overrides": {"containerOverrides": [{"name": "app", "command": ["python", "-m", "jobs.run", rng.choice(WORDS)]}]}},
                re={"tasks": [task], "failures": []}, ro=False)


def n_register_task_definition(c: Ctx):
    rng, aw = c.rng, c.aw
    cl = rng.choice(aw.clusters)
    cds = [{"name": n, "image": f"{c.account}.dkr.ecr.{c.region}.amazonaws.com/{cl}-{n}:{hexs(rng, 40)}", "cpu": 256,
            "memory": 512, "essential": True, "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
            "environment": [{"name": f"{w.upper()}_URL", "value": f"https://{w}.{cl}.internal"} for w in rng.sample(WORDS, 6)],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{rng.choice(aw.secrets)}"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/{cl}", "awslogs-region": c.region,
                                                                     "awslogs-stream-prefix": n}}}
           for n in ("app", "sidecar")]
    td = {"taskDefinitionArn": f"arn:aws:ecs:{c.region}:{c.account}:task-definition/{cl}-app:{rng.randrange(1, 400)}",
          "containerDefinitions": cds, "family": f"{cl}-app", "taskRoleArn": f"arn:aws:iam::{c.account}:role/{cl}-task",
          "executionRoleArn": f"arn:aws:iam::{c.account}:role/{cl}-exec", "networkMode": "awsvpc", "revision": 7,
          "volumes": [], "status": "ACTIVE", "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
                                                                    {"name": "ecs.capability.secrets.asm.environment-variables"}],
          "placementConstraints": [], "compatibilities": ["EC2", "FARGATE"], "requiresCompatibilities": ["FARGATE"],
          "cpu": "512", "memory": "1024", "registeredAt": java_date(c.t), "registeredBy": c.caller.arn or ""}
    return dict(rp={"family": f"{cl}-app", "containerDefinitions": cds, "networkMode": "awsvpc", "cpu": "512", "memory": "1024",
                    "requiresCompatibilities": ["FARGATE"]}, re={"taskDefinition": td, "tags": []}, ro=False)


def n_describe_stacks(c: Ctx):
    rng = c.rng
    return dict(rp={"stackName": f"arn:aws:cloudformation:{c.region}:{c.account}:stack/{rng.choice(c.aw.stacks)}/{uuid4(rng)}"}
                if rng.random() < 0.7 else None, re=None)


def n_describe_asgs(c: Ctx):
    rng = c.rng
    return dict(rp={"autoScalingGroupNames": rng.sample(c.aw.asgs, rng.randrange(1, 4))} if rng.random() < 0.6
                else {"maxRecords": 100}, re=None)


def n_describe_target_health(c: Ctx):
    rng = c.rng
    return dict(rp={"targetGroupArn": f"arn:aws:elasticloadbalancing:{c.region}:{c.account}:targetgroup/"
                                      f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}/{hexs(rng, 16)}"}, re=None)


def n_get_metric_data(c: Ctx):
    rng = c.rng
    q = [{"id": f"m{i}", "metricStat": {"metric": {"namespace": rng.choice(["AWS/EC2", "AWS/Lambda", "AWS/DynamoDB"]),
                                                    "metricName": rng.choice(["CPUUtilization", "Invocations", "Errors", "ConsumedReadCapacityUnits"]),
                                                    "dimensions": [{"name": "FunctionName", "value": rng.choice(c.aw.functions[c.region])}]},
                                         "period": 300, "stat": "Average"}, "returnData": True} for i in range(rng.randrange(1, 6))]
    return dict(rp={"metricDataQueries": q, "startTime": iso(c.t - 10800), "endTime": iso(c.t)}, re=None)


def n_put_evaluations(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = aw.service_linked[1]
    ev = [{"complianceResourceType": "AWS::EC2::Instance", "complianceResourceId": i, "complianceType": rng.choice(["COMPLIANT", "NON_COMPLIANT"]),
           "orderingTimestamp": java_date(c.t)} for i in rng.sample(aw.instances[c.region], rng.randrange(1, 6))]
    return dict(rp={"evaluations": ev, "resultToken": b64(rng, rng.randrange(300, 900)), "testMode": False}, re=None, ro=False)


def n_get_sampling_rules(c: Ctx):
    return dict(rp=None, re=None)


def n_lookup_events(c: Ctx):
    return dict(rp={"startTime": java_date(c.t - 86400), "endTime": java_date(c.t), "maxResults": 50}, re=None)


@dataclass
class NoiseKind:
    source: str
    name: str
    weight: float
    build: object
    ro: bool = True
    global_only: bool = False
    burst: float = BURST_RATE   # chance the same caller makes this call again next


def _noise_catalog() -> list[NoiseKind]:
    N = NoiseKind
    cat = [
        N("sts.amazonaws.com", "AssumeRole", 5, n_assume_role, burst=0.2),
        N("sts.amazonaws.com", "AssumeRoleWithSAML", 0.4, n_assume_role_saml),
        N("sts.amazonaws.com", "AssumeRoleWithWebIdentity", 0.8, n_assume_role_webid),
        N("sts.amazonaws.com", "GetCallerIdentity", 3, n_get_caller_identity),
        N("kms.amazonaws.com", "Decrypt", 9, n_decrypt),
        N("kms.amazonaws.com", "GenerateDataKey", 6, n_generate_data_key),
        N("s3.amazonaws.com", "GetBucketAcl", 2.5, _s3_bucket("acl", out=544)),
        N("s3.amazonaws.com", "GetBucketLocation", 2.5, _s3_bucket("location", out=137)),
        N("s3.amazonaws.com", "GetBucketPolicy", 1.5, _s3_bucket("policy", ("NoSuchBucketPolicy", "The bucket policy does not exist", 0.4))),
        N("s3.amazonaws.com", "GetBucketVersioning", 1, _s3_bucket("versioning", out=113)),
        N("s3.amazonaws.com", "GetBucketEncryption", 1, _s3_bucket("encryption", ("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", 0.2))),
        N("s3.amazonaws.com", "GetBucketTagging", 1, _s3_bucket("tagging", ("NoSuchTagSet", "The TagSet does not exist", 0.3))),
        N("s3.amazonaws.com", "GetBucketPublicAccessBlock", 1, _s3_bucket("publicAccessBlock", out=342)),
        N("s3.amazonaws.com", "GetBucketLogging", 0.6, _s3_bucket("logging", out=163)),
        N("s3.amazonaws.com", "GetBucketReplication", 0.5, _s3_bucket("replication", ("ReplicationConfigurationNotFoundError", "The replication configuration was not found", 0.6))),
        N("s3.amazonaws.com", "ListBuckets", 1, n_list_buckets),
        N("ec2.amazonaws.com", "DescribeInstances", 4, n_describe_instances),
        N("ec2.amazonaws.com", "DescribeInstanceStatus", 2, n_describe_instance_status),
        N("ec2.amazonaws.com", "DescribeVolumes", 1, _ec2_describe("volume", "volumeId", "volumes")),
        N("ec2.amazonaws.com", "DescribeSecurityGroups", 1.2, _ec2_describe("securityGroupId", "groupId", "sgs")),
        N("ec2.amazonaws.com", "DescribeSubnets", 1, _ec2_describe("subnet", "subnetId", "subnets")),
        N("ec2.amazonaws.com", "DescribeVpcs", 0.6, _ec2_describe("vpc", "vpcId", "vpcs")),
        N("ec2.amazonaws.com", "DescribeImages", 0.6, n_describe_images),
        N("ec2.amazonaws.com", "CreateTags", 0.6, n_create_tags, ro=False),
        N("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 0.15, n_authorize_sg_ingress, ro=False),
        N("ec2.amazonaws.com", "CreateNetworkInterface", 0.2, n_create_network_interface, ro=False),
        N("iam.amazonaws.com", "GetRole", 1.5, _iam_read("GetRole"), global_only=True),
        N("iam.amazonaws.com", "ListRoles", 0.5, _iam_read("ListRoles"), global_only=True),
        N("iam.amazonaws.com", "GetPolicy", 0.6, _iam_read("GetPolicy"), global_only=True),
        N("iam.amazonaws.com", "ListAttachedRolePolicies", 0.6, _iam_read("ListAttachedRolePolicies"), global_only=True),
        N("iam.amazonaws.com", "ListRolePolicies", 0.4, _iam_read("ListRolePolicies"), global_only=True),
        N("iam.amazonaws.com", "GetUser", 0.4, _iam_read("GetUser"), global_only=True),
        N("iam.amazonaws.com", "PutRolePolicy", 0.08, n_put_role_policy, ro=False, global_only=True),
        N("iam.amazonaws.com", "AttachRolePolicy", 0.08, n_attach_role_policy, ro=False, global_only=True),
        N("signin.amazonaws.com", "ConsoleLogin", 0.08, n_console_login, ro=False, global_only=True),
        N("lambda.amazonaws.com", "GetFunction20150331v2", 1, _lambda_read("GetFunction20150331v2")),
        N("lambda.amazonaws.com", "ListFunctions20150331", 0.6, _lambda_read("ListFunctions20150331")),
        N("lambda.amazonaws.com", "GetFunctionConfiguration20150331v2", 0.5, _lambda_read("GetFunctionConfiguration20150331v2")),
        N("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", 0.1, n_update_function_configuration, ro=False),
        N("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", 0.15, n_update_function_code, ro=False),
        N("dynamodb.amazonaws.com", "DescribeTable", 2, _ddb_read("DescribeTable")),
        N("dynamodb.amazonaws.com", "ListTables", 0.6, _ddb_read("ListTables")),
        N("sns.amazonaws.com", "GetTopicAttributes", 1, _sns_read("GetTopicAttributes")),
        N("sns.amazonaws.com", "ListSubscriptionsByTopic", 0.4, _sns_read("ListSubscriptionsByTopic")),
        N("sns.amazonaws.com", "ListTopics", 0.4, _sns_read("ListTopics")),
        N("logs.amazonaws.com", "CreateLogStream", 2.5, n_create_log_stream, ro=False),
        N("logs.amazonaws.com", "DescribeLogGroups", 1, n_describe_log_groups),
        N("ssm.amazonaws.com", "GetParameter", 2, n_get_parameter),
        N("ssm.amazonaws.com", "GetParameters", 0.8, n_get_parameters),
        N("ssm.amazonaws.com", "UpdateInstanceInformation", 2, n_update_instance_information, ro=False),
        N("ssm.amazonaws.com", "SendCommand", 0.1, n_send_command, ro=False),
        N("secretsmanager.amazonaws.com", "GetSecretValue", 2, n_get_secret_value),
        N("ecr.amazonaws.com", "GetAuthorizationToken", 1, n_ecr_auth),
        N("ecs.amazonaws.com", "DescribeServices", 0.8, n_ecs_describe_services),
        N("ecs.amazonaws.com", "RunTask", 0.1, n_ecs_run_task, ro=False),
        N("ecs.amazonaws.com", "RegisterTaskDefinition", 0.04, n_register_task_definition, ro=False),
        N("cloudformation.amazonaws.com", "DescribeStacks", 1, n_describe_stacks),
        N("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", 0.8, n_describe_asgs),
        N("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", 1, n_describe_target_health),
        N("monitoring.amazonaws.com", "GetMetricData", 1, n_get_metric_data),
        N("config.amazonaws.com", "PutEvaluations", 0.4, n_put_evaluations, ro=False),
        N("xray.amazonaws.com", "GetSamplingRules", 1, n_get_sampling_rules),
        N("cloudtrail.amazonaws.com", "LookupEvents", 0.05, n_lookup_events),
    ]
    return cat


# --- create events of the mapped kinds --------------------------------------------------------

def _create_bucket(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    rp = {"bucketName": name, "Host": f"{name}.s3.{c.region}.amazonaws.com"}
    if c.region != "us-east-1":
        rp["CreateBucketConfiguration"] = {"LocationConstraint": c.region, "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}
    if rng.random() < 0.5:
        rp["x-amz-object-ownership"] = "BucketOwnerEnforced"
    return dict(rp=rp, re=None, add=_s3_add(c), rid=alnum(rng, 16).upper(),
                res=[{"accountId": c.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{name}"}])


def _instance(c: Ctx, iid: str, ami: str, itype: str, sub: str, vpc: str, sg: str, token: str, idx: int, tags):
    rng = c.rng
    pip = private_ip(rng)
    dns = f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal"
    return {"instanceId": iid, "currentInstanceBootMode": "legacy-bios", "imageId": ami,
            "instanceState": {"code": 0, "name": "pending"}, "privateDnsName": dns, "amiLaunchIndex": idx,
            "productCodes": {}, "instanceType": itype, "launchTime": int(c.t) * 1000,
            "placement": {"availabilityZone": f"{c.region}{rng.choice('abc')}", "tenancy": "default"},
            "monitoring": {"state": "disabled"}, "subnetId": sub, "vpcId": vpc, "privateIpAddress": pip,
            "stateReason": {"code": "pending", "message": "pending"}, "architecture": "x86_64",
            "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda", "blockDeviceMapping": {},
            "virtualizationType": "hvm", "hypervisor": "xen", "tagSet": {"items": tags}, "clientToken": token,
            "groupSet": {"items": [{"groupId": sg, "groupName": f"{rng.choice(PROJECTS)}-sg"}]},
            "sourceDestCheck": True,
            "networkInterfaceSet": {"items": [{
                "networkInterfaceId": f"eni-{hexs(rng, 17)}", "subnetId": sub, "vpcId": vpc, "ownerId": c.account,
                "status": "in-use", "macAddress": ":".join(hexs(rng, 2) for _ in range(6)), "privateIpAddress": pip,
                "privateDnsName": dns, "sourceDestCheck": True, "interfaceType": "interface",
                "groupSet": {"items": [{"groupId": sg, "groupName": f"{rng.choice(PROJECTS)}-sg"}]},
                "attachment": {"attachmentId": f"eni-attach-{hexs(rng, 17)}", "deviceIndex": 0, "networkCardIndex": 0,
                               "status": "attaching", "attachTime": int(c.t) * 1000, "deleteOnTermination": True},
                "privateIpAddressesSet": {"item": [{"privateIpAddress": pip, "privateDnsName": dns, "primary": True}]},
                "ipv6AddressesSet": {}, "tagSet": {}}]},
            "ebsOptimized": False, "enaSupport": True, "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
            "capacityReservationSpecification": {"capacityReservationPreference": "open"},
            "hibernationOptions": {"configured": False}, "enclaveOptions": {"enabled": False},
            "metadataOptions": {"state": "pending", "httpTokens": "required", "httpPutResponseHopLimit": 2,
                                "httpEndpoint": "enabled", "httpProtocolIpv4": "enabled", "httpProtocolIpv6": "disabled",
                                "instanceMetadataTags": "disabled"},
            "maintenanceOptions": {"autoRecovery": "default"},
            "privateDnsNameOptions": {"hostnameType": "ip-name", "enableResourceNameDnsARecord": False,
                                      "enableResourceNameDnsAAAARecord": False}}


def _run_instances(c: Ctx, spec):
    rng, aw = c.rng, c.aw
    ids = spec["ids"]
    ami, itype = rng.choice(aw.amis[c.region]), rng.choice(["t3.micro", "t3.large", "m6i.xlarge", "c6g.2xlarge", "r6i.large"])
    sub, vpc, sg = rng.choice(aw.subnets[c.region]), rng.choice(aw.vpcs[c.region]), rng.choice(aw.sgs[c.region])
    token = uuid4(rng)
    tags = [{"key": "Name", "value": f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}"}, {"key": "team", "value": rng.choice(PROJECTS)}]
    rp = {"instancesSet": {"items": [{"imageId": ami, "minCount": len(ids), "maxCount": len(ids)}]},
          "instanceType": itype, "blockDeviceMapping": {}, "monitoring": {"enabled": False}, "disableApiTermination": False,
          "disableApiStop": False, "clientToken": token, "networkInterfaceSet": {"items": [{"deviceIndex": 0, "subnetId": sub,
                                                                                           "groupSet": {"items": [{"groupId": sg}]}}]},
          "iamInstanceProfile": {"arn": f"arn:aws:iam::{c.account}:instance-profile/app-server-profile"},
          "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": tags}]},
          "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}}
    if spec.get("error"):
        return dict(rp=rp, re=None, ro=False)
    re = {"requestId": uuid4(rng), "reservationId": f"r-{hexs(rng, 17)}", "ownerId": c.account, "groupSet": {},
          "instancesSet": {"items": [_instance(c, iid, ami, itype, sub, vpc, sg, token, i, tags) for i, iid in enumerate(ids)]}}
    if c.caller.invoked_by == "autoscaling.amazonaws.com":
        re["requesterId"] = "940372691376"
    return dict(rp=rp, re=re, ro=False)


def _create_role(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": rng.choice(["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"])},
        "Action": "sts:AssumeRole"}]})
    rp = {"roleName": name, "assumeRolePolicyDocument": trust, "path": "/", "maxSessionDuration": 3600,
          "description": f"Role for {name}"}
    if rng.random() < 0.5:
        rp["tags"] = [{"key": "team", "value": rng.choice(PROJECTS)}]
    re = {"role": {"path": "/", "roleName": name, "roleId": key_id(rng, "AROA"), "arn": f"arn:aws:iam::{c.account}:role/{name}",
                   "createDate": java_date(c.t), "assumeRolePolicyDocument": trust.replace('"', "%22").replace(" ", "%20")}}
    return dict(rp=rp, re=None if spec.get("error") else re, ro=False)


def _create_user(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    rp = {"userName": name}
    if rng.random() < 0.4:
        rp["tags"] = [{"key": "owner", "value": f"{rng.choice(c.aw.people)}@example.com"}]
    re = {"user": {"path": "/", "userName": name, "userId": key_id(rng, "AIDA"), "arn": f"arn:aws:iam::{c.account}:user/{name}",
                   "createDate": java_date(c.t)}}
    return dict(rp=rp, re=None if spec.get("error") else re, ro=False)


def _create_function(c: Ctx, spec):
    rng, aw = c.rng, c.aw
    name = spec["rname"]
    role = f"arn:aws:iam::{c.account}:role/{name}-role"
    rp = {"functionName": name, "runtime": "python3.12", "role": role, "handler": "app.handler",
          "code": {"s3Bucket": rng.choice(aw.buckets), "s3Key": f"lambda/{name}/{hexs(rng, 40)}.zip"},
          "description": f"{name} handler", "timeout": 30, "memorySize": 256, "publish": False,
          "environment": {}, "tracingConfig": {"mode": "PassThrough"}, "architectures": ["x86_64"],
          "tags": {"team": rng.choice(PROJECTS)}}
    return dict(rp=rp, re=None if spec.get("error") else _lambda_config_response(c, name, role), ro=False)


def _create_table(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    attrs = [{"attributeName": "pk", "attributeType": "S"}, {"attributeName": "sk", "attributeType": "S"}]
    keys = [{"attributeName": "pk", "keyType": "HASH"}, {"attributeName": "sk", "keyType": "RANGE"}]
    rp = {"tableName": name, "attributeDefinitions": attrs, "keySchema": keys, "billingMode": "PAY_PER_REQUEST",
          "sSESpecification": {"enabled": True, "sSEType": "KMS"}}
    re = {"tableDescription": {"attributeDefinitions": attrs, "tableName": name, "keySchema": keys, "tableStatus": "CREATING",
                               "creationDateTime": java_date(c.t),
                               "provisionedThroughput": {"numberOfDecreasesToday": 0, "readCapacityUnits": 0, "writeCapacityUnits": 0},
                               "tableSizeBytes": 0, "itemCount": 0,
                               "tableArn": f"arn:aws:dynamodb:{c.region}:{c.account}:table/{name}", "tableId": uuid4(rng),
                               "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"},
                               "sSEDescription": {"status": "ENABLED", "sSEType": "KMS",
                                                  "kMSMasterKeyArn": rng.choice(c.aw.kms_keys[c.region])},
                               "deletionProtectionEnabled": False}}
    return dict(rp=rp, re=None if spec.get("error") else re, ro=False,
                res=[{"accountId": c.account, "type": "AWS::DynamoDB::Table",
                      "ARN": f"arn:aws:dynamodb:{c.region}:{c.account}:table/{name}"}])


def _create_topic(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    rp = {"name": name}
    if rng.random() < 0.4:
        rp["attributes"] = {"KmsMasterKeyId": "alias/aws/sns"}
        rp["tags"] = [{"key": "team", "value": rng.choice(PROJECTS)}]
    re = None if spec.get("error") else {"topicArn": f"arn:aws:sns:{c.region}:{c.account}:{name}"}
    return dict(rp=rp, re=re, ro=False)


def _create_volume(c: Ctx, spec):
    rng = c.rng
    az = f"{c.region}{rng.choice('abc')}"
    size = rng.choice([8, 20, 50, 100, 500])
    rp = {"size": size, "zone": az, "volumeType": "gp3", "encrypted": True,
          "tagSpecificationSet": {"items": [{"resourceType": "volume", "tags": [{"key": "Name", "value": f"{rng.choice(PROJECTS)}-data"}]}]}}
    if spec.get("error"):
        return dict(rp=rp, re=None, ro=False)
    re = {"requestId": uuid4(rng), "volumeId": spec["ids"][0], "size": size, "zone": az, "status": "creating",
          "createTime": int(c.t) * 1000, "volumeType": "gp3", "iops": 3000, "encrypted": True,
          "kmsKeyId": rng.choice(c.aw.kms_keys[c.region]), "tagSet": {"items": [{"key": "Name", "value": f"{rng.choice(PROJECTS)}-data"}]},
          "multiAttachEnabled": False, "throughput": 125}
    return dict(rp=rp, re=re, ro=False)


def _put_parameter(c: Ctx, spec):
    """SSM PutParameter: creates the parameter, or (overwrite) updates it: a Put* event."""
    rng = c.rng
    name = spec["rname"]
    rp = {"name": name, "type": rng.choice(["String", "SecureString", "StringList"]), "overwrite": bool(spec.get("overwrite")),
          "tier": "Standard", "dataType": "text"}
    if rng.random() < 0.3:
        rp["description"] = f"{rng.choice(PROJECTS)} setting"
    re = None if spec.get("error") else {"version": 2 if spec.get("overwrite") else 1, "tier": "Standard"}
    return dict(rp=rp, re=re, ro=False, host=f"ssm.{c.region}.amazonaws.com")


@dataclass
class CreateKind:
    source: str
    name: str
    weight: float
    build: object
    naming: str                 # "name": the id is a name the caller picks (reusable); "ids": generated ids
    errors: list = field(default_factory=list)
    global_only: bool = False
    overwrite: float = 0.0      # of successful creates: the same name written again moments later (create-or-update)


CREATE_KINDS = [
    CreateKind("s3.amazonaws.com", "CreateBucket", 12, _create_bucket, "name",
               [("BucketAlreadyExists", "The requested bucket name is not available."),
                ("AccessDenied", "Access Denied")]),
    CreateKind("ec2.amazonaws.com", "RunInstances", 20, _run_instances, "ids",
               [("Client.UnauthorizedOperation", "You are not authorized to perform this operation. Encoded authorization failure message: {enc}"),
                ("Client.DryRunOperation", "Request would have succeeded, but DryRun flag is set."),
                ("Server.InsufficientInstanceCapacity", "We currently do not have sufficient capacity in the Availability Zone you requested.")]),
    CreateKind("iam.amazonaws.com", "CreateRole", 10, _create_role, "name",
               [("EntityAlreadyExistsException", "Role with name {name} already exists."),
                ("AccessDenied", "User: {arn} is not authorized to perform: iam:CreateRole")], global_only=True),
    CreateKind("iam.amazonaws.com", "CreateUser", 5, _create_user, "name",
               [("EntityAlreadyExistsException", "User with name {name} already exists."),
                ("AccessDenied", "User: {arn} is not authorized to perform: iam:CreateUser")], global_only=True),
    CreateKind("lambda.amazonaws.com", "CreateFunction20150331", 12, _create_function, "name",
               [("ResourceConflictException", "Function already exist: {name}"),
                ("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")]),
    CreateKind("dynamodb.amazonaws.com", "CreateTable", 10, _create_table, "name",
               [("ResourceInUseException", "Table already exists: {name}"),
                ("LimitExceededException", "Subscriber limit exceeded: There is a limit of 500 tables")]),
    CreateKind("sns.amazonaws.com", "CreateTopic", 12, _create_topic, "name",
               [("AuthorizationError", "User: {arn} is not authorized to perform: SNS:CreateTopic"),
                ("InvalidParameterException", "Invalid parameter: Topic Name")]),
    CreateKind("ec2.amazonaws.com", "CreateVolume", 19, _create_volume, "ids",
               [("Client.UnauthorizedOperation", "You are not authorized to perform this operation. Encoded authorization failure message: {enc}"),
                ("Client.InvalidZone.NotFound", "The zone does not exist")]),
    CreateKind("ssm.amazonaws.com", "PutParameter", 10, _put_parameter, "name",
               [("AccessDeniedException", "User: {arn} is not authorized to perform: ssm:PutParameter"),
                ("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")],
               overwrite=0.3),
]
CREATE_BY_KEY = {(k.source, k.name): k for k in CREATE_KINDS}
# The error a create of an existing name gets (half of the name reuses); CreateTopic is idempotent.
ALREADY_EXISTS = {
    "CreateBucket": ("BucketAlreadyOwnedByYou",
                     "Your previous request to create the named bucket succeeded and you already own it."),
    "CreateRole": CREATE_BY_KEY[("iam.amazonaws.com", "CreateRole")].errors[0],
    "CreateUser": CREATE_BY_KEY[("iam.amazonaws.com", "CreateUser")].errors[0],
    "CreateFunction20150331": CREATE_BY_KEY[("lambda.amazonaws.com", "CreateFunction20150331")].errors[0],
    "CreateTable": CREATE_BY_KEY[("dynamodb.amazonaws.com", "CreateTable")].errors[0],
    "PutParameter": ("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the "
                                               "overwrite option in the request to true."),
}


# --- rendering one record ---------------------------------------------------------------------

_REC = ('{"eventVersion":"1.09","userIdentity":%s,"eventTime":"%s","eventSource":"%s","eventName":"%s",'
        '"awsRegion":"%s","sourceIPAddress":"%s","userAgent":"%s"%s,"requestParameters":%s,"responseElements":%s%s,'
        '"requestID":"%s","eventID":"%s","readOnly":%s%s,"eventType":"%s","managementEvent":true,'
        '"recipientAccountId":"%s"%s%s,"eventCategory":"Management"%s}')
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _dump(x) -> str:
    return "null" if x is None else _dumps(x)


def render(c: Ctx, source: str, name: str, d: dict, ro: bool, event_id: str) -> str:
    """One CloudTrail record as compact JSON (the form CloudTrail delivers)."""
    rng = c.rng
    caller = c.caller
    ua = d.get("ua")
    if ua is None:
        if caller.kind == "AWSService" or (caller.invoked_by and rng.random() < 0.8):
            ua = caller.invoked_by
        else:
            ua = caller.uas[rng.random() < 0.2].replace("{cmd}", name.lower()).replace("{svc}", source.split(".")[0])
    src_ip = d.get("ip") or (caller.invoked_by if caller.kind == "AWSService" else (
        "AWS Internal" if ua == "AWS Internal" else caller.ips[int(rng.random() * 1.3)]))
    err = d.get("err")
    if err:
        code, msg = err
        err_part = (',"errorCode":"%s","errorMessage":%s' % (code, _dumps(msg))) if code else ',"errorMessage":%s' % _dumps(msg)
    else:
        err_part = ""
    add = d.get("add")
    add_part = ',"additionalEventData":%s' % _dumps(add) if add else ""
    res = d.get("res")
    res_part = ',"resources":%s' % _dumps(res) if res else ""
    shared = ',"sharedEventID":"%s"' % uuid4(rng) if d.get("shared") else ""
    vpce = ',"vpcEndpointId":"%s"' % d["vpce"] if d.get("vpce") else ""
    # Calls from outside AWS's own services carry tlsDetails (CloudTrail adds them since 2022).
    tls = "" if caller.kind == "AWSService" or ua == "AWS Internal" else _tls(
        c, d.get("host") or f"{source.split('.')[0]}.{c.region}.amazonaws.com")
    return _REC % (caller.render(rng, c.t), iso(c.t), source, name, c.region, src_ip, ua, err_part,
                   _dump(d.get("rp")), _dump(d.get("re")), add_part, d.get("rid") or uuid4(rng), event_id,
                   "true" if ro else "false", res_part, d.get("event_type", "AwsApiCall"), c.account, shared, vpce, tls)


class Renderer:
    """Per-process state: the world and the noise table filtered for each region."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.world = World(cfg["seed"], cfg["accounts"], cfg["regions"], cfg.get("org_id"), cfg.get("prefix", ""))
        mapped = {(e["service"], e["event"]) for r in cfg["resource_map"]["resources"] for e in r["events"]}
        cat = [k for k in _noise_catalog() if (k.source, k.name) not in mapped]
        self.noise = {r: Weighted([(k.weight, k) for k in cat if not k.global_only or r == GLOBAL_REGION])
                      for r in self.world.regions}

    def noise_record(self, rng, account, region, t, event_id=None, prev=None) -> tuple[str, tuple]:
        """One noise record, and (kind, caller) so the next can continue the same burst."""
        aw = self.world.acct[account]
        if prev is not None:
            kind, caller = prev
        else:
            kind = self.noise[region].pick(rng)
            caller = aw.noise_callers.pick(rng)
            caller = rng.choice(caller) if isinstance(caller, list) else caller
        c = Ctx(rng, aw, account, region, t, caller)
        d = kind.build(c)
        ro = d.get("ro", kind.ro)
        if "err" not in d and rng.random() < NOISE_DENIED_RATE and c.caller.arn:
            act = f"{kind.source.split('.')[0]}:{kind.name}"
            d["err"] = ("AccessDenied", f"User: {c.caller.arn} is not authorized to perform: {act} because no "
                                        f"identity-based policy allows the {act} action")
            d["re"] = None
        return render(c, kind.source, kind.name, d, ro, event_id or uuid4(rng)), (kind, c.caller)

    def create_record(self, e: dict) -> str:
        """A planned create event; rendered identically in the parent (for the expected creators) and in the worker."""
        rng = random.Random(e["seed"])
        aw = self.world.acct[e["account"]]
        kind = CREATE_BY_KEY[(e["source"], e["event"])]
        caller = aw.create_callers.pick(rng)
        caller = rng.choice(caller) if isinstance(caller, list) else caller
        if kind.name not in ("RunInstances",) and caller.invoked_by == "autoscaling.amazonaws.com":
            caller = rng.choice(aw.sso)  # the Auto Scaling service role launches instances, nothing else here
        c = Ctx(rng, aw, e["account"], e["region"], e["t"], caller)
        d = kind.build(c, e)
        if e.get("error"):
            code, msg = e["error"]
            d["err"] = (code, msg.format(name=e.get("rname"), arn=caller.arn or caller.invoked_by, enc=b64(rng, 900)))
            d["re"] = None
        return render(c, kind.source, kind.name, d, False, e["event_id"])


