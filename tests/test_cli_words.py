"""Words: help and errors name only commands that exist; `query` says what a file is when it
is not a DuckDB database (instead of DuckDB looking for an extension to download)."""

from __future__ import annotations

import re


def test_query_on_a_file_that_is_not_duckdb(cli, tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "c.db").execute("create table t (x)").connection.close()
    result = cli("query", "--duckdb", tmp_path / "c.db", "select 1", expect=1)
    assert result.stderr.strip().splitlines() == [
        f"Error: --duckdb {tmp_path / 'c.db'}: is a SQLite database, not DuckDB (the --db file of `trailcreator load`?); "
        "give the .duckdb file"]
    (tmp_path / "notes.txt").write_text("hello, this is text\n")
    result = cli("query", "--duckdb", tmp_path / "notes.txt", "select 1", expect=1)
    assert result.stderr.strip().splitlines() == [f"Error: --duckdb {tmp_path / 'notes.txt'}: is not a DuckDB database"]


def test_help_names_only_commands_that_exist(cli):
    from trailcreator.cli import cli as group

    commands = set(group.commands)
    for name in sorted(commands):
        text = cli(name, "--help").stdout
        for mention in re.findall(r"`trailcreator ([a-z-]+)", text):
            assert mention in commands, (name, mention)
        assert "trailcreator export`" not in text and "trailcreator export " not in text
