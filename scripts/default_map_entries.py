"""Entries of the default resource map whose fixtures are written from the AWS API reference.

Each spec below is one (type, eventSource, eventName) entry of
``runner/trailcreator/mapping/resource_maps/default.json`` plus the CloudTrail record that backs it in
``tests/fixtures/default_map/``: the request and response members come from the operation's
input and output shapes (botocore's ``service-2.json``, the same model the API reference is
generated from), written the way CloudTrail records them (JSON services: member names with a
lower-case first letter; query services such as RDS, ElastiCache and Redshift: the result
structure flattened; newer EC2 calls: the wrapped ``<Action>Response`` document).  The rest of
the record is a management-event envelope.  Every fixture says so in its ``source``.

Run ``python scripts/default_map_entries.py`` after editing a spec: it rewrites the fixtures it
owns and adds or updates the entries in the map (entries it does not own are left alone), then
``python scripts/default_map_coverage.py`` to regenerate COVERAGE.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP_PATH = ROOT / "runner" / "trailcreator" / "mapping" / "resource_maps" / "default.json"
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "default_map"

ACCOUNT = "111122223333"
REGION = "eu-west-1"
NS = uuid.UUID("5b0b1c1e-9d36-4c55-9a43-3b6c0c6f2f10")
EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"
REQ = "@REQUEST_ID"  # replaced by the record's requestID (EC2 echoes it in the response)


def arn(service, rest, region=REGION):
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{rest}"


IDENTITIES = [
    ({"type": "IAMUser", "principalId": "AIDAJQABLZS4A3QDU576Q",
      "arn": f"arn:aws:iam::{ACCOUNT}:user/terraform-ci", "accountId": ACCOUNT,
      "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "terraform-ci"},
     "APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.49.0 "
     "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 "
     "md/GOOS#linux md/GOARCH#amd64"),
    ({"type": "AssumedRole", "principalId": "AROAXJ2EXAMPLEROLEID:lena.schmidt@example.com",
      "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b/lena.schmidt@example.com",
      "accountId": ACCOUNT, "accessKeyId": "ASIAXJ2EXAMPLEKEYID1",
      "sessionContext": {"sessionIssuer": {
          "type": "Role", "principalId": "AROAXJ2EXAMPLEROLEID",
          "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
          "accountId": ACCOUNT, "userName": "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b"},
          "attributes": {"creationDate": "2024-05-14T07:58:02Z", "mfaAuthenticated": "false"}}},
     "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8 "
     "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe"),
    ({"type": "AssumedRole", "principalId": "AROAXJ2EXAMPLECIROLE:GitHubActions",
      "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/github-actions-deploy/GitHubActions",
      "accountId": ACCOUNT, "accessKeyId": "ASIAXJ2EXAMPLEKEYID2",
      "sessionContext": {"sessionIssuer": {
          "type": "Role", "principalId": "AROAXJ2EXAMPLECIROLE",
          "arn": f"arn:aws:iam::{ACCOUNT}:role/github-actions-deploy", "accountId": ACCOUNT,
          "userName": "github-actions-deploy"},
          "webIdFederationData": {
              "federatedProvider": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
              "attributes": {}},
          "attributes": {"creationDate": "2024-05-14T09:12:44Z", "mfaAuthenticated": "false"}}},
     "Boto3/1.34.101 md/Botocore#1.34.101 ua/2.0 os/linux#5.10.215 md/arch#x86_64 lang/python#3.12.3 "
     "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.101"),
]

SPECS: list[dict] = []

# ---------------------------------------------------------------------------------------------
# How CloudTrail spells request and response members, by service: the rule every entry follows.
#
# Most services' records give the API's members with a lower-case first letter (KMS's KeyId is
# keyId); a few keep the API's PascalCase (MWAA: requestParameters.Name).  A service is listed
# here only when a published or captured record shows its spelling (the evidence: a record in
# ../shared/data/cloudtrail-samples or tests/fixtures/cloudtrail-found).  An entry of a listed
# service reads that spelling; an entry of any other service reads both, the reference's
# camelCase first, then the PascalCase member (`a.b || A.B`): two spellings of one member, so
# whichever the record has is the value, and neither can be another member's.  Each such entry
# gets a second fixture in the other spelling.  docs/cloudtrail-spelling.md is written from
# this table (python scripts/default_map_entries.py).
# ---------------------------------------------------------------------------------------------

CAMEL_CASE = {
    "acm": "ListCertificates: responseElements.certificateSummaryList (umccr-cloudtrail-parquet-lambda/811596193553_CloudTrail_us-east-1-20200930T2200.json, real)",
    "amazonmq": "CreateBroker: responseElements.brokerId (awsdocs/amazon-mq-developer-guide, message-broker.CreateBroker.published.json)",
    "aoss": "CreateCollection: requestParameters.accountId (awsdocs/amazon-opensearch-service-developer-guide @ 64e6e7a79492, doc_source/logging-using-cloudtrail.md, code block 1)",
    "appstream": "AssociateFleet: requestParameters.fleetName (awsdocs/amazon-appstream2-developer-guide @ 5a76f3fa5f89, doc_source/logging-using-cloudtrail.md, code block 1)",
    "athena": "ListWorkGroups: responseElements.workGroups (umccr-cloudtrail-parquet-lambda/811596193553_CloudTrail_us-east-1-20200930T2300.json, real)",
    "autoscaling": "CreateAutoScalingGroup: requestParameters.loadBalancerNames (grycap-cloudtrail-tracker/sample-cloudtrail-event.json, real)",
    "batch": "CreateComputeEnvironment: responseElements.computeEnvironmentName (awsdocs/aws-batch-user-guide, batch-compute.CreateComputeEnvironment.published.json)",
    "bedrock": "DeleteGuardrail: requestParameters.guardrailIdentifier (panther-analysis/panther_rule_test_events.ndjson)",
    "cloudformation": "CreateStack: requestParameters.stackName (awsdocs/aws-cloudformation-user-guide, cfn.CreateStack.published.json)",
    "cloudhsm": "CreateHsm: requestParameters.availabilityZone (awsdocs/aws-cloudhsm-user-guide @ 30443dad077f, doc_source/get-api-logs-using-cloudtrail.md, code block 1)",
    "cloudtrail": "StartLogging: requestParameters.name (umccr-cloudtrail-parquet-lambda/1_09.json, real)",
    "codebuild": "UpdateProjectVisibility: requestParameters.projectVisibility (panther-analysis/panther_rule_test_events.ndjson)",
    "codecommit": "CreateRepository: requestParameters.repositoryDescription (awsdocs/aws-codecommit-user-guide.ndjson)",
    "cognito-identity": "CreateIdentityPool: requestParameters.identityPoolName (awsdocs/amazon-cognito-developer-guide.ndjson)",
    "comprehend": "CreateDocumentClassifier: responseElements.documentClassifierArn (awsdocs/amazon-comprehend-developer-guide, comprehend-document-classifier.CreateDocumentClassifier.published.json)",
    "config": "DeleteDeliveryChannel: requestParameters.configurationRecorderName (panther-analysis/panther_rule_test_events.ndjson)",
    "datasync": "CreateTask: responseElements.taskArn (awsdocs/aws-datasync-user-guide, datasync-task.CreateTask.published.json)",
    "dax": "CreateCluster: requestParameters.sSESpecification (awsdocs/amazon-dynamodb-developer-guide.ndjson)",
    "directconnect": "DescribeDirectConnectGateways: responseElements.directConnectGateways (umccr-cloudtrail-parquet-lambda/811596193553_CloudTrail_us-east-1-20200930T2200.json, real)",
    "dms": "RebootReplicationInstance: requestParameters.forceFailover (awsdocs/aws-dms-user-guide @ 81be26a04169, doc_source/CHAP_Monitoring.md, code block 5)",
    "dynamodb": "BatchExecuteStatement: requestParameters.requestItems (awsdocs/amazon-dynamodb-developer-guide.ndjson)",
    "ebs": "CompleteSnapshot: requestParameters.snapshotId (awsdocs/amazon-ec2-user-guide.ndjson)",
    "ec2": "CreateTags: requestParameters.resourcesSet (grycap-cloudtrail-tracker/sample-cloudtrail-event.json, real)",
    "ecr": "InitiateLayerUpload: requestParameters.registryId (panther-analysis/panther_rule_test_events.ndjson)",
    "ecs": "CreateCluster: requestParameters.clusterName (awsdocs/amazon-ecs-developer-guide.ndjson)",
    "eks": "CreateCluster: responseElements.cluster.clusterName (awsdocs/amazon-eks-user-guide, "
           "eks.CreateCluster.published.json; the API reference's cluster.name is read first)",
    "elasticache": "DescribeCacheClusters: requestParameters.showCacheNodeInfo (awsdocs/amazon-elasticache-docs.ndjson)",
    "elasticbeanstalk": "UpdateEnvironment: requestParameters.applicationName (awsdocs/aws-elastic-beanstalk-developer-guide @ 5d7c96f8e9aa, doc_source/AWSHowTo.cloudtrail.md, code block 1)",
    "elasticfilesystem": "CreateTags: requestParameters.fileSystemId (awsdocs/amazon-efs-user-guide.ndjson)",
    "elasticloadbalancing": "DescribeInstanceHealth: requestParameters.loadBalancerName (grycap-cloudtrail-tracker/sample-cloudtrail-event.json, real)",
    "elasticmapreduce": "DescribeStudio: requestParameters.studioId (awsdocs/amazon-emr-management-guide @ 551e34b4cd56, doc_source/emr-studio-manage-studio.md, code block 4)",
    "es": "DescribeReservedElasticsearchInstances: requestParameters.maxResults (umccr-cloudtrail-parquet-lambda/811596193553_CloudTrail_us-east-1-20200930T2200.json, real)",
    "events": "PutRule: requestParameters.name (awsdocs/amazon-eventbridge-user-guide, event-rule.PutRule.published.json)",
    "firehose": "CreateDeliveryStream: requestParameters.deliveryStreamName (awsdocs/amazon-kinesis-data-firehose-developer-guide, firehose.CreateDeliveryStream.published.json)",
    "fsx": "TagResource: requestParameters.resourceARN (awsdocs/amazon-fsx-lustre-user-guide @ c55836ffea62, "
           "doc_source/logging-using-cloudtrail.md, code block 1)",
    "glacier": "SetVaultAccessPolicy: requestParameters.accountId (airbnb-streamalert/cloudtrail_public_resources.json)",
    "globalaccelerator": "CreateAccelerator: responseElements.accelerator.acceleratorArn (awsdocs/aws-global-accelerator-dev-guide, globalaccelerator.CreateAccelerator.published.json)",
    "glue": "CreateConnection: requestParameters.connectionInput (awsdocs/aws-glue-developer-guide.ndjson)",
    "guardduty": "DeleteDetector: requestParameters.detectorId (airbnb-streamalert/cloudtrail_critical_api_calls.json)",
    "iam": "CreateRole: requestParameters.roleName (umccr-cloudtrail-parquet-lambda/1_01.json, real)",
    "iot": "ListStreams: requestParameters.ascendingOrder (umccr-cloudtrail-parquet-lambda/811596193553_CloudTrail_us-east-1-20200930T2300.json, real)",
    "kafka": "DescribeCluster: requestParameters.clusterArn (awsdocs/amazon-msk-developer-guide @ 6815a58fe40e, doc_source/msk-logging.md, code block 3)",
    "kinesis": "CreateStream: requestParameters.streamName (awsdocs/amazon-kinesis-data-streams-developer-guide, kinesis.CreateStream.published.json)",
    "kinesisanalytics": "AddApplicationCloudWatchLoggingOption: requestParameters.applicationName (awsdocs/amazon-kinesis-data-analytics-developer-guide @ d32ce9803b33, doc_source/logging-using-cloudtrail.md, code block 1)",
    "kms": "CreateKey: requestParameters.description (umccr-cloudtrail-parquet-lambda/1_07.json, real)",
    "lambda": "AddPermission20150331: requestParameters.functionName (panther-analysis/panther_rule_test_events.ndjson)",
    "logs": "CreateLogStream: requestParameters.logGroupName (opensearch-catalog/raw-large-samples.json, real)",
    "monitoring": "DescribeAlarms: requestParameters.actionPrefix (grycap-cloudtrail-tracker/sample-cloudtrail-event.json, real)",
    "organizations": "DescribeAccount: requestParameters.accountId (panther-analysis/panther_rule_test_events.ndjson)",
    "ram": "CreateResourceShare: responseElements.resourceShare.resourceShareArn (awsdocs/aws-resource-access-manager-user-guide, resource-share-self.CreateResourceShare.published.json)",
    "rds": "CreateDBInstance: requestParameters.allocatedStorage (panther-analysis/panther_rule_test_events.ndjson)",
    "redshift": "DescribeAccountAttributes: responseElements.accountAttributes (umccr-cloudtrail-parquet-lambda/811596193553_CloudTrail_us-east-1-20200930T2200.json, real)",
    "route53": "CreateHealthCheck: responseElements.healthCheck.id (awsdocs/amazon-route53-docs, healthcheck.CreateHealthCheck.published.json)",
    "route53domains": "updateDomainContact: requestParameters.domainName (awsdocs/amazon-route53-docs @ b5a28eb358f9, doc_source/logging-using-cloudtrail.md, code block 1)",
    "route53resolver": "DeleteResolverQueryLogConfig: requestParameters.originSequenceNumber (panther-analysis/panther_rule_test_events.ndjson)",
    "s3": "GetAccelerateConfiguration: requestParameters.bucketName (opensearch-catalog/raw-large-samples.json, real)",
    "sagemaker": "ListLabelingJobs: responseElements.labelingJobSummaryList (umccr-cloudtrail-parquet-lambda/811596193553_CloudTrail_us-east-1-20200930T2200.json, real)",
    "secretsmanager": "DescribeSecret: requestParameters.secretId (panther-analysis/panther_rule_test_events.ndjson)",
    "servicediscovery": "CreatePublicDnsNamespace: requestParameters.name (awsdocs/aws-cloud-map-developer-guide, servicediscovery-namespace.CreatePublicDnsNamespace.published.json)",
    "ses": "GetIdentityVerificationAttributes: requestParameters.identities (panther-analysis/panther_rule_test_events.ndjson)",
    "shield": "DeleteProtection: requestParameters.protectionId (awsdocs/aws-waf-and-shield-advanced-developer-guide @ 022a43318f3b, doc_source/logging-using-cloudtrail.md, code block 6)",
    "sns": "GetTopicAttributes: requestParameters.topicArn (opensearch-catalog/raw-large-samples.json, real)",
    "sqs": "CreateQueue: requestParameters.queueName (awsdocs/amazon-sqs-developer-guide.ndjson)",
    "ssm": "SendCommand: requestParameters.instanceIds (opensearch-catalog/raw-large-samples.json, real)",
    "states": "CreateActivity: requestParameters.name (awsdocs/aws-step-functions-developer-guide.ndjson)",
    "storagegateway": "ActivateGateway: responseElements.gatewayARN (awsdocs/aws-storagegateway-user-guide, storage-gateway.ActivateGateway.published.json)",
    "wafv2": "CreateWebACL: responseElements.summary.id (awsdocs/aws-waf-and-shield-advanced-developer-guide, wafv2.CreateWebACL.published.json)",
}
PASCAL_CASE = {
    "airflow": "CreateEnvironment: requestParameters.Name (awsdocs/amazon-mwaa-user-guide, "
               "airflow.CreateEnvironment.published.json)",
    "securityhub": "CreateInsight: requestParameters.Filters (panther-analysis/panther_rule_test_events.ndjson)",
}
# Services a record shows in both spellings: they read both, as an unconfirmed service does.
MIXED_CASE = {
    "synthetics": "mixed: UpdateCanary has requestParameters.name (a URI member) beside Schedule and Code "
                  "(awsdocs/amazon-cloudwatch-user-guide @ cc40332fd9cd, doc_source/logging_cw_api_calls.md, code block 7)",
}
ROOT_MEMBERS = {"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails", "resources"}
VARIANT = {"camel": "PascalCase", "pascal": "camelCase"}  # the other spelling's fixture suffix


def spelling(service):
    """camel | pascal | both (not confirmed by a record)."""
    return "camel" if service in CAMEL_CASE else "pascal" if service in PASCAL_CASE else "both"


def _recase_name(name, upper):
    if name in ROOT_MEMBERS or not name:
        return name
    return (name[0].upper() if upper else name[0].lower()) + name[1:]


def recase_ids(ids, upper=True):
    """The expression with every member name below the record's root spelled the other way."""
    return re.sub(r"(?<![A-Za-z0-9_'`])([A-Za-z_][A-Za-z0-9_]*)", lambda m: _recase_name(m.group(1), upper), ids)


def _parts(ids):
    """The items of a top-level multiselect list ``[a, b]``, else None."""
    if ids.startswith("[") and ids.endswith("]") and not ids.startswith("[]") and "[" not in ids[1:-1].replace("[]", ""):
        return [p.strip() for p in ids[1:-1].split(",")]
    return None


def defended(ids, service):
    """The ids expression the map ships for an entry whose base expression is ``ids``."""
    return _defend(ids, spelling(service))


def _defend(ids, how):
    if how == "camel":
        return ids
    other = recase_ids(ids, upper=(how == "both"))
    if other == ids:
        return ids
    parts = _parts(ids)
    if parts:
        return "[" + ", ".join(f"{p} || {recase_ids(p, upper=(how == 'both'))}" for p in parts) + "]"
    return f"{ids} || {other}"


def shipped(ids, service):
    """The expression the map ships for an entry that has ``ids``: a confirmed service's entry
    is kept as it is (it may name the confirmed member besides the reference's), any other
    reads both spellings of its base expression."""
    base = base_of(ids)
    if spelling(service) == "camel":  # read both until a record showed the spelling: the base again
        return base if ids == _defend(base, "both") else ids
    return defended(base, service)


def base_of(ids):
    """The base expression of a shipped one (the inverse of ``defended``)."""
    if " || " not in ids:
        return ids
    parts = _parts(ids)
    if parts:
        return "[" + ", ".join(p.split(" || ")[0] for p in parts) + "]"
    return ids.split(" || ")[0]


def recase_record(value, upper=True):
    if isinstance(value, dict):
        return {_recase_name(k, upper): recase_record(v, upper) for k, v in value.items()}
    if isinstance(value, list):
        return [recase_record(v, upper) for v in value]
    return value


def E(resource, service, event, ids, req, resp, expected, doc, form=None, region=REGION,
      host=None, file=None):
    """One map entry and its fixture.  ``service`` is the eventSource without ``.amazonaws.com``."""
    if form is None:
        form = "arn" if expected[0].startswith("arn:") else None
    assert form in ("arn", "name", "id"), (resource, event, form)
    SPECS.append(dict(resource=resource, service=service, event=event, ids=ids, req=req,
                      resp=resp, expected=expected, doc=doc, form=form, region=region,
                      host=host or service, file=file))


def ec2_wrapped(action, body):
    return {f"{action}Response": {"xmlns": EC2_XMLNS, "requestId": REQ, **body}}


def _digest(name):
    return int(hashlib.sha256(name.encode()).hexdigest(), 16)


def _replace(obj, old, new):
    if isinstance(obj, dict):
        return {k: _replace(v, old, new) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_replace(v, old, new) for v in obj]
    return new if obj == old else obj


def record(spec, name):
    h = _digest(name)
    identity, agent = IDENTITIES[h % len(IDENTITIES)]
    when = datetime(2024, 5, 14, 8, 0, tzinfo=timezone.utc) + timedelta(minutes=h % 2000)
    request_id = str(uuid.uuid5(NS, name + "/request"))
    return {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{spec['service']}.amazonaws.com",
        "eventName": spec["event"],
        "awsRegion": spec["region"],
        "sourceIPAddress": f"203.0.113.{10 + h % 200}",
        "userAgent": agent,
        "requestParameters": spec["req"],
        "responseElements": _replace(spec["resp"], REQ, request_id),
        "requestID": request_id,
        "eventID": str(uuid.uuid5(NS, name + "/event")),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{spec['host']}.{spec['region']}.amazonaws.com"},
    }


# ---------------------------------------------------------------------------------------------
# EC2
# ---------------------------------------------------------------------------------------------

