"""The creator rules, which live in SQL only (dbt_project/macros/creators.sql), run through dbt:
every format for every kind of identity CloudTrail records, properties of the rules over
identities CloudTrail should never produce, and the one Python tag_value against the macro.

(Until issue 13 the tagger recomputed the rules in Python and these tests compared the two
implementations; the tagger now reads the columns the models compute.)"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import duckdb
import pytest
import trailgen as tg
from conftest import ROOT, rows
from creators_db_files import PERSON_FIELDS, identity_fields
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailcreator.attribution import CREATOR_FORMATS, tag_value
from trailcreator.export.schema import CREATOR_COLUMNS

A = "111111111111"
FORMATS = list(CREATOR_COLUMNS.values())
REASONS = {None, "aws-service", "service-linked-role", "instance-profile", "no-identity"}


def load(cli, tmp, identities) -> dict[int, dict]:
    """resource_creators of one CreateBucket per identity (bucket-<i>), through `trailcreator load`."""
    trail = tg.Trail()
    trail.add([tg.event(A, "us-east-1", "s3.amazonaws.com", "CreateBucket", ui, dt.datetime(2024, 5, 1, 9, 0, i % 60),
                        {"bucketName": f"bucket-{i:03d}"}, None) for i, ui in enumerate(identities)])
    db = tmp / "c.db"
    cli("load", "--trail", trail.write_dir(str(tmp / "trail")), "--db", db, "--full-refresh")
    got = {int(r["resource_id"].split("-")[1]): r for r in rows(db, "select * from resource_creators")}
    assert len(got) == len(identities)
    return got


def sso(role, session):
    return tg.identity_assumed_role(A, role, session, "/aws-reserved/sso.amazonaws.com/")


# identity -> (excluded_reason, {format: tag value}); one value stands for every format.
CASES = [
    (tg.identity_iam_user(A, "alice"), None, {
        "name": "alice", "role": "alice", "role-session": "alice", "arn": f"arn:aws:iam::{A}:user/alice"}),
    (sso("AWSReservedSSO_Admin_0123", "jane@example.com"), None, {
        "name": "jane@example.com", "role": "AWSReservedSSO_Admin_0123",
        "role-session": "AWSReservedSSO_Admin_0123/jane@example.com",
        "arn": f"arn:aws:sts::{A}:assumed-role/AWSReservedSSO_Admin_0123/jane@example.com"}),
    ({"type": "AssumedRole", "arn": f"arn:aws:sts::{A}:assumed-role/deploy/ci", "principalId": "AROAX:ci"}, None, {
        "name": "ci", "role": "deploy", "role-session": "deploy/ci", "principal-id": "AROAX:ci"}),  # no issuer: from the ARN
    ({"type": "AssumedRole", "principalId": "AROAX:only-id"}, None, {"name": "only-id", "arn": "only-id"}),
    (tg.identity_root(A), None, {"name": "root", "role": "root", "arn": f"arn:aws:iam::{A}:root"}),
    ({"type": "FederatedUser", "arn": f"arn:aws:sts::{A}:federated-user/bob", "userName": "x"}, None, {"name": "bob"}),
    ({"type": "SAMLUser", "userName": "carol@corp"}, None, {"name": "carol@corp", "arn": "carol@corp"}),
    ({"type": "WebIdentityUser", "userName": "cognito:dave"}, None, {"name": "cognito:dave"}),
    ({"type": "IdentityCenterUser", "onBehalfOf": {"userId": "9067-abcd"}}, None, {
        "name": "9067-abcd", "role": "9067-abcd", "arn": "9067-abcd", "principal-id": "9067-abcd"}),
    ({"type": "AWSAccount", "principalId": "AIDAOTHER", "accountId": "222222222222"}, None, {"name": "AIDAOTHER"}),
    ({"type": "SomethingNew", "arn": "arn:aws:iam::1:thing/erin"}, None, {"name": "erin"}),
    ({"type": "IAMUser", "userName": "tab\there;" + "x" * 300}, None, {"name": "tab_here_" + "x" * 247}),  # cleaned
    (tg.identity_aws_service(), "aws-service", {}),
    (tg.identity_assumed_role(A, "AWSServiceRoleForECS", "ecs", "/aws-service-role/ecs.amazonaws.com/"),
     "service-linked-role", {}),
    (tg.identity_assumed_role(A, "web", "i-0123456789abcdef0"), "instance-profile", {}),
    ({"type": "IAMUser"}, "no-identity", {}),
    (None, "no-identity", {}),
]


def test_creator_in_every_format(cli, tmp_path):
    got = load(cli, tmp_path, [ui for ui, _, _ in CASES])
    for i, (ui, reason, expected) in enumerate(CASES):
        row = got[i]
        assert row["excluded_reason"] == reason, (ui, row)
        values = {fmt: row[CREATOR_COLUMNS[fmt]] for fmt in CREATOR_FORMATS}
        if reason:
            assert set(values.values()) == {None}, (ui, values)
            continue
        assert {fmt: values[fmt] for fmt in expected} == expected, (ui, values)
        assert row["creator"] == row["creator_name"] and row["creator_raw"] is not None


names = st.one_of(
    st.sampled_from(["alice", "jane@example.com", "i-0123456789abcdef0", "AWSServiceRoleForECS", "", "a/b", "Ünïcødé ✓"]),
    # No unassigned code points (Cn): DuckDB's regex and Python may know different Unicode versions.
    st.text(st.characters(exclude_categories=("Cs", "Cn"), exclude_characters="\x00"), min_size=0, max_size=300),
)
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731


@st.composite
def identities(draw):
    itype = draw(maybe(st.sampled_from(
        ["IAMUser", "AssumedRole", "FederatedUser", "Root", "SAMLUser", "WebIdentityUser",
         "IdentityCenterUser", "AWSAccount", "AWSService", "Unknown", "SomethingNew"])))
    role = draw(st.sampled_from(["Admin", "AWSReservedSSO_Dev_0123", "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", "web"]))
    session = draw(names)
    arn = draw(maybe(st.sampled_from([
        f"arn:aws:iam::{A}:user/ops/{session}",
        f"arn:aws:sts::{A}:assumed-role/{role}/{session}",
        f"arn:aws:sts::{A}:federated-user/{session}",
        f"arn:aws:iam::{A}:root",
        f"arn:aws:iam::{A}:role/aws-service-role/x/{role}",
        "not-an-arn",
    ])))
    ui = {"type": itype, "arn": arn, "principalId": draw(maybe(st.sampled_from([f"AROAX:{session}", "AIDAX", A]))),
          "userName": draw(maybe(names)), "accountId": A, "invokedBy": draw(maybe(st.just("cloudformation.amazonaws.com")))}
    if draw(st.booleans()):
        ui["sessionContext"] = {"sessionIssuer": {"arn": draw(maybe(st.sampled_from([
            f"arn:aws:iam::{A}:role/{role}", f"arn:aws:iam::{A}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"]))),
            "userName": draw(maybe(st.just(role)))}}
    if draw(st.booleans()):
        ui["onBehalfOf"] = {"userId": draw(maybe(names))}
    ui = {k: v for k, v in ui.items() if v is not None or draw(st.booleans())}
    return ui if draw(st.integers(0, 20)) else None  # sometimes no userIdentity at all


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.lists(identities(), min_size=120, max_size=120))
def test_rules_hold_for_any_identity(cli, tmp_path_factory, ids):
    got = load(cli, tmp_path_factory.mktemp("attr"), ids)
    for i, ui in enumerate(ids):
        row = got[i]
        for k, v in identity_fields(ui).items():   # the identity as recorded, extracted exactly
            assert row[k] == v, (k, ui)
        # no link here: the person is the principal
        assert {k: row[k] for k in PERSON_FIELDS} == {k: row[f"person_{k}"] for k in PERSON_FIELDS}, ui
        assert row["excluded_reason"] in REASONS, ui
        values = [row[c] for c in FORMATS]
        if row["excluded_reason"]:
            assert row["creator"] is None and values == [None] * len(FORMATS), ui
            continue
        assert None not in values, ui   # every format falls back to the name
        assert row["creator"] == row["creator_name"] == tag_value(row["creator_raw"]), ui
        assert all(v == tag_value(v) for v in values), ui   # cleaned
        if row["principal_arn"]:
            assert row["creator_arn"] == tag_value(row["principal_arn"]), ui
        if row["principal_id"]:
            assert row["creator_principal_id"] == tag_value(row["principal_id"]), ui


@pytest.fixture(scope="module")
def tag_value_sql(tmp_path_factory):
    """The macro tag_value compiled by dbt for DuckDB, over the query parameter $1."""
    from dbt.cli.main import dbtRunner

    home = tmp_path_factory.mktemp("tag_value")
    shutil.copytree(ROOT / "dbt_project", home / "p", ignore=shutil.ignore_patterns("target", "logs"))
    old = os.environ.get("TRAILCREATOR_DUCKDB")
    os.environ["TRAILCREATOR_DUCKDB"] = str(home / "x.duckdb")
    try:
        res = dbtRunner().invoke([
            "compile", "--inline", "select {{ trailcreator.tag_value('$1') }}", "--project-dir", str(home / "p"),
            "--profiles-dir", str(home / "p"), "--target-path", str(home / "target"), "--log-path", str(home / "logs"),
            "--log-level", "none"])
    finally:
        if old is None:
            del os.environ["TRAILCREATOR_DUCKDB"]
        else:
            os.environ["TRAILCREATOR_DUCKDB"] = old
    assert res.success, res.exception
    return res.result.results[0].node.compiled_code


# Unassigned code points (Cn) are left out: DuckDB's regex and Python may know different
# Unicode versions, and a character one of them has not heard of has no category to agree on.
@given(st.text(st.characters(exclude_categories=("Cs", "Cn"), exclude_characters="\x00"), max_size=400))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_tag_value_sql_matches_python(tag_value_sql, text):
    assert _con().execute(tag_value_sql, [text]).fetchone()[0] == tag_value(text)


_CON = None


def _con():
    global _CON
    _CON = _CON or duckdb.connect()
    return _CON


def test_tag_value_rules():
    assert tag_value("jane@example.com") == "jane@example.com"
    assert tag_value("a\tb;c") == "a_b_c"
    assert tag_value("x" * 300) == "x" * 256
    assert tag_value("Ünïcødé user") == "Ünïcødé user"
    assert tag_value("") is None
