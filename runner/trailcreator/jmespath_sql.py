"""Compile the JMESPath ``ids`` expressions of a resource map to SQL, so extraction runs in the database.

A resource map names, per (eventSource, eventName), a JMESPath expression evaluated on one CloudTrail
record.  :func:`compile_ids` turns it into a SQL expression of type ``VARCHAR[]`` over a JSON column;
:func:`normalize_ids` is the Python reference for what that list must be.

Result rule (``normalize_ids``, and what the SQL returns, element for element and in the same order):

* a string is an id, except the empty string;
* a number is an id written as text: an integer that fits 64 bits (signed or unsigned) as its decimal
  digits (``123``, ``-7``); any other number as the shortest text that reads back as the same double,
  Python ``repr`` style (``1.5``, ``1.0``, ``1e+20``), which is also how DuckDB prints a DOUBLE;
* null, booleans and objects are not ids and are dropped;
* a list contributes the ids of its elements, in order, nested lists flattened (``[["a"], "b"]``
  gives ``a, b``);
* duplicates are kept; the caller deduplicates.

Every valid JMESPath expression is accepted.  What the compiler translates to plain SQL: identifiers and quoted identifiers, sub-expressions ``a.b``, index ``[0]`` / ``[-1]``,
slices ``[1:3]`` / ``[::-1]``, flatten ``[]``, list projection ``[*]``, object-value projection
``.*``, filter projection ``[?cond]``, multiselect list ``[a, b]`` and ``a.[b, c]``, pipe ``a | b``,
``@``, raw string literals ``'x'`` and JSON literals, ``&&``, ``||``, ``!``, parentheses, comparisons
``== != < <= > >=``, and the functions ``length``, ``to_string``, ``join``, ``not_null``,
``starts_with`` and ``contains``; on DuckDB also multiselect hashes ``{a: b}`` and the functions
``type``, ``abs``, ``ceil``, ``floor``, ``ends_with``, ``keys``, ``values``, ``to_array``, ``reverse``
and ``map(&expr, list)`` (``ceil``/``floor`` beyond 4e18 and ``reverse`` of a string ask jmespath).  Two restrictions: an equality needs a string, number, boolean or
null literal on one side (``state.name == 'running'``; comparing two arbitrary values would need deep
equality of lists and objects), and the search argument of ``contains`` must be a string literal.
Ordering compares numbers with numbers and strings with strings (code point order), as jmespath does.
Anything else (the other functions, multiselect hashes, expression references, equality of two
arbitrary values) is evaluated on DuckDB by the jmespath library itself, through the scalar function
:data:`UDF_NAME` that :func:`register` defines on a connection (the dbt profile's plugin
``trailcreator.dbt_plugin`` does so under ``dbt build``); on Athena it raises
:class:`UnsupportedExpression` naming the construct, when the map is compiled for Athena.

Where jmespath raises a type error at run time (``join`` on a list that is not all strings,
``length`` of a number, ``starts_with`` of null, ``'a' < `1```), the SQL yields null for that
sub-expression, so the record gives no ids from it instead of failing the whole load.

Known differences from jmespath, none reachable from a CloudTrail record in practice:

* ``to_string`` of an array or object is jmespath's own text on DuckDB; on Athena it stops the query
  with an error naming the expression (Trino does not spell numbers and non-ASCII characters as
  Python's ``json.dumps`` does);
* an object with duplicate keys: DuckDB reads the first, Python the last;
* integers beyond 64 bits are compared and printed as doubles, and an integer compared with a
  fractional number is compared as doubles (Python compares exactly);
* ids inside more than :data:`MAX_NESTING` levels of nested lists stop the query with an error
  instead of being returned;
* a NaN or infinity (``to_number('nan')``), which is not JSON, is null.

Both errors are :class:`~trailcreator.errors.TrailcreatorError`, so the command line reports them in
one line, and ``ValueError``.

Two SQL dialects spell the same compiled meaning: ``dialect="duckdb"`` for DuckDB 1.x (lambdas are
written ``lambda x: ...``, the form DuckDB 2.0 keeps) and ``dialect="athena"`` for Athena engine v3
(Trino), whose numbers become ids as Trino's JSON text of them.  :func:`compile_value` and
:func:`normalize_sql` split :func:`compile_ids` in two, so that a query over many expressions writes
the normalization once (Athena limits the length of a query's text).

Only the standard library, ``jmespath`` and the project's error type are imported here.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass

import jmespath
import jmespath.functions
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
    "sql_construct_missing",
    "register",
    "UDF_NAME",
    "MAX_NESTING",
]

#: How many levels of lists nested inside lists the SQL flattens when it collects ids.  Deeper nesting
#: makes the query fail with an error naming this limit, never return a partial list.
MAX_NESTING = 8

SUPPORTED = (
    "supported: fields and quoted fields, a.b, [0], [-1], slices, [], [*], .*, [?filter], [a, b], "
    "a | b, @, 'raw' and `json` literals, &&, ||, !, comparisons == != < <= > >=, and the functions "
    "length, to_string, join, not_null, starts_with, contains (on DuckDB also {a: b}, type, abs, ceil, "
    "floor, ends_with, keys, values, to_array, reverse and map(&expr, list))"
)

#: Compiled on DuckDB only; on Athena they are refused like any construct the compiler lacks.
_DUCKDB_FUNCTIONS = {
    "type": (1, 1), "abs": (1, 1), "ceil": (1, 1), "floor": (1, 1), "ends_with": (2, 2), "keys": (1, 1),
    "values": (1, 1), "to_array": (1, 1), "reverse": (1, 1), "map": (2, 2),
}


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
#: Nodes the compiler itself refuses where it cannot translate them (per dialect, or outside map()).
_COMPILER_CHECKED = {"multi_select_dict", "key_val_pair", "expref"}


def _unsupported(expression: str, construct: str) -> UnsupportedExpression:
    return UnsupportedExpression(
        f"ids expression {expression!r}: {construct} is not supported when compiling to SQL; {SUPPORTED}"
    )


def _is_scalar_literal(node: dict) -> bool:
    return node["type"] == "literal" and not isinstance(node["value"], (list, dict))


def _arity(name: str) -> tuple[int, int | None]:
    """(min, max or None) arguments of a jmespath built-in function."""
    signature = _JMESPATH_FUNCTIONS[name]["signature"]
    if signature and signature[-1].get("variadic"):
        return len(signature), None
    return len(signature), len(signature)


_JMESPATH_FUNCTIONS = jmespath.functions.Functions().FUNCTION_TABLE


def _validate(node: dict, expression: str) -> None:
    """What jmespath itself would refuse on every document: unknown functions, wrong argument counts,
    a slice step of 0.  Raises :class:`InvalidExpression`."""
    t = node["type"]
    if t == "function_expression":
        name = node["value"]
        if name not in _JMESPATH_FUNCTIONS:
            raise InvalidExpression(f"ids expression {expression!r}: unknown function {name}()")
        lo, hi = _arity(name)
        n = len(node["children"])
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise InvalidExpression(
                f"ids expression {expression!r}: {name}() takes {want} argument(s), got {n}"
            )
    elif t == "slice":
        if node["children"][2] == 0:
            raise InvalidExpression(f"ids expression {expression!r}: slice step cannot be 0")
    for child in node.get("children", []):
        if isinstance(child, dict):
            _validate(child, expression)


def _check(node: dict, expression: str) -> None:
    """Raises :class:`UnsupportedExpression` naming the first construct the SQL compiler does not
    translate (the expression is then evaluated by jmespath itself where the engine can, see
    :func:`register`)."""
    t = node["type"]
    if t in _NODE_NAMES and t not in _COMPILER_CHECKED:
        raise _unsupported(expression, _NODE_NAMES[t])
    if t == "function_expression":
        name = node["value"]
        if name not in _FUNCTIONS and name not in _DUCKDB_FUNCTIONS:
            raise _unsupported(expression, f"the function {name}()")
        if name == "contains" and not (
            node["children"][1]["type"] == "literal" and isinstance(node["children"][1]["value"], str)
        ):
            raise _unsupported(expression, "contains() with a search argument other than a string literal")
    elif t == "comparator":
        left, right = node["children"]
        if node["value"] in ("eq", "ne") and not (_is_scalar_literal(left) or _is_scalar_literal(right)):
            # Equality of two arbitrary values is deep (lists, objects, 1 == 1.0 inside them); with a
            # scalar literal on one side it is exact.
            raise _unsupported(
                expression, "an equality comparison without a string, number, boolean or null literal on "
                "one side (such as 'running' or `1`)"
            )
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

    Call at map-load time: raises :class:`InvalidExpression` for a JMESPath syntax error, an unknown
    function or a wrong argument count, and :class:`UnsupportedExpression` for an expression that
    cannot be written into SQL text at all (a lone UTF-16 surrogate).  Whether the SQL compiler
    translates it is :func:`sql_construct_missing`'s question: on DuckDB the rest is evaluated by
    jmespath itself (:func:`register`), on Athena it is refused.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidExpression(f"ids expression {expression!r}: must be a non-empty string")
    try:
        ast = jmespath.compile(expression).parsed
    except jmespath_exceptions.JMESPathError as e:
        reason = getattr(e, "msg", None) or str(e).splitlines()[0]
        raise InvalidExpression(f"ids expression {expression!r} is not valid JMESPath: {reason}") from None
    _validate(ast, expression)
    _check_text(expression, expression)
    return ast


def sql_construct_missing(expression: str, dialect: str = "duckdb") -> str | None:
    """None if ``expression`` compiles to plain SQL of ``dialect``; else the message naming the
    construct that does not (DuckDB then evaluates the expression with jmespath, Athena refuses it)."""
    ast = parse_ids(expression)
    try:
        _check(ast, expression)
        _Compiler(expression, _dialect(dialect)).value(ast, "doc")
    except UnsupportedExpression as e:
        return str(e)
    return None


# --- SQL text helpers ----------------------------------------------------------------------------


#: Characters a SQL string literal never holds as themselves: control characters (a literal stays on
#: one line) and the braces, so that no user string can form ``{{``, ``{%`` or ``{#`` in SQL that dbt
#: renders as Jinja (``chr`` is spelled alike in DuckDB and Trino).
_SPLICED = frozenset([chr(c) for c in range(0x20)] + [chr(0x7F), "{", "}"])


def sql_string_literal(s: str) -> str:
    """A SQL string literal for ``s`` that can never end early and never holds a brace: quotes
    doubled; control characters, ``{`` and ``}`` spliced in with ``chr(n)``.  Backslashes need
    nothing (standard SQL strings have no escapes)."""
    if not isinstance(s, str):
        raise TypeError("sql_string_literal takes a str")
    _check_text(s, s)
    parts: list[str] = []
    buf: list[str] = []
    for ch in s:
        if ch in _SPLICED:
            if buf:
                parts.append("'" + "".join(buf).replace("'", "''") + "'")
                buf = []
            parts.append(f"chr({ord(ch)})")
        else:
            buf.append(ch)
    if buf or not parts:
        parts.append("'" + "".join(buf).replace("'", "''") + "'")
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


_SIMPLE_SQL = re.compile(r'[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z|"[^"]+"(\."[^"]+")*\Z')


# --- values during compilation -------------------------------------------------------------------

#: What a compiled SQL expression holds.  JSON: one JSON value (SQL NULL and JSON null both mean
#: null).  LIST: the elements of a JSON array as a SQL list of JSON (SQL NULL means null).  BOOL,
#: STR, NUM: a SQL boolean, string or integer (SQL NULL means null), from comparisons and functions.
JSON, LIST, BOOL, STR, NUM = "json", "list", "bool", "str", "num"

#: The JSON kinds a dialect tells apart.
KINDS = ("string", "integer", "double", "boolean", "null", "array", "object")


@dataclass(frozen=True)
class Val:
    """A SQL expression and what it holds.  ``base``/``path`` are set when ``sql`` reads ``path`` (a
    tuple of ('key', name) and ('index', i) steps) from ``base``, so that a following field or index
    extends the one read instead of parsing the document again."""

    sql: str
    kind: str = JSON
    base: str | None = None
    path: tuple = ()


# --- dialects ------------------------------------------------------------------------------------


class Dialect:
    """How one SQL engine spells the operations the compiler needs.

    The compiler decides what each JMESPath node means; a dialect only writes SQL.  Standard SQL
    (CASE, coalesce, NOT, CAST) and what DuckDB and Trino spell alike live here; the rest of the JSON,
    list and lambda syntax is for each engine to supply (see DuckDB for the meaning of each).
    """

    name = "?"
    #: The SQL type of each kind of value, and of a list of ids ("VARCHAR[]").
    SQL_TYPES: dict[str, str] = {}
    #: The function that stops the query with a message.
    FAIL = "?"

    def __init__(self):
        self._n = 0
        self.prefix = "__tc"

    def var(self) -> str:
        """A fresh name for a lambda parameter."""
        self._n += 1
        return f"{self.prefix}{self._n}"

    # standard SQL
    def case(self, whens: list[tuple[str, str]], else_: str | None = None) -> str:
        body = " ".join(f"WHEN {c} THEN {v}" for c, v in whens)
        return f"CASE {body}" + (f" ELSE {else_}" if else_ is not None else "") + " END"

    def coalesce(self, *items: str) -> str:
        return f"coalesce({', '.join(items)})"

    def not_(self, cond: str) -> str:
        return f"(NOT {cond})"

    def is_sql_null(self, sql: str) -> str:
        return f"({sql} IS NULL)"

    def cast(self, sql: str, typ: str) -> str:
        return f"CAST({sql} AS {typ})"

    def string(self, s: str) -> str:
        return sql_string_literal(s)

    def null(self, kind: str) -> str:
        return self.cast("NULL", self.SQL_TYPES[kind])

    def bool_text(self, b: str) -> str:
        return f"CASE WHEN {b} THEN 'true' WHEN NOT {b} THEN 'false' END"

    def num_text(self, n: str) -> str:
        return self.cast(n, "VARCHAR")

    def error(self, message: str, kind: str) -> str:
        """Stops the query with ``message`` when evaluated (only inside a branch that is taken)."""
        return self.cast(f"{self.FAIL}({self.string(message)})", self.SQL_TYPES.get(kind, kind))

    # spelled alike in DuckDB and Trino
    def is_null(self, x: str) -> str:
        return self.is_kind(x, "null")

    def is_null_unparsed(self, x: str) -> str:
        """``is_null`` for the whole record, where an engine can tell without parsing it."""
        return self.is_null(x)

    def get_path(self, base: str, path: tuple) -> str:
        """``json_extract`` of a JSONPath of the steps ``can_extend_path`` allows (plain keys and
        indexes): NULL where a key meets a non-object or an index a non-array, as JMESPath wants."""
        text = "$" + "".join(f".{v}" if k == "key" else f"[{v}]" for k, v in path)
        return f"json_extract({base}, {self.string(text)})"

    def double_of(self, x: str) -> str:
        return self.cast(x, "DOUBLE")

    def bool_of(self, x: str) -> str:
        return self.cast(x, "BOOLEAN")

    def starts_with(self, s: str, prefix: str) -> str:
        return f"starts_with({s}, {prefix})"

    def empty_ids(self) -> str:
        return self.cast(self.varchar_list([]), self.SQL_TYPES["VARCHAR[]"])

    def list_value(self, items: list[str]) -> str:
        """A LIST of JSON items."""
        return self.varchar_list(items)

    #: Whether the engine can call jmespath itself (:meth:`jmespath_value`).
    evaluates_jmespath = False
    compiles_extras = False

    def jmespath_value(self, expression: str, x: str) -> str:
        """JSON: ``expression`` evaluated by the jmespath library on the JSON value ``x``, where the
        engine can call it (DuckDB, through :func:`register`); elsewhere the expression is refused."""
        raise UnsupportedExpression(f"ids expression {expression!r}: not supported on {self.name}")

    # what an engine must supply (see DuckDB for the meaning of each)
    def _abstract(self, *args, **kwargs):
        raise NotImplementedError(f"the {self.name} dialect does not write this operation")

    let = kind_case = is_kind = can_extend_path = get_key = elements = array_elements = object_values = _abstract
    string_of = int_of = int_text = double_text = array_length = object_size = _abstract
    json_literal = int_literal = double_literal = to_json = _abstract
    list_transform = list_filter = flatten = varchar_list = list_len = list_get = list_get_const = _abstract
    range_list = list_contains = list_all = join_strings = str_length = str_contains = _abstract


_DUCKDB_TYPES = {
    "string": ("VARCHAR",),
    "integer": ("BIGINT", "UBIGINT"),
    "double": ("DOUBLE",),
    "boolean": ("BOOLEAN",),
    "null": ("NULL",),
    "array": ("ARRAY",),
    "object": ("OBJECT",),
}
_PATH_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class DuckDB(Dialect):
    """DuckDB 1.x, JSON extension built in.  Lambdas are written ``lambda x: ...`` (DuckDB 2.0 drops
    ``x -> ...``)."""

    name = "duckdb"
    SQL_TYPES = {JSON: "JSON", LIST: "JSON[]", BOOL: "BOOLEAN", STR: "VARCHAR", NUM: "BIGINT", "VARCHAR[]": "VARCHAR[]"}
    FAIL = "error"

    def let(self, sql: str, body, kind: str = JSON) -> str:
        """``body(name)`` with ``name`` bound to the value of ``sql`` (a ``kind``), evaluated once."""
        if _SIMPLE_SQL.match(sql):
            return body(sql)
        v = self.var()
        return f"list_transform([CAST({sql} AS {self.SQL_TYPES[kind]})], lambda {v}: {body(v)})[1]"

    evaluates_jmespath = True
    #: Writes the constructs of _DUCKDB_FUNCTIONS and multiselect hashes.
    compiles_extras = True

    def jmespath_value(self, expression: str, x: str) -> str:
        return f"CAST({UDF_NAME}({self.string(expression)}, CAST({x} AS VARCHAR)) AS JSON)"

    # --- inspecting a JSON value
    def kind_case(self, x: str, branches: dict[str, str], else_: str | None = None) -> str:
        """CASE on the JSON kind of ``x`` (SQL NULL counts as "null")."""
        whens = " ".join(f"WHEN '{t}' THEN {sql}" for kind, sql in branches.items() for t in _DUCKDB_TYPES[kind])
        return f"CASE coalesce(json_type({x}), 'NULL') {whens}" + (f" ELSE {else_}" if else_ else "") + " END"

    def is_kind(self, x: str, *kinds: str) -> str:
        """A SQL boolean, never NULL: ``x`` is of one of ``kinds`` (SQL NULL counts as "null")."""
        types = ", ".join(f"'{t}'" for k in kinds for t in _DUCKDB_TYPES[k])
        return f"(coalesce(json_type({x}), 'NULL') IN ({types}))"

    def is_null_unparsed(self, x: str) -> str:
        """``is_null`` without parsing ``x``, for a whole record: valid JSON text that starts with
        ``n`` after whitespace is null."""
        return f"coalesce(regexp_matches(CAST({x} AS VARCHAR), '^\\s*n'), true)"

    def string_of(self, x: str) -> str:
        return f"({x} ->> '$')"

    def int_of(self, x: str) -> str:
        return f"CAST({x} AS HUGEINT)"

    def int_text(self, x: str) -> str:
        return f"CAST(CAST({x} AS HUGEINT) AS VARCHAR)"

    def double_text(self, x: str) -> str:
        # DuckDB prints a DOUBLE as the shortest round-trip text, like Python's repr.
        return f"CAST(CAST({x} AS DOUBLE) AS VARCHAR)"

    def array_length(self, x: str) -> str:
        return f"CAST(json_array_length({x}) AS BIGINT)"

    def object_size(self, x: str) -> str:
        return f"CAST(len(json_keys({x})) AS BIGINT)"

    # --- reading inside a JSON value
    def can_extend_path(self, step: tuple) -> bool:
        """Whether ``get_path`` can take ``step``; other steps go through ``get_key`` or, for an
        index, ``list_get_const`` of ``array_elements``."""
        return step[0] == "index" or bool(_PATH_KEY.match(step[1]))

    def get_key(self, x: str, key: str) -> str:
        """Field ``key`` of ``x`` if ``x`` is an object, else NULL; any key, by JSON Pointer."""
        pointer = self.string("/" + key.replace("~", "~0").replace("/", "~1"))
        if key.isascii() and key.isdigit():
            # A pointer step of digits also indexes arrays: only objects have fields.
            return self.let(x, lambda y: f"CASE WHEN json_type({y}) = 'OBJECT' THEN json_extract({y}, {pointer}) END")
        return f"json_extract({x}, {pointer})"

    def elements(self, x: str) -> str:
        """The elements (a LIST) of ``x``, known to be an array."""
        return f"json_extract({x}, '$[*]')"

    def array_elements(self, x: str) -> str:
        """The elements (a LIST) if ``x`` is an array, else NULL."""
        return self.let(x, lambda y: f"CASE WHEN json_type({y}) = 'ARRAY' THEN {self.elements(y)} END")

    def object_values(self, x: str) -> str:
        return self.let(x, lambda y: f"CASE WHEN json_type({y}) = 'OBJECT' THEN json_extract({y}, '$.*') END")

    # --- making values
    def json_literal(self, value) -> str:
        return f"CAST({self.string(json.dumps(value, ensure_ascii=True))} AS JSON)"

    def int_literal(self, n: int) -> str:
        return f"CAST({n} AS HUGEINT)"

    def double_literal(self, f: float) -> str:
        if math.isnan(f) or math.isinf(f):
            return f"CAST('{f!r}' AS DOUBLE)"
        return f"CAST({f!r} AS DOUBLE)"

    def to_json(self, sql: str) -> str:
        """JSON of a LIST, BOOL, STR or NUM value."""
        return f"to_json({sql})"

    # --- lists
    # Every list handed to a lambda is cast to its type: DuckDB folds a list that is NULL at compile
    # time to an untyped NULL, and a lambda over that does not bind.
    def list_transform(self, lst: str, var: str, body: str, elem: str = "JSON") -> str:
        return f"list_transform(CAST({lst} AS {elem}[]), lambda {var}: {body})"

    def list_filter(self, lst: str, var: str, cond: str, elem: str = "JSON") -> str:
        return f"list_filter(CAST({lst} AS {elem}[]), lambda {var}: {cond})"

    def flatten(self, lst: str, kind: str = LIST) -> str:
        """One level of a list of lists; ``kind`` LIST (JSON) or STR (ids)."""
        # The cast keeps the type when DuckDB folds flatten(NULL) to an untyped NULL, which a
        # lambda over the result could not bind.
        return f"CAST(flatten({lst}) AS {'JSON[]' if kind == LIST else 'VARCHAR[]'})"

    def list_value(self, items: list[str]) -> str:
        return self.varchar_list([f"CAST({i} AS JSON)" for i in items])

    def varchar_list(self, items: list[str]) -> str:
        """A list literal of the (VARCHAR) ``items``."""
        return "[" + ", ".join(items) + "]"

    def list_len(self, lst: str) -> str:
        return f"CAST(len({lst}) AS BIGINT)"

    def list_get(self, lst: str, index0: str) -> str:
        """Element at the 0-based SQL integer ``index0`` (0 <= index0 < len)."""
        return f"{lst}[{index0} + 1]"

    def list_get_const(self, lst: str, i: int) -> str:
        """Element ``i`` (negative counts from the end); NULL if out of range."""
        return f"{lst}[{i + 1 if i >= 0 else i}]"

    def range_list(self, start: str, stop: str, step: int) -> str:
        """Integers from ``start`` towards ``stop`` (excluded) by ``step``, as Python's range."""
        return f"CAST(range({start}, {stop}, {step}) AS BIGINT[])"

    def list_contains(self, lst: str, item: str) -> str:
        return f"list_contains({lst}, {item})"

    def list_all(self, lst: str, var: str, cond: str) -> str:
        return f"coalesce(list_bool_and({self.list_transform(lst, var, cond)}), true)"

    def join_strings(self, strings: str, glue: str, glue_is_constant: bool) -> str:
        if glue_is_constant:
            return f"array_to_string({strings}, {glue})"
        # array_to_string wants a constant separator
        a, b = self.var(), self.var()
        return self.let(strings, lambda s: (
            f"CASE WHEN len({s}) = 0 THEN '' ELSE list_reduce({s}, lambda {a}, {b}: {a} || {glue} || {b}) END"),
            "VARCHAR[]")

    # --- strings
    def str_length(self, s: str) -> str:
        return f"CAST(length({s}) AS BIGINT)"  # code points, as Python's len

    def str_contains(self, s: str, part: str) -> str:
        return f"contains({s}, {part})"


