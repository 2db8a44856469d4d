"""Cloud Custodian driven for the tagger: its AWS resource types, one policy per type that lists
the resources (with a filter), the type's ``tag`` action, and c7n's per-thread session cache."""

from __future__ import annotations

from ..aws import c7n_resources
from ..errors import TrailcreatorError
from .model import Target

# cfn stacks can only be tagged in a steady state (upstream's filter).
CFN_STEADY_STATES = ["UPDATE_COMPLETE", "CREATE_COMPLETE"]


def resolve_types(types) -> tuple[str, ...]:
    """``--type`` values as c7n AWS resource types that have a ``tag`` action."""
    registry = c7n_resources()
    out = []
    for t in types or ():
        name = t[4:] if t.startswith("aws.") else t
        klass = registry.get(name)
        if klass is None:
            raise TrailcreatorError(f"--type {t}: not a Cloud Custodian AWS resource type (e.g. ec2, s3, iam-role)")
        if "tag" not in klass.action_registry:
            raise TrailcreatorError(f"--type {t}: Cloud Custodian has no tag action for this resource type")
        out.append(name)
    return tuple(dict.fromkeys(out))


def is_global_type(rtype: str) -> bool:
    """Does c7n treat this type as global (one set per account, e.g. IAM)?"""
    klass = c7n_resources().get(rtype)
    return bool(klass and getattr(klass.resource_type, "global_resource", False))


def resource_keys(rm, resource: dict) -> list[str]:
    """The c7n id of a resource first, then its ARN."""
    from c7n.utils import get_path

    keys = []
    rid = get_path(rm.resource_type.id, resource) if "." in rm.resource_type.id else resource.get(rm.resource_type.id)
    if rid:
        keys.append(str(rid))
    try:
        arns = rm.get_arns([resource])
    except Exception:  # types without ARNs
        arns = []
    keys.extend(a for a in arns if a and a not in keys)
    return keys or ["<no id>"]


def reset_thread_sessions() -> None:
    """Forget c7n's per-thread cached sessions: they are keyed by region, not by account."""
    from c7n.utils import CONN_CACHE

    for k in [k for k in dir(CONN_CACHE) if not k.startswith("_")]:
        setattr(CONN_CACHE, k, {})


def policy(rtype: str, target: Target, filters=None):
    from c7n.config import Config
    from c7n.policy import Policy

    data = {"name": f"trailcreator-{rtype}", "resource": f"aws.{rtype}"}
    if rtype == "s3":
        data["query"] = [{"augment-keys": "none"}]  # Location and Tags are all we need
    if filters:
        data["filters"] = filters
    config = Config.empty(region=target.region, account_id=target.account_id, dryrun=False, cache="", output_dir="")
    policy = Policy(data, config, session_factory=target.factory)
    policy.validate()
    return policy


def in_region(rtype: str, resource: dict, region: str) -> bool:
    """c7n lists every bucket of the account in any region: keep the region's own."""
    if rtype != "s3":
        return True
    from c7n.resources.s3 import get_region

    return get_region(resource) == region


def tag_action(rtype: str, manager):
    """The c7n ``tag`` action of ``rtype``, bound to the type's resource manager."""
    return c7n_resources()[rtype].action_registry["tag"]({}, manager)


def tag_values(action, values: dict[str, str]):
    """Tags as ``action`` takes them: a dict for the universal (resourcegroupstaggingapi) action,
    else a list of Key/Value pairs."""
    from c7n.tags import UniversalTag

    return dict(values) if isinstance(action, UniversalTag) else [{"Key": k, "Value": v} for k, v in values.items()]


def batches(resources: list, action):
    """``resources`` in the action's batch size."""
    from c7n.utils import chunks

    return chunks(resources, action.batch_size)
