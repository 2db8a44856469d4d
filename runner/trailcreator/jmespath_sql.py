"""Compile the JMESPath ``ids`` expressions of a resource map to SQL, so extraction runs in the database.

A resource map names, per (eventSource, eventName), a JMESPath expression evaluated on one CloudTrail
record.  :func:`compile_ids` turns it into a SQL expression of type ``VARCHAR[]`` over a JSON column;
:func:`normalize_ids` is the Python reference for what that list must be.

Result rule (``normalize_ids``, and what the SQL returns, element for element and in the same order):

* a string is an id, except the empty string;
* a number is an id written as text: an integer that fits 64 bits (signed or unsigned) as its decimal
  digits (``123``, ``-7``); any other number as the shortest text that reads back as the same double,
  Python ``repr`` style (``1.5``, ``1.0``, ``1e+20``);
* null, booleans and objects are not ids and are dropped;
* a list contributes the ids of its elements, in order, however deeply nested (``[["a"], "b"]`` gives
  ``a, b``);
* duplicates are kept; the caller deduplicates.

Supported JMESPath (anything else raises :class:`UnsupportedExpression` naming the construct):
identifiers and quoted identifiers, sub-expressions ``a.b``, index ``[0]`` / ``[-1]``, slices
``[1:3]`` / ``[::-1]``, flatten ``[]``, list projection ``[*]``, object-value projection ``.*``,
filter projection ``[?cond]``, multiselect list ``[a, b]``, pipe ``a | b``, ``@``, raw string
literals ``'x'`` and JSON literals, ``&&``, ``||``, ``!``, parentheses, comparisons ``== != < <= > >=``
(equality needs a scalar literal on one side; ordering compares any two operands), and the functions
``length``, ``to_string``, ``join``, ``not_null``, ``starts_with`` and ``contains`` (its search argument a
string literal).

Where jmespath would raise a type error at run time (``join`` on a list that is not all strings,
``length`` of a number, ``'a' < `1```), the SQL yields null for that sub-expression, so the record
gives no ids from it rather than failing the whole load.

Known edges where the SQL and jmespath differ, none reachable from a CloudTrail record in practice:
``to_string`` of an array or object gives null (jmespath gives its JSON text, whose spelling of numbers
and non-ASCII characters DuckDB cannot reproduce exactly); objects with duplicate keys (DuckDB reads the
first, Python the last); integers beyond 64 bits are compared and printed as doubles; ids inside more than
:data:`MAX_NESTING` levels of nested lists raise an error at query time instead of being returned.

Only the standard library and ``jmespath`` are imported here.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import jmespath
from jmespath import exceptions as jmespath_exceptions

from .errors import TrailcreatorError

__all__ = [
    "UnsupportedExpression",
    "InvalidExpression",
    "parse_ids",
    "compile_ids",
    "compile_value",
    "normalize_sql",
    "normalize_ids",
    "sql_string_literal",
    "MAX_NESTING",
]

#: How many levels of lists nested inside lists the SQL flattens when it collects ids.  Deeper nesting
#: makes the query fail with an error naming this limit, never return a partial list.
MAX_NESTING = 8

SUPPORTED = (
    "supported: fields and quoted fields, a.b, [0], [-1], slices, [], [*], .*, [?filter], [a, b], "
    "a | b, @, 'raw' and `json` literals, &&, ||, !, comparisons == != < <= > >=, and the functions "
    "length, to_string, join, not_null, starts_with, contains"
)


class UnsupportedExpression(TrailcreatorError, ValueError):
    """A valid JMESPath expression that uses a construct the SQL compiler does not translate."""


class InvalidExpression(TrailcreatorError, ValueError):
    """Not a valid JMESPath expression (or one that always fails, such as a wrong argument count)."""


# --- Python reference semantics ------------------------------------------------------------------


def _number_text(n) -> str:
    if isinstance(n, int) and -(2**63) <= n < 2**64:
        return str(n)
    return repr(float(n))


def normalize_ids(value) -> list[str]:
    """The ids a jmespath result stands for: flat list of strings, in order (see the module doc)."""
    out: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, bool) or v is None or isinstance(v, dict):
            continue
        if isinstance(v, str):
            if v:
                out.append(v)
        elif isinstance(v, (int, float)):
            out.append(_number_text(v))
        elif isinstance(v, list):
            stack.extend(reversed(v))
    return out


# --- parsing and validation ----------------------------------------------------------------------

# name -> (min args, max args or None for variadic)
_FUNCTIONS = {
    "length": (1, 1),
    "to_string": (1, 1),
    "join": (2, 2),
    "not_null": (1, None),
    "starts_with": (2, 2),
    "contains": (2, 2),
}

_NODE_NAMES = {
    "multi_select_dict": "multiselect hash {...}",
    "key_val_pair": "multiselect hash {...}",
    "expref": "expression reference &expr",
}


def _unsupported(expression: str, construct: str) -> UnsupportedExpression:
    return UnsupportedExpression(
        f"ids expression {expression!r}: {construct} is not supported when compiling to SQL; {SUPPORTED}"
    )


def _is_scalar_literal(node: dict) -> bool:
    return node["type"] == "literal" and not isinstance(node["value"], (list, dict))


def _check(node: dict, expression: str) -> None:
    t = node["type"]
    if t in _NODE_NAMES:
        raise _unsupported(expression, _NODE_NAMES[t])
    if t == "function_expression":
        name = node["value"]
        if name not in _FUNCTIONS:
            raise _unsupported(expression, f"the function {name}()")
        lo, hi = _FUNCTIONS[name]
        n = len(node["children"])
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise InvalidExpression(
                f"ids expression {expression!r}: {name}() takes {want} argument(s), got {n}"
            )
        if name == "contains" and not (
            node["children"][1]["type"] == "literal" and isinstance(node["children"][1]["value"], str)
        ):
            raise _unsupported(expression, "contains() with a search argument other than a string literal")
    elif t == "comparator":
        left, right = node["children"]
        for side in (left, right):
            if side["type"] == "literal" and isinstance(side["value"], (list, dict)):
                raise _unsupported(expression, "a comparison with an array or object literal")
        if node["value"] in ("eq", "ne") and not (_is_scalar_literal(left) or _is_scalar_literal(right)):
            raise _unsupported(
                expression, "an equality comparison between two non-literal expressions (one side must be "
                "a literal such as 'running' or `1`)"
            )
    elif t == "slice":
        if node["children"][2] == 0:
            raise InvalidExpression(f"ids expression {expression!r}: slice step cannot be 0")
    elif t == "field":
        _check_text(node["value"], expression)
    elif t == "literal":
        _check_text(json.dumps(node["value"], ensure_ascii=False), expression)
    for child in node.get("children", []):
        if isinstance(child, dict):
            _check(child, expression)


def _check_text(s: str, expression: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise _unsupported(expression, "a lone UTF-16 surrogate in a name or literal") from None


def parse_ids(expression: str) -> dict:
    """Parse and validate an ``ids`` expression; returns the jmespath AST.

    Call at map-load time: raises :class:`InvalidExpression` for a JMESPath syntax error and
    :class:`UnsupportedExpression` for a construct :func:`compile_ids` does not translate.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidExpression(f"ids expression {expression!r}: must be a non-empty string")
    try:
        ast = jmespath.compile(expression).parsed
    except jmespath_exceptions.JMESPathError as e:
        reason = getattr(e, "msg", None) or str(e).splitlines()[0]
        raise InvalidExpression(f"ids expression {expression!r} is not valid JMESPath: {reason}") from None
    _check(ast, expression)
    return ast


