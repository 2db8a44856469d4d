"""Write tests/fixtures/default_map/COVERAGE.md from Cloud Custodian's registry, the default map
and its fixtures.

Every AWS type c7n can tag (a ``tag`` action) gets exactly one row group: covered (its events,
the ids expression, the sample behind each event) or not covered (with the reason, from
``NOT_COVERED`` below).  ``tests/test_default_map.py`` checks the file is what this script writes.

    python scripts/default_map_coverage.py          # rewrite COVERAGE.md
    python scripts/default_map_coverage.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP_PATH = ROOT / "runner" / "trailcreator" / "mapping" / "resource_maps" / "default.json"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "default_map"
COVERAGE_PATH = FIXTURE_DIR / "COVERAGE.md"

DOC_SOURCE = "AWS documentation: "
FOUND_SOURCE = "cloudtrail-found/"
REAL_SOURCES = ("grycap-cloudtrail-tracker/", "umccr-cloudtrail-parquet-lambda/",
                "opensearch-catalog/raw-large-samples")

NOT_COVERED = {
    "advisor-check": "nothing to attribute: Trusted Advisor checks are defined by AWS, no user call creates one",
    "apigwv2-stage": "id not usable: c7n's id is the bare StageName (every HTTP API has a `$default`), and "
                     "API Gateway v1 and v2 record the same CreateStage event",
    "bedrock-mantle-project": "no create event to map: c7n lists it through Cloud Control only and the AWS SDK "
                              "models have no API for it",
    "cloudhsm-backup": "created by the service: CloudHSM takes backups itself; CopyBackupToRegion returns no id "
                       "for the copy",
    "ec2-instance-ami": "mapped as ec2: the same instances by the same InstanceId (RunInstances); a second "
                        "creator row per instance would only repeat ec2's",
    "ec2-host": "layout not confirmed: AllocateHosts returns a list of bare host ids and no published record "
                "shows how CloudTrail writes it (wrapped or not)",
    "ecs-container-instance": "no user create event: the ECS agent registers the instance with the instance's "
                              "own role (RegisterContainerInstance), so the creator would be that role",
    "keyspace-table": "id not unique: c7n's id is the bare tableName, repeated across keyspaces",
    "lex-bot": "layout not confirmed: no published record of a Lex V1 model-building call (PutBot) shows its "
               "eventSource and fields",
    "lexv2-bot": "layout not confirmed: no published record of a Lex V2 model-building call (CreateBot) shows "
                 "its eventSource and fields",
    "lexv2-bot-alias": "layout not confirmed, as lexv2-bot (CreateBotAlias)",
    "org-account": "id not in the create event: CreateAccount is asynchronous; the account id arrives in the "
                   "later CreateAccountResult service event, whose identity is AWS, not the requester",
    "pinpoint-app": "layout not confirmed: CreateApp returns an ApplicationResponse payload and no published "
                    "record shows how CloudTrail (mobiletargeting) writes it",
    "qldb": "service retired: c7n's type has no service client (QLDB reached end of support)",
    "recovery-cluster": "layout not confirmed: the control-config API answers in PascalCase (Cluster.ClusterArn) "
                        "and no published record shows CloudTrail's spelling",
    "recovery-control-panel": "layout not confirmed, as recovery-cluster (ControlPanel.ControlPanelArn)",
    "rest-stage": "id not usable: c7n's id is the stage's deploymentId, which changes with every deployment "
                  "and is shared by stages pointing at one deployment",
    "s3-storage-lens": "layout not confirmed: the configuration id is a URI parameter of s3control's "
                       "PutStorageLensConfiguration (also an update call); no published record",
    "s3files-access-point": "eventSource not published: S3 Files is newer than every published record and "
                            "its CloudTrail documentation",
    "s3files-file-system": "eventSource not published, as s3files-access-point",
    "ses-ingress-endpoint": "eventSource not published: Mail Manager's CloudTrail eventSource for "
                            "CreateIngressPoint is not documented in a record",
    "ssm-managed-instance": "no user create event with the id: an EC2 instance is covered as ec2; a hybrid "
                            "`mi-` id is assigned when the SSM agent registers with an activation code",
}

HEADER = """# Default resource map: coverage

