"""Smoke test of the benchmark's trail generator (bench/generate_trail.py). Nothing here is timed.

The expected creators are checked against the real ``trailcreator load`` of a small generated
trail, so the generator's answer is the product's, not a second opinion of its own.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib
import importlib.util
import json
import re
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LOG_RE = re.compile(r"^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
                    r"(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8})T(\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$")
DIGEST_RE = re.compile(r"^AWSLogs/(\d{12})/CloudTrail-Digest/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
                       r"(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_[A-Za-z0-9-]+_[a-z0-9-]+_\d{8}T\d{6}Z\.json\.gz$")


def _load(name: str):
    """A bench/ script as a module (bench/ is not a package); registered so its pool can pickle it."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def trail(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trail")
    gen = _load("generate_trail")
    assert gen.main(["--out", str(out), "--objects", "5", "--records-per-object", "1000", "--accounts", "2",
                     "--regions", "2", "--days", "2", "--seed", "7", "--workers", "1", "--quiet"]) == 0
    return out


def _oracle():
    """bench/benchtrail/expected.py (generate_trail puts bench/ on the path)."""
    _load("generate_trail")
    return importlib.import_module("benchtrail.expected")


def _files(trail: Path) -> list[str]:
    return sorted(str(p.relative_to(trail)) for p in trail.rglob("*") if p.is_file())


def _logs(trail: Path) -> dict[str, list[dict]]:
    """Records of every log object, by relative path."""
    out = {}
    for rel in _files(trail):
        if LOG_RE.match(rel):
            doc = json.loads(gzip.decompress((trail / rel).read_bytes()))
            assert set(doc) == {"Records"}
            out[rel] = doc["Records"]
    return out


def test_layout_and_gzip(trail):
    files = _files(trail)
    assert {"expected_creators.csv", "resource_map.json", "manifest.json"} <= set(files)
    logs = [f for f in files if LOG_RE.match(f)]
    digests = [f for f in files if DIGEST_RE.match(f)]
    others = set(files) - set(logs) - set(digests) - {"expected_creators.csv", "resource_map.json", "manifest.json"}
    assert not others, others
    assert len(logs) == 5
    assert digests, "digest files beside the logs"
    for rel in logs:
        m = LOG_RE.match(rel)
        acct, region, y, mo, d, acct2, region2, ymd, _hm = m.groups()
        assert (acct, region, y + mo + d) == (acct2, region2, ymd), rel
        raw = gzip.decompress((trail / rel).read_bytes())  # valid gzip
        for rec in json.loads(raw)["Records"]:
            assert rec["recipientAccountId"] == acct
            assert rec["awsRegion"] == region
            assert rec["eventTime"][:10] <= f"{y}-{mo}-{d}"  # never delivered before it happened
    for rel in digests:
        doc = json.loads(gzip.decompress((trail / rel).read_bytes()))
        assert "Records" not in doc  # a digest is not an event file
        assert doc["awsAccountId"] == DIGEST_RE.match(rel).group(1)
        for lf in doc["logFiles"]:  # digests name real log objects, with the hash of their content
            data = gzip.decompress((trail / lf["s3Object"]).read_bytes())
            assert hashlib.sha256(data).hexdigest() == lf["hashValue"]
    manifest = json.loads((trail / "manifest.json").read_text())
    assert manifest["objects"] == len(logs)
    assert manifest["digest_files"] == len(digests)
    assert manifest["records"] == sum(len(r) for r in _logs(trail).values())


def _records_in_delivery_order(trail: Path) -> list[dict]:
    return [rec for _rel, records in sorted(_logs(trail).items()) for rec in records]


