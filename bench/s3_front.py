"""A read-only S3 endpoint over a local folder, answering each request after a delay.

moto serves about 100 GETs/s from one process, so it cannot show what request latency does
to a loader. This front serves one bucket (the folder) on 127.0.0.1 with the few calls a
loader makes: GetBucketLocation, ListObjectsV2 (prefix, delimiter, continuation), GetObject
and HeadObject; each answer waits ``--latency-ms`` first (like a request to S3 from outside
its region), in its own thread, so many requests can be in flight. It counts requests and the
most in flight at once: ``GET /_stats`` returns them as JSON.

    python bench/s3_front.py --root bench/out/trail --bucket bench-trail --latency-ms 50 --port 0

prints ``http://127.0.0.1:PORT`` on its first line. Signatures are not checked. Bench only.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

NS = "http://s3.amazonaws.com/doc/2006-03-01/"


class Bucket:
    def __init__(self, root: str):
        self.root = root
        self.keys: list[str] = []
        self.meta: dict[str, tuple[int, str]] = {}
        for dirpath, _, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                key = os.path.relpath(path, root).replace(os.sep, "/")
                st = os.stat(path)
                self.keys.append(key)
                self.meta[key] = (st.st_size, hashlib.md5(f"{key}{st.st_size}{st.st_mtime_ns}".encode()).hexdigest())
        self.keys.sort()

    def list(self, prefix: str, delimiter: str, after: str, max_keys: int):
        """(contents, common prefixes, next token or None)."""
        i = bisect.bisect_right(self.keys, after) if after else bisect.bisect_left(self.keys, prefix)
        contents, prefixes, last = [], [], after
        while i < len(self.keys) and len(contents) + len(prefixes) < max_keys:
            key = self.keys[i]
            if not key.startswith(prefix):
                break
            rest = key[len(prefix):]
            if delimiter and delimiter in rest:
                common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                prefixes.append(common)
                # skip every key under this common prefix
                last = common + "\U0010ffff"
                i = bisect.bisect_left(self.keys, last)
                continue
            contents.append(key)
            last = key
            i += 1
        more = i < len(self.keys) and self.keys[i].startswith(prefix)
        return contents, prefixes, (last if more else None)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = self.in_flight = self.max_in_flight = 0
        self.by_kind: dict[str, int] = {}

    def enter(self, kind: str):
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def leave(self):
        with self.lock:
            self.in_flight -= 1

    def snapshot(self, reset_max: bool = False) -> dict:
        """The counts so far; ``reset_max`` starts a new peak of requests in flight (one per step)."""
        with self.lock:
            snap = {"requests": self.requests, "max_in_flight": self.max_in_flight, "by_kind": dict(self.by_kind)}
            if reset_max:
                self.max_in_flight = self.in_flight
            return snap


def list_result(bucket_name: str, bucket: Bucket, q: dict) -> bytes:
    """The ListObjectsV2 answer for the query parameters ``q`` (also used by tests/s3_faults.py)."""
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    after = q.get("continuation-token") or q.get("start-after") or ""
    max_keys = int(q.get("max-keys", 1000))
    contents, prefixes, token = bucket.list(prefix, delimiter, after, max_keys)
    out = [f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{NS}">',
           f"<Name>{escape(bucket_name)}</Name><Prefix>{escape(prefix)}</Prefix>",
           f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>",
           f"<Delimiter>{escape(delimiter)}</Delimiter>" if delimiter else "",
           f"<IsTruncated>{'true' if token else 'false'}</IsTruncated>"]
    if token:
        out.append(f"<NextContinuationToken>{escape(token)}</NextContinuationToken>")
    for key in contents:
        size, etag = bucket.meta[key]
        out.append(f"<Contents><Key>{escape(key)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                   f"<ETag>&quot;{etag}&quot;</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>")
    for p in prefixes:
        out.append(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>")
    out.append("</ListBucketResult>")
    return "".join(out).encode()


def make_handler(bucket_name: str, bucket: Bucket, latency: float, stats: Stats):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def _send(self, code: int, body: bytes, ctype: str = "application/xml", head_only: bool = False, extra=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if not head_only:
                self.wfile.write(body)

        def _error(self, code: int, s3code: str, head_only=False):
            body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{s3code}</Code><Message>{s3code}</Message></Error>'
            self._send(code, body.encode(), head_only=head_only)

        def do_HEAD(self):
            self.do_GET(head_only=True)

        def do_GET(self, head_only: bool = False):
            url = urlparse(self.path)
            if url.path == "/_stats":
                snap = stats.snapshot(reset_max="reset" in url.query)
                return self._send(200, json.dumps(snap).encode(), "application/json")
            parts = url.path.lstrip("/").split("/", 1)
            q = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            kind = "location" if "location" in q else ("list" if len(parts) == 1 or not parts[1] else ("head" if head_only else "get"))
            stats.enter(kind)
            try:
                time.sleep(latency)
                if parts[0] != bucket_name:
                    return self._error(404, "NoSuchBucket", head_only)
                if kind == "location":
                    return self._send(200, f'<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="{NS}"/>'.encode())
                if kind == "list":
                    return self._list(q)
                key = unquote(parts[1])
                if key not in bucket.meta:
                    return self._error(404, "NoSuchKey", head_only)
                size, etag = bucket.meta[key]
                with open(os.path.join(bucket.root, key), "rb") as f:
                    body = f.read() if not head_only else b""
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))
                self.send_header("ETag", f'"{etag}"')
                self.send_header("Last-Modified", formatdate(usegmt=True))
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)
            finally:
                stats.leave()

        def _list(self, q: dict):
            self._send(200, list_result(bucket_name, bucket, q))

    return Handler


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="folder served as the bucket")
    p.add_argument("--bucket", default="bench-trail")
    p.add_argument("--latency-ms", type=float, default=50.0)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(a.bucket, Bucket(a.root), a.latency_ms / 1000, Stats()))
    server.daemon_threads = True
    server.request_queue_size = 256
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
