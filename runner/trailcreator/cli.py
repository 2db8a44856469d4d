"""The command layer: parse options, call one function per command, turn errors into one line.

Nothing below this module imports it.  Progress and logs go to stderr, data to stdout.
"""

from __future__ import annotations

import logging
import sys

import click

from .attribution import CREATOR_FORMATS
from .errors import TrailcreatorError

log = logging.getLogger("trailcreator")


def setup_logging(verbose: bool = False) -> None:
    """Configure the one named logger once, at the entry point; quiet the noisy libraries."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "custodian", "c7n_org"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Group(click.Group):
    """A click group whose commands report TrailcreatorError as one line and exit 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TrailcreatorError as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=Group)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.version_option(package_name="trailcreator")
def cli(verbose: bool) -> None:
    """Retroactive creator tagging for AWS, from CloudTrail."""
    setup_logging(verbose)


# --- load commands (trail -> dbt -> SQLite) ---------------------------------------------


def _date_options(f):
    for opt in reversed([
        click.option("--day", help="Events of one day: YYYY/MM/DD."),
        click.option("--month", help="Events of one month: YYYY/MM."),
        click.option("--year", help="Events of one year: YYYY."),
        click.option("--start", help="First event day, YYYY-MM-DD (with --end)."),
        click.option("--end", help="Last event day, YYYY-MM-DD (with --start)."),
    ]):
        f = opt(f)
    return f


def _common_load_options(f):
    for opt in reversed([
        click.option("--resource-map", "resource_map_path", type=click.Path(dir_okay=False),
                     help="Resource map JSON (default: the map shipped with trailcreator)."),
        click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
                     help="SQLite file to write (events + resource_creators)."),
        click.option("--duckdb", "duckdb_path", type=click.Path(dir_okay=False),
                     help="DuckDB file dbt builds (default: the --db path with .duckdb)."),
        click.option("--account", "accounts", multiple=True, help="Account id to read (repeat; default: all found)."),
        click.option("--region", "regions", multiple=True, help="Region to read (repeat; default: all found)."),
        click.option("--org-id", help="Organization trail: read AWSLogs/<org-id>/ only."),
        click.option("--creator-format", type=click.Choice(CREATOR_FORMATS), default="name", show_default=True,
                     help="What the creator column holds for role sessions and others."),
        click.option("--full-refresh", is_flag=True, help="Forget what was read and read the whole trail again."),
        click.option("--profile", help="AWS profile for S3."),
        click.option("--assume", help="Role ARN to assume for S3."),
    ]):
        f = opt(f)
    return _date_options(f)


def _run_load(trail_root, resource_map_path, db_path, duckdb_path, accounts, regions, org_id, creator_format,
              full_refresh, profile, assume, day, month, year, start, end):
    from . import load, trail

    window = trail.parse_window(day=day, month=month, year=year, start=start, end=end)
    spec = trail.make_spec(trail_root, accounts, regions, org_id, window)
    session = load.boto3_session(profile, assume) if spec.is_s3 and (profile or assume) else None
    summary = load.run_load(spec, resource_map_path, db_path, duckdb_path, creator_format, full_refresh, session)
    for key, reason in summary.skipped:
        log.warning("skipped object:%s reason:%s", key, reason)
    if summary.objects_read == 0 and summary.objects_skipped == 0 and summary.resources == 0:
        log.warning("no trail objects match the filters under %s: the tables are empty", spec.root)
    click.echo(f"trailcreator: {summary.line()}", err=True)
    click.echo(f"wrote {db_path}: {summary.sqlite_rows.get('resource_creators', 0)} resource_creators rows, "
               f"{summary.sqlite_rows.get('events', 0)} events rows")


@cli.command("load")
@click.option("--trail", "trail_root", required=True,
              help="The trail: s3://BUCKET[/PREFIX] or a local directory holding AWSLogs/.")
@_common_load_options
def load_cmd(trail_root, **kw):
    """Read CloudTrail and write who created each resource to --db.

    \b
    Example:
      trailcreator load --trail s3://my-trail-bucket --db creators.db --region us-east-1 --month 2024/05
    """
    _run_load(trail_root, **kw)


@cli.command("load-s3")
@click.option("--bucket", required=True, help="The trail bucket.")
@click.option("--prefix", default="", help="Key prefix above AWSLogs/.")
@_common_load_options
def load_s3_cmd(bucket, prefix, **kw):
    """The upstream c7n-trailcreator spelling of `load` for an S3 trail.

    \b
    Example:
      trailcreator load-s3 --bucket my-trail-bucket --resource-map map.json --db creators.db --year 2024
    """
    root = f"s3://{bucket}/{prefix.strip('/')}" if prefix.strip("/") else f"s3://{bucket}"
    _run_load(root, **kw)


@cli.command("load-athena")
@click.option("--region", required=True, help="The region of Athena and the table.")
@click.option("--table", required=True, help="The CloudTrail table in Athena.")
@click.option("--athena-db", default="default", show_default=True, help="The Athena (Glue) database holding --table.")
@click.option("--workgroup", default="primary", show_default=True, help="The Athena workgroup to run the query in.")
@click.option("--athena-output", help="s3://BUCKET/PREFIX/ for the query result "
              "(default: s3://aws-athena-query-results-<account>-<region>/; a workgroup that enforces its settings wins).")
@click.option("--query-id", help="Skip the query: read the result of this earlier load-athena query.")
@click.option("--account", "accounts", multiple=True, help="Account id to keep (repeat; default: all).")
@click.option("--resource-map", "resource_map_path", type=click.Path(dir_okay=False),
              help="Resource map JSON (default: the map shipped with trailcreator).")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="SQLite file to write (events + resource_creators).")
