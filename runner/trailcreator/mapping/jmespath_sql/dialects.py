"""How DuckDB and Athena (Trino) spell the SQL the compiler writes, and the one SQL string
literal every generated SQL text uses (docs/jmespath.md)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from .reference import UDF_NAME
from .validation import UnsupportedExpression, _check_text


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
        # Trino refuses coalesce() of one argument (not_null(@) has one); DuckDB takes it
        return items[0] if len(items) == 1 else f"coalesce({', '.join(items)})"

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

    def double_text(self, x: str) -> str:
        """Python's text of the double (what DuckDB and jmespath give: ``1e+20``, ``123456789.125``,
        ``1.5e-07``) from Trino's, which is Java's (``1.0E20``, ``1.23456789125E8``, ``1.5E-7``).
        Both write the shortest digits that read back; they differ only in when they switch to an
        exponent (Java below 1e-3 and from 1e7, Python below 1e-4 and from 1e16) and its spelling."""
        def python(t):
            sign = f"(CASE WHEN {t} LIKE '-%' THEN '-' ELSE '' END)"
            mantissa = f"regexp_extract({t}, '^-?([0-9])\\.([0-9]+)E', 1) || regexp_extract({t}, '^-?([0-9])\\.([0-9]+)E', 2)"
            return self.let(f"regexp_replace({mantissa}, '0+$', '')", lambda d: self.let(
                f"CAST(regexp_extract({t}, 'E(-?[0-9]+)$', 1) AS INTEGER)", lambda e: (
                    f"CASE WHEN {e} >= 16 OR {e} < -4 THEN {sign} || substr({d}, 1, 1)"
                    f" || (CASE WHEN length({d}) > 1 THEN '.' || substr({d}, 2) ELSE '' END)"
                    f" || 'e' || (CASE WHEN {e} < 0 THEN '-' ELSE '+' END) || (CASE WHEN abs({e}) < 10 THEN '0' ELSE '' END) || CAST(abs({e}) AS VARCHAR)"
                    f" WHEN {e} < 0 THEN {sign} || '0.' || rpad('', -{e} - 1, '0') || {d}"
                    f" WHEN length({d}) <= {e} + 1 THEN {sign} || rpad({d}, {e} + 1, '0') || '.0'"
                    f" ELSE {sign} || substr({d}, 1, {e} + 1) || '.' || substr({d}, {e} + 2) END"), "INTEGER"), STR)
        return self.let(f"json_format({x})", lambda t: f"CASE WHEN strpos({t}, 'E') = 0 THEN {t} ELSE {python(t)} END", STR)

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


def get_dialect(name: str) -> Dialect:
    if name not in _DIALECTS:
        raise ValueError(f"unknown SQL dialect {name!r}; known: {', '.join(sorted(_DIALECTS))}")
    return _DIALECTS[name]()
