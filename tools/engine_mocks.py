"""The offline engine's mocks: the ids and computed outputs a real provider would return for
each resource, shaped like AWS's (ARNs embed the resource's name so a reader can tell what they
point to), the data sources' answers, and the mocked Parameter Store holding a stack's release
record. Secret values are never produced."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .stack_file import read_stack_config

ACCOUNT_ID = "123456789012"


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _last(arn_or_name: Any) -> str:
    return str(arn_or_name).rsplit("/", 1)[-1]


def mock_state(type_: str, name: str, inputs: dict[str, Any], region: str) -> tuple[str, dict]:
    """Id and computed outputs a real provider would return, shaped like AWS's."""
    acct = ACCOUNT_ID
    physical = inputs.get("name") or f"{name}-{_hex(name, 7)}"
    state: dict[str, Any] = {**inputs, "name": physical}
    module = type_.split(":")[1].split("/")[0] if type_.count(":") == 2 else ""
    if type_ == "aws:ec2/securityGroup:SecurityGroup":
        rid = f"sg-{_hex(name, 17)}"
        state["arn"] = f"arn:aws:ec2:{region}:{acct}:security-group/{rid}"
    elif type_.startswith("aws:vpc/securityGroup"):
        rid = f"sgr-{_hex(name, 17)}"
    elif type_ == "aws:ecs/cluster:Cluster":
        rid = f"arn:aws:ecs:{region}:{acct}:cluster/{physical}"
        state["arn"] = rid
    elif type_ == "aws:ecs/service:Service":
        rid = f"arn:aws:ecs:{region}:{acct}:service/{_last(inputs.get('cluster'))}/{physical}"
        state["arn"] = rid
    elif type_ == "aws:ecs/taskDefinition:TaskDefinition":
        family = inputs.get("family", name)
        rid = family
        state["arnWithoutRevision"] = f"arn:aws:ecs:{region}:{acct}:task-definition/{family}"
        state["arn"] = f"{state['arnWithoutRevision']}:1"
        state["revision"] = 1
    elif type_ == "aws:iam/role:Role":
        rid = physical
        state["arn"] = f"arn:aws:iam::{acct}:role{inputs.get('path') or '/'}{physical}"
        state["uniqueId"] = f"AROA{_hex(name, 17).upper()}"
    elif type_ == "aws:iam/policy:Policy":
        state["arn"] = f"arn:aws:iam::{acct}:policy{inputs.get('path') or '/'}{physical}"
        rid = state["arn"]
    elif type_ == "aws:iam/rolePolicy:RolePolicy":
        rid = f"{_last(inputs.get('role'))}:{physical}"
    elif type_ == "aws:cloudwatch/logGroup:LogGroup":
        rid = physical
        state["arn"] = f"arn:aws:logs:{region}:{acct}:log-group:{physical}"
    elif type_ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        rid = physical
        state["arn"] = f"arn:aws:cloudwatch:{region}:{acct}:alarm:{physical}"
    elif type_ == "aws:cloudwatch/compositeAlarm:CompositeAlarm":
        rid = physical = inputs.get("alarmName") or physical
        state["arn"] = f"arn:aws:cloudwatch:{region}:{acct}:alarm:{physical}"
    elif type_ == "aws:fis/experimentTemplate:ExperimentTemplate":
        # Ids like EXT1a2b3c4d5e6f7g8 (FIS API reference, ExperimentTemplate.id).
        rid = f"EXT{_hex(name, 14)}"
        state["arn"] = f"arn:aws:fis:{region}:{acct}:experiment-template/{rid}"
    elif type_ == "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace":
        rid = f"ns-{_hex(name, 16)}"
        state["arn"] = f"arn:aws:servicediscovery:{region}:{acct}:namespace/{rid}"
        state["hostedZone"] = f"Z{_hex(name, 20).upper()}"
    elif type_ == "aws:servicediscovery/service:Service":
        rid = f"srv-{_hex(name, 16)}"
        state["arn"] = f"arn:aws:servicediscovery:{region}:{acct}:service/{rid}"
    elif type_ == "aws:appautoscaling/target:Target":
        rid = str(inputs.get("resourceId", name))
        state["arn"] = f"arn:aws:application-autoscaling:{region}:{acct}:scalable-target/{name}"
    elif type_ == "aws:lb/targetGroup:TargetGroup":
        short = str(physical)[:32]
        rid = f"arn:aws:elasticloadbalancing:{region}:{acct}:targetgroup/{short}/{_hex(name, 16)}"
        state["arn"] = rid
        state["arnSuffix"] = rid.split(":")[-1]
    elif type_ == "aws:lb/loadBalancer:LoadBalancer":
        short = str(physical)[:32]
        rid = (
            f"arn:aws:elasticloadbalancing:{region}:{acct}:loadbalancer/app/{short}/"
            f"{_hex(name, 16)}"
        )
        state["arn"] = rid
        state["arnSuffix"] = rid.split(":loadbalancer/")[-1]
        state["dnsName"] = f"{short}-{_hex(name, 10)}.{region}.elb.amazonaws.com"
        state["zoneId"] = "Z32O12XQLNTSW2"
    elif type_ == "aws:lb/listener:Listener":
        rid = f"arn:aws:elasticloadbalancing:{region}:{acct}:listener/app/{name}/{_hex(name, 8)}"
        state["arn"] = rid
    elif type_ == "aws:s3/bucket:Bucket":
        # Auto-named buckets get a lower-case name; the id is the bucket name.
        physical = inputs.get("bucket") or f"{name}-{_hex(name, 7)}".lower()
        rid = physical
        state.update(name=physical, bucket=physical, arn=f"arn:aws:s3:::{physical}")
        state["bucketRegionalDomainName"] = f"{physical}.s3.{region}.amazonaws.com"
    elif type_ == "aws:wafv2/webAcl:WebAcl":
        rid = f"{_hex(name, 8)}-{_hex(name + 'id', 4)}-{_hex(name + 'x', 4)}-0000-{_hex(name, 12)}"
        scope = "regional" if inputs.get("scope") == "REGIONAL" else "global"
        state["arn"] = f"arn:aws:wafv2:{region}:{acct}:{scope}/webacl/{physical}/{rid}"
        state["capacity"] = 0
    elif type_ == "aws:lb/listenerRule:ListenerRule":
        rid = (
            f"arn:aws:elasticloadbalancing:{region}:{acct}:listener-rule/app/{name}/"
            f"{_hex(name, 16)}"
        )
        state["arn"] = rid
    elif type_ == "aws:sfn/stateMachine:StateMachine":
        # The id of a state machine is its ARN (service prefix `states`, not `sfn`).
        rid = f"arn:aws:states:{region}:{acct}:stateMachine:{physical}"
        state["arn"] = rid
    elif type_ == "aws:acm/certificate:Certificate":
        certificate_id = f"{_hex(name, 8)}-0000-0000-0000-{_hex(name, 12)}"
        rid = f"arn:aws:acm:{region}:{acct}:certificate/{certificate_id}"
        names = [inputs.get("domainName"), *(inputs.get("subjectAlternativeNames") or [])]
        state["arn"] = rid
        # What ACM asks for a DNS-validated name: one CNAME each, in no particular order.
        state["domainValidationOptions"] = [
            {
                "domainName": n,
                "resourceRecordName": f"_{_hex(n, 32)}.{n}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(n + 'v', 32)}.acm-validations.aws.",
            }
            for n in reversed([n for n in names if n])
        ]
    elif type_ == "aws:acm/certificateValidation:CertificateValidation":
        rid = str(inputs.get("certificateArn"))
    elif type_ == "aws:route53/record:Record":
        fqdn = str(inputs.get("name", "")).rstrip(".")
        rid = f"{inputs.get('zoneId')}_{fqdn}_{inputs.get('type')}"
        state["fqdn"] = fqdn
    elif type_ == "aws:sqs/queue:Queue":
        # A queue's id is its URL; its ARN ends with its name.
        rid = f"https://sqs.{region}.amazonaws.com/{acct}/{physical}"
        state.update(arn=f"arn:aws:sqs:{region}:{acct}:{physical}", url=rid)
    elif type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        host = str(inputs.get("url", "")).removeprefix("https://")
        rid = f"arn:aws:iam::{acct}:oidc-provider/{host}"
        state["arn"] = rid
    elif type_ == "aws:ssm/parameter:Parameter":
        # A parameter's id is its name; its ARN drops the name's leading slash.
        rid = physical
        state["arn"] = f"arn:aws:ssm:{region}:{acct}:parameter/{physical.lstrip('/')}"
    elif type_ == "aws:scheduler/scheduleGroup:ScheduleGroup":
        rid = physical
        state["arn"] = f"arn:aws:scheduler:{region}:{acct}:schedule-group/{physical}"
    elif type_ == "aws:scheduler/schedule:Schedule":
        group = inputs.get("groupName") or "default"
        rid = f"{group}/{physical}"
        state["arn"] = f"arn:aws:scheduler:{region}:{acct}:schedule/{group}/{physical}"
    elif type_ == "aws:cloudwatch/eventRule:EventRule":
        rid = physical
        state["arn"] = f"arn:aws:events:{region}:{acct}:rule/{physical}"
    elif type_.startswith("github:"):
        # GitHub settings (the bootstrap's repository settings): ids only, no ARN.
        rid = f"{name}-{_hex(name, 8)}"
        state = dict(inputs)
    elif (platform := platform_state(type_, name, inputs, region)) is not None:
        rid, computed = platform
        state.update(computed)
    else:
        service = module or "mock"
        rid = f"{name}-{_hex(name, 8)}"
        state["arn"] = f"arn:aws:{service}:{region}:{acct}:{_hex(type_, 4)}/{physical}"
    return rid, state


