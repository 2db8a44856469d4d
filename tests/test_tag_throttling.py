"""Tagging while AWS throttles: the tagger's calls go through ``throttle_proxy`` (in front of
moto), which throttles a seeded, deterministic share of the tag writes and of c7n's
describe/list calls with each service's own throttling answer.

A throttled call is retried with backoff and gets through; a call throttled past its retries
fails its batch only, is named on stdout and in the plan, and the run exits 1; no resource is
tagged twice, and the rerun tags exactly what was left.  The counts come from the proxy's own
log.  Backoff sleeps are recorded and skipped (botocore's and c7n's ``time`` in this process),
so the tests assert that each throttled call was retried after a delay, not how long it took.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import aws_world
import botocore.endpoint
import c7n.tags
import c7n.utils
import pytest
import requests
from aws_world import A, Spec
from creators_db_files import write_creators_db
from helpers import error_lines, plan_actions, read_plan, run
from throttle_proxy import ThrottleProxy

SEED = 18


class Backoff:
    """A ``time`` module whose ``sleep`` records the delay and returns at once."""

    def __init__(self):
        self.delays: list[float] = []

    def sleep(self, seconds):
        self.delays.append(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def backoff(monkeypatch):
    """(botocore's sleeps, c7n's sleeps) of the test."""
    botocore_time, c7n_time = Backoff(), Backoff()
    monkeypatch.setattr(botocore.endpoint, "time", botocore_time)
    monkeypatch.setattr(c7n.utils, "time", c7n_time)
    monkeypatch.setattr(c7n.tags, "time", c7n_time)
    return botocore_time.delays, c7n_time.delays


@pytest.fixture
def proxy(moto_endpoint):
    p = ThrottleProxy(moto_endpoint, seed=SEED).start()
    yield p
    p.stop()


def seeded_world(moto_url, specs, n: int) -> aws_world.World:
    """A world whose accounts and names are the same on every run, and moto's random source
    seeded: the requests, and so what the proxy throttles, are the same on every run of the
    same tests."""
    requests.post(f"{moto_url}/moto-api/seed?a={SEED}", timeout=10)
    return aws_world.build(specs, accounts=(f"3333{n:08d}", f"4444{n:08d}", f"t{n}"))


def request_name(b: aws_world.Built) -> str:
    """How the tag write names the resource: the Resource Groups Tagging API takes ARNs."""
    return b.arn if b.spec.rtype in ("lambda", "dynamodb-table") else b.id


def to_tag(world) -> set[tuple[str, str]]:
    """(account, name in the tag write) of every resource a complete run tags."""
    return {(b.spec.account, request_name(b)) for b in world
            if b.spec.who and not b.spec.preset and aws_world.creator_values(b.spec.account, b.spec.who)[1] is None}


def figures(proxy) -> dict:
    throttled = [c for c in proxy.log if c.throttled]
    return {
        "requests": len(proxy.log),
        "throttled": len(throttled),
        "throttled tag writes": sum(c.tag_write for c in throttled),
        "throttled reads": sum(not c.tag_write for c in throttled),
        "tag writes accepted": sum(c.tag_write and not c.throttled for c in proxy.log),
        "by answer": dict(Counter(f"{c.service}:{c.status}" for c in throttled)),
    }


def test_tag_org_rides_out_throttling(aws, proxy, backoff, tmp_path):
    world = seeded_world(aws, aws_world.SPECS, 181)
    db = write_creators_db(tmp_path / "creators.db", aws_world.creator_rows(world))
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"accounts": [
        {"account_id": world.a, "name": "acct-a", "role": aws_world.ORG_ROLE},
        {"account_id": world.b, "name": "acct-b", "role": aws_world.ORG_ROLE}]}))
    proxy.fraction, proxy.tag_fraction = 0.25, 0.4   # at most 3 in a row: 10 attempts get through
    args = ["tag-org", "-c", accounts, "--db", db, "--creator-tag", "Owner", "-r", "us-east-1", "-r", "eu-west-1",
            "--plan", tmp_path / "plan.csv"]

    first = run(*args, env={"AWS_ENDPOINT_URL": proxy.url})
    print(figures(proxy), first.stdout, sep="\n")
    assert first.exit_code == 0, first.output
    expected = to_tag(world)
    assert len(expected) == 26
    assert f"Total resources tagged: {len(expected)}" in first.stdout
    aws_world.assert_tags(aws_world.expected_tags(world), world.observed())

    # the proxy's log: every resource in exactly one accepted tag write, and only those
    tagged = proxy.tagged()
    assert set(tagged) == expected
    assert set(tagged.values()) == {1}
    throttled = proxy.calls(throttled=True)
    # (EC2's ids are moto's random draws, which depend on the tests run before: its tag writes
    # may or may not be among the throttled; the other requests are the same in every session)
    assert {c.service for c in throttled if c.tag_write} >= {"iam", "sns", "s3", "tagging"}
    assert {c.service for c in throttled if not c.tag_write} >= {"ec2", "iam", "s3", "sts", "dynamodb"}
    # each throttled request was sent again and went through; each retry after a backoff delay,
    # all of them botocore's (10 attempts: c7n's own retries never had to step in)
    assert all(any(c.key == t.key and not c.throttled and c.status < 300 for c in proxy.log) for t in throttled)
    botocore_sleeps, c7n_sleeps = backoff
    assert len(botocore_sleeps) == len(throttled) and all(s > 0 for s in botocore_sleeps)
    assert c7n_sleeps == []

    proxy.reset_log()
    second = run(*args, env={"AWS_ENDPOINT_URL": proxy.url})
    assert second.exit_code == 0, second.output
    assert "Total resources tagged: 0" in second.stdout
    assert not proxy.calls(tag_write=True)
    assert "tag" not in plan_actions(read_plan(tmp_path / "plan.csv")).values()


# account A's us-east-1 and IAM, with a bucket and a table more that have a creator
STUCK_SPECS = aws_world.SMALL + (
    Spec(A, "us-east-1", "s3", "tc-{n}-a-east-docs", "carol"),
    Spec(A, "us-east-1", "dynamodb-table", "a-carts", "bob"),
)


def test_throttled_past_the_retries_fails_its_batch_and_the_rerun_tags_the_rest(aws, proxy, backoff, tmp_path):
    world = seeded_world(aws, STUCK_SPECS, 182)
    a = world.a
    b = world.by_name
    db = write_creators_db(tmp_path / "creators.db", aws_world.creator_rows(world))
    args = ["tag", "--db", db, "--creator-tag", "Owner", "--region", "us-east-1",
            "--assume", aws_world.role_arn(a), "--plan", tmp_path / "plan.csv"]
    proxy.fraction, proxy.tag_fraction = 0.25, 0.4
    # throttled every time: one tag write per protocol, and the DynamoDB listing
    proxy.stuck = {("CreateTags", b("a-web").id), ("TagRole", "app-role"), ("TagResource", b("a-alerts").id),
                   ("PutBucketTagging", b("tc-{n}-a-east-docs").id), ("TagResources", b("a-fn-east").arn),
                   ("ListTables", "*")}
    failed = {("ec2", b("a-web").id): "RequestLimitExceeded", ("iam-role", "app-role"): "Throttling",
              ("sns", b("a-alerts").id): "Throttled", ("s3", b("tc-{n}-a-east-docs").id): "SlowDown",
              ("lambda", "a-fn-east"): "ThrottledException",
              ("dynamodb-table", "a-orders"): "ThrottlingException", ("dynamodb-table", "a-carts"): "ThrottlingException"}

    first = run(*args, env={"AWS_ENDPOINT_URL": proxy.url})
    print(figures(proxy), first.stdout, first.stderr, sep="\n")
    assert first.exit_code == 1
    actions = plan_actions(read_plan(tmp_path / "plan.csv"))
    for (rtype, rid), code in failed.items():
        assert actions[(a, rtype, rid)] == f"failed:{code}", (rtype, rid)
    for (rtype, code), n in Counter((rtype, code) for (rtype, _), code in failed.items()).items():
        ids = ",".join(sorted(rid for (t, rid) in failed if t == rtype))
        assert f"account:{a} region:us-east-1 failed {n} {rtype} resources error:{code} ids:{ids}\n" in first.stdout
    assert {k[2] for k, v in actions.items() if v == "tag"} == \
        {b("a-data").id, b("a-app-sg").id, "lambda-exec", "erin"}
    summary = f"summary account:{a} region:us-east-1 tagged:4 would-tag:0 has-tag:1 no-creator:3 excluded:1 " \
              f"failed:7 throttled:7"
    assert summary in first.stdout
    assert error_lines(first.stderr) == ["Error: 7 resource(s) could not be tagged (7 throttled past the retries: "
                                         "run again to tag what is left): see the failed and summary lines above"]
    assert "Traceback" not in first.output

    tagged = proxy.tagged()
    assert set(tagged) == {(a, b("a-data").id), (a, b("a-app-sg").id), (a, "lambda-exec"), (a, "erin")}
    assert set(tagged.values()) == {1}
    # botocore's 10 attempts per call; c7n calls the EC2 and IAM tag writes again, 8 times in all
    attempts = Counter(c.operation for c in proxy.calls(throttled=True)
                       if any((c.operation, r) in proxy.stuck for r in (*c.resources, "*")))
    assert attempts == {"CreateTags": 80, "TagRole": 80, "TagResource": 10, "PutBucketTagging": 10,
                        "TagResources": 10, "ListTables": 80}
    botocore_sleeps, c7n_sleeps = backoff
    assert len(c7n_sleeps) == 3 * 7           # CreateTags, TagRole, ListTables: 7 pauses between 8 calls
    observed = world.observed(accounts=[a])
    assert observed[(a, "us-east-1", "sns", b("a-alerts").id)] is None
    assert observed[(a, "us-east-1", "s3", b("tc-{n}-a-east-bucket").id)] == "preset-owner"

    proxy.stuck = set()
    proxy.reset_log()
    second = run(*args, env={"AWS_ENDPOINT_URL": proxy.url})
    print(figures(proxy), second.stdout, sep="\n")
    assert second.exit_code == 0, second.output
    # exactly what was left: the failed resources, less the one the database excludes
    left = {(a, request_name(b(n))) for n in ("a-web", "a-alerts", "tc-{n}-a-east-docs", "a-fn-east", "a-carts")}
    assert set(proxy.tagged()) == left | {(a, "app-role")}
    assert set(proxy.tagged().values()) == {1}
    assert "Total resources tagged: 6" in second.stdout
    aws_world.assert_tags(aws_world.expected_tags(world), world.observed(accounts=[a]))
