"""Athena SQL text: names checked and quoted, and Glue/Hive type strings read as trees.

Every value from the map or the command line reaches Athena's SQL as an escaped string
literal (``mapping.jmespath_sql.sql_string_literal``) or as an identifier checked here."""

from __future__ import annotations

import re

from ..errors import TrailcreatorError

NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")

def identifier(value: str, option: str) -> str:
    """A database or table name as a quoted identifier, after checking it is a plain name."""
    if not value or not NAME_RE.match(value):
        raise TrailcreatorError(
            f"{option} {value!r} is not a plain Athena name: use letters, digits and underscores only"
        )
    return '"' + value.lower() + '"'


def parse_hive_type(text: str):
    """A Glue/Hive type string as a tree: ``('struct', [(name, type)...])``, ``('array', t)``,
    ``('map', k, v)`` or the scalar type's name."""
    pos = 0

    def name() -> str:
        nonlocal pos
        m = re.compile(r"\s*([^<>,:()\s]+)\s*").match(text, pos)
        if not m:
            raise ValueError(f"cannot read the type {text!r} at {pos}")
        pos = m.end()
        return m.group(1)

    def expect(ch: str) -> None:
        nonlocal pos
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text) or text[pos] != ch:
            raise ValueError(f"cannot read the type {text!r}: expected {ch!r} at {pos}")
        pos += 1

    def peek() -> str:
        p = pos
        while p < len(text) and text[p].isspace():
            p += 1
        return text[p] if p < len(text) else ""

    def typ():
        nonlocal pos
        base = name().lower()
        if peek() != "<":
            if peek() == "(":  # decimal(10,2), varchar(20)
                end = text.index(")", pos)
                pos = end + 1
            return base
        expect("<")
        if base == "struct":
            fields = []
            while True:
                fname = name().lower()
                expect(":")
                fields.append((fname, typ()))
                if peek() == ",":
                    expect(",")
                    continue
                break
            expect(">")
            return ("struct", fields)
        if base == "array":
            t = typ()
            expect(">")
            return ("array", t)
        if base == "map":
            k = typ()
            expect(",")
            v = typ()
            expect(">")
            return ("map", k, v)
        raise ValueError(f"unknown type {base!r} in {text!r}")

    tree = typ()
    if pos != len(text.rstrip()):
        raise ValueError(f"cannot read the type {text!r}: trailing text at {pos}")
    return tree


def _struct_field(tree, path: tuple[str, ...]):
    """The type at ``path`` inside a struct type tree, or None when a step is missing."""
    for step in path:
        if not (isinstance(tree, tuple) and tree[0] == "struct"):
            return None
        fields = dict(tree[1])
        if step not in fields:
            return None
        tree = fields[step]
    return tree
