"""A throttling proxy on 127.0.0.1 in front of the moto server: the tagger's tests point
``AWS_ENDPOINT_URL`` at it.

Every request goes on to moto unless the proxy throttles it; a throttled request never reaches
moto, and is answered as the service answers under its rate limit (a model of AWS's throttling,
the error shapes as the service documentation gives them):

==========================  ======  ==============================================
EC2                         503     XML ``RequestLimitExceeded``
IAM, STS                    400     query XML ``Throttling``
SNS                         429     query XML ``Throttled``
DynamoDB (JSON 1.0)         400     ``ThrottlingException``
Resource Groups Tagging     400     ``ThrottledException`` (JSON 1.1)
Lambda (REST JSON)          429     ``TooManyRequestsException``
S3                          503     XML ``SlowDown``
==========================  ======  ==============================================

Which requests are throttled is decided per (request signature, attempt): the signature is the
account (learned from the AssumeRole answers passing through), the signing region and service,
method, path, query, JSON target and body, never the signing date, key, signature or invocation
id; the attempt is how many times the proxy has seen that signature.  A seeded hash of the two
below ``fraction`` (``tag_fraction`` for tag writes) throttles the request, at most
``in_a_row`` times running, so a call retried often enough gets through; a request whose
(operation, resource) is in ``stuck`` (resource ``*``: any) is throttled every time.  So what is throttled depends neither
on timing nor on thread order (two threads sending the same request share its attempts; the
totals are the same either way).

``log`` holds one ``Call`` per request received: what it was, whether it was throttled, and for
the tag writes moto accepted, the resources they tagged.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
_QUERY_XMLNS = {"iam": "https://iam.amazonaws.com/doc/2010-05-08/", "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
              "sns": "http://sns.amazonaws.com/doc/2010-03-31/"}
# the tag writes of the types the tests tag: (service, operation)
TAG_WRITES = {("ec2", "CreateTags"), ("iam", "TagRole"), ("iam", "TagUser"), ("sns", "TagResource"),
              ("tagging", "TagResources"), ("s3", "PutBucketTagging"), ("dynamodb", "TagResource"),
              ("lambda", "TagResource")}


@dataclass
class Call:
    key: str                     # the request signature's digest: the same for each attempt
    account: str
    service: str
    operation: str
    resources: tuple[str, ...]   # the resources the request names
    attempt: int                 # 1 for the first time the proxy saw this request
    throttled: bool
    status: int                  # what the client got

    @property
    def tag_write(self) -> bool:
        return (self.service, self.operation) in TAG_WRITES


def _query(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def describe(service: str, method: str, path: str, query: str, target: str, body: bytes) -> tuple[str, tuple]:
    """(operation, resources named) of a request, for the protocols the tests meet."""
    if target:  # JSON protocols: DynamoDB, Resource Groups Tagging
        doc = json.loads(body or b"{}")
        names = doc.get("ResourceARNList") or [doc[k] for k in ("ResourceArn", "TableName") if k in doc]
        return target.rsplit(".", 1)[-1], tuple(names)
    if service == "s3":
        bucket = unquote(path.lstrip("/").split("/", 1)[0])
        sub = query.split("=", 1)[0].split("&", 1)[0]
        if not bucket:
            return f"{method} /", ()
        if sub == "tagging":
            return {"PUT": "PutBucketTagging", "GET": "GetBucketTagging"}.get(method, f"{method} tagging"), (bucket,)
        return f"{method} ?{sub}", (bucket,)
    if service == "lambda":
        if method == "POST" and "/tags/" in path:
            return "TagResource", (unquote(path.split("/tags/", 1)[1]),)
        return f"{method} {path}", ()
    q = _query(body) if method == "POST" else parse_qs(query)
    action = (q.get("Action") or ["?"])[0]
    names = [v[0] for k, v in sorted(q.items()) if re.fullmatch(r"(ResourceId\.\d+|RoleName|UserName|ResourceArn|TopicArn)", k)]
    return action, tuple(names)


def throttle_answer(service: str) -> tuple[int, dict, bytes]:
    """(status, headers, body) the service answers a throttled request with."""
    rid = "00000000-0000-0000-0000-000000000429"
    if service == "ec2":
        return 503, {"Content-Type": "text/xml"}, (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code>'
            f'<Message>Request limit exceeded.</Message></Error></Errors><RequestID>{rid}</RequestID></Response>').encode()
    if service in ("iam", "sts", "sns"):
        code, status = ("Throttled", 429) if service == "sns" else ("Throttling", 400)
        return status, {"Content-Type": "text/xml"}, (
            f'<ErrorResponse xmlns="{_QUERY_XMLNS[service]}"><Error><Type>Sender</Type><Code>{code}</Code>'
            f'<Message>Rate exceeded</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>').encode()
    if service == "s3":
        return 503, {"Content-Type": "application/xml"}, (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your '
            f'request rate.</Message><RequestId>{rid}</RequestId><HostId>proxy</HostId></Error>').encode()
    if service == "lambda":
        return 429, {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException",
                     "x-amzn-RequestId": rid}, b'{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}'
    if service == "tagging":
        return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid}, \
            b'{"__type":"ThrottledException","Message":"Rate exceeded"}'
    return 400, {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": rid}, \
        b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}'


class ThrottleProxy:
    """``url`` forwards to ``upstream`` (moto), throttling as the attributes say."""

    def __init__(self, upstream: str, seed: int = 18, fraction: float = 0.0, tag_fraction: float = 0.0,
                 in_a_row: int = 3, stuck=()):
        self.upstream = urlsplit(upstream)
        self.seed, self.fraction, self.tag_fraction, self.in_a_row = seed, fraction, tag_fraction, in_a_row
        self.stuck = set(stuck)      # (operation, resource or "*") always throttled
        self.log: list[Call] = []
        self._lock = threading.Lock()
        self._seen: Counter = Counter()        # signature -> attempts
        self._running: Counter = Counter()     # signature -> throttled in a row
        self._accounts: dict[str, str] = {}    # access key id -> account, from AssumeRole
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "ThrottleProxy":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the tests read ---------------------------------------------------------------
    def calls(self, **match) -> list[Call]:
        return [c for c in self.log if all(getattr(c, k) == v for k, v in match.items())]

    def tagged(self) -> Counter:
        """(account, resource) -> how many tag writes moto accepted for it."""
        return Counter((c.account, r) for c in self.log if c.tag_write and not c.throttled and c.status < 300
                       for r in c.resources)

    def reset_log(self) -> None:
        with self._lock:
            self.log.clear()

    # --- deciding ---------------------------------------------------------------------------
    def _verdict(self, signature: bytes, operation: str, resources, tag_write: bool) -> tuple[int, bool]:
        with self._lock:
            self._seen[signature] += 1
            attempt = self._seen[signature]
            if self.stuck.intersection({(operation, r) for r in (*resources, "*")}):
                return attempt, True
            digest = hashlib.sha256(b"%d|%d|" % (self.seed, attempt) + signature).digest()
            draw = int.from_bytes(digest[:8], "big") / 2 ** 64
            throttle = draw < (self.tag_fraction if tag_write else self.fraction) and \
                self._running[signature] < self.in_a_row
            self._running[signature] = self._running[signature] + 1 if throttle else 0
            return attempt, throttle

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _any(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                m = _CREDENTIAL.search(self.headers.get("Authorization", ""))
                key, region, service = m.groups() if m else ("anonymous", "", "")
                path, _, query = self.path.partition("?")
                target = self.headers.get("X-Amz-Target", "")
                operation, resources = describe(service, self.command, path, query, target, body)
                account = proxy._accounts.get(key, f"key:{key}")
                signature = "\n".join((account, region, service, self.command, path, query, target)).encode() + body
                attempt, throttled = proxy._verdict(signature, operation, resources, (service, operation) in TAG_WRITES)
                if throttled:
                    status, headers, payload = throttle_answer(service)
                else:
                    status, headers, payload = self._forward(body)
                    if operation == "AssumeRole" and status == 200:
                        role = (_query(body).get("RoleArn") or [""])[0]
                        k = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", payload)
                        if k and role.startswith("arn:aws:iam::"):
                            with proxy._lock:
                                proxy._accounts[k.group(1).decode()] = role.split(":")[4]
                with proxy._lock:
                    proxy.log.append(Call(hashlib.sha256(signature).hexdigest()[:16], account, service, operation, resources, attempt, throttled, status))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _forward(self, body: bytes):
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                    headers["Host"] = proxy.upstream.netloc
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                    return resp.status, {k: v for k, v in resp.getheaders() if k.lower() not in _HOP}, payload
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

        return Handler
