"""ARNs of every partition parse the same way: the creator of a role session in aws-cn,
aws-us-gov, aws-eusc or aws-iso* is found as it is in aws."""

from __future__ import annotations

import datetime as dt

import pytest

import trailgen as tg
from conftest import rows

A = "111111111111"
T0 = dt.datetime(2024, 5, 1, 9)
PARTITIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1",
              "aws-eusc": "eusc-de-east-1", "aws-iso": "us-iso-east-1", "aws-iso-b": "us-isob-east-1"}


def session_in(partition: str) -> dict:
    ident = tg.identity_assumed_role(A, "Deployer", "jane")
    ident["arn"] = ident["arn"].replace("arn:aws:", f"arn:{partition}:")
    ident["sessionContext"]["sessionIssuer"]["arn"] = ident["sessionContext"]["sessionIssuer"]["arn"].replace(
        "arn:aws:", f"arn:{partition}:")
    del ident["sessionContext"]["sessionIssuer"]["userName"]  # the role name must come from the ARN
    return ident


@pytest.mark.parametrize("fmt,expected", [("name", "jane"), ("role", "Deployer"), ("role-session", "Deployer/jane")])
def test_role_sessions_of_every_partition_give_the_same_creator(cli, tmp_path, fmt, expected):
    t = tg.Trail()
    for partition, region in PARTITIONS.items():
        t.add([tg.event(A, region, "s3.amazonaws.com", "CreateBucket", session_in(partition), T0,
                        {"bucketName": f"bucket-{partition}"}, None)], tag=partition)
    root = t.write_dir(str(tmp_path / "trail"))
    db = tmp_path / "c.db"
    cli("load", "--trail", root, "--db", db, "--creator-format", fmt)
    got = {r["resource_id"]: r["creator"] for r in rows(db, "select resource_id, creator from resource_creators")}
    assert got == {f"bucket-{p}": expected for p in PARTITIONS}