`runner/trailcreator/mapping/resource_maps/default.json` maps CloudTrail create events to Cloud Custodian resource types. Every entry is proven by a fixture in this folder: a CloudTrail record and the ids the entry's JMESPath must extract from it, in the form Cloud Custodian uses for that type (`resource_type.id`). `tests/test_default_map.py` checks all of it. This file is written by `scripts/default_map_coverage.py` (do not edit by hand); the records written from the API reference come from `scripts/default_map_entries.py`.

{ncov} of the {ntag} types c7n can tag (c7n {c7n_version}, types with a `tag` action), {nentries} map entries, {nfix} fixtures ({kinds}). {nnot} types are not covered; the second table says why.

Map entries by what confirms them (column *confirmed*): {nreal} by a real record, {nsample} by a published sample, {ndoc} written from the API reference only ({nboth} of them read both spellings, camelCase and PascalCase, and have a fixture in each; {ncamel} are of a service whose spelling other records of it confirm). The spelling rule, by service: `docs/cloudtrail-spelling.md`.

Sample kinds:

- **real**: a record captured from a real account, copied from `../shared/data/cloudtrail-samples` (grycap-cloudtrail-tracker, umccr delivery files, opensearch-catalog large sample).
- **sample**: a published example record (AWS documentation code blocks, Panther/StreamAlert rule tests) copied from the same folder, or from `tests/fixtures/cloudtrail-found` (records found beyond it, provenance there); real structure, often hand-edited values.
- **doc**: no published record exists in the samples; the record was written here following the AWS API reference for the call (the operation's input and output shapes; the fixture's `source` names the page). EC2 calls that CloudTrail records in the wrapped `<Action>Response` layout are written in that layout.

id form: `id` is an AWS-generated identifier (or the SQS queue URL), `name` a name the creator chose, `arn` an ARN. In every covered type the chosen field holds exactly c7n's form.

## Covered

| type | c7n id (form) | event (eventSource) | ids | sample | confirmed |
|---|---|---|---|---|---|
"""

NOT_COVERED_HEADER = """
## Not covered