# --- SQL text helpers ----------------------------------------------------------------------------


def sql_string_literal(s: str) -> str:
    """A SQL string literal for ``s`` that can never end early: quotes doubled, control characters
    spliced in with ``chr(n)``.  Backslashes need nothing (standard SQL strings have no escapes)."""
    if not isinstance(s, str):
        raise TypeError("sql_string_literal takes a str")
    _check_text(s, s)
    parts: list[str] = []
    buf: list[str] = []
    for ch in s:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            if buf:
                parts.append("'" + "".join(buf).replace("'", "''") + "'")
                buf = []
            parts.append(f"chr({ord(ch)})")
        else:
            buf.append(ch)
    if buf or not parts:
        parts.append("'" + "".join(buf).replace("'", "''") + "'")
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SIMPLE_SQL = re.compile(r'[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z|"[^"]+"(\."[^"]+")*\Z')


# --- values during compilation -------------------------------------------------------------------

JSON, LIST, BOOL, STR, NUM = "json", "list", "bool", "str", "num"


@dataclass(frozen=True)
class Val:
    """A SQL expression and what it holds.

    json: DuckDB JSON (SQL NULL and JSON null both mean null); list: JSON[] (NULL means null), the
    elements of a JSON array; bool: BOOLEAN; str: VARCHAR; num: BIGINT.  ``base``/``path`` are set
    when ``sql`` is ``json_extract(base, path)`` with a JSONPath that a following field or index can
    extend instead of parsing the document again.
    """

    sql: str
    kind: str = JSON
    base: str | None = None
    path: str | None = None