E("key-pair", "ec2", "CreateKeyPair", "responseElements.keyPairId",
  {"keyName": "bastion-eu-west-1", "keyType": "ed25519", "keyFormat": "pem"},
  {"requestId": REQ, "keyName": "bastion-eu-west-1",
   "keyFingerprint": "2a:4f:7c:91:0b:de:33:58:a6:1e:c4:9d:77:02:5b:e8",
   "keyPairId": "key-0a7c3e5b9d1f24680", "keyMaterial": "<sensitiveDataRemoved>"},
  ["key-0a7c3e5b9d1f24680"],
  "Amazon EC2 API Reference, CreateKeyPair (response elements: keyName, keyFingerprint, keyPairId, "
  "keyMaterial; c7n's id is KeyPairId, the name is only in keyName)", form="id")
E("key-pair", "ec2", "ImportKeyPair", "responseElements.keyPairId",
  {"keyName": "lena-laptop", "publicKeyMaterial": "<sensitiveDataRemoved>"},
  {"requestId": REQ, "keyName": "lena-laptop",
   "keyFingerprint": "9e:01:b2:6d:55:c8:3a:f4:12:7b:e0:89:4c:d3:6a:21",
   "keyPairId": "key-0d2f4a6c8e0b13579"},
  ["key-0d2f4a6c8e0b13579"],
  "Amazon EC2 API Reference, ImportKeyPair (response elements: keyName, keyFingerprint, keyPairId)",
  form="id")
E("ec2-capacity-reservation", "ec2", "CreateCapacityReservation",
  "[responseElements.CreateCapacityReservationResponse.capacityReservation.capacityReservationId, "
  "responseElements.capacityReservation.capacityReservationId]",
  {"CreateCapacityReservationRequest": {"InstanceType": "m6i.large", "InstancePlatform": "Linux/UNIX",
                                        "AvailabilityZone": "eu-west-1a", "InstanceCount": 4,
                                        "EndDateType": "unlimited"}},
  ec2_wrapped("CreateCapacityReservation", {"capacityReservation": {
      "capacityReservationId": "cr-0e2a4c6b8d0f13579", "ownerId": ACCOUNT,
      "capacityReservationArn": arn("ec2", "capacity-reservation/cr-0e2a4c6b8d0f13579"),
      "instanceType": "m6i.large", "instancePlatform": "Linux/UNIX", "availabilityZone": "eu-west-1a",
      "totalInstanceCount": 4, "availableInstanceCount": 4, "state": "active"}}),
  ["cr-0e2a4c6b8d0f13579"],
  "Amazon EC2 API Reference, CreateCapacityReservation (response elements: capacityReservation); "
  "wrapped CreateCapacityReservationResponse layout; the expression also reads the unwrapped layout",
  form="id")
E("ec2-reserved", "ec2", "PurchaseReservedInstancesOffering", "responseElements.reservedInstancesId",
  {"reservedInstancesOfferingId": "438012d3-4052-4cc7-b2e3-8d3372e0e706", "instanceCount": 2},
  {"requestId": REQ, "reservedInstancesId": "af9f760e-6f91-4559-85f7-4980eEXAMPLE"},
  ["af9f760e-6f91-4559-85f7-4980eEXAMPLE"],
  "Amazon EC2 API Reference, PurchaseReservedInstancesOffering (response elements: reservedInstancesId)",
  form="id")
E("ec2-spot-fleet-request", "ec2", "RequestSpotFleet",
  "[responseElements.RequestSpotFleetResponse.spotFleetRequestId, responseElements.spotFleetRequestId]",
  {"RequestSpotFleetRequest": {"SpotFleetRequestConfig": {
      "IamFleetRole": f"arn:aws:iam::{ACCOUNT}:role/aws-ec2-spot-fleet-tagging-role",
      "TargetCapacity": 6, "AllocationStrategy": "priceCapacityOptimized", "Type": "maintain"}}},
  ec2_wrapped("RequestSpotFleet", {"spotFleetRequestId": "sfr-2b5d8f1a-4c7e-49b0-a3d6-9e1f4c7a0b25"}),
  ["sfr-2b5d8f1a-4c7e-49b0-a3d6-9e1f4c7a0b25"],
  "Amazon EC2 API Reference, RequestSpotFleet (response elements: spotFleetRequestId); wrapped "
  "RequestSpotFleetResponse layout; the expression also reads the unwrapped layout", form="id")
E("flow-log", "ec2", "CreateFlowLogs", "responseElements.CreateFlowLogsResponse.flowLogIdSet.item",
  {"CreateFlowLogsRequest": {"ResourceId": {"tag": 1, "content": "vpc-0c2e4a6b8d1f35793"},
                             "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "s3",
                             "LogDestination": "arn:aws:s3:::acme-flow-logs-eu-west-1"}},
  ec2_wrapped("CreateFlowLogs", {"flowLogIdSet": {"item": "fl-0a1c3e5b7d9f24680"}, "unsuccessful": ""}),
  ["fl-0a1c3e5b7d9f24680"],
  "Amazon EC2 API Reference, CreateFlowLogs (response elements: flowLogIdSet); wrapped "
  "CreateFlowLogsResponse layout, where one item is a string and several are a list", form="id")
E("flow-log", "ec2", "CreateFlowLogs", "responseElements.CreateFlowLogsResponse.flowLogIdSet.item",
  {"CreateFlowLogsRequest": {"ResourceId": [{"tag": 1, "content": "subnet-0a2c4e6b8d1f35791"},
                                            {"tag": 2, "content": "subnet-0b3d5f7a9c2e46802"}],
                             "ResourceType": "Subnet", "TrafficType": "REJECT",
                             "LogGroupName": "/vpc/flow-logs",
                             "DeliverLogsPermissionArn": f"arn:aws:iam::{ACCOUNT}:role/vpc-flow-logs"}},
  ec2_wrapped("CreateFlowLogs", {"flowLogIdSet": {"item": ["fl-0b2d4f6a8c0e13579", "fl-0c3e5a7b9d1f24680"]},
                                 "unsuccessful": ""}),
  ["fl-0b2d4f6a8c0e13579", "fl-0c3e5a7b9d1f24680"],
  "Amazon EC2 API Reference, CreateFlowLogs (response elements: flowLogIdSet, several items)",
  form="id", file="flow-log.CreateFlowLogs.two-subnets.json")
E("mirror-session", "ec2", "CreateTrafficMirrorSession",
  "responseElements.CreateTrafficMirrorSessionResponse.trafficMirrorSession.trafficMirrorSessionId",
  {"CreateTrafficMirrorSessionRequest": {"NetworkInterfaceId": "eni-0a1b2c3d4e5f60718",
                                         "TrafficMirrorTargetId": "tmt-0b2c3d4e5f6071829",
                                         "TrafficMirrorFilterId": "tmf-0c3d4e5f607182930",
                                         "SessionNumber": 1}},
  ec2_wrapped("CreateTrafficMirrorSession", {"trafficMirrorSession": {
      "trafficMirrorSessionId": "tms-0d4e6a8c0b2f13579", "trafficMirrorTargetId": "tmt-0b2c3d4e5f6071829",
      "trafficMirrorFilterId": "tmf-0c3d4e5f607182930", "networkInterfaceId": "eni-0a1b2c3d4e5f60718",
      "ownerId": ACCOUNT, "sessionNumber": 1, "virtualNetworkId": 13314501}}),
  ["tms-0d4e6a8c0b2f13579"],
  "Amazon EC2 API Reference, CreateTrafficMirrorSession (response elements: trafficMirrorSession); "
  "wrapped CreateTrafficMirrorSessionResponse layout, as CreateTrafficMirrorTarget", form="id")
E("prefix-list", "ec2", "CreateManagedPrefixList",
  "responseElements.CreateManagedPrefixListResponse.prefixList.prefixListId",
  {"CreateManagedPrefixListRequest": {"PrefixListName": "office-networks", "AddressFamily": "IPv4",
                                      "MaxEntries": 10,
                                      "Entry": {"Cidr": "198.51.100.0/24", "Description": "Berlin office"}}},
  ec2_wrapped("CreateManagedPrefixList", {"prefixList": {
      "prefixListId": "pl-0e5a7c9b1d3f24680", "addressFamily": "IPv4", "state": "create-in-progress",
      "prefixListArn": arn("ec2", "prefix-list/pl-0e5a7c9b1d3f24680"), "prefixListName": "office-networks",
      "maxEntries": 10, "version": 1, "ownerId": ACCOUNT}}),
  ["pl-0e5a7c9b1d3f24680"],
  "Amazon EC2 API Reference, CreateManagedPrefixList (response elements: prefixList); wrapped "
  "CreateManagedPrefixListResponse layout", form="id")
E("client-vpn-endpoint", "ec2", "CreateClientVpnEndpoint",
  "responseElements.CreateClientVpnEndpointResponse.clientVpnEndpointId",
  {"CreateClientVpnEndpointRequest": {
      "ClientCidrBlock": "10.100.0.0/22",
      "ServerCertificateArn": arn("acm", "certificate/4c2e8a1b-6d3f-4e9a-b0c7-1f5d9e3a7b20"),
      "AuthenticationOptions": {"Type": "certificate-authentication", "tag": 1},
      "ConnectionLogOptions": {"Enabled": False}, "VpcId": "vpc-0c2e4a6b8d1f35793"}},
  ec2_wrapped("CreateClientVpnEndpoint", {"clientVpnEndpointId": "cvpn-endpoint-0a2c4e6b8d1f35791",
                                          "status": {"code": "pending-associate"},
                                          "dnsName": "*.cvpn-endpoint-0a2c4e6b8d1f35791.prod.clientvpn.eu-west-1.amazonaws.com"}),
  ["cvpn-endpoint-0a2c4e6b8d1f35791"],
  "Amazon EC2 API Reference, CreateClientVpnEndpoint (response elements: clientVpnEndpointId, status, "
  "dnsName); wrapped CreateClientVpnEndpointResponse layout", form="id")
E("transit-attachment", "ec2", "CreateTransitGatewayVpcAttachment",
  "responseElements.CreateTransitGatewayVpcAttachmentResponse.transitGatewayVpcAttachment.transitGatewayAttachmentId",
  {"CreateTransitGatewayVpcAttachmentRequest": {"TransitGatewayId": "tgw-0b1d3f5a7c9e24680",
                                                "VpcId": "vpc-0c2e4a6b8d1f35793",
                                                "SubnetIds": {"tag": 1, "content": "subnet-0a2c4e6b8d1f35791"}}},
  ec2_wrapped("CreateTransitGatewayVpcAttachment", {"transitGatewayVpcAttachment": {
      "transitGatewayAttachmentId": "tgw-attach-0a2b4c6d8e0f13579", "transitGatewayId": "tgw-0b1d3f5a7c9e24680",
      "vpcId": "vpc-0c2e4a6b8d1f35793", "vpcOwnerId": ACCOUNT, "state": "pending",
      "subnetIds": {"item": "subnet-0a2c4e6b8d1f35791"}}}),
  ["tgw-attach-0a2b4c6d8e0f13579"],
  "Amazon EC2 API Reference, CreateTransitGatewayVpcAttachment (response elements: "
  "transitGatewayVpcAttachment); wrapped layout, as CreateTransitGateway", form="id")
E("transit-attachment", "ec2", "CreateTransitGatewayPeeringAttachment",
  "responseElements.CreateTransitGatewayPeeringAttachmentResponse.transitGatewayPeeringAttachment.transitGatewayAttachmentId",
  {"CreateTransitGatewayPeeringAttachmentRequest": {"TransitGatewayId": "tgw-0b1d3f5a7c9e24680",
                                                    "PeerTransitGatewayId": "tgw-0f2e4d6c8b0a13579",
                                                    "PeerAccountId": ACCOUNT, "PeerRegion": "us-east-1"}},
  ec2_wrapped("CreateTransitGatewayPeeringAttachment", {"transitGatewayPeeringAttachment": {
      "transitGatewayAttachmentId": "tgw-attach-0c4d6e8f0a2b13579",
      "requesterTgwInfo": {"transitGatewayId": "tgw-0b1d3f5a7c9e24680", "ownerId": ACCOUNT, "region": "eu-west-1"},
      "accepterTgwInfo": {"transitGatewayId": "tgw-0f2e4d6c8b0a13579", "ownerId": ACCOUNT, "region": "us-east-1"},
      "state": "initiatingRequest"}}),
  ["tgw-attach-0c4d6e8f0a2b13579"],
  "Amazon EC2 API Reference, CreateTransitGatewayPeeringAttachment (response elements: "
  "transitGatewayPeeringAttachment); wrapped layout", form="id")
E("transit-attachment", "ec2", "CreateTransitGatewayConnect",
  "responseElements.CreateTransitGatewayConnectResponse.transitGatewayConnect.transitGatewayAttachmentId",
  {"CreateTransitGatewayConnectRequest": {"TransportTransitGatewayAttachmentId": "tgw-attach-0a2b4c6d8e0f13579",
                                          "Options": {"Protocol": "gre"}}},
  ec2_wrapped("CreateTransitGatewayConnect", {"transitGatewayConnect": {
      "transitGatewayAttachmentId": "tgw-attach-0e6f8a0b2c4d13579",
      "transportTransitGatewayAttachmentId": "tgw-attach-0a2b4c6d8e0f13579",
      "transitGatewayId": "tgw-0b1d3f5a7c9e24680", "state": "pending", "options": {"protocol": "gre"}}}),
  ["tgw-attach-0e6f8a0b2c4d13579"],
  "Amazon EC2 API Reference, CreateTransitGatewayConnect (response elements: transitGatewayConnect); "
  "wrapped layout", form="id")
E("vpc-endpoint-service-configuration", "ec2", "CreateVpcEndpointServiceConfiguration",
  "responseElements.CreateVpcEndpointServiceConfigurationResponse.serviceConfiguration.serviceId",
  {"CreateVpcEndpointServiceConfigurationRequest": {
      "AcceptanceRequired": True,
      "NetworkLoadBalancerArn": {"tag": 1, "content": arn("elasticloadbalancing", "loadbalancer/net/orders-nlb/50dc6c495c0c9188")}}},
  ec2_wrapped("CreateVpcEndpointServiceConfiguration", {"serviceConfiguration": {
      "serviceType": {"item": {"serviceType": "Interface"}}, "serviceId": "vpce-svc-0a1b3c5d7e9f24680",
      "serviceName": "com.amazonaws.vpce.eu-west-1.vpce-svc-0a1b3c5d7e9f24680", "serviceState": "Available",
      "acceptanceRequired": True, "managesVpcEndpoints": False}}),
  ["vpce-svc-0a1b3c5d7e9f24680"],
  "Amazon EC2 API Reference, CreateVpcEndpointServiceConfiguration (response elements: "
  "serviceConfiguration); wrapped layout, as CreateVpcEndpoint", form="id")
E("vpn-connection", "ec2", "CreateVpnConnection", "responseElements.vpnConnection.vpnConnectionId",
  {"type": "ipsec.1", "customerGatewayId": "cgw-0a2c4e6b8d1f35791", "vpnGatewayId": "vgw-0b3d5f7a9c2e46802",
   "options": {"staticRoutesOnly": True}},
  {"requestId": REQ, "vpnConnection": {
      "vpnConnectionId": "vpn-0c4e6a8b0d2f13579", "state": "pending",
      "customerGatewayConfiguration": "<sensitiveDataRemoved>", "type": "ipsec.1",
      "customerGatewayId": "cgw-0a2c4e6b8d1f35791", "vpnGatewayId": "vgw-0b3d5f7a9c2e46802",
      "options": {"staticRoutesOnly": True}}},
  ["vpn-0c4e6a8b0d2f13579"],
  "Amazon EC2 API Reference, CreateVpnConnection (response elements: vpnConnection; the customer "
  "gateway configuration is withheld from the record)", form="id")

# ---------------------------------------------------------------------------------------------
# SageMaker: every create returns the new resource's ARN, which is c7n's id (the name in it is
# stored in lower case, so the response is read rather than the request).
# ---------------------------------------------------------------------------------------------

SM = "Amazon SageMaker API Reference"
ROLE_SM = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"


def sm(resource, event, name_field, name, arn_field, arn_rest, extra_req=None, file=None):
    req = {name_field: name, **(extra_req or {})}
    value = arn("sagemaker", arn_rest)
    E(resource, "sagemaker", event, f"responseElements.{arn_field}", req, {arn_field: value}, [value],
      f"{SM}, {event} (response: {arn_field[0].upper() + arn_field[1:]})", file=file,
      host="api.sagemaker")


sm("sagemaker-endpoint", "CreateEndpoint", "endpointName", "churn-model-prod", "endpointArn",
   "endpoint/churn-model-prod", {"endpointConfigName": "churn-model-prod-v3"})
sm("sagemaker-endpoint-config", "CreateEndpointConfig", "endpointConfigName", "churn-model-prod-v3",
   "endpointConfigArn", "endpoint-config/churn-model-prod-v3",
   {"productionVariants": [{"variantName": "AllTraffic", "modelName": "churn-xgb-2024-05-14",
                            "initialInstanceCount": 1, "instanceType": "ml.m5.large"}]})
sm("sagemaker-model", "CreateModel", "modelName", "churn-xgb-2024-05-14", "modelArn",
   "model/churn-xgb-2024-05-14", {"executionRoleArn": ROLE_SM, "primaryContainer": {
       "image": "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1",
       "modelDataUrl": "s3://acme-ml-eu-west-1/churn/model.tar.gz"}})
sm("sagemaker-job", "CreateTrainingJob", "trainingJobName", "churn-xgb-2024-05-14-08-10", "trainingJobArn",
   "training-job/churn-xgb-2024-05-14-08-10", {"roleArn": ROLE_SM, "resourceConfig": {
       "instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeSizeInGB": 30}})
sm("sagemaker-transform-job", "CreateTransformJob", "transformJobName", "churn-batch-2024-05-14",
   "transformJobArn", "transform-job/churn-batch-2024-05-14", {"modelName": "churn-xgb-2024-05-14"})
sm("sagemaker-processing-job", "CreateProcessingJob", "processingJobName", "churn-features-2024-05-14",
   "processingJobArn", "processing-job/churn-features-2024-05-14", {"roleArn": ROLE_SM})
sm("sagemaker-hyperparameter-tuning-job", "CreateHyperParameterTuningJob", "hyperParameterTuningJobName",
   "churn-xgb-hpo-0514", "hyperParameterTuningJobArn", "hyper-parameter-tuning-job/churn-xgb-hpo-0514")
sm("sagemaker-auto-ml-job", "CreateAutoMLJob", "autoMLJobName", "churn-autopilot-0514", "autoMLJobArn",
   "automl-job/churn-autopilot-0514", {"roleArn": ROLE_SM})
sm("sagemaker-auto-ml-job", "CreateAutoMLJobV2", "autoMLJobName", "churn-autopilot-v2-0514", "autoMLJobArn",
   "automl-job/churn-autopilot-v2-0514", {"roleArn": ROLE_SM})
sm("sagemaker-compilation-job", "CreateCompilationJob", "compilationJobName", "churn-neo-graviton",
   "compilationJobArn", "compilation-job/churn-neo-graviton", {"roleArn": ROLE_SM})
sm("sagemaker-user-profile", "CreateUserProfile", "userProfileName", "lena-schmidt", "userProfileArn",
   "user-profile/d-8f3ka2x1hz9q/lena-schmidt", {"domainId": "d-8f3ka2x1hz9q"})
sm("sagemaker-space", "CreateSpace", "spaceName", "churn-team", "spaceArn", "space/d-8f3ka2x1hz9q/churn-team",
   {"domainId": "d-8f3ka2x1hz9q"})
sm("sagemaker-app", "CreateApp", "appName", "default", "appArn",
   "app/d-8f3ka2x1hz9q/lena-schmidt/jupyterserver/default",
   {"domainId": "d-8f3ka2x1hz9q", "userProfileName": "lena-schmidt", "appType": "JupyterServer"})
sm("sagemaker-cluster", "CreateCluster", "clusterName", "llm-train", "clusterArn", "cluster/p9m4ld3xq2tz",
   {"instanceGroups": [{"instanceGroupName": "workers", "instanceType": "ml.p5.48xlarge", "instanceCount": 2,
                        "executionRole": ROLE_SM}]})
