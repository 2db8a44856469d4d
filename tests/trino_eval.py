"""A small evaluator of the Trino SQL expressions the compiler writes for Athena, for tests.

No Trino-compatible engine runs offline here (Trino is a Java server; Athena is a service), so
the Athena form of the id extraction is checked by evaluating its SQL, parsed by sqlglot's
Trino dialect, with the semantics of each Trino function written out below from Trino's
documentation.  What this proves: the SQL parses as Trino, every construct in it is one the
model knows, and with those semantics it yields the expected ids.  What it cannot prove: that
Athena's engine behaves as modelled (the model is strict where Trino is: a cast of a JSON
array to VARCHAR, ``element_at(x, 0)``, a backwards ``sequence`` and ``fail()`` raise), or
that Athena's type checker accepts every expression.

Values: ``None`` is SQL NULL; :class:`J` is a value of Trino's JSON type (``J(None)`` is JSON
null); str, int (BIGINT and DECIMAL), float, bool and list are the SQL types.
"""

from __future__ import annotations

import functools
import json
import math
import re

import sqlglot
from sqlglot import exp


class TrinoError(Exception):
    """What Trino would raise at run time."""


class J:
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __repr__(self):
        return f"J({self.v!r})"


def json_text(v) -> str:
    """Trino's JSON text of a parsed value (json_format)."""
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def _sql_to_json(v):
    """CAST(<sql value> AS JSON)."""
    if v is None:
        return None
    if isinstance(v, J):
        return v
    if isinstance(v, list):
        return J([None if e is None else _sql_to_json(e).v for e in v])
    if isinstance(v, (str, bool, int, float)):
        return J(v)
    raise TrinoError(f"cannot cast {type(v).__name__} to JSON")


def _cast(v, to: exp.DataType):
    t = to.this
    T = exp.DataType.Type
    if v is None:
        return None
    if t == T.JSON:
        return _sql_to_json(v)
    if t == T.ARRAY:
        (inner,) = to.expressions
        if isinstance(v, J):
            if v.v is None:
                return None
            if not isinstance(v.v, list):
                raise TrinoError(f"Cannot cast to array: {json_text(v.v)}")
            return [None if e is None else _cast(J(e), inner) for e in v.v]
        if isinstance(v, list):
            return [_cast(e, inner) for e in v]
        raise TrinoError(f"cannot cast {v!r} to ARRAY")
    if t == T.MAP:
        key, value = to.expressions
        if isinstance(v, J):
            if v.v is None:
                return None
            if not isinstance(v.v, dict):
                raise TrinoError(f"Cannot cast to map: {json_text(v.v)}")
            return {k: (None if e is None else _cast(J(e), value)) for k, e in v.v.items()}
        raise TrinoError(f"cannot cast {v!r} to MAP")
    if isinstance(v, J):
        x = v.v
        if x is None:
            return None
        if isinstance(x, (list, dict)):
            raise TrinoError(f"Cannot cast JSON {json_text(x)} to {t.value}")
        if t in (T.VARCHAR, T.TEXT):
            return x if isinstance(x, str) else ("true" if x is True else "false" if x is False else json_text(x))
        if t == T.BOOLEAN:
            if isinstance(x, str):
                if x.lower() in ("true", "false"):
                    return x.lower() == "true"
                raise TrinoError(f"Cannot cast '{x}' to BOOLEAN")
            return bool(x)
        if t == T.DOUBLE:
            try:
                return float(x)
            except ValueError:
                raise TrinoError(f"Cannot cast '{x}' to DOUBLE") from None
        if t in (T.BIGINT, T.INT, T.DECIMAL):
            if isinstance(x, bool):
                return int(x)
            if isinstance(x, float):
                if math.isnan(x) or math.isinf(x):
                    raise TrinoError("out of range")
                return int(round(x))
            if isinstance(x, str):
                try:
                    return int(x)
                except ValueError:
                    raise TrinoError(f"Cannot cast '{x}' to {t.value}") from None
            if t == T.BIGINT and not -(2**63) <= x < 2**63:
                raise TrinoError("Out of range for bigint")
            return x
        raise TrinoError(f"unmodelled cast of JSON to {t.value}")
    if t in (T.VARCHAR, T.TEXT):
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)
    if t == T.DOUBLE:
        return float(v)
    if t in (T.BIGINT, T.INT, T.DECIMAL):
        if isinstance(v, float):
            return int(round(v))
        return int(v)
    if t == T.BOOLEAN:
        return bool(v)
    raise TrinoError(f"unmodelled cast to {t.value}")