class DuckDB:
    """SQL spellings for DuckDB 1.x (JSON extension built in).  A second dialect implements the same
    methods; the compiler never writes dialect-specific SQL itself."""

    name = "duckdb"
    json_path_negative_index = True  # '$[-1]' is the last element

    def __init__(self):
        self._n = 0

    def var(self) -> str:
        self._n += 1
        return f"__tc{self._n}"

    def lam(self, var: str, body: str) -> str:
        return f"lambda {var}: {body}"

    # --- let-binding: evaluate an expression once, use it many times
    def let(self, sql: str, body) -> str:
        """``body(name)`` with ``name`` bound to the value of ``sql``, evaluated once."""
        if _SIMPLE_SQL.match(sql):
            return body(sql)
        v = self.var()
        return f"list_transform([{sql}], {self.lam(v, body(v))})[1]"

    # --- JSON access
    def json_type(self, j: str) -> str:
        return f"json_type({j})"

    def is_type(self, j: str, *types: str) -> str:
        """BOOLEAN: the JSON value ``j`` is of one of ``types`` (DuckDB's json_type names); NULL for NULL."""
        if len(types) == 1:
            return f"json_type({j}) = '{types[0]}'"
        return f"json_type({j}) IN (" + ", ".join(f"'{t}'" for t in types) + ")"

    def type_case(self, j: str, branches: list[tuple[str, str]], else_sql: str | None = None,
                  null_as_type: bool = False) -> str:
        """CASE on the JSON type of ``j``: ``branches`` are (json_type name, SQL).  SQL NULL takes the
        ELSE branch, or the 'NULL' branch when ``null_as_type``."""
        subject = f"coalesce(json_type({j}), 'NULL')" if null_as_type else f"json_type({j})"
        whens = " ".join(f"WHEN '{t}' THEN {sql}" for t, sql in branches)
        return f"CASE {subject} {whens}" + (f" ELSE {else_sql}" if else_sql is not None else "") + " END"

    def is_null(self, j: str) -> str:
        return f"coalesce(json_type({j}), 'NULL') = 'NULL'"

    def json_path(self, base: str, path: str) -> str:
        return f"json_extract({base}, {sql_string_literal(path)})"

    def json_key(self, j: str, key: str) -> str:
        """Field ``key`` of ``j`` if ``j`` is an object, else NULL (JSON Pointer, any key)."""
        pointer = "/" + key.replace("~", "~0").replace("/", "~1")
        sql = f"json_extract({j}, {sql_string_literal(pointer)})"
        if key.isascii() and key.isdigit():
            # A pointer segment of digits also indexes arrays: only objects have fields.
            return self.let(j, lambda x: f"CASE WHEN json_type({x}) = 'OBJECT' THEN "
                            f"json_extract({x}, {sql_string_literal(pointer)}) END")
        return sql

    def array_elements(self, j: str) -> str:
        """JSON[] of the elements if ``j`` is an array, else NULL."""
        return self.let(j, lambda x: f"CASE WHEN json_type({x}) = 'ARRAY' THEN json_extract({x}, '$[*]') END")

    def object_values(self, j: str) -> str:
        return self.let(j, lambda x: f"CASE WHEN json_type({x}) = 'OBJECT' THEN json_extract({x}, '$.*') END")

    def json_literal(self, value) -> str:
        return f"CAST({sql_string_literal(json.dumps(value, ensure_ascii=True))} AS JSON)"

    def to_json(self, sql: str) -> str:
        return f"to_json({sql})"

    def json_string(self, j: str, bare: bool = False) -> str:
        """VARCHAR of a JSON string value (``j`` known to hold a string)."""
        return f"{j} ->> '$'" if bare else f"({j} ->> '$')"

    def elements_of_array(self, j: str) -> str:
        """JSON[] of the elements of ``j``, known to be an array."""
        return f"json_extract({j}, '$[*]')"

    def object_size(self, j: str) -> str:
        """How many keys the object ``j`` has."""
        return f"len(json_keys({j}))"

    def big_int(self, j: str) -> str:
        """An integral JSON number as an exact number type wide enough for 64-bit unsigned."""
        return f"CAST({j} AS HUGEINT)"

    def int_text(self, j: str) -> str:
        return f"CAST(CAST({j} AS HUGEINT) AS VARCHAR)"

    def double_text(self, j: str) -> str:
        return f"CAST(CAST({j} AS DOUBLE) AS VARCHAR)"

    def null_json(self) -> str:
        return "CAST(NULL AS JSON)"

    def null_list(self) -> str:
        return "CAST(NULL AS JSON[])"

    def list_all(self, lst: str, var: str, cond: str) -> str:
        """BOOLEAN: ``cond`` holds for every element (true for an empty list)."""
        return f"coalesce(list_bool_and({self.list_transform(lst, var, cond)}), true)"

    def list_contains(self, lst: str, value: str) -> str:
        return f"list_contains({lst}, {value})"

    def str_contains(self, s: str, needle: str) -> str:
        return f"contains({s}, {needle})"

    def join_strings(self, strings: str, glue_literal: str) -> str:
        return f"array_to_string({strings}, {glue_literal})"

    def join_strings_with(self, strings: str, lst: str, glue: str, a: str, b: str) -> str:
        """Join with a computed separator (DuckDB wants a constant one for array_to_string)."""
        return (f"CASE WHEN len({lst}) = 0 THEN '' ELSE "
                f"list_reduce({strings}, lambda {a}, {b}: {a} || {glue} || {b}) END")

    # --- lists
    def list_transform(self, lst: str, var: str, body: str) -> str:
        return f"list_transform({lst}, {self.lam(var, body)})"

    def list_filter(self, lst: str, var: str, cond: str) -> str:
        return f"list_filter({lst}, {self.lam(var, cond)})"

    def flatten(self, lst: str) -> str:
        return f"flatten({lst})"

    def list_value(self, items: list[str]) -> str:
        return "[" + ", ".join(items) + "]"

    def list_len(self, lst: str) -> str:
        return f"len({lst})"

    def list_get(self, lst: str, index_sql: str) -> str:
        """Element at 0-based ``index_sql`` (negative counts from the end); NULL if out of range."""
        return f"{lst}[{index_sql}]"

    def list_get_const(self, lst: str, i: int) -> str:
        return f"{lst}[{i + 1 if i >= 0 else i}]"

    def range_list(self, start: str, stop: str, step: int) -> str:
        return f"range({start}, {stop}, {step})"

    def empty_ids(self) -> str:
        return "CAST([] AS VARCHAR[])"

    def error(self, message: str, typ: str) -> str:
        return f"CAST(error({sql_string_literal(message)}) AS {typ})"

    def int_literal(self, n: int) -> str:
        if -(2**127) <= n < 2**127:
            return f"CAST({n} AS HUGEINT)"
        return f"CAST({float(n)!r} AS DOUBLE)"

    def double_literal(self, f: float) -> str:
        if math.isnan(f) or math.isinf(f):
            return f"CAST('{f!r}' AS DOUBLE)"
        return f"CAST({f!r} AS DOUBLE)"



