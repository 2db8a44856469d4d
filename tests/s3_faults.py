"""An S3 endpoint on 127.0.0.1 that serves a local trail folder as one bucket and injects faults.

A model of S3, not S3: it answers the calls the loader makes (GetBucketLocation, ListObjectsV2
with prefix, delimiter and continuation, GetObject) and checks no signature, but it reads the
access key id from each request's Authorization header, so it can refuse a key as S3 refuses
an expired one.  The loader reaches it through ``AWS_ENDPOINT_URL_S3`` (STS and the rest stay
on the moto server).

Every fault is decided by a seeded hash of (kind, key, attempt), where ``attempt`` counts the
GETs of that key since the faults were set (``server.faults = Faults(...)``): the same faults
hit the same objects in every run, whatever the timing or the order of the threads.  The faults (``Faults``):

- ``slowdown`` / ``error500``: the fraction of keys whose first 1-4 GETs answer 503 SlowDown / 500
  InternalError (botocore's old 3 attempts lose the keys with 3 or 4; S3's guidance does not);
- ``cut``: the fraction of keys whose first 1-2 GETs send the full Content-Length, then half the
  body, then close the connection;
- ``always``: keys whose every GET answers 503 (until ``heal()``);
- ``expire_after`` / ``deny_after``: after that many GETs, every request answers 400 ExpiredToken
  / 403 AccessDenied (until ``heal()``);
- ``key_limit``: a key id answers ExpiredToken once it has signed that many requests (so a load
  completes only if its credentials are renewed);
- ``list_fail``: the first K listing requests below that prefix answer ``list_error`` (503 SlowDown).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

_spec = importlib.util.spec_from_file_location("s3_front", Path(__file__).resolve().parents[1] / "bench" / "s3_front.py")
s3_front = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(s3_front)
_KEY_ID = re.compile(r"Credential=([^/]+)/")


def draw(seed: int, *parts) -> float:
    """A number in [0, 1) fixed by ``seed`` and ``parts``: the seeded random source of every fault."""
    h = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


@dataclass
class Faults:
    seed: int = 18
    slowdown: float = 0.0
    error500: float = 0.0
    cut: float = 0.0
    always: frozenset = frozenset()
    expire_after: int | None = None
    deny_after: int | None = None
    key_limit: int | None = None
    list_fail: tuple[str, int] | None = None     # (prefix below the bucket, failing attempts)
    list_error: tuple[int, str] = (503, "SlowDown")

    def leading_failures(self, kind: str, key: str) -> int:
        """How many of ``key``'s first GETs fail with ``kind`` (0: none)."""
        fraction, most = {"slowdown": (self.slowdown, 4), "error500": (self.error500, 4), "cut": (self.cut, 2)}[kind]
        if draw(self.seed, kind, key) >= fraction:
            return 0
        return 1 + int(draw(self.seed, kind, key, "depth") * most)


@dataclass
class Injected:
    """What the server did: counts by fault, GETs per key, requests per access key id."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: dict[str, int] = field(default_factory=dict)
    gets: dict[str, int] = field(default_factory=dict)
    key_ids: dict[str, int] = field(default_factory=dict)
    get_total: int = 0

    def add(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1


class FaultyS3:
    """``with FaultyS3(root, bucket, faults) as s3: ...``; ``s3.url`` is the endpoint."""

    def __init__(self, root: str, bucket: str, faults: Faults | None = None):
        self.root, self.bucket = root, bucket
        self.injected = Injected()
        self.faults = faults or Faults()
        self.listing = s3_front.Bucket(root)      # bench's read-only S3 over a folder: its listing
        self.keys = self.listing.keys
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        """New faults, counted from now: attempts per key, GETs, listings, requests per key id."""
        with self.injected.lock:
            self._faults, self.attempts, self.lists, self.gets_before = faults, {}, {}, self.injected.get_total
            self.injected.key_ids.clear()

    def heal(self) -> None:
        """No more faults (the next run sees a healthy S3); the counts are kept."""
        self.faults = Faults(seed=self.faults.seed)

    # --- deciding -------------------------------------------------------------------------

    def refusal(self, key_id: str) -> tuple[int, str] | None:
        """A refusal of the whole principal, checked on every request; counted by the caller."""
        f, inj = self.faults, self.injected
        gets = inj.get_total - self.gets_before
        if f.key_limit is not None and inj.key_ids.get(key_id, 0) > f.key_limit:
            return 400, "ExpiredToken"
        if f.expire_after is not None and gets >= f.expire_after:
            return 400, "ExpiredToken"
        if f.deny_after is not None and gets >= f.deny_after:
            return 403, "AccessDenied"
        return None

    def get_fault(self, key: str, attempt: int) -> str | None:
        f = self.faults
        if key in f.always:
            return "always"
        for kind in ("slowdown", "error500", "cut"):
            if attempt <= f.leading_failures(kind, key):
                return kind
        return None


def _handler(s3: FaultyS3):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _send(self, code: int, body: bytes, ctype: str = "application/xml"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code: int, s3code: str):
            body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{s3code}</Code>'
                    f"<Message>injected {s3code}</Message></Error>")
            self._send(code, body.encode())

        def do_GET(self):
            url = urlparse(self.path)
            parts = url.path.lstrip("/").split("/", 1)
            q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            m = _KEY_ID.search(self.headers.get("Authorization", ""))
            key_id = m.group(1) if m else ""
            inj = s3.injected
            with inj.lock:
                inj.key_ids[key_id] = inj.key_ids.get(key_id, 0) + 1
                refused = s3.refusal(key_id)
                if refused:
                    inj.add(refused[1])
            if refused:
                return self._error(*refused)
            if parts[0] != s3.bucket:
                return self._error(404, "NoSuchBucket")
            if "location" in q:
                return self._send(200, f'<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="{s3_front.NS}"/>'.encode())
            if len(parts) == 1 or not parts[1]:
                return self._list(q)
            self._get(unquote(parts[1]))

        def _get(self, key: str):
            inj = s3.injected
            with inj.lock:
                inj.get_total += 1
                inj.gets[key] = inj.gets.get(key, 0) + 1
                attempt = s3.attempts[key] = s3.attempts.get(key, 0) + 1
                fault = s3.get_fault(key, attempt)
                if fault:
                    inj.add(fault)
            path = os.path.join(s3.root, key)
            if not os.path.isfile(path):
                return self._error(404, "NoSuchKey")
            if fault in ("slowdown", "always"):
                return self._error(503, "SlowDown")
            if fault == "error500":
                return self._error(500, "InternalError")
            with open(path, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", f'"{hashlib.md5(body).hexdigest()}"')
            self.end_headers()
            if fault == "cut":  # the full length announced, half of it sent, the connection gone
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

        def _list(self, q: dict):
            prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
            failing = s3.faults.list_fail
            if failing and prefix.startswith(failing[0]):
                with s3.injected.lock:
                    n = s3.lists[prefix] = s3.lists.get(prefix, 0) + 1
                    if n <= failing[1]:
                        s3.injected.add("list")
                if n <= failing[1]:
                    return self._error(*s3.faults.list_error)
            self._send(200, s3_front.list_result(s3.bucket, s3.listing, q))

    return Handler
