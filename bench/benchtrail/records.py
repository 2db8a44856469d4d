"""One record rendered as CloudTrail writes it (compact JSON), and the per-process renderer that
makes noise and planned creates from their seeds."""

from __future__ import annotations

import json
import random

from .creates import CREATE_BY_KEY
from .noise import _noise_catalog, _tls
from .world import GLOBAL_REGION, NOISE_DENIED_RATE, Ctx, Weighted, World, b64, iso, uuid4

# --- rendering one record ---------------------------------------------------------------------

_REC = ('{"eventVersion":"1.09","userIdentity":%s,"eventTime":"%s","eventSource":"%s","eventName":"%s",'
        '"awsRegion":"%s","sourceIPAddress":"%s","userAgent":"%s"%s,"requestParameters":%s,"responseElements":%s%s,'
        '"requestID":"%s","eventID":"%s","readOnly":%s%s,"eventType":"%s","managementEvent":true,'
        '"recipientAccountId":"%s"%s%s,"eventCategory":"Management"%s}')
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _dump(x) -> str:
    return "null" if x is None else _dumps(x)


def render(c: Ctx, source: str, name: str, d: dict, ro: bool, event_id: str) -> str:
    """One CloudTrail record as compact JSON (the form CloudTrail delivers)."""
    rng = c.rng
    caller = c.caller
    ua = d.get("ua")
    if ua is None:
        if caller.kind == "AWSService" or (caller.invoked_by and rng.random() < 0.8):
            ua = caller.invoked_by
        else:
            ua = caller.uas[rng.random() < 0.2].replace("{cmd}", name.lower()).replace("{svc}", source.split(".")[0])
    src_ip = d.get("ip") or (caller.invoked_by if caller.kind == "AWSService" else (
        "AWS Internal" if ua == "AWS Internal" else caller.ips[int(rng.random() * 1.3)]))
    err = d.get("err")
    if err:
        code, msg = err
        err_part = (',"errorCode":"%s","errorMessage":%s' % (code, _dumps(msg))) if code else ',"errorMessage":%s' % _dumps(msg)
    else:
        err_part = ""
    add = d.get("add")
    add_part = ',"additionalEventData":%s' % _dumps(add) if add else ""
    res = d.get("res")
    res_part = ',"resources":%s' % _dumps(res) if res else ""
    shared = ',"sharedEventID":"%s"' % uuid4(rng) if d.get("shared") else ""
    vpce = ',"vpcEndpointId":"%s"' % d["vpce"] if d.get("vpce") else ""
    # Calls from outside AWS's own services carry tlsDetails (CloudTrail adds them since 2022).
    tls = "" if caller.kind == "AWSService" or ua == "AWS Internal" else _tls(
        c, d.get("host") or f"{source.split('.')[0]}.{c.region}.amazonaws.com")
    return _REC % (caller.render(rng, c.t), iso(c.t), source, name, c.region, src_ip, ua, err_part,
                   _dump(d.get("rp")), _dump(d.get("re")), add_part, d.get("rid") or uuid4(rng), event_id,
                   "true" if ro else "false", res_part, d.get("event_type", "AwsApiCall"), c.account, shared, vpce, tls)


class Renderer:
    """Per-process state: the world and the noise table filtered for each region."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.world = World(cfg["seed"], cfg["accounts"], cfg["regions"], cfg.get("org_id"), cfg.get("prefix", ""))
        mapped = {(e["service"], e["event"]) for r in cfg["resource_map"]["resources"] for e in r["events"]}
        cat = [k for k in _noise_catalog() if (k.source, k.name) not in mapped]
        weights = cfg.get("noise_weights") or {}  # a trail shape's mix: (source, name) -> weight
        self.noise = {r: Weighted([(weights.get(f"{k.source} {k.name}", k.weight), k) for k in cat
                                   if not k.global_only or r == GLOBAL_REGION])
                      for r in self.world.regions}

    def noise_record(self, rng, account, region, t, event_id=None, prev=None) -> tuple[str, tuple]:
        """One noise record, and (kind, caller) so the next can continue the same burst."""
        aw = self.world.acct[account]
        if prev is not None:
            kind, caller = prev
        else:
            kind = self.noise[region].pick(rng)
            caller = aw.noise_callers.pick(rng)
            caller = rng.choice(caller) if isinstance(caller, list) else caller
        c = Ctx(rng, aw, account, region, t, caller)
        d = kind.build(c)
        ro = d.get("ro", kind.ro)
        if "err" not in d and rng.random() < NOISE_DENIED_RATE and c.caller.arn:
            act = f"{kind.source.split('.')[0]}:{kind.name}"
            d["err"] = ("AccessDenied", f"User: {c.caller.arn} is not authorized to perform: {act} because no "
                                        f"identity-based policy allows the {act} action")
            d["re"] = None
        return render(c, kind.source, kind.name, d, ro, event_id or uuid4(rng)), (kind, c.caller)

    def create_record(self, e: dict) -> str:
        """A planned create event; rendered identically in the parent (for the expected creators) and in the worker."""
        rng = random.Random(e["seed"])
        aw = self.world.acct[e["account"]]
        kind = CREATE_BY_KEY[(e["source"], e["event"])]
        caller = aw.create_callers.pick(rng)
        caller = rng.choice(caller) if isinstance(caller, list) else caller
        if kind.name not in ("RunInstances",) and caller.invoked_by == "autoscaling.amazonaws.com":
            caller = rng.choice(aw.sso)  # the Auto Scaling service role launches instances, nothing else here
        c = Ctx(rng, aw, e["account"], e["region"], e["t"], caller)
        d = kind.build(c, e)
        if e.get("error"):
            code, msg = e["error"]
            d["err"] = (code, msg.format(name=e.get("rname"), arn=caller.arn or caller.invoked_by, enc=b64(rng, 900)))
            d["re"] = None
        return render(c, kind.source, kind.name, d, False, e["event_id"])


