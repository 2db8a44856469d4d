"""Athena's query API in front of the test Trino: the query text the product sends runs on the
real engine, and its result CSV lands in the moto S3 bucket as Athena writes it.

moto accepts Athena queries but runs no SQL.  This front answers Athena's JSON protocol on
127.0.0.1 (``X-Amz-Target: AmazonAthena.*``); the tests point only Athena at it with
``AWS_ENDPOINT_URL_ATHENA`` (boto3 honours the per-service endpoint), so Glue and S3 stay on
moto.  It plays the engine's part and leaves the rest to moto:

- ``StartQueryExecution``: where the result goes is decided as Athena does (the workgroup's
  location when it enforces its settings or the client sent none, read from moto), then the
  SQL runs on Trino as sent, in a thread: QUEUED, RUNNING, SUCCEEDED or FAILED.  The only
  translation is the catalog: Athena's ``AwsDataCatalog`` is Trino's ``hive``, given as the
  session catalog with the query's database as its schema.  The text itself is not rewritten.
- ``GetQueryExecution``: Athena's shape; ``DataScannedInBytes`` is Trino's physical input;
  a failed query's ``StateChangeReason`` is ``ERROR_NAME: message``, as Athena reports it.
- ``GetQueryResults``: one page of the result (header row first), as Athena pages it.
- anything else (workgroups, ``ListQueryExecutions``, ids of queries started on moto itself)
  is passed to moto unchanged.

The result CSV is Athena's: a header row, every value double-quoted with inner quotes doubled,
NULL an empty unquoted field, ``\\n`` after each row, and ``<id>.csv.metadata`` beside it.
Only scalar columns are written (Athena spells ARRAY and ROW values its own way; the product's
queries cast them to varchar).  ``front.executions[id]`` keeps the Trino query id and stats.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ENGINE_VERSION = {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}
CATALOGS = {"awsdatacatalog": "hive"}  # Athena's catalog name -> the test Trino's


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (list, dict)):
        raise TypeError("the test front writes scalar columns only")
    return '"' + str(value).replace('"', '""') + '"'


def csv_text(header: list[str], rows: list[list]) -> str:
    return "".join(",".join(csv_cell(v) for v in row) + "\n" for row in [header] + rows)


class Execution:
    def __init__(self, qid: str, request: dict, output: str):
        self.id = qid
        self.request = request
        self.output = output
        self.state = "QUEUED"
        self.reason: str | None = None
        self.error_name: str | None = None
        self.submitted = time.time()
        self.completed: float | None = None
        self.trino_id: str | None = None
        self.stats: dict = {}
        self.header: list[str] = []
        self.rows: list[list] = []

    @property
    def sql(self) -> str:
        return self.request["QueryString"]

    @property
    def database(self) -> str | None:
        return (self.request.get("QueryExecutionContext") or {}).get("Database")

    def describe(self) -> dict:
        status = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = {"ErrorCategory": 2, "ErrorMessage": self.reason}  # 2: the query's fault
        ms = int(((self.completed or time.time()) - self.submitted) * 1000)
        ctx = dict(self.request.get("QueryExecutionContext") or {})
        ctx.setdefault("Catalog", "AwsDataCatalog")
        return {
            "QueryExecutionId": self.id, "Query": self.sql, "StatementType": "DML",
            "ResultConfiguration": {"OutputLocation": self.output},
            "QueryExecutionContext": ctx, "Status": status,
            "Statistics": {"EngineExecutionTimeInMillis": ms, "TotalExecutionTimeInMillis": ms,
                           "DataScannedInBytes": int(self.stats.get("physicalInputBytes") or 0)},
            "WorkGroup": self.request.get("WorkGroup") or "primary",
            "EngineVersion": ENGINE_VERSION,
        }


class AthenaError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class AthenaFront:
    """``url`` for ``AWS_ENDPOINT_URL_ATHENA``; ``executions`` by id; ``start()`` / ``stop()``."""

    def __init__(self, trino, moto_url: str, session):
        self.trino = trino
        self.moto_url = moto_url.rstrip("/")
        self.athena = session.client("athena", endpoint_url=moto_url)
        self.s3 = session.client("s3", endpoint_url=moto_url)
        self.executions: dict[str, Execution] = {}
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "AthenaFront":
        front = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                front.handle(self, target, body)

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- the protocol ---------------------------------------------------------------------------

    def handle(self, handler, target: str, body: bytes) -> None:
        op = target.rpartition(".")[2]
        request = json.loads(body or b"{}")
        known = request.get("QueryExecutionId") in self.executions
        try:
            if op == "StartQueryExecution":
                answer = self.start_query(request)
            elif op == "GetQueryExecution" and known:
                answer = {"QueryExecution": self.executions[request["QueryExecutionId"]].describe()}
            elif op == "GetQueryResults" and known:
                answer = self.results(self.executions[request["QueryExecutionId"]])
            else:
                return self._proxy(handler, target, body)
        except AthenaError as e:
            return self._send(handler, 400, {"__type": e.code, "Message": str(e)}, e.code)
        self._send(handler, 200, answer)

    def _send(self, handler, status: int, answer: dict, error: str | None = None) -> None:
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/x-amz-json-1.1")
        handler.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error:
            handler.send_header("x-amzn-ErrorType", error)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _proxy(self, handler, target: str, body: bytes) -> None:
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        req = urllib.request.Request(self.moto_url + handler.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, data, reply = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, data, reply = e.code, e.read(), e.headers
        handler.send_response(status)
        for k, v in reply.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def output_location(self, request: dict) -> str:
        """Athena's rule: an enforcing workgroup's location wins, else the client's, else the workgroup's."""
        name = request.get("WorkGroup") or "primary"
        try:
            conf = self.athena.get_work_group(WorkGroup=name)["WorkGroup"].get("Configuration") or {}
        except self.athena.exceptions.ClientError as e:
            raise AthenaError("InvalidRequestException", f"WorkGroup {name} is not found.") from e
        own = (conf.get("ResultConfiguration") or {}).get("OutputLocation")
        sent = (request.get("ResultConfiguration") or {}).get("OutputLocation")
        location = own if conf.get("EnforceWorkGroupConfiguration") or not sent else sent
        if not location:
            raise AthenaError("InvalidRequestException",
                              "No output location provided. An output location is required either through the "
                              "Workgroup result configuration setting or as an API input.")
        return location

    def start_query(self, request: dict) -> dict:
        qid = str(uuid.uuid4())
        location = self.output_location(request)
        ex = Execution(qid, request, location.rstrip("/") + f"/{qid}.csv")
        self.executions[qid] = ex
        threading.Thread(target=self._run, args=(ex,), daemon=True).start()
        return {"QueryExecutionId": qid}

    def results(self, ex: Execution) -> dict:
        if ex.state != "SUCCEEDED":
            raise AthenaError("InvalidRequestException", f"Query has not yet finished. Current state: {ex.state}")
        rows = [ex.header] + ex.rows
        return {"UpdateCount": 0, "ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": str(v)} for v in row]} for row in rows],
            "ResultSetMetadata": {"ColumnInfo": [{"Name": c, "Label": c, "Type": "varchar"} for c in ex.header]}}}

    # --- the engine -----------------------------------------------------------------------------

    def _run(self, ex: Execution) -> None:
        ctx = ex.request.get("QueryExecutionContext") or {}
        catalog = ctx.get("Catalog") or "AwsDataCatalog"
        headers = {"X-Trino-User": self.trino.user, "X-Trino-Catalog": CATALOGS.get(catalog.lower(), catalog.lower()),
                   "X-Trino-Source": "athena-front"}
        if ctx.get("Database"):
            headers["X-Trino-Schema"] = ctx["Database"].lower()
        req = urllib.request.Request(f"{self.trino.url}/v1/statement", data=ex.sql.encode(), headers=headers)
        try:
            while req is not None:
                with urllib.request.urlopen(req, timeout=120) as r:
                    page = json.load(r)
                ex.trino_id = page.get("id", ex.trino_id)
                ex.stats = page.get("stats") or ex.stats
                if ex.state == "QUEUED" and ex.stats.get("state") not in (None, "QUEUED", "WAITING_FOR_RESOURCES"):
                    ex.state = "RUNNING"
                if "error" in page:
                    err = page["error"]
                    ex.error_name = err.get("errorName", "")
                    return self._end(ex, "FAILED", f"{ex.error_name}: {err.get('message', '')}")
                ex.header = ex.header or [c["name"] for c in page.get("columns") or []]
                ex.rows.extend(page.get("data") or [])
                req = urllib.request.Request(page["nextUri"], headers=headers) if page.get("nextUri") else None
            bucket, _, key = ex.output[len("s3://"):].partition("/")
            self.s3.put_object(Bucket=bucket, Key=key, Body=csv_text(ex.header, ex.rows).encode())
            self.s3.put_object(Bucket=bucket, Key=key + ".metadata", Body=b"\x00")  # never read by the product
        except Exception as e:  # the front's own fault: a FAILED query naming it, never a hang
            return self._end(ex, "FAILED", f"INTERNAL_ERROR: {type(e).__name__}: {e}")
        self._end(ex, "SUCCEEDED")

    def _end(self, ex: Execution, state: str, reason: str | None = None) -> None:
        ex.reason = reason
        ex.completed = time.time()
        ex.state = state

    def trino_stats(self, qid: str) -> dict:
        """What Trino read for the query (``/v1/query/{id}``'s queryStats): splits, rows, bytes."""
        with urllib.request.urlopen(urllib.request.Request(
                f"{self.trino.url}/v1/query/{self.executions[qid].trino_id}",
                headers={"X-Trino-User": self.trino.user}), timeout=30) as r:
            return json.load(r)["queryStats"]


# --- fixture (import it into a test module) -------------------------------------------------------

@pytest.fixture
def athena_trino(trino_server, aws_env, moto_server, monkeypatch):
    """The product's Athena calls go to a front running them on the test Trino; Glue and S3
    stay on moto.  Polling starts at 0.05 s (the backoff's shape is tested on its own)."""
    from trailcreator.athena import client

    front = AthenaFront(trino_server, moto_server, aws_env).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", front.url)
    monkeypatch.setattr(client, "POLL_FIRST_DELAY", 0.05)
    monkeypatch.setattr(client, "POLL_MAX_DELAY", 0.5)
    yield front
    front.stop()
