"""Entries of the default resource map whose fixtures are written from the AWS API reference.

Each spec below is one (type, eventSource, eventName) entry of
``runner/trailcreator/resource_maps/default.json`` plus the CloudTrail record that backs it in
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
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP_PATH = ROOT / "runner" / "trailcreator" / "resource_maps" / "default.json"
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
E("ec2-instance-ami", "ec2", "RunInstances", "responseElements.instancesSet.items[].instanceId",
  {"instancesSet": {"items": [{"imageId": "ami-0f5d2c81a4b6e9370", "minCount": 1, "maxCount": 1}]},
   "instanceType": "t3.micro", "subnetId": "subnet-0a2c4e6b8d1f35791"},
  {"requestId": REQ, "reservationId": "r-0b1d3f5a7c9e24680", "ownerId": ACCOUNT,
   "groupSet": {}, "instancesSet": {"items": [
       {"instanceId": "i-0c4e6a8b0d2f13579", "imageId": "ami-0f5d2c81a4b6e9370",
        "instanceState": {"code": 0, "name": "pending"}, "instanceType": "t3.micro",
        "subnetId": "subnet-0a2c4e6b8d1f35791", "vpcId": "vpc-0c2e4a6b8d1f35793"}]}},
  ["i-0c4e6a8b0d2f13579"],
  "Amazon EC2 API Reference, RunInstances (response elements: instancesSet.item.instanceId; "
  "ec2-instance-ami lists the same instances as ec2, by InstanceId)", form="id")
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

def build():
    with open(MAP_PATH) as fh:
        doc = json.load(fh)
    by_type = {r["resource"]: r for r in doc["resources"]}
    seen_types = set()
    written = []
    for spec in SPECS:
        res, event = spec["resource"], spec["event"]
        source = f"{spec['service']}.amazonaws.com"
        entry = by_type.get(res)
        if entry is None:
            entry = {"resource": res, "events": []}
            doc["resources"].append(entry)
            by_type[res] = entry
        hits = [e for e in entry["events"] if (e["service"], e["event"]) == (source, event)]
        if hits:
            assert hits[0]["ids"] == spec["ids"] or spec["file"], (res, event, "two expressions")
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
    with open(MAP_PATH, "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    return written


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
