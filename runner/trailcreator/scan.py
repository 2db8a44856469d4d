"""Find the mapped records in one CloudTrail object without parsing the other 99%.

A delivery file is ``{"Records":[{"eventVersion":...,"eventName":"X",...},...]}``, written by
one serializer: every record starts with ``{"eventVersion"`` and holds ``"eventName":"X"``.
One regular-expression pass over the inflated bytes finds every event name; only the
records whose name is mapped are cut out and parsed.  That keeps the cost close to what
inflating the object costs.

The fast path checks its assumptions on every object (as many record starts as event
names, the document's first and last bytes); when one does not hold — another key order,
other spacing, an ``eventName`` nested in a payload — the object is parsed whole instead.
The result is the same either way; only the time differs.

Runs in worker processes: imports nothing heavy.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass, field

RECORD_START = b'{"eventVersion"'


@dataclass
class ScanResult:
    url: str
    status: str = "ok"                  # ok | skipped
    error: str | None = None
    records: int = 0                    # records in the object
    hits: list[bytes] = field(default_factory=list)   # the mapped records, as JSON
    fast: bool = True                   # False when the object was parsed whole


def name_pattern(names: list[str]) -> re.Pattern:
    """Matches every canonical ``"eventName":"..."``; group 1 is set for the mapped names."""
    alternatives = b"|".join(re.escape(n.encode()) for n in sorted(set(names), key=lambda n: (-len(n), n)))
    return re.compile(b'"eventName":"(?:(' + alternatives + b')"|[^"\\\\]*")')


def inflate(data: bytes) -> bytes:
    if data[:2] == b"\x1f\x8b":
        return zlib.decompress(data, 47)  # gzip; checks the CRC
    return data


def _fast(data: bytes, pattern: re.Pattern, names: set[bytes], res: ScanResult) -> bool:
    body = data  # no strip(): a copy of the whole object; look at the ends instead
    if not (body.startswith(b'{"Records":[') and body[-64:].rstrip().endswith(b"]}")):
        return False
    matches = list(pattern.finditer(body))
    if len(matches) != body.count(RECORD_START):
        return False
    res.records = len(matches)
    end_of_array = body.rfind(b"]")  # the array's closing bracket: the last one in the object
    for m in matches:
        if m.lastindex is None:
            continue
        start = body.rfind(RECORD_START, 0, m.start())
        nxt = body.find(RECORD_START, m.end())
        chunk = body[start:(nxt if nxt >= 0 else end_of_array)].rstrip().rstrip(b",")
        try:
            rec = json.loads(chunk)
        except ValueError:
            return False
        if not isinstance(rec, dict) or rec.get("eventName", "").encode() != m.group(1):
            return False  # the name sat in a payload, or the record ran on: parse whole
        res.hits.append(chunk)
    return True


def _whole(data: bytes, names: set[bytes], res: ScanResult) -> None:
    res.fast = False
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise _Skip(f"not valid JSON: {e}") from None
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise _Skip('not a CloudTrail log file: no "Records" list')
    res.records = len(records)
    for rec in records:
        if isinstance(rec, dict) and isinstance(rec.get("eventName"), str) and rec["eventName"].encode() in names:
            res.hits.append(json.dumps(rec, separators=(",", ":")).encode())


class _Skip(Exception):
    pass


def scan(url: str, data: bytes | None, names: list[str], pattern: re.Pattern | None = None) -> ScanResult:
    """The mapped records of one object; ``data`` is its bytes, or None to read ``url`` as a file."""
    res = ScanResult(url)
    wanted = {n.encode() for n in names}
    try:
        if data is None:
            with open(url, "rb") as f:
                data = f.read()
        try:
            data = inflate(data)
        except zlib.error as e:
            raise _Skip(f"not a valid gzip file: {e}") from None
        if not data.strip():
            raise _Skip("empty object: no JSON document in it")
        if not _fast(data, pattern or name_pattern(names), wanted, res):
            res.hits.clear()
            _whole(data, wanted, res)
    except _Skip as e:
        res.status, res.error, res.hits, res.records = "skipped", str(e), [], 0
    except OSError as e:
        res.status, res.error, res.hits, res.records = "skipped", f"cannot read it: {e.strerror or e}", [], 0
    return res


# One compiled pattern per worker process, for the names of the current load.
_worker_state: dict = {}


def init_worker(names: list[str]) -> None:
    _worker_state["names"] = names
    _worker_state["pattern"] = name_pattern(names)


def scan_many_in_worker(urls: list[str], datas: list[bytes | None] | None = None) -> list[ScanResult]:
    datas = datas or [None] * len(urls)
    return [scan(u, d, _worker_state["names"], _worker_state["pattern"]) for u, d in zip(urls, datas)]
