"""``trailcreator report``: the DuckDB file's models (and tag plans) as one self-contained HTML page.

Every figure is a query of ``sql.py``; this module runs them, puts their rows into the page
as JSON and writes the page whole or not at all (a temporary file beside the output, renamed
into place).  The page carries its script, styles and the vendored Chart.js inline (nothing
is fetched when it is opened); its script reads the JSON with ``JSON.parse`` and writes every
value with ``textContent``, so a resource id or creator is always text, never markup.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from importlib import resources

import duckdb
import jinja2
from markupsafe import Markup

from ..errors import TrailcreatorError
from ..workspace import outputs
from .duckdb_file import first_line, open_read_only
from .plans import load_plans
from .sql import AUDIT_SQL, PLAN_SQL, SECTIONS

# The page's own script and styles, and the libraries it inlines (static/VENDORED.md).
SCRIPTS = ("chart.umd.min.js", "report.js")
STYLES = ("report.css",)
REQUIRED_COLUMNS = ("account_id", "region", "resource_type", "resource_id", "creator", "excluded_reason", "via",
                    "via_path", "link_note", "event_time", "event_id")


def write_report(duckdb_path: str, out_path: str, plan_paths: tuple[str, ...] = ()) -> dict:
    """Write the page to ``out_path``; return what it counts (resources, plans, bytes)."""
    outputs.check_writable(out_path, "-o")
    con = open_read_only(duckdb_path)
    try:
        tables = _tables(con, duckdb_path)
        con.execute("create temp view rc as select * from main.resource_creators")
        data = {name: (_section(con, queries) if set(needs) <= tables else None)
                for name, (needs, queries) in SECTIONS.items()}
        if plan_paths:
            load_plans(con, list(plan_paths), duckdb_path)
            data["plans"] = _section(con, PLAN_SQL)
        audit = con.execute(AUDIT_SQL).fetchone()[0]
        resources = con.execute("select count(*) from rc").fetchone()[0]
    except duckdb.Error as e:
        raise TrailcreatorError(f"--duckdb {duckdb_path}: a report query failed ({first_line(e)})") from None
    finally:
        con.close()
    page = render(data, audit, source=duckdb_path, plans=plan_paths)
    _write_atomically(out_path, page)
    return {"resources": resources, "plans": len(plan_paths), "bytes": len(page.encode("utf-8"))}


def _tables(con, duckdb_path: str) -> set[str]:
    """The main schema's tables; resource_creators must be there, as this trailcreator builds it."""
    cols = con.execute("select table_name, column_name from information_schema.columns "
                       "where table_schema = 'main'").fetchall()
    tables = {t for t, _ in cols}
    if "resource_creators" not in tables:
        raise TrailcreatorError(f"--duckdb {duckdb_path}: no resource_creators table; "
                                f"run `trailcreator load` (or export-athena) on it first")
    missing = [c for c in REQUIRED_COLUMNS if ("resource_creators", c) not in cols]
    if missing:
        raise TrailcreatorError(f"--duckdb {duckdb_path}: resource_creators lacks column(s) {', '.join(missing)}: "
                                f"it was built by an older trailcreator; build it again (load --full-refresh)")
    return tables


def _section(con, queries: dict[str, str]) -> dict[str, list[dict]]:
    out = {}
    for name, sql in queries.items():
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description]
        out[name] = [dict(zip(columns, row)) for row in cur.fetchall()]
    return out


def script_json(text: str) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` is left
    to end the element or open a comment; JSON.parse reads the escapes back as the characters."""
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


def _asset(name: str) -> str:
    text = resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")
    # the page is self-contained: no source map to look for
    text = "\n".join(line for line in text.splitlines() if not line.startswith("//# sourceMappingURL="))
    if "</script" in text.lower() or "</style" in text.lower():
        raise TrailcreatorError(f"static/{name} holds a closing tag and cannot be inlined")
    return text


def render(data: dict, audit_json: str, source: str, plans: tuple[str, ...] = ()) -> str:
    env = jinja2.Environment(loader=jinja2.PackageLoader(__package__, "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    payload = json.dumps(data, default=str, ensure_ascii=False)[:-1] + ', "audit": ' + audit_json + "}"
    return env.get_template("report.html.j2").render(
        source=source, plans=plans,
        generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        data=script_json(payload),
        scripts=[Markup(_asset(n)) for n in SCRIPTS],
        styles=[Markup(_asset(n)) for n in STYLES],
    )


def _write_atomically(out_path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(out_path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise TrailcreatorError(f"-o {out_path}: cannot write it ({e.strerror or e})") from None
        raise
