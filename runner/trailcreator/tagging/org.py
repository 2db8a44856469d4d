"""``tag-org``: the tagger over the accounts of a c7n-org accounts file, accounts x regions in parallel.

The accounts file is c7n-org's format (YAML or JSON)::

    accounts:
      - account_id: "111111111111"
        name: prod
        role: arn:aws:iam::111111111111:role/CustodianTagger   # or a role name, or a list (a chain)
        external_id: optional
        regions: [us-east-1, eu-west-1]
        tags: [env:prod]

It is validated with JSON Schema; an error names the path of the bad key
(``accounts -> 1 -> account_id: ...``).  Each account's role is assumed like c7n-org does
(a bare role name becomes ``arn:aws:iam::<account_id>:role/<name>``, a list is assumed in
turn), the assumed identity is checked to be that account, and global resource types are
handled once per account, in one of its regions.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import jsonschema
import yaml

from .creators_db import CreatorsDB
from ..errors import TrailcreatorError
from ..aws import AccountSessionFactory, caller_account, check_credentials, check_region
from .model import RegionResult, TagOptions, Target
from .tagger import tag_account_region

log = logging.getLogger("trailcreator")

DEFAULT_WORKERS = 8

ACCOUNTS_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["accounts"],
    "properties": {
        "accounts": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/account"}},
        "vars": {"type": "object"},
    },
    "additionalProperties": True,  # c7n-org files may hold subscriptions/projects: ignored here
    "definitions": {
        "account": {
            "type": "object",
            "required": ["account_id"],
            "additionalProperties": True,
            "properties": {
                "account_id": {"type": "string", "pattern": "^[0-9]{12}$"},
                "name": {"type": "string", "minLength": 1},
                "display_name": {"type": "string"},
                "email": {"type": "string"},
                "org_id": {"type": "string"},
                "profile": {"type": "string", "minLength": 1},
                "role": {
                    "oneOf": [
                        {"type": "string", "minLength": 3},
                        {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 3}},
                    ]
                },
                "external_id": {"type": "string"},
                "regions": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "vars": {"type": "object"},
            },
        }
    },
}


def _path(parts) -> str:
    return " -> ".join(str(p) for p in parts) if parts else "(top level)"


def _schema_message(e: jsonschema.ValidationError) -> str:
    if e.validator == "pattern" and e.path and e.path[-1] == "account_id":
        return f"{e.instance!r} is not a 12-digit AWS account id (quote it in YAML so leading zeros stay)"
    if e.validator == "type" and e.path and e.path[-1] == "account_id":
        return f"{e.instance!r} must be a string of 12 digits (quote it in YAML)"
    return e.message


def load_accounts(path: str | Path) -> list[dict]:
    """Read and validate a c7n-org accounts file; normalised accounts (role ARNs, names)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrailcreatorError(f"--config {path}: no such file") from None
    except OSError as e:
        raise TrailcreatorError(f"--config {path}: cannot read it: {e.strerror}") from None
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON: both formats load here
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise TrailcreatorError(f"--config {path}:{where} not valid YAML or JSON") from None
    if not isinstance(data, dict):
        raise TrailcreatorError(f"--config {path}: expected a mapping with an 'accounts' list")
    errors = sorted(jsonschema.Draft7Validator(ACCOUNTS_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        if e.validator == "oneOf" and e.context:  # say which branch came closest
            e = min(e.context, key=lambda c: len(list(c.path)))
            e.path.extendleft(reversed(list(errors[0].path)))
        raise TrailcreatorError(f"--config {path}: {_path(e.path)}: {_schema_message(e)}")

    seen: dict[str, int] = {}
    accounts = []
    for i, a in enumerate(data["accounts"]):
        where = f"--config {path}: accounts -> {i}"
        if not a.get("role") and not a.get("profile"):
            raise TrailcreatorError(f"{where}: no role: add the IAM role (ARN or name) to assume in account {a['account_id']}")
        if a["account_id"] in seen:
            raise TrailcreatorError(
                f"{where} -> account_id: {a['account_id']} is also accounts -> {seen[a['account_id']]}; list each account once"
            )
        seen[a["account_id"]] = i
        roles = a.get("role") or []
        if isinstance(roles, str):
            roles = [roles]
        # c7n-org: a bare role name is a role in the account itself.
        roles = [r if r.startswith("arn:") else f"arn:aws:iam::{a['account_id']}:role/{r}" for r in roles]
        for j, region in enumerate(a.get("regions") or ()):
            check_region(region, f"{where} -> regions -> {j}:")
        accounts.append({**a, "name": a.get("name") or a["account_id"], "roles": roles, "index": i})
    return accounts


def _expand(values) -> list[str]:
    return [v.strip() for item in values or () for v in item.split(",") if v.strip()]


def filter_accounts(accounts: list[dict], names=(), tags=()) -> list[dict]:
    """c7n-org's ``-a`` (name or id) and ``-t`` (every tag must be present) filters."""
    names, tags = _expand(names), _expand(tags)
    known = {a["name"] for a in accounts} | {a["account_id"] for a in accounts}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise TrailcreatorError(f"-a {', '.join(unknown)}: no such account name or id in the accounts file")
    out = [
        a for a in accounts
        if (not names or a["name"] in names or a["account_id"] in names)
        and set(tags) <= set(a.get("tags") or ())
    ]
    if not out:
        raise TrailcreatorError("no account in the accounts file matches the -a/-t filters")
    return out


def plan_targets(accounts: list[dict], regions=()) -> list[tuple[dict, str, bool]]:
    """(account, region, handles global types) per account x region.

    Global types go to one region per account: us-east-1 when it is in the list (where
    global services record their events), else the first region.
    """
    out = []
    for a in accounts:
        account_regions = list(dict.fromkeys(regions or a.get("regions") or ()))
        if not account_regions:
            raise TrailcreatorError(
                f"account {a['name']} ({a['account_id']}): no region; pass -r REGION or set regions in the accounts file"
            )
        global_region = "us-east-1" if "us-east-1" in account_regions else account_regions[0]
        out.extend((a, r, r == global_region) for r in account_regions)
    return out


def _run_one(account: dict, region: str, with_global: bool, db: CreatorsDB, opts: TagOptions) -> RegionResult:
    log.info("processing account:%s id:%s region:%s", account["name"], account["account_id"], region)
    factory = AccountSessionFactory(region, profile=account.get("profile"), roles=account["roles"],
                                    external_id=account.get("external_id"), retry_throttles=True)
    try:
        acting = caller_account(factory)
    except TrailcreatorError as e:
        return RegionResult(account["account_id"], region, account["name"], opts.dryrun, error=str(e))
    if acting != account["account_id"]:
        # never tag an account other than the one the file names.
        return RegionResult(account["account_id"], region, account["name"], opts.dryrun,
                            error=f"the credentials act in account {acting}, not {account['account_id']}; check its role")
    target = Target(account["account_id"], region, factory, name=account["name"], global_types=with_global)
    return tag_account_region(target, db, opts)


def tag_org(accounts: list[dict], regions, db: CreatorsDB, opts: TagOptions, workers: int = DEFAULT_WORKERS,
            on_result=None) -> list[RegionResult]:
    """Tag every selected account x region with a bounded pool; ``on_result`` sees each as it ends."""
    targets = plan_targets(accounts, regions)
    if any(not a.get("profile") for a in accounts):
        check_credentials(None, "assuming the accounts' roles")
    for a in accounts:
        if a.get("profile"):
            check_credentials(a["profile"], f"account {a['name']}")
    results: list[RegionResult] = []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets))), thread_name_prefix="tag-org") as pool:
        futures = {pool.submit(_run_one, a, r, g, db, opts): (a, r) for a, r, g in targets}
        for f in as_completed(futures):
            a, r = futures[f]
            try:
                result = f.result()
            except Exception as e:  # noqa: BLE001 - one account/region never stops the others
                result = RegionResult(a["account_id"], r, a["name"], opts.dryrun, error=f"{type(e).__name__}")
                log.exception("account:%s id:%s region:%s failed", a["name"], a["account_id"], r)
            results.append(result)
            log.info("progress account/regions:%d/%d", len(results), len(targets))
            if on_result:
                on_result(result)
    order = {(a["account_id"], r): i for i, (a, r, _) in enumerate(targets)}
    return sorted(results, key=lambda res: order[(res.account_id, res.region)])