class Athena(DuckDB):
    """SQL spellings for Athena engine v3 (Trino): JSON values of type JSON, ``ARRAY(JSON)`` for
    lists, ``x -> ...`` lambdas, 1-based ``element_at``.

    Trino has no ``json_type``: :meth:`json_type` derives DuckDB's type names from the first
    character of ``json_format`` (the JSON text Trino holds), so the compiler's type tests read
    the same in both dialects.  Numbers are printed as that JSON text (integers as their digits).
    """

    name = "athena"
    json_path_negative_index = False  # Trino's JSONPath subscripts are 0 and up

    def lam(self, var: str, body: str) -> str:
        return f"{var} -> {body}"

    def let(self, sql: str, body) -> str:
        if _SIMPLE_SQL.match(sql):
            return body(sql)
        v = self.var()
        return f"element_at(transform(ARRAY[{sql}], {self.lam(v, body(v))}), 1)"

    # --- JSON access: the type of a value is the first character of its JSON text
    _CHARS = {"VARCHAR": ('"',), "ARRAY": ("[",), "OBJECT": ("{",), "BOOLEAN": ("t", "f"), "NULL": ("n",)}
    _NUMBERS = ("BIGINT", "UBIGINT", "DOUBLE")
    _INTEGER = "'^-?[0-9]+$'"

    def json_type(self, j: str) -> str:  # pragma: no cover - the compiler asks is_type/type_case
        raise NotImplementedError("Athena: use is_type or type_case")

    def _first(self, j: str) -> str:
        return f"substr(json_format({j}), 1, 1)"

    def is_type(self, j: str, *types: str) -> str:
        chars = [c for t in types for c in self._CHARS.get(t, ())]
        terms = []
        if chars:
            terms.append(f"{self._first(j)} = '{chars[0]}'" if len(chars) == 1
                         else f"{self._first(j)} IN (" + ", ".join(f"'{c}'" for c in chars) + ")")
        nums = [t for t in types if t in self._NUMBERS]
        if nums:
            pattern = "'^-?[0-9]'" if "DOUBLE" in nums else self._INTEGER
            terms.append(f"regexp_like(json_format({j}), {pattern})")
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    def type_case(self, j: str, branches: list[tuple[str, str]], else_sql: str | None = None,
                  null_as_type: bool = False) -> str:
        """A CASE on the first character of the JSON text; a number is anything else.  SQL NULL
        reads as 'n' (JSON null) with ``null_as_type``, else as 'x', which takes the default."""
        by_type = dict(branches)
        default = else_sql if else_sql is not None else "NULL"
        ints = by_type.get("BIGINT", by_type.get("UBIGINT"))
        dbl = by_type.get("DOUBLE")
        if ints is None and dbl is None:
            number = default
        elif ints == dbl:
            number = ints
        else:
            number = (f"CASE WHEN regexp_like(json_format({j}), {self._INTEGER}) THEN "
                      f"{ints if ints is not None else default} ELSE {dbl if dbl is not None else default} END")
        whens = []
        for t in ("VARCHAR", "ARRAY", "OBJECT", "BOOLEAN", "NULL"):
            sql = by_type.get(t, default)
            if sql != number:
                whens += [f"WHEN '{c}' THEN {sql}" for c in self._CHARS[t]]
        if default != number:
            whens.append(f"WHEN 'x' THEN {default}")
        if not whens:
            return number
        subject = f"coalesce({self._first(j)}, '{'n' if null_as_type else 'x'}')"
        return f"CASE {subject} " + " ".join(whens) + f" ELSE {number} END"

    def is_null(self, j: str) -> str:
        return f"({j} IS NULL OR json_format({j}) = 'null')"

    def json_path(self, base: str, path: str) -> str:
        return f"json_extract({base}, {sql_string_literal(path)})"

    def json_key(self, j: str, key: str) -> str:
        """Any key: through a MAP(VARCHAR, JSON) (Trino's JSONPath has no escape for every key)."""
        return self.let(j, lambda x: f"CASE WHEN {self.is_type(x, 'OBJECT')} THEN "
                        f"element_at(CAST({x} AS MAP(VARCHAR, JSON)), {sql_string_literal(key)}) END")

    def array_elements(self, j: str) -> str:
        return self.let(j, lambda x: f"CASE WHEN {self.is_type(x, 'ARRAY')} THEN CAST({x} AS ARRAY(JSON)) END")

    def object_values(self, j: str) -> str:
        return self.let(j, lambda x: f"CASE WHEN {self.is_type(x, 'OBJECT')} THEN "
                        f"map_values(CAST({x} AS MAP(VARCHAR, JSON))) END")

    def json_literal(self, value) -> str:
        return f"json_parse({sql_string_literal(json.dumps(value, ensure_ascii=True))})"

    def to_json(self, sql: str) -> str:
        return f"CAST({sql} AS JSON)"

    def json_string(self, j: str, bare: bool = False) -> str:
        return f"json_extract_scalar({j}, '$')"

    def elements_of_array(self, j: str) -> str:
        return f"CAST({j} AS ARRAY(JSON))"

    def object_size(self, j: str) -> str:
        return f"json_size({j}, '$')"

    def big_int(self, j: str) -> str:
        return f"CAST({j} AS DECIMAL(38, 0))"

    def int_text(self, j: str) -> str:
        return f"json_format({j})"

    def double_text(self, j: str) -> str:
        return f"json_format({j})"

    def null_json(self) -> str:
        return "CAST(NULL AS JSON)"

    def null_list(self) -> str:
        return "CAST(NULL AS ARRAY(JSON))"

    # --- lists
    def list_transform(self, lst: str, var: str, body: str) -> str:
        return f"transform({lst}, {self.lam(var, body)})"

    def list_filter(self, lst: str, var: str, cond: str) -> str:
        return f"filter({lst}, {self.lam(var, cond)})"

    def list_value(self, items: list[str]) -> str:
        return "ARRAY[" + ", ".join(items) + "]"

    def list_len(self, lst: str) -> str:
        return f"cardinality({lst})"

    def list_get(self, lst: str, index_sql: str) -> str:
        return f"element_at({lst}, {index_sql})"

    def list_get_const(self, lst: str, i: int) -> str:
        return f"element_at({lst}, {i + 1 if i >= 0 else i})"

    def range_list(self, start: str, stop: str, step: int) -> str:
        """DuckDB's range (stop excluded, empty when it goes nowhere) from Trino's sequence."""
        if step > 0:
            return (f"CASE WHEN ({start}) < ({stop}) THEN sequence(CAST({start} AS BIGINT), CAST(({stop}) - 1 AS BIGINT), {step}) "
                    f"ELSE CAST(ARRAY[] AS ARRAY(BIGINT)) END")
        return (f"CASE WHEN ({start}) > ({stop}) THEN sequence(CAST({start} AS BIGINT), CAST(({stop}) + 1 AS BIGINT), {step}) "
                f"ELSE CAST(ARRAY[] AS ARRAY(BIGINT)) END")

    def empty_ids(self) -> str:
        return "CAST(ARRAY[] AS ARRAY(VARCHAR))"

    def error(self, message: str, typ: str) -> str:
        typ = {"VARCHAR[]": "ARRAY(VARCHAR)", "JSON[]": "ARRAY(JSON)"}.get(typ, typ)
        return f"CAST(fail({sql_string_literal(message)}) AS {typ})"

    def int_literal(self, n: int) -> str:
        if -(10**38) < n < 10**38:
            return f"CAST({n} AS DECIMAL(38, 0))"
        return f"CAST({float(n)!r} AS DOUBLE)"

    def double_literal(self, f: float) -> str:
        if math.isnan(f):
            return "nan()"
        if math.isinf(f):
            return "infinity()" if f > 0 else "-infinity()"
        return f"CAST({f!r} AS DOUBLE)"

    def list_all(self, lst: str, var: str, cond: str) -> str:
        return f"coalesce(all_match({lst}, {self.lam(var, cond)}), true)"

    def list_contains(self, lst: str, value: str) -> str:
        return f"contains({lst}, {value})"

    def str_contains(self, s: str, needle: str) -> str:
        return f"(strpos({s}, {needle}) > 0)"

    def join_strings(self, strings: str, glue_literal: str) -> str:
        return f"array_join({strings}, {glue_literal})"

    def join_strings_with(self, strings: str, lst: str, glue: str, a: str, b: str) -> str:
        return (f"CASE WHEN cardinality({lst}) = 0 THEN '' ELSE "
                f"reduce(slice({strings}, 2, cardinality({strings})), element_at({strings}, 1), "
                f"({a}, {b}) -> {a} || {glue} || {b}, {a} -> {a}) END")


