"""The command layer: parse options, call one function per command, turn errors into one line.

Nothing below this module imports it.  Progress and logs go to stderr, data to stdout.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from .attribution import CREATOR_FORMATS
from .tagging import identity_center
from .aws import AccountSessionFactory, caller_account, check_credentials, check_region, user_session
from .tagging.creators_db import CreatorsDB
from .errors import TrailcreatorError
from .redact import RedactingFilter, redact
from .tagging.custodian import resolve_types
from .tagging.model import RegionResult, TagOptions, Target, check_tag_key
from .tagging.org import DEFAULT_WORKERS, filter_accounts, load_accounts, plan_targets, tag_org
from .tagging.plan import PlanCreators, check_plan_path, write_plan
from .tagging.report import failure_message, summary_line, total_lines, type_lines
from .tagging.tagger import tag_account_region

log = logging.getLogger("trailcreator")


def setup_logging(verbose: bool = False) -> None:
    """Configure the one named logger once, at the entry point; quiet the noisy libraries.

    Every record, ours or a library's, goes through one stderr handler that masks
    credentials (``redact.RedactingFilter``).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    handler.addFilter(RedactingFilter())
    handler._trailcreator = True  # type: ignore[attr-defined]
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, "_trailcreator", False)] + [handler]
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer", "c7n_org"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # c7n logs (with tracebacks) failures the tagger reports itself, per resource.
    logging.getLogger("custodian").setLevel(logging.WARNING if verbose else logging.CRITICAL)


def _one_line(invoke):
    """``invoke()``, with TrailcreatorError as one line and exit 1; any other failure too (its
    type and first line), unless -v asked for the traceback."""
    try:
        return invoke()
    except TrailcreatorError as e:
        raise click.ClickException(redact(str(e))) from None
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except Exception as e:
        if log.isEnabledFor(logging.DEBUG):
            raise
        first = (str(e).strip().splitlines() or [""])[0]
        raise click.ClickException(redact(f"{type(e).__name__}: {first} (run with -v for the traceback)")) from None


class Command(click.Command):
    """A command that reports errors as one line and exits 1, in a group or alone."""

    def invoke(self, ctx):
        return _one_line(lambda: super(Command, self).invoke(ctx))


class Group(click.Group):
    """A click group whose commands report errors as one line and exit 1."""

    command_class = Command

    def invoke(self, ctx):
        return _one_line(lambda: super(Group, self).invoke(ctx))


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
        click.option("--follow/--no-follow", "follow_links", default=True, show_default=True,
                     help="Follow role chains, stacks, instances and groups back to a person (README: How a creator is found)."),
        click.option("--max-object-size", type=click.IntRange(min=1), default=1024, show_default=True,
                     help="MiB an object may inflate to; a larger one is skipped and named."),
        click.option("--profile", help="AWS profile for S3."),
        click.option("--assume", help="Role ARN to assume for S3."),
    ]):
        f = opt(f)
    return _date_options(f)


