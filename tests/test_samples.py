"""The real public CloudTrail samples, laid out as a trail (examples/sample-trail), loaded with
the default map: every resource_creators row is justified from its own record in Python."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import jmespath
import pytest

from cloudtrail_samples import SHARED
from conftest import ROOT, rows
from creators_db_files import PERSON_FIELDS, identity_fields
from trailcreator.mapping import jmespath_sql, resource_map

SAMPLE_TRAIL = ROOT / "examples" / "sample-trail"


def sample_records():
    out = {}
    for path in SAMPLE_TRAIL.rglob("*.json.gz"):
        for rec in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            out.setdefault(rec.get("eventID"), []).append(rec)
    return out


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"the public CloudTrail samples are not beside the project ({SHARED}): "
                                                "examples/sample-trail is checked against them where they are")
def test_sample_trail_is_built_from_the_shared_samples(tmp_path):
    """examples/sample-trail is what examples/make_sample_trail.py makes of the samples (all of
    them, 3 MB: too many to ship twice)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_trail", ROOT / "examples" / "make_sample_trail.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.build(SHARED, tmp_path / "t")
    built = sorted(p.relative_to(tmp_path / "t") for p in (tmp_path / "t").rglob("*.json.gz"))
    shipped = sorted(p.relative_to(SAMPLE_TRAIL) for p in SAMPLE_TRAIL.rglob("*.json.gz"))
    assert built == shipped
    for rel in shipped:
        assert gzip.decompress((tmp_path / "t" / rel).read_bytes()) == gzip.decompress((SAMPLE_TRAIL / rel).read_bytes())


def test_every_row_is_justified_by_its_record(cli, tmp_path):
    db = tmp_path / "samples.db"
    result = cli("load", "--trail", SAMPLE_TRAIL, "--db", db)
    assert "skipped:0" in result.stderr
    got = rows(db, "select * from resource_creators")
    assert len(got) >= 15
    rmap = resource_map.load(None)
    entries = {}
    for e in rmap.entries:
        entries.setdefault((e.event_source, e.event_name, e.resource_type), []).append(e.ids)
    records = sample_records()
    for row in got:
        # Documentation samples reuse eventIDs, so an id may name several records: one must justify the row.
        key = None if row["event_id"].startswith("no-event-id:") else row["event_id"]
        candidates = [r for r in records[key] if r["eventName"] == row["event_name"]]
        assert any(justifies(row, rec, entries, records) for rec in candidates), row
    # Documentation samples also reuse access key ids: an AssumeRole sample issued the key some
    # sessions of other samples use, so the assume-role link finds its caller (checked above).
    assert {r["via"] for r in got} <= {None, "assume-role"}


def justifies(row, rec, entries, records):
    if rec.get("errorCode") or rec["eventSource"] != row["event_source"]:
        return False
    ids = set()
    for expr in entries[(row["event_source"], row["event_name"], row["resource_type"])]:
        ids.update(jmespath_sql.normalize_ids(jmespath.search(expr, rec)))
    fields = identity_fields(rec.get("userIdentity"))
    person = fields
    if row["via"] == "assume-role" and row["link_hops"] == 1:
        # the STS call that issued the session's key: its caller is the person
        issues = [r for r in records.get(row["person_event_id"], [])
                  if r["eventSource"] == "sts.amazonaws.com" and not r.get("errorCode")
                  and ((r.get("responseElements") or {}).get("credentials") or {}).get("accessKeyId") == fields["access_key_id"]]
        if not issues:
            return False
        person = identity_fields(issues[0].get("userIdentity"))
    elif row["via"]:
        return False
    return (
        row["resource_id"] in ids
        and all(row[k] == v for k, v in fields.items())
        # the creator from the person is the SQL rules' (macros/creators.sql), checked in test_attribution.py
        and all(row[f"person_{k}"] == person[k] for k in PERSON_FIELDS)
    )
