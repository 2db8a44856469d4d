"""Lay the public CloudTrail samples out as a trail: examples/sample-trail/AWSLogs/...

The samples (../shared/data/cloudtrail-samples, provenance in each folder's PROVENANCE.tsv)
come in many containers: delivery files, JSON arrays, single events, NDJSON, EventBridge
envelopes.  This script unwraps them, groups the records by account, region and day, and
writes one gzipped `{"Records": [...]}` delivery file per group in CloudTrail's layout, so the
demo and the tests read them the way trailcreator reads a real trail.

    python examples/make_sample_trail.py [SAMPLES_DIR] [OUT_DIR]
"""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SAMPLES = HERE.parent.parent / "shared" / "data" / "cloudtrail-samples"
FALLBACK_ACCOUNT = "123456789012"


def _records(doc):
    if isinstance(doc, list):
        for d in doc:
            yield from _records(d)
    elif isinstance(doc, dict):
        if isinstance(doc.get("Records"), list):
            yield from _records(doc["Records"])
        elif isinstance(doc.get("detail"), dict) and "eventName" in doc["detail"]:
            yield doc["detail"]
        elif "eventName" in doc and "eventSource" in doc:
            yield doc


def read_samples(root: Path):
    """(source file, record) for every CloudTrail record under root."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name in ("PROVENANCE.tsv", "README.md"):
            continue
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8", errors="replace")
        try:
            docs = [json.loads(text)]
        except json.JSONDecodeError:
            docs = []
            for line in text.splitlines():
                try:
                    docs.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        for doc in docs:
            for rec in _records(doc):
                yield path.relative_to(root), rec


def _day(rec) -> dt.date:
    try:
        return dt.datetime.strptime(str(rec.get("eventTime", ""))[:10], "%Y-%m-%d").date()
    except ValueError:
        return dt.date(2020, 1, 1)


def build(samples: Path, out: Path) -> dict[str, int]:
    groups = collections.defaultdict(list)
    for src, rec in read_samples(samples):
        account = str(rec.get("recipientAccountId") or (rec.get("userIdentity") or {}).get("accountId") or "")
        if not re.fullmatch(r"\d{12}", account):
            account = FALLBACK_ACCOUNT
        region = str(rec.get("awsRegion") or "us-east-1")
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
            region = "us-east-1"
        groups[(account, region, _day(rec), src.parts[0])].append(rec)
    if out.exists():
        shutil.rmtree(out)
    counts = collections.Counter()
    for (account, region, day, folder), recs in sorted(groups.items()):
        d = out / "AWSLogs" / account / "CloudTrail" / region / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        d.mkdir(parents=True, exist_ok=True)
        tag = hashlib.sha256(folder.encode()).hexdigest()[:16]
        name = f"{account}_CloudTrail_{region}_{day:%Y%m%d}T0000Z_{tag}.json.gz"
        with gzip.GzipFile(d / name, "wb", mtime=0) as f:
            f.write(json.dumps({"Records": recs}, sort_keys=True).encode())
        counts["files"] += 1
        counts["records"] += len(recs)
    return dict(counts)


if __name__ == "__main__":
    samples = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SAMPLES
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "sample-trail"
    print(build(samples, out))
