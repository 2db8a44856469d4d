"""JMESPath ``ids`` expressions to SQL: walks the jmespath AST and writes each node's meaning
with a dialect (docs/jmespath.md)."""

from __future__ import annotations

from .dialects import _SIMPLE_SQL, BOOL, JSON, LIST, NUM, STR, Dialect, Val, get_dialect
from .validation import (
    MAX_NESTING,
    UnsupportedExpression,
    _check,
    _is_scalar_literal,
    _NODE_NAMES,
    _unsupported,
    parse_ids,
)


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


def _compile(expression: str, doc_sql: str, dialect: str, ids: bool) -> str:
    ast = parse_ids(expression)
    d = get_dialect(dialect)
    try:
        _check(ast, expression)
        c = _Compiler(expression, d)
        return c.ids(ast, doc_sql) if ids else c.value(ast, doc_sql)
    except UnsupportedExpression as e:
        refusal = e
    # Beyond the SQL the compiler writes: jmespath itself, where the engine can call it.
    d = get_dialect(dialect)
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
    c = _Compiler("", get_dialect(dialect))
    return c._on(value_sql, lambda v: c.normalize(Val(v, JSON)))


def sql_construct_missing(expression: str, dialect: str = "duckdb") -> str | None:
    """None if ``expression`` compiles to plain SQL of ``dialect``; else the message naming the
    construct that does not (DuckDB then evaluates the expression with jmespath, Athena refuses it)."""
    ast = parse_ids(expression)
    try:
        _check(ast, expression)
        _Compiler(expression, get_dialect(dialect)).value(ast, "doc")
    except UnsupportedExpression as e:
        return str(e)
    return None