def _json_path(v, path: exp.JSONPath):
    """Trino's json_extract path (the legacy JSONPath: $.key and [index], nothing else)."""
    if v is None:
        return None
    cur = v.v
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            continue
        if isinstance(part, exp.JSONPathKey):
            key = part.this
            if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise TrinoError(f"Invalid JSON path key {key!r}")
            if not isinstance(cur, dict) or key not in cur:
                return None
            cur = cur[key]
        elif isinstance(part, exp.JSONPathSubscript):
            i = part.this
            if not isinstance(i, int) or i < 0:
                raise TrinoError(f"Invalid JSON path subscript {i!r}")
            if not isinstance(cur, list) or i >= len(cur):
                return None
            cur = cur[i]
        else:
            raise TrinoError(f"unmodelled JSON path part {part!r}")
    return J(cur)


def _truth(v):
    if v is None or isinstance(v, bool):
        return v
    raise TrinoError(f"not a boolean: {v!r}")


def _cmp(a, b, op):
    if a is None or b is None:
        return None
    if isinstance(a, J) or isinstance(b, J):
        raise TrinoError("comparison of JSON values is not modelled")
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        raise TrinoError("comparison of arrays is not modelled")
    num = (int, float)
    if isinstance(a, bool) != isinstance(b, bool) or (isinstance(a, num) != isinstance(b, num)) \
            or (isinstance(a, str) != isinstance(b, str)):
        raise TrinoError(f"cannot compare {type(a).__name__} with {type(b).__name__}")
    return op(a, b)


@functools.lru_cache(maxsize=512)
def parse(sql: str) -> exp.Expression:
    """sqlglot's Trino parse of one expression (cached: the shared normalization recurs)."""
    statements = sqlglot.parse(sql, read="trino")
    if len(statements) != 1:
        raise TrinoError(f"expected one expression, got {len(statements)} statements")
    return statements[0]


