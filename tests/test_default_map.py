"""The default resource map: format, Cloud Custodian types, and ids proven on CloudTrail records.

Every (resource, service, event) entry of ``resource_maps/default.json`` has at least one
fixture in ``tests/fixtures/default_map/``: a CloudTrail record (copied from the public samples
under ``../shared/data/cloudtrail-samples``, the records cited shipped in
``tests/fixtures/cloudtrail-samples``, or reconstructed from the AWS documentation, as its
``source`` says) and the ids the entry must extract from it, in the form Cloud Custodian uses
for that type (``resource_type.id``).
"""

import collections
import importlib.util
import json
import os
import re
from pathlib import Path

import jmespath
import pytest
from jmespath import parser as jmespath_parser

import cloudtrail_samples

ROOT = Path(__file__).resolve().parents[1]
MAP_PATH = ROOT / "runner" / "trailcreator" / "mapping" / "resource_maps" / "default.json"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "default_map"

MIN_TYPES = 200
COVERAGE_PATH = FIXTURE_DIR / "COVERAGE.md"
COVERAGE_SCRIPT = ROOT / "scripts" / "default_map_coverage.py"
FIXTURE_KEYS = {"resource", "c7n_id_field", "id_form", "source", "event", "expected_ids"}
ID_FORMS = {"arn", "name", "id"}
DOC_SOURCE = cloudtrail_samples.DOC_SOURCE
# Fields every fixture record has; records reconstructed here also carry the rest of a
# management event (published samples are kept exactly as published).
CORE_FIELDS = ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName",
               "awsRegion", "requestParameters", "responseElements", "eventID")
FULL_FIELDS = CORE_FIELDS + ("sourceIPAddress", "userAgent", "requestID", "eventType",
                             "recipientAccountId")

# The subset of JMESPath the SQL compiler translates (see the map's contract).
ALLOWED_NODES = {"field", "subexpression", "flatten", "projection", "value_projection",
                 "index_expression", "index", "multi_select_list", "pipe", "filter_projection", "or_expression",
                 "identity"}


def load_map():
    with open(MAP_PATH) as fh:
        return json.load(fh)


def map_entries():
    return [(r["resource"], e["service"], e["event"], e["ids"])
            for r in load_map()["resources"] for e in r["events"]]


def load_fixtures():
    out = []
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        with open(path) as fh:
            out.append((path.name, json.load(fh)))
    return out


FIXTURES = load_fixtures()
ENTRIES = map_entries()


def normalise(value):
    """Ids as the loader stores them: a flat list of strings, nulls and empty strings dropped."""
    out = []

    def walk(v):
        if v is None:
            return
        if isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            if v:
                out.append(v)
        else:
            raise AssertionError(f"id is not a string: {v!r}")

    walk(value)
    return out


def entry_for(fixture):
    key = (fixture["resource"], fixture["event"]["eventSource"], fixture["event"]["eventName"])
    hits = [ids for (r, s, e, ids) in ENTRIES if (r, s, e) == key]
    assert len(hits) == 1, f"no single map entry for {key}"
    return hits[0]


@pytest.fixture(scope="module")
def registry():
    from c7n.provider import clouds
    from c7n.resources import load_resources

    load_resources(("aws.*",))
    return clouds["aws"].resources


# (1) format

def test_map_has_exactly_the_upstream_format():
    doc = load_map()
    assert set(doc) == {"resources"}
    assert isinstance(doc["resources"], list) and doc["resources"]
    for res in doc["resources"]:
        assert set(res) == {"resource", "events"}, res
        assert isinstance(res["resource"], str) and res["resource"]
        assert isinstance(res["events"], list) and res["events"], res["resource"]
        for ev in res["events"]:
            assert set(ev) == {"event", "service", "ids"}, (res["resource"], ev)
            for k in ("event", "service", "ids"):
                assert isinstance(ev[k], str) and ev[k].strip() == ev[k] and ev[k], (res["resource"], ev)
            assert ev["service"].endswith(".amazonaws.com"), ev


def test_map_has_no_duplicate_entries():
    keys = [(r, s, e) for (r, s, e, _) in ENTRIES]
    assert len(keys) == len(set(keys))
    names = [r["resource"] for r in load_map()["resources"]]
    assert len(names) == len(set(names)), "a type is listed twice"


def test_map_covers_at_least_200_types():
    assert len({r for (r, _, _, _) in ENTRIES}) >= MIN_TYPES


