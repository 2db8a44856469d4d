"""The command layer: parse options, call one function per command, turn errors into one line.

Nothing below this module imports it.  Progress and logs go to stderr, data to stdout.
"""

from __future__ import annotations

import logging
import sys

import click

from .attribution import CREATOR_FORMATS
from .creators_db import CreatorsDB
from .errors import TrailcreatorError
from .org import DEFAULT_WORKERS, filter_accounts, load_accounts, plan_targets, tag_org
from .redact import RedactingFilter, redact
from .sessions import AccountSessionFactory, caller_account, check_credentials, check_region
from .tagger import (
    RegionResult,
    TagOptions,
    Target,
    check_plan_path,
    check_tag_key,
    failure_message,
    resolve_types,
    summary_line,
    tag_account_region,
    total_lines,
    type_lines,
    write_plan,
)

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


class Command(click.Command):
    """A command that reports TrailcreatorError as one line and exits 1, in a group or alone."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TrailcreatorError as e:
            raise click.ClickException(redact(str(e))) from None


class Group(click.Group):
    """A click group whose commands report TrailcreatorError as one line and exit 1."""

    command_class = Command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TrailcreatorError as e:
            raise click.ClickException(redact(str(e))) from None


@click.group(cls=Group)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.version_option(package_name="trailcreator")
def cli(verbose: bool) -> None:
    """Retroactive creator tagging for AWS, from CloudTrail."""
    setup_logging(verbose)


# --- load commands (trail -> dbt -> SQLite) ---------------------------------------------


# --- tag commands (SQLite -> c7n -> tags) -----------------------------------------------


def _tag_options(f):
    """Options shared by ``tag`` and ``tag-org``."""
    for option in reversed([
        click.option("--db", required=True, type=click.Path(dir_okay=False),
                     help="Creators database (SQLite) from `trailcreator export` or c7n-trailcreator."),
        click.option("--creator-tag", required=True, help="Tag key to write the creator into, e.g. Owner."),
        click.option("--type", "types", multiple=True,
                     help="Only this Cloud Custodian resource type (repeatable), e.g. --type iam-role --type s3."),
        click.option("--user-suffix", help="Only tag creators whose name ends with this, e.g. @example.com."),
        click.option("--creator-format", type=click.Choice(CREATOR_FORMATS), default="name", show_default=True,
                     help="Tag value: user/session name, role name, role/session, or the principal ARN."),
        click.option("--dryrun", is_flag=True, help="Write no tag; print and plan what would be tagged."),
        click.option("--plan", "plan_path", type=click.Path(dir_okay=False),
                     help="Write one row per resource considered to this .csv or .json file."),
    ]):
        f = option(f)
    return f


def _options(creator_tag, types, user_suffix, creator_format, dryrun) -> TagOptions:
    return TagOptions(
        creator_tag=check_tag_key(creator_tag),
        creator_format=creator_format,
        user_suffix=user_suffix or None,
        dryrun=dryrun,
        types=resolve_types(types),
    )


def _report(result: RegionResult) -> None:
    for line in type_lines(result):
        click.echo(line)
    click.echo(summary_line(result))


def _finish(results: list[RegionResult], dryrun: bool, plan) -> None:
    for line in total_lines(results, dryrun):
        click.echo(line)
    if plan:
        write_plan(plan, [row for r in results for row in r.plan])
        log.info("plan written path:%s rows:%d", plan, sum(len(r.plan) for r in results))
    problem = failure_message(results)
    if problem:
        raise TrailcreatorError(problem)


@cli.command("tag")
@_tag_options
@click.option("--region", required=True, help="AWS region to tag in; global types (IAM) are tagged here too.")
@click.option("--profile", help="AWS profile for the credentials.")
@click.option("--assume", help="Role ARN to assume for tagging (in the account to tag).")
def tag(db, creator_tag, types, user_suffix, creator_format, dryrun, plan_path, region, profile, assume):
    """Tag one account's resources in REGION with their creator, where the tag is absent.

    \b
    Example:
      trailcreator-tag --db creators.db --creator-tag Owner --region us-east-1 --dryrun --plan plan.csv
    """
    opts = _options(creator_tag, types, user_suffix, creator_format, dryrun)
    check_region(region)
    plan = check_plan_path(plan_path)
    creators = CreatorsDB.open(db)
    check_credentials(profile)
    factory = AccountSessionFactory(region, profile=profile, roles=[assume] if assume else ())
    account_id = caller_account(factory)
    log.info("tagging account:%s region:%s db:%s layout:%s dryrun:%s",
             account_id, region, db, creators.layout, dryrun)
    result = tag_account_region(Target(account_id, region, factory), creators, opts)
    _report(result)
    _finish([result], dryrun, plan)


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
                    regions, accounts, tags, workers):
    """Tag the resources of every account in a c7n-org accounts file, accounts x regions in parallel.

    \b
    Example:
      trailcreator tag-org -c accounts.yml --db creators.db --creator-tag Owner -r us-east-1 -r eu-west-1
    """
    opts = _options(creator_tag, types, user_suffix, creator_format, dryrun)
    for region in regions:
        check_region(region, "-r")
    plan = check_plan_path(plan_path)
    selected = filter_accounts(load_accounts(config), accounts, tags)
    plan_targets(selected, regions)  # every account has a region, before anything runs
    creators = CreatorsDB.open(db)
    results = tag_org(selected, regions, creators, opts, workers=workers, on_result=_report)
    _finish(results, dryrun, plan)


def main() -> None:
    cli(prog_name="trailcreator")


def tag_main() -> None:
    """``trailcreator-tag``: the ``tag`` command on its own (same options, same one-line errors)."""
    setup_logging()
    tag.main(prog_name="trailcreator-tag")