#: The first character of the JSON text of each non-number kind (Trino has no json_type).
_TRINO_FIRST = {"string": '"', "array": "[", "object": "{", "boolean": "tf", "null": "n"}
_TRINO_INTEGER = "'^-?[0-9]+$'"  # JSON number text without fraction or exponent
_TRINO_DOUBLE = "'^-?[0-9]+[.eE]'"
_TRINO_NUMBER = "'^-?[0-9]'"


class Athena(Dialect):
    """Athena engine v3 (Trino): JSON values of type JSON, ``ARRAY(JSON)`` for lists, ``x -> ...``
    lambdas, 1-based ``element_at``.

    Trino has no ``json_type``: the kind of a value is read from the first character of its JSON text
    (``json_format``), and a number is an integer when that text has no fraction or exponent.
    Numbers become ids as that JSON text.
    """

    name = "athena"
    SQL_TYPES = {JSON: "JSON", LIST: "ARRAY(JSON)", BOOL: "BOOLEAN", STR: "VARCHAR", NUM: "BIGINT",
                 "VARCHAR[]": "ARRAY(VARCHAR)"}
    FAIL = "fail"

    def let(self, sql: str, body, kind: str = JSON) -> str:
        if _SIMPLE_SQL.match(sql):
            return body(sql)
        if sql == "NULL":  # the one untyped value the compiler writes
            sql = self.null(kind)
        v = self.var()
        return f"element_at(transform(ARRAY[{sql}], {v} -> {body(v)}), 1)"

    # --- inspecting a JSON value
    def _first(self, x: str, null_too: bool = True) -> str:
        """The first character of the JSON text of ``x``: 'n' (JSON null) for SQL NULL, or SQL NULL
        without ``null_too``."""
        first = f"substr(json_format({x}), 1, 1)"
        return f"coalesce({first}, 'n')" if null_too else first

    def _number(self, x: str, pattern: str) -> str:
        """``x`` is a number whose JSON text matches ``pattern`` (NULL for SQL NULL)."""
        return f"regexp_like(json_format({x}), {pattern})"

    def kind_case(self, x: str, branches: dict[str, str], else_: str | None = None) -> str:
        """A CASE on the first character of the JSON text, numbers (any other character) in its ELSE."""
        default = "NULL" if else_ is None else else_  # kinds without a branch
        integer, double = branches.get("integer", default), branches.get("double", default)
        if integer == double:
            number_whens = [(self._number(x, _TRINO_NUMBER), integer)]
        else:
            number_whens = [(self._number(x, _TRINO_INTEGER), integer), (self._number(x, _TRINO_DOUBLE), double)]
        number_whens = [(c, sql) for c, sql in number_whens if sql != default]
        rest = self.case(number_whens, else_) if number_whens else else_
        whens = [(c, branches[kind]) for kind in KINDS if kind in _TRINO_FIRST and branches.get(kind, default) != default
                 for c in _TRINO_FIRST[kind]]
        if not whens:
            return default if rest is None else rest
        subject = self._first(x, null_too=branches.get("null", default) != default)
        return (f"CASE {subject} " + " ".join(f"WHEN {self.string(c)} THEN {sql}" for c, sql in whens)
                + (f" ELSE {rest}" if rest is not None else "") + " END")

    def is_kind(self, x: str, *kinds: str) -> str:
        chars = [c for k in kinds for c in _TRINO_FIRST.get(k, "")]
        terms = []
        if chars:
            terms.append(f"{self._first(x)} = {self.string(chars[0])}" if len(chars) == 1
                         else f"{self._first(x)} IN (" + ", ".join(self.string(c) for c in chars) + ")")
        if "integer" in kinds or "double" in kinds:
            pattern = (_TRINO_NUMBER if "integer" in kinds and "double" in kinds
                       else _TRINO_INTEGER if "integer" in kinds else _TRINO_DOUBLE)
            terms.append(f"coalesce({self._number(x, pattern)}, false)")
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    def is_null(self, x: str) -> str:
        return f"(coalesce(json_format({x}), 'null') = 'null')"

    def string_of(self, x: str) -> str:
        return f"json_extract_scalar({x}, '$')"

    def int_of(self, x: str) -> str:
        return f"CAST({x} AS DECIMAL(38, 0))"

    def int_text(self, x: str) -> str:
        return f"json_format({x})"

    double_text = int_text

    def array_length(self, x: str) -> str:
        return f"json_array_length({x})"

    def object_size(self, x: str) -> str:
        return f"json_size({x}, '$')"

    # --- reading inside a JSON value
    def can_extend_path(self, step: tuple) -> bool:
        # Trino's JSONPath subscripts are 0 and up.
        return step[1] >= 0 if step[0] == "index" else bool(_PATH_KEY.match(step[1]))

    def _map(self, x: str) -> str:
        return f"CAST({x} AS MAP(VARCHAR, JSON))"

    def get_key(self, x: str, key: str) -> str:
        """Any key, through a MAP(VARCHAR, JSON) (Trino's JSONPath has no escape for every key)."""
        return self.let(x, lambda y: self.kind_case(y, {"object": f"element_at({self._map(y)}, {self.string(key)})"}))

    def elements(self, x: str) -> str:
        return f"CAST({x} AS ARRAY(JSON))"

    def array_elements(self, x: str) -> str:
        return self.let(x, lambda y: self.kind_case(y, {"array": self.elements(y)}))

    def object_values(self, x: str) -> str:
        return self.let(x, lambda y: self.kind_case(y, {"object": f"map_values({self._map(y)})"}))

    # --- making values
    def json_literal(self, value) -> str:
        return f"json_parse({self.string(json.dumps(value, ensure_ascii=True))})"

    def int_literal(self, n: int) -> str:
        return f"CAST({n} AS DECIMAL(38, 0))"

    def double_literal(self, f: float) -> str:
        if math.isnan(f):
            return "nan()"
        if math.isinf(f):
            return "infinity()" if f > 0 else "-infinity()"
        return f"CAST({f!r} AS DOUBLE)"

    def to_json(self, sql: str) -> str:
        return f"CAST({sql} AS JSON)"

    # --- lists
    def list_transform(self, lst: str, var: str, body: str, elem: str = "JSON") -> str:
        return f"transform({lst}, {var} -> {body})"

    def list_filter(self, lst: str, var: str, cond: str, elem: str = "JSON") -> str:
        return f"filter({lst}, {var} -> {cond})"

    def flatten(self, lst: str, kind: str = LIST) -> str:
        return f"flatten({lst})"

    def varchar_list(self, items: list[str]) -> str:
        return "ARRAY[" + ", ".join(items) + "]"

    def list_len(self, lst: str) -> str:
        return f"cardinality({lst})"

    def list_get(self, lst: str, index0: str) -> str:
        return f"element_at({lst}, {index0} + 1)"

    def list_get_const(self, lst: str, i: int) -> str:
        return f"element_at({lst}, {i + 1 if i >= 0 else i})"

    def range_list(self, start: str, stop: str, step: int) -> str:
        """Python's range from Trino's sequence (stop included, and an error where it goes nowhere)."""
        cmp, last = ("<", f"({stop}) - 1") if step > 0 else (">", f"({stop}) + 1")
        return self.case([(f"({start}) {cmp} ({stop})",
                           f"sequence(CAST({start} AS BIGINT), CAST({last} AS BIGINT), {step})")],
                         "CAST(ARRAY[] AS ARRAY(BIGINT))")

    def list_contains(self, lst: str, item: str) -> str:
        return f"contains({lst}, {item})"

    def list_all(self, lst: str, var: str, cond: str) -> str:
        return f"coalesce(all_match({lst}, {var} -> {cond}), true)"

    def join_strings(self, strings: str, glue: str, glue_is_constant: bool) -> str:
        return f"array_join({strings}, {glue})"  # any separator, constant or not

    # --- strings
    def str_length(self, s: str) -> str:
        return f"length({s})"  # code points, as Python's len

    def str_contains(self, s: str, part: str) -> str:
        return f"(strpos({s}, {part}) > 0)"


