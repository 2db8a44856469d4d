"""Which ``ids`` expressions are accepted: parsed by jmespath, checked for what jmespath itself
would refuse, and for the constructs the SQL compiler translates (docs/jmespath.md)."""

from __future__ import annotations

import json

import jmespath
import jmespath.functions
from jmespath import exceptions as jmespath_exceptions

from ...errors import TrailcreatorError

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