def _check_ast(node, expr):
    kind = node["type"]
    if kind == "comparator":
        assert node["value"] == "eq", f"{expr}: only == comparisons"
        kinds = sorted(c["type"] for c in node["children"])
        assert kinds.count("literal") == 1, f"{expr}: a comparison needs one literal side"
        for c in node["children"]:
            if c["type"] != "literal":
                _check_ast(c, expr)
        return
    assert kind in ALLOWED_NODES, f"{expr}: {kind} is outside the compilable subset"
    for c in node.get("children", []):
        if isinstance(c, dict):
            _check_ast(c, expr)


@pytest.mark.parametrize("ids", sorted({ids for (_, _, _, ids) in ENTRIES}))
def test_ids_use_only_the_compilable_jmespath_subset(ids):
    _check_ast(jmespath_parser.Parser().parse(ids).parsed, ids)


# (2) Cloud Custodian types

@pytest.mark.parametrize("rtype", sorted({r for (r, _, _, _) in ENTRIES}))
def test_type_is_a_c7n_type_with_a_tag_action(registry, rtype):
    assert rtype in registry.keys(), f"{rtype} is not a c7n aws type name (aliases are not used)"
    klass = registry.get(rtype)
    assert klass.action_registry.get("tag") is not None, f"{rtype} has no tag action"
    fixtures = [fx for _, fx in FIXTURES if fx["resource"] == rtype]
    assert fixtures, f"{rtype} has no fixture"
    for fx in fixtures:
        assert fx["c7n_id_field"] == klass.resource_type.id, rtype


# (3) ids on CloudTrail records

def test_every_map_entry_has_a_fixture():
    have = {(fx["resource"], fx["event"]["eventSource"], fx["event"]["eventName"]) for _, fx in FIXTURES}
    missing = [(r, s, e) for (r, s, e, _) in ENTRIES if (r, s, e) not in have]
    assert not missing


def test_every_fixture_belongs_to_a_map_entry():
    keys = {(r, s, e) for (r, s, e, _) in ENTRIES}
    orphans = [name for name, fx in FIXTURES
               if (fx["resource"], fx["event"]["eventSource"], fx["event"]["eventName"]) not in keys]
    assert not orphans


@pytest.mark.parametrize("name,fixture", FIXTURES, ids=[n for n, _ in FIXTURES])
def test_fixture_shape(name, fixture):
    assert set(fixture) == FIXTURE_KEYS, name
    assert fixture["id_form"] in ID_FORMS, name
    event = fixture["event"]
    for k in CORE_FIELDS:
        assert k in event, f"{name}: record has no {k}"
    if "errorCode" in event:  # a failed call creates nothing: kept only to show a service's spelling
        assert "a denied call: it shows how CloudTrail spells" in fixture["source"], name
    assert event["eventSource"].endswith(".amazonaws.com")
    if fixture["source"].startswith(DOC_SOURCE):
        for k in FULL_FIELDS:
            assert k in event, f"{name}: reconstructed record has no {k}"
    else:
        assert ", eventID " in fixture["source"], f"{name}: sample source names no eventID"
    expected = fixture["expected_ids"]
    assert expected and all(isinstance(x, str) and x for x in expected), name
    for value in expected:
        if fixture["id_form"] == "arn":
            assert value.startswith("arn:"), (name, value)
        else:
            assert not value.startswith("arn:"), (name, value)


@pytest.mark.parametrize("name,fixture", FIXTURES, ids=[n for n, _ in FIXTURES])
def test_map_entry_extracts_the_expected_ids(name, fixture):
    ids = entry_for(fixture)
    assert normalise(jmespath.search(ids, fixture["event"])) == fixture["expected_ids"], name


def test_one_event_pair_feeds_classic_and_v2_load_balancers_without_crosstalk():
    """Classic ELB and ELBv2 both record elasticloadbalancing CreateLoadBalancer."""
    by_type = {fx["resource"]: fx for _, fx in FIXTURES
               if fx["event"]["eventName"] == "CreateLoadBalancer"}
    assert set(by_type) == {"elb", "app-elb"}
    assert normalise(jmespath.search(entry_for(by_type["elb"]), by_type["app-elb"]["event"])) == []
    assert normalise(jmespath.search(entry_for(by_type["app-elb"]), by_type["elb"]["event"])) == []


# provenance of records copied from the public samples

SAMPLE_FIXTURES = [(n, fx) for n, fx in FIXTURES if not fx["source"].startswith(DOC_SOURCE)]


