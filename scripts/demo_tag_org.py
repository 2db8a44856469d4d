"""Show tag-org on the two-account, two-region moto estate: a dry run, a real run, a rerun.

    .venv/bin/python scripts/demo_tag_org.py [-v]

Starts its own moto server, builds the estate of ``tests/aws_world.py``, writes the creators
database and an accounts file to a temporary folder, and prints each command with its
stdout (stderr progress is left out; pass -v to keep it).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the runner from the checkout, and the moto estate and fake environment of the tests
sys.path[:0] = [str(ROOT / "runner"), str(ROOT / "tests")]


def main(verbose: bool = False) -> None:
    from conftest import FAKE_ENV, UNSET_ENV
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(FAKE_ENV, AWS_ENDPOINT_URL=f"http://{host}:{port}")
    for k in UNSET_ENV:
        os.environ.pop(k, None)
    try:
        import logging

        import aws_world
        import yaml
        from creators_db_files import write_creators_db
        from helpers import run

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        world = aws_world.build()
        tmp = Path(tempfile.mkdtemp(prefix="trailcreator-demo-"))
        db = write_creators_db(tmp / "creators.db", aws_world.creator_rows(world))
        accounts = tmp / "accounts.yml"
        accounts.write_text(yaml.safe_dump({"accounts": [
            {"account_id": world.a, "name": "acct-a", "role": aws_world.ORG_ROLE},
            {"account_id": world.b, "name": "acct-b", "role": aws_world.role_arn(world.b)},
        ]}))
        base = ["tag-org", "-c", str(accounts), "--db", str(db), "--creator-tag", "Owner",
                "-r", "us-east-1", "-r", "eu-west-1"]
        for title, extra in (("dry run", ["--dryrun", "--plan", str(tmp / "dry.csv")]),
                             ("real run", ["--plan", str(tmp / "real.csv")]),
                             ("rerun", ["--plan", str(tmp / "rerun.csv")])):
            args = base + extra
            print(f"$ trailcreator {' '.join(args).replace(str(tmp) + '/', '')}    # {title}")
            result = run(*args)
            print(result.stdout, end="")
            if verbose:
                print(result.stderr, end="")
            print(f"(exit {result.exit_code})\n")
        print(f"files in {tmp}")
    finally:
        server.stop()


if __name__ == "__main__":
    main(verbose="-v" in sys.argv[1:])
