"""Shared fixtures: one moto server for the session, the AWS environment pointing at it.

The tests talk HTTP to moto as the product talks to AWS (``AWS_ENDPOINT_URL``); nothing
reaches the network.  ``world`` resets moto and creates the two-account, two-region
resources of ``aws_world`` for a test that tags them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "runner"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    # never pick up a developer's real AWS files or an instance role
    "AWS_CONFIG_FILE": "/nonexistent/trailcreator-tests/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/trailcreator-tests/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
UNSET_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION")


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in list(FAKE_ENV) + list(UNSET_ENV) + ["AWS_ENDPOINT_URL"]}
    os.environ.update(FAKE_ENV, AWS_ENDPOINT_URL=endpoint)
    for k in UNSET_ENV:
        os.environ.pop(k, None)
    try:
        yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


@pytest.fixture
def aws(moto_endpoint):
    """moto, with no c7n session cached from an earlier test."""
    from c7n.utils import reset_session_cache

    reset_session_cache()
    yield moto_endpoint
    reset_session_cache()


@pytest.fixture
def world(aws):
    """Resources in two fresh accounts x two regions, with a recorded creator for most of them."""
    import aws_world

    return aws_world.build()


@pytest.fixture
def world_a(aws):
    """Only account A's us-east-1 and IAM resources of ``world``: for tests of one tag run."""
    import aws_world

    return aws_world.build(aws_world.SMALL)


@pytest.fixture(autouse=True)
def _quiet_moto_log():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    yield
