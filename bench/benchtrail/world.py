"""The world a benchmark trail happens in: accounts, regions, the identities that call (with their
credentials, addresses and user agents), the resources noise refers to, and the generator's rates.
Every function takes its rng explicitly: any process builds the same world from the same seed."""

from __future__ import annotations

import base64
import bisect
import hashlib
import random
import time

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

