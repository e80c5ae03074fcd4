"""The offline engine: run a Pulumi program under the SDK's mocks and record what it registers.

Used by the tests and by `python -m tools.plan`, so both see the same thing. It reads the stack's
`Pulumi.<stack>.yaml` (plus the project's config defaults) the way the CLI hands config to a
program, records every registration (type, name, parent, inputs, options) and returns the stack
outputs. Mocked ids and ARNs embed the resource's name so a reader can tell what they point to.
docs/DESIGN.md ("Offline engine") lists the engine facts this relies on.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import runpy
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .stack_file import StackConfigFile, read_stack_config

__all__ = ["StackConfigFile", "read_stack_config"]

ACCOUNT_ID = "123456789012"
SECRET_PLACEHOLDER = "[secret]"
STACK_FILE_ENV = "STACK_CONFIG_FILE"  # read by components.stack.loader


@dataclass(frozen=True)
class RecordedResource:
    type: str
    name: str
    parent: str | None
    """`<type>::<name>` of the parent, None for resources directly under the stack."""
    custom: bool
    inputs: dict[str, Any]
    ignore_changes: tuple[str, ...] = ()
    protect: bool = False
    depends_on: tuple[str, ...] = ()
    transforms: tuple[str, ...] = ()
    """Names of the resource transforms in its options (run by the engine on its children)."""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Input property (camelCase) -> `<type>::<name>` of the resources its value comes from:
    what links a rule to its groups or a task to its roles before ids are known."""
    urn: str = ""
    """The URN the Pulumi engine gives the resource (full parent type chain, as in a real
    stack's state; the mock monitor's own URNs keep only the direct parent's type)."""
    aliases: tuple[str, ...] = ()
    """Full URNs the resource answers to besides `urn` (its `aliases` option, and those it
    inherits from an aliased parent): where a deployed stack may still hold it."""
    property_dependency_urns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """`property_dependencies` by engine URN, as a stack export's `propertyDependencies`."""
    remote: bool = False
    """A multi-language component (awsx's `Vpc`): its children live in its provider's process,
    invisible to the mock engine, while a real stack's state holds them."""

    @property
    def key(self) -> str:
        return f"{self.type}::{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "urn": self.urn,
            "aliases": list(self.aliases),
            "custom": self.custom,
            "inputs": self.inputs,
            "propertyDependencies": {
                key: sorted(urns)
                for key, urns in sorted(self.property_dependency_urns.items())
                if urns
            },
        }


@dataclass
class PlanResult:
    project: str
    stack: str
    stack_file: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    """The config the program ran with (`<namespace>:<key>` -> string): the policy pack reads it."""

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> RecordedResource:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} resources of type {type_} named {name}")
        return matches[0]

    def children_of(self, parent: RecordedResource) -> list[RecordedResource]:
        return [r for r in self.resources if r.parent == parent.key]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            # by URN: the mock engine's registration order varies from run to run, a plan's
            # JSON does not (two plans of one program compare byte for byte)
            "resources": [r.to_json() for r in sorted(self.resources, key=lambda r: r.urn)],
            "outputs": self.outputs,
        }


# -------------------------------------------------------------------------------------------
# Mocks
# -------------------------------------------------------------------------------------------


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


def _mocks(region: str, parameters: ParameterStore | None = None):
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
    from components.stack import ConfigError, settings_from_mapping
    from components.stack.loader import parse_raw_value

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


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(urn: str) -> str:
    """The `parent$child` type chain of a URN ("" for the root stack)."""
    chain = urn.split("::")[2]
    return "" if chain == ROOT_STACK_TYPE else chain


def make_urn(stack: str, project: str, parent_urn: str | None, type_: str, name: str) -> str:
    """A URN as the Pulumi engine builds it: the parent's full type chain, `$`, the type; the
    root stack's type is left out of its children's."""
    parent_chain = qualified_type(parent_urn) if parent_urn else ""
    chain = f"{parent_chain}${type_}" if parent_chain else type_
    return f"urn:pulumi:{stack}::{project}::{chain}::{name}"