| type | c7n id | reason |
|---|---|---|
"""


def kind(source: str) -> str:
    if source.startswith(DOC_SOURCE):
        return "doc"
    if source.startswith(FOUND_SOURCE):
        return "real" if "captured from a real account" in source else "sample"
    return "real" if source.startswith(REAL_SOURCES) else "sample"


def cell(text: str) -> str:
    """A table cell's text: JMESPath's ``||`` would end the cell."""
    return text.replace("|", "\\|")


CONFIRMED = {"real": "real record", "sample": "published sample", "doc": "API reference only"}


def confirmed(entry_kinds: set[str], ids: str) -> str:
    """How an entry is confirmed: by its best fixture; an API-reference entry says which spelling it reads."""
    best = next(k for k in ("real", "sample", "doc") if k in entry_kinds)
    if best != "doc":
        return CONFIRMED[best]
    return CONFIRMED["doc"] + (" (both spellings)" if " || " in ids else " (service's spelling confirmed)")


def taggable_types():
    from c7n.provider import clouds
    from c7n.resources import load_resources

    load_resources(("aws.*",))
    reg = clouds["aws"].resources
    out = {}
    for name in sorted(reg.keys()):
        klass = reg.get(name)
        if klass.action_registry.get("tag") is not None:
            out[name] = klass.resource_type.id
    return out


def render() -> str:
    import c7n.version

    types = taggable_types()
    with open(MAP_PATH) as fh:
        doc = json.load(fh)
    fixtures = []
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        with open(path) as fh:
            fixtures.append((path.name, json.load(fh)))
    covered = [r["resource"] for r in doc["resources"]]
    unknown = set(covered) - set(types)
    assert not unknown, f"map types c7n cannot tag: {sorted(unknown)}"
    missing = set(types) - set(covered) - set(NOT_COVERED)
    assert not missing, f"taggable types with neither an entry nor a reason: {sorted(missing)}"
    stale = set(NOT_COVERED) & set(covered)
    assert not stale, f"types both covered and given a reason: {sorted(stale)}"

    rows = []
    by_entry = {"real": 0, "sample": 0, "doc": 0, "both": 0, "camel": 0}
    kinds = {"real": 0, "sample": 0, "doc": 0}
    for _, fx in fixtures:
        kinds[kind(fx["source"])] += 1
    for res in doc["resources"]:
        rtype = res["resource"]
        mine = [(n, fx) for n, fx in fixtures if fx["resource"] == rtype]
        form = mine[0][1]["id_form"]
        first = True
        for ev in res["events"]:
            svc = ev["service"].removesuffix(".amazonaws.com")
            hits = [(n, fx) for n, fx in mine
                    if (fx["event"]["eventSource"], fx["event"]["eventName"]) == (ev["service"], ev["event"])]
            hits.sort(key=lambda h: (h[0] not in (f"{rtype}.json", f"{rtype}.{ev['event']}.json"), h[0]))
            status = confirmed({kind(fx["source"]) for _, fx in hits}, ev["ids"])
            best = next(k for k, v in CONFIRMED.items() if status.startswith(v))
            by_entry[best] += 1
            if best == "doc":
                by_entry["both" if " || " in ev["ids"] else "camel"] += 1
            for i, (name, fx) in enumerate(hits):
                label = f"{ev['event']} ({svc})"
                if i:
                    extra = name.removesuffix(".json").removeprefix(f"{rtype}.").removeprefix(f"{ev['event']}.")
                    label += f" *extra sample: {extra}*"
                head = f"**{rtype}** | `{types[rtype]}` ({form})" if first else " | "
                rows.append(f"| {head} | {label} | `{cell(ev['ids'])}` | {kind(fx['source'])}: `{name}` | {'' if i else status} |")
                first = False
    not_rows = [f"| **{t}** | `{types[t]}` | {NOT_COVERED[t]} |" for t in sorted(NOT_COVERED)]
    nentries = sum(len(r["events"]) for r in doc["resources"])
    text = HEADER.format(ncov=len(covered), ntag=len(types), c7n_version=c7n.version.version,
                         nentries=nentries, nfix=len(fixtures),
                         kinds=", ".join(f"{v} {k}" for k, v in kinds.items()), nnot=len(NOT_COVERED),
                         nreal=by_entry["real"], nsample=by_entry["sample"], ndoc=by_entry["doc"],
                         nboth=by_entry["both"], ncamel=by_entry["camel"])
    text += "\n".join(rows) + "\n" + NOT_COVERED_HEADER + "\n".join(not_rows) + "\n\n" + LIMITS
    return text


LIMITS = """## Known limits and doubtful points

- **Create-or-update calls.** `PutRule` (event-rule), `PutParameter` (ssm-parameter), `PutMetricAlarm`
  (alarm), `PutCompositeAlarm` (composite-alarm), `PutDashboard` (cloudwatch-dashboard), `PutInsightRule`
  (insight-rule), `PutDestination` (destination), `PutDeliveryDestination` (delivery-destination) and
  `PutConfigRule` (config-rule) are recorded for updates as well as creations. If the latest event per id
  wins, the tag names the last writer, not the creator. `PutParameter` marks a creation with
  `responseElements.version == 1`, but the name sits in `requestParameters`, and the compilable JMESPath
  subset cannot filter the record root (`@` is outside it). Keeping the *earliest* event for these types
  would fix it.
- **Identifiers AWS rewrites.** RDS, ElastiCache, DAX and DMS store identifiers in lower case; these entries
  read the response, which holds the stored form (`rds.CreateDBInstanceReadReplica.json`,
  `rds-cluster.RestoreDBClusterFromS3.json` and `dms-instance.json` have a mixed-case request). SageMaker
  ARNs carry the name in lower case too; the response ARN is used. Lambda reads
  `responseElements.functionName` because the request may hold an ARN.
- **Records written from the API reference.** Most fixtures (`doc`) follow the operation's shapes and the
  conventions of published records for the same protocol (JSON services: member names with a lower-case
  first letter; query services: the result structure flattened). Where the spelling of a member is not
  settled by a published record, the expression reads both forms and nulls drop out:
  `memorydb-acl` (`aCL` / `acl`), `lambda-event-source-mapping` (`uUID` / `uuid`), `rds-proxy` (nested
  `dBProxy` / flattened), `ec2-capacity-reservation` and `ec2-spot-fleet-request` (wrapped / unwrapped EC2
  layout). A capture from a real account should replace these fixtures when one is published.
  Besides, every entry of a service whose spelling no record shows reads the API's PascalCase member
  after the camelCase one (`docs/cloudtrail-spelling.md`), with a `*.PascalCase.json` fixture.
