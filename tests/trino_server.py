"""A real Trino for the tests: locate the server `scripts/fetch_trino.sh` unpacked and a
Java >= 24, start one single-node coordinator on 127.0.0.1, stop it.

Athena engine 3 is Trino, so the Athena SQL (the dbt models' ``athena__`` forms, the
``load-athena`` query) runs here on the engine itself rather than on a model of it.  The
server gets two catalogs:

- ``memory``: where dbt builds the models (``TRAILCREATOR_TRINO_CATALOG``);
- ``hive``: the CloudTrail table, one JSON record per line on the local file system with a
  file metastore (Athena reads the trail's own files through ``CloudTrailSerde``, which Trino
  does not have).

``missing()`` says in one line what is absent (Java, the server); the conftest fixture skips
on it, or fails under ``CI=true``.  ``TrinoServer.start`` waits a bounded time for
``/v1/info`` to report ``starting: false`` and a first query to answer, and raises with the
tail of the server log when it does not.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

VERSION = os.environ.get("TRAILCREATOR_TRINO_VERSION", "476")
MIN_JAVA = 24  # Trino 476 refuses older Java
JVM_DIR = Path("/usr/lib/jvm")
START_TIMEOUT = 300  # seconds; a cold start on a loaded 2-core machine takes well under that
CATALOGS = {
    "memory": {"connector.name": "memory", "memory.max-data-per-node": "1GB"},
    # file metastore + the native local file system: no Hive metastore, no HDFS, no S3
    "hive": {
        "connector.name": "hive",
        "hive.metastore": "file",
        "hive.metastore.catalog.dir": "local:///metastore",
        "fs.native-local.enabled": "true",
        "local.location": "{warehouse}",
        "hive.allow-register-partition-procedure": "true",
        "hive.recursive-directories": "true",  # the trail's day folders hold a folder per region
    },
}


def cache_dir() -> Path:
    """Where scripts/fetch_trino.sh unpacks the server (outside the checkout)."""
    if os.environ.get("TRAILCREATOR_TRINO_CACHE"):
        return Path(os.environ["TRAILCREATOR_TRINO_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "trailcreator-trino"


def install_dir() -> Path | None:
    path = cache_dir() / f"trino-server-{VERSION}"
    return path if (path / ".complete").exists() else None


def _java_major(home: Path) -> int:
    release = home / "release"
    try:
        m = re.search(r'^JAVA_VERSION="(\d+)', release.read_text(), re.M)
    except OSError:
        return 0
    return int(m.group(1)) if m and (home / "bin" / "java").exists() else 0


def java_home() -> Path | None:
    """A JDK new enough for Trino: TRAILCREATOR_TRINO_JAVA_HOME, JAVA_HOME, else the newest
    one in the system's JVM folder (the default Java there is often too old)."""
    for var in ("TRAILCREATOR_TRINO_JAVA_HOME", "JAVA_HOME"):
        if os.environ.get(var) and _java_major(Path(os.environ[var])) >= MIN_JAVA:
            return Path(os.environ[var])
    found = [(_java_major(p), p) for p in JVM_DIR.glob("*") if p.is_dir() and not p.is_symlink()]
    found = [f for f in found if f[0] >= MIN_JAVA]
    return max(found)[1] if found else None


def missing() -> str | None:
    """One line naming what the Trino tests lack on this machine, or None."""
    if java_home() is None:
        return f"no Java >= {MIN_JAVA} (Trino {VERSION} needs it): none in $JAVA_HOME or {JVM_DIR}"
    if install_dir() is None:
        return f"no Trino {VERSION} server in {cache_dir()}: run scripts/fetch_trino.sh (needs Maven)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _properties(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))


class TrinoError(RuntimeError):
    """A query Trino refused or failed: ``error_name`` is Trino's (e.g. ``TABLE_NOT_FOUND``)."""

    def __init__(self, error: dict):
        self.error_name = error.get("errorName", "")
        super().__init__(f"{self.error_name}: {error.get('message', error)}")


