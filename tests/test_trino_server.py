"""The Trino fixture itself: the engine the Athena SQL is checked on answers, with the two
catalogs the tests use and types as Trino (not a model of it) treats them."""

from __future__ import annotations

import pytest
import trino_server as ts


def test_trino_answers_with_its_catalogs(trino_server):
    assert trino_server.query("SELECT version()") == [[trino_server.version]]
    catalogs = {r[0] for r in trino_server.query("SHOW CATALOGS")}
    assert set(trino_server.catalogs) <= catalogs


def test_trino_errors_are_named(trino_server):
    with pytest.raises(ts.TrinoError) as e:
        trino_server.query("SELECT * FROM memory.default.no_such_table")
    assert e.value.error_name == "TABLE_NOT_FOUND"


def test_java_detection_reads_the_release_file(tmp_path, monkeypatch):
    jdk = tmp_path / "jdk-old"
    (jdk / "bin").mkdir(parents=True)
    (jdk / "bin" / "java").write_text("")
    (jdk / "release").write_text('JAVA_VERSION="17.0.15"\n')
    monkeypatch.setattr(ts, "JVM_DIR", tmp_path)
    for var in ("JAVA_HOME", "TRAILCREATOR_TRINO_JAVA_HOME"):
        monkeypatch.delenv(var, raising=False)
    assert ts.java_home() is None
    assert "no Java >= 24" in ts.missing()
    new = tmp_path / "jdk-new"
    (new / "bin").mkdir(parents=True)
    (new / "bin" / "java").write_text("")
    (new / "release").write_text('JAVA_VERSION="25.0.3"\n')
    assert ts.java_home() == new
