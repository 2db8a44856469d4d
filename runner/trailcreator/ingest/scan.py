"""Find the mapped records in one CloudTrail object without parsing the other 99%.

A delivery file is ``{"Records":[{"eventVersion":...,"eventName":"X",...},...]}``, written by
one serializer: every record starts with ``{"eventVersion"`` and holds ``"eventName":"X"``.
One pass of ``bytes.find`` over the inflated bytes finds every event name; only the
records whose name is mapped are cut out and parsed.  That keeps the cost close to what
inflating the object costs.

The fast path checks its assumptions on every object (as many record starts as event
names, the document's first and last bytes); when one does not hold — another key order,
other spacing, an ``eventName`` nested in a payload — the object is parsed whole instead.
The result is the same either way; only the time differs.

A record is kept when its (eventSource, eventName) pair is mapped and the call succeeded
(no ``errorCode``).  A kept record that cannot be used — no ``eventTime`` or one that is not
a time, no account, no region — is counted with its reason, never dropped without a word.

Runs in worker processes: imports nothing heavy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field

try:  # ISA-L inflates about twice as fast as zlib; zlib where the wheel is missing
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - depends on the platform
    _zlib = zlib
try:  # orjson parses and writes the kept records several times faster than json
    import orjson
except ImportError:  # pragma: no cover - depends on the platform
    orjson = None


def _loads(data: bytes):
    if orjson is not None:
        try:
            return orjson.loads(data)
        except ValueError:  # integers past 64 bits, say: json takes what orjson refuses
            pass
    return json.loads(data)


def _dumps(obj) -> bytes:
    if orjson is not None:
        try:
            return orjson.dumps(obj)
        except TypeError:  # integers past 64 bits
            pass
    return json.dumps(obj, separators=(",", ":")).encode()

RECORD_START = b'{"eventVersion"'
DEFAULT_MAX_INFLATED = 2**30          # an object that inflates to more is skipped and named
MAX_RECORD_BYTES = 16 * 2**20         # a kept record longer than this is counted as unusable
# CloudTrail writes 2024-05-01T09:00:00Z; copies re-exported by other tools use a space and
# fractions (2024-05-01 09:00:00.000000000): both are UTC and both parse in the models.
_TIME_RE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,9})?Z?")
_ACCOUNT_RE = re.compile(r"\d{12}")


@dataclass
class ScanResult:
    url: str
    status: str = "ok"                  # ok | skipped (the content) | unreadable (the fetch: tried again next run)
    error: str | None = None
    records: int = 0                    # records in the object
    hits: list[bytes] = field(default_factory=list)   # the kept records, as JSON
    unusable: dict[str, int] = field(default_factory=dict)   # reason -> records
    fast: bool = True                   # False when the object was parsed whole


class _Skip(Exception):
    pass


@dataclass(frozen=True)
class Wanted:
    """What a scan keeps: the mapped (eventSource, eventName) pairs; records of the ``slim``
    pairs (frequent calls a link only needs a few fields of) are kept as ``slim_record`` says."""

    pairs: frozenset[tuple[str, str]]
    slim: frozenset[tuple[str, str]] = frozenset()
    names: frozenset[bytes] = field(init=False, repr=False, compare=False)
    # The first ``prefix_len`` bytes after "eventName":" of every mapped name (with its closing
    # quote, so a name as short as the prefix is whole): most records' names are not among them,
    # and then the name's end is never looked for.
    prefixes: frozenset[bytes] = field(init=False, repr=False, compare=False)
    prefix_len: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        names = frozenset(n.encode() for _, n in self.pairs)
        n = min([NAME_PREFIX, *(len(name) + 1 for name in names)])
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "prefix_len", n)
        object.__setattr__(self, "prefixes", frozenset((name + b'"')[:n] for name in names))


NAME_PREFIX = 6                       # bytes of a name compared before its end is looked for


def inflate(data: bytes, limit: int = DEFAULT_MAX_INFLATED) -> bytes:
    """The object's bytes, gunzipped when gzip (every member; the CRC checked), at most ``limit``."""
    if data[:2] != b"\x1f\x8b":
        if len(data) > limit:
            raise _Skip(f"larger than the {_size(limit)} limit (--max-object-size)")
        return data
    parts, total = [], 0
    try:
        while data:
            d = _zlib.decompressobj(47)
            part = d.decompress(data, limit - total + 1)
            total += len(part)
            if total > limit or d.unconsumed_tail:
                raise _Skip(f"inflates to more than the {_size(limit)} limit (--max-object-size)")
            if not d.eof:
                raise _Skip("not a valid gzip file: truncated")
            parts.append(part)
            data = d.unused_data.lstrip(b"\0")  # another gzip member, or padding
    except zlib.error as e:
        raise _Skip(f"not a valid gzip file: {e}") from None
    except _zlib.error as e:  # isal's own error type
        raise _Skip(f"not a valid gzip file: {e}") from None
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _size(n: int) -> str:
    return f"{n / 2**30:g} GiB" if n >= 2**30 else f"{n / 2**20:g} MiB"