class TrinoServer:
    """One coordinator that is also its worker.  ``host``, ``port``, ``catalogs``,
    ``warehouse`` (the hive catalog's local root), ``query(sql)``; ``start()`` / ``stop()``."""

    user = "trailcreator-tests"

    def __init__(self, root: Path, heap: str = "3G"):
        self.root = Path(root)
        self.heap = heap
        self.host = "127.0.0.1"
        self.port = 0
        self.catalogs = tuple(CATALOGS)
        self.warehouse = self.root / "warehouse"
        self.log = self.root / "server.log"
        self.version = VERSION
        self.start_seconds: float | None = None
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _configure(self) -> Path:
        etc = self.root / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        self.warehouse.mkdir(parents=True, exist_ok=True)
        (self.warehouse / "metastore").mkdir(exist_ok=True)
        self.port = _free_port()
        _properties(etc / "node.properties", {
            "node.environment": "test",
            "node.id": "trailcreator-tests",
            "node.data-dir": str(self.root / "data"),
            "node.bind-ip": self.host,
            "node.internal-address": self.host,
        })
        _properties(etc / "config.properties", {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "http-server.http.port": str(self.port),
            "discovery.uri": self.url,
            "query.max-memory": "1GB",
            "query.max-memory-per-node": "1GB",
            # the tests' queries are small: two cores shared with other work
            "task.concurrency": "2",
            "task.max-worker-threads": "4",
        })
        _properties(etc / "log.properties", {"io.trino": "WARN"})
        (etc / "jvm.config").write_text("\n".join([
            "-server",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:-OmitStackTraceInFastThrow",
            "-XX:ReservedCodeCacheSize=256M",
            "-Djdk.attach.allowAttachSelf=true",
            "-Dfile.encoding=UTF-8",
            "-XX:+EnableDynamicAgentLoading",
        ]) + "\n")
        for name, props in CATALOGS.items():
            _properties(etc / "catalog" / f"{name}.properties",
                        {k: v.format(warehouse=self.warehouse) for k, v in props.items()})
        return etc

    def start(self, timeout: float = START_TIMEOUT) -> "TrinoServer":
        reason = missing()
        if reason:
            raise RuntimeError(reason)
        etc = self._configure()
        env = dict(os.environ, JAVA_HOME=str(java_home()))
        env["PATH"] = f"{env['JAVA_HOME']}/bin:{env.get('PATH', '')}"
        began = time.monotonic()
        with open(self.log, "wb") as log:
            self._proc = subprocess.Popen(
                [str(install_dir() / "bin" / "launcher"), "run", f"--etc-dir={etc}",
                 f"--data-dir={self.root / 'data'}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True)  # its own process group: stop() ends the JVM too
        try:
            self._wait(began + timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        return self

    def _wait(self, deadline: float) -> None:
        last = "no answer"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"Trino exited with {self._proc.returncode} while starting:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/v1/info", timeout=5) as r:
                    info = json.load(r)
                if not info.get("starting", True):
                    # a scan needs the node announced with its catalogs, a little after start-up
                    self.query("CREATE TABLE IF NOT EXISTS memory.default.ready AS SELECT 1 AS x")
                    self.query("SELECT x FROM memory.default.ready")
                    return
                last = "starting"
            except (OSError, TrinoError) as e:
                last = str(e)
            time.sleep(0.5)
        raise RuntimeError(f"Trino did not answer within the wait ({last}):\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)

    def query(self, sql: str, catalog: str | None = None, schema: str | None = None) -> list[list]:
        """Run one statement through Trino's HTTP protocol; the rows as lists of JSON values
        (varchar as str, bigint as int, timestamps as Trino prints them, ROW/ARRAY as lists)."""
        return self._run(sql, catalog, schema)[1]

    def dicts(self, sql: str) -> list[dict]:
        """The rows of a query as {column: value}."""
        names, rows = self._run(sql, None, None)
        return [dict(zip(names, r)) for r in rows]

    def _run(self, sql, catalog, schema) -> tuple[list[str], list[list]]:
        headers = {"X-Trino-User": self.user}
        if catalog:
            headers["X-Trino-Catalog"] = catalog
        if schema:
            headers["X-Trino-Schema"] = schema
        req = urllib.request.Request(f"{self.url}/v1/statement", data=sql.encode(), headers=headers)
        rows: list[list] = []
        names: list[str] = []
        while req is not None:
            with urllib.request.urlopen(req, timeout=120) as r:
                page = json.load(r)
            if "error" in page:
                raise TrinoError(page["error"])
            names = names or [c["name"] for c in page.get("columns") or []]
            rows.extend(page.get("data") or [])
            nxt = page.get("nextUri")
            req = urllib.request.Request(nxt, headers=headers) if nxt else None
        return names, rows