def _run_load(trail_root, resource_map_path, db_path, duckdb_path, accounts, regions, org_id, creator_format,
              full_refresh, max_object_size, profile, assume, day, month, year, start, end, follow_links):
    from . import pipeline
    from .ingest import listing

    window = listing.parse_window(day=day, month=month, year=year, start=start, end=end)
    spec = listing.make_spec(trail_root, accounts, regions, org_id, window)
    session = user_session(profile, assume) if spec.is_s3 and (profile or assume) else None
    summary = pipeline.run_load(spec, resource_map_path, db_path, duckdb_path, creator_format, full_refresh, session,
                            max_object_size * 2**20, follow_links=follow_links)
    for key, reason in summary.run.skipped:
        log.warning("skipped object:%s reason:%s", key, reason)
    for key, n, reasons in summary.run.unusable:
        log.warning("unusable records:%d object:%s reason:%s", n, key, reasons)
    for missed in summary.no_id:
        log.warning(missed.line())
    if summary.run.objects_listed == 0 and summary.resources == 0:
        log.warning("no trail objects match the filters under %s: the tables are empty", spec.root)
    click.echo(f"trailcreator: {summary.line()}", err=True)
    if not summary.complete:
        n = summary.run.objects_unfetched
        raise TrailcreatorError(
            f"{n} object{'s' if n != 1 else ''} could not be fetched (throttling, S3 errors or the network, after the "
            f"retries; named above): {db_path} {'was not replaced' if os.path.exists(db_path) else 'was not written'}, "
            "so that it never holds a partial load; run again: the next run reads only those")
    click.echo(f"{'wrote' if summary.exported else 'kept (unchanged)'} {db_path}: "
               f"{summary.sqlite_rows.get('resource_creators', 0)} resource_creators rows, "
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
@click.option("--follow/--no-follow", "follow_links", default=True, show_default=True,
              help="Also ask for the events the links follow (AssumeRole, stacks, launches) and follow them.")
@click.option("--profile", help="AWS profile.")
@click.option("--assume", help="Role ARN to assume.")
@_date_options
def load_athena_cmd(region, table, athena_db, workgroup, athena_output, query_id, accounts, resource_map_path, db_path,
                    duckdb_path, creator_format, full_refresh, follow_links, profile, assume, day, month, year, start,
                    end):
    """Query a CloudTrail table in Athena and write who created each resource to --db.

    Runs one query (mapped create events that succeeded, only the days asked for), waits for
    it, reads its CSV result from S3 and builds the same tables as `load`.

    \b
    Example:
      trailcreator load-athena --region us-east-1 --table cloudtrail_logs --db creators.db --month 2024/05
    """
    from . import pipeline
    from .ingest import listing

    window = listing.parse_window(day=day, month=month, year=year, start=start, end=end)
    session = user_session(profile, assume, region) if (profile or assume) else None
    summary = pipeline.run_load_athena(
        region, table, resource_map_path, db_path, database=athena_db, workgroup_name=workgroup, output=athena_output,
        query_id=query_id, accounts=tuple(accounts), window=window, duckdb_path=duckdb_path,
        creator_format=creator_format, full_refresh=full_refresh, follow_links=follow_links, session=session,
    )
    if summary.rows == 0:
        log.warning("the Athena result holds no create events")
    for missed in summary.no_id:
        log.warning(missed.line())
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
    from . import pipeline

    session = user_session(profile, assume, region) if (profile or assume) else None
    counts = pipeline.run_export_athena(region, athena_schema, db_path, workgroup_name=workgroup, output=athena_output,
                                      duckdb_path=duckdb_path, session=session)
    click.echo(f"wrote {db_path}: {counts.get('resource_creators', 0)} resource_creators rows, "
               f"{counts.get('events', 0)} events rows")


@cli.command("compile-map")
@click.argument("resource_map_path", required=False, type=click.Path(dir_okay=False))
@click.option("--duckdb", "duckdb_path", type=click.Path(dir_okay=False),
              help="Compile into this DuckDB file's workspace (what `trailcreator dbt --duckdb FILE` runs).")
@click.option("--project-dir", type=click.Path(file_okay=False, exists=True),
              help="Compile into this dbt project folder (a copy you run dbt in yourself, e.g. a checkout's dbt_project/).")
def compile_map_cmd(resource_map_path, duckdb_path, project_dir):
    """Validate a resource map (default: the shipped one) and compile it into dbt macros.

    Without --duckdb or --project-dir the map is only checked.  The installed package is
    never written to.

    \b
    Examples:
      trailcreator compile-map resource_map.json                           # check it
      trailcreator compile-map resource_map.json --duckdb creators.duckdb  # for `trailcreator dbt --duckdb creators.duckdb`
      trailcreator compile-map resource_map.json --project-dir ./dbt_project
    """
    from . import pipeline
    from .workspace import outputs, workspace

    if duckdb_path:
        outputs.check_writable(duckdb_path, "--duckdb")
        outputs.check_duckdb(duckdb_path)
        with workspace.Workspace.for_duckdb(duckdb_path).lock():
            rmap = pipeline.compile_map(resource_map_path, duckdb_path, project_dir=project_dir)
    else:
        rmap = pipeline.compile_map(resource_map_path, project_dir=project_dir)
    where = [f"the workspace of {duckdb_path}"] if duckdb_path else []
    where += [project_dir] if project_dir else []
    click.echo(f"compiled {rmap.source}: {len(rmap.entries)} events for {len(rmap.resource_types)} resource types"
               + (f", written to {' and '.join(where)}" if where else " (checked only: nothing written; "
                  "give --duckdb FILE or --project-dir DIR to write the macros)"))


@cli.command("dbt", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                      "help_option_names": ["-h", "--help"]})
@click.option("--duckdb", "duckdb_path", required=True, type=click.Path(dir_okay=False),
              help="The DuckDB file dbt builds (TRAILCREATOR_DUCKDB); its workspace holds the project dbt runs.")
