"""DuckDB files, tag plans and a headless browser for the report's tests and bench.

``write_report_trail`` writes a small trail with what every section of the report shows: IAM
users and a role session followed to its person, an AWS service (excluded), two accounts and
regions, a record without an event time (unusable), a corrupt object (skipped) and a role
whose name is markup.  ``synthesize_resources`` writes a file of N ``resource_creators`` rows
straight from SQL (no trail, no dbt): the scale case, shaped like a load's table; a file
``export-athena`` writes holds the marts only, like this one.  ``PLAN_ROWS`` is a tag plan of
the trail's resources.  ``chromium`` drives Debian's headless Chromium with Selenium.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil

import duckdb

import trailgen as tg

A, B = "111111111111", "222222222222"
MARKUP = "<script>alert(1)</script>"
T0 = dt.datetime(2024, 3, 4, 9, 0, 0)


def _role(account, region, identity, when, name):
    return tg.event(account, region, "iam.amazonaws.com", "CreateRole", identity, when,
                    {"roleName": name, "assumeRolePolicyDocument": "{}"},
                    {"role": {"roleName": name, "arn": f"arn:aws:iam::{account}:role/{name}"}})


def _bucket(account, region, identity, when, name):
    return tg.event(account, region, "s3.amazonaws.com", "CreateBucket", identity, when,
                    {"bucketName": name, "Host": f"{name}.s3.amazonaws.com"}, None)


def write_report_trail(root) -> str:
    alice, bob = tg.identity_iam_user(A, "alice"), tg.identity_iam_user(A, "bob")
    deploy = tg.identity_assumed_role(A, "deploy", "deploy-7", access_key_id="ASIAREPORTDEPLOY0001")
    trail = tg.Trail()
    trail.add([
        _role(A, "us-east-1", alice, T0, "web-role"),
        _role(A, "us-east-1", alice, T0 + dt.timedelta(days=1), "api-role"),
        _role(A, "us-east-1", bob, T0 + dt.timedelta(days=2), MARKUP),
        tg.assume_role(A, alice, T0 + dt.timedelta(days=40), "deploy", "deploy-7", "ASIAREPORTDEPLOY0001"),
        _role(A, "us-east-1", deploy, T0 + dt.timedelta(days=40, minutes=5), "deployed-role"),
    ])
    no_time = _bucket(A, "eu-west-1", bob, T0 + dt.timedelta(days=3), "lost-bucket")
    del no_time["eventTime"]
    trail.add([_bucket(A, "eu-west-1", bob, T0 + dt.timedelta(days=3), "logs-bucket-a"), no_time],
              delivered=T0 + dt.timedelta(days=3, minutes=5))
    trail.add([
        _bucket(B, "eu-west-1", tg.identity_iam_user(B, "carol"), T0 + dt.timedelta(days=70), "data-bucket-b"),
        _role(B, "eu-west-1", tg.identity_aws_service("cloudformation.amazonaws.com"), T0 + dt.timedelta(days=71),
              "service-made-role"),
    ])
    day = trail._dir(B, "eu-west-1", (T0 + dt.timedelta(days=70)).date())
    trail.add_raw(f"{day}/{B}_CloudTrail_eu-west-1_20240513T0905Z_corruptgzip00000.json.gz",
                  b"\x1f\x8b\x08\x00" + b"garbage" * 50)
    return trail.write_dir(str(root))


def synthesize_resources(path: str, n: int) -> str:
    """A DuckDB file whose resource_creators holds ``n`` rows: 20 accounts, 6 regions, 30
    types, 500 creators, a tenth found through links, one in 25 excluded."""
    con = duckdb.connect(path)
    try:
        con.execute("""
            create or replace table resource_creators as
            with base as (
                select i,
                       lpad((100000000000 + (i % 20) * 7919)::varchar, 12, '0') as account_id,
                       ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'sa-east-1'][i % 6 + 1]
                           as region,
                       ['iam-role', 'iam-user', 's3', 'ec2', 'ebs', 'security-group', 'lambda', 'sns', 'sqs',
                        'dynamodb-table', 'kms-key', 'rds', 'ecr', 'eks', 'efs', 'elb', 'app-elb', 'asg', 'ami',
                        'cfn', 'log-group', 'secrets-manager', 'ssm-parameter', 'event-rule', 'glue-job',
                        'sagemaker-notebook', 'kinesis', 'firehose', 'step-machine', 'cloudtrail'][i % 30 + 1]
                           as resource_type,
                       case when i % 25 = 0 then ['aws-service', 'service-linked-role', 'instance-profile'][i % 3 + 1]
                       end as excluded_reason,
                       case when i % 10 = 1 then 'assume-role' when i % 10 = 2 then 'cloudformation:stack-' || (i % 40)
                            when i % 10 = 3 then 'instance:i-' || lpad(to_hex(i % 997), 17, '0') end as via,
                       timestamp '2024-01-01' + to_seconds(i * 311 % 31536000) as event_time
                from range(?) t(i)
            )
            select account_id, region, resource_type,
                   'arn:aws:' || split_part(resource_type, '-', 1) || ':' || region || ':' || account_id || ':'
                       || resource_type || '/app-' || lpad(i::varchar, 7, '0') as resource_id,
                   starts_with(resource_type, 'iam') as is_global,
                   case when excluded_reason is null then 'user-' || lpad((i * 7 % 500)::varchar, 3, '0') end as creator,
                   excluded_reason, via,
                   case when via = 'assume-role' then 'assume-role' when via is not null then via || ' > assume-role'
                   end as via_path,
                   case when i % 97 = 5 then 'no-person' end as link_note,
                   event_time, md5(i::varchar)::uuid::varchar as event_id
            from base""", [n])
    finally:
        con.close()
    return path


PLAN_ROWS = [  # as trailcreator-tag --dryrun --plan writes them; iam ids are role names
    (A, "us-east-1", "iam-role", "web-role", "alice", "has-tag"),
    (A, "us-east-1", "iam-role", "api-role", "alice", "would-tag"),
    (A, "us-east-1", "iam-role", MARKUP, "bob", "would-tag"),
    (A, "us-east-1", "iam-role", "deployed-role", "alice", "failed:AccessDenied"),
    (A, "us-east-1", "iam-role", "made-before-the-trail", "", "no-creator"),
    (B, "eu-west-1", "iam-role", "service-made-role", "", "excluded:aws-service"),
    (B, "eu-west-1", "s3", "data-bucket-b", "carol", "would-tag"),
]


def write_plan(path, rows=PLAN_ROWS):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["account", "region", "resource_type", "resource_id", "creator", "action"])
        w.writerows(rows)
    return path


# --- headless Chromium (Debian's chromium and chromium-driver: scripts/browser.sh) ---

def chromium_paths() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def chromium(width: int = 1400, height: int = 1000):
    """A Selenium driver of headless Chromium that keeps the page's console messages."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def open_report(driver, path, timeout: float = 60) -> None:
    """Open the page from its file and wait until its script has drawn every section."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get("file://" + os.path.abspath(path))
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.documentElement.getAttribute('data-rendered')"))


def full_page_png(driver, path) -> None:
    import base64

    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    with open(path, "wb") as fh:
        fh.write(base64.b64decode(shot["data"]))