def _unusable(rec: dict) -> str | None:
    """Why a kept record cannot be used, or None."""
    t = rec.get("eventTime")
    if not isinstance(t, str) or not t:
        return "no eventTime"
    if not _TIME_RE.fullmatch(t):
        return "eventTime is not a time (YYYY-MM-DDThh:mm:ssZ)"
    try:  # the calendar check (no 13th month): the form is the expression's, fromisoformat checks the date
        dt.datetime.fromisoformat(t[:19])
    except ValueError:
        return "eventTime is not a time (YYYY-MM-DDThh:mm:ssZ)"
    account = rec.get("recipientAccountId")
    if not (isinstance(account, str) and _ACCOUNT_RE.fullmatch(account)):
        identity = rec.get("userIdentity")
        account = identity.get("accountId") if isinstance(identity, dict) else None
        if not (isinstance(account, str) and _ACCOUNT_RE.fullmatch(account)):
            return "no account id (recipientAccountId)"
    region = rec.get("awsRegion")
    if not isinstance(region, str) or not region:
        return "no awsRegion"
    return None


_SLIM_TOP = ("eventVersion", "eventID", "eventTime", "eventSource", "eventName", "awsRegion",
             "recipientAccountId", "userIdentity")


def slim_record(rec: dict) -> dict:
    """What a role-session link needs of an STS call (who called, when, which key it issued,
    which role and session name): AssumeRole records are frequent and their session tokens long."""
    out = {k: rec[k] for k in _SLIM_TOP if k in rec}
    req, resp = rec.get("requestParameters"), rec.get("responseElements")
    if isinstance(req, dict):
        out["requestParameters"] = {k: req[k] for k in ("roleArn", "roleSessionName") if k in req}
    if isinstance(resp, dict) and isinstance(resp.get("credentials"), dict):
        out["responseElements"] = {"credentials": {"accessKeyId": resp["credentials"].get("accessKeyId")}}
    return out


def _keep(rec, chunk: bytes | None, wanted: Wanted, res: ScanResult) -> None:
    """Keep ``rec`` if it is a successful call of a mapped pair; count it if unusable."""
    if not isinstance(rec, dict) or rec.get("errorCode") is not None:
        return
    pair = (rec.get("eventSource"), rec.get("eventName"))
    if pair not in wanted.pairs:
        return
    why = _unusable(rec)
    if why:
        res.unusable[why] = res.unusable.get(why, 0) + 1
        return
    if pair in wanted.slim:
        hit = _dumps(slim_record(rec))
    else:
        hit = chunk if chunk is not None else _dumps(rec)
    if len(hit) > MAX_RECORD_BYTES:
        why = f"record longer than {_size(MAX_RECORD_BYTES)}"
        res.unusable[why] = res.unusable.get(why, 0) + 1
        return
    res.hits.append(hit)


_NAME_KEY = b'"eventName":"'


