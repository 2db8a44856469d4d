"""The create events the generator can write, and how each one fails.  Which of them a trail holds
is decided by the resource map (only mapped events are written); which resources and ids they
create is the map's business too (``expected.py``), never decided here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .noise import _lambda_config_response, _s3_add
from .world import ENVS, PROJECTS, Ctx, alnum, hexs, java_date, key_id, private_ip, uuid4

# --- create events of the mapped kinds --------------------------------------------------------

def _create_bucket(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    rp = {"bucketName": name, "Host": f"{name}.s3.{c.region}.amazonaws.com"}
    if c.region != "us-east-1":
        rp["CreateBucketConfiguration"] = {"LocationConstraint": c.region, "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}
    if rng.random() < 0.5:
        rp["x-amz-object-ownership"] = "BucketOwnerEnforced"
    return dict(rp=rp, re=None, add=_s3_add(c), rid=alnum(rng, 16).upper(),
                res=[{"accountId": c.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{name}"}])


def _instance(c: Ctx, iid: str, ami: str, itype: str, sub: str, vpc: str, sg: str, token: str, idx: int, tags):
    rng = c.rng
    pip = private_ip(rng)
    dns = f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal"
    return {"instanceId": iid, "currentInstanceBootMode": "legacy-bios", "imageId": ami,
            "instanceState": {"code": 0, "name": "pending"}, "privateDnsName": dns, "amiLaunchIndex": idx,
            "productCodes": {}, "instanceType": itype, "launchTime": int(c.t) * 1000,
            "placement": {"availabilityZone": f"{c.region}{rng.choice('abc')}", "tenancy": "default"},
            "monitoring": {"state": "disabled"}, "subnetId": sub, "vpcId": vpc, "privateIpAddress": pip,
            "stateReason": {"code": "pending", "message": "pending"}, "architecture": "x86_64",
            "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda", "blockDeviceMapping": {},
            "virtualizationType": "hvm", "hypervisor": "xen", "tagSet": {"items": tags}, "clientToken": token,
            "groupSet": {"items": [{"groupId": sg, "groupName": f"{rng.choice(PROJECTS)}-sg"}]},
            "sourceDestCheck": True,
            "networkInterfaceSet": {"items": [{
                "networkInterfaceId": f"eni-{hexs(rng, 17)}", "subnetId": sub, "vpcId": vpc, "ownerId": c.account,
                "status": "in-use", "macAddress": ":".join(hexs(rng, 2) for _ in range(6)), "privateIpAddress": pip,
                "privateDnsName": dns, "sourceDestCheck": True, "interfaceType": "interface",
                "groupSet": {"items": [{"groupId": sg, "groupName": f"{rng.choice(PROJECTS)}-sg"}]},
                "attachment": {"attachmentId": f"eni-attach-{hexs(rng, 17)}", "deviceIndex": 0, "networkCardIndex": 0,
                               "status": "attaching", "attachTime": int(c.t) * 1000, "deleteOnTermination": True},
                "privateIpAddressesSet": {"item": [{"privateIpAddress": pip, "privateDnsName": dns, "primary": True}]},
                "ipv6AddressesSet": {}, "tagSet": {}}]},
            "ebsOptimized": False, "enaSupport": True, "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
            "capacityReservationSpecification": {"capacityReservationPreference": "open"},
            "hibernationOptions": {"configured": False}, "enclaveOptions": {"enabled": False},
            "metadataOptions": {"state": "pending", "httpTokens": "required", "httpPutResponseHopLimit": 2,
                                "httpEndpoint": "enabled", "httpProtocolIpv4": "enabled", "httpProtocolIpv6": "disabled",
                                "instanceMetadataTags": "disabled"},
            "maintenanceOptions": {"autoRecovery": "default"},
            "privateDnsNameOptions": {"hostnameType": "ip-name", "enableResourceNameDnsARecord": False,
                                      "enableResourceNameDnsAAAARecord": False}}


def _run_instances(c: Ctx, spec):
    rng, aw = c.rng, c.aw
    ids = spec["ids"]
    ami, itype = rng.choice(aw.amis[c.region]), rng.choice(["t3.micro", "t3.large", "m6i.xlarge", "c6g.2xlarge", "r6i.large"])
    sub, vpc, sg = rng.choice(aw.subnets[c.region]), rng.choice(aw.vpcs[c.region]), rng.choice(aw.sgs[c.region])
    token = uuid4(rng)
    tags = [{"key": "Name", "value": f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}"}, {"key": "team", "value": rng.choice(PROJECTS)}]
    rp = {"instancesSet": {"items": [{"imageId": ami, "minCount": len(ids), "maxCount": len(ids)}]},
          "instanceType": itype, "blockDeviceMapping": {}, "monitoring": {"enabled": False}, "disableApiTermination": False,
          "disableApiStop": False, "clientToken": token, "networkInterfaceSet": {"items": [{"deviceIndex": 0, "subnetId": sub,
                                                                                           "groupSet": {"items": [{"groupId": sg}]}}]},
          "iamInstanceProfile": {"arn": f"arn:aws:iam::{c.account}:instance-profile/app-server-profile"},
          "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": tags}]},
          "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2}}
    if spec.get("error"):
        return dict(rp=rp, re=None, ro=False)
    re = {"requestId": uuid4(rng), "reservationId": f"r-{hexs(rng, 17)}", "ownerId": c.account, "groupSet": {},
          "instancesSet": {"items": [_instance(c, iid, ami, itype, sub, vpc, sg, token, i, tags) for i, iid in enumerate(ids)]}}
    if c.caller.invoked_by == "autoscaling.amazonaws.com":
        re["requesterId"] = "940372691376"
    return dict(rp=rp, re=re, ro=False)


def _create_role(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": rng.choice(["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"])},
        "Action": "sts:AssumeRole"}]})
    rp = {"roleName": name, "assumeRolePolicyDocument": trust, "path": "/", "maxSessionDuration": 3600,
          "description": f"Role for {name}"}
    if rng.random() < 0.5:
        rp["tags"] = [{"key": "team", "value": rng.choice(PROJECTS)}]
    re = {"role": {"path": "/", "roleName": name, "roleId": key_id(rng, "AROA"), "arn": f"arn:aws:iam::{c.account}:role/{name}",
                   "createDate": java_date(c.t), "assumeRolePolicyDocument": trust.replace('"', "%22").replace(" ", "%20")}}
    return dict(rp=rp, re=None if spec.get("error") else re, ro=False)


def _create_user(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    rp = {"userName": name}
    if rng.random() < 0.4:
        rp["tags"] = [{"key": "owner", "value": f"{rng.choice(c.aw.people)}@example.com"}]
    re = {"user": {"path": "/", "userName": name, "userId": key_id(rng, "AIDA"), "arn": f"arn:aws:iam::{c.account}:user/{name}",
                   "createDate": java_date(c.t)}}
    return dict(rp=rp, re=None if spec.get("error") else re, ro=False)


def _create_function(c: Ctx, spec):
    rng, aw = c.rng, c.aw
    name = spec["rname"]
    role = f"arn:aws:iam::{c.account}:role/{name}-role"
    rp = {"functionName": name, "runtime": "python3.12", "role": role, "handler": "app.handler",
          "code": {"s3Bucket": rng.choice(aw.buckets), "s3Key": f"lambda/{name}/{hexs(rng, 40)}.zip"},
          "description": f"{name} handler", "timeout": 30, "memorySize": 256, "publish": False,
          "environment": {}, "tracingConfig": {"mode": "PassThrough"}, "architectures": ["x86_64"],
          "tags": {"team": rng.choice(PROJECTS)}}
    return dict(rp=rp, re=None if spec.get("error") else _lambda_config_response(c, name, role), ro=False)


def _create_table(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    attrs = [{"attributeName": "pk", "attributeType": "S"}, {"attributeName": "sk", "attributeType": "S"}]
    keys = [{"attributeName": "pk", "keyType": "HASH"}, {"attributeName": "sk", "keyType": "RANGE"}]
    rp = {"tableName": name, "attributeDefinitions": attrs, "keySchema": keys, "billingMode": "PAY_PER_REQUEST",
          "sSESpecification": {"enabled": True, "sSEType": "KMS"}}
    re = {"tableDescription": {"attributeDefinitions": attrs, "tableName": name, "keySchema": keys, "tableStatus": "CREATING",
                               "creationDateTime": java_date(c.t),
                               "provisionedThroughput": {"numberOfDecreasesToday": 0, "readCapacityUnits": 0, "writeCapacityUnits": 0},
                               "tableSizeBytes": 0, "itemCount": 0,
                               "tableArn": f"arn:aws:dynamodb:{c.region}:{c.account}:table/{name}", "tableId": uuid4(rng),
                               "billingModeSummary": {"billingMode": "PAY_PER_REQUEST"},
                               "sSEDescription": {"status": "ENABLED", "sSEType": "KMS",
                                                  "kMSMasterKeyArn": rng.choice(c.aw.kms_keys[c.region])},
                               "deletionProtectionEnabled": False}}
    return dict(rp=rp, re=None if spec.get("error") else re, ro=False,
                res=[{"accountId": c.account, "type": "AWS::DynamoDB::Table",
                      "ARN": f"arn:aws:dynamodb:{c.region}:{c.account}:table/{name}"}])


def _create_topic(c: Ctx, spec):
    rng = c.rng
    name = spec["rname"]
    rp = {"name": name}
    if rng.random() < 0.4:
        rp["attributes"] = {"KmsMasterKeyId": "alias/aws/sns"}
        rp["tags"] = [{"key": "team", "value": rng.choice(PROJECTS)}]
    re = None if spec.get("error") else {"topicArn": f"arn:aws:sns:{c.region}:{c.account}:{name}"}
    return dict(rp=rp, re=re, ro=False)


def _create_volume(c: Ctx, spec):
    rng = c.rng
    az = f"{c.region}{rng.choice('abc')}"
    size = rng.choice([8, 20, 50, 100, 500])
    rp = {"size": size, "zone": az, "volumeType": "gp3", "encrypted": True,
          "tagSpecificationSet": {"items": [{"resourceType": "volume", "tags": [{"key": "Name", "value": f"{rng.choice(PROJECTS)}-data"}]}]}}
    if spec.get("error"):
        return dict(rp=rp, re=None, ro=False)
    re = {"requestId": uuid4(rng), "volumeId": spec["ids"][0], "size": size, "zone": az, "status": "creating",
          "createTime": int(c.t) * 1000, "volumeType": "gp3", "iops": 3000, "encrypted": True,
          "kmsKeyId": rng.choice(c.aw.kms_keys[c.region]), "tagSet": {"items": [{"key": "Name", "value": f"{rng.choice(PROJECTS)}-data"}]},
          "multiAttachEnabled": False, "throughput": 125}
    return dict(rp=rp, re=re, ro=False)


def _put_parameter(c: Ctx, spec):
    """SSM PutParameter: creates the parameter, or (overwrite) updates it: a Put* event."""
    rng = c.rng
    name = spec["rname"]
    rp = {"name": name, "type": rng.choice(["String", "SecureString", "StringList"]), "overwrite": bool(spec.get("overwrite")),
          "tier": "Standard", "dataType": "text"}
    if rng.random() < 0.3:
        rp["description"] = f"{rng.choice(PROJECTS)} setting"
    re = None if spec.get("error") else {"version": 2 if spec.get("overwrite") else 1, "tier": "Standard"}
    return dict(rp=rp, re=re, ro=False, host=f"ssm.{c.region}.amazonaws.com")


@dataclass
class CreateKind:
    source: str
    name: str
    weight: float
    build: object
    naming: str                 # "name": the id is a name the caller picks (reusable); "ids": generated ids
    errors: list = field(default_factory=list)
    global_only: bool = False
    overwrite: float = 0.0      # of successful creates: the same name written again moments later (create-or-update)


CREATE_KINDS = [
    CreateKind("s3.amazonaws.com", "CreateBucket", 12, _create_bucket, "name",
               [("BucketAlreadyExists", "The requested bucket name is not available."),
                ("AccessDenied", "Access Denied")]),
    CreateKind("ec2.amazonaws.com", "RunInstances", 20, _run_instances, "ids",
               [("Client.UnauthorizedOperation", "You are not authorized to perform this operation. Encoded authorization failure message: {enc}"),
                ("Client.DryRunOperation", "Request would have succeeded, but DryRun flag is set."),
                ("Server.InsufficientInstanceCapacity", "We currently do not have sufficient capacity in the Availability Zone you requested.")]),
    CreateKind("iam.amazonaws.com", "CreateRole", 10, _create_role, "name",
               [("EntityAlreadyExistsException", "Role with name {name} already exists."),
                ("AccessDenied", "User: {arn} is not authorized to perform: iam:CreateRole")], global_only=True),
    CreateKind("iam.amazonaws.com", "CreateUser", 5, _create_user, "name",
               [("EntityAlreadyExistsException", "User with name {name} already exists."),
                ("AccessDenied", "User: {arn} is not authorized to perform: iam:CreateUser")], global_only=True),
    CreateKind("lambda.amazonaws.com", "CreateFunction20150331", 12, _create_function, "name",
               [("ResourceConflictException", "Function already exist: {name}"),
                ("InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.")]),
    CreateKind("dynamodb.amazonaws.com", "CreateTable", 10, _create_table, "name",
               [("ResourceInUseException", "Table already exists: {name}"),
                ("LimitExceededException", "Subscriber limit exceeded: There is a limit of 500 tables")]),
    CreateKind("sns.amazonaws.com", "CreateTopic", 12, _create_topic, "name",
               [("AuthorizationError", "User: {arn} is not authorized to perform: SNS:CreateTopic"),
                ("InvalidParameterException", "Invalid parameter: Topic Name")]),
    CreateKind("ec2.amazonaws.com", "CreateVolume", 19, _create_volume, "ids",
               [("Client.UnauthorizedOperation", "You are not authorized to perform this operation. Encoded authorization failure message: {enc}"),
                ("Client.InvalidZone.NotFound", "The zone does not exist")]),
    CreateKind("ssm.amazonaws.com", "PutParameter", 10, _put_parameter, "name",
               [("AccessDeniedException", "User: {arn} is not authorized to perform: ssm:PutParameter"),
                ("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")],
               overwrite=0.3),
]
CREATE_BY_KEY = {(k.source, k.name): k for k in CREATE_KINDS}
# The error a create of an existing name gets (half of the name reuses); CreateTopic is idempotent.
ALREADY_EXISTS = {
    "CreateBucket": ("BucketAlreadyOwnedByYou",
                     "Your previous request to create the named bucket succeeded and you already own it."),
    "CreateRole": CREATE_BY_KEY[("iam.amazonaws.com", "CreateRole")].errors[0],
    "CreateUser": CREATE_BY_KEY[("iam.amazonaws.com", "CreateUser")].errors[0],
    "CreateFunction20150331": CREATE_BY_KEY[("lambda.amazonaws.com", "CreateFunction20150331")].errors[0],
    "CreateTable": CREATE_BY_KEY[("dynamodb.amazonaws.com", "CreateTable")].errors[0],
    "PutParameter": ("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the "
                                               "overwrite option in the request to true."),
}