for _kind in ("DataQuality", "ModelBias", "ModelExplainability", "ModelQuality"):
    _res = {"DataQuality": "data-quality", "ModelBias": "model-bias",
            "ModelExplainability": "model-explainability", "ModelQuality": "model-quality"}[_kind]
    sm(f"sagemaker-{_res}-job-definition", f"Create{_kind}JobDefinition", "jobDefinitionName",
       f"churn-{_res}-monitor", "jobDefinitionArn", f"{_res}-job-definition/churn-{_res}-monitor",
       {"roleArn": ROLE_SM})
E("sagemaker-domain", "sagemaker", "CreateDomain", "responseElements.domainId",
  {"domainName": "analytics", "authMode": "IAM", "vpcId": "vpc-0c2e4a6b8d1f35793",
   "subnetIds": ["subnet-0a2c4e6b8d1f35791"], "defaultUserSettings": {"executionRole": ROLE_SM}},
  {"domainArn": arn("sagemaker", "domain/d-8f3ka2x1hz9q"), "domainId": "d-8f3ka2x1hz9q",
   "url": "https://d-8f3ka2x1hz9q.studio.eu-west-1.sagemaker.aws"},
  ["d-8f3ka2x1hz9q"], f"{SM}, CreateDomain (response: DomainArn, DomainId, Url)", form="id",
  host="api.sagemaker")

# ---------------------------------------------------------------------------------------------
# Amazon MQ, Route 53 health checks
# ---------------------------------------------------------------------------------------------

E("message-broker", "amazonmq", "CreateBroker", "responseElements.brokerId",
  {"brokerName": "orders-events", "engineType": "ActiveMQ", "engineVersion": "5.18",
   "deploymentMode": "ACTIVE_STANDBY_MULTI_AZ", "hostInstanceType": "mq.m5.large",
   "publiclyAccessible": False, "autoMinorVersionUpgrade": True,
   "users": [{"username": "orders", "password": "***", "consoleAccess": False}],
   "subnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"],
   "securityGroups": ["sg-0a1b2c3d4e5f60718"], "creatorRequestId": "terraform-20240514080000000000000001"},
  {"brokerId": "b-3f9a1c7e-5d2b-4e8a-9c6f-0a4d7e1b3c58",
   "brokerArn": arn("mq", "broker:orders-events:b-3f9a1c7e-5d2b-4e8a-9c6f-0a4d7e1b3c58")},
  ["b-3f9a1c7e-5d2b-4e8a-9c6f-0a4d7e1b3c58"],
  "Amazon MQ API Reference, CreateBroker (response: brokerId, brokerArn); Amazon MQ developer guide, "
  "logging Amazon MQ API calls with CloudTrail (eventSource amazonmq.amazonaws.com, CreateBroker "
  "example with responseElements.brokerId)", form="id", host="mq")
E("message-config", "amazonmq", "CreateConfiguration", "responseElements.id",
  {"name": "orders-events-config", "engineType": "ActiveMQ", "engineVersion": "5.18",
   "authenticationStrategy": "simple"},
  {"arn": arn("mq", "configuration:c-1b7d3e9f-2a4c-4f6e-8b0d-5c7e9a1b3d26"),
   "authenticationStrategy": "simple", "created": "2024-05-14T08:00:00.000Z",
   "id": "c-1b7d3e9f-2a4c-4f6e-8b0d-5c7e9a1b3d26",
   "latestRevision": {"created": "2024-05-14T08:00:00.000Z", "description": "Auto-generated default for orders-events-config on ActiveMQ 5.18", "revision": 1},
   "name": "orders-events-config"},
  ["c-1b7d3e9f-2a4c-4f6e-8b0d-5c7e9a1b3d26"],
  "Amazon MQ API Reference, CreateConfiguration (response: arn, id, name, latestRevision); "
  "eventSource amazonmq.amazonaws.com as for CreateBroker", form="id", host="mq")
E("healthcheck", "route53", "CreateHealthCheck", "responseElements.healthCheck.id",
  {"callerReference": "terraform-20240514080500000000000002",
   "healthCheckConfig": {"fullyQualifiedDomainName": "api.example.com", "port": 443, "type": "HTTPS",
                         "resourcePath": "/healthz", "requestInterval": 30, "failureThreshold": 3}},
  {"healthCheck": {"id": "4d6a2f3e-8b1c-4e7a-9f0d-2c5e8a1b7d34", "callerReference": "terraform-20240514080500000000000002",
                   "healthCheckConfig": {"fullyQualifiedDomainName": "api.example.com", "port": 443,
                                         "type": "HTTPS", "resourcePath": "/healthz", "requestInterval": 30,
                                         "failureThreshold": 3, "measureLatency": False, "inverted": False,
                                         "disabled": False, "enableSNI": True},
                   "healthCheckVersion": 1},
   "location": "https://route53.amazonaws.com/2013-04-01/healthcheck/4d6a2f3e-8b1c-4e7a-9f0d-2c5e8a1b7d34"},
  ["4d6a2f3e-8b1c-4e7a-9f0d-2c5e8a1b7d34"],
  "Amazon Route 53 API Reference, CreateHealthCheck (response: HealthCheck.Id, a bare id, as c7n's Id; "
  "Location header); global service, recorded in us-east-1", form="id", region="us-east-1",
  host="route53")


# ---------------------------------------------------------------------------------------------
# Comprehend: asynchronous jobs (c7n's id is the JobId the Start* call returns) and models
# (ARN returned by the Create* call).
# ---------------------------------------------------------------------------------------------

CO = "Amazon Comprehend API Reference"
ROLE_CO = f"arn:aws:iam::{ACCOUNT}:role/comprehend-data-access"
_IO = {"inputDataConfig": {"s3Uri": "s3://acme-nlp-eu-west-1/input/", "inputFormat": "ONE_DOC_PER_LINE"},
       "outputDataConfig": {"s3Uri": "s3://acme-nlp-eu-west-1/output/"}, "dataAccessRoleArn": ROLE_CO}
for _i, (_res, _kind, _jobarn) in enumerate([
        ("document-classification", "DocumentClassification", "document-classification-job"),
        ("dominant-language-detection", "DominantLanguageDetection", "dominant-language-detection-job"),
        ("entities-detection", "EntitiesDetection", "entities-detection-job"),
        ("events-detection", "EventsDetection", "events-detection-job"),
        ("key-phrases-detection", "KeyPhrasesDetection", "key-phrases-detection-job"),
        ("pii-entities-detection", "PiiEntitiesDetection", "pii-entities-detection-job"),
        ("sentiment-detection", "SentimentDetection", "sentiment-detection-job"),
        ("targeted-sentiment-detection", "TargetedSentimentDetection", "targeted-sentiment-detection-job"),
        ("topics-detection", "TopicsDetection", "topics-detection-job")]):
    _job = hashlib.md5(_res.encode()).hexdigest()
    _req = {"jobName": f"support-tickets-{_res}-0514", **_IO}
    if _kind not in ("DominantLanguageDetection", "TopicsDetection", "DocumentClassification"):
        _req["languageCode"] = "en"
    if _kind == "DocumentClassification":
        _req["documentClassifierArn"] = arn("comprehend", "document-classifier/ticket-router/version/v3")
    E(f"comprehend-{_res}-job", "comprehend", f"Start{_kind}Job", "responseElements.jobId", _req,
      {"jobId": _job, "jobArn": arn("comprehend", f"{_jobarn}/{_job}"), "jobStatus": "SUBMITTED"},
      [_job], f"{CO}, Start{_kind}Job (response: JobId, JobArn, JobStatus; c7n's id is JobId)", form="id")
E("comprehend-document-classifier", "comprehend", "CreateDocumentClassifier",
  "responseElements.documentClassifierArn",
  {"documentClassifierName": "ticket-router", "versionName": "v3", "languageCode": "en",
   "dataAccessRoleArn": ROLE_CO, "inputDataConfig": {"s3Uri": "s3://acme-nlp-eu-west-1/train/tickets.csv"}},
  {"documentClassifierArn": arn("comprehend", "document-classifier/ticket-router/version/v3")},
  [arn("comprehend", "document-classifier/ticket-router/version/v3")],
  f"{CO}, CreateDocumentClassifier (response: DocumentClassifierArn)")
E("comprehend-entity-recognizer", "comprehend", "CreateEntityRecognizer", "responseElements.entityRecognizerArn",
  {"recognizerName": "product-codes", "languageCode": "en", "dataAccessRoleArn": ROLE_CO,
   "inputDataConfig": {"entityTypes": [{"type": "PRODUCT_CODE"}],
                       "documents": {"s3Uri": "s3://acme-nlp-eu-west-1/ner/docs/"}}},
  {"entityRecognizerArn": arn("comprehend", "entity-recognizer/product-codes")},
  [arn("comprehend", "entity-recognizer/product-codes")],
  f"{CO}, CreateEntityRecognizer (response: EntityRecognizerArn)")
E("comprehend-endpoint", "comprehend", "CreateEndpoint", "responseElements.endpointArn",
  {"endpointName": "ticket-router-rt", "modelArn": arn("comprehend", "document-classifier/ticket-router/version/v3"),
   "desiredInferenceUnits": 1},
  {"endpointArn": arn("comprehend", "document-classifier-endpoint/ticket-router-rt"),
   "modelArn": arn("comprehend", "document-classifier/ticket-router/version/v3")},
  [arn("comprehend", "document-classifier-endpoint/ticket-router-rt")],
  f"{CO}, CreateEndpoint (response: EndpointArn, ModelArn)")
E("comprehend-flywheel", "comprehend", "CreateFlywheel", "responseElements.flywheelArn",
  {"flywheelName": "ticket-router-flywheel", "dataAccessRoleArn": ROLE_CO,
   "activeModelArn": arn("comprehend", "document-classifier/ticket-router/version/v3"),
   "dataLakeS3Uri": "s3://acme-nlp-eu-west-1/flywheel/"},
  {"flywheelArn": arn("comprehend", "flywheel/ticket-router-flywheel"),
   "activeModelArn": arn("comprehend", "document-classifier/ticket-router/version/v3")},
  [arn("comprehend", "flywheel/ticket-router-flywheel")],
  f"{CO}, CreateFlywheel (response: FlywheelArn, ActiveModelArn)")

# ---------------------------------------------------------------------------------------------
# Bedrock (control plane and Agents for Bedrock both record eventSource bedrock.amazonaws.com)
# ---------------------------------------------------------------------------------------------

BR = "Amazon Bedrock API Reference"
ROLE_BR = f"arn:aws:iam::{ACCOUNT}:role/bedrock-jobs"
E("bedrock-agent", "bedrock", "CreateAgent", "responseElements.agent.agentId",
  {"agentName": "support-triage", "foundationModel": "anthropic.claude-3-haiku-20240307-v1:0",
   "agentResourceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/AmazonBedrockExecutionRoleForAgents_support",
   "instruction": "***", "idleSessionTTLInSeconds": 600},
  {"agent": {"agentId": "QXK4T7LM2P", "agentName": "support-triage",
             "agentArn": arn("bedrock", "agent/QXK4T7LM2P"), "agentVersion": "DRAFT",
             "agentStatus": "CREATING", "foundationModel": "anthropic.claude-3-haiku-20240307-v1:0",
             "idleSessionTTLInSeconds": 600, "createdAt": "2024-05-14T08:00:00Z"}},
  ["QXK4T7LM2P"], f"{BR} (Agents for Amazon Bedrock), CreateAgent (response: agent.agentId, agent.agentArn)",
  form="id", host="bedrock-agent")
E("bedrock-knowledge-base", "bedrock", "CreateKnowledgeBase", "responseElements.knowledgeBase.knowledgeBaseId",
  {"name": "support-articles", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/AmazonBedrockExecutionRoleForKnowledgeBase_support",
   "knowledgeBaseConfiguration": {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
       "embeddingModelArn": "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-embed-text-v2:0"}}},
  {"knowledgeBase": {"knowledgeBaseId": "7HZP2K4WQR", "name": "support-articles",
                     "knowledgeBaseArn": arn("bedrock", "knowledge-base/7HZP2K4WQR"), "status": "CREATING"}},
  ["7HZP2K4WQR"], f"{BR} (Agents for Amazon Bedrock), CreateKnowledgeBase (response: knowledgeBase.knowledgeBaseId)",
  form="id", host="bedrock-agent")
E("bedrock-customization-job", "bedrock", "CreateModelCustomizationJob", "responseElements.jobArn",
  {"jobName": "titan-support-ft-0514", "customModelName": "titan-support-0514", "roleArn": ROLE_BR,
   "baseModelIdentifier": "amazon.titan-text-express-v1", "customizationType": "FINE_TUNING",
   "trainingDataConfig": {"s3Uri": "s3://acme-ml-eu-west-1/bedrock/train.jsonl"},
   "outputDataConfig": {"s3Uri": "s3://acme-ml-eu-west-1/bedrock/out/"}},
  {"jobArn": arn("bedrock", "model-customization-job/amazon.titan-text-express-v1:0:8k/x1y2z3a4b5c6")},
  [arn("bedrock", "model-customization-job/amazon.titan-text-express-v1:0:8k/x1y2z3a4b5c6")],
  f"{BR}, CreateModelCustomizationJob (response: jobArn)")
E("bedrock-custom-model", "bedrock", "CreateCustomModel", "responseElements.modelArn",
  {"modelName": "support-distilled", "modelSourceConfig": {"s3DataSource": {"s3Uri": "s3://acme-ml-eu-west-1/models/support/"}},
   "roleArn": ROLE_BR},
  {"modelArn": arn("bedrock", "custom-model/imported/k3j8d2x7q1w9")},
  [arn("bedrock", "custom-model/imported/k3j8d2x7q1w9")],
  f"{BR}, CreateCustomModel (response: modelArn). A model made by a customization job gets its ARN "
  "only when the job ends, so that path is not mapped")
E("bedrock-evaluation-job", "bedrock", "CreateEvaluationJob", "responseElements.jobArn",
  {"jobName": "support-eval-0514", "roleArn": ROLE_BR, "applicationType": "ModelEvaluation"},
  {"jobArn": arn("bedrock", "evaluation-job/p2q4r6s8t0u1")}, [arn("bedrock", "evaluation-job/p2q4r6s8t0u1")],
  f"{BR}, CreateEvaluationJob (response: jobArn)")
E("bedrock-guardrail", "bedrock", "CreateGuardrail", "responseElements.guardrailId",
  {"name": "support-pii", "blockedInputMessaging": "***", "blockedOutputsMessaging": "***",
   "sensitiveInformationPolicyConfig": {"piiEntitiesConfig": [{"type": "EMAIL", "action": "ANONYMIZE"}]}},
  {"guardrailId": "w9x7v5t3r1qz", "guardrailArn": arn("bedrock", "guardrail/w9x7v5t3r1qz"),
   "version": "DRAFT", "createdAt": "2024-05-14T08:00:00Z"},
  ["w9x7v5t3r1qz"], f"{BR}, CreateGuardrail (response: guardrailId, guardrailArn, version; c7n's id is the guardrail id)",
  form="id")
E("bedrock-inference-profile", "bedrock", "CreateInferenceProfile", "responseElements.inferenceProfileArn",
  {"inferenceProfileName": "support-haiku",
   "modelSource": {"copyFrom": "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"}},
  {"inferenceProfileArn": arn("bedrock", "application-inference-profile/a1b2c3d4e5f6"), "status": "ACTIVE"},
  [arn("bedrock", "application-inference-profile/a1b2c3d4e5f6")],
  f"{BR}, CreateInferenceProfile (response: inferenceProfileArn, status)")
E("bedrock-model-invocation-job", "bedrock", "CreateModelInvocationJob", "responseElements.jobArn",
  {"jobName": "ticket-summaries-0514", "roleArn": ROLE_BR, "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
   "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://acme-ml-eu-west-1/batch/in/"}},
   "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://acme-ml-eu-west-1/batch/out/"}}},
  {"jobArn": arn("bedrock", "model-invocation-job/m4n6p8q0r2s4")}, [arn("bedrock", "model-invocation-job/m4n6p8q0r2s4")],
  f"{BR}, CreateModelInvocationJob (response: jobArn)")

# ---------------------------------------------------------------------------------------------
# AWS Batch, Athena, Glue
# ---------------------------------------------------------------------------------------------

E("batch-compute", "batch", "CreateComputeEnvironment", "responseElements.computeEnvironmentName",
  {"computeEnvironmentName": "spot-arm64", "type": "MANAGED", "state": "ENABLED",
   "computeResources": {"type": "SPOT", "maxvCpus": 256, "subnets": ["subnet-0a2c4e6b8d1f35791"],
                        "securityGroupIds": ["sg-0a1b2c3d4e5f60718"], "instanceTypes": ["c7g"]}},
  {"computeEnvironmentName": "spot-arm64", "computeEnvironmentArn": arn("batch", "compute-environment/spot-arm64")},
  ["spot-arm64"], "AWS Batch API Reference, CreateComputeEnvironment (response: computeEnvironmentName, "
  "computeEnvironmentArn)", form="name")
E("batch-queue", "batch", "CreateJobQueue", "responseElements.jobQueueName",
  {"jobQueueName": "nightly", "state": "ENABLED", "priority": 10,
   "computeEnvironmentOrder": [{"order": 1, "computeEnvironment": "spot-arm64"}]},
  {"jobQueueName": "nightly", "jobQueueArn": arn("batch", "job-queue/nightly")},
  ["nightly"], "AWS Batch API Reference, CreateJobQueue (response: jobQueueName, jobQueueArn)", form="name")
E("batch-definition", "batch", "RegisterJobDefinition", "responseElements.jobDefinitionName",
  {"jobDefinitionName": "etl-orders", "type": "container",
   "containerProperties": {"image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/etl:1.4.0",
                           "resourceRequirements": [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "4096"}]}},
  {"jobDefinitionName": "etl-orders", "jobDefinitionArn": arn("batch", "job-definition/etl-orders:3"), "revision": 3},
  ["etl-orders"], "AWS Batch API Reference, RegisterJobDefinition (response: jobDefinitionName, "
  "jobDefinitionArn, revision; c7n's id is the name, shared by every revision)", form="name")
E("athena-work-group", "athena", "CreateWorkGroup", "requestParameters.name",
  {"name": "analysts", "configuration": {"resultConfiguration": {"outputLocation": "s3://acme-athena-results/analysts/"},
                                         "enforceWorkGroupConfiguration": True}},
  None, ["analysts"], "Amazon Athena API Reference, CreateWorkGroup (request: Name; empty response)", form="name")
E("athena-data-catalog", "athena", "CreateDataCatalog", "requestParameters.name",
  {"name": "partner_hive", "type": "HIVE",
   "parameters": {"metadata-function": arn("lambda", "function:hive-metastore")}},
  {"dataCatalog": {"name": "partner_hive", "type": "HIVE", "status": "CREATE_COMPLETE"}},
  ["partner_hive"], "Amazon Athena API Reference, CreateDataCatalog (request: Name; response: DataCatalog)",
  form="name")
E("athena-capacity-reservation", "athena", "CreateCapacityReservation", "requestParameters.name",
  {"name": "bi-dashboards", "targetDpus": 24}, None, ["bi-dashboards"],
  "Amazon Athena API Reference, CreateCapacityReservation (request: Name, TargetDpus; empty response)", form="name")