_DIALECTS = {"duckdb": DuckDB, "athena": Athena}


# --- the compiler --------------------------------------------------------------------------------


class _Compiler:
    def __init__(self, expression: str, dialect):
        self.expression = expression
        self.d = dialect

    # conversions -----------------------------------------------------------------------------

    def as_json(self, v: Val) -> str:
        if v.kind == JSON:
            return v.sql
        return self.d.to_json(v.sql)

    def as_list(self, v: Val) -> str:
        """JSON[] if the value is a list, else NULL."""
        if v.kind == LIST:
            return v.sql
        if v.kind == JSON:
            return self.d.array_elements(v.sql)
        return self.d.null_list()

    def truthy(self, v: Val) -> str:
        """BOOLEAN, never NULL: JMESPath truthiness (false, null, '', [], {} are false; 0 is true)."""
        if v.kind == BOOL:
            return f"coalesce({v.sql}, false)"
        if v.kind == STR:
            return f"coalesce({v.sql} <> '', false)"
        if v.kind == NUM:
            return f"({v.sql} IS NOT NULL)"
        if v.kind == LIST:
            return f"coalesce({self.d.list_len(v.sql)} > 0, false)"
        d = self.d
        return d.let(v.sql, lambda x: "coalesce(" + d.type_case(x, [
            ("NULL", "false"), ("BOOLEAN", f"CAST({x} AS BOOLEAN)"), ("VARCHAR", f"{d.json_string(x)} <> ''"),
            ("ARRAY", f"json_array_length({x}) > 0"), ("OBJECT", f"{d.object_size(x)} > 0")],
            "true", null_as_type=True) + ", false)")

    def is_null(self, v: Val) -> str:
        if v.kind == JSON:
            return self.d.is_null(v.sql)
        return f"({v.sql} IS NULL)"

    # entry point -----------------------------------------------------------------------------

    def ids(self, ast: dict, doc_sql: str) -> str:
        root = Val(doc_sql, JSON)
        if not _SIMPLE_SQL.match(doc_sql):
            # Evaluate a computed document once.
            return self.d.let(doc_sql, lambda x: self.normalize(self.visit(ast, Val(x, JSON))))
        return self.normalize(self.visit(ast, root))

    def normalize(self, v: Val) -> str:
        d = self.d
        if v.kind == STR:
            return d.let(v.sql, lambda s: f"CASE WHEN {s} IS NULL OR {s} = '' THEN {d.empty_ids()} ELSE {d.list_value([s])} END")
        if v.kind == NUM:
            return d.let(v.sql, lambda n: f"CASE WHEN {n} IS NULL THEN {d.empty_ids()} ELSE {d.list_value([f'CAST({n} AS VARCHAR)'])} END")
        if v.kind == BOOL:
            return d.empty_ids()
        if v.kind == LIST:
            e = d.var()
            return f"coalesce({d.flatten(d.list_transform(v.sql, e, self.normalize_json(e, MAX_NESTING)))}, {d.empty_ids()})"
        return d.let(v.sql, lambda x: self.normalize_json(x, MAX_NESTING + 1))

    def normalize_json(self, x: str, depth: int) -> str:
        """VARCHAR[] of the ids in the JSON value named ``x`` (a bound name: used several times)."""
        d = self.d
        if depth == 0:
            deeper = d.error(
                f"trailcreator: ids nested in more than {MAX_NESTING} levels of lists are not supported"
                + (f" (expression {self.expression!r})" if self.expression else ""), "VARCHAR[]")
        else:
            e = d.var()
            deeper = d.flatten(d.list_transform(d.elements_of_array(x), e, self.normalize_json(e, depth - 1)))
        return d.type_case(x, [
            ("VARCHAR", f"CASE WHEN {d.json_string(x)} = '' THEN {d.empty_ids()} ELSE {d.list_value([d.json_string(x, bare=True)])} END"),
            ("BIGINT", d.list_value([d.int_text(x)])),
            ("UBIGINT", d.list_value([d.int_text(x)])),
            ("DOUBLE", d.list_value([d.double_text(x)])),
            ("ARRAY", deeper)], d.empty_ids())

    # nodes -----------------------------------------------------------------------------------

    def visit(self, node: dict, cur: Val) -> Val:
        method = getattr(self, "visit_" + node["type"], None)
        if method is None:
            raise _unsupported(self.expression, _NODE_NAMES.get(node["type"], f"the construct {node['type']}"))
        return method(node, cur)

    def visit_identity(self, node, cur):
        return cur

    visit_current = visit_identity

    def visit_field(self, node, cur):
        key = node["value"]
        if cur.kind != JSON:
            return Val(self.d.null_json())  # a field of a list, string, number or boolean is null
        if _SIMPLE_KEY.match(key):
            if cur.path is not None:
                base, path = cur.base, cur.path + "." + key
            else:
                base, path = cur.sql, "$." + key
            return Val(self.d.json_path(base, path), JSON, base, path)
        return Val(self.d.json_key(cur.sql, key), JSON)

    def visit_subexpression(self, node, cur):
        for child in node["children"]:
            cur = self.visit(child, cur)
        return cur

    visit_pipe = visit_subexpression
    visit_index_expression = visit_subexpression

    def visit_index(self, node, cur):
        i = node["value"]
        if cur.kind == LIST:
            return Val(self.d.list_get_const(cur.sql, i), JSON)
        if cur.kind != JSON:
            return Val(self.d.null_json())
        if i < 0 and not self.d.json_path_negative_index:
            return Val(self.d.list_get_const(self.as_list(cur), i), JSON)
        # JSONPath [i] is NULL on anything but an array, as JMESPath wants.
        if cur.path is not None:
            base, path = cur.base, f"{cur.path}[{i}]"
        else:
            base, path = cur.sql, f"$[{i}]"
        return Val(self.d.json_path(base, path), JSON, base, path)

    def visit_slice(self, node, cur):
        start, stop, step = node["children"]
        step = 1 if step is None else step
        d = self.d

        def body(lst):
            n = d.list_len(lst)

            def bound(b, default):
                lower, upper = (-1, f"{n} - 1") if step < 0 else (0, n)
                if b is None:
                    return upper if default == "upper" else str(lower)
                if b < 0:
                    return f"greatest({n} + ({b}), {lower})"
                return f"least({b}, {upper})"

            lo = bound(start, "upper" if step < 0 else "lower")
            hi = bound(stop, "lower" if step < 0 else "upper")
            i = d.var()
            return d.list_transform(d.range_list(lo, hi, step), i, d.list_get(lst, f"{i} + 1"))

        return Val(d.let(self.as_list(cur), body), LIST)

    def visit_flatten(self, node, cur):
        base = self.visit(node["children"][0], cur)
        e = self.d.var()
        merged = self.d.list_transform(
            self.as_list(base), e,
            f"CASE WHEN {self.d.is_type(e, 'ARRAY')} THEN {self.d.elements_of_array(e)} ELSE {self.d.list_value([e])} END")
        return Val(self.d.flatten(merged), LIST)

    def _project(self, base_list: str, rhs: dict) -> Val:
        d = self.d
        if rhs["type"] == "identity":
            mapped = base_list
        else:
            e = d.var()
            mapped = d.list_transform(base_list, e, self.as_json(self.visit(rhs, Val(e, JSON))))
        keep = d.var()
        return Val(d.list_filter(mapped, keep, f"NOT ({d.is_null(keep)})"), LIST)

    def visit_projection(self, node, cur):
        left, rhs = node["children"]
        base = self.visit(left, cur)
        return self._project(self.as_list(base), rhs)

    def visit_value_projection(self, node, cur):
        left, rhs = node["children"]
        base = self.visit(left, cur)
        if base.kind != JSON:
            values = self.d.null_list()
        else:
            values = self.d.object_values(base.sql)
        return self._project(values, rhs)

    def visit_filter_projection(self, node, cur):
        left, rhs, cond = node["children"]
        base = self.visit(left, cur)
        e = self.d.var()
        kept = self.d.list_filter(self.as_list(base), e, self.truthy(self.visit(cond, Val(e, JSON))))
        return self._project(kept, rhs)

    def visit_multi_select_list(self, node, cur):
        items = [self.as_json(self.visit(child, cur)) for child in node["children"]]
        lst = self.d.list_value([f"CAST({i} AS JSON)" for i in items])
        if cur.sql == self.d.null_json():
            return Val(self.d.null_list(), LIST)
        if cur.kind == JSON:
            return Val(f"CASE WHEN {self.is_null(cur)} THEN NULL ELSE {lst} END", LIST)
        return Val(f"CASE WHEN {cur.sql} IS NULL THEN NULL ELSE {lst} END", LIST)

    def visit_literal(self, node, cur):
        return Val(self.d.json_literal(node["value"]), JSON)

    # booleans --------------------------------------------------------------------------------

    def visit_not_expression(self, node, cur):
        return Val(f"(NOT {self.truthy(self.visit(node['children'][0], cur))})", BOOL)

    def _same_kind(self, a: Val, b: Val) -> tuple[Val, Val]:
        if a.kind == b.kind:
            return a, b
        return Val(self.as_json(a)), Val(self.as_json(b))

    def visit_or_expression(self, node, cur):
        a, b = self._same_kind(*(self.visit(c, cur) for c in node["children"]))
        return Val(self.d.let(a.sql, lambda x: f"CASE WHEN {self.truthy(Val(x, a.kind))} THEN {x} ELSE {b.sql} END"),
                   a.kind)

    def visit_and_expression(self, node, cur):
        a, b = self._same_kind(*(self.visit(c, cur) for c in node["children"]))
        return Val(self.d.let(a.sql, lambda x: f"CASE WHEN {self.truthy(Val(x, a.kind))} THEN {b.sql} ELSE {x} END"),
                   a.kind)

    def visit_comparator(self, node, cur):
        op = node["value"]
        left, right = node["children"]
        if op in ("eq", "ne"):
            if _is_scalar_literal(right):
                other, lit = left, right["value"]
            else:
                other, lit = right, left["value"]
            eq = self._equals_literal(self.visit(other, cur), lit)
            return Val(eq if op == "eq" else f"(NOT {eq})", BOOL)
        sym = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        a = self.as_json(self.visit(left, cur))
        b = self.as_json(self.visit(right, cur))

        def cmp(x, y):
            d, ints, nums = self.d, ("BIGINT", "UBIGINT"), ("BIGINT", "UBIGINT", "DOUBLE")
            return (f"CASE WHEN {d.is_type(x, *ints)} AND {d.is_type(y, *ints)} "
                    f"THEN {self.d.big_int(x)} {sym} {self.d.big_int(y)} "
                    f"WHEN {d.is_type(x, *nums)} AND {d.is_type(y, *nums)} "
                    f"THEN CAST({x} AS DOUBLE) {sym} CAST({y} AS DOUBLE) "
                    f"WHEN {d.is_type(x, 'VARCHAR')} AND {d.is_type(y, 'VARCHAR')} "
                    f"THEN {self.d.json_string(x)} {sym} {self.d.json_string(y)} END")

        return Val(self.d.let(a, lambda x: self.d.let(b, lambda y: cmp(x, y))), BOOL)

    def _equals_literal(self, v: Val, lit) -> str:
        """BOOLEAN, never NULL: JMESPath ``v == lit`` for a scalar literal."""
        d = self.d
        if lit is None:
            return self.is_null(v)
        j = self.as_json(v)
        if isinstance(lit, bool):
            return d.let(j, lambda x: (
                f"coalesce(CASE WHEN {d.is_type(x, 'BOOLEAN')} THEN CAST({x} AS BOOLEAN) = {str(lit).lower()} END, false)"))
        if isinstance(lit, str):
            return d.let(j, lambda x: (
                f"coalesce(CASE WHEN {d.is_type(x, 'VARCHAR')} THEN {d.json_string(x)} = {sql_string_literal(lit)} END, false)"))
        # a number (never equal to a boolean, whatever Python thinks of 1 == True)
        if isinstance(lit, int) and -(2**63) <= lit < 2**64:
            return d.let(j, lambda x: "coalesce(" + d.type_case(x, [
                ("BIGINT", f"{d.big_int(x)} = {d.int_literal(lit)}"),
                ("UBIGINT", f"{d.big_int(x)} = {d.int_literal(lit)}"),
                ("DOUBLE", f"CAST({x} AS DOUBLE) = {d.double_literal(float(lit))}")]) + ", false)")
        f = d.double_literal(float(lit))
        return d.let(j, lambda x: (
            f"coalesce(CASE WHEN {d.is_type(x, 'BIGINT', 'UBIGINT', 'DOUBLE')} THEN CAST({x} AS DOUBLE) = {f} END, false)"))

    # functions -------------------------------------------------------------------------------

    def visit_function_expression(self, node, cur):
        name = node["value"]
        args = [self.visit(c, cur) for c in node["children"]]
        return getattr(self, "fn_" + name)(args, node)

    def fn_length(self, args, node):
        (v,) = args
        if v.kind == LIST:
            return Val(self.d.list_len(v.sql), NUM)
        if v.kind == STR:
            return Val(f"length({v.sql})", NUM)
        if v.kind != JSON:
            return Val("CAST(NULL AS BIGINT)", NUM)
        d = self.d
        return Val(d.let(v.sql, lambda x: "CAST(" + d.type_case(x, [
            ("VARCHAR", f"length({d.json_string(x, bare=True)})"), ("ARRAY", f"json_array_length({x})"),
            ("OBJECT", d.object_size(x))]) + " AS BIGINT)"), NUM)

    def fn_to_string(self, args, node):
        (v,) = args
        if v.kind == STR:
            return v
        if v.kind == NUM:
            return Val(f"coalesce(CAST({v.sql} AS VARCHAR), 'null')", STR)
        if v.kind == BOOL:
            return Val(f"CASE WHEN {v.sql} THEN 'true' WHEN NOT {v.sql} THEN 'false' ELSE 'null' END", STR)
        if v.kind == LIST:
            return Val(f"CASE WHEN {v.sql} IS NULL THEN 'null' END", STR)
        d = self.d
        return Val(d.let(v.sql, lambda x: f"CASE WHEN {x} IS NULL THEN 'null' ELSE " + d.type_case(x, [
            ("VARCHAR", d.json_string(x, bare=True)), ("BIGINT", d.int_text(x)), ("UBIGINT", d.int_text(x)),
            ("DOUBLE", d.double_text(x)), ("BOOLEAN", f"CASE WHEN CAST({x} AS BOOLEAN) THEN 'true' ELSE 'false' END"),
            ("NULL", "'null'")]) + " END"), STR)

    def _string_or_null(self, v: Val, body) -> str:
        """``body(varchar_sql)`` if ``v`` is a string, else NULL."""
        if v.kind == STR:
            return self.d.let(v.sql, body)
        if v.kind != JSON:
            return "NULL"
        return self.d.let(v.sql, lambda x: f"CASE WHEN {self.d.is_type(x, 'VARCHAR')} THEN {body(self.d.json_string(x))} END")

    def fn_join(self, args, node):
        glue, arr = args
        d = self.d
        lst = self.as_list(arr)
        glue_node = node["children"][0]
        constant_glue = glue_node["type"] == "literal" and isinstance(glue_node["value"], str)

        def body(g):
            def on_list(lx):
                e, s, a, b = d.var(), d.var(), d.var(), d.var()
                all_str = d.list_all(lx, e, d.is_type(e, "VARCHAR"))
                strings = d.list_transform(lx, s, d.json_string(s, bare=True))
                if constant_glue:
                    joined = d.join_strings(strings, sql_string_literal(glue_node["value"]))
                else:
                    joined = d.join_strings_with(strings, lx, g, a, b)
                return f"CASE WHEN {all_str} THEN {joined} END"
            return d.let(lst, on_list)

        return Val(self._string_or_null(glue, body), STR)

    def fn_not_null(self, args, node):
        items = [f"CASE WHEN {self.is_null(a)} THEN NULL ELSE {self.as_json(a)} END" for a in args]
        return Val("coalesce(" + ", ".join(f"CAST({i} AS JSON)" for i in items) + ")", JSON)

    def fn_starts_with(self, args, node):
        subject, prefix = args
        sql = self._string_or_null(subject, lambda s: self._string_or_null(prefix, lambda p: f"starts_with({s}, {p})"))
        return Val(sql, BOOL)

    def fn_contains(self, args, node):
        subject = args[0]
        needle = sql_string_literal(node["children"][1]["value"])
        d = self.d
        if subject.kind == STR:
            return Val(d.str_contains(subject.sql, needle), BOOL)
        if subject.kind == LIST:
            e = d.var()
            strings = d.list_transform(subject.sql, e, f"CASE WHEN {d.is_type(e, 'VARCHAR')} THEN {d.json_string(e, bare=True)} END")
            return Val(d.list_contains(strings, needle), BOOL)
        if subject.kind != JSON:
            return Val("CAST(NULL AS BOOLEAN)", BOOL)

        def body(x):
            e = d.var()
            strings = d.list_transform(d.elements_of_array(x), e,
                                       f"CASE WHEN {d.is_type(e, 'VARCHAR')} THEN {d.json_string(e, bare=True)} END")
            return d.type_case(x, [("VARCHAR", d.str_contains(d.json_string(x, bare=True), needle)),
                                   ("ARRAY", f"coalesce({d.list_contains(strings, needle)}, false)")])
        return Val(d.let(subject.sql, body), BOOL)