_DIALECTS = {"duckdb": DuckDB, "athena": Athena}


# --- the compiler --------------------------------------------------------------------------------


class _DuckDBCompiler:
    """The constructs compiled on DuckDB only (mixed into :class:`_Compiler`)."""

    def _extras(self, construct: str) -> None:
        if not self.d.compiles_extras:
            raise _unsupported(self.expression, construct)

    def visit_multi_select_dict(self, node, cur):
        self._extras("multiselect hash {...}")
        d = self.d
        keys = [pair["value"] for pair in node["children"]]
        if len(set(keys)) != len(keys):
            raise _unsupported(self.expression, "a multiselect hash that repeats a key")
        parts = ", ".join(f"{d.string(pair['value'])}, {self.as_json(self.visit(pair['children'][0], cur))}"
                          for pair in node["children"])
        if cur.kind == JSON:
            null = d.is_null_unparsed(cur.sql) if cur.sql == self.root else d.is_null(cur.sql)
        else:
            null = d.is_sql_null(cur.sql)
        return Val(d.case([(null, d.null(JSON))], f"json_object({parts})"), JSON)

    def visit_expref(self, node, cur):
        raise _unsupported(self.expression, "an expression reference &expr outside map()")

    def _json_arg(self, v: Val) -> str:
        return self.as_json(v)

    def fn_type(self, args, node):
        self._extras("the function type()")
        d = self.d
        return Val(d.let(self._json_arg(args[0]), lambda x: d.kind_case(x, {
            "string": "'string'", "integer": "'number'", "double": "'number'", "boolean": "'boolean'",
            "null": "'null'", "array": "'array'", "object": "'object'"})), STR)

    def fn_abs(self, args, node):
        self._extras("the function abs()")
        d = self.d
        return Val(d.let(self._json_arg(args[0]), lambda x: d.kind_case(x, {
            "integer": d.to_json(f"abs({d.int_of(x)})"),
            "double": d.to_json(f"abs({d.double_of(x)})")})), JSON)

    def _rounding(self, name: str, args) -> Val:
        """ceil/floor: Python's math.ceil/floor, an integer; beyond 2**62 jmespath itself does it."""
        self._extras(f"the function {name}()")
        d = self.d
        return Val(d.let(self._json_arg(args[0]), lambda x: d.kind_case(x, {
            "integer": x,
            "double": d.case([(f"abs({d.double_of(x)}) < 4.0e18",
                               d.to_json(f"CAST({name}({d.double_of(x)}) AS BIGINT)"))],
                             d.jmespath_value(f"{name}(@)", x))})), JSON)

    def fn_ceil(self, args, node):
        return self._rounding("ceil", args)

    def fn_floor(self, args, node):
        return self._rounding("floor", args)

    def fn_ends_with(self, args, node):
        self._extras("the function ends_with()")
        subject, suffix = args
        return Val(self._if_string(subject, lambda s: self._if_string(suffix, lambda p: f"suffix({s}, {p})")), BOOL)

    def fn_keys(self, args, node):
        self._extras("the function keys()")
        d = self.d
        return Val(d.let(self._json_arg(args[0]), lambda x: d.kind_case(x, {
            "object": d.to_json(f"json_keys({x})")})), JSON)

    def fn_values(self, args, node):
        self._extras("the function values()")
        return Val(self.d.object_values(self._json_arg(args[0])), LIST)

    def fn_to_array(self, args, node):
        self._extras("the function to_array()")
        d = self.d
        (v,) = args
        if v.kind == LIST:
            return Val(d.case([(d.is_sql_null(v.sql), d.list_value([d.null(JSON)]))], v.sql), LIST)
        return Val(d.let(self._json_arg(v), lambda x: d.kind_case(x, {"array": d.elements(x)},
                                                                  d.list_value([x]))), LIST)

    def fn_reverse(self, args, node):
        """A list reversed in SQL; a string by jmespath (code points, as Python's s[::-1])."""
        self._extras("the function reverse()")
        d = self.d
        return Val(d.let(self._json_arg(args[0]), lambda x: d.kind_case(x, {
            "array": d.to_json(f"list_reverse({d.elements(x)})"),
            "string": d.jmespath_value("reverse(@)", x)})), JSON)

    def fn_map(self, args, node):
        """map(&expr, list): expr on each element, nulls kept; null where the list is not a list."""
        self._extras("the function map()")
        d = self.d
        ref, lst = node["children"]
        if ref["type"] != "expref":
            return Val(d.null(LIST), LIST)  # jmespath: a type error, null here
        e = d.var()
        body = self.as_json(self.visit(ref["children"][0], Val(e, JSON)))
        return Val(d.list_transform(self.as_list(args[1]), e, body), LIST)