def alias_urns(
    request: Any, *, urn: str, parent_urn: str | None, parent_aliases: tuple[str, ...]
) -> tuple[str, ...]:
    """Every URN a registration answers to besides its own: its alias specs resolved the way
    the engine resolves them (unset name, type, stack, project and parent default to the
    resource's own), plus the same URNs under each alias of its parent (the engine gives a
    child of an aliased component those too)."""
    stack, project = urn.split("::")[0].split(":")[2], urn.split("::")[1]
    found: list[str] = []
    parents = [parent_urn, *parent_aliases]
    for alias in request.aliases:
        if alias.urn:
            found.append(alias.urn)
            continue
        spec = alias.spec
        if spec.noParent:
            candidates: list[str | None] = [None]
        elif spec.parentUrn:
            candidates = [spec.parentUrn]
        else:
            candidates = parents
        for parent in candidates:
            found.append(
                make_urn(
                    spec.stack or stack,
                    spec.project or project,
                    parent,
                    spec.type or request.type,
                    spec.name or request.name,
                )
            )
    for parent in parent_aliases:
        found.append(make_urn(stack, project, parent, request.type, request.name))
    return tuple(dict.fromkeys(u for u in found if u != urn))


def _recording_monitor(mocks):
    from pulumi.runtime import rpc
    from pulumi.runtime.mocks import MockMonitor, _resolve_callbacks
    from pulumi.runtime.proto import resource_pb2

    class RecordingMonitor(MockMonitor):
        def __init__(self, mocks_):
            super().__init__(mocks_)
            self.recorded: list[RecordedResource] = []
            self._names: dict[str, str] = {}
            # Mock URN -> (engine URN, its aliases); the root stack has neither.
            self._urns: dict[str, tuple[str | None, tuple[str, ...]]] = {}

        def RegisterResource(self, request):
            response = super().RegisterResource(request)
            urn = response.urn
            if request.type == ROOT_STACK_TYPE:
                self._urns[urn] = (None, ())
            else:
                self._names[urn] = f"{request.type}::{request.name}"
                parent_urn, parent_aliases = self._urns.get(request.parent, (None, ()))
                real = make_urn(
                    urn.split("::")[0].split(":")[2],
                    urn.split("::")[1],
                    parent_urn,
                    request.type,
                    request.name,
                )
                aliases = alias_urns(
                    request, urn=real, parent_urn=parent_urn, parent_aliases=parent_aliases
                )
                self._urns[urn] = (real, aliases)
                inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
                self.recorded.append(
                    RecordedResource(
                        type=request.type,
                        name=request.name,
                        parent=self._names.get(request.parent),
                        custom=bool(request.custom),
                        inputs=mask_secrets(inputs),
                        ignore_changes=tuple(request.ignoreChanges),
                        protect=bool(request.protect),
                        depends_on=tuple(self._names.get(d, d) for d in request.dependencies),
                        property_dependencies={
                            key: tuple(self._names.get(u, u) for u in value.urns)
                            for key, value in request.propertyDependencies.items()
                        },
                        property_dependency_urns={
                            key: tuple(self._urns.get(u, (u, ()))[0] or u for u in value.urns)
                            for key, value in request.propertyDependencies.items()
                        },
                        remote=bool(request.remote),
                        transforms=tuple(
                            getattr(fn, "__name__", repr(fn))
                            for fn in _resolve_callbacks(request.transforms)
                        ),
                        urn=real,
                        aliases=aliases,
                    )
                )
            return response

        def GetDeploymentInfo(self, request):
            # Resource references make Resource-valued inputs resolve on another event loop
            # under mocks; the program passes ids and ARNs, so nothing is lost without them.
            info = super().GetDeploymentInfo(request)
            features = [
                f
                for f in info.supportedFeatures
                if f != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
            ]
            return resource_pb2.DeploymentInfo(supportedFeatures=features)

        def SupportsFeature(self, request):
            if request.id == "resourceReferences":
                return type("SupportsFeatureResponse", (), {"hasSupport": False})
            return super().SupportsFeature(request)

    return RecordingMonitor(mocks)


def mask_secrets(value: Any) -> Any:
    from pulumi.runtime import rpc

    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_PLACEHOLDER
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


# -------------------------------------------------------------------------------------------
# Running a program
# -------------------------------------------------------------------------------------------


