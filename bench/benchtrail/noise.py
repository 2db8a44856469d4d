"""Noise: the ~99% of a trail that is not a create of a mapped kind (Describe*/Get*/List*, STS,
KMS, console sign-in, ...), each builder giving one event's parts for ``records.render``."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .world import (BURST_RATE, ENVS, PROJECTS, TRAIL_BUCKET, TRAIL_NAME, WORDS, Ctx, alnum, b64, hexs, ip, iso,
                    java_date, key_id, private_ip, uuid4)

def _s3_add(c: Ctx, out: int = 0) -> dict:
    return {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader", "x-amz-id-2": b64(c.rng, 56), "bytesTransferredOut": out}


def _tls(c: Ctx, host: str) -> str:
    return (',"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",'
            '"clientProvidedHostHeader":"%s"}' % host)


def _filters(c: Ctx, names) -> dict:
    rng = c.rng
    return {"items": [{"name": n, "valueSet": {"items": [{"value": v} for v in vals]}}
                      for n, vals in ((n, [f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}" for _ in range(rng.randrange(1, 4))])
                                      for n in names)]}


def _policy_doc(c: Ctx, n: int) -> str:
    rng = c.rng
    stmts = [{"Sid": f"Stmt{rng.randrange(10**12)}", "Effect": "Allow",
              "Action": rng.sample(["s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt",
                                    "kms:GenerateDataKey", "sqs:SendMessage", "dynamodb:GetItem",
                                    "dynamodb:PutItem", "dynamodb:Query", "logs:PutLogEvents",
                                    "logs:CreateLogStream", "sns:Publish"], rng.randrange(2, 6)),
              "Resource": [f"arn:aws:s3:::{rng.choice(c.aw.buckets)}/*" for _ in range(rng.randrange(1, 4))]}
             for _ in range(n)]
    return json.dumps({"Version": "2012-10-17", "Statement": stmts})


def _assume_role_response(c: Ctx, role_arn: str, session: str) -> dict:
    rng = c.rng
    rname = role_arn.rsplit("/", 1)[-1]
    return {"credentials": {"accessKeyId": key_id(rng, "ASIA"), "sessionToken": "IQoJb3JpZ2luX2Vj" + b64(rng, rng.randrange(300, 700)),
                            "expiration": java_date(c.t + 3600)},
            "assumedRoleUser": {"assumedRoleId": f"{key_id(rng, 'AROA')}:{session}",
                                "arn": f"arn:aws:sts::{c.account}:assumed-role/{rname}/{session}"}}


# Noise builders: return a dict with rp, re and optional add/res/err/ident/ua/ip/host/shared/vpce.

def n_assume_role(c: Ctx):
    rng, aw = c.rng, c.aw
    who = rng.random()
    if who < 0.55:
        svc = rng.choice(aw.services)
        c.caller = svc
        rname = rng.choice(aw.roles)
        session = rng.choice(["AWSConfig-Describe", "SNSDescribeHandlerSession", "AccessAnalyzer", "LambdaSession",
                              f"{rng.randrange(10**12, 10**13)}", "securityhub"])
        role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
        return dict(rp={"roleArn": role_arn, "roleSessionName": session},
                    re=_assume_role_response(c, role_arn, session), shared=True, ip=svc.invoked_by,
                    ua=svc.invoked_by, res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])
    rname = rng.choice(aw.roles)
    session = f"botocore-session-{int(c.t) - rng.randrange(10**4)}"
    role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
    rp = {"roleArn": role_arn, "roleSessionName": session, "durationSeconds": 3600}
    if rng.random() < 0.3:
        rp["tags"] = [{"key": "team", "value": rng.choice(PROJECTS)}, {"key": "env", "value": rng.choice(ENVS)}]
        rp["transitiveTagKeys"] = ["team"]
    return dict(rp=rp, re=_assume_role_response(c, role_arn, session), host="sts.amazonaws.com",
                res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])


def n_assume_role_saml(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = rng.choice(aw.saml)
    rname = rng.choice(aw.roles)
    role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
    resp = _assume_role_response(c, role_arn, c.caller.name)
    resp.update({"subjectType": "persistent", "issuer": "http://www.okta.com/exk1a2b3c4d5e6f7g8h9",
                 "audience": "https://signin.aws.amazon.com/saml", "nameQualifier": b64(rng, 20),
                 "subject": c.caller.name, "sourceIdentity": c.caller.name})
    return dict(rp={"sAMLAssertionID": f"id{rng.randrange(10**20)}", "roleSessionName": c.caller.name,
                    "principalTags": {"team": rng.choice(PROJECTS)}, "durationSeconds": 3600,
                    "roleArn": role_arn, "principalArn": c.caller.extra},
                re=resp, ua="aws-internal/3 aws-sdk-java/1.12.660", ip=ip(rng),
                res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])


def n_assume_role_webid(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = rng.choice(aw.webid)
    rname = aw.ci[0].issuer_name
    role_arn = f"arn:aws:iam::{c.account}:role/{rname}"
    resp = _assume_role_response(c, role_arn, "GitHubActions")
    resp.update({"subjectFromWebIdentityToken": c.caller.name, "audience": "sts.amazonaws.com",
                 "provider": f"arn:aws:iam::{c.account}:oidc-provider/token.actions.githubusercontent.com"})
    return dict(rp={"roleArn": role_arn, "roleSessionName": "GitHubActions", "durationSeconds": 3600},
                re=resp, ua="aws-sdk-js/2.1552.0 promise", ip=ip(rng), host="sts.amazonaws.com",
                res=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}])


def n_get_caller_identity(c: Ctx):
    return dict(rp=None, re=None, host=f"sts.{c.region}.amazonaws.com")


def _kms(c: Ctx, with_spec: bool):
    rng, aw = c.rng, c.aw
    key = rng.choice(aw.kms_keys[c.region])
    r = rng.random()
    if r < 0.35:
        ctx = {"aws:lambda:FunctionArn": f"arn:aws:lambda:{c.region}:{c.account}:function:{rng.choice(aw.functions[c.region])}"}
    elif r < 0.65:
        b = rng.choice(aw.buckets)
        ctx = {"aws:s3:arn": f"arn:aws:s3:::{b}/{rng.choice(WORDS)}/{rng.randrange(2020, 2027)}/{hexs(rng, 24)}.parquet"}
    elif r < 0.85:
        ctx = {"aws:cloudtrail:arn": f"arn:aws:cloudtrail:{c.region}:{c.account}:trail/{TRAIL_NAME}",
               "aws:s3:arn": f"arn:aws:s3:::{TRAIL_BUCKET}/AWSLogs/{c.account}/CloudTrail/{c.region}/"
                             f"{iso(c.t)[:10].replace('-', '/')}/{c.account}_CloudTrail_{c.region}_{alnum(rng, 16)}.json.gz"}
        c.caller = c.aw.services[0]
    else:
        ctx = {"SecretARN": f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{rng.choice(aw.secrets)}-{alnum(rng, 6)}",
               "SecretVersionId": uuid4(rng)}
    rp = {"encryptionContext": ctx, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    if with_spec:
        rp = {"keyId": key, "encryptionContext": ctx, "keySpec": "AES_256"}
    res = [{"accountId": c.account, "type": "AWS::KMS::Key", "ARN": key}]
    out = dict(rp=rp, re=None, res=res, host=f"kms.{c.region}.amazonaws.com")
    if c.caller.kind == "AWSService":
        out.update(ip=c.caller.invoked_by, ua=c.caller.invoked_by, shared=True, host=None)
    return out


def n_decrypt(c: Ctx):
    return _kms(c, False)


def n_generate_data_key(c: Ctx):
    return _kms(c, True)


def _s3_bucket(sub: str, err: tuple[str, str, float] | None = None, out: int = 0):
    def build(c: Ctx):
        rng = c.rng
        b = rng.choice(c.aw.buckets)
        rp = {"bucketName": b, "Host": f"{b}.s3.{c.region}.amazonaws.com", sub: ""}
        d = dict(rp=rp, re=None, add=_s3_add(c, out),
                 res=[{"accountId": c.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}],
                 rid=alnum(rng, 16).upper())
        if rng.random() < 0.6:
            d["vpce"] = "vpce-0a1b2c3d4e5f60718"
        if err and rng.random() < err[2]:
            d["err"] = (err[0], err[1])
        if rng.random() < 0.15:
            c.caller = rng.choice(c.aw.cross)
        return d
    return build


def n_list_buckets(c: Ctx):
    return dict(rp={"Host": "s3.amazonaws.com"}, re=None, add=_s3_add(c, 8000 + 120 * len(c.aw.buckets)),
                rid=alnum(c.rng, 16).upper())


def n_describe_instances(c: Ctx):
    rng, aw = c.rng, c.aw
    if rng.random() < 0.5:
        rp = {"instancesSet": {"items": [{"instanceId": i} for i in rng.sample(aw.instances[c.region], rng.randrange(1, 9))]},
              "filterSet": {}}
    else:
        rp = {"instancesSet": {}, "filterSet": _filters(c, rng.sample(["tag:Name", "tag:team", "instance-state-name",
                                                                       "vpc-id", "tag:aws:autoscaling:groupName"],
                                                                      rng.randrange(1, 4)))}
        if rng.random() < 0.5:
            rp["maxResults"] = 1000
    return dict(rp=rp, re=None, host=f"ec2.{c.region}.amazonaws.com")


def n_describe_instance_status(c: Ctx):
    rng = c.rng
    c.caller = c.aw.service_linked[0] if rng.random() < 0.5 else c.caller
    return dict(rp={"instancesSet": {"items": [{"instanceId": i} for i in rng.sample(c.aw.instances[c.region], rng.randrange(1, 6))]},
                    "filterSet": {}, "includeAllInstances": True}, re=None)


def _ec2_describe(kind: str, idkey: str, pool: str):
    def build(c: Ctx):
        rng = c.rng
        ids = getattr(c.aw, pool)[c.region]
        r = rng.random()
        if r < 0.4:
            rp = {f"{kind}Set": {"items": [{idkey: i} for i in rng.sample(ids, min(len(ids), rng.randrange(1, 6)))]},
                  "filterSet": {}}
        elif r < 0.8:
            rp = {f"{kind}Set": {}, "filterSet": _filters(c, ["vpc-id", "tag:Name"][: rng.randrange(1, 3)])}
        else:
            rp = {f"{kind}Set": {}, "filterSet": {}, "maxResults": 1000}
        return dict(rp=rp, re=None, host=f"ec2.{c.region}.amazonaws.com")
    return build


def n_describe_images(c: Ctx):
    rng = c.rng
    return dict(rp={"executableBySet": {}, "imagesSet": {"items": [{"imageId": i} for i in c.aw.amis[c.region][: rng.randrange(1, 5)]]},
                    "ownersSet": {"items": [{"owner": "self"}, {"owner": "amazon"}]}, "availabilitySet": {},
                    "filterSet": _filters(c, ["name", "architecture", "root-device-type"]), "includeDeprecated": False,
                    "includeDisabled": False}, re=None)


def n_create_tags(c: Ctx):
    rng, aw = c.rng, c.aw
    rs = rng.sample(aw.instances[c.region] + aw.volumes[c.region], rng.randrange(1, 4))
    return dict(rp={"resourcesSet": {"items": [{"resourceId": r} for r in rs]},
                    "tagSet": {"items": [{"key": k, "value": f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}"}
                                         for k in ("Name", "team", "cost-center", "owner")[: rng.randrange(1, 5)]]}},
                re={"requestId": uuid4(rng), "_return": True}, ro=False)


def n_authorize_sg_ingress(c: Ctx):
    rng, aw = c.rng, c.aw
    sg = rng.choice(aw.sgs[c.region])
    perms = [{"ipProtocol": "tcp", "fromPort": p, "toPort": p, "groups": {},
              "ipRanges": {"items": [{"cidrIp": f"10.{rng.randrange(256)}.0.0/16", "description": f"{rng.choice(PROJECTS)} access"}]},
              "ipv6Ranges": {}, "prefixListIds": {}} for p in rng.sample([22, 80, 443, 5432, 6379, 8080, 9200], rng.randrange(1, 4))]
    rules = [{"groupOwnerId": c.account, "isEgress": False, "ipProtocol": "tcp", "fromPort": p["fromPort"],
              "toPort": p["toPort"], "cidrIpv4": p["ipRanges"]["items"][0]["cidrIp"],
              "securityGroupRuleId": f"sgr-{hexs(rng, 17)}", "groupId": sg} for p in perms]
    return dict(rp={"groupId": sg, "ipPermissions": {"items": perms}},
                re={"requestId": uuid4(rng), "_return": True, "securityGroupRuleSet": {"items": rules}}, ro=False)


def n_create_network_interface(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = c.aw.services[3]  # lambda.amazonaws.com attaching an ENI for a VPC function
    sub, vpc, sg = rng.choice(aw.subnets[c.region]), rng.choice(aw.vpcs[c.region]), rng.choice(aw.sgs[c.region])
    pip = private_ip(rng)
    return dict(rp={"subnetId": sub, "description": f"AWS Lambda VPC ENI-{rng.choice(aw.functions[c.region])}-{uuid4(rng)}",
                    "groupSet": {"items": [{"groupId": sg}]}, "privateIpAddressesSet": {}, "ipv6AddressCount": 0},
                re={"requestId": uuid4(rng), "networkInterface": {
                    "networkInterfaceId": f"eni-{hexs(rng, 17)}", "subnetId": sub, "vpcId": vpc,
                    "availabilityZone": f"{c.region}{rng.choice('abc')}", "description": "AWS Lambda VPC ENI",
                    "ownerId": c.account, "requesterId": "560378237116", "requesterManaged": True, "status": "pending",
                    "macAddress": ":".join(hexs(rng, 2) for _ in range(6)), "privateIpAddress": pip,
                    "privateDnsName": f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal", "sourceDestCheck": True,
                    "groupSet": {"items": [{"groupId": sg, "groupName": f"{rng.choice(PROJECTS)}-lambda-sg"}]},
                    "privateIpAddressesSet": {"item": [{"privateIpAddress": pip, "privateDnsName": f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal", "primary": True}]},
                    "ipv6AddressesSet": {}, "tagSet": {}, "interfaceType": "lambda"}},
                ro=False, ip=c.caller.invoked_by, ua=c.caller.invoked_by)


def _iam_read(name: str):
    def build(c: Ctx):
        rng, aw = c.rng, c.aw
        if name in ("GetRole", "ListAttachedRolePolicies", "ListRolePolicies"):
            rp = {"roleName": rng.choice(aw.roles)}
        elif name == "GetPolicy":
            rp = {"policyArn": f"arn:aws:iam::aws:policy/{rng.choice(['ReadOnlyAccess', 'AmazonS3FullAccess', 'AWSLambdaBasicExecutionRole'])}"}
        elif name == "GetUser":
            rp = {"userName": rng.choice(aw.iam_users).name}
        else:
            rp = {"maxItems": 1000} if rng.random() < 0.5 else None
        return dict(rp=rp, re=None, host="iam.amazonaws.com")
    return build


def n_put_role_policy(c: Ctx):
    rng, aw = c.rng, c.aw
    return dict(rp={"roleName": rng.choice(aw.roles), "policyName": f"{rng.choice(PROJECTS)}-inline",
                    "policyDocument": _policy_doc(c, rng.randrange(1, 5))}, re=None, ro=False, host="iam.amazonaws.com")


def n_attach_role_policy(c: Ctx):
    rng, aw = c.rng, c.aw
    return dict(rp={"roleName": rng.choice(aw.roles),
                    "policyArn": f"arn:aws:iam::aws:policy/{rng.choice(['ReadOnlyAccess', 'AmazonSSMManagedInstanceCore', 'CloudWatchAgentServerPolicy'])}"},
                re=None, ro=False, host="iam.amazonaws.com")


def n_console_login(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = aw.root if rng.random() < 0.1 else rng.choice(aw.iam_users[:6])
    ok = rng.random() < 0.93
    d = dict(rp=None, re={"ConsoleLogin": "Success" if ok else "Failure"}, ro=False, event_type="AwsConsoleSignIn",
             add={"LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                  "MobileVersion": "No", "MFAIdentifier": f"arn:aws:iam::{c.account}:mfa/{rng.choice(aw.people)}",
                  "MFAUsed": "Yes"},
             ua="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
             ip=ip(rng))
    if not ok:
        d["err"] = (None, "Failed authentication")
    return d


def _lambda_read(name: str):
    def build(c: Ctx):
        rng = c.rng
        if name == "ListFunctions20150331":
            rp = {"functionVersion": "ALL"} if rng.random() < 0.5 else None
        else:
            rp = {"functionName": rng.choice(c.aw.functions[c.region])}
        return dict(rp=rp, re=None, host=f"lambda.{c.region}.amazonaws.com")
    return build


def _lambda_config_response(c: Ctx, fn: str, role: str) -> dict:
    rng = c.rng
    return {"functionName": fn, "functionArn": f"arn:aws:lambda:{c.region}:{c.account}:function:{fn}",
            "runtime": rng.choice(["python3.12", "python3.11", "nodejs20.x", "java21"]), "role": role,
            "handler": "app.handler", "codeSize": rng.randrange(2000, 40_000_000), "description": f"{fn} handler",
            "timeout": rng.choice([3, 30, 60, 300, 900]), "memorySize": rng.choice([128, 256, 512, 1024, 2048]),
            "lastModified": iso(c.t)[:-1] + ".000+0000", "codeSha256": b64(rng, 32), "version": "$LATEST",
            "vpcConfig": {"subnetIds": rng.sample(c.aw.subnets[c.region], 2), "securityGroupIds": [rng.choice(c.aw.sgs[c.region])],
                          "ipv6AllowedForDualStack": False},
            "environment": {}, "tracingConfig": {"mode": "PassThrough"}, "revisionId": uuid4(rng),
            "state": "Active", "lastUpdateStatus": "InProgress", "lastUpdateStatusReason": "The function is being created.",
            "lastUpdateStatusReasonCode": "Creating", "packageType": "Zip", "architectures": ["x86_64"],
            "ephemeralStorage": {"size": 512}, "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
            "runtimeVersionConfig": {"runtimeVersionArn": f"arn:aws:lambda:{c.region}::runtime:{hexs(rng, 64)}"},
            "loggingConfig": {"logFormat": "Text", "logGroup": f"/aws/lambda/{fn}"}}


def n_update_function_configuration(c: Ctx):
    rng, aw = c.rng, c.aw
    fn = rng.choice(aw.functions[c.region])
    role = f"arn:aws:iam::{c.account}:role/{fn}-role"
    return dict(rp={"functionName": fn, "timeout": 60, "environment": {}, "memorySize": 512,
                    "layers": [f"arn:aws:lambda:{c.region}:{c.account}:layer:{rng.choice(PROJECTS)}-deps:{rng.randrange(1, 90)}"]},
                re=_lambda_config_response(c, fn, role), ro=False)


def n_update_function_code(c: Ctx):
    rng, aw = c.rng, c.aw
    fn = rng.choice(aw.functions[c.region])
    return dict(rp={"functionName": fn, "s3Bucket": rng.choice(aw.buckets), "s3Key": f"lambda/{fn}/{hexs(rng, 40)}.zip",
                    "publish": True, "dryRun": False, "architectures": ["x86_64"]},
                re=_lambda_config_response(c, fn, f"arn:aws:iam::{c.account}:role/{fn}-role"), ro=False)


def _ddb_read(name: str):
    def build(c: Ctx):
        rng = c.rng
        if name == "ListTables":
            return dict(rp=None, re=None)
        d = dict(rp={"tableName": rng.choice(c.aw.tables[c.region])}, re=None,
                 res=None, host=f"dynamodb.{c.region}.amazonaws.com")
        if rng.random() < 0.03:
            d["err"] = ("ResourceNotFoundException", "Requested resource not found")
        return d
    return build


def _sns_read(name: str):
    def build(c: Ctx):
        rng = c.rng
        rp = None if name == "ListTopics" else {"topicArn": rng.choice(c.aw.topics[c.region])}
        if name == "ListTopics" and rng.random() < 0.4:
            rp = {"nextToken": b64(rng, 48)}
        return dict(rp=rp, re=None)
    return build


def n_create_log_stream(c: Ctx):
    rng, aw = c.rng, c.aw
    g = rng.choice(aw.log_groups[c.region])
    if g.startswith("/aws/lambda/") and aw.lambda_roles:
        c.caller = rng.choice(aw.lambda_roles)
    return dict(rp={"logGroupName": g, "logStreamName": f"{iso(c.t)[:10].replace('-', '/')}/[$LATEST]{hexs(rng, 32)}"},
                re=None, ro=False)


def n_describe_log_groups(c: Ctx):
    rng = c.rng
    rp = {"logGroupNamePrefix": rng.choice(["/aws/lambda/", "/ecs/", "/aws/rds/"])} if rng.random() < 0.6 else {"limit": 50}
    return dict(rp=rp, re=None)


def n_get_parameter(c: Ctx):
    rng = c.rng
    return dict(rp={"name": rng.choice(c.aw.params), "withDecryption": rng.random() < 0.5}, re=None,
                host=f"ssm.{c.region}.amazonaws.com")


def n_get_parameters(c: Ctx):
    rng = c.rng
    return dict(rp={"names": rng.sample(c.aw.params, rng.randrange(2, 10)), "withDecryption": True}, re=None)


def n_update_instance_information(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = rng.choice(aw.instance_roles)
    iid = c.caller.session
    pip = private_ip(rng)
    return dict(rp={"instanceId": iid, "agentVersion": "3.3.40.0", "agentName": "amazon-ssm-agent", "platformType": "Linux",
                    "platformName": "Amazon Linux", "platformVersion": "2023", "iPAddress": pip,
                    "computerName": f"ip-{pip.replace('.', '-')}.{c.region}.compute.internal",
                    "agentStatus": "Active", "availabilityZone": f"{c.region}{rng.choice('abc')}",
                    "availabilityZoneId": f"{c.region[:3]}{c.region[-1]}-az{rng.randrange(1, 4)}"},
                re=None, ro=False, ua="amazon-ssm-agent/3.3.40.0", ip=ip(rng))


def n_send_command(c: Ctx):
    rng, aw = c.rng, c.aw
    cmds = [rng.choice(["yum -y update --security", "systemctl restart app", "df -h", "cat /etc/os-release",
                        "curl -s http://127.0.0.1:2022/api/v1/health", "/opt/app/bin/rotate-logs --keep 7"])
            for _ in range(rng.randrange(1, 5))]
    iids = rng.sample(aw.instances[c.region], rng.randrange(1, 5))
    cmd = {"commandId": uuid4(rng), "documentName": "AWS-RunShellScript", "documentVersion": "$DEFAULT", "comment": "",
           "expiresAfter": java_date(c.t + 7200), "parameters": {"commands": cmds}, "instanceIds": iids, "targets": [],
           "requestedDateTime": java_date(c.t), "status": "Pending", "statusDetails": "Pending", "outputS3Region": c.region,
           "outputS3BucketName": "", "outputS3KeyPrefix": "", "maxConcurrency": "50", "maxErrors": "0",
           "targetCount": len(iids), "completedCount": 0, "errorCount": 0, "deliveryTimedOutCount": 0, "serviceRole": "",
           "notificationConfig": {"notificationArn": "", "notificationEvents": [], "notificationType": ""},
           "cloudWatchOutputConfig": {"cloudWatchLogGroupName": "", "cloudWatchOutputEnabled": False},
           "interactive": False, "timeoutSeconds": 3600}
    return dict(rp={"instanceIds": iids, "documentName": "AWS-RunShellScript", "parameters": {"commands": cmds},
                    "interactive": False}, re={"command": cmd}, ro=False)


def n_get_secret_value(c: Ctx):
    rng = c.rng
    return dict(rp={"secretId": f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{rng.choice(c.aw.secrets)}-{alnum(rng, 6)}"},
                re=None, host=f"secretsmanager.{c.region}.amazonaws.com")


def n_ecr_auth(c: Ctx):
    return dict(rp={"registryIds": [c.account]} if c.rng.random() < 0.3 else None, re=None)


def n_ecs_describe_services(c: Ctx):
    rng = c.rng
    cl = rng.choice(c.aw.clusters)
    return dict(rp={"cluster": cl, "services": [f"{cl}-{w}" for w in rng.sample(WORDS, rng.randrange(1, 4))],
                    "include": ["TAGS"]}, re=None)


def n_ecs_run_task(c: Ctx):
    rng, aw = c.rng, c.aw
    cl = rng.choice(aw.clusters)
    td = f"arn:aws:ecs:{c.region}:{c.account}:task-definition/{cl}-job:{rng.randrange(1, 300)}"
    task_arn = f"arn:aws:ecs:{c.region}:{c.account}:task/{cl}/{hexs(rng, 32)}"
    containers = [{"containerArn": f"arn:aws:ecs:{c.region}:{c.account}:container/{cl}/{hexs(rng, 32)}/{uuid4(rng)}",
                   "taskArn": task_arn, "name": n, "image": f"{c.account}.dkr.ecr.{c.region}.amazonaws.com/{cl}-{n}:{hexs(rng, 40)}",
                   "lastStatus": "PENDING", "networkInterfaces": [], "cpu": "256", "memory": "512"}
                  for n in ("app", "sidecar", "log-router")[: rng.randrange(1, 4)]]
    task = {"attachments": [{"id": uuid4(rng), "type": "ElasticNetworkInterface", "status": "PRECREATED",
                             "details": [{"name": "subnetId", "value": rng.choice(aw.subnets[c.region])}]}],
            "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}], "availabilityZone": f"{c.region}a",
            "clusterArn": f"arn:aws:ecs:{c.region}:{c.account}:cluster/{cl}", "containers": containers, "cpu": "512",
            "createdAt": java_date(c.t), "desiredStatus": "RUNNING", "enableExecuteCommand": False, "group": f"family:{cl}-job",
            "lastStatus": "PROVISIONING", "launchType": "FARGATE", "memory": "1024", "overrides": {"containerOverrides": [{"name": "app"}],
            "inferenceAcceleratorOverrides": []}, "platformVersion": "1.4.0", "platformFamily": "Linux", "tags": [],
            "taskArn": task_arn, "taskDefinitionArn": td, "version": 1, "ephemeralStorage": {"sizeInGiB": 20}}
    return dict(rp={"cluster": cl, "count": 1, "launchType": "FARGATE", "taskDefinition": td,
                    "networkConfiguration": {"awsvpcConfiguration": {"subnets": rng.sample(aw.subnets[c.region], 2),
                                                                     "securityGroups": [rng.choice(aw.sgs[c.region])],
                                                                     "assignPublicIp": "DISABLED"}},
                    "overrides": {"containerOverrides": [{"name": "app", "command": ["python", "-m", "jobs.run", rng.choice(WORDS)]}]}},
                re={"tasks": [task], "failures": []}, ro=False)


def n_register_task_definition(c: Ctx):
    rng, aw = c.rng, c.aw
    cl = rng.choice(aw.clusters)
    cds = [{"name": n, "image": f"{c.account}.dkr.ecr.{c.region}.amazonaws.com/{cl}-{n}:{hexs(rng, 40)}", "cpu": 256,
            "memory": 512, "essential": True, "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
            "environment": [{"name": f"{w.upper()}_URL", "value": f"https://{w}.{cl}.internal"} for w in rng.sample(WORDS, 6)],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{rng.choice(aw.secrets)}"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/{cl}", "awslogs-region": c.region,
                                                                     "awslogs-stream-prefix": n}}}
           for n in ("app", "sidecar")]
    td = {"taskDefinitionArn": f"arn:aws:ecs:{c.region}:{c.account}:task-definition/{cl}-app:{rng.randrange(1, 400)}",
          "containerDefinitions": cds, "family": f"{cl}-app", "taskRoleArn": f"arn:aws:iam::{c.account}:role/{cl}-task",
          "executionRoleArn": f"arn:aws:iam::{c.account}:role/{cl}-exec", "networkMode": "awsvpc", "revision": 7,
          "volumes": [], "status": "ACTIVE", "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"},
                                                                    {"name": "ecs.capability.secrets.asm.environment-variables"}],
          "placementConstraints": [], "compatibilities": ["EC2", "FARGATE"], "requiresCompatibilities": ["FARGATE"],
          "cpu": "512", "memory": "1024", "registeredAt": java_date(c.t), "registeredBy": c.caller.arn or ""}
    return dict(rp={"family": f"{cl}-app", "containerDefinitions": cds, "networkMode": "awsvpc", "cpu": "512", "memory": "1024",
                    "requiresCompatibilities": ["FARGATE"]}, re={"taskDefinition": td, "tags": []}, ro=False)


def n_describe_stacks(c: Ctx):
    rng = c.rng
    return dict(rp={"stackName": f"arn:aws:cloudformation:{c.region}:{c.account}:stack/{rng.choice(c.aw.stacks)}/{uuid4(rng)}"}
                if rng.random() < 0.7 else None, re=None)


def n_describe_asgs(c: Ctx):
    rng = c.rng
    return dict(rp={"autoScalingGroupNames": rng.sample(c.aw.asgs, rng.randrange(1, 4))} if rng.random() < 0.6
                else {"maxRecords": 100}, re=None)


def n_describe_target_health(c: Ctx):
    rng = c.rng
    return dict(rp={"targetGroupArn": f"arn:aws:elasticloadbalancing:{c.region}:{c.account}:targetgroup/"
                                      f"{rng.choice(PROJECTS)}-{rng.choice(ENVS)}/{hexs(rng, 16)}"}, re=None)


def n_get_metric_data(c: Ctx):
    rng = c.rng
    q = [{"id": f"m{i}", "metricStat": {"metric": {"namespace": rng.choice(["AWS/EC2", "AWS/Lambda", "AWS/DynamoDB"]),
                                                    "metricName": rng.choice(["CPUUtilization", "Invocations", "Errors", "ConsumedReadCapacityUnits"]),
                                                    "dimensions": [{"name": "FunctionName", "value": rng.choice(c.aw.functions[c.region])}]},
                                         "period": 300, "stat": "Average"}, "returnData": True} for i in range(rng.randrange(1, 6))]
    return dict(rp={"metricDataQueries": q, "startTime": iso(c.t - 10800), "endTime": iso(c.t)}, re=None)


def n_put_evaluations(c: Ctx):
    rng, aw = c.rng, c.aw
    c.caller = aw.service_linked[1]
    ev = [{"complianceResourceType": "AWS::EC2::Instance", "complianceResourceId": i, "complianceType": rng.choice(["COMPLIANT", "NON_COMPLIANT"]),
           "orderingTimestamp": java_date(c.t)} for i in rng.sample(aw.instances[c.region], rng.randrange(1, 6))]
    return dict(rp={"evaluations": ev, "resultToken": b64(rng, rng.randrange(300, 900)), "testMode": False}, re=None, ro=False)


def n_get_sampling_rules(c: Ctx):
    return dict(rp=None, re=None)


def n_lookup_events(c: Ctx):
    return dict(rp={"startTime": java_date(c.t - 86400), "endTime": java_date(c.t), "maxResults": 50}, re=None)


@dataclass
class NoiseKind:
    source: str
    name: str
    weight: float
    build: object
    ro: bool = True
    global_only: bool = False
    burst: float = BURST_RATE   # chance the same caller makes this call again next


def _noise_catalog() -> list[NoiseKind]:
    N = NoiseKind
    cat = [
        N("sts.amazonaws.com", "AssumeRole", 5, n_assume_role, burst=0.2),
        N("sts.amazonaws.com", "AssumeRoleWithSAML", 0.4, n_assume_role_saml),
        N("sts.amazonaws.com", "AssumeRoleWithWebIdentity", 0.8, n_assume_role_webid),
        N("sts.amazonaws.com", "GetCallerIdentity", 3, n_get_caller_identity),
        N("kms.amazonaws.com", "Decrypt", 9, n_decrypt),
        N("kms.amazonaws.com", "GenerateDataKey", 6, n_generate_data_key),
        N("s3.amazonaws.com", "GetBucketAcl", 2.5, _s3_bucket("acl", out=544)),
        N("s3.amazonaws.com", "GetBucketLocation", 2.5, _s3_bucket("location", out=137)),
        N("s3.amazonaws.com", "GetBucketPolicy", 1.5, _s3_bucket("policy", ("NoSuchBucketPolicy", "The bucket policy does not exist", 0.4))),
        N("s3.amazonaws.com", "GetBucketVersioning", 1, _s3_bucket("versioning", out=113)),
        N("s3.amazonaws.com", "GetBucketEncryption", 1, _s3_bucket("encryption", ("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", 0.2))),
        N("s3.amazonaws.com", "GetBucketTagging", 1, _s3_bucket("tagging", ("NoSuchTagSet", "The TagSet does not exist", 0.3))),
        N("s3.amazonaws.com", "GetBucketPublicAccessBlock", 1, _s3_bucket("publicAccessBlock", out=342)),
        N("s3.amazonaws.com", "GetBucketLogging", 0.6, _s3_bucket("logging", out=163)),
        N("s3.amazonaws.com", "GetBucketReplication", 0.5, _s3_bucket("replication", ("ReplicationConfigurationNotFoundError", "The replication configuration was not found", 0.6))),
        N("s3.amazonaws.com", "ListBuckets", 1, n_list_buckets),
        N("ec2.amazonaws.com", "DescribeInstances", 4, n_describe_instances),
        N("ec2.amazonaws.com", "DescribeInstanceStatus", 2, n_describe_instance_status),
        N("ec2.amazonaws.com", "DescribeVolumes", 1, _ec2_describe("volume", "volumeId", "volumes")),
        N("ec2.amazonaws.com", "DescribeSecurityGroups", 1.2, _ec2_describe("securityGroupId", "groupId", "sgs")),
        N("ec2.amazonaws.com", "DescribeSubnets", 1, _ec2_describe("subnet", "subnetId", "subnets")),
        N("ec2.amazonaws.com", "DescribeVpcs", 0.6, _ec2_describe("vpc", "vpcId", "vpcs")),
        N("ec2.amazonaws.com", "DescribeImages", 0.6, n_describe_images),
        N("ec2.amazonaws.com", "CreateTags", 0.6, n_create_tags, ro=False),
        N("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 0.15, n_authorize_sg_ingress, ro=False),
        N("ec2.amazonaws.com", "CreateNetworkInterface", 0.2, n_create_network_interface, ro=False),
        N("iam.amazonaws.com", "GetRole", 1.5, _iam_read("GetRole"), global_only=True),
        N("iam.amazonaws.com", "ListRoles", 0.5, _iam_read("ListRoles"), global_only=True),
        N("iam.amazonaws.com", "GetPolicy", 0.6, _iam_read("GetPolicy"), global_only=True),
        N("iam.amazonaws.com", "ListAttachedRolePolicies", 0.6, _iam_read("ListAttachedRolePolicies"), global_only=True),
        N("iam.amazonaws.com", "ListRolePolicies", 0.4, _iam_read("ListRolePolicies"), global_only=True),
        N("iam.amazonaws.com", "GetUser", 0.4, _iam_read("GetUser"), global_only=True),
        N("iam.amazonaws.com", "PutRolePolicy", 0.08, n_put_role_policy, ro=False, global_only=True),
        N("iam.amazonaws.com", "AttachRolePolicy", 0.08, n_attach_role_policy, ro=False, global_only=True),
        N("signin.amazonaws.com", "ConsoleLogin", 0.08, n_console_login, ro=False, global_only=True),
        N("lambda.amazonaws.com", "GetFunction20150331v2", 1, _lambda_read("GetFunction20150331v2")),
        N("lambda.amazonaws.com", "ListFunctions20150331", 0.6, _lambda_read("ListFunctions20150331")),
        N("lambda.amazonaws.com", "GetFunctionConfiguration20150331v2", 0.5, _lambda_read("GetFunctionConfiguration20150331v2")),
        N("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", 0.1, n_update_function_configuration, ro=False),
        N("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", 0.15, n_update_function_code, ro=False),
        N("dynamodb.amazonaws.com", "DescribeTable", 2, _ddb_read("DescribeTable")),
        N("dynamodb.amazonaws.com", "ListTables", 0.6, _ddb_read("ListTables")),
        N("sns.amazonaws.com", "GetTopicAttributes", 1, _sns_read("GetTopicAttributes")),
        N("sns.amazonaws.com", "ListSubscriptionsByTopic", 0.4, _sns_read("ListSubscriptionsByTopic")),
        N("sns.amazonaws.com", "ListTopics", 0.4, _sns_read("ListTopics")),
        N("logs.amazonaws.com", "CreateLogStream", 2.5, n_create_log_stream, ro=False),
        N("logs.amazonaws.com", "DescribeLogGroups", 1, n_describe_log_groups),
        N("ssm.amazonaws.com", "GetParameter", 2, n_get_parameter),
        N("ssm.amazonaws.com", "GetParameters", 0.8, n_get_parameters),
        N("ssm.amazonaws.com", "UpdateInstanceInformation", 2, n_update_instance_information, ro=False),
        N("ssm.amazonaws.com", "SendCommand", 0.1, n_send_command, ro=False),
        N("secretsmanager.amazonaws.com", "GetSecretValue", 2, n_get_secret_value),
        N("ecr.amazonaws.com", "GetAuthorizationToken", 1, n_ecr_auth),
        N("ecs.amazonaws.com", "DescribeServices", 0.8, n_ecs_describe_services),
        N("ecs.amazonaws.com", "RunTask", 0.1, n_ecs_run_task, ro=False),
        N("ecs.amazonaws.com", "RegisterTaskDefinition", 0.04, n_register_task_definition, ro=False),
        N("cloudformation.amazonaws.com", "DescribeStacks", 1, n_describe_stacks),
        N("autoscaling.amazonaws.com", "DescribeAutoScalingGroups", 0.8, n_describe_asgs),
        N("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", 1, n_describe_target_health),
        N("monitoring.amazonaws.com", "GetMetricData", 1, n_get_metric_data),
        N("config.amazonaws.com", "PutEvaluations", 0.4, n_put_evaluations, ro=False),
        N("xray.amazonaws.com", "GetSamplingRules", 1, n_get_sampling_rules),
        N("cloudtrail.amazonaws.com", "LookupEvents", 0.05, n_lookup_events),
    ]
    return cat