class _Compiler(_DuckDBCompiler):
    """Walks the jmespath AST; each node turns the SQL of the current value into the SQL of its
    result, with jmespath's tree interpreter as the reference for what each node means."""

    def __init__(self, expression: str, dialect: Dialect):
        self.expression = expression
        self.d = dialect
        self.root = None  # the SQL name of the whole record

    # conversions -----------------------------------------------------------------------------

    def as_json(self, v: Val) -> str:
        return v.sql if v.kind == JSON else self.d.to_json(v.sql)

    def as_list(self, v: Val) -> str:
        """The elements if the value is a list, else NULL."""
        if v.kind == LIST:
            return v.sql
        if v.kind == JSON:
            return self.d.array_elements(v.sql)
        return self.d.null(LIST)

    def truthy(self, v: Val) -> str:
        """A SQL boolean, never NULL: JMESPath truthiness (false, null, '', [], {} are false; 0 is true)."""
        d = self.d
        if v.kind == BOOL:
            return d.coalesce(v.sql, "false")
        if v.kind == STR:
            return d.coalesce(f"{v.sql} <> ''", "false")
        if v.kind == NUM:
            return d.not_(d.is_sql_null(v.sql))
        if v.kind == LIST:
            return d.coalesce(f"{d.list_len(v.sql)} > 0", "false")
        return d.let(v.sql, lambda x: d.coalesce(d.kind_case(x, {
            "null": "false",
            "boolean": d.bool_of(x),
            "string": f"{d.string_of(x)} <> ''",
            "array": f"{d.array_length(x)} > 0",
            "object": f"{d.object_size(x)} > 0",
        }, "true"), "false"))

    def is_null(self, v: Val) -> str:
        if v.kind == JSON:
            return self.d.is_null(v.sql)
        return self.d.is_sql_null(v.sql)

    # entry point and the result rule ---------------------------------------------------------

    def ids(self, ast: dict, doc_sql: str) -> str:
        return self._on(doc_sql, lambda doc: self.normalize(self.visit(ast, Val(doc, JSON))))

    def value(self, ast: dict, doc_sql: str) -> str:
        return self._on(doc_sql, lambda doc: self.as_json(self.visit(ast, Val(doc, JSON))))

    def _on(self, doc_sql: str, body) -> str:
        """``body(name)`` with ``name`` the SQL of the document ``doc_sql``."""
        while self.d.prefix in doc_sql:  # lambda parameters must not shadow the document
            self.d.prefix += "_"

        def run(doc):
            self.root = doc
            return body(doc)

        if not _SIMPLE_SQL.match(doc_sql):
            return self.d.let(doc_sql, run)  # evaluate a computed document once
        return run(doc_sql)

    def normalize(self, v: Val) -> str:
        """The ids of a value, as a never-NULL list of strings (the module's result rule)."""
        d = self.d
        if v.kind == STR:
            return d.let(v.sql, lambda s: d.case([(f"{s} IS NULL OR {s} = ''", d.empty_ids())], d.varchar_list([s])),
                         STR)
        if v.kind == NUM:
            return d.let(v.sql, lambda n: d.case([(f"{n} IS NULL", d.empty_ids())], d.varchar_list([d.num_text(n)])),
                         NUM)
        if v.kind == BOOL:
            return d.empty_ids()
        if v.kind == LIST:
            e = d.var()
            return d.coalesce(d.flatten(d.list_transform(v.sql, e, self.ids_of_json(e)), STR), d.empty_ids())
        return d.let(v.sql, self.ids_of_json)

    def ids_of_json(self, x: str) -> str:
        """The ids in the JSON value named ``x``; scalars, the usual case, without list work."""
        d = self.d
        s = d.string_of(x)
        return d.kind_case(x, {
            "string": d.case([(f"{s} = ''", d.empty_ids())], d.varchar_list([s])),
            "integer": d.varchar_list([d.int_text(x)]),
            "double": d.varchar_list([d.double_text(x)]),
            "array": self.ids_of_list(d.elements(x), MAX_NESTING - 1),
        }, d.empty_ids())

    def ids_of_list(self, lst: str, levels: int) -> str:
        """The ids in a LIST: nested arrays expanded in place, level by level, ``levels`` times (one
        lambda deep each, so the SQL grows linearly and binds fast); an array still left after that
        stops the query with an error rather than losing ids."""
        d = self.d
        for _ in range(levels):
            lst = self._flatten_once(lst)
        e, s = d.var(), d.var()
        too_deep = d.error(
            f"trailcreator: ids nested in more than {MAX_NESTING} levels of lists are not supported"
            + (f" (expression {self.expression!r})" if self.expression else ""), STR)
        texts = d.list_transform(lst, e, d.kind_case(e, {
            "string": d.string_of(e),
            "integer": d.int_text(e),
            "double": d.double_text(e),
            "array": too_deep,
        }))
        return d.coalesce(d.list_filter(texts, s, f"{s} <> ''", "VARCHAR"), d.empty_ids())

    def _flatten_once(self, lst: str) -> str:
        """JMESPath's flatten of a LIST: array elements replaced by their elements."""
        d = self.d
        e = d.var()
        return d.flatten(d.list_transform(lst, e, d.kind_case(e, {"array": d.elements(e)}, d.list_value([e]))))

    # nodes -----------------------------------------------------------------------------------

    def visit(self, node: dict, cur: Val) -> Val:
        method = getattr(self, "visit_" + node["type"], None)
        if method is None:
            raise _unsupported(self.expression, _NODE_NAMES.get(node["type"], f"the construct {node['type']}"))
        return method(node, cur)

    def visit_identity(self, node, cur):
        return cur

    visit_current = visit_identity

    def _step(self, cur: Val, step: tuple) -> Val:
        if cur.base is not None and self.d.can_extend_path(step):
            base, path = cur.base, cur.path + (step,)
        elif self.d.can_extend_path(step):
            base, path = cur.sql, (step,)
        elif step[0] == "index":
            return Val(self.d.list_get_const(self.d.array_elements(cur.sql), step[1]), JSON)
        else:
            return Val(self.d.get_key(cur.sql, step[1]), JSON)
        return Val(self.d.get_path(base, path), JSON, base, path)

    def visit_field(self, node, cur):
        if cur.kind != JSON:
            return Val(self.d.null(JSON))  # a field of a list, string, number or boolean is null
        return self._step(cur, ("key", node["value"]))

    def visit_index(self, node, cur):
        i = node["value"]
        if cur.kind == LIST:
            return Val(self.d.list_get_const(cur.sql, i), JSON)
        if cur.kind != JSON:
            return Val(self.d.null(JSON))
        return self._step(cur, ("index", i))

    def visit_subexpression(self, node, cur):
        for child in node["children"]:
            cur = self.visit(child, cur)
        return cur

    visit_pipe = visit_subexpression  # a projection's list is an ordinary value after the pipe
    visit_index_expression = visit_subexpression

    def visit_slice(self, node, cur):
        start, stop, step = node["children"]
        step = 1 if step is None else step
        d = self.d

        def body(lst):
            # Python's slice.indices, with n = len(lst)
            n = d.list_len(lst)
            lower, upper = ("-1", f"{n} - 1") if step < 0 else ("0", n)

            def bound(b, default):
                if b is None:
                    return default
                if b < 0:
                    return f"greatest({n} + ({b}), {lower})"
                return f"least({b}, {upper})"

            lo = bound(start, upper if step < 0 else lower)
            hi = bound(stop, lower if step < 0 else upper)
            i = d.var()
            sliced = d.list_transform(d.range_list(lo, hi, step), i, d.list_get(lst, i), "BIGINT")
            # least/greatest skip NULLs, so a non-list needs its own branch
            return d.case([(d.not_(d.is_sql_null(lst)), sliced)])

        return Val(d.let(self.as_list(cur), body, LIST), LIST)

    def visit_flatten(self, node, cur):
        base = self.visit(node["children"][0], cur)
        return Val(self._flatten_once(self.as_list(base)), LIST)

    def _project(self, elements: str, rhs: dict) -> Val:
        """``rhs`` on each element, nulls dropped."""
        d = self.d
        if rhs["type"] == "identity":
            mapped = elements
        else:
            e = d.var()
            mapped = d.list_transform(elements, e, self.as_json(self.visit(rhs, Val(e, JSON))))
        keep = d.var()
        return Val(d.list_filter(mapped, keep, d.not_(d.is_null(keep))), LIST)

    def visit_projection(self, node, cur):
        left, rhs = node["children"]
        return self._project(self.as_list(self.visit(left, cur)), rhs)

    def visit_value_projection(self, node, cur):
        left, rhs = node["children"]
        base = self.visit(left, cur)
        values = self.d.object_values(base.sql) if base.kind == JSON else self.d.null(LIST)
        return self._project(values, rhs)

    def visit_filter_projection(self, node, cur):
        left, rhs, cond = node["children"]
        base = self.visit(left, cur)
        e = self.d.var()
        kept = self.d.list_filter(self.as_list(base), e, self.truthy(self.visit(cond, Val(e, JSON))))
        return self._project(kept, rhs)

    def visit_multi_select_list(self, node, cur):
        d = self.d
        lst = d.list_value([self.as_json(self.visit(child, cur)) for child in node["children"]])
        if cur.kind == JSON:
            # On the whole record, skip parsing it just to learn it is not null.
            null = d.is_null_unparsed(cur.sql) if cur.sql == self.root else d.is_null(cur.sql)
        else:
            null = d.is_sql_null(cur.sql)
        return Val(d.case([(null, d.null(LIST))], lst), LIST)

    def visit_literal(self, node, cur):
        return Val(self.d.json_literal(node["value"]), JSON)

    # booleans --------------------------------------------------------------------------------

    def visit_not_expression(self, node, cur):
        return Val(self.d.not_(self.truthy(self.visit(node["children"][0], cur))), BOOL)

    def _same_kind(self, a: Val, b: Val) -> tuple[Val, Val]:
        if a.kind == b.kind:
            return a, b
        return Val(self.as_json(a)), Val(self.as_json(b))

    def visit_or_expression(self, node, cur):
        a, b = self._same_kind(*(self.visit(c, cur) for c in node["children"]))
        return Val(self.d.let(a.sql, lambda x: self.d.case([(self.truthy(Val(x, a.kind)), x)], b.sql), a.kind), a.kind)

    def visit_and_expression(self, node, cur):
        a, b = self._same_kind(*(self.visit(c, cur) for c in node["children"]))
        return Val(self.d.let(a.sql, lambda x: self.d.case([(self.truthy(Val(x, a.kind)), b.sql)], x), a.kind), a.kind)

    def visit_comparator(self, node, cur):
        d = self.d
        op = node["value"]
        left, right = node["children"]
        if op in ("eq", "ne"):
            if _is_scalar_literal(right):
                other, lit = left, right["value"]
            else:
                other, lit = right, left["value"]
            eq = self._equals_literal(self.visit(other, cur), lit)
            return Val(eq if op == "eq" else d.not_(eq), BOOL)
        # Ordering: numbers with numbers, strings with strings (code point order); else null.
        sym = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        a = self.as_json(self.visit(left, cur))
        b = self.as_json(self.visit(right, cur))

        def cmp(x, y):
            return d.case([
                (f"{d.is_kind(x, 'integer')} AND {d.is_kind(y, 'integer')}", f"{d.int_of(x)} {sym} {d.int_of(y)}"),
                (f"{d.is_kind(x, 'integer', 'double')} AND {d.is_kind(y, 'integer', 'double')}",
                 f"{d.double_of(x)} {sym} {d.double_of(y)}"),
                (f"{d.is_kind(x, 'string')} AND {d.is_kind(y, 'string')}", f"{d.string_of(x)} {sym} {d.string_of(y)}"),
            ])

        return Val(d.let(a, lambda x: d.let(b, lambda y: cmp(x, y))), BOOL)

    def _equals_literal(self, v: Val, lit) -> str:
        """A SQL boolean, never NULL: JMESPath ``v == lit`` for a scalar literal."""
        d = self.d
        if lit is None:
            return self.is_null(v)
        j = self.as_json(v)
        if isinstance(lit, bool):
            tests = {"boolean": lambda x: f"{d.bool_of(x)} = {str(lit).lower()}"}
        elif isinstance(lit, str):
            tests = {"string": lambda x: f"{d.string_of(x)} = {d.string(lit)}"}
        elif isinstance(lit, int) and -(2**63) <= lit < 2**64:
            # never equal to a boolean, whatever Python thinks of 1 == True
            tests = {"integer": lambda x: f"{d.int_of(x)} = {d.int_literal(lit)}",
                     "double": lambda x: f"{d.double_of(x)} = {d.double_literal(float(lit))}"}
        else:
            tests = {kind: (lambda x: f"{d.double_of(x)} = {d.double_literal(float(lit))}")
                     for kind in ("integer", "double")}
        return d.let(j, lambda x: d.coalesce(d.kind_case(x, {k: t(x) for k, t in tests.items()}, "false"), "false"))

    # functions -------------------------------------------------------------------------------
    # Where jmespath raises a type error, these give null.

    def visit_function_expression(self, node, cur):
        args = [None if c["type"] == "expref" else self.visit(c, cur) for c in node["children"]]
        return getattr(self, "fn_" + node["value"])(args, node)

    def fn_length(self, args, node):
        (v,) = args
        d = self.d
        if v.kind == LIST:
            return Val(d.list_len(v.sql), NUM)
        if v.kind == STR:
            return Val(d.str_length(v.sql), NUM)
        if v.kind != JSON:
            return Val(d.null(NUM), NUM)
        return Val(d.let(v.sql, lambda x: d.kind_case(x, {
            "string": d.str_length(d.string_of(x)),
            "array": d.array_length(x),
            "object": d.object_size(x),
        })), NUM)

    def fn_to_string(self, args, node):
        (v,) = args
        d = self.d
        if v.kind == STR:
            return Val(d.coalesce(v.sql, "'null'"), STR)
        if v.kind == NUM:
            return Val(d.coalesce(d.num_text(v.sql), "'null'"), STR)
        if v.kind == BOOL:
            return Val(d.coalesce(d.bool_text(v.sql), "'null'"), STR)
        # An array or object: jmespath's JSON text (Python's json.dumps spelling of numbers and
        # escapes), which only jmespath itself writes exactly.
        # Where the engine cannot call jmespath (Athena), such a value stops the query with an error
        # naming the expression: never a different text.
        def json_text(x):
            if d.evaluates_jmespath:
                return d.string_of(d.jmespath_value("to_string(@)", x))
            return d.error(f"trailcreator: to_string() of an array or object is not supported on {d.name} "
                           f"(ids expression {self.expression!r})", STR)

        if v.kind == LIST:
            return Val(d.case([(d.is_sql_null(v.sql), "'null'")], json_text(d.to_json(v.sql))), STR)
        return Val(d.let(v.sql, lambda x: d.kind_case(x, {
            "string": d.string_of(x),
            "integer": d.int_text(x),
            "double": d.double_text(x),
            "boolean": d.bool_text(d.bool_of(x)),
            "null": "'null'",
            "array": json_text(x),
            "object": json_text(x),
        })), STR)

    def _if_string(self, v: Val, body) -> str:
        """``body(sql_string)`` if ``v`` is a string, else NULL."""
        d = self.d
        if v.kind == STR:
            return d.let(v.sql, body, STR)
        if v.kind != JSON:
            return "NULL"
        return d.let(v.sql, lambda x: d.case([(d.is_kind(x, "string"), body(d.string_of(x)))]))

    def fn_join(self, args, node):
        glue, arr = args
        d = self.d
        glue_node = node["children"][0]
        constant = glue_node["type"] == "literal" and isinstance(glue_node["value"], str)

        def body(g):
            def on_list(lst):
                e, s = d.var(), d.var()
                strings = d.list_transform(lst, s, d.string_of(s))
                joined = d.join_strings(strings, d.string(glue_node["value"]) if constant else g, constant)
                return d.case([(d.list_all(lst, e, d.is_kind(e, "string")), joined)])

            return d.let(self.as_list(arr), on_list, LIST)

        return Val(self._if_string(glue, body), STR)

    def fn_not_null(self, args, node):
        d = self.d
        return Val(d.coalesce(*(d.case([(self.is_null(a), d.null(JSON))], self.as_json(a)) for a in args)), JSON)

    def fn_starts_with(self, args, node):
        subject, prefix = args
        return Val(self._if_string(subject, lambda s: self._if_string(prefix, lambda p: self.d.starts_with(s, p))),
                   BOOL)

    def fn_contains(self, args, node):
        """``contains(subject, 'literal')``: substring of a string, or element of a list."""
        d = self.d
        subject = args[0]
        needle = d.string(node["children"][1]["value"])

        def in_list(lst):
            e = d.var()
            strings = d.list_transform(lst, e, d.case([(d.is_kind(e, "string"), d.string_of(e))]))
            return d.coalesce(d.list_contains(strings, needle), "false")

        if subject.kind == STR:
            return Val(d.str_contains(subject.sql, needle), BOOL)
        if subject.kind == LIST:
            return Val(d.case([(d.not_(d.is_sql_null(subject.sql)), in_list(subject.sql))]), BOOL)
        if subject.kind != JSON:
            return Val(d.null(BOOL), BOOL)
        return Val(d.let(subject.sql, lambda x: d.kind_case(x, {
            "string": d.str_contains(d.string_of(x), needle),
            "array": in_list(d.elements(x)),
        })), BOOL)