@contextmanager
def _environment(name: str, value: str):
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextmanager
def _cyclic_gc_paused():
    """Pause the cyclic garbage collector for one run.

    Importing the SDK modules and registering a few hundred resources allocate hundreds of
    thousands of long-lived objects; every full collection rescans them all, which cost about
    0.8 s of a 3.8 s prod plan. Nothing in a run depends on cycles being collected, and the
    collector is restored (not forced) afterwards, so a test process stays bounded.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_program(
    project_dir: Path | str,
    stack: str,
    config_file: Path | None = None,
    *,
    config_override: dict[str, str] | None = None,
    release: str | None = EXAMPLE_RELEASE,
) -> PlanResult:
    """Run `<project_dir>/__main__.py` for `stack` offline. Raises the program's exceptions
    (ConfigError for bad config) after resetting the runtime. `release`: the stack's release
    record as Parameter Store would hold it (`release_store`)."""
    project_dir = Path(project_dir).resolve()
    stack_config = read_stack_config(project_dir, stack, config_file)
    values = {**stack_config.values, **(config_override or {})}
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    with _environment(STACK_FILE_ENV, stack_config.label):
        return _run(
            lambda: runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__"),
            project=stack_config.project,
            stack=stack,
            label=stack_config.label,
            values=values,
            secret_keys=stack_config.secret_keys,
            parameters=release_store(release, values, stack_config.project),
        )


def run_function(
    program: Any,
    *,
    project: str = "app",
    stack: str = "dev",
    config: dict[str, str] | None = None,
) -> PlanResult:
    """Run `program()` as a Pulumi program offline, with `config` (`<namespace>:<key>` ->
    string) and no stack file: how a user tests components in a program of their own."""
    values = {"aws:region": "eu-west-1", **(config or {})}
    return _run(
        program, project=project, stack=stack, label="(no stack file)", values=values,
        secret_keys=[],
    )  # fmt: skip


def _run(
    program: Any,
    *,
    project: str,
    stack: str,
    label: str,
    values: dict[str, str],
    secret_keys: list[str],
    parameters: ParameterStore | None = None,
) -> PlanResult:
    import pulumi
    from pulumi.runtime import settings as runtime_settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    region = values.get("aws:region", "eu-west-1")
    result = PlanResult(project, stack, label, config=values)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.ROOT.set(None)
    set_all_config(values, secret_keys)
    _skip_stack_traces()
    monitor = _recording_monitor(_mocks(region, parameters))
    pulumi.runtime.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor
    )
    try:
        with _cyclic_gc_paused():
            _sync_await(run_pulumi_func(program))
    except Exception as error:
        # What was registered before the failure (tests assert: nothing).
        error.recorded = list(monitor.recorded)  # type: ignore[attr-defined]
        raise
    try:
        root = runtime_settings.get_root_resource()
        result.outputs = {
            name: _resolve_output(value) for name, value in sorted(root.outputs.items())
        }
        result.resources = list(monitor.recorded)
    finally:
        runtime_settings.ROOT.set(None)
        set_all_config({}, [])
        loop.close()
        asyncio.set_event_loop(None)
    # As strict as the provider: nested keys, types and choices the mocks accept (and the
    # provider refuses at `pulumi up`) fail the run.
    from .provider_inputs import ProviderInputError, problems

    found = problems(result.resources)
    if found:
        error = ProviderInputError(
            f"{len(found)} input(s) the provider would refuse:\n  - " + "\n  - ".join(found)
        )
        error.recorded = result.resources  # type: ignore[attr-defined]
        raise error
    return result


def _skip_stack_traces() -> None:
    """The SDK walks the Python stack (`traceback.extract_stack`, source lines included) at
    every registration, to tell the engine where a resource was declared; nothing offline reads
    it, and it was a tenth of a run."""
    import pulumi.runtime.resource as sdk_resource
    from pulumi.runtime.proto import source_pb2

    sdk_resource._get_stack_trace = source_pb2.StackTrace  # an empty trace, as the SDK's fallback


def _resolve_output(value: Any) -> Any:
    import pulumi
    from pulumi.runtime.sync_await import _sync_await

    output = pulumi.Output.from_input(value)
    resolved = _sync_await(output.future())
    if _sync_await(output.is_secret()):
        return SECRET_PLACEHOLDER
    return mask_secrets(resolved)
