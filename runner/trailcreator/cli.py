"""The command layer: parse options, call one function per command, turn errors into one line.

Nothing below this module imports it.  Progress and logs go to stderr, data to stdout.
"""

from __future__ import annotations

import logging
import sys

import click

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