def _dialect(name: str) -> Dialect:
    if name not in _DIALECTS:
        raise ValueError(f"unknown SQL dialect {name!r}; known: {', '.join(sorted(_DIALECTS))}")
    return _DIALECTS[name]()


def _compile(expression: str, doc_sql: str, dialect: str, ids: bool) -> str:
    ast = parse_ids(expression)
    d = _dialect(dialect)
    try:
        _check(ast, expression)
        c = _Compiler(expression, d)
        return c.ids(ast, doc_sql) if ids else c.value(ast, doc_sql)
    except UnsupportedExpression as e:
        refusal = e
    # Beyond the SQL the compiler writes: jmespath itself, where the engine can call it.
    d = _dialect(dialect)
    c = _Compiler(expression, d)
    try:
        return c._on(doc_sql, lambda doc: c.normalize(Val(d.jmespath_value(expression, doc), JSON)) if ids
                     else d.jmespath_value(expression, doc))
    except UnsupportedExpression:
        raise refusal from None


def compile_ids(expression: str, doc_sql: str, dialect: str = "duckdb") -> str:
    """SQL expression (a list of strings, never NULL) of the ids ``expression`` yields on the JSON
    value ``doc_sql`` (a SQL expression of type JSON holding the whole record, e.g. a column name).
    See the module doc for the rule.  Raises what :func:`parse_ids` raises, and on Athena
    :class:`UnsupportedExpression` for what the compiler does not translate."""
    return _compile(expression, doc_sql, dialect, ids=True)


