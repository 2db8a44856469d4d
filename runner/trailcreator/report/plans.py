"""Tag plans (``trailcreator-tag --plan``, ``tag-org --plan``) into the report's connection.

The files are read by the tagger's own reader (``tagging.plan.read_plan``) and handed to
DuckDB column by column as ``plan_rows`` (a temporary table: the DuckDB file is opened
read-only and never changes); ``plan_latest`` keeps one row per resource, the last plan's.
"""

from __future__ import annotations

from ..errors import TrailcreatorError
from ..tagging.plan import PLAN_FIELDS, read_plan

# The name a resource id ends with (an ARN's last segment, or the id itself): the tagger
# matches a listed resource to its creator by id, ARN or the name inside an ARN.
_NAME = "regexp_extract({}, '[^/:]*$')"

# Does a plan name any resource of the file?  Matched on account, type and name.
_MATCHED = f"""
    select count(*) from (select distinct account, resource_type, {_NAME.format('resource_id')} as name
                          from plan_rows where plan_index = ?) p
    where exists (select 1 from rc where rc.account_id = p.account and rc.resource_type = p.resource_type
                  and {_NAME.format('rc.resource_id')} = p.name)"""


def load_plans(con, paths: list[str], duckdb_path: str) -> None:
    con.execute("create temp table plan_rows (plan_index integer, plan varchar, "
                + ", ".join(f"{f} varchar" for f in PLAN_FIELDS) + ")")
    for index, path in enumerate(paths):
        rows, _ = read_plan(path, "--plan")
        if not rows:
            raise TrailcreatorError(f"--plan {path}: the plan has no rows")
        columns = {f: [] for f in PLAN_FIELDS}
        for n, row in enumerate(rows, 1):
            for f in PLAN_FIELDS:
                value = row.get(f)
                if not isinstance(value, str) or (not value and f != "creator"):
                    raise TrailcreatorError(f"--plan {path}: row {n} has no {f} (every row needs "
                                            f"{', '.join(PLAN_FIELDS)})")
                columns[f].append(value)
        con.execute("insert into plan_rows select $index, $plan, " + ", ".join(f"unnest(${f})" for f in PLAN_FIELDS),
                    {"index": index, "plan": path, **columns})
        if con.execute(_MATCHED, [index]).fetchone()[0] == 0:
            raise TrailcreatorError(f"--plan {path}: none of its {len(rows)} resources is in {duckdb_path}; "
                                    f"a plan made from another database?")
    con.execute("""create temp view plan_latest as select * from plan_rows
                   qualify row_number() over (partition by account, region, resource_type, resource_id
                                              order by plan_index desc) = 1""")