@click.option("--duckdb", "duckdb_path", type=click.Path(dir_okay=False),
              help="DuckDB file dbt builds (default: the --db path with .duckdb).")
@click.option("--creator-format", type=click.Choice(CREATOR_FORMATS), default="name", show_default=True,
              help="What the creator column holds for role sessions and others.")
@click.option("--full-refresh", is_flag=True, help="Forget what the DuckDB file holds and rebuild it from this result.")
@click.option("--profile", help="AWS profile.")
@click.option("--assume", help="Role ARN to assume.")
@_date_options
def load_athena_cmd(region, table, athena_db, workgroup, athena_output, query_id, accounts, resource_map_path, db_path,
                    duckdb_path, creator_format, full_refresh, profile, assume, day, month, year, start, end):
    """Query a CloudTrail table in Athena and write who created each resource to --db.

    Runs one query (mapped create events that succeeded, only the days asked for), waits for
    it, reads its CSV result from S3 and builds the same tables as `load`.

    \b
    Example:
      trailcreator load-athena --region us-east-1 --table cloudtrail_logs --db creators.db --month 2024/05
    """
    from . import athena, load, trail

    window = trail.parse_window(day=day, month=month, year=year, start=start, end=end)
    session = load.boto3_session(profile, assume, region) if (profile or assume) else None
    summary = athena.run_load_athena(
        region, table, resource_map_path, db_path, database=athena_db, workgroup_name=workgroup, output=athena_output,
        query_id=query_id, accounts=tuple(accounts), window=window, duckdb_path=duckdb_path,
        creator_format=creator_format, full_refresh=full_refresh, session=session,
    )
    if summary.rows == 0:
        log.warning("the Athena result holds no create events")
    click.echo(f"trailcreator: {summary.line()}", err=True)
    click.echo(f"wrote {db_path}: {summary.sqlite_rows.get('resource_creators', 0)} resource_creators rows, "
               f"{summary.sqlite_rows.get('events', 0)} events rows")


@cli.command("export-athena")
@click.option("--region", required=True, help="The region of Athena.")
@click.option("--athena-schema", default="trailcreator", show_default=True,
              help="The Athena database `dbt build --target athena` wrote to (TRAILCREATOR_ATHENA_SCHEMA).")
@click.option("--workgroup", default="primary", show_default=True, help="The Athena workgroup to query in.")
@click.option("--athena-output", help="s3://BUCKET/PREFIX/ for the query results (default as load-athena).")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False),
              help="SQLite file to write (events + resource_creators).")
@click.option("--duckdb", "duckdb_path", type=click.Path(dir_okay=False),
              help="DuckDB file to copy the tables into (default: the --db path with .duckdb).")
@click.option("--profile", help="AWS profile.")
@click.option("--assume", help="Role ARN to assume.")
def export_athena_cmd(region, athena_schema, workgroup, athena_output, db_path, duckdb_path, profile, assume):
    """Write the SQLite file (--db) from the tables `dbt build --target athena` built.

    \b
    Example:
      trailcreator export-athena --region us-east-1 --athena-schema trailcreator --db creators.db
    """
    from . import athena, load

    session = load.boto3_session(profile, assume, region) if (profile or assume) else None
    counts = athena.run_export_athena(region, athena_schema, db_path, workgroup_name=workgroup, output=athena_output,
                                      duckdb_path=duckdb_path, session=session)
    click.echo(f"wrote {db_path}: {counts.get('resource_creators', 0)} resource_creators rows, "
               f"{counts.get('events', 0)} events rows")


@cli.command("compile-map")
@click.argument("resource_map_path", required=False, type=click.Path(dir_okay=False))
def compile_map_cmd(resource_map_path):
    """Validate a resource map and compile it into the dbt macros a plain `dbt build` uses.

    \b
    Example:
      trailcreator compile-map resource_map.json
    """
    from . import load

    rmap = load.compile_map(resource_map_path)
    click.echo(f"compiled {rmap.source}: {len(rmap.entries)} events for {len(rmap.resource_types)} resource types")


@cli.command("query")
@click.option("--duckdb", "duckdb_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The DuckDB file `load` built.")
@click.argument("sql")
def query_cmd(duckdb_path, sql):
    """Run SQL on the DuckDB file and print the result as a table (ad hoc analysis).

    \b
    Example:
      trailcreator query --duckdb creators.duckdb "select creator, count(*) from resource_creators group by 1"
    """
    import duckdb

    try:
        con = duckdb.connect(duckdb_path, read_only=True)
    except duckdb.Error as e:
        raise TrailcreatorError(f"--duckdb {duckdb_path}: cannot open it ({str(e).splitlines()[0]})") from None
    try:
        rel = con.sql(sql)
        if rel is None:
            return
        cols = rel.columns
        data = [["" if v is None else str(v) for v in row] for row in rel.fetchall()]
    except duckdb.Error as e:
        raise TrailcreatorError(f"query failed: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
    widths = [max([len(c)] + [len(r[i]) for r in data]) for i, c in enumerate(cols)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in data:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    click.echo(f"({len(data)} rows)", err=True)


# --- tag commands (SQLite -> c7n -> tags) -----------------------------------------------


def main() -> None:
    cli(prog_name="trailcreator")


def tag_main() -> None:
    """``trailcreator-tag``: the ``tag`` command on its own."""
    setup_logging()
    cmd = cli.get_command(None, "tag")
    try:
        cmd(prog_name="trailcreator-tag", standalone_mode=True)
    except TrailcreatorError as e:  # pragma: no cover - click's standalone mode reports it
        raise click.ClickException(str(e)) from None