def platform_state(
    type_: str, name: str, inputs: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]] | None:
    """Id and computed outputs of the data, secret, image and alarm resources (None: other type).

    Secret values are never produced: a generated password is a fixed marked stand-in."""
    acct = ACCOUNT_ID
    uuid = f"{_hex(name, 8)}-{_hex(name + '1', 4)}-{_hex(name + '2', 4)}-{_hex(name + '3', 4)}-"
    uuid += _hex(name + "4", 12)
    if type_ == "aws:rds/instance:Instance":
        identifier = str(inputs.get("identifier") or f"{name}-{_hex(name, 7)}")
        address = f"{identifier}.c{_hex(name, 11)}.{region}.rds.amazonaws.com"
        port = int(inputs.get("port") or 5432)
        computed: dict[str, Any] = {
            "identifier": identifier,
            "address": address,
            "port": port,
            "endpoint": f"{address}:{port}",
            "arn": f"arn:aws:rds:{region}:{acct}:db:{identifier}",
            "resourceId": f"db-{_hex(name, 26).upper()}",
        }
        if inputs.get("manageMasterUserPassword"):
            # RDS names its managed secret rds!db-<uuid>; Secrets Manager appends 6 characters.
            computed["masterUserSecrets"] = [
                {
                    "secretArn": f"arn:aws:secretsmanager:{region}:{acct}:secret:rds!db-{uuid}-"
                    f"{_hex(name, 6)}",
                    "secretStatus": "active",
                    "kmsKeyId": f"arn:aws:kms:{region}:{acct}:key/{uuid}",
                }
            ]
        return identifier, computed
    if type_ in ("aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup"):
        physical = str(inputs.get("name") or f"{name}-{_hex(name, 7)}").lower()
        kind = "subgrp" if "subnet" in type_ else "pg"
        return physical, {"name": physical, "arn": f"arn:aws:rds:{region}:{acct}:{kind}:{physical}"}
    if type_ == "aws:elasticache/serverlessCache:ServerlessCache":
        cache = str(inputs.get("name") or f"{name}-{_hex(name, 7)}")
        host = (
            f"{cache}-{_hex(name, 6)}.serverless.{region.replace('-', '')[:6]}.cache.amazonaws.com"
        )
        return cache, {
            "arn": f"arn:aws:elasticache:{region}:{acct}:serverlesscache:{cache}",
            "endpoints": [{"address": host, "port": 6379}],
            "readerEndpoints": [{"address": host, "port": 6380}],
            "status": "available",
        }
    if type_ == "aws:elasticache/replicationGroup:ReplicationGroup":
        group = str(inputs.get("replicationGroupId") or f"{name}-{_hex(name, 7)}")
        host = f"{group}.{_hex(name, 6)}.{region.replace('-', '')[:6]}.cache.amazonaws.com"
        nodes = int(inputs.get("numCacheClusters") or 1)
        return group, {
            "replicationGroupId": group,
            "arn": f"arn:aws:elasticache:{region}:{acct}:replicationgroup:{group}",
            "primaryEndpointAddress": f"master.{host}",
            "readerEndpointAddress": f"replica.{host}",
            "memberClusters": [f"{group}-{i:03d}" for i in range(1, nodes + 1)],
            "port": int(inputs.get("port") or 6379),
        }
    if type_ in ("aws:elasticache/user:User", "aws:elasticache/userGroup:UserGroup"):
        # ElastiCache names RBAC users and groups by their ids (`user:<id>`, `usergroup:<id>`).
        kind, key = ("user", "userId") if type_.endswith(":User") else ("usergroup", "userGroupId")
        ident = str(inputs.get(key) or f"{name}-{_hex(name, 7)}")
        return ident, {"arn": f"arn:aws:elasticache:{region}:{acct}:{kind}:{ident}"}
    if type_ == "aws:elasticache/subnetGroup:SubnetGroup":
        physical = str(inputs.get("name") or f"{name}-{_hex(name, 7)}").lower()
        return physical, {
            "name": physical,
            "arn": f"arn:aws:elasticache:{region}:{acct}:subnetgroup:{physical}",
        }
    if type_ == "aws:secretsmanager/secret:Secret":
        secret = str(inputs.get("name") or f"{name}-{_hex(name, 7)}")
        arn = f"arn:aws:secretsmanager:{region}:{acct}:secret:{secret}-{_hex(name, 6)}"
        return arn, {"name": secret, "arn": arn}
    if type_ == "aws:secretsmanager/secretVersion:SecretVersion":
        version = uuid
        return f"{inputs.get('secretId')}|{version}", {"versionId": version, "arn": None}
    if type_ == "aws:ecr/repository:Repository":
        repository = str(inputs.get("name"))
        return repository, {
            "arn": f"arn:aws:ecr:{region}:{acct}:repository/{repository}",
            "registryId": acct,
            "repositoryUrl": f"{acct}.dkr.ecr.{region}.amazonaws.com/{repository}",
        }
    if type_ == "aws:ecr/lifecyclePolicy:LifecyclePolicy":
        return str(inputs.get("repository")), {"registryId": acct, "arn": None}
    if type_ == "aws:sns/topic:Topic":
        arn = f"arn:aws:sns:{region}:{acct}:{inputs.get('name') or name}"
        return arn, {"arn": arn}
    if type_ == "aws:sns/topicSubscription:TopicSubscription":
        arn = f"{inputs.get('topic')}:{uuid}"
        return arn, {"arn": arn}
    if type_ == "aws:kms/key:Key":
        return uuid, {"keyId": uuid, "arn": f"arn:aws:kms:{region}:{acct}:key/{uuid}"}
    if type_ == "aws:kms/alias:Alias":
        alias = str(inputs.get("name"))
        return alias, {"arn": f"arn:aws:kms:{region}:{acct}:{alias}"}
    if type_ == "aws:cloudwatch/dashboard:Dashboard":
        dashboard = str(inputs.get("dashboardName"))
        return dashboard, {"dashboardArn": f"arn:aws:cloudwatch::{acct}:dashboard/{dashboard}"}
    if type_ == "random:index/randomPassword:RandomPassword":
        length = int(inputs.get("length") or 16)
        stand_in = ("offlineNotASecret0" * (length // 18 + 1))[:length]
        return "none", {"result": stand_in, "bcryptHash": "offline", "arn": None}
    return None


GITHUB_LOOKUPS = {
    "github:index/getTeam:getTeam": "slug",
    "github:index/getUser:getUser": "username",
}
"""The GitHub provider's look-ups the bootstrap makes (reviewers by name) -> the name's key."""


def offline_mocks(region: str, parameters: ParameterStore | None = None):
    import pulumi

    class OfflineMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            if not args.custom:
                # Multi-language components (awsx) are registered once; their children live in
                # the plugin. Return their outputs, never the inputs (type clashes).
                return f"{args.name}-id", component_outputs(args.typ, args.name, args.inputs)
            return mock_state(args.typ, args.name, dict(args.inputs), region)

        def call(self, args: pulumi.runtime.MockCallArgs):
            token = args.token
            if token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    "accountId": ACCOUNT_ID,
                    "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
                    "userId": "AIDAOFFLINE",
                    "id": ACCOUNT_ID,
                }
            if token == "aws:index/getRegion:getRegion":
                return {"name": region, "region": region, "id": region}
            if token == "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
            if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
                names = [f"{region}{s}" for s in "abc"]
                return {"names": names, "zoneIds": [f"euw1-az{i}" for i in (1, 2, 3)]}
            if token in GITHUB_LOOKUPS:
                # A team's or user's numeric id (as text, like the provider), from its name.
                key = GITHUB_LOOKUPS[token]
                value = str(args.args.get(key))
                return {key: value, "id": str(int(_hex(value, 7), 16)), "nodeId": _hex(value, 12)}
            if token == "aws:ssm/getParametersByPath:getParametersByPath":
                path = str(args.args["path"]).rstrip("/")
                found = parameters(path) if parameters is not None else {}
                names = sorted(n for n in found if n.rsplit("/", 1)[0] == path)
                return {
                    "id": path,
                    "path": path,
                    "names": names,
                    "values": [found[n] for n in names],
                    "types": ["String"] * len(names),
                    "arns": [f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter{n}" for n in names],
                    "recursive": False,
                    "withDecryption": False,
                }
            if token in ("aws:ec2/getSubnet:getSubnet", "aws:ec2/getVpc:getVpc"):
                # An existing VPC's block (/16) or subnet's (/24), derived from its id.
                ident = str(args.args.get("id"))
                octet, third = int(_hex(ident, 2), 16), int(_hex(ident + "/", 2), 16)
                vpc = token.endswith("getVpc")
                cidr = f"10.{octet}.0.0/16" if vpc else f"10.{octet}.{third}.0/24"
                return {"id": ident, "cidrBlock": cidr, "vpcId": ident if vpc else "vpc-offline"}
            return {}

    return OfflineMocks()


ParameterStore = Any
"""`path -> {parameter name: value}`: what the mocked Parameter Store holds under a path."""

EXAMPLE_RELEASE = "example"
"""`run_program(release=...)` default: every built image at a stand-in digest (tools/release)."""


def release_store(release: str | None, values: dict[str, str], project: str) -> ParameterStore:
    """The mocked Parameter Store for a stack's release record: `release` is the record's JSON,
    None for a stack no deploy ever recorded, or EXAMPLE_RELEASE for a stand-in built from the
    stack's own settings (what the offline plan shows by default)."""

    def store(path: str) -> dict[str, str]:
        if not path.endswith("/release") or release is None:
            return {}
        text = release
        if release == EXAMPLE_RELEASE:
            text = _example_release(values, project)
            if text is None:
                return {}
        return {f"{path}/current": text}

    return store


def example_release(project_dir: Path | str, stack: str) -> str | None:
    """The stand-in release record the offline plan of a committed stack reads (JSON)."""
    stack_config = read_stack_config(Path(project_dir).resolve(), stack)
    return _example_release(stack_config.values, stack_config.project)


def _example_release(values: dict[str, str], project: str) -> str | None:
    from accessweaver_components.stack import ConfigError, settings_from_mapping
    from accessweaver_components.stack.loader import parse_raw_value

    from .release import example_record

    prefix = f"{project}:"
    raw = {
        key[len(prefix) :]: parse_raw_value(key[len(prefix) :], value)
        for key, value in values.items()
        if key.startswith(prefix)
    }
    try:
        settings = settings_from_mapping(
            raw,
            namespace=project,
            stack_file="(example release)",
            region=values.get("aws:region", "eu-west-1"),
            account_id=ACCOUNT_ID,
        )
    except ConfigError:
        return None  # the program refuses this config itself
    return example_record(settings)


def component_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs of multi-language components whose children the mocks cannot see."""
    if type_ == "awsx:ec2:Vpc":
        azs = int(inputs.get("numberOfAvailabilityZones") or 2)
        return {
            "vpcId": f"vpc-{_hex(name, 17)}",
            "publicSubnetIds": [f"subnet-{_hex(name + 'pub' + str(i), 17)}" for i in range(azs)],
            "privateSubnetIds": [f"subnet-{_hex(name + 'prv' + str(i), 17)}" for i in range(azs)],
            "isolatedSubnetIds": [],
            "natGateways": [],
        }
    return {}