E("glue-dev-endpoint", "glue", "CreateDevEndpoint", "requestParameters.endpointName",
  {"endpointName": "notebook-dev", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/glue-dev", "numberOfNodes": 2},
  {"endpointName": "notebook-dev", "status": "PROVISIONING", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/glue-dev",
   "numberOfNodes": 2}, ["notebook-dev"],
  "AWS Glue API Reference, CreateDevEndpoint (request: EndpointName; response: EndpointName, Status)", form="name")
E("glue-ml-transform", "glue", "CreateMLTransform", "responseElements.transformId",
  {"name": "dedupe-customers", "role": f"arn:aws:iam::{ACCOUNT}:role/glue-ml",
   "inputRecordTables": [{"databaseName": "crm", "tableName": "customers"}],
   "parameters": {"transformType": "FIND_MATCHES", "findMatchesParameters": {"primaryKeyColumnName": "customer_id"}}},
  {"transformId": "tfm-3c7e1a9b5d2f4680a1c3e5b7d9f02468"}, ["tfm-3c7e1a9b5d2f4680a1c3e5b7d9f02468"],
  "AWS Glue API Reference, CreateMLTransform (response: TransformId)", form="id")
E("glue-trigger", "glue", "CreateTrigger", "requestParameters.name",
  {"name": "nightly-orders", "type": "SCHEDULED", "schedule": "cron(0 2 * * ? *)",
   "actions": [{"jobName": "orders-etl"}], "startOnCreation": True},
  {"name": "nightly-orders"}, ["nightly-orders"], "AWS Glue API Reference, CreateTrigger (request: Name; response: Name)",
  form="name")
E("glue-workflow", "glue", "CreateWorkflow", "requestParameters.name",
  {"name": "orders-pipeline", "description": "crawl, transform, publish"},
  {"name": "orders-pipeline"}, ["orders-pipeline"], "AWS Glue API Reference, CreateWorkflow (request: Name; response: Name)",
  form="name")

# ---------------------------------------------------------------------------------------------
# MemoryDB (JSON service, responses hold the stored name), ElastiCache snapshots and users
# ---------------------------------------------------------------------------------------------

MDB = "Amazon MemoryDB API Reference"
E("memorydb", "memorydb", "CreateCluster", "responseElements.cluster.name",
  {"clusterName": "sessions", "nodeType": "db.r7g.large", "aCLName": "app-acl", "subnetGroupName": "app-private",
   "numShards": 2, "numReplicasPerShard": 1, "tLSEnabled": True},
  {"cluster": {"name": "sessions", "status": "creating", "numberOfShards": 2, "nodeType": "db.r7g.large",
               "engineVersion": "7.1", "aRN": arn("memorydb", "cluster/sessions"), "aCLName": "app-acl"}},
  ["sessions"], f"{MDB}, CreateCluster (response: Cluster.Name, Cluster.ARN)", form="name")
E("memorydb-acl", "memorydb", "CreateACL", "[responseElements.aCL.name, responseElements.acl.name]",
  {"aCLName": "app-acl", "userNames": ["app-user"]},
  {"aCL": {"name": "app-acl", "status": "creating", "userNames": ["app-user"],
           "aRN": arn("memorydb", "acl/app-acl")}},
  ["app-acl"], f"{MDB}, CreateACL (response: ACL.Name, ACL.ARN; the member ACL is written aCL with a "
  "lower-case first letter; the expression also reads acl)", form="name")
E("memorydb-parameter-group", "memorydb", "CreateParameterGroup", "responseElements.parameterGroup.name",
  {"parameterGroupName": "sessions-redis7", "family": "memorydb_redis7"},
  {"parameterGroup": {"name": "sessions-redis7", "family": "memorydb_redis7",
                      "aRN": arn("memorydb", "parametergroup/sessions-redis7")}},
  ["sessions-redis7"], f"{MDB}, CreateParameterGroup (response: ParameterGroup.Name)", form="name")
E("memorydb-snapshot", "memorydb", "CreateSnapshot", "responseElements.snapshot.name",
  {"clusterName": "sessions", "snapshotName": "sessions-pre-upgrade"},
  {"snapshot": {"name": "sessions-pre-upgrade", "status": "creating", "source": "manual",
                "aRN": arn("memorydb", "snapshot/sessions-pre-upgrade"),
                "clusterConfiguration": {"name": "sessions", "nodeType": "db.r7g.large"}}},
  ["sessions-pre-upgrade"], f"{MDB}, CreateSnapshot (response: Snapshot.Name)", form="name")
E("memorydb-snapshot", "memorydb", "CopySnapshot", "responseElements.snapshot.name",
  {"sourceSnapshotName": "sessions-pre-upgrade", "targetSnapshotName": "sessions-pre-upgrade-copy"},
  {"snapshot": {"name": "sessions-pre-upgrade-copy", "status": "creating", "source": "manual",
                "aRN": arn("memorydb", "snapshot/sessions-pre-upgrade-copy")}},
  ["sessions-pre-upgrade-copy"], f"{MDB}, CopySnapshot (response: Snapshot.Name)", form="name")
E("memorydb-subnet-group", "memorydb", "CreateSubnetGroup", "responseElements.subnetGroup.name",
  {"subnetGroupName": "app-private", "subnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]},
  {"subnetGroup": {"name": "app-private", "vpcId": "vpc-0c2e4a6b8d1f35793",
                   "aRN": arn("memorydb", "subnetgroup/app-private")}},
  ["app-private"], f"{MDB}, CreateSubnetGroup (response: SubnetGroup.Name)", form="name")
E("memorydb-user", "memorydb", "CreateUser", "responseElements.user.name",
  {"userName": "app-user", "accessString": "on ~* &* +@all", "authenticationMode": {"type": "password", "passwords": ["***"]}},
  {"user": {"name": "app-user", "status": "active", "accessString": "on ~* &* +@all",
            "aRN": arn("memorydb", "user/app-user")}},
  ["app-user"], f"{MDB}, CreateUser (response: User.Name)", form="name")
E("cache-snapshot", "elasticache", "CreateSnapshot", "responseElements.snapshotName",
  {"replicationGroupId": "sessions", "snapshotName": "sessions-2024-05-14"},
  {"snapshotName": "sessions-2024-05-14", "replicationGroupId": "sessions", "snapshotStatus": "creating",
   "snapshotSource": "manual", "engine": "redis", "aRN": arn("elasticache", "snapshot:sessions-2024-05-14")},
  ["sessions-2024-05-14"], "Amazon ElastiCache API Reference, CreateSnapshot (response: Snapshot, recorded "
  "flattened)", form="name")
E("cache-snapshot", "elasticache", "CopySnapshot", "responseElements.snapshotName",
  {"sourceSnapshotName": "sessions-2024-05-14", "targetSnapshotName": "sessions-2024-05-14-dr"},
  {"snapshotName": "sessions-2024-05-14-dr", "snapshotStatus": "creating", "snapshotSource": "manual",
   "engine": "redis"},
  ["sessions-2024-05-14-dr"], "Amazon ElastiCache API Reference, CopySnapshot (response: Snapshot, recorded "
  "flattened)", form="name")
E("elasticache-user", "elasticache", "CreateUser", "responseElements.userId",
  {"userId": "app-user", "userName": "app", "engine": "redis", "accessString": "on ~* +@all",
   "passwords": ["***"]},
  {"userId": "app-user", "userName": "app", "status": "creating", "engine": "redis",
   "aRN": arn("elasticache", "user:app-user")},
  ["app-user"], "Amazon ElastiCache API Reference, CreateUser (response: UserId, UserName, ARN)", form="name")

# ---------------------------------------------------------------------------------------------
# RDS, Redshift (query services: the result structure is recorded flattened), DMS
# ---------------------------------------------------------------------------------------------

RDS = "Amazon RDS API Reference"
E("rds-cluster-param-group", "rds", "CreateDBClusterParameterGroup", "responseElements.dBClusterParameterGroupName",
  {"dBClusterParameterGroupName": "aurora-pg16-app", "dBParameterGroupFamily": "aurora-postgresql16",
   "description": "app cluster parameters"},
  {"dBClusterParameterGroupName": "aurora-pg16-app", "dBParameterGroupFamily": "aurora-postgresql16",
   "description": "app cluster parameters",
   "dBClusterParameterGroupArn": arn("rds", "cluster-pg:aurora-pg16-app")},
  ["aurora-pg16-app"], f"{RDS} CreateDBClusterParameterGroup (response: DBClusterParameterGroup, recorded "
  "flattened; the name is stored in lower case)", form="name")
E("rds-cluster-param-group", "rds", "CopyDBClusterParameterGroup", "responseElements.dBClusterParameterGroupName",
  {"sourceDBClusterParameterGroupIdentifier": "aurora-pg16-app",
   "targetDBClusterParameterGroupIdentifier": "aurora-pg16-app-tuned",
   "targetDBClusterParameterGroupDescription": "tuned copy"},
  {"dBClusterParameterGroupName": "aurora-pg16-app-tuned", "dBParameterGroupFamily": "aurora-postgresql16",
   "description": "tuned copy", "dBClusterParameterGroupArn": arn("rds", "cluster-pg:aurora-pg16-app-tuned")},
  ["aurora-pg16-app-tuned"], f"{RDS} CopyDBClusterParameterGroup (response: DBClusterParameterGroup, recorded "
  "flattened)", form="name")
E("rds-param-group", "rds", "CopyDBParameterGroup", "responseElements.dBParameterGroupName",
  {"sourceDBParameterGroupIdentifier": "postgres16-app", "targetDBParameterGroupIdentifier": "postgres16-app-audit",
   "targetDBParameterGroupDescription": "with pgaudit"},
  {"dBParameterGroupName": "postgres16-app-audit", "dBParameterGroupFamily": "postgres16",
   "description": "with pgaudit", "dBParameterGroupArn": arn("rds", "pg:postgres16-app-audit")},
  ["postgres16-app-audit"], f"{RDS} CopyDBParameterGroup (response: DBParameterGroup, recorded flattened)",
  form="name")
E("rds-global-cluster", "rds", "CreateGlobalCluster", "responseElements.globalClusterIdentifier",
  {"globalClusterIdentifier": "orders-global", "sourceDBClusterIdentifier": arn("rds", "cluster:orders")},
  {"globalClusterIdentifier": "orders-global", "globalClusterResourceId": "cluster-7f3a9c1e5b2d4f68",
   "globalClusterArn": "arn:aws:rds::111122223333:global-cluster:orders-global", "status": "available",
   "engine": "aurora-postgresql", "engineVersion": "16.2"},
  ["orders-global"], f"{RDS} CreateGlobalCluster (response: GlobalCluster, recorded flattened)", form="name")
E("rds-proxy", "rds", "CreateDBProxy", "[responseElements.dBProxy.dBProxyName, responseElements.dBProxyName]",
  {"dBProxyName": "orders-proxy", "engineFamily": "POSTGRESQL", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/rds-proxy",
   "auth": [{"authScheme": "SECRETS", "secretArn": arn("secretsmanager", "secret:orders-db-AbCdEf"), "iAMAuth": "DISABLED"}],
   "vpcSubnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]},
  {"dBProxy": {"dBProxyName": "orders-proxy", "dBProxyArn": arn("rds", "db-proxy:prx-0a1b2c3d4e5f60718"),
               "status": "creating", "engineFamily": "POSTGRESQL", "vpcId": "vpc-0c2e4a6b8d1f35793"}},
  ["orders-proxy"], f"{RDS} CreateDBProxy (response: DBProxy; the expression reads it nested or flattened)",
  form="name")
E("rds-reserved", "rds", "PurchaseReservedDBInstancesOffering", "responseElements.reservedDBInstanceId",
  {"reservedDBInstancesOfferingId": "438012d3-4052-4cc7-b2e3-8d3372e0e706", "reservedDBInstanceId": "orders-ri-2024",
   "dBInstanceCount": 1},
  {"reservedDBInstanceId": "orders-ri-2024", "reservedDBInstancesOfferingId": "438012d3-4052-4cc7-b2e3-8d3372e0e706",
   "dBInstanceClass": "db.r6g.large", "duration": 31536000, "state": "payment-pending",
   "reservedDBInstanceArn": arn("rds", "ri:orders-ri-2024")},
  ["orders-ri-2024"], f"{RDS} PurchaseReservedDBInstancesOffering (response: ReservedDBInstance, recorded "
  "flattened)", form="name")
E("rds-subscription", "rds", "CreateEventSubscription", "responseElements.custSubscriptionId",
  {"subscriptionName": "orders-failover", "snsTopicArn": arn("sns", "ops-alerts"), "sourceType": "db-cluster",
   "eventCategories": ["failover"], "enabled": True},
  {"customerAwsId": ACCOUNT, "custSubscriptionId": "orders-failover", "snsTopicArn": arn("sns", "ops-alerts"),
   "status": "creating", "sourceType": "db-cluster", "enabled": True,
   "eventSubscriptionArn": arn("rds", "es:orders-failover")},
  ["orders-failover"], f"{RDS} CreateEventSubscription (response: EventSubscription, recorded flattened; "
  "CustSubscriptionId is the subscription name)", form="name")
E("rds-db-shard-group", "rds", "CreateDBShardGroup", "responseElements.dBShardGroupResourceId",
  {"dBShardGroupIdentifier": "orders-shards", "dBClusterIdentifier": "orders-limitless", "maxACU": 768.0},
  {"dBShardGroupResourceId": "shardgroup-8a2c4e6f1b3d5a7c9e0f2b4d6a8c1e3f", "dBShardGroupIdentifier": "orders-shards",
   "dBClusterIdentifier": "orders-limitless", "maxACU": 768.0, "status": "creating",
   "dBShardGroupArn": arn("rds", "shard-group:shardgroup-8a2c4e6f1b3d5a7c9e0f2b4d6a8c1e3f")},
  ["shardgroup-8a2c4e6f1b3d5a7c9e0f2b4d6a8c1e3f"],
  f"{RDS} CreateDBShardGroup (response: DBShardGroupResourceId, DBShardGroupIdentifier, DBShardGroupArn)",
  form="id")
E("rds-cluster", "rds", "RestoreDBClusterFromS3", "responseElements.dBClusterIdentifier",
  {"dBClusterIdentifier": "Legacy-Import", "engine": "aurora-mysql", "masterUsername": "admin",
   "sourceEngine": "mysql", "sourceEngineVersion": "8.0.36", "s3BucketName": "acme-db-imports",
   "s3IngestionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/rds-s3-import"},
  {"dBClusterIdentifier": "legacy-import", "engine": "aurora-mysql", "status": "creating",
   "dBClusterArn": arn("rds", "cluster:legacy-import"), "masterUsername": "admin"},
  ["legacy-import"], f"{RDS} RestoreDBClusterFromS3 (response: DBCluster, recorded flattened; identifiers are "
  "stored in lower case)", form="name")
E("redshift-snapshot", "redshift", "CreateClusterSnapshot", "responseElements.snapshotIdentifier",
  {"snapshotIdentifier": "dwh-pre-resize", "clusterIdentifier": "dwh"},
  {"snapshotIdentifier": "dwh-pre-resize", "clusterIdentifier": "dwh", "status": "creating",
   "snapshotType": "manual", "nodeType": "ra3.4xlarge", "numberOfNodes": 4},
  ["dwh-pre-resize"], "Amazon Redshift API Reference, CreateClusterSnapshot (response: Snapshot, recorded "
  "flattened)", form="name")
E("redshift-snapshot", "redshift", "CopyClusterSnapshot", "responseElements.snapshotIdentifier",
  {"sourceSnapshotIdentifier": "rs:dwh-2024-05-14-02-00-00", "sourceSnapshotClusterIdentifier": "dwh",
   "targetSnapshotIdentifier": "dwh-2024-05-14-keep"},
  {"snapshotIdentifier": "dwh-2024-05-14-keep", "clusterIdentifier": "dwh", "status": "available",
   "snapshotType": "manual"},
  ["dwh-2024-05-14-keep"], "Amazon Redshift API Reference, CopyClusterSnapshot (response: Snapshot, recorded "
  "flattened)", form="name")
E("redshift-subnet-group", "redshift", "CreateClusterSubnetGroup", "responseElements.clusterSubnetGroupName",
  {"clusterSubnetGroupName": "dwh-private", "description": "warehouse subnets",
   "subnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]},
  {"clusterSubnetGroupName": "dwh-private", "description": "warehouse subnets", "vpcId": "vpc-0c2e4a6b8d1f35793",
   "subnetGroupStatus": "Complete"},
  ["dwh-private"], "Amazon Redshift API Reference, CreateClusterSubnetGroup (response: ClusterSubnetGroup, "
  "recorded flattened)", form="name")
DMS = "AWS DMS API Reference"
E("dms-endpoint", "dms", "CreateEndpoint", "responseElements.endpoint.endpointArn",
  {"endpointIdentifier": "orders-source", "endpointType": "source", "engineName": "postgres",
   "serverName": "orders.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com", "port": 5432,
   "databaseName": "orders", "username": "dms", "password": "***"},
  {"endpoint": {"endpointIdentifier": "orders-source", "endpointType": "SOURCE", "engineName": "postgres",
                "endpointArn": arn("dms", "endpoint:ORDERSSRC7Q2W4E6R8T0Y1U3I5O7P9A2S"), "status": "active"}},
  [arn("dms", "endpoint:ORDERSSRC7Q2W4E6R8T0Y1U3I5O7P9A2S")], f"{DMS}, CreateEndpoint (response: Endpoint.EndpointArn)")
E("dms-instance", "dms", "CreateReplicationInstance", "responseElements.replicationInstance.replicationInstanceIdentifier",
  {"replicationInstanceIdentifier": "Orders-Migration", "replicationInstanceClass": "dms.r5.large",
   "allocatedStorage": 100, "multiAZ": False},
  {"replicationInstance": {"replicationInstanceIdentifier": "orders-migration", "replicationInstanceClass": "dms.r5.large",
                           "replicationInstanceStatus": "creating",
                           "replicationInstanceArn": arn("dms", "rep:K7L9M1N3P5Q7R9S1T3U5V7W9X1")}},
  ["orders-migration"], f"{DMS}, CreateReplicationInstance (response: ReplicationInstance; the identifier is "
  "stored in lower case)", form="name")
E("dms-replication-task", "dms", "CreateReplicationTask", "responseElements.replicationTask.replicationTaskArn",
  {"replicationTaskIdentifier": "orders-full-load", "migrationType": "full-load-and-cdc",
   "sourceEndpointArn": arn("dms", "endpoint:ORDERSSRC7Q2W4E6R8T0Y1U3I5O7P9A2S"),
   "targetEndpointArn": arn("dms", "endpoint:ORDERSDST1A3S5D7F9G1H3J5K7L9Z2X"),
   "replicationInstanceArn": arn("dms", "rep:K7L9M1N3P5Q7R9S1T3U5V7W9X1"), "tableMappings": "{\"rules\":[]}"},
  {"replicationTask": {"replicationTaskIdentifier": "orders-full-load", "status": "creating",
                       "replicationTaskArn": arn("dms", "task:B2C4D6E8F0G2H4J6K8L0M2N4P6")}},
  [arn("dms", "task:B2C4D6E8F0G2H4J6K8L0M2N4P6")], f"{DMS}, CreateReplicationTask (response: ReplicationTask.ReplicationTaskArn)")

# ---------------------------------------------------------------------------------------------
# Networking and edge: Route 53 Resolver and Domains, Direct Connect, CloudFront, Global
# Accelerator, Network Firewall, VPC Lattice, Network Manager, WAF Classic (regional)
# ---------------------------------------------------------------------------------------------

E("resolver-rule", "route53resolver", "CreateResolverRule", "responseElements.resolverRule.id",
  {"creatorRequestId": "terraform-20240514081000000000000005", "name": "corp-forward", "ruleType": "FORWARD",
   "domainName": "corp.example.com", "resolverEndpointId": "rslvr-out-0a1b2c3d4e5f60718",
   "targetIps": [{"ip": "10.10.0.2", "port": 53}]},
  {"resolverRule": {"id": "rslvr-rr-5b7d9f1a3c5e4680a", "creatorRequestId": "terraform-20240514081000000000000005",
                    "arn": arn("route53resolver", "resolver-rule/rslvr-rr-5b7d9f1a3c5e4680a"),
                    "domainName": "corp.example.com.", "status": "COMPLETE", "ruleType": "FORWARD",
                    "name": "corp-forward", "resolverEndpointId": "rslvr-out-0a1b2c3d4e5f60718", "ownerId": ACCOUNT}},
  ["rslvr-rr-5b7d9f1a3c5e4680a"], "Amazon Route 53 Resolver API Reference, CreateResolverRule (response: "
  "ResolverRule.Id)", form="id")
for _ev in ("RegisterDomain", "TransferDomain"):
    E("r53domain", "route53domains", _ev, "requestParameters.domainName",
      {"domainName": "acme-widgets.com", "durationInYears": 1, "autoRenew": True,
       "adminContact": "HIDDEN_DUE_TO_SECURITY_REASONS", "registrantContact": "HIDDEN_DUE_TO_SECURITY_REASONS",
       "techContact": "HIDDEN_DUE_TO_SECURITY_REASONS", "privacyProtectAdminContact": True},
      {"operationId": "c1a3e5b7-9d2f-4a6c-8e0b-2d4f6a8c0e13"}, ["acme-widgets.com"],
      f"Amazon Route 53 Domains API Reference, {_ev} (request: DomainName; response: OperationId); recorded in "
      "us-east-1", form="name", region="us-east-1")
E("readiness-check", "route53-recovery-readiness", "CreateReadinessCheck", "responseElements.readinessCheckName",
  {"readinessCheckName": "orders-dbs", "resourceSetName": "orders-aurora"},
  {"readinessCheckArn": f"arn:aws:route53-recovery-readiness::{ACCOUNT}:readiness-check/orders-dbs",
   "readinessCheckName": "orders-dbs", "resourceSet": "orders-aurora"},
  ["orders-dbs"], "Amazon Route 53 Recovery Readiness API Reference, CreateReadinessCheck (response: "
  "ReadinessCheckName, ReadinessCheckArn); recorded in us-west-2", form="name", region="us-west-2")
DX = "AWS Direct Connect API Reference"
E("directconnect", "directconnect", "CreateConnection", "responseElements.connectionId",
  {"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "dc-frankfurt-1"},
  {"ownerAccount": ACCOUNT, "connectionId": "dxcon-fg5678gh", "connectionName": "dc-frankfurt-1",
   "connectionState": "requested", "region": "eu-west-1", "location": "EqDC2", "bandwidth": "10Gbps"},
  ["dxcon-fg5678gh"], f"{DX}, CreateConnection (response: Connection, recorded flattened: connectionId)", form="id")
E("directconnect-gateway", "directconnect", "CreateDirectConnectGateway",
  "responseElements.directConnectGateway.directConnectGatewayId",
  {"directConnectGatewayName": "corp-dxgw", "amazonSideAsn": 64512},
  {"directConnectGateway": {"directConnectGatewayId": "5f2a1b3c-7d9e-4f60-8a1b-2c3d4e5f6a7b",
                            "directConnectGatewayName": "corp-dxgw", "amazonSideAsn": 64512,
                            "ownerAccount": ACCOUNT, "directConnectGatewayState": "pending"}},
  ["5f2a1b3c-7d9e-4f60-8a1b-2c3d4e5f6a7b"], f"{DX}, CreateDirectConnectGateway (response: "
  "directConnectGateway.directConnectGatewayId)", form="id")
for _ev, _vif in (("CreatePrivateVirtualInterface", "newPrivateVirtualInterface"),
                  ("CreatePublicVirtualInterface", "newPublicVirtualInterface")):
    _id = "dxvif-ffab1c2d" if "Private" in _ev else "dxvif-ffcd3e4f"
    E("directconnect-virtual-interface", "directconnect", _ev, "responseElements.virtualInterfaceId",
      {"connectionId": "dxcon-fg5678gh", _vif: {"virtualInterfaceName": "corp-vif", "vlan": 101, "asn": 65000}},
      {"ownerAccount": ACCOUNT, "virtualInterfaceId": _id, "connectionId": "dxcon-fg5678gh",
       "virtualInterfaceName": "corp-vif", "vlan": 101, "asn": 65000, "virtualInterfaceState": "pending"},
      [_id], f"{DX}, {_ev} (response: VirtualInterface, recorded flattened: virtualInterfaceId)", form="id")
E("directconnect-virtual-interface", "directconnect", "CreateTransitVirtualInterface",
  "responseElements.virtualInterface.virtualInterfaceId",
  {"connectionId": "dxcon-fg5678gh", "newTransitVirtualInterface": {
      "virtualInterfaceName": "tgw-vif", "vlan": 102, "asn": 65000,
      "directConnectGatewayId": "5f2a1b3c-7d9e-4f60-8a1b-2c3d4e5f6a7b"}},
  {"virtualInterface": {"ownerAccount": ACCOUNT, "virtualInterfaceId": "dxvif-ffef5a6b",
                        "connectionId": "dxcon-fg5678gh", "virtualInterfaceName": "tgw-vif",
                        "virtualInterfaceType": "transit", "virtualInterfaceState": "pending"}},
  ["dxvif-ffef5a6b"], f"{DX}, CreateTransitVirtualInterface (response: virtualInterface.virtualInterfaceId)", form="id")
CF = "Amazon CloudFront API Reference"
E("cloudfront-function", "cloudfront", "CreateFunction", "requestParameters.name",
  {"name": "add-security-headers", "functionConfig": {"comment": "HSTS and friends", "runtime": "cloudfront-js-2.0"},
   "functionCode": "***"},
  {"functionSummary": {"name": "add-security-headers", "status": "UNPUBLISHED",
                       "functionConfig": {"comment": "HSTS and friends", "runtime": "cloudfront-js-2.0"},
                       "functionMetadata": {"functionARN": f"arn:aws:cloudfront::{ACCOUNT}:function/add-security-headers",
                                            "stage": "DEVELOPMENT"}},
   "location": "https://cloudfront.amazonaws.com/2020-05-31/function/add-security-headers", "eTag": "ETVPDKIKX0DER"},
  ["add-security-headers"], f"{CF}, CreateFunction (request: Name; response: FunctionSummary); global service, "
  "recorded in us-east-1", form="name", region="us-east-1")
E("cloudfront-key-value-store", "cloudfront", "CreateKeyValueStore", "requestParameters.name",
  {"name": "feature-flags", "comment": "edge flags"},
  {"keyValueStore": {"name": "feature-flags", "id": "a1b2c3d4-5678-90ab-cdef-1234567890ab", "comment": "edge flags",
                     "aRN": f"arn:aws:cloudfront::{ACCOUNT}:key-value-store/a1b2c3d4-5678-90ab-cdef-1234567890ab",
                     "status": "PROVISIONING"}, "eTag": "ETVPDKIKX0DER"},
  ["feature-flags"], f"{CF}, CreateKeyValueStore (request: Name; response: KeyValueStore); recorded in us-east-1",
  form="name", region="us-east-1")
for _ev in ("CreateStreamingDistribution", "CreateStreamingDistributionWithTags"):
    E("streaming-distribution", "cloudfront", _ev, "responseElements.streamingDistribution.id",
      {"streamingDistributionConfig": {"callerReference": "legacy-rtmp-1", "s3Origin": {
          "domainName": "acme-media.s3.amazonaws.com", "originAccessIdentity": ""}, "enabled": True, "comment": ""}},
      {"streamingDistribution": {"id": "EGTXBD79EXAMPLE", "status": "InProgress",
                                 "domainName": "s5c39gqb8ow64r.cloudfront.net",
                                 "aRN": f"arn:aws:cloudfront::{ACCOUNT}:streaming-distribution/EGTXBD79EXAMPLE"},
       "location": "https://cloudfront.amazonaws.com/2020-05-31/streaming-distribution/EGTXBD79EXAMPLE"},
      ["EGTXBD79EXAMPLE"], f"{CF}, {_ev} (response: StreamingDistribution.Id); recorded in us-east-1",
      form="id", region="us-east-1")
E("globalaccelerator", "globalaccelerator", "CreateAccelerator", "responseElements.accelerator.acceleratorArn",
  {"name": "api-global", "ipAddressType": "IPV4", "enabled": True, "idempotencyToken": "a8f3c2d1-0000-4b5e-9c6d-7e8f9a0b1c2d"},
  {"accelerator": {"acceleratorArn": f"arn:aws:globalaccelerator::{ACCOUNT}:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh",
                   "name": "api-global", "ipAddressType": "IPV4", "enabled": True, "status": "IN_PROGRESS",
                   "dnsName": "a1234567890abcdef.awsglobalaccelerator.com"}},
  [f"arn:aws:globalaccelerator::{ACCOUNT}:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh"],
  "AWS Global Accelerator API Reference, CreateAccelerator (response: Accelerator.AcceleratorArn); recorded in us-west-2",
  region="us-west-2")
E("firewall", "network-firewall", "CreateFirewall", "responseElements.firewall.firewallName",
  {"firewallName": "egress-fw", "firewallPolicyArn": arn("network-firewall", "firewall-policy/egress"),
   "vpcId": "vpc-0c2e4a6b8d1f35793", "subnetMappings": [{"subnetId": "subnet-0a2c4e6b8d1f35791"}]},
  {"firewall": {"firewallName": "egress-fw", "firewallArn": arn("network-firewall", "firewall/egress-fw"),
                "firewallPolicyArn": arn("network-firewall", "firewall-policy/egress"), "vpcId": "vpc-0c2e4a6b8d1f35793",
                "firewallId": "2b4d6f8a-1c3e-4a5b-9d7f-0e2a4c6b8d10"},
   "firewallStatus": {"status": "PROVISIONING"}},
  ["egress-fw"], "AWS Network Firewall API Reference, CreateFirewall (response: Firewall.FirewallName, FirewallArn)",
  form="name")
for _res, _ev, _req, _id in [
        ("vpc-lattice-service", "CreateService", {"name": "orders"}, "svc-0a1b2c3d4e5f60718"),
        ("vpc-lattice-service-network", "CreateServiceNetwork", {"name": "internal-apps"}, "sn-0b2c3d4e5f6071829"),
        ("vpc-lattice-target-group", "CreateTargetGroup", {"name": "orders-tg", "type": "INSTANCE"}, "tg-0c3d4e5f607182930"),
        ("vpc-lattice-listener", "CreateListener", {"serviceIdentifier": "svc-0a1b2c3d4e5f60718", "name": "https",
                                                   "protocol": "HTTPS", "port": 443}, "listener-0d4e5f60718293a4b"),
        ("vpc-lattice-rule", "CreateRule", {"serviceIdentifier": "svc-0a1b2c3d4e5f60718",
                                           "listenerIdentifier": "listener-0d4e5f60718293a4b", "name": "v2-path",
                                           "priority": 10}, "rule-0e5f60718293a4b5c"),
        ("vpc-lattice-service-network-association", "CreateServiceNetworkVpcAssociation",
         {"serviceNetworkIdentifier": "sn-0b2c3d4e5f6071829", "vpcIdentifier": "vpc-0c2e4a6b8d1f35793"},
         "snva-0f60718293a4b5c6d")]:
    E(_res, "vpc-lattice", _ev, "responseElements.id", _req,
      {"id": _id, "arn": arn("vpc-lattice", f"{_ev[6:].lower()}/{_id}"), "status": "CREATE_IN_PROGRESS"},
      [_id], f"Amazon VPC Lattice API Reference, {_ev} (response: id, arn)", form="id")
NM = "AWS Network Manager API Reference"
E("networkmanager-global", "networkmanager", "CreateGlobalNetwork", "responseElements.globalNetwork.globalNetworkId",
  {"description": "corp WAN"},
  {"globalNetwork": {"globalNetworkId": "global-network-01231231231231231",
                     "globalNetworkArn": f"arn:aws:networkmanager::{ACCOUNT}:global-network/global-network-01231231231231231",
                     "description": "corp WAN", "state": "PENDING"}},
  ["global-network-01231231231231231"], f"{NM}, CreateGlobalNetwork (response: GlobalNetwork.GlobalNetworkId); "
  "recorded in us-west-2", form="id", region="us-west-2")
E("networkmanager-core", "networkmanager", "CreateCoreNetwork", "responseElements.coreNetwork.coreNetworkId",
  {"globalNetworkId": "global-network-01231231231231231", "policyDocument": "***"},
  {"coreNetwork": {"globalNetworkId": "global-network-01231231231231231", "coreNetworkId": "core-network-0fab62fe438d94db6",
                   "coreNetworkArn": f"arn:aws:networkmanager::{ACCOUNT}:core-network/core-network-0fab62fe438d94db6",
                   "state": "CREATING"}},
  ["core-network-0fab62fe438d94db6"], f"{NM}, CreateCoreNetwork (response: CoreNetwork.CoreNetworkId); recorded in "
  "us-west-2", form="id", region="us-west-2")
for _res, _ev, _key, _id in [("networkmanager-site", "CreateSite", "site", "site-2a4c6e8b0d1f35791"),
                             ("networkmanager-device", "CreateDevice", "device", "device-3b5d7f9a1c2e46802"),
                             ("networkmanager-link", "CreateLink", "link", "link-4c6e8a0b2d3f57913")]:
    _req = {"globalNetworkId": "global-network-01231231231231231", "description": f"Berlin office {_key}"}
    if _key != "site":
        _req["siteId"] = "site-2a4c6e8b0d1f35791"
    if _key == "link":
        _req["bandwidth"] = {"uploadSpeed": 100, "downloadSpeed": 100}
    E(_res, "networkmanager", _ev, f"responseElements.{_key}.{_key}Id", _req,
      {_key: {f"{_key}Id": _id, f"{_key}Arn": f"arn:aws:networkmanager::{ACCOUNT}:{_key}/global-network-01231231231231231/{_id}",
              "globalNetworkId": "global-network-01231231231231231", "state": "PENDING"}},
      [_id], f"{NM}, {_ev} (response: {_key.title()}.{_key.title()}Id); recorded in us-west-2", form="id",
      region="us-west-2")
E("waf-regional", "waf-regional", "CreateWebACL", "responseElements.webACL.webACLId",
  {"name": "legacy-alb-acl", "metricName": "legacyAlbAcl", "defaultAction": {"type": "ALLOW"},
   "changeToken": "abcd12f2-46da-4fdb-b8d5-fbd4c466928f"},
  {"webACL": {"webACLId": "5c0a2e4b-7d9f-4a1c-b3e5-6d8f0a2c4e67", "name": "legacy-alb-acl",
              "metricName": "legacyAlbAcl", "defaultAction": {"type": "ALLOW"}, "rules": [],
              "webACLArn": arn("waf-regional", "webacl/5c0a2e4b-7d9f-4a1c-b3e5-6d8f0a2c4e67")},
   "changeToken": "abcd12f2-46da-4fdb-b8d5-fbd4c466928f"},
  ["5c0a2e4b-7d9f-4a1c-b3e5-6d8f0a2c4e67"], "AWS WAF Classic Regional API Reference, CreateWebACL (response: "
  "WebACL.WebACLId)", form="id")

# ---------------------------------------------------------------------------------------------
# Management and operations: CloudWatch, Logs, Synthetics, Config, SSM, DLM, Organizations
# ---------------------------------------------------------------------------------------------

CW = "Amazon CloudWatch API Reference"
E("composite-alarm", "monitoring", "PutCompositeAlarm", "requestParameters.alarmName",
  {"alarmName": "orders-degraded", "alarmRule": "ALARM(orders-5xx) AND ALARM(orders-latency)",
   "actionsEnabled": True, "alarmActions": [arn("sns", "ops-alerts")]},
  None, ["orders-degraded"], f"{CW}, PutCompositeAlarm (request: AlarmName; empty response; also recorded for "
  "updates, as PutMetricAlarm)", form="name")
E("cloudwatch-dashboard", "monitoring", "PutDashboard", "requestParameters.dashboardName",
  {"dashboardName": "orders-overview", "dashboardBody": "***"},
  {"dashboardValidationMessages": []}, ["orders-overview"],
  f"{CW}, PutDashboard (request: DashboardName; response: DashboardValidationMessages; also recorded for updates)",
  form="name")
E("insight-rule", "monitoring", "PutInsightRule", "requestParameters.ruleName",
  {"ruleName": "top-api-callers", "ruleState": "ENABLED", "ruleDefinition": "***"},
  None, ["top-api-callers"], f"{CW}, PutInsightRule (request: RuleName; empty response; also recorded for updates)",
  form="name")
E("destination", "logs", "PutDestination", "requestParameters.destinationName",
  {"destinationName": "central-audit", "targetArn": arn("kinesis", "stream/central-audit"),
   "roleArn": f"arn:aws:iam::{ACCOUNT}:role/cwl-to-kinesis"},
  {"destination": {"destinationName": "central-audit", "targetArn": arn("kinesis", "stream/central-audit"),
                   "roleArn": f"arn:aws:iam::{ACCOUNT}:role/cwl-to-kinesis",
                   "arn": arn("logs", "destination:central-audit"), "creationTime": 1715673600000}},
  ["central-audit"], "Amazon CloudWatch Logs API Reference, PutDestination (request: destinationName; response: "
  "destination; also recorded for updates)", form="name")
E("delivery-destination", "logs", "PutDeliveryDestination", "requestParameters.name",
  {"name": "vended-logs-s3", "outputFormat": "json",
   "deliveryDestinationConfiguration": {"destinationResourceArn": "arn:aws:s3:::acme-vended-logs"}},
  {"deliveryDestination": {"name": "vended-logs-s3", "arn": arn("logs", "delivery-destination:vended-logs-s3"),
                           "deliveryDestinationType": "S3", "outputFormat": "json"}},
  ["vended-logs-s3"], "Amazon CloudWatch Logs API Reference, PutDeliveryDestination (request: name; response: "
  "deliveryDestination; also recorded for updates)", form="name")
E("cloudwatch-synthetics", "synthetics", "CreateCanary", "responseElements.canary.id",
  {"name": "checkout-flow", "artifactS3Location": "s3://acme-canaries/checkout/",
   "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/canary-exec", "schedule": {"expression": "rate(5 minutes)"},
   "runtimeVersion": "syn-nodejs-puppeteer-7.0", "code": {"handler": "index.handler", "s3Bucket": "acme-canaries",
                                                          "s3Key": "checkout.zip"}},
  {"canary": {"id": "2f4b6d8a-0c1e-4a3b-9d5f-7e9a1b3c5d70", "name": "checkout-flow", "status": {"state": "CREATING"},
              "runtimeVersion": "syn-nodejs-puppeteer-7.0"}},
  ["2f4b6d8a-0c1e-4a3b-9d5f-7e9a1b3c5d70"], "Amazon CloudWatch Synthetics API Reference, CreateCanary (response: "
  "Canary.Id, Canary.Name; c7n's id is the canary Id)", form="id")
E("config-rule", "config", "PutConfigRule", "requestParameters.configRule.configRuleName",
  {"configRule": {"configRuleName": "s3-bucket-versioning-enabled",
                  "source": {"owner": "AWS", "sourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
                  "scope": {"complianceResourceTypes": ["AWS::S3::Bucket"]}}},
  None, ["s3-bucket-versioning-enabled"], "AWS Config API Reference, PutConfigRule (request: "
  "ConfigRule.ConfigRuleName; empty response; also recorded for updates)", form="name")
SSM = "AWS Systems Manager API Reference"
E("ops-item", "ssm", "CreateOpsItem", "responseElements.opsItemId",
  {"title": "Orders 5xx spike", "source": "CloudWatch", "description": "5xx above 2% for 10 minutes",
   "priority": 2, "severity": "2"},
  {"opsItemId": "oi-1a2b3c4d5e6f", "opsItemArn": arn("ssm", "opsitem/oi-1a2b3c4d5e6f")},
  ["oi-1a2b3c4d5e6f"], f"{SSM}, CreateOpsItem (response: OpsItemId, OpsItemArn)", form="id")
E("ssm-association", "ssm", "CreateAssociation", "responseElements.associationDescription.associationId",
  {"name": "AWS-RunPatchBaseline", "associationName": "nightly-patch-scan",
   "targets": [{"key": "tag:Patch", "values": ["nightly"]}], "scheduleExpression": "cron(0 3 * * ? *)",
   "parameters": {"Operation": ["Scan"]}},
  {"associationDescription": {"name": "AWS-RunPatchBaseline", "associationVersion": "1",
                              "associationId": "8dfe3659-4309-493a-8755-01234EXAMPLE",
                              "associationName": "nightly-patch-scan", "scheduleExpression": "cron(0 3 * * ? *)",
                              "overview": {"status": "Pending", "detailedStatus": "Creating"}}},
  ["8dfe3659-4309-493a-8755-01234EXAMPLE"], f"{SSM}, CreateAssociation (response: "
  "AssociationDescription.AssociationId)", form="id")
E("ssm-association", "ssm", "CreateAssociationBatch", "responseElements.successful[].associationId",
  {"entries": [{"name": "AWS-UpdateSSMAgent", "targets": [{"key": "tag:Env", "values": ["prod"]}]},
               {"name": "AWS-GatherSoftwareInventory", "targets": [{"key": "InstanceIds", "values": ["*"]}]}]},
  {"successful": [{"name": "AWS-UpdateSSMAgent", "associationId": "1c3e5a7b-9d2f-4a6c-8e0b-2d4f6aEXAMPLE",
                   "associationVersion": "1"},
                  {"name": "AWS-GatherSoftwareInventory", "associationId": "3e5a7c9b-1d4f-4b8e-a0c2-4f6b8cEXAMPLE",
                   "associationVersion": "1"}], "failed": []},
  ["1c3e5a7b-9d2f-4a6c-8e0b-2d4f6aEXAMPLE", "3e5a7c9b-1d4f-4b8e-a0c2-4f6b8cEXAMPLE"],
  f"{SSM}, CreateAssociationBatch (response: Successful[].AssociationId, Failed[])", form="id")
E("ssm-maintenance-window", "ssm", "CreateMaintenanceWindow", "responseElements.windowId",
  {"name": "prod-sunday", "schedule": "cron(0 4 ? * SUN *)", "duration": 3, "cutoff": 1,
   "allowUnassociatedTargets": False},
  {"windowId": "mw-0c50858d01EXAMPLE"}, ["mw-0c50858d01EXAMPLE"], f"{SSM}, CreateMaintenanceWindow (response: WindowId)",
  form="id")
E("ssm-patch-baseline", "ssm", "CreatePatchBaseline", "responseElements.baselineId",
  {"name": "al2023-prod", "operatingSystem": "AMAZON_LINUX_2023",
   "approvalRules": {"patchRules": [{"approveAfterDays": 7, "patchFilterGroup": {"patchFilters": [
       {"key": "CLASSIFICATION", "values": ["Security"]}]}}]}},
  {"baselineId": "pb-0c10e65780EXAMPLE"}, ["pb-0c10e65780EXAMPLE"], f"{SSM}, CreatePatchBaseline (response: BaselineId)",
  form="id")
E("dlm-policy", "dlm", "CreateLifecyclePolicy", "responseElements.policyId",
  {"executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/AWSDataLifecycleManagerDefaultRole",
   "description": "daily EBS snapshots", "state": "ENABLED",
   "policyDetails": {"resourceTypes": ["VOLUME"], "targetTags": [{"key": "Backup", "value": "daily"}]}},
  {"policyId": "policy-0123456789abcdef0"}, ["policy-0123456789abcdef0"],
  "Amazon Data Lifecycle Manager API Reference, CreateLifecyclePolicy (response: PolicyId)", form="id")
ORG = "AWS Organizations API Reference"
E("org-policy", "organizations", "CreatePolicy", "responseElements.policy.policySummary.id",
  {"name": "deny-leave-org", "type": "SERVICE_CONTROL_POLICY", "description": "no leaving", "content": "***"},
  {"policy": {"policySummary": {"id": "p-examplepolicyid111", "name": "deny-leave-org",
                                "arn": f"arn:aws:organizations::{ACCOUNT}:policy/o-exampleorgid/service_control_policy/p-examplepolicyid111",
                                "type": "SERVICE_CONTROL_POLICY", "awsManaged": False}, "content": "***"}},
  ["p-examplepolicyid111"], f"{ORG}, CreatePolicy (response: Policy.PolicySummary.Id); recorded in us-east-1",
  form="id", region="us-east-1")
E("org-unit", "organizations", "CreateOrganizationalUnit", "responseElements.organizationalUnit.id",
  {"parentId": "r-examplerootid111", "name": "Workloads"},
  {"organizationalUnit": {"id": "ou-examplerootid111-exampleouid111", "name": "Workloads",
                          "arn": f"arn:aws:organizations::{ACCOUNT}:ou/o-exampleorgid/ou-examplerootid111-exampleouid111"}},
  ["ou-examplerootid111-exampleouid111"], f"{ORG}, CreateOrganizationalUnit (response: OrganizationalUnit.Id); "
  "recorded in us-east-1", form="id", region="us-east-1")

# ---------------------------------------------------------------------------------------------
# Application, data and developer services
# ---------------------------------------------------------------------------------------------

E("codedeploy-app", "codedeploy", "CreateApplication", "requestParameters.applicationName",
  {"applicationName": "orders-api", "computePlatform": "Server"},
  {"applicationId": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"}, ["orders-api"],
  "AWS CodeDeploy API Reference, CreateApplication (request: applicationName; response: applicationId)", form="name")
E("codedeploy-group", "codedeploy", "CreateDeploymentGroup", "responseElements.deploymentGroupId",
  {"applicationName": "orders-api", "deploymentGroupName": "prod",
   "serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/codedeploy", "ec2TagFilters": [{"key": "App", "value": "orders", "type": "KEY_AND_VALUE"}]},
  {"deploymentGroupId": "c5e7a9b1-3d5f-4a7c-9e1b-3d5f7a9c1e35"}, ["c5e7a9b1-3d5f-4a7c-9e1b-3d5f7a9c1e35"],
  "AWS CodeDeploy API Reference, CreateDeploymentGroup (response: deploymentGroupId)", form="id")
E("datasync-agent", "datasync", "CreateAgent", "responseElements.agentArn",
  {"activationKey": "***", "agentName": "onprem-nas-agent"},
  {"agentArn": arn("datasync", "agent/agent-0b0addbeef44baca3")}, [arn("datasync", "agent/agent-0b0addbeef44baca3")],
  "AWS DataSync API Reference, CreateAgent (response: AgentArn)")
E("datasync-task", "datasync", "CreateTask", "responseElements.taskArn",
  {"sourceLocationArn": arn("datasync", "location/loc-0a1b2c3d4e5f60718"),
   "destinationLocationArn": arn("datasync", "location/loc-0b2c3d4e5f6071829"), "name": "nas-to-s3"},
  {"taskArn": arn("datasync", "task/task-08de6e6697796f026")}, [arn("datasync", "task/task-08de6e6697796f026")],
  "AWS DataSync API Reference, CreateTask (response: TaskArn)")
for _ev in ("CreateDirectory", "CreateMicrosoftAD", "ConnectDirectory"):
    _id = {"CreateDirectory": "d-926example", "CreateMicrosoftAD": "d-936example", "ConnectDirectory": "d-946example"}[_ev]
    E("directory", "ds", _ev, "responseElements.directoryId",
      {"name": "corp.example.com", "shortName": "CORP", "password": "***",
       "size" if _ev != "CreateMicrosoftAD" else "edition": "Small" if _ev != "CreateMicrosoftAD" else "Standard",
       "vpcSettings": {"vpcId": "vpc-0c2e4a6b8d1f35793",
                       "subnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]}},
      {"directoryId": _id}, [_id], f"AWS Directory Service API Reference, {_ev} (response: DirectoryId)", form="id")
E("dsql-cluster", "dsql", "CreateCluster", "responseElements.identifier",
  {"deletionProtectionEnabled": True, "clientToken": "b7c1c2e3-0000-4d5e-8f9a-0b1c2d3e4f5a"},
  {"identifier": "abc0def1ghij2klm3nop4qrst5", "arn": arn("dsql", "cluster/abc0def1ghij2klm3nop4qrst5"),
   "status": "CREATING", "creationTime": "2024-05-14T08:00:00Z", "deletionProtectionEnabled": True},
  ["abc0def1ghij2klm3nop4qrst5"], "Amazon Aurora DSQL API Reference, CreateCluster (response: identifier, arn, status)",
  form="id")
E("elasticbeanstalk-environment", "elasticbeanstalk", "CreateEnvironment", "responseElements.environmentName",
  {"applicationName": "storefront", "environmentName": "storefront-prod",
   "solutionStackName": "64bit Amazon Linux 2023 v4.0.10 running Python 3.11"},
  {"environmentName": "storefront-prod", "environmentId": "e-abcdef1234", "applicationName": "storefront",
   "status": "Launching", "health": "Grey",
   "environmentArn": arn("elasticbeanstalk", "environment/storefront/storefront-prod")},
  ["storefront-prod"], "AWS Elastic Beanstalk API Reference, CreateEnvironment (response: EnvironmentDescription, "
  "recorded flattened: environmentName)", form="name")
E("emr-serverless-app", "emr-serverless", "CreateApplication", "responseElements.applicationId",
  {"name": "spark-adhoc", "releaseLabel": "emr-7.1.0", "type": "SPARK", "clientToken": "3f1c2e4d-0000-4a5b-8c7d-9e0f1a2b3c4d"},
  {"applicationId": "00fabcdefghij123", "name": "spark-adhoc",
   "arn": arn("emr-serverless", "/applications/00fabcdefghij123")},
  ["00fabcdefghij123"], "Amazon EMR Serverless API Reference, CreateApplication (response: applicationId, name, arn)",
  form="id")
E("eventbridge-pipes", "pipes", "CreatePipe", "requestParameters.name",
  {"name": "orders-to-analytics", "source": arn("sqs", "orders-events"), "target": arn("events", "event-bus/analytics"),
   "roleArn": f"arn:aws:iam::{ACCOUNT}:role/pipes-orders", "desiredState": "RUNNING"},
  {"arn": arn("pipes", "pipe/orders-to-analytics"), "name": "orders-to-analytics", "desiredState": "RUNNING",
   "currentState": "CREATING"},
  ["orders-to-analytics"], "Amazon EventBridge Pipes API Reference, CreatePipe (request: Name; response: Arn, Name)",
  form="name")
E("fis-template", "fis", "CreateExperimentTemplate", "responseElements.experimentTemplate.id",
  {"clientToken": "9a8b7c6d-0000-4e5f-8a9b-0c1d2e3f4a5b", "description": "kill one AZ of orders",
   "roleArn": f"arn:aws:iam::{ACCOUNT}:role/fis-orders", "stopConditions": [{"source": "none"}]},
  {"experimentTemplate": {"id": "EXT6oWVA1WrLNy4XS", "arn": arn("fis", "experiment-template/EXT6oWVA1WrLNy4XS"),
                          "description": "kill one AZ of orders", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/fis-orders"}},
  ["EXT6oWVA1WrLNy4XS"], "AWS FIS API Reference, CreateExperimentTemplate (response: experimentTemplate.id)", form="id")
E("fis-experiment", "fis", "StartExperiment", "responseElements.experiment.id",
  {"clientToken": "1b2c3d4e-0000-4f5a-9b8c-7d6e5f4a3b2c", "experimentTemplateId": "EXT6oWVA1WrLNy4XS"},
  {"experiment": {"id": "EXPaBcDeFgHiJkLmN", "arn": arn("fis", "experiment/EXPaBcDeFgHiJkLmN"),
                  "experimentTemplateId": "EXT6oWVA1WrLNy4XS", "state": {"status": "initiating"}}},
  ["EXPaBcDeFgHiJkLmN"], "AWS FIS API Reference, StartExperiment (response: experiment.id)", form="id")
FSX = "Amazon FSx API Reference"
for _ev, _req, _bid in (("CreateBackup", {"fileSystemId": "fs-0498eed5fe91001ec"}, "backup-03e3c82e0183b7b6b"),
                        ("CopyBackup", {"sourceBackupId": "backup-03e3c82e0183b7b6b", "sourceRegion": "eu-central-1"},
                         "backup-0a3364eded1014b28")):
    E("fsx-backup", "fsx", _ev, "responseElements.backup.backupId", _req,
      {"backup": {"backupId": _bid, "lifecycle": "CREATING", "type": "USER_INITIATED",
                  "resourceARN": arn("fsx", f"backup/{_bid}")}},
      [_bid], f"{FSX}, {_ev} (response: Backup.BackupId)", form="id")
for _ev, _vid in (("CreateVolume", "fsvol-0a1b2c3d4e5f60718"), ("CreateVolumeFromBackup", "fsvol-0b2c3d4e5f6071829")):
    _req = {"name": "projects", "ontapConfiguration": {"storageVirtualMachineId": "svm-0a1b2c3d4e5f60718",
                                                       "junctionPath": "/projects", "sizeInMegabytes": 102400}}
    if _ev == "CreateVolume":
        _req["volumeType"] = "ONTAP"
    else:
        _req["backupId"] = "backup-03e3c82e0183b7b6b"
    E("fsx-volume", "fsx", _ev, "responseElements.volume.volumeId", _req,
      {"volume": {"volumeId": _vid, "name": "projects", "volumeType": "ONTAP", "lifecycle": "CREATING",
                  "fileSystemId": "fs-0498eed5fe91001ec", "resourceARN": arn("fsx", f"volume/fs-0498eed5fe91001ec/{_vid}")}},
      [_vid], f"{FSX}, {_ev} (response: Volume.VolumeId)", form="id")
E("graphql-api", "appsync", "CreateGraphqlApi", "responseElements.graphqlApi.apiId",
  {"name": "storefront", "authenticationType": "AMAZON_COGNITO_USER_POOLS"},
  {"graphqlApi": {"name": "storefront", "apiId": "w5b2ndkxm5eplcw5lxaakeo6ny", "authenticationType": "AMAZON_COGNITO_USER_POOLS",
                  "arn": arn("appsync", "apis/w5b2ndkxm5eplcw5lxaakeo6ny")}},
  ["w5b2ndkxm5eplcw5lxaakeo6ny"], "AWS AppSync API Reference, CreateGraphqlApi (response: graphqlApi.apiId)", form="id")
E("iot-policy", "iot", "CreatePolicy", "requestParameters.policyName",
  {"policyName": "sensor-publish", "policyDocument": "***"},
  {"policyName": "sensor-publish", "policyArn": arn("iot", "policy/sensor-publish"), "policyVersionId": "1"},
  ["sensor-publish"], "AWS IoT API Reference, CreatePolicy (request: policyName; response: policyName, policyArn)",
  form="name")
E("iot-ota-update", "iot", "CreateOTAUpdate", "responseElements.otaUpdateId",
  {"otaUpdateId": "sensor-fw-2-4-0", "targets": [arn("iot", "thinggroup/sensors")],
   "roleArn": f"arn:aws:iam::{ACCOUNT}:role/iot-ota", "files": [{"fileName": "fw.bin"}]},
  {"otaUpdateId": "sensor-fw-2-4-0", "otaUpdateArn": arn("iot", "otaupdate/sensor-fw-2-4-0"),
   "otaUpdateStatus": "CREATE_PENDING"},
  ["sensor-fw-2-4-0"], "AWS IoT API Reference, CreateOTAUpdate (response: otaUpdateId, otaUpdateArn)", form="name")
E("kendra", "kendra", "CreateIndex", "responseElements.id",
  {"name": "intranet", "edition": "DEVELOPER_EDITION", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/kendra-index"},
  {"id": "4a7c9e1b-3d5f-4b8a-9c0e-2f4a6c8e0b13"}, ["4a7c9e1b-3d5f-4b8a-9c0e-2f4a6c8e0b13"],
  "Amazon Kendra API Reference, CreateIndex (response: Id)", form="id")
E("keyspace", "cassandra", "CreateKeyspace", "requestParameters.keyspaceName",
  {"keyspaceName": "telemetry", "replicationSpecification": {"replicationStrategy": "SINGLE_REGION"}},
  {"resourceArn": arn("cassandra", "/keyspace/telemetry/")}, ["telemetry"],
  "Amazon Keyspaces API Reference, CreateKeyspace (request: keyspaceName; response: resourceArn)", form="name")
E("kinesis-analytics", "kinesisanalytics", "CreateApplication", "responseElements.applicationSummary.applicationARN",
  {"applicationName": "clickstream-sql", "applicationCode": "***"},
  {"applicationSummary": {"applicationName": "clickstream-sql",
                          "applicationARN": arn("kinesisanalytics", "application/clickstream-sql"),
                          "applicationStatus": "READY"}},
  [arn("kinesisanalytics", "application/clickstream-sql")],
  "Amazon Kinesis Data Analytics (SQL) API Reference, CreateApplication (response: ApplicationSummary.ApplicationARN; "
  "the v2 API records the same eventSource and eventName with ApplicationDetail instead)")
E("kinesis-analyticsv2", "kinesisanalytics", "CreateApplication", "responseElements.applicationDetail.applicationARN",
  {"applicationName": "clickstream-flink", "runtimeEnvironment": "FLINK-1_18",
   "serviceExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/flink-clickstream"},
  {"applicationDetail": {"applicationARN": arn("kinesisanalytics", "application/clickstream-flink"),
                         "applicationName": "clickstream-flink", "runtimeEnvironment": "FLINK-1_18",
                         "applicationStatus": "READY", "applicationVersionId": 1}},
  [arn("kinesisanalytics", "application/clickstream-flink")],
  "Amazon Managed Service for Apache Flink API Reference, CreateApplication (response: ApplicationDetail.ApplicationARN)")
E("kinesis-video", "kinesisvideo", "CreateStream", "requestParameters.streamName",
  {"streamName": "doorbell-cam-1", "dataRetentionInHours": 24, "mediaType": "video/h264"},
  {"streamARN": arn("kinesisvideo", "stream/doorbell-cam-1/1715673600000")}, ["doorbell-cam-1"],
  "Amazon Kinesis Video Streams API Reference, CreateStream (request: StreamName; response: StreamARN)", form="name")
E("lambda-event-source-mapping", "lambda", "CreateEventSourceMapping20150331",
  "[responseElements.uUID, responseElements.uuid]",
  {"eventSourceArn": arn("sqs", "orders-events"), "functionName": "orders-consumer", "batchSize": 10, "enabled": True},
  {"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "batchSize": 10, "eventSourceArn": arn("sqs", "orders-events"),
   "functionArn": arn("lambda", "function:orders-consumer"), "state": "Creating",
   "eventSourceMappingArn": arn("lambda", "event-source-mapping:a1b2c3d4-5678-90ab-cdef-11111EXAMPLE")},
  ["a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"], "AWS Lambda API Reference, CreateEventSourceMapping (response: UUID; "
  "event name CreateEventSourceMapping20150331 as for CreateFunction20150331; the member UUID is written uUID "
  "with a lower-case first letter, the expression also reads uuid)", form="id")
E("opensearch-serverless", "aoss", "CreateCollection", "responseElements.createCollectionDetail.id",
  {"name": "logs-search", "type": "TIMESERIES"},
  {"createCollectionDetail": {"id": "07tjusf2h91cunochc", "name": "logs-search", "status": "CREATING",
                              "type": "TIMESERIES", "arn": arn("aoss", "collection/07tjusf2h91cunochc")}},
  ["07tjusf2h91cunochc"], "Amazon OpenSearch Serverless API Reference, CreateCollection (response: "
  "createCollectionDetail.id)", form="id")
E("opensearch-ingestion", "osis", "CreatePipeline", "requestParameters.pipelineName",
  {"pipelineName": "app-logs", "minUnits": 1, "maxUnits": 4, "pipelineConfigurationBody": "***"},
  {"pipeline": {"pipelineName": "app-logs", "pipelineArn": arn("osis", "pipeline/app-logs"), "status": "CREATING"}},
  ["app-logs"], "Amazon OpenSearch Ingestion API Reference, CreatePipeline (request: PipelineName; response: Pipeline)",
  form="name")
E("payment-cryptography-key", "payment-cryptography", "CreateKey", "responseElements.key.keyArn",
  {"exportable": True, "keyAttributes": {"keyAlgorithm": "TDES_3KEY", "keyClass": "SYMMETRIC_KEY",
                                         "keyUsage": "TR31_P0_PIN_ENCRYPTION_KEY"}},
  {"key": {"keyArn": arn("payment-cryptography", "key/ivi5ksfsuplneuyt"), "keyState": "CREATE_COMPLETE",
           "enabled": True, "exportable": True}},
  [arn("payment-cryptography", "key/ivi5ksfsuplneuyt")], "AWS Payment Cryptography API Reference, CreateKey "
  "(response: Key.KeyArn)", host="controlplane.payment-cryptography")
E("payment-cryptography-key", "payment-cryptography", "ImportKey", "responseElements.key.keyArn",
  {"keyMaterial": "***", "enabled": True},
  {"key": {"keyArn": arn("payment-cryptography", "key/2mmkomxu3wkhsqev"), "keyState": "CREATE_COMPLETE",
           "enabled": True}},
  [arn("payment-cryptography", "key/2mmkomxu3wkhsqev")], "AWS Payment Cryptography API Reference, ImportKey "
  "(response: Key.KeyArn; key material withheld)", host="controlplane.payment-cryptography")
QB = "Amazon Q Business API Reference"
for _res, _ev, _field, _id, _req in [
        ("qbusiness-application", "CreateApplication", "applicationId", "a1b2c3d4-1111-2222-3333-444455556666",
         {"displayName": "helpdesk-assistant", "identityCenterInstanceArn": "arn:aws:sso:::instance/ssoins-1234567890abcdef"}),
        ("qbusiness-index", "CreateIndex", "indexId", "b2c3d4e5-2222-3333-4444-555566667777",
         {"applicationId": "a1b2c3d4-1111-2222-3333-444455556666", "displayName": "helpdesk-index"}),
        ("qbusiness-data-source", "CreateDataSource", "dataSourceId", "c3d4e5f6-3333-4444-5555-666677778888",
         {"applicationId": "a1b2c3d4-1111-2222-3333-444455556666", "indexId": "b2c3d4e5-2222-3333-4444-555566667777",
          "displayName": "confluence"}),
        ("qbusiness-plugin", "CreatePlugin", "pluginId", "d4e5f6a7-4444-5555-6666-777788889999",
         {"applicationId": "a1b2c3d4-1111-2222-3333-444455556666", "displayName": "jira", "type": "JIRA"}),
        ("qbusiness-data-accessor", "CreateDataAccessor", "dataAccessorId", "e5f6a7b8-5555-6666-7777-88889999aaaa",
         {"applicationId": "a1b2c3d4-1111-2222-3333-444455556666", "displayName": "partner-isv",
          "principal": f"arn:aws:iam::{ACCOUNT}:role/isv-access"})]:
    E(_res, "qbusiness", _ev, f"responseElements.{_field}", _req,
      {_field: _id, _field.replace("Id", "Arn"): arn("qbusiness", f"application/a1b2c3d4-1111-2222-3333-444455556666/{_field[:-2].lower()}/{_id}")},
      [_id], f"{QB}, {_ev} (response: {_field[0].upper() + _field[1:]})", form="id")
QS = "Amazon QuickSight API Reference"
E("quicksight-dashboard", "quicksight", "CreateDashboard", "responseElements.dashboardId",
  {"awsAccountId": ACCOUNT, "dashboardId": "sales-weekly", "name": "Sales weekly"},
  {"arn": arn("quicksight", "dashboard/sales-weekly"), "versionArn": arn("quicksight", "dashboard/sales-weekly/version/1"),
   "dashboardId": "sales-weekly", "creationStatus": "CREATION_IN_PROGRESS", "status": 202,
   "requestId": "7c9e1a3b-5d7f-4a9c-b1e3-5f7a9c1e3b57"},
  ["sales-weekly"], f"{QS}, CreateDashboard (request: DashboardId; response: DashboardId, Arn)", form="id")
E("quicksight-datasource", "quicksight", "CreateDataSource", "responseElements.dataSourceId",
  {"awsAccountId": ACCOUNT, "dataSourceId": "athena-sales", "name": "Athena sales", "type": "ATHENA"},
  {"arn": arn("quicksight", "datasource/athena-sales"), "dataSourceId": "athena-sales",
   "creationStatus": "CREATION_IN_PROGRESS", "status": 202, "requestId": "8d0f2b4c-6e8a-4b0d-c2f4-6a8b0d2f4c68"},
  ["athena-sales"], f"{QS}, CreateDataSource (request: DataSourceId; response: DataSourceId, Arn)", form="id")
E("quicksight-user", "quicksight", "RegisterUser", "responseElements.user.userName",
  {"awsAccountId": ACCOUNT, "namespace": "default", "identityType": "QUICKSIGHT", "email": "lena.schmidt@example.com",
   "userRole": "AUTHOR", "userName": "lena.schmidt"},
  {"user": {"arn": arn("quicksight", "user/default/lena.schmidt", region="us-east-1"), "userName": "lena.schmidt",
            "email": "lena.schmidt@example.com", "role": "AUTHOR", "identityType": "QUICKSIGHT", "active": False},
   "status": 201, "requestId": "9e1a3c5d-7f9b-4c1e-d3a5-7b9c1e3a5d79"},
  ["lena.schmidt"], f"{QS}, RegisterUser (response: User.UserName; users live in the identity region)", form="name",
  region="us-east-1")
E("s3-table-bucket", "s3tables", "CreateTableBucket", "responseElements.arn",
  {"name": "analytics-tables"}, {"arn": arn("s3tables", "bucket/analytics-tables")},
  [arn("s3tables", "bucket/analytics-tables")], "Amazon S3 Tables API Reference, CreateTableBucket (response: arn)")
E("s3-table", "s3tables", "CreateTable", "responseElements.tableARN",
  {"tableBucketARN": arn("s3tables", "bucket/analytics-tables"), "namespace": "sales", "name": "orders", "format": "ICEBERG"},
  {"tableARN": arn("s3tables", "bucket/analytics-tables/table/0d1e2f3a-4b5c-6d7e-8f9a-0b1c2d3e4f5a"),
   "versionToken": "8f9a0b1c2d3e"},
  [arn("s3tables", "bucket/analytics-tables/table/0d1e2f3a-4b5c-6d7e-8f9a-0b1c2d3e4f5a")],
  "Amazon S3 Tables API Reference, CreateTable (response: tableARN, versionToken)")
for _ev, _extra in (("CreateHttpNamespace", {}), ("CreatePrivateDnsNamespace", {"vpc": "vpc-0c2e4a6b8d1f35793"}),
                    ("CreatePublicDnsNamespace", {})):
    _name = {"CreateHttpNamespace": "orders-http", "CreatePrivateDnsNamespace": "orders.internal",
             "CreatePublicDnsNamespace": "svc.example.com"}[_ev]
    E("servicediscovery-namespace", "servicediscovery", _ev, "requestParameters.name",
      {"name": _name, "creatorRequestId": f"terraform-{_ev}", **_extra},
      {"operationId": "gv4g5meo7ndmkqjrhpn39wk42xmpuhb3-example"}, [_name],
      f"AWS Cloud Map API Reference, {_ev} (request: Name; response: only OperationId)", form="name")
SES = "Amazon SES API Reference"
_CS_IDS = "[requestParameters.configurationSet.name, requestParameters.configurationSetName]"
E("ses-configuration-set", "ses", "CreateConfigurationSet", _CS_IDS,
  {"configurationSet": {"name": "transactional"}}, None, ["transactional"],
  f"{SES} (v1), CreateConfigurationSet (request: ConfigurationSet.Name; empty response). SES v1 and v2 record "
  "the same eventSource and eventName; both types read both request forms, as one set is visible to both APIs",
  form="name")
E("ses-configuration-set-v2", "ses", "CreateConfigurationSet", _CS_IDS,
  {"configurationSetName": "marketing", "sendingOptions": {"sendingEnabled": True}}, None, ["marketing"],
  f"{SES} v2, CreateConfigurationSet (request: ConfigurationSetName; empty response)", form="name")
E("ses-dedicated-ip-pool", "ses", "CreateDedicatedIpPool", "requestParameters.poolName",
  {"poolName": "bulk-mail", "scalingMode": "MANAGED"}, None, ["bulk-mail"],
  f"{SES} v2, CreateDedicatedIpPool (request: PoolName; empty response)", form="name")
E("ses-email-identity", "ses", "CreateEmailIdentity", "requestParameters.emailIdentity",
  {"emailIdentity": "mail.example.com"},
  {"identityType": "DOMAIN", "verifiedForSendingStatus": False,
   "dkimAttributes": {"signingEnabled": True, "status": "PENDING", "signingAttributesOrigin": "AWS_SES"}},
  ["mail.example.com"], f"{SES} v2, CreateEmailIdentity (request: EmailIdentity; response: IdentityType, "
  "DkimAttributes)", form="name")
E("ses-email-identity", "ses", "VerifyDomainIdentity", "requestParameters.domain",
  {"domain": "news.example.com"}, {"verificationToken": "QTKknzFg2J4ygwa+XvHAxUl1hyHoY0gVfZdfjIedHZ0="},
  ["news.example.com"], f"{SES} (v1), VerifyDomainIdentity (request: Domain; response: VerificationToken)", form="name")
E("ses-email-identity", "ses", "VerifyEmailIdentity", "requestParameters.emailAddress",
  {"emailAddress": "noreply@example.com"}, None, ["noreply@example.com"],
  f"{SES} (v1), VerifyEmailIdentity (request: EmailAddress; empty response)", form="name")
E("shield-protection", "shield", "CreateProtection", "responseElements.protectionId",
  {"name": "storefront-cdn", "resourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2QWRUHEXAMPLE"},
  {"protectionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"}, ["a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"],
  "AWS Shield API Reference, CreateProtection (response: ProtectionId); recorded in us-east-1", form="id",
  region="us-east-1")
E("storage-gateway", "storagegateway", "ActivateGateway", "responseElements.gatewayARN",
  {"activationKey": "***", "gatewayName": "branch-file-gw", "gatewayTimezone": "GMT+1:00",
   "gatewayRegion": "eu-west-1", "gatewayType": "FILE_S3"},
  {"gatewayARN": arn("storagegateway", "gateway/sgw-12A3456B")}, [arn("storagegateway", "gateway/sgw-12A3456B")],
  "AWS Storage Gateway API Reference, ActivateGateway (response: GatewayARN)")
E("swf-domain", "swf", "RegisterDomain", "requestParameters.name",
  {"name": "order-workflows", "workflowExecutionRetentionPeriodInDays": "30"}, None, ["order-workflows"],
  "Amazon SWF API Reference, RegisterDomain (request: name; empty response)", form="name")
TS = "Amazon Timestream API Reference"
E("timestream-database", "timestream", "CreateDatabase", "responseElements.database.arn",
  {"databaseName": "iot"},
  {"database": {"arn": arn("timestream", "database/iot"), "databaseName": "iot", "tableCount": 0,
                "kmsKeyId": arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")}},
  [arn("timestream", "database/iot")], f"{TS} (LiveAnalytics), CreateDatabase (response: Database.Arn)",
  host="ingest.timestream")
E("timestream-table", "timestream", "CreateTable", "responseElements.table.arn",
  {"databaseName": "iot", "tableName": "readings",
   "retentionProperties": {"memoryStoreRetentionPeriodInHours": 24, "magneticStoreRetentionPeriodInDays": 365}},
  {"table": {"arn": arn("timestream", "database/iot/table/readings"), "tableName": "readings", "databaseName": "iot",
             "tableStatus": "ACTIVE"}},
  [arn("timestream", "database/iot/table/readings")], f"{TS} (LiveAnalytics), CreateTable (response: Table.Arn)",
  host="ingest.timestream")
E("timestream-influxdb", "timestream-influxdb", "CreateDbInstance", "responseElements.arn",
  {"name": "metrics", "dbInstanceType": "db.influx.medium", "allocatedStorage": 50, "password": "***",
   "vpcSubnetIds": ["subnet-0a2c4e6b8d1f35791"], "vpcSecurityGroupIds": ["sg-0a1b2c3d4e5f60718"]},
  {"id": "a1b2c3d4e5", "name": "metrics", "arn": arn("timestream-influxdb", "db-instance/a1b2c3d4e5"),
   "status": "CREATING"},
  [arn("timestream-influxdb", "db-instance/a1b2c3d4e5")], f"{TS} for InfluxDB, CreateDbInstance (response: id, name, arn)")
E("timestream-influxdb-cluster", "timestream-influxdb", "CreateDbCluster", "responseElements.dbClusterId",
  {"name": "metrics-ha", "dbInstanceType": "db.influx.large", "password": "***",
   "vpcSubnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]},
  {"dbClusterId": "f1e2d3c4b5", "dbClusterStatus": "CREATING"}, ["f1e2d3c4b5"],
  f"{TS} for InfluxDB, CreateDbCluster (response: dbClusterId, dbClusterStatus)", form="id")
E("transfer-web-app", "transfer", "CreateWebApp", "responseElements.webAppId",
  {"identityProviderDetails": {"identityCenterConfig": {"instanceArn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
                                                        "role": f"arn:aws:iam::{ACCOUNT}:role/transfer-webapp"}}},
  {"webAppId": "webapp-0a1b2c3d4e5f60718"}, ["webapp-0a1b2c3d4e5f60718"],
  "AWS Transfer Family API Reference, CreateWebApp (response: WebAppId)", form="id")
E("user-pool", "cognito-idp", "CreateUserPool", "responseElements.userPool.id",
  {"poolName": "storefront-customers", "mfaConfiguration": "OPTIONAL", "autoVerifiedAttributes": ["email"]},
  {"userPool": {"id": "eu-west-1_Ab12Cd34E", "name": "storefront-customers", "status": "Enabled",
                "mfaConfiguration": "OPTIONAL", "arn": arn("cognito-idp", "userpool/eu-west-1_Ab12Cd34E"),
                "creationDate": "May 14, 2024, 8:00:00 AM"}},
  ["eu-west-1_Ab12Cd34E"], "Amazon Cognito user pools API Reference, CreateUserPool (response: UserPool.Id)", form="id")
WS = "Amazon WorkSpaces API Reference"
E("workspaces", "workspaces", "CreateWorkspaces", "responseElements.pendingRequests[].workspaceId",
  {"workspaces": [{"directoryId": "d-926example", "userName": "lena.schmidt", "bundleId": "wsb-1a2b3c4d5"},
                  {"directoryId": "d-926example", "userName": "jonas.weber", "bundleId": "wsb-1a2b3c4d5"}]},
  {"failedRequests": [], "pendingRequests": [
      {"workspaceId": "ws-0a1b2c3d4", "directoryId": "d-926example", "userName": "lena.schmidt",
       "bundleId": "wsb-1a2b3c4d5", "state": "PENDING"},
      {"workspaceId": "ws-1b2c3d4e5", "directoryId": "d-926example", "userName": "jonas.weber",
       "bundleId": "wsb-1a2b3c4d5", "state": "PENDING"}]},
  ["ws-0a1b2c3d4", "ws-1b2c3d4e5"], f"{WS}, CreateWorkspaces (response: PendingRequests[].WorkspaceId, FailedRequests)",
  form="id")
E("workspaces-bundle", "workspaces", "CreateWorkspaceBundle", "responseElements.workspaceBundle.bundleId",
  {"bundleName": "dev-standard", "bundleDescription": "developer image", "imageId": "wsi-2b3c4d5e6",
   "computeType": {"name": "STANDARD"}, "userStorage": {"capacity": "100"}},
  {"workspaceBundle": {"bundleId": "wsb-3c4d5e6f7", "name": "dev-standard", "imageId": "wsi-2b3c4d5e6",
                       "owner": ACCOUNT, "state": "PENDING"}},
  ["wsb-3c4d5e6f7"], f"{WS}, CreateWorkspaceBundle (response: WorkspaceBundle.BundleId)", form="id")
for _ev, _req, _img in (("CreateWorkspaceImage", {"name": "dev-2024-05", "description": "May dev image",
                                                 "workspaceId": "ws-0a1b2c3d4"}, "wsi-4d5e6f7a8"),
                        ("CopyWorkspaceImage", {"name": "dev-2024-05", "sourceImageId": "wsi-4d5e6f7a8",
                                                "sourceRegion": "eu-central-1"}, "wsi-5e6f7a8b9"),
                        ("ImportWorkspaceImage", {"ec2ImageId": "ami-0f5d2c81a4b6e9370", "ingestionProcess": "BYOL_REGULAR",
                                                  "imageName": "byol-win11", "imageDescription": "BYOL Windows 11"},
                         "wsi-6f7a8b9c0")):
    E("workspaces-image", "workspaces", _ev, "responseElements.imageId", _req,
      {"imageId": _img, **({"name": _req["name"], "state": "PENDING", "ownerAccountId": ACCOUNT}
                           if _ev == "CreateWorkspaceImage" else {})},
      [_img], f"{WS}, {_ev} (response: ImageId)", form="id")
E("workspaces-directory", "workspaces", "RegisterWorkspaceDirectory", "requestParameters.directoryId",
  {"directoryId": "d-926example", "enableWorkDocs": False, "tenancy": "SHARED",
   "subnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]},
  {"directoryId": "d-926example", "state": "REGISTERING"}, ["d-926example"],
  f"{WS}, RegisterWorkspaceDirectory (request: DirectoryId; response: DirectoryId, State)", form="id")
E("workspaces-web", "workspaces-web", "CreatePortal", "responseElements.portalArn",
  {"displayName": "partner-portal", "authenticationType": "IAM_Identity_Center"},
  {"portalArn": arn("workspaces-web", "portal/a1b2c3d4-5678-90ab-cdef-0123456789ab"),
   "portalEndpoint": "a1b2c3d4.workspaces-web.com"},
  [arn("workspaces-web", "portal/a1b2c3d4-5678-90ab-cdef-0123456789ab")],
  "Amazon WorkSpaces Secure Browser API Reference, CreatePortal (response: portalArn, portalEndpoint)")
E("xray-group", "xray", "CreateGroup", "requestParameters.groupName",
  {"groupName": "orders-errors", "filterExpression": "service(\"orders\") { fault }"},
  {"group": {"groupName": "orders-errors", "groupARN": arn("xray", "group/orders-errors/ABCDEF1234567890"),
             "filterExpression": "service(\"orders\") { fault }"}},
  ["orders-errors"], "AWS X-Ray API Reference, CreateGroup (request: GroupName; response: Group)", form="name")
E("xray-rule", "xray", "CreateSamplingRule", "requestParameters.samplingRule.ruleName",
  {"samplingRule": {"ruleName": "orders-checkout", "priority": 100, "fixedRate": 0.2, "reservoirSize": 5,
                    "serviceName": "orders", "serviceType": "*", "host": "*", "hTTPMethod": "POST",
                    "uRLPath": "/checkout", "resourceARN": "*", "version": 1}},
  {"samplingRuleRecord": {"samplingRule": {"ruleName": "orders-checkout",
                                           "ruleARN": arn("xray", "sampling-rule/orders-checkout"), "priority": 100}}},
  ["orders-checkout"], "AWS X-Ray API Reference, CreateSamplingRule (request: SamplingRule.RuleName; response: "
  "SamplingRuleRecord)", form="name")
E("airflow", "airflow", "CreateEnvironment", "requestParameters.Name",
  {"Name": "data-platform", "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/mwaa-exec",
   "SourceBucketArn": "arn:aws:s3:::acme-mwaa-dags", "DagS3Path": "dags", "AirflowVersion": "2.8.1",
   "NetworkConfiguration": {"SubnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]}},
  {"Arn": arn("airflow", "environment/data-platform")}, ["data-platform"],
  "Amazon MWAA API Reference, CreateEnvironment (request: Name; response: Arn), in the PascalCase members "
  "the published MWAA record shows (airflow.CreateEnvironment.published.json)", form="name")
E("apigw-domain-name", "apigateway", "CreateDomainName", "responseElements.domainName",
  {"domainName": "api.example.com", "regionalCertificateArn": arn("acm", "certificate/4c2e8a1b-6d3f-4e9a-b0c7-1f5d9e3a7b20"),
   "endpointConfiguration": {"types": ["REGIONAL"]}, "securityPolicy": "TLS_1_2"},
  {"domainName": "api.example.com", "regionalDomainName": "d-abcde12345.execute-api.eu-west-1.amazonaws.com",
   "regionalHostedZoneId": "ZLY8HYME6SFDD", "domainNameStatus": "AVAILABLE",
   "endpointConfiguration": {"types": ["REGIONAL"]}, "securityPolicy": "TLS_1_2"},
  ["api.example.com"], "Amazon API Gateway REST API Reference, CreateDomainName (response: DomainName)", form="name")
E("app-flow", "appflow", "CreateFlow", "requestParameters.flowName",
  {"flowName": "salesforce-accounts", "triggerConfig": {"triggerType": "Scheduled"},
   "sourceFlowConfig": {"connectorType": "Salesforce", "connectorProfileName": "sfdc-prod"},
   "destinationFlowConfigList": [{"connectorType": "S3"}]},
  {"flowArn": arn("appflow", "flow/salesforce-accounts"), "flowStatus": "Active"}, ["salesforce-accounts"],
  "Amazon AppFlow API Reference, CreateFlow (request: flowName; response: flowArn, flowStatus)", form="name")
AM = "AWS App Mesh API Reference"
E("appmesh-mesh", "appmesh", "CreateMesh", "requestParameters.meshName",
  {"meshName": "storefront", "spec": {"egressFilter": {"type": "DROP_ALL"}}},
  {"mesh": {"meshName": "storefront", "metadata": {"arn": arn("appmesh", "mesh/storefront"), "version": 1,
                                                   "uid": "a1b2c3d4-5678-90ab-cdef-0123456789ab"},
            "status": {"status": "ACTIVE"}}},
  ["storefront"], f"{AM}, CreateMesh (request: meshName; response: mesh)", form="name")
for _res, _ev, _key, _name in (("appmesh-virtualgateway", "CreateVirtualGateway", "virtualGateway", "ingress-gw"),
                               ("appmesh-virtualnode", "CreateVirtualNode", "virtualNode", "orders-v1")):
    _path = f"{_key.lower()}/{_name}"
    E(_res, "appmesh", _ev, f"responseElements.{_key}.metadata.arn",
      {"meshName": "storefront", f"{_key}Name": _name, "spec": {"listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]}},
      {_key: {"meshName": "storefront", f"{_key}Name": _name,
              "metadata": {"arn": arn("appmesh", f"mesh/storefront/{_path}"), "version": 1,
                           "uid": "b2c3d4e5-6789-0abc-def0-123456789abc"}, "status": {"status": "ACTIVE"}}},
      [arn("appmesh", f"mesh/storefront/{_path}")], f"{AM}, {_ev} (response: {_key}.metadata.arn, c7n's id)")
AS = "Amazon AppStream 2.0 API Reference"
E("appstream-fleet", "appstream", "CreateFleet", "responseElements.fleet.name",
  {"name": "design-tools", "instanceType": "stream.standard.medium", "fleetType": "ON_DEMAND",
   "computeCapacity": {"desiredInstances": 2}, "imageName": "design-tools-2024-05"},
  {"fleet": {"arn": arn("appstream", "fleet/design-tools"), "name": "design-tools", "state": "STOPPED",
             "instanceType": "stream.standard.medium"}},
  ["design-tools"], f"{AS}, CreateFleet (response: Fleet.Name, Fleet.Arn)", form="name")
E("appstream-stack", "appstream", "CreateStack", "responseElements.stack.name",
  {"name": "design-stack", "displayName": "Design tools"},
  {"stack": {"arn": arn("appstream", "stack/design-stack"), "name": "design-stack", "displayName": "Design tools"}},
  ["design-stack"], f"{AS}, CreateStack (response: Stack.Name, Stack.Arn)", form="name")
SC = "AWS Service Catalog API Reference"
E("catalog-portfolio", "servicecatalog", "CreatePortfolio", "responseElements.portfolioDetail.id",
  {"displayName": "Platform blueprints", "providerName": "Platform team", "idempotencyToken": "portfolio-0514"},
  {"portfolioDetail": {"id": "port-2s6wuabcdefgh", "aRN": arn("catalog", "portfolio/port-2s6wuabcdefgh"),
                       "displayName": "Platform blueprints", "providerName": "Platform team"}},
  ["port-2s6wuabcdefgh"], f"{SC}, CreatePortfolio (response: PortfolioDetail.Id)", form="id")
E("catalog-product", "servicecatalog", "CreateProduct", "responseElements.productViewDetail.productViewSummary.productId",
  {"name": "vpc-baseline", "owner": "Platform team", "productType": "CLOUD_FORMATION_TEMPLATE",
   "idempotencyToken": "product-0514",
   "provisioningArtifactParameters": {"name": "v1", "type": "CLOUD_FORMATION_TEMPLATE",
                                      "info": {"LoadTemplateFromURL": "https://acme-templates.s3.amazonaws.com/vpc.yaml"}}},
  {"productViewDetail": {"productViewSummary": {"id": "prodview-abcdefghijklm", "productId": "prod-abcdefghijklm",
                                                "name": "vpc-baseline", "owner": "Platform team",
                                                "type": "CLOUD_FORMATION_TEMPLATE"},
                         "status": "CREATED", "productARN": arn("catalog", "product/prod-abcdefghijklm")},
   "provisioningArtifactDetail": {"id": "pa-abcdefghijklm", "name": "v1", "active": True}},
  ["prod-abcdefghijklm"], f"{SC}, CreateProduct (response: ProductViewDetail.ProductViewSummary.ProductId)", form="id")
CR = "AWS Clean Rooms API Reference"
for _res, _ev, _key, _id, _req in (
        ("cleanrooms-collaboration", "CreateCollaboration", "collaboration", "a1b2c3d4-1111-4a5b-8c9d-0e1f2a3b4c5d",
         {"name": "retail-measurement", "creatorDisplayName": "Acme", "creatorMemberAbilities": ["CAN_QUERY"],
          "members": [], "queryLogStatus": "ENABLED"}),
        ("cleanrooms-configured-table", "CreateConfiguredTable", "configuredTable", "b2c3d4e5-2222-4b6c-9d0e-1f2a3b4c5d6e",
         {"name": "orders", "tableReference": {"glue": {"tableName": "orders", "databaseName": "sales"}},
          "allowedColumns": ["order_id", "hashed_email"], "analysisMethod": "DIRECT_QUERY"}),
        ("cleanrooms-membership", "CreateMembership", "membership", "c3d4e5f6-3333-4c7d-0e1f-2a3b4c5d6e7f",
         {"collaborationIdentifier": "a1b2c3d4-1111-4a5b-8c9d-0e1f2a3b4c5d", "queryLogStatus": "ENABLED"})):
    E(_res, "cleanrooms", _ev, f"responseElements.{_key}.id", _req,
      {_key: {"id": _id, "arn": arn("cleanrooms", f"{_key.lower()}/{_id}")}},
      [_id], f"{CR}, {_ev} (response: {_key}.id)", form="id")
E("cloud-directory", "clouddirectory", "CreateDirectory", "responseElements.directoryArn",
  {"name": "device-registry", "schemaArn": arn("clouddirectory", "schema/published/devices/1.0")},
  {"directoryArn": arn("clouddirectory", "directory/AXQXDXvdgkOWktRXV4HnRa8"), "name": "device-registry",
   "objectIdentifier": "AXQXDXvdgkOWktRXV4HnRa8",
   "appliedSchemaArn": arn("clouddirectory", "directory/AXQXDXvdgkOWktRXV4HnRa8/schema/devices/1.0")},
  [arn("clouddirectory", "directory/AXQXDXvdgkOWktRXV4HnRa8")], "Amazon Cloud Directory API Reference, "
  "CreateDirectory (response: DirectoryArn)")
E("cloudhsm-cluster", "cloudhsm", "CreateCluster", "responseElements.cluster.clusterId",
  {"hsmType": "hsm2m.medium", "subnetIds": ["subnet-0a2c4e6b8d1f35791", "subnet-0b3d5f7a9c2e46802"]},
  {"cluster": {"clusterId": "cluster-igklspoyj5v", "hsmType": "hsm2m.medium", "state": "CREATE_IN_PROGRESS",
               "vpcId": "vpc-0c2e4a6b8d1f35793", "subnetMapping": {"eu-west-1a": "subnet-0a2c4e6b8d1f35791"}}},
  ["cluster-igklspoyj5v"], "AWS CloudHSM v2 API Reference, CreateCluster (response: Cluster.ClusterId)", form="id",
  host="cloudhsmv2")
E("datapipeline", "datapipeline", "CreatePipeline", "responseElements.pipelineId",
  {"name": "nightly-export", "uniqueId": "nightly-export-token"}, {"pipelineId": "df-06372391ZG65EXAMPLE"},
  ["df-06372391ZG65EXAMPLE"], "AWS Data Pipeline API Reference, CreatePipeline (response: pipelineId)", form="id")
E("devicefarm-project", "devicefarm", "CreateProject", "responseElements.project.arn",
  {"name": "mobile-app"},
  {"project": {"arn": "arn:aws:devicefarm:us-west-2:111122223333:project:5e01a8c7-c861-4c0a-b1d5-12345EXAMPLE",
               "name": "mobile-app", "defaultJobTimeoutMinutes": 150}},
  ["arn:aws:devicefarm:us-west-2:111122223333:project:5e01a8c7-c861-4c0a-b1d5-12345EXAMPLE"],
  "AWS Device Farm API Reference, CreateProject (response: project.arn); the service runs in us-west-2",
  region="us-west-2")
E("savings-plan", "savingsplans", "CreateSavingsPlan", "responseElements.savingsPlanId",
  {"savingsPlanOfferingId": "0f4ac2c0-3e1d-4a8b-9c7d-5e6f7a8b9c0d", "commitment": "10.0"},
  {"savingsPlanId": "5e4d3c2b-1a09-4f8e-7d6c-5b4a39281706"}, ["5e4d3c2b-1a09-4f8e-7d6c-5b4a39281706"],
  "AWS Savings Plans API Reference, CreateSavingsPlan (response: savingsPlanId); recorded in us-east-1", form="id",
  region="us-east-1")
E("security-lake", "securitylake", "CreateDataLake", "responseElements.dataLakes[].dataLakeArn",
  {"configurations": [{"region": "eu-west-1"}],
   "metaStoreManagerRoleArn": f"arn:aws:iam::{ACCOUNT}:role/AmazonSecurityLakeMetaStoreManager"},
  {"dataLakes": [{"dataLakeArn": arn("securitylake", "data-lake/default"), "region": "eu-west-1",
                  "createStatus": "INITIALIZED", "s3BucketArn": "arn:aws:s3:::aws-security-data-lake-eu-west-1-abcdef"}]},
  [arn("securitylake", "data-lake/default")], "Amazon Security Lake API Reference, CreateDataLake (response: "
  "dataLakes[].dataLakeArn)")
E("security-lake-subscriber", "securitylake", "CreateSubscriber", "responseElements.subscriber.subscriberId",
  {"subscriberName": "siem", "sources": [{"awsLogSource": {"sourceName": "CLOUD_TRAIL_MGMT"}}],
   "subscriberIdentity": {"principal": "444455556666", "externalId": "siem-ext"}},
  {"subscriber": {"subscriberId": "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "subscriberName": "siem",
                  "subscriberArn": arn("securitylake", "subscriber/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"),
                  "subscriberStatus": "ACTIVE"}},
  ["1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"], "Amazon Security Lake API Reference, CreateSubscriber (response: "
  "subscriber.subscriberId)", form="id")
E("aiops-investigation-group", "aiops", "CreateInvestigationGroup", "responseElements.arn",
  {"name": "prod-investigations", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/aiops-investigations"},
  {"arn": arn("aiops", "investigation-group/a1b2c3d4e5f6g7h8")}, [arn("aiops", "investigation-group/a1b2c3d4e5f6g7h8")],
  "Amazon CloudWatch investigations API Reference, CreateInvestigationGroup (response: arn)")
for _ev in ("RunTask", "StartTask"):
    _tid = "0a1b2c3d4e5f60718293a4b5c6d7e8f9" if _ev == "RunTask" else "1b2c3d4e5f60718293a4b5c6d7e8f90a"
    _req = {"cluster": "web", "taskDefinition": "orders-migrate:4", "count": 1}
    if _ev == "RunTask":
        _req["launchType"] = "FARGATE"
    else:
        _req = {"cluster": "web", "taskDefinition": "orders-migrate:4",
                "containerInstances": ["arn:aws:ecs:eu-west-1:111122223333:container-instance/web/7f1e2d3c4b5a69788796a5b4c3d2e1f0"]}
    E("ecs-task", "ecs", _ev, "responseElements.tasks[].taskArn", _req,
      {"tasks": [{"taskArn": arn("ecs", f"task/web/{_tid}"), "clusterArn": arn("ecs", "cluster/web"),
                  "taskDefinitionArn": arn("ecs", "task-definition/orders-migrate:4"), "lastStatus": "PROVISIONING",
                  "desiredStatus": "RUNNING", "group": "family:orders-migrate"}], "failures": []},
      [arn("ecs", f"task/web/{_tid}")], f"Amazon ECS API Reference, {_ev} (response: tasks[].taskArn, failures)")

E("dsql-stream", "dsql", "CreateStream", "responseElements.streamIdentifier",
  {"clusterIdentifier": "abc0def1ghij2klm3nop4qrst5", "clientToken": "c2d3e4f5-0000-4a6b-8c9d-0e1f2a3b4c5d"},
  {"clusterIdentifier": "abc0def1ghij2klm3nop4qrst5", "streamIdentifier": "st-5f6g7h8j9k0l1m2n3p",
   "arn": arn("dsql", "cluster/abc0def1ghij2klm3nop4qrst5/stream/st-5f6g7h8j9k0l1m2n3p"), "status": "CREATING"},
  ["st-5f6g7h8j9k0l1m2n3p"], "Amazon Aurora DSQL API Reference, CreateStream (response: clusterIdentifier, "
  "streamIdentifier, arn)", form="id")
E("resource-share-self", "ram", "CreateResourceShare", "responseElements.resourceShare.resourceShareArn",
  {"name": "shared-subnets", "resourceArns": [arn("ec2", "subnet/subnet-0a2c4e6b8d1f35791")],
   "principals": ["o-exampleorgid"], "allowExternalPrincipals": False},
  {"resourceShare": {"resourceShareArn": arn("ram", "resource-share/3ab63985-99d9-1cd2-7d24-75e93EXAMPLE"),
                     "name": "shared-subnets", "owningAccountId": ACCOUNT, "allowExternalPrincipals": False,
                     "status": "ACTIVE"}},
  [arn("ram", "resource-share/3ab63985-99d9-1cd2-7d24-75e93EXAMPLE")],
  "AWS RAM API Reference, CreateResourceShare (response: resourceShare.resourceShareArn)")

# ---------------------------------------------------------------------------------------------

def build():
    with open(MAP_PATH) as fh:
        doc = json.load(fh)
    by_type = {r["resource"]: r for r in doc["resources"]}
    seen_types = set()
    written = []
    bases = {}
    for spec in SPECS:
        res, event = spec["resource"], spec["event"]
        source = f"{spec['service']}.amazonaws.com"
        entry = by_type.get(res)
        if entry is None:
            entry = {"resource": res, "events": []}
            doc["resources"].append(entry)
            by_type[res] = entry
        hits = [e for e in entry["events"] if (e["service"], e["event"]) == (source, event)]
        assert bases.setdefault((res, source, event), spec["ids"]) == spec["ids"], (res, event, "two expressions")
        if hits:
            hits[0]["ids"] = spec["ids"]
        else:
            entry["events"].append({"event": event, "service": source, "ids": spec["ids"]})
        name = spec["file"] or (f"{res}.json" if res not in seen_types and
                                not (FIXTURE_DIR / f"{res}.json").exists() or
                                _owned(FIXTURE_DIR / f"{res}.json", res, event) else f"{res}.{event}.json")
        seen_types.add(res)
        fixture = {
            "resource": res,
            "c7n_id_field": _c7n_id(res),
            "id_form": spec["form"],
            "source": f"AWS documentation: {spec['doc']} (record reconstructed, not captured)",
            "event": record(spec, name),
            "expected_ids": spec["expected"],
        }
        with open(FIXTURE_DIR / name, "w") as fh:
            json.dump(fixture, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        written.append(name)
    assert len(written) == len(set(written)), "two specs write the same fixture"
    written += apply_spelling(doc)
    with open(MAP_PATH, "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    return written


def apply_spelling(doc):
    """The spelling rule on every entry of the map (these specs' and the others'): its ids
    expression, and for each record written from the API reference a second fixture in the
    other spelling.  Returns the fixtures written."""
    for old in [*FIXTURE_DIR.glob(f"*.{VARIANT['camel']}.json"), *FIXTURE_DIR.glob(f"*.{VARIANT['pascal']}.json")]:
        old.unlink()
    fixtures = {p.name: json.loads(p.read_text()) for p in sorted(FIXTURE_DIR.glob("*.json"))}
    written = []
    for res in doc["resources"]:
        for ev in res["events"]:
            service = ev["service"].removesuffix(".amazonaws.com")
            ev["ids"] = shipped(ev["ids"], service)
            how = spelling(service)
            if how == "camel" or ev["ids"] == base_of(ev["ids"]):
                continue
            mine = [(n, fx) for n, fx in fixtures.items() if fx["resource"] == res["resource"]
                    and (fx["event"]["eventSource"], fx["event"]["eventName"]) == (ev["service"], ev["event"])
                    and fx["source"].startswith("AWS documentation: ")]
            for name, fx in mine:
                variant = VARIANT[how if how == "pascal" else "camel"]
                out = name.removesuffix(".json") + f".{variant}.json"
                upper = how == "both"
                event = dict(fx["event"], eventID=str(uuid.uuid5(NS, out + "/event")),
                             requestParameters=recase_record(fx["event"]["requestParameters"], upper),
                             responseElements=recase_record(fx["event"]["responseElements"], upper))
                note = ("the API's PascalCase member names, in case CloudTrail keeps them for this service "
                        "(no published record shows its spelling)" if upper else
                        "camelCase member names, in case CloudTrail lower-cases them in some records")
                variant_fx = dict(fx, event=event,
                                  source=fx["source"].removesuffix(")") + f"; {out}: the same record with {note})")
                with open(FIXTURE_DIR / out, "w") as fh:
                    json.dump(variant_fx, fh, indent=2, ensure_ascii=False)
                    fh.write("\n")
                written.append(out)
    write_spelling_doc(doc)
    return written


SPELLING_DOC = ROOT / "docs" / "cloudtrail-spelling.md"


def spelling_doc(doc) -> str:
    """docs/cloudtrail-spelling.md: the rule, by service (what apply_spelling does)."""
    services = sorted({e["service"].removesuffix(".amazonaws.com") for r in doc["resources"] for e in r["events"]}
                      | set(CAMEL_CASE) | set(PASCAL_CASE))
    n = {k: 0 for k in ("camel", "pascal", "both")}
    rows = []
    for svc in services:
        entries = sum(1 for r in doc["resources"] for e in r["events"] if e["service"] == f"{svc}.amazonaws.com")
        how = spelling(svc)
        n[how] += entries
        evidence = (CAMEL_CASE.get(svc) or PASCAL_CASE.get(svc) or MIXED_CASE.get(svc)
                    or "none: no published record of this service")
        read = {"camel": "camelCase only", "pascal": "PascalCase, then camelCase",
                "both": "camelCase, then PascalCase"}[how]
        rows.append(f"| {svc} | {entries} | {read} | {evidence} |")
    return f"""# How CloudTrail spells request and response members, by service

CloudTrail writes a call's request parameters and response elements from the API's shapes, but
not always in the API reference's spelling. Most services give every member with a lower-case
first letter (KMS's `KeyId` becomes `keyId`, RDS's `DBInstanceIdentifier` becomes
`dBInstanceIdentifier`); a few keep the API's PascalCase (Amazon MWAA: `requestParameters.Name`).
EC2's older calls flatten lists into `...Set.items[]`, its newer ones wrap the response in an
`<Action>Response` document (see `tests/fixtures/default_map/COVERAGE.md`). A map entry whose
field is spelled differently from the record finds nothing: the load counts and names such
entries (`no id:N`), and the default map avoids them by this rule.

The rule, applied to every entry of the default map by `scripts/default_map_entries.py`
(`CAMEL_CASE`, `PASCAL_CASE`, `defended`), which writes this file:

- a service whose spelling a published or captured record shows reads that spelling. The
  evidence column names one such record, of any call of the service: a file of
  `../shared/data/cloudtrail-samples` ("real" marks a capture from a real account), a fixture
  (`*.published.json`, its record in `tests/fixtures/cloudtrail-found`), or a page of an
  `awsdocs` repository at a commit;
- every other service reads both, the API reference's member in camelCase first, then in
  PascalCase: `requestParameters.name || requestParameters.Name`. The two are spellings of one
  member, so whichever the record has is the value and neither can be another member's; JMESPath's
  `||` takes the right side only when the left is null, empty or false. Each such entry has a
  second fixture, the same record in the other spelling (`<type>[.<event>].PascalCase.json`).

{n['camel']} map entries read a confirmed camelCase spelling, {n['pascal']} a confirmed PascalCase
one (then camelCase), {n['both']} both spellings (no record confirms their service).

| service (eventSource without .amazonaws.com) | map entries | reads | evidence |
|---|---|---|---|
""" + "\n".join(rows) + "\n"


def write_spelling_doc(doc):
    SPELLING_DOC.write_text(spelling_doc(doc))


def _owned(path, res, event):
    """True when an existing ``<type>.json`` is this spec's own fixture (a re-run)."""
    if not path.exists():
        return False
    with open(path) as fh:
        fx = json.load(fh)
    return fx["resource"] == res and fx["event"]["eventName"] == event


_REGISTRY = None


def _c7n_id(rtype):
    global _REGISTRY
    if _REGISTRY is None:
        from c7n.provider import clouds
        from c7n.resources import load_resources

        load_resources(("aws.*",))
        _REGISTRY = clouds["aws"].resources
    return _REGISTRY.get(rtype).resource_type.id


if __name__ == "__main__":
    names = build()
    print(f"{len(names)} fixtures written, {len({s['resource'] for s in SPECS})} types")