@click.option("--resource-map", "resource_map_path", type=click.Path(dir_okay=False),
              help="Compile this map first (default: the map the last load or compile-map used for this file).")
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def dbt_cmd(duckdb_path, resource_map_path, dbt_args):
    """Run dbt yourself on a DuckDB file: `dbt DBT_ARGS` in the file's workspace.

    The workspace holds a copy of the dbt project shipped with trailcreator, the compiled
    resource map, dbt's target/ and logs/; --project-dir, --profiles-dir, --target-path and
    --log-path point there and TRAILCREATOR_DUCKDB at the file.  Give the trail with --vars
    or TRAILCREATOR_* variables (see the README).  The exit code is dbt's.

    \b
    Examples:
      trailcreator dbt --duckdb creators.duckdb -- build --vars '{trail: "s3://my-trail-bucket", start_date: "2024-05-01"}'
      trailcreator dbt --duckdb creators.duckdb -- ls
      trailcreator dbt --duckdb creators.duckdb --resource-map map.json -- build --target athena --vars '{...}'
    """
    from . import pipeline
    from .workspace import dbt_run, outputs, workspace

    if not dbt_args:
        raise TrailcreatorError("give the dbt command after --, e.g. trailcreator dbt --duckdb creators.duckdb -- build")
    outputs.check_writable(duckdb_path, "--duckdb")
    outputs.check_duckdb(duckdb_path)
    ws = workspace.Workspace.for_duckdb(duckdb_path)
    with ws.lock():
        if resource_map_path is None and ws.map_copy.is_file():
            resource_map_path = str(ws.map_copy)
        pipeline.compile_map(resource_map_path, duckdb_path)
        code = dbt_run.passthrough(duckdb_path, list(dbt_args))
    sys.exit(code)


@cli.command("query")
@click.option("--duckdb", "duckdb_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The DuckDB file `load` built.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "ndjson"]), default="table",
              show_default=True, help="table for reading; csv, json, ndjson streamed for programs.")
@click.option("--limit", type=click.IntRange(min=0), help="At most N rows.")
@click.option("--max-width", type=click.IntRange(min=20),
              help="Width of the table in characters (default: the terminal's); longer values are cut with ….")
@click.argument("sql")
def query_cmd(duckdb_path, fmt, limit, max_width, sql):
    """Run SQL on the DuckDB file and print the result (ad hoc analysis); the row count goes to stderr.

    \b
    Examples:
      trailcreator query --duckdb creators.duckdb "select creator, count(*) from resource_creators group by 1"
      trailcreator query --duckdb creators.duckdb --format ndjson "from resource_creators" > creators.ndjson
    """
    from .report.query import run_query

    n = run_query(duckdb_path, sql, sys.stdout, fmt=fmt, limit=limit, max_width=max_width)
    if n is not None:
        click.echo(f"({n} rows)", err=True)


@cli.command("report")
@click.option("--duckdb", "duckdb_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The DuckDB file `load` built.")
@click.option("--plan", "plan_paths", multiple=True, type=click.Path(dir_okay=False),
              help="A tag plan (.csv or .json from trailcreator-tag or tag-org --plan); repeat for several.")
@click.option("-o", "--output", "out_path", required=True, type=click.Path(dir_okay=False),
              help="The HTML file to write (one self-contained page).")
def report_cmd(duckdb_path, plan_paths, out_path):
    """Write one HTML page of what the load found and what the tag plans will change.

    The page holds its script, styles and data: it opens offline, from the file.

    \b
    Example:
      trailcreator report --duckdb creators.duckdb --plan plan.csv -o report.html
    """
    from .report.page import write_report

    counts = write_report(duckdb_path, out_path, tuple(plan_paths))
    click.echo(f"wrote {out_path}: {counts['bytes']} bytes, {counts['resources']} resources, "
               f"{counts['plans']} plan(s)")


# --- tag commands (SQLite -> c7n -> tags) -----------------------------------------------