def compile_value(expression: str, doc_sql: str, dialect: str = "duckdb") -> str:
    """SQL expression (JSON) of the value ``expression`` yields on ``doc_sql``, before it is turned
    into ids: ``normalize_sql(compile_value(e, doc))`` gives the ids ``compile_ids(e, doc)`` gives.
    Splitting them lets one query apply the (long) normalization once to the values of many
    expressions, which keeps Athena's query text small."""
    return _compile(expression, doc_sql, dialect, ids=False)


def normalize_sql(value_sql: str, dialect: str = "duckdb") -> str:
    """SQL expression (a list of strings, never NULL) of the ids in the JSON value ``value_sql``."""
    c = _Compiler("", _dialect(dialect))
    return c._on(value_sql, lambda v: c.normalize(Val(v, JSON)))


# --- jmespath inside DuckDB ----------------------------------------------------------------------

#: The DuckDB scalar function (VARCHAR expression, VARCHAR JSON document) -> VARCHAR JSON result that
#: the SQL calls for what it does not compile.  :func:`register` defines it on a connection; the dbt
#: project's profile does so through ``trailcreator.dbt_plugin``.
UDF_NAME = "trailcreator_jmespath"


@functools.lru_cache(maxsize=4096)
def _parsed(expression: str):
    return jmespath.compile(expression)


def jmespath_json(expression: str | None, document: str | None) -> str | None:
    """``expression`` on the JSON text ``document``, by jmespath, as JSON text ('null' for null).
    Where jmespath raises at run time (a type error), the result is null, as in the compiled SQL."""
    if expression is None or document is None:
        return None
    try:
        value = _parsed(expression).search(json.loads(document))
        # NaN and infinities (to_number('nan')) and expression references are not JSON: null.
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (jmespath_exceptions.JMESPathError, ValueError, TypeError, RecursionError):
        return "null"


def register(con) -> None:
    """Define :data:`UDF_NAME` on the DuckDB connection ``con`` (idempotent): every connection that
    runs SQL from :func:`compile_ids` / :func:`compile_value` needs it."""
    import duckdb

    varchar = duckdb.sqltype("VARCHAR")
    try:
        con.create_function(UDF_NAME, jmespath_json, [varchar, varchar], varchar)
    except duckdb.Error as e:  # already defined on this connection
        if "already" not in str(e).lower():
            raise
