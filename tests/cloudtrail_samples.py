"""The public CloudTrail samples the tests cite, and the copy of them the repository ships.

The samples live beside the project (``../shared/data/cloudtrail-samples``, provenance in each
folder's PROVENANCE.tsv); a plain clone does not have them.  The default-map fixtures
(``tests/fixtures/default_map/*.json``) cite their records by ``source``:
``<path> line N, eventID X`` (NDJSON) or ``<path> at LOC, eventID X`` (JSON).  Only those
records are copied to ``tests/fixtures/cloudtrail-samples/``, each at its own address: in a
copied NDJSON file the lines not cited are left empty (line N is still line N), in a copied
JSON file the records not cited become null (``Records[134]`` is still ``Records[134]``).
PROVENANCE.tsv there keeps the original rows of the copied records.

    .venv/bin/python tests/cloudtrail_samples.py      # rewrite the copy from ../shared
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "cloudtrail-samples"
SHIPPED = ROOT / "tests" / "fixtures" / "cloudtrail-samples"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "default_map"
DOC_SOURCE = "AWS documentation: "
FOUND = ROOT / "tests" / "fixtures" / "cloudtrail-found"  # records found beyond the shared samples
FOUND_SOURCE = "cloudtrail-found/"


def is_record(obj) -> bool:
    return isinstance(obj, dict) and "eventName" in obj and "eventSource" in obj


def walk_records(obj, loc=""):
    """(location, record) for every CloudTrail record in a JSON document."""
    if is_record(obj):
        yield loc, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk_records(v, f"{loc}.{k}" if loc else k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk_records(v, f"{loc}[{i}]")


def parse_source(source: str) -> tuple[str, int | str, str]:
    """(path, line number or JSON location, eventID) of a fixture's ``source``."""
    where, rest = source.split(", eventID ", 1)
    event_id = rest.split(";", 1)[0]
    if " line " in where:
        path, line = where.rsplit(" line ", 1)
        return path, int(line), event_id
    path, loc = where.rsplit(" at ", 1)
    return path, loc, event_id


def _read_text(path: Path) -> str:
    return gzip.open(path, "rt").read() if path.name.endswith(".gz") else path.read_text()


def sample_record(source: str, root: Path = SHIPPED) -> dict:
    """The record a fixture's ``source`` names, read from the samples under ``root``."""
    path, where, event_id = parse_source(source)
    text = _read_text(root / path)
    if isinstance(where, int):
        candidates = list(walk_records(json.loads(text.splitlines()[where - 1])))
    else:
        candidates = [(l, r) for l, r in walk_records(json.loads(text)) if l == where]
    hits = [r for _, r in candidates if r.get("eventID") == event_id]
    assert len(hits) == 1, f"{source}: {len(hits)} records"
    return hits[0]


def cited_sources(fixture_dir: Path = FIXTURE_DIR) -> list[str]:
    """The ``source`` of every default-map fixture copied from the samples."""
    sources = (json.loads(p.read_text())["source"] for p in sorted(fixture_dir.glob("*.json")))
    return [s for s in sources if not s.startswith((DOC_SOURCE, FOUND_SOURCE))]


def _keep_cited(obj, cited: set[str], loc=""):
    if is_record(obj):
        return obj if loc in cited else None
    if isinstance(obj, dict):
        return {k: _keep_cited(v, cited, f"{loc}.{k}" if loc else k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_keep_cited(v, cited, f"{loc}[{i}]") for i, v in enumerate(obj)]
    return obj


def _provenance(samples: Path, wanted: dict[str, set]) -> str:
    """The PROVENANCE.tsv rows of the copied records.  A row of an extracted NDJSON file says
    how many records it added, in file order: only the rows holding a cited line are kept."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    header = None
    for folder in sorted({p.split("/", 1)[0] for p in wanted}):
        with open(samples / folder / "PROVENANCE.tsv", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t")
            header = header or ["folder", *next(reader)]
            rows = list(reader)
        first_line = {}
        for row in rows:
            count = re.search(r"extracted (\d+) record", row[-1])
            start = first_line.get(row[0], 1)
            first_line[row[0]] = start + (int(count.group(1)) if count else 0)
            cited = wanted.get(f"{folder}/{row[0]}")
            if cited is None:
                continue
            if count and not any(isinstance(c, int) and start <= c < first_line[row[0]] for c in cited):
                continue
            writer.writerow([folder, *row])
    return "\t".join(header) + "\n" + out.getvalue()


def extract(samples: Path = SHARED, sources: list[str] | None = None) -> dict[str, str]:
    """{relative path: text} of the copy: the cited records of ``samples``, at their addresses."""
    wanted: dict[str, set] = {}
    for source in cited_sources() if sources is None else sources:
        path, where, _ = parse_source(source)
        wanted.setdefault(path, set()).add(where)
    files = {}
    for path, cited in sorted(wanted.items()):
        text = _read_text(samples / path)
        if all(isinstance(c, int) for c in cited):
            lines = text.splitlines()
            files[path] = "\n".join(lines[i - 1] if i in cited else "" for i in range(1, max(cited) + 1)) + "\n"
        else:
            files[path] = json.dumps(_keep_cited(json.loads(text), cited), indent=2, ensure_ascii=False) + "\n"
    files["PROVENANCE.tsv"] = _provenance(samples, wanted)
    return files


def shipped_files(root: Path = SHIPPED) -> dict[str, str]:
    """{relative path: text} of the copy in the repository (its README aside)."""
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "README.md"}


if __name__ == "__main__":
    for rel, text in extract().items():
        out = SHIPPED / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"{len(text.encode()):>8}  {out.relative_to(ROOT)}")