def _fast(data: bytes, wanted: Wanted, res: ScanResult) -> bool:
    if not (data.startswith(b'{"Records":[') and data[-64:].rstrip().endswith(b"]}")):
        return False
    # Every canonical "eventName":"..." and whether its name is mapped: a find() loop is
    # cheaper than a regular expression with hundreds of alternatives.
    names, prefixes, find, n, pos, hits = wanted.names, wanted.prefixes, data.find, 0, 0, []
    key_len, prefix_len = len(_NAME_KEY), wanted.prefix_len
    while (p := find(_NAME_KEY, pos)) >= 0:
        pos = p + key_len
        n += 1
        if data[pos:pos + prefix_len] in prefixes:
            end = find(b'"', pos)
            if end < 0:
                return False
            if data[pos:end] in names:
                hits.append((p, end + 1, data[pos:end]))
    if n != data.count(RECORD_START):
        return False
    res.records = n
    end_of_array = data.rfind(b"]")  # the array's closing bracket: the last one in the object
    for p, after, name in hits:
        start = data.rfind(RECORD_START, 0, p)
        nxt = find(RECORD_START, after)
        chunk = data[start:(nxt if nxt >= 0 else end_of_array)].rstrip().rstrip(b",")
        try:
            rec = _loads(chunk)
        except ValueError:
            return False
        if not isinstance(rec, dict) or rec.get("eventName", "").encode() != name:
            return False  # the name sat in a payload, or the record ran on: parse whole
        _keep(rec, chunk, wanted, res)
    return True


def _whole(data: bytes, wanted: Wanted, res: ScanResult) -> None:
    res.fast = False
    try:
        doc = _loads(data)
    except ValueError as e:
        raise _Skip(f"not valid JSON: {e}") from None
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        raise _Skip('not a CloudTrail log file: no "Records" list')
    res.records = len(records)
    for rec in records:
        _keep(rec, None, wanted, res)


def scan(url: str, data: bytes | None, wanted: Wanted, max_inflated: int = DEFAULT_MAX_INFLATED) -> ScanResult:
    """The kept records of one object; ``data`` is its bytes, or None to read ``url`` as a file."""
    res = ScanResult(url)
    try:
        if data is None:
            with open(url, "rb") as f:
                data = f.read()
        data = inflate(data, max_inflated)
        if not data.strip():
            raise _Skip("empty object: no JSON document in it")
        if not _fast(data, wanted, res):
            res.hits.clear()
            res.unusable.clear()
            _whole(data, wanted, res)
    except _Skip as e:
        res.status, res.error, res.hits, res.records, res.unusable = "skipped", str(e), [], 0, {}
    except OSError as e:
        res.status, res.error, res.hits, res.records, res.unusable = "unreadable", f"cannot read it: {e.strerror or e}", [], 0, {}
    return res


# What each worker process keeps, for the current load.
_worker_state: dict = {}


PR_SET_PDEATHSIG = 1                  # linux/prctl.h
PARENT_POLL = 0.5                     # seconds between the watchdog's looks at the parent


# glibc gives each allocation above 128 KiB its own mapping and hands it back at free, so every
# inflated object (~0.7 MB of JSON for 500 records) was faulted in page by page: 0.40 ms of system
# time per object against 0.63 ms of inflating (a 99 KB object, measured).  Workers keep such
# buffers in the heap instead, up to 32 MiB (glibc's largest threshold; larger objects still get
# their own mapping), and return heap memory only beyond 64 MiB free: a worker holds at most one
# object's buffers at a time, so its memory stays flat.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # malloc.h
WORKER_MMAP_THRESHOLD = 32 * 2**20
WORKER_TRIM_THRESHOLD = 64 * 2**20


def init_worker(wanted: Wanted, max_inflated: int, parent: int | None = None) -> None:
    _worker_state.update(wanted=wanted, max_inflated=max_inflated)
    _keep_buffers_in_the_heap()
    if parent is not None:
        die_with_parent(parent)


def _keep_buffers_in_the_heap() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_THRESHOLD, WORKER_MMAP_THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, WORKER_TRIM_THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): the default allocation
        pass


def die_with_parent(parent: int) -> None:
    """Exit when the load that started this worker is gone, even when it was killed (SIGKILL
    runs no clean-up): on Linux the kernel signals the worker (PR_SET_PDEATHSIG; it fires when
    the thread that spawned the worker ends, so the reader shuts the pool before its threads);
    everywhere, a thread watches the parent's pid, which also covers a parent that died before
    the signal was armed."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc to call: the watchdog alone
            pass
    threading.Thread(target=_watch_parent, args=(parent,), name="trailcreator-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(1)


def scan_many_in_worker(urls: list[str], datas: list[bytes | None] | None = None) -> list[ScanResult]:
    s = _worker_state
    datas = datas or [None] * len(urls)
    return [scan(u, d, s["wanted"], s["max_inflated"]) for u, d in zip(urls, datas)]