- **EC2's wrapped XML layout.** Newer EC2 calls (CreateSnapshots, CreateNatGateway, CreateVpcEndpoint,
  CreateTransitGateway and its attachments, CreateLaunchTemplate, CreateTrafficMirrorTarget/Session,
  CreateFlowLogs, CreateManagedPrefixList, CreateClientVpnEndpoint, CreateVpcEndpointServiceConfiguration,
  CreateCapacityReservation, RequestSpotFleet) are recorded as `<Action>Response` documents where one
  `<item>` becomes an object (or a string) and several become a list. CreateSnapshots' expression selects
  both shapes; CreateFlowLogs' `flowLogIdSet.item` is a string or a list of strings, both give ids.
- **launch-template-version.** c7n lists one resource per template version, all with the same
  `LaunchTemplateId`. Only `CreateLaunchTemplate` is mapped: a later version by someone else does not
  make them the creator.
- **ecs-task-definition, batch-definition.** Every ECS revision has its own ARN, so each revision gets its
  registrant; c7n's batch-definition id is the bare name, so the latest registrant of any revision wins.
- **Several types from one call.** `RunInstances` feeds ec2 and the instances' primary eni; `CreateReplicationGroup` feeds elasticache-group and its member cache clusters;
  classic ELB and ELBv2 share `CreateLoadBalancer`, and Kinesis Analytics v1 and v2 share
  `kinesisanalytics` `CreateApplication`, each reading fields only its own record has. SES v1 and v2 share
  `CreateConfigurationSet`; one configuration set is visible to both APIs, so ses-configuration-set and
  ses-configuration-set-v2 both read both request forms.
- **Asynchronous creates.** Comprehend and SageMaker jobs, Bedrock jobs, FIS experiments and ECS tasks are
  short-lived; they are mapped because c7n can tag them, but most will be gone before a tagging run.
  A Bedrock custom model made by a customization job gets its ARN only when the job ends (not mapped;
  `CreateCustomModel` is).
- **SQS queue URLs.** c7n's id for sqs is the queue URL. The URL's host depends on the endpoint the
  client used (`sqs.<region>.amazonaws.com` or legacy `<region>.queue.amazonaws.com`), so the URL in a
  record may differ from the one c7n lists. Matching on account and queue name would be safer.
- **Global services.** IAM, CloudFront, Route 53 (zones, health checks, domains), Organizations, Shield and
  Savings Plans record in `us-east-1`; Global Accelerator, Network Manager and Route 53 Recovery Readiness
  in `us-west-2`. Their types are only found when the tagger reads those regions' records.
- **Sample quirks.** `vpc.json` (Panther rule test) has the hand-made id `vpc-1`; `elasticsearch.json`
  (StreamAlert) is redacted with `...`, its eventID included; `sqs.json` (AWS docs) has no
  `recipientAccountId`; in `sns.json` (AWS docs) the request names `dropmeplease` while the response ARN
  ends in `exampletopic`: the expected id follows the response.
- **key-pair.** c7n's id is `KeyPairId` (`key-…`), which CreateKeyPair and ImportKeyPair return; the key
  name is not c7n's id. The one published CreateKeyPair record predates `keyPairId` in the response, so
  the fixtures are written from the API reference.
- **No covered type lacks c7n's form.** Where the create event holds several forms, the one c7n uses was
  chosen (backup-plan: `requestParameters.backupPlan.backupPlanName`, as the response has only the plan id
  and ARN; cfn: `requestParameters.stackName`, not the response's stack ARN; comprehend jobs: `JobId`, not
  the job ARN; appmesh virtual nodes and gateways: `metadata.arn`).
"""


def main(argv):
    text = render()
    if "--check" in argv:
        current = COVERAGE_PATH.read_text() if COVERAGE_PATH.exists() else ""
        if current != text:
            print("COVERAGE.md is out of date: run python scripts/default_map_coverage.py")
            return 1
        return 0
    COVERAGE_PATH.write_text(text)
    print(f"wrote {COVERAGE_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