def _tag_options(f):
    """Options shared by ``tag`` and ``tag-org``."""
    for option in reversed([
        click.option("--db", type=click.Path(dir_okay=False),
                     help="Creators database (SQLite) written by `trailcreator load` (or load-s3, load-athena, "
                          "export-athena) or by c7n-trailcreator (required unless --from-plan)."),
        click.option("--creator-tag", required=True, help="Tag key to write the creator into, e.g. Owner."),
        click.option("--type", "types", multiple=True,
                     help="Only this Cloud Custodian resource type (repeatable), e.g. --type iam-role --type s3."),
        click.option("--user-suffix", help="Only tag creators whose name ends with this, e.g. @example.com."),
        click.option("--creator-format", type=click.Choice(CREATOR_FORMATS), default="name", show_default=True,
                     help="Tag value: user/session name, role name, role/session, or the principal ARN."),
        click.option("--dryrun", is_flag=True, help="Write no tag; print and plan what would be tagged."),
        click.option("--plan", "plan_path", type=click.Path(dir_okay=False),
                     help="Write one row per resource considered to this .csv or .json file."),
        click.option("--created-at-tag", metavar="KEY",
                     help="Also write the create event's time (ISO 8601 UTC) under KEY, where KEY is absent."),
        click.option("--from-plan", "from_plan", type=click.Path(dir_okay=False),
                     help="Apply exactly the would-tag rows of this reviewed plan (.csv or .json from --dryrun --plan), "
                          "re-checking each; --db is not read."),
        click.option("--identity-store", metavar="ID",
                     help="Name IAM Identity Center users (known by user id only) through this Identity Store "
                          "(d-1234567890 or its ARN): identitystore:DescribeUser, once per user."),
        click.option("--identity-store-region", metavar="REGION",
                     help="The Identity Center home region (default: --region; for tag-org the first -r)."),
    ]):
        f = option(f)
    return f


def _options(creator_tag, types, user_suffix, creator_format, dryrun, created_at_tag=None,
             from_plan=None, identity_names=None) -> TagOptions:
    created_at_tag = check_tag_key(created_at_tag, "--created-at-tag") if created_at_tag is not None else None
    if created_at_tag is not None and created_at_tag == creator_tag:
        raise TrailcreatorError(f"--created-at-tag {created_at_tag}: the same key as --creator-tag; pick another key")
    return TagOptions(
        creator_tag=check_tag_key(creator_tag),
        creator_format=creator_format,
        user_suffix=user_suffix or None,
        dryrun=dryrun,
        types=resolve_types(types),
        created_at_tag=created_at_tag,
        from_plan=bool(from_plan),
        identity_names=identity_names,
    )


def _identity_names(store, store_region, fallback_region, profile=None):
    """The Identity Store lookup of --identity-store, checked before anything is tagged;
    credentials are the caller's own (the store's account), not a role assumed for tagging."""
    if not store:
        if store_region:
            raise TrailcreatorError("--identity-store-region needs --identity-store")
        return None
    identity_center.store_id(store)  # a malformed id stops here, before credentials are looked at
    region = store_region or fallback_region
    if not region:
        raise TrailcreatorError("--identity-store: give --identity-store-region (the Identity Center home region)")
    check_region(region, "--identity-store-region")
    check_credentials(profile)
    names = identity_center.IdentityStoreNames(AccountSessionFactory(region, profile=profile, retry_throttles=True)(),
                                               store, region)
    names.check()
    return names


def _creators(db, from_plan, opts: TagOptions):
    """The creators to tag with: the reviewed plan's rows, or the database."""
    if from_plan:
        if db:
            raise TrailcreatorError("--from-plan and --db: give one; the plan already says what to tag")
        plan = PlanCreators.open(from_plan)
        if opts.created_at_tag and not plan.has_created_at:
            raise TrailcreatorError(f"--from-plan {from_plan}: the plan has no created_at column; "
                                    f"write it with --dryrun --created-at-tag {opts.created_at_tag} --plan")
        return plan
    if not db:
        raise TrailcreatorError("--db is required (or --from-plan with a reviewed plan)")
    return CreatorsDB.open(db)


def _report(result: RegionResult) -> None:
    for line in type_lines(result):
        click.echo(line)
    click.echo(summary_line(result))


