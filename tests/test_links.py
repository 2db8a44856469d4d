"""The person behind the automation: role chains, source identity, CloudFormation stacks,
instance profiles and Auto Scaling groups, followed from a trail written in CloudTrail's
layout through `trailcreator load`; `--no-follow` gives the principal itself."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trailgen as tg
from conftest import rows

A = "111111111111"
R = "us-east-1"
T = dt.datetime(2024, 5, 1, 9)
STACK_REGION = "eu-west-1"
STACK_ID = f"arn:aws:cloudformation:{STACK_REGION}:{A}:stack/web/8a1b2c3d-0000-11ef-9f00-0a1b2c3d4e5f"
I_LAUNCHED, I_ORPHAN, I_ASG = "i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2", "i-0ccccccccccccccc3"


def at(minutes: int) -> dt.datetime:
    return T + dt.timedelta(minutes=minutes)


def user(name: str) -> dict:
    return tg.identity_iam_user(A, name)


def session(role: str, name: str, key: str, **kw) -> dict:
    return tg.identity_assumed_role(A, role, name, access_key_id=key, **kw)


def bucket(identity: dict, name: str, when: dt.datetime) -> dict:
    return tg.event(A, R, "s3.amazonaws.com", "CreateBucket", identity, when, {"bucketName": name}, None)


def cfn_role(name: str, when: dt.datetime, stack_id: str = STACK_ID) -> dict:
    """An IAM role CloudFormation created with its service role (IAM records in us-east-1)."""
    return tg.event(A, R, "iam.amazonaws.com", "CreateRole", session("cfn-service-role", "AWSCloudFormation", "ASIACFNSERVICE000001"),
                    when, {"roleName": name, "tags": [{"key": "aws:cloudformation:stack-id", "value": stack_id},
                                                      {"key": "aws:cloudformation:stack-name", "value": "web"}]},
                    {"role": {"roleName": name, "arn": f"arn:aws:iam::{A}:role/{name}"}})


def run_instances(identity: dict, instance_id: str, when: dt.datetime, tags: list[dict] | None = None) -> dict:
    request = {"instancesSet": {"items": [{"imageId": "ami-0123456789abcdef0", "minCount": 1, "maxCount": 1}]}}
    if tags:
        request["tagSpecificationSet"] = {"items": [{"resourceType": "instance", "tags": tags}]}
    return tg.event(A, R, "ec2.amazonaws.com", "RunInstances", identity, when, request,
                    {"instancesSet": {"items": [{"instanceId": instance_id, "networkInterfaceSet": {"items": []}}]}})


def scenario_trail() -> tg.Trail:
    """One case per link; the comments give the person each resource should get."""
    t = tg.Trail()
    sts = []
    # one hop -> alice
    sts.append(tg.assume_role(A, user("alice"), at(0), "deploy", "deploy-7", "ASIAONEHOP0000000001"))
    # two hops -> bob
    sts.append(tg.assume_role(A, user("bob"), at(1), "ci", "ci-runner", "ASIATWOHOPS000000001"))
    sts.append(tg.assume_role(A, session("ci", "ci-runner", "ASIATWOHOPS000000001"), at(2), "deploy", "deploy-8",
                              "ASIATWOHOPS000000002"))
    # a cycle -> nobody: the session's own name stays
    sts.append(tg.assume_role(A, session("loop-b", "loop-b", "ASIACYCLE00000000002"), at(3), "loop-a", "loop-a",
                              "ASIACYCLE00000000001"))
    sts.append(tg.assume_role(A, session("loop-a", "loop-a", "ASIACYCLE00000000001"), at(4), "loop-b", "loop-b",
                              "ASIACYCLE00000000002"))
    # an Identity Center session (its own key issued outside the trail) -> jane@example.com
    sts.append(tg.assume_role(A, session("AWSReservedSSO_Admin_0123", "jane@example.com", "ASIASSO0000000000001"), at(5),
                              "terraform", "tf", "ASIASSO0000000000002"))
    # a Lambda function's session, issued to the Lambda service -> nobody (no-person)
    sts.append(tg.assume_role(A, tg.identity_aws_service("lambda.amazonaws.com"), at(6), "fn-role", "my-func",
                              "ASIALAMBDA0000000001"))
    # the same AssumeRole delivered twice counts once
    t.add(sts, tag="sts")
    t.add(sts[:1], tag="sts-dup")

    t.add([
        bucket(session("deploy", "deploy-7", "ASIAONEHOP0000000001"), "one-hop", at(10)),
        bucket(session("deploy", "deploy-8", "ASIATWOHOPS000000002"), "two-hops", at(11)),
        bucket(session("loop-a", "loop-a", "ASIACYCLE00000000001"), "cycle", at(12)),
        bucket(session("terraform", "tf", "ASIASSO0000000000002"), "via-sso", at(13)),
        bucket(session("fn-role", "my-func", "ASIALAMBDA0000000001"), "from-lambda", at(14)),
        bucket(session("build", "build-42", "ASIANOTINTRAIL000001", source_identity="carol"), "source-id", at(15)),
        bucket(user("henry"), "direct", at(16)),
    ], tag="buckets")

    # CloudFormation: dave creates stack web (eu-west-1), erin updates it; the service role creates
    # one role before the update and one after it.
    t.add([
        tg.event(A, STACK_REGION, "cloudformation.amazonaws.com", "CreateStack", user("dave"), at(20),
                 {"stackName": "web", "roleARN": f"arn:aws:iam::{A}:role/cfn-service-role"}, {"stackId": STACK_ID}),
        tg.event(A, STACK_REGION, "cloudformation.amazonaws.com", "UpdateStack", user("erin"), at(40),
                 {"stackName": STACK_ID}, {"stackId": STACK_ID}),
    ], tag="stacks")
    t.add([cfn_role("web-role-1", at(25)), cfn_role("web-role-2", at(45))], tag="cfnroles")

    # Instance profiles: frank launches an instance whose role creates a bucket; another
    # instance's launch is not in the trail.
    t.add([run_instances(user("frank"), I_LAUNCHED, at(50))], tag="launch")
    t.add([bucket(session("web-instance", I_LAUNCHED, "ASIAINSTANCE00000001"), "from-instance", at(55)),
           bucket(session("web-instance", I_ORPHAN, "ASIAINSTANCE00000002"), "orphan-instance", at(56))], tag="inst")

    # Auto Scaling: grace creates group web-asg; its service-linked role launches an instance,
    # whose role creates a bucket.
    asg_role = {
        "type": "AssumedRole", "principalId": "AROAASG:AutoScaling",
        "arn": f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling",
        "accountId": A, "accessKeyId": "ASIAASG0000000000001", "invokedBy": "autoscaling.amazonaws.com",
        "sessionContext": {"sessionIssuer": {
            "type": "Role", "principalId": "AROAASG",
            "arn": f"arn:aws:iam::{A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            "accountId": A, "userName": "AWSServiceRoleForAutoScaling"}},
    }
    t.add([tg.event(A, R, "autoscaling.amazonaws.com", "CreateAutoScalingGroup", user("grace"), at(60),
                    {"autoScalingGroupName": "web-asg", "minSize": 1, "maxSize": 2}, None),
           run_instances(asg_role, I_ASG, at(61), [{"key": "aws:autoscaling:groupName", "value": "web-asg"}])], tag="asg")
    t.add([bucket(session("web-instance", I_ASG, "ASIAINSTANCE00000003"), "from-asg-instance", at(65))], tag="asginst")
    return t


EXPECTED = {
    # resource id: (creator, via, via_path, link_note)
    "one-hop": ("alice", "assume-role", "assume-role", None),
    "two-hops": ("bob", "assume-role", "assume-role > assume-role", None),
    "cycle": ("loop-a", None, None, "cycle"),
    "via-sso": ("jane@example.com", "assume-role", "assume-role", None),
    "from-lambda": ("my-func", None, None, "no-person"),
    "source-id": ("carol", "source-identity", "source-identity", None),
    "direct": ("henry", None, None, None),
    "web-role-1": ("dave", "cloudformation:web", "cloudformation:web", None),
    "web-role-2": ("erin", "cloudformation:web", "cloudformation:web", None),
    "from-instance": ("frank", f"instance:{I_LAUNCHED}", f"instance:{I_LAUNCHED}", None),
    "orphan-instance": (None, None, None, None),
    I_ASG: ("grace", "autoscaling:web-asg", "autoscaling:web-asg", None),
    "from-asg-instance": ("grace", f"instance:{I_ASG}", f"instance:{I_ASG} > autoscaling:web-asg", None),
    "web": ("dave", None, None, None),
    I_LAUNCHED: ("frank", None, None, None),
    "web-asg": ("grace", None, None, None),
}


@pytest.fixture(scope="module")
def scenario_root(tmp_path_factory):
    return scenario_trail().write_dir(str(tmp_path_factory.mktemp("links") / "trail"))


def by_id(db) -> dict[str, dict]:
    got = {}
    for r in rows(db, "select * from resource_creators where resource_type <> 'eni'"):
        assert r["resource_id"] not in got, r
        got[r["resource_id"]] = r
    return got


def test_each_link_finds_the_person(cli, tmp_path, scenario_root):
    db = tmp_path / "c.db"
    cli("load", "--trail", scenario_root, "--db", db)
    got = by_id(db)
    assert set(got) == set(EXPECTED)
    for rid, (creator, via, via_path, note) in EXPECTED.items():
        r = got[rid]
        assert (r["creator"], r["via"], r["via_path"], r["link_note"]) == (creator, via, via_path, note), (rid, r)
    # the direct principal is kept as recorded
    assert got["one-hop"]["session_name"] == "deploy-7" and got["one-hop"]["identity_type"] == "AssumedRole"
    assert got["one-hop"]["person_user_name"] == "alice" and got["one-hop"]["link_hops"] == 1
    assert got["two-hops"]["link_hops"] == 2
    assert got["from-asg-instance"]["link_hops"] == 2
    assert got["web-role-1"]["session_name"] == "AWSCloudFormation" and got["web-role-1"]["region"] == R
    assert got["orphan-instance"]["excluded_reason"] == "instance-profile"
    assert got["from-instance"]["excluded_reason"] is None
    assert got[I_ASG]["excluded_reason"] is None and got[I_ASG]["principal_arn"].endswith("/AutoScaling")
    # the person's event can be audited
    assert got["source-id"]["person_event_id"] == got["source-id"]["event_id"]
    assert got["web-role-2"]["person_event_id"] != got["web-role-1"]["person_event_id"]
    # upstream's events table names the person too
    users = {r["resource_ids"]: r["user_id"] for r in rows(db, "select * from events")}
    assert users["one-hop"] == f"arn:aws:iam::{A}:user/alice" and users["from-instance"] == f"arn:aws:iam::{A}:user/frank"
    assert "orphan-instance" not in users


def test_no_follow_gives_the_principal(cli, tmp_path, scenario_root):
    db = tmp_path / "c.db"
    cli("load", "--trail", scenario_root, "--db", db, "--no-follow")
    got = by_id(db)
    assert {r["via"] for r in got.values()} == {None}
    assert {r["link_note"] for r in got.values()} == {None}
    assert got["one-hop"]["creator"] == "deploy-7"
    assert got["web-role-2"]["creator"] == "AWSCloudFormation"
    assert got["from-instance"]["creator"] is None and got["from-instance"]["excluded_reason"] == "instance-profile"
    assert got[I_ASG]["excluded_reason"] == "service-linked-role"
    assert got["source-id"]["creator"] == "build-42"
    # following again on the same files: the links come back (their events are read again)
    cli("load", "--trail", scenario_root, "--db", db)
    assert by_id(db)["one-hop"]["creator"] == "alice"


def test_creator_format_applies_to_the_person(cli, tmp_path, scenario_root):
    db = tmp_path / "c.db"
    cli("load", "--trail", scenario_root, "--db", db, "--creator-format", "arn")
    got = by_id(db)
    assert got["one-hop"]["creator"] == f"arn:aws:iam::{A}:user/alice"
    assert got["via-sso"]["creator"] == f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_Admin_0123/jane@example.com"
    assert got["source-id"]["creator"] == "carol"  # a source identity is a name only


# --- property: a person stays a person -------------------------------------------------------

PEOPLE = [user("p-alice"), user("p-bob"), tg.identity_root(A),
          {"type": "SAMLUser", "principalId": "saml:x", "userName": "p-saml", "accountId": A,
           "identityProvider": "arn:aws:iam::111111111111:saml-provider/idp"}]
KEYS = [f"ASIAPROP{i:012d}" for i in range(4)]


@st.composite
def link_trails(draw):
    """A small trail: role sessions that assumed each other (cycles included), instances, and
    creates by people and by sessions, each invoked by CloudFormation or not."""
    def identity():
        kind = draw(st.sampled_from(["person", "session", "instance", "service"]))
        if kind == "person":
            ui = dict(draw(st.sampled_from(PEOPLE)))
            if draw(st.booleans()):  # a person acting through CloudFormation stays that person
                ui["invokedBy"] = "cloudformation.amazonaws.com"
            return ui
        if kind == "instance":
            return session("web", draw(st.sampled_from([I_LAUNCHED, I_ORPHAN])), draw(st.sampled_from(KEYS)))
        if kind == "service":
            return tg.identity_aws_service(draw(st.sampled_from(["cloudformation.amazonaws.com", "ec2.amazonaws.com"])))
        return session(draw(st.sampled_from(["ci", "deploy"])), draw(st.sampled_from(["s1", "AWSCloudFormation"])),
                       draw(st.sampled_from(KEYS)),
                       source_identity=draw(st.sampled_from([None, None, "p-src"])))

    recs = []
    for i in range(draw(st.integers(0, 6))):
        recs.append(tg.assume_role(A, identity(), at(i), "deploy", f"s{i}", draw(st.sampled_from(KEYS))))
    if draw(st.booleans()):
        recs.append(run_instances(identity(), I_LAUNCHED, at(10)))
    recs.append(tg.event(A, STACK_REGION, "cloudformation.amazonaws.com", "CreateStack", identity(), at(11),
                         {"stackName": "web"}, {"stackId": STACK_ID}))
    for i in range(draw(st.integers(1, 8))):
        request = {"bucketName": f"prop-{i}"}
        if draw(st.booleans()):
            request["tags"] = [{"key": "aws:cloudformation:stack-id", "value": STACK_ID}]
        recs.append(tg.event(A, R, "s3.amazonaws.com", "CreateBucket", identity(), at(20 + i), request, None))
    return recs


def is_person(row) -> bool:
    return row["excluded_reason"] is None and row["identity_type"] not in ("AssumedRole", "AWSService")


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(link_trails())
def test_following_links_never_changes_a_person(cli, tmp_path_factory, recs):
    tmp = tmp_path_factory.mktemp("prop")
    trail = tg.Trail()
    for i, r in enumerate(recs):
        trail.add([r], tag=f"r{i}")
    root = trail.write_dir(str(tmp / "trail"))
    follow, direct = tmp / "follow.db", tmp / "direct.db"
    cli("load", "--trail", root, "--db", follow)
    cli("load", "--trail", root, "--db", direct, "--no-follow")
    a = {(r["resource_type"], r["resource_id"]): r for r in rows(follow, "select * from resource_creators")}
    b = {(r["resource_type"], r["resource_id"]): r for r in rows(direct, "select * from resource_creators")}
    assert set(a) == set(b)
    people = [k for k, r in b.items() if is_person(r)]
    for k in people:
        assert a[k]["via"] is None and a[k]["link_note"] is None, a[k]
        for col in ("creator", "creator_raw", "excluded_reason", "event_id", "identity_type", "principal_arn"):
            assert a[k][col] == b[k][col], (k, col)
    # and the rows that are not people are where links may act: each either kept its
    # principal or names how its person was found
    for k, r in a.items():
        if k not in people:
            assert (r["via"] is None) == (r["person_event_id"] is None), r