def _dialect(name: str):
    if name not in _DIALECTS:
        raise ValueError(f"unknown SQL dialect {name!r}; known: {', '.join(sorted(_DIALECTS))}")
    return _DIALECTS[name]()


def compile_value(expression: str, doc_sql: str, dialect: str = "duckdb") -> str:
    """SQL expression (JSON) of the value ``expression`` yields on ``doc_sql`` (a column name),
    before it is turned into ids.  ``normalize_sql(compile_value(e, doc))`` gives the same ids as
    ``compile_ids(e, doc)``; splitting them lets one query apply the (long) normalization once
    to the values of many expressions, which keeps Athena's query text small."""
    ast = parse_ids(expression)
    if not _SIMPLE_SQL.match(doc_sql):
        raise ValueError("compile_value takes a column name as the document")
    c = _Compiler(expression, _dialect(dialect))
    return c.as_json(c.visit(ast, Val(doc_sql, JSON)))


def normalize_sql(value_sql: str, dialect: str = "duckdb") -> str:
    """SQL expression (list of VARCHAR, never NULL) of the ids in the JSON value ``value_sql``."""
    return _Compiler("", _dialect(dialect)).normalize(Val(value_sql, JSON))


def compile_ids(expression: str, doc_sql: str, dialect: str = "duckdb") -> str:
    """SQL expression (``VARCHAR[]``, never NULL) of the ids ``expression`` yields on the JSON value
    ``doc_sql`` (a SQL expression of type JSON, e.g. a column name).  See the module doc for the rule."""
    ast = parse_ids(expression)
    if dialect not in _DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; known: {', '.join(sorted(_DIALECTS))}")
    return _Compiler(expression, _DIALECTS[dialect]()).ids(ast, doc_sql)