def _finish(results: list[RegionResult], dryrun: bool, plan, opts: TagOptions | None = None, creators=None) -> None:
    for line in total_lines(results, dryrun):
        click.echo(line)
    if plan:
        write_plan(plan, [row for r in results for row in r.plan], created_at=bool(opts and opts.created_at_tag))
        log.info("plan written path:%s rows:%d", plan, sum(len(r.plan) for r in results))
    problem = failure_message(results)
    left = creators.unserved() if isinstance(creators, PlanCreators) else {}
    for (account, region), n in sorted(left.items()):
        click.echo(f"account:{account} region:{region} skip {n} plan rows reason:not-in-this-run")
    if left:
        rows = sum(left.values())
        problem = "; ".join(p for p in (problem, f"{rows} would-tag row(s) of the plan were not applied: "
                                                  f"their account/region is not in this run") if p)
    if problem:
        raise TrailcreatorError(problem)


@cli.command("tag")
@_tag_options
@click.option("--region", required=True, help="AWS region to tag in; global types (IAM) are tagged here too.")
@click.option("--profile", help="AWS profile for the credentials.")
@click.option("--assume", help="Role ARN to assume for tagging (in the account to tag).")
def tag(db, creator_tag, types, user_suffix, creator_format, dryrun, plan_path, created_at_tag, from_plan,
        identity_store, identity_store_region, region, profile, assume):
    """Tag one account's resources in REGION with their creator, where the tag is absent.

    \b
    Example:
      trailcreator-tag --db creators.db --creator-tag Owner --region us-east-1 --dryrun --plan plan.csv
    """
    opts = _options(creator_tag, types, user_suffix, creator_format, dryrun, created_at_tag, from_plan)
    check_region(region)
    plan = check_plan_path(plan_path)
    creators = _creators(db, from_plan, opts)
    check_credentials(profile)
    opts.identity_names = _identity_names(identity_store, identity_store_region, region, profile)
    factory = AccountSessionFactory(region, profile=profile, roles=[assume] if assume else (), retry_throttles=True)
    account_id = caller_account(factory)
    log.info("tagging account:%s region:%s db:%s layout:%s dryrun:%s",
             account_id, region, db, creators.layout, dryrun)
    result = tag_account_region(Target(account_id, region, factory), creators, opts)
    _report(result)
    _finish([result], dryrun, plan, opts, creators)


@cli.command("tag-org")
@click.option("-c", "--config", required=True, type=click.Path(dir_okay=False),
              help="c7n-org accounts file (YAML or JSON).")
@_tag_options
@click.option("-r", "--region", "regions", multiple=True,
              help="Region (repeatable); default: each account's regions from the accounts file.")
@click.option("-a", "--accounts", multiple=True, help="Only these accounts (name or id; repeatable or comma list).")
@click.option("-t", "--tags", multiple=True, help="Only accounts with all these tags (e.g. env:prod).")
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="Account/regions tagged in parallel.")
def tag_org_command(config, db, creator_tag, types, user_suffix, creator_format, dryrun, plan_path,
                    created_at_tag, from_plan, identity_store, identity_store_region, regions, accounts, tags, workers):
    """Tag the resources of every account in a c7n-org accounts file, accounts x regions in parallel.

    \b
    Example:
      trailcreator tag-org -c accounts.yml --db creators.db --creator-tag Owner -r us-east-1 -r eu-west-1
    """
    opts = _options(creator_tag, types, user_suffix, creator_format, dryrun, created_at_tag, from_plan)
    for region in regions:
        check_region(region, "-r")
    plan = check_plan_path(plan_path)
    selected = filter_accounts(load_accounts(config), accounts, tags)
    plan_targets(selected, regions)  # every account has a region, before anything runs
    creators = _creators(db, from_plan, opts)
    opts.identity_names = _identity_names(identity_store, identity_store_region, regions[0] if regions else None)
    results = tag_org(selected, regions, creators, opts, workers=workers, on_result=_report)
    _finish(results, dryrun, plan, opts, creators)


def main() -> None:
    cli(prog_name="trailcreator")


def tag_main() -> None:
    """``trailcreator-tag``: the ``tag`` command on its own (same options, same one-line errors)."""
    setup_logging()
    tag.main(prog_name="trailcreator-tag")