class Evaluator:
    def __init__(self, env: dict):
        self.env = dict(env)

    def run(self, sql: str):
        return self.ev(parse(sql))

    def lam(self, node: exp.Lambda):
        params = [p.name for p in node.expressions]

        def call(*args):
            saved = dict(self.env)
            self.env.update(zip(params, args))
            try:
                return self.ev(node.this)
            finally:
                self.env = saved
        return call

    def ev(self, n):  # noqa: C901 - one branch per construct
        E = exp
        if isinstance(n, E.Paren):
            return self.ev(n.this)
        if isinstance(n, E.Identifier):
            return self.env[n.name]
        if isinstance(n, E.Column):
            name = f"{n.table}.{n.name}" if n.table else n.name
            if name not in self.env:
                raise TrinoError(f"Column '{name}' cannot be resolved")
            return self.env[name]
        if isinstance(n, E.Literal):
            if n.is_string:
                return n.this
            text = n.this
            return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
        if isinstance(n, E.Null):
            return None
        if isinstance(n, E.Boolean):
            return n.this
        if isinstance(n, E.Neg):
            v = self.ev(n.this)
            return None if v is None else -v
        if isinstance(n, (E.Add, E.Sub)):
            a, b = self.ev(n.this), self.ev(n.expression)
            if a is None or b is None:
                return None
            return a + b if isinstance(n, E.Add) else a - b
        if isinstance(n, E.DPipe):
            a, b = self.ev(n.this), self.ev(n.expression)
            if a is None or b is None:
                return None
            if not (isinstance(a, str) and isinstance(b, str)):
                raise TrinoError("|| on non-strings is not modelled")
            return a + b
        if isinstance(n, E.Chr):
            return chr(self.ev(n.expressions[0]))
        if isinstance(n, E.Cast):
            return _cast(self.ev(n.this), n.to)
        if isinstance(n, E.Array):
            return [self.ev(e) for e in n.expressions]
        if isinstance(n, E.Case):
            subject = self.ev(n.this) if n.this is not None else None
            for branch in n.args.get("ifs") or []:
                if n.this is not None:
                    hit = _cmp(subject, self.ev(branch.this), lambda a, b: a == b)
                else:
                    hit = _truth(self.ev(branch.this))
                if hit:
                    return self.ev(branch.args["true"])
            default = n.args.get("default")
            return self.ev(default) if default is not None else None
        if isinstance(n, E.Coalesce):
            for e in [n.this] + list(n.expressions):
                v = self.ev(e)
                if v is not None:
                    return v
            return None
        if isinstance(n, E.Is):
            assert isinstance(n.expression, E.Null)
            return self.ev(n.this) is None
        if isinstance(n, E.Not):
            v = _truth(self.ev(n.this))
            return None if v is None else not v
        if isinstance(n, E.And):
            a = _truth(self.ev(n.this))
            if a is False:
                return False
            b = _truth(self.ev(n.expression))
            if b is False:
                return False
            return None if a is None or b is None else True
        if isinstance(n, E.Or):
            a = _truth(self.ev(n.this))
            if a is True:
                return True
            b = _truth(self.ev(n.expression))
            if b is True:
                return True
            return None if a is None or b is None else False
        ops = {E.EQ: lambda a, b: a == b, E.NEQ: lambda a, b: a != b, E.LT: lambda a, b: a < b,
               E.LTE: lambda a, b: a <= b, E.GT: lambda a, b: a > b, E.GTE: lambda a, b: a >= b}
        if type(n) in ops:
            return _cmp(self.ev(n.this), self.ev(n.expression), ops[type(n)])
        if isinstance(n, E.In):
            v = self.ev(n.this)
            if v is None:
                return None
            hits = [_cmp(v, self.ev(e), lambda a, b: a == b) for e in n.expressions]
            return True if any(hits) else (None if None in hits else False)
        if isinstance(n, (E.Greatest, E.Least)):
            vals = [self.ev(e) for e in [n.this] + list(n.expressions)]
            if any(v is None for v in vals):
                return None
            return max(vals) if isinstance(n, E.Greatest) else min(vals)
        if isinstance(n, E.Bracket):
            base, (idx_node,) = self.ev(n.this), n.expressions
            idx = self.ev(idx_node)
            if base is None or idx is None:
                return None
            if isinstance(base, dict):  # element_at(map, key)
                return base.get(idx)
            if not n.args.get("safe"):
                raise TrinoError("only element_at is modelled for arrays")
            if idx == 0:
                raise TrinoError("SQL array indices start at 1")
            if idx > 0:
                return base[idx - 1] if idx <= len(base) else None
            return base[idx] if -idx <= len(base) else None
        if isinstance(n, E.ArraySize):
            v = self.ev(n.this)
            return None if v is None else len(v)
        if isinstance(n, E.Transform):
            arr, f = self.ev(n.this), self.lam(n.expression)
            return None if arr is None else [f(e) for e in arr]
        if isinstance(n, E.ArrayFilter):
            arr, f = self.ev(n.this), self.lam(n.expression)
            return None if arr is None else [e for e in arr if _truth(f(e)) is True]
        if isinstance(n, E.Flatten):
            arr = self.ev(n.this)
            if arr is None:
                return None
            out = []
            for inner in arr:
                if inner is not None:
                    out.extend(inner)
            return out
        if isinstance(n, E.ArrayContains):
            arr, v = self.ev(n.this), self.ev(n.expression)
            if arr is None or v is None:
                return None
            if v in [e for e in arr if e is not None]:
                return True
            return None if None in arr else False
        if isinstance(n, E.ArrayToString):
            arr, sep = self.ev(n.this), self.ev(n.expression)
            if arr is None or sep is None:
                return None
            return sep.join(e for e in arr if e is not None)
        if isinstance(n, E.ArraySlice):
            arr, start, length = self.ev(n.this), self.ev(n.args["start"]), self.ev(n.args["end"])
            if arr is None or start is None or length is None:
                return None
            if start == 0:
                raise TrinoError("SQL array indices start at 1")
            if length < 0:
                raise TrinoError("length must be greater than or equal to 0")
            begin = start - 1 if start > 0 else len(arr) + start
            return arr[begin:begin + length] if 0 <= begin < len(arr) else []
        if isinstance(n, E.Reduce):
            arr, state = self.ev(n.this), self.ev(n.args["initial"])
            merge, finish = self.lam(n.args["merge"]), self.lam(n.args["finish"])
            if arr is None:
                return None
            for e in arr:
                state = merge(state, e)
            return finish(state)
        if isinstance(n, E.GenerateSeries):
            start, stop, step = self.ev(n.args["start"]), self.ev(n.args["end"]), self.ev(n.args["step"])
            if None in (start, stop, step):
                return None
            if step == 0 or (step > 0 and start > stop) or (step < 0 and start < stop):
                raise TrinoError("sequence stop value should be greater than or equal to start value if step is "
                                 "greater than zero otherwise stop should be less than or equal to start")
            return list(range(start, stop + (1 if step > 0 else -1), step))
        if isinstance(n, E.StrPosition):
            s, sub = self.ev(n.this), self.ev(n.args["substr"])
            return None if s is None or sub is None else s.find(sub) + 1
        if isinstance(n, E.StartsWith):
            s, p = self.ev(n.this), self.ev(n.expression)
            return None if s is None or p is None else s.startswith(p)
        if isinstance(n, E.Length):
            s = self.ev(n.this)
            if s is not None and not isinstance(s, str):
                raise TrinoError("length() of a non-string")
            return None if s is None else len(s)
        if isinstance(n, E.Substring):
            s, start, length = self.ev(n.this), self.ev(n.args["start"]), self.ev(n.args.get("length"))
            if s is None or start is None:
                return None
            return s[start - 1:start - 1 + length] if length is not None else s[start - 1:]
        if isinstance(n, E.RegexpLike):
            s, pattern = self.ev(n.this), self.ev(n.expression)
            return None if s is None or pattern is None else re.search(pattern, s) is not None
        if isinstance(n, E.ParseJSON):
            s = self.ev(n.this)
            return None if s is None else J(json.loads(s))
        if isinstance(n, E.JSONFormat):
            v = self.ev(n.this)
            return None if v is None else json_text(v.v)
        if isinstance(n, E.JSONExtract):
            return _json_path(self.ev(n.this), n.expression)
        if isinstance(n, E.JSONExtractScalar):
            v = _json_path(self.ev(n.this), n.expression)
            if v is None or v.v is None or isinstance(v.v, (list, dict)):
                return None
            return v.v if isinstance(v.v, str) else ("true" if v.v is True else "false" if v.v is False else json_text(v.v))
        if isinstance(n, E.Anonymous):
            name = n.name.lower()
            args = n.expressions
            if name == "fail":
                raise TrinoError(self.ev(args[0]))
            if name == "all_match":
                arr, f = self.ev(args[0]), self.lam(args[1])
                if arr is None:
                    return None
                results = [_truth(f(e)) for e in arr]
                return False if False in results else (None if None in results else True)
            if name == "json_array_length":
                v = self.ev(args[0])
                return len(v.v) if v is not None and isinstance(v.v, list) else None
            if name == "json_size":
                v = _json_path(self.ev(args[0]), sqlglot.parse_one(f"json_extract(x, '{self.ev(args[1])}')",
                                                                    read="trino").expression)
                if v is None:
                    return None
                return len(v.v) if isinstance(v.v, (list, dict)) else 0
            if name == "map_values":
                m = self.ev(args[0])
                return None if m is None else list(m.values())
            if name == "nan":
                return float("nan")
            if name == "infinity":
                return float("inf")
        raise TrinoError(f"construct not modelled: {type(n).__name__} {n.sql(dialect='trino')[:80]}")


def evaluate(sql: str, **env):
    return Evaluator(env).run(sql)
