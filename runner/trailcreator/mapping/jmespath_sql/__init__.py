"""JMESPath ``ids`` expressions of a resource map compiled to DuckDB or Athena SQL, and evaluated by
jmespath itself inside DuckDB where the SQL cannot say it.  The rules, what compiles and the known
differences from jmespath: docs/jmespath.md."""

from .validation import MAX_NESTING, InvalidExpression, UnsupportedExpression, parse_ids  # noqa: I001
from .reference import UDF_NAME, normalize_ids, register
from .dialects import sql_string_literal
from .compiler import compile_ids, compile_value, normalize_sql, sql_construct_missing

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