@pytest.mark.parametrize("name,fixture", SAMPLE_FIXTURES, ids=[n for n, _ in SAMPLE_FIXTURES])
def test_sample_fixture_is_the_published_record(name, fixture):
    """Read from the copy the repository ships (tests/fixtures/cloudtrail-samples), which the
    next test holds to the published samples, or from a record found beyond them
    (tests/fixtures/cloudtrail-found, its provenance in PROVENANCE.tsv there)."""
    if fixture["source"].startswith(cloudtrail_samples.FOUND_SOURCE):
        cited = fixture["source"].removeprefix(cloudtrail_samples.FOUND_SOURCE)
        path = cited.split(", eventID ", 1)[0].split(" at ", 1)[0]
        assert f"{path}\t" in (cloudtrail_samples.FOUND / "PROVENANCE.tsv").read_text(), name
        if " at " in cited.split(", eventID ", 1)[0]:  # one record of a published block of several
            assert fixture["event"] == cloudtrail_samples.sample_record(cited, cloudtrail_samples.FOUND), name
        else:
            assert fixture["event"] == json.loads((cloudtrail_samples.FOUND / path).read_text()), name
        return
    record = dict(cloudtrail_samples.sample_record(fixture["source"]))
    if "fields p_* dropped" in fixture["source"]:
        record = {k: v for k, v in record.items() if not k.startswith("p_")}
    assert fixture["event"] == record, name


@pytest.mark.skipif(not cloudtrail_samples.SHARED.is_dir(),
                    reason=f"the public CloudTrail samples are not beside the project ({cloudtrail_samples.SHARED}); "
                           "the copy in tests/fixtures/cloudtrail-samples is checked against them where they are")
def test_shipped_samples_are_the_published_records():
    """The cited records, copied from the published samples as they are (and nothing else)."""
    assert cloudtrail_samples.shipped_files() == cloudtrail_samples.extract(), \
        "run: .venv/bin/python tests/cloudtrail_samples.py"


# coverage table

def _taggable(registry):
    return {name for name in registry.keys() if registry.get(name).action_registry.get("tag") is not None}


def test_coverage_lists_every_taggable_type_exactly_once(registry):
    """COVERAGE.md has one row group per taggable c7n type: covered, or not covered with a reason."""
    rows = [line for line in COVERAGE_PATH.read_text().splitlines() if line.startswith("| **")]
    named = collections.Counter(line.split("**")[1] for line in rows)
    assert [t for t, n in named.items() if n > 1] == []
    assert set(named) == _taggable(registry)
    covered = {r["resource"] for r in load_map()["resources"]}
    for line in rows:
        rtype, cells = line.split("**")[1], [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        if rtype in covered:
            assert len(cells) == 6 and cells[4], line
        else:
            assert len(cells) == 3 and cells[2], f"{rtype}: not covered without a reason"


def test_coverage_file_is_what_the_script_writes(registry):
    spec = importlib.util.spec_from_file_location("default_map_coverage", COVERAGE_SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert COVERAGE_PATH.read_text() == mod.render(), "run python scripts/default_map_coverage.py"


# the spelling rule (scripts/default_map_entries.py, docs/cloudtrail-spelling.md)

def _entries_script():
    spec = importlib.util.spec_from_file_location("default_map_entries", ROOT / "scripts" / "default_map_entries.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_entry_follows_the_spelling_rule_and_the_doc_says_it():
    rule = _entries_script()
    for rtype, service, event, ids in ENTRIES:
        assert ids == rule.shipped(ids, service.removesuffix(".amazonaws.com")), (rtype, event)
    assert (ROOT / "docs" / "cloudtrail-spelling.md").read_text() == rule.spelling_doc(load_map()), \
        "run python scripts/default_map_entries.py"


def test_an_entry_reading_both_spellings_has_a_fixture_in_each():
    rule = _entries_script()
    have = {(fx["resource"], fx["event"]["eventSource"], fx["event"]["eventName"], n.endswith(".PascalCase.json"))
            for n, fx in FIXTURES}
    for rtype, service, event, ids in ENTRIES:
        if rule.spelling(service.removesuffix(".amazonaws.com")) == "both" and " || " in ids:
            assert (rtype, service, event, True) in have and (rtype, service, event, False) in have, (rtype, event)


def test_mwaa_reads_the_name_where_the_published_record_has_it():
    """The published MWAA record spells the request in PascalCase (requestParameters.Name)."""
    (fx,) = [fx for n, fx in FIXTURES if n == "airflow.CreateEnvironment.published.json"]
    assert fx["event"]["requestParameters"]["Name"] == "test-cloudtrail" and "name" not in fx["event"]["requestParameters"]
    assert normalise(jmespath.search(entry_for(fx), fx["event"])) == ["test-cloudtrail"]