@pytest.fixture(scope="module")
def loaded(trail, tmp_path_factory) -> dict:
    """resource_creators as the real ``trailcreator load`` writes it for the trail (links not
    followed: the expected file gives the winning event's own principal), by key."""
    from click.testing import CliRunner
    from trailcreator.cli import cli

    db = tmp_path_factory.mktemp("load") / "creators.db"
    result = CliRunner().invoke(cli, ["load", "--trail", str(trail), "--resource-map", str(trail / "resource_map.json"),
                                      "--db", str(db), "--no-follow"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    con = sqlite3.connect(db)
    try:
        rows = con.execute("select account_id, region, resource_type, resource_id, principal_arn, event_id, event_time, "
                           "event_name from resource_creators").fetchall()
    finally:
        con.close()
    return {tuple(str(x) for x in r[:4]): tuple("" if x is None else str(x) for x in r[4:]) for r in rows}


def _expected(trail: Path) -> dict:
    with open(trail / "expected_creators.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == ["account_id", "region", "resource_type", "resource_id", "creator_principal_arn",
                                      "event_id", "event_time", "event_name"]
    return {tuple(list(r.values())[:4]): tuple(list(r.values())[4:]) for r in rows}


def test_expected_creators_are_what_the_load_finds(trail, loaded):
    """The expected file is the real load's answer, row for row and column for column."""
    expected = _expected(trail)
    assert len({k[2] for k in expected}) >= 6
    assert set(expected) == set(loaded), (set(expected) ^ set(loaded))
    wrong = {k: (expected[k], loaded[k]) for k in expected if expected[k] != loaded[k]}
    assert not wrong, wrong


def test_the_ordering_rules_are_exercised(trail, loaded):
    """The trail holds cases a wrong rule gets wrong: a name created twice (the later create wins)
    and a parameter put twice (PutParameter creates or updates: the earliest put wins). An oracle
    that took the latest event for both, as this generator's did, disagrees with the load here."""
    ex = _oracle()
    rmap = ex.load_map(str(trail / "resource_map.json"))
    rules = ex.rules(rmap)
    events = defaultdict(list)  # key -> successful events that name it, each once
    seen = set()
    for rec in _records_in_delivery_order(trail):
        pair = (rec["eventSource"], rec["eventName"])
        if pair in rules and rec.get("errorCode") is None and rec["eventID"] not in seen:
            seen.add(rec["eventID"])
            for rtype, rid in ex.resource_ids(rec, rules[pair]):
                events[(rec["recipientAccountId"], rec["awsRegion"], rtype, rid)].append(rec)
    many = {k: v for k, v in events.items() if len(v) > 1}
    puts = {k: v for k, v in many.items() if all(r["eventName"].startswith("Put") for r in v)}
    creates = {k: v for k, v in many.items() if not any(r["eventName"].startswith("Put") for r in v)}
    assert puts and creates
    for k, v in puts.items():
        earliest = min(r["eventTime"] for r in v)
        assert loaded[k][1] == max(r["eventID"] for r in v if r["eventTime"] == earliest)
        assert loaded[k][1] != max(v, key=lambda r: (r["eventTime"], r["eventID"]))["eventID"]  # latest-wins is wrong
    for k, v in creates.items():
        assert loaded[k][1] == max(v, key=lambda r: (r["eventTime"], r["eventID"]))["eventID"]


def test_trail_has_the_hard_cases(trail):
    logs = _logs(trail)
    rmap = json.loads((trail / "resource_map.json").read_text())
    mapped = {(e["service"], e["event"]) for r in rmap["resources"] for e in r["events"]}
    where = defaultdict(set)
    by_id = {}
    for rel, records in logs.items():
        for rec in records:
            where[rec["eventID"]].add(rel)
            if rec["eventID"] in by_id:
                assert by_id[rec["eventID"]] == rec  # a duplicate is the same event delivered again
            by_id[rec["eventID"]] = rec
    creates = [r for r in by_id.values() if (r["eventSource"], r["eventName"]) in mapped]
    # duplicates: the same eventID in two objects, a create among them
    dup_ids = {e for e, objs in where.items() if len(objs) > 1}
    assert dup_ids
    assert any((by_id[e]["eventSource"], by_id[e]["eventName"]) in mapped for e in dup_ids)
    # failed creates, which must not count
    failed = [r for r in creates if r.get("errorCode")]
    assert failed
    expected_ids = {r["event_id"] for r in csv.DictReader(open(trail / "expected_creators.csv", newline=""))}
    assert not expected_ids & {r["eventID"] for r in failed}
    # (names created or put twice: test_the_ordering_rules_are_exercised)
    # late delivery: an event in the next day's folder, a create among them
    late = []
    for rel, records in logs.items():
        y, mo, d = LOG_RE.match(rel).groups()[2:5]
        late += [r for r in records if r["eventTime"][:10] < f"{y}-{mo}-{d}"]
    assert late and any((r["eventSource"], r["eventName"]) in mapped for r in late)
    # identities of many kinds, noise of many kinds, creates about 1%
    kinds = {r["userIdentity"]["type"] for r in by_id.values()}
    assert {"IAMUser", "AssumedRole", "AWSService", "Root"} <= kinds
    assert any(r["userIdentity"].get("arn", "").split("/")[-1].startswith("i-") for r in by_id.values())
    assert any("AWSReservedSSO_" in r["userIdentity"].get("arn", "") for r in by_id.values())
    assert len({r["eventName"] for r in by_id.values()}) >= 30
    assert 0.005 < len(creates) / len(by_id) < 0.03
    assert any(r["responseElements"] is None for r in by_id.values())


def test_deterministic_across_worker_counts(trail, tmp_path):
    gen = _load("generate_trail")
    out = tmp_path / "again"
    assert gen.main(["--out", str(out), "--objects", "5", "--records-per-object", "1000", "--accounts", "2",
                     "--regions", "2", "--days", "2", "--seed", "7", "--workers", "2", "--quiet"]) == 0
    for rel in _files(trail):
        if rel != "manifest.json":  # it records the run's duration
            assert (trail / rel).read_bytes() == (out / rel).read_bytes(), rel


def test_python_loop_of_the_harness_finds_the_expected_creators(trail):
    """The bench's reference loop (also the stand-in load) agrees with the expected file, except
    where a Put* event wins: that loop takes the latest event everywhere (no Put* rule)."""
    rb = _load("run_bench")
    cmap = rb.compile_map(json.loads((trail / "resource_map.json").read_text()))
    best = {}
    for path, _ in rb.list_log_objects(trail):
        rb.scan_bytes(Path(path).read_bytes(), cmap, best)
    got = {k: (v[2], v[1]) for k, v in best.items()}
    put_won = {k for k, v in _expected(trail).items() if v[3].startswith("Put")}
    assert put_won
    expected = {k: v for k, v in rb.read_expected(trail).items() if k not in put_won}
    got = {k: v for k, v in got.items() if k not in put_won}
    assert rb.compare(expected, got)["matches"] == len(got) == len(expected)
    assert all("CloudTrail-Digest" not in p for p, _ in rb.list_log_objects(trail))
