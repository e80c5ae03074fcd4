"""What a real provider would return for each resource type, offline: its id and computed
outputs, shaped like AWS's (ARNs embed the resource's name so a reader can tell what they point
to), one function per group of resource types. Secret values are never produced.

`mock_state` (re-exported by tools/engine_mocks.py and tools/engine.py) asks each group in turn;
a group returns None for a type it does not know. Each group takes the resource's type, logical
name, inputs, region and physical name (its `name` input, or the name with a suffix, as Pulumi
auto-names it) and returns `(id, computed outputs)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

ACCOUNT_ID = "123456789012"

State = tuple[str, dict[str, Any]]
"""A resource's id and the outputs its provider computes."""


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _last(arn_or_name: Any) -> str:
    return str(arn_or_name).rsplit("/", 1)[-1]


def _uuid(name: str) -> str:
    """A UUID-shaped id derived from the name (KMS keys, secret versions, subscriptions)."""
    uuid = f"{_hex(name, 8)}-{_hex(name + '1', 4)}-{_hex(name + '2', 4)}-{_hex(name + '3', 4)}-"
    return uuid + _hex(name + "4", 12)


def _network_state(type_: str, name: str, inputs: dict, region: str, physical: Any) -> State | None:
    """Security groups and their rules, Cloud Map namespaces and services."""
    acct = ACCOUNT_ID
    if type_ == "aws:ec2/securityGroup:SecurityGroup":
        rid = f"sg-{_hex(name, 17)}"
        return rid, {"arn": f"arn:aws:ec2:{region}:{acct}:security-group/{rid}"}
    if type_.startswith("aws:vpc/securityGroup"):
        return f"sgr-{_hex(name, 17)}", {}
    if type_ == "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace":
        rid = f"ns-{_hex(name, 16)}"
        return rid, {
            "arn": f"arn:aws:servicediscovery:{region}:{acct}:namespace/{rid}",
            "hostedZone": f"Z{_hex(name, 20).upper()}",
        }
    if type_ == "aws:servicediscovery/service:Service":
        rid = f"srv-{_hex(name, 16)}"
        return rid, {"arn": f"arn:aws:servicediscovery:{region}:{acct}:service/{rid}"}
    return None


def _compute_state(type_: str, name: str, inputs: dict, region: str, physical: Any) -> State | None:
    """ECS clusters, services and task definitions, and their autoscaling targets."""
    acct = ACCOUNT_ID
    if type_ == "aws:ecs/cluster:Cluster":
        rid = f"arn:aws:ecs:{region}:{acct}:cluster/{physical}"
        return rid, {"arn": rid}
    if type_ == "aws:ecs/service:Service":
        rid = f"arn:aws:ecs:{region}:{acct}:service/{_last(inputs.get('cluster'))}/{physical}"
        return rid, {"arn": rid}
    if type_ == "aws:ecs/taskDefinition:TaskDefinition":
        family = inputs.get("family", name)
        without_revision = f"arn:aws:ecs:{region}:{acct}:task-definition/{family}"
        return family, {
            "arnWithoutRevision": without_revision,
            "arn": f"{without_revision}:1",
            "revision": 1,
        }
    if type_ == "aws:appautoscaling/target:Target":
        rid = str(inputs.get("resourceId", name))
        arn = f"arn:aws:application-autoscaling:{region}:{acct}:scalable-target/{name}"
        return rid, {"arn": arn}
    return None


def _identity_state(
    type_: str, name: str, inputs: dict, region: str, physical: Any
) -> State | None:
    """IAM roles, policies and OIDC providers."""
    acct = ACCOUNT_ID
    if type_ == "aws:iam/role:Role":
        return physical, {
            "arn": f"arn:aws:iam::{acct}:role{inputs.get('path') or '/'}{physical}",
            "uniqueId": f"AROA{_hex(name, 17).upper()}",
        }
    if type_ == "aws:iam/policy:Policy":
        arn = f"arn:aws:iam::{acct}:policy{inputs.get('path') or '/'}{physical}"
        return arn, {"arn": arn}
    if type_ == "aws:iam/rolePolicy:RolePolicy":
        return f"{_last(inputs.get('role'))}:{physical}", {}
    if type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        host = str(inputs.get("url", "")).removeprefix("https://")
        rid = f"arn:aws:iam::{acct}:oidc-provider/{host}"
        return rid, {"arn": rid}
    return None


def _operations_state(
    type_: str, name: str, inputs: dict, region: str, physical: Any
) -> State | None:
    """Logs, alarms, fault-injection experiments, schedules, event rules, state machines."""
    acct = ACCOUNT_ID
    if type_ == "aws:cloudwatch/logGroup:LogGroup":
        return physical, {"arn": f"arn:aws:logs:{region}:{acct}:log-group:{physical}"}
    if type_ == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return physical, {"arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{physical}"}
    if type_ == "aws:cloudwatch/compositeAlarm:CompositeAlarm":
        alarm = inputs.get("alarmName") or physical
        return alarm, {"arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{alarm}"}
    if type_ == "aws:fis/experimentTemplate:ExperimentTemplate":
        # Ids like EXT1a2b3c4d5e6f7g8 (FIS API reference, ExperimentTemplate.id).
        rid = f"EXT{_hex(name, 14)}"
        return rid, {"arn": f"arn:aws:fis:{region}:{acct}:experiment-template/{rid}"}
    if type_ == "aws:sfn/stateMachine:StateMachine":
        # The id of a state machine is its ARN (service prefix `states`, not `sfn`).
        rid = f"arn:aws:states:{region}:{acct}:stateMachine:{physical}"
        return rid, {"arn": rid}
    if type_ == "aws:scheduler/scheduleGroup:ScheduleGroup":
        return physical, {"arn": f"arn:aws:scheduler:{region}:{acct}:schedule-group/{physical}"}
    if type_ == "aws:scheduler/schedule:Schedule":
        group = inputs.get("groupName") or "default"
        arn = f"arn:aws:scheduler:{region}:{acct}:schedule/{group}/{physical}"
        return f"{group}/{physical}", {"arn": arn}
    if type_ == "aws:cloudwatch/eventRule:EventRule":
        return physical, {"arn": f"arn:aws:events:{region}:{acct}:rule/{physical}"}
    return None


def _load_balancer_state(
    type_: str, name: str, inputs: dict, region: str, physical: Any
) -> State | None:
    """The load balancer, its listeners, rules and target groups."""
    prefix = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT_ID}"
    if type_ == "aws:lb/targetGroup:TargetGroup":
        rid = f"{prefix}:targetgroup/{str(physical)[:32]}/{_hex(name, 16)}"
        return rid, {"arn": rid, "arnSuffix": rid.split(":")[-1]}
    if type_ == "aws:lb/loadBalancer:LoadBalancer":
        short = str(physical)[:32]
        rid = f"{prefix}:loadbalancer/app/{short}/{_hex(name, 16)}"
        return rid, {
            "arn": rid,
            "arnSuffix": rid.split(":loadbalancer/")[-1],
            "dnsName": f"{short}-{_hex(name, 10)}.{region}.elb.amazonaws.com",
            "zoneId": "Z32O12XQLNTSW2",
        }
    if type_ == "aws:lb/listener:Listener":
        rid = f"{prefix}:listener/app/{name}/{_hex(name, 8)}"
        return rid, {"arn": rid}
    if type_ == "aws:lb/listenerRule:ListenerRule":
        rid = f"{prefix}:listener-rule/app/{name}/{_hex(name, 16)}"
        return rid, {"arn": rid}
    return None


def _edge_state(type_: str, name: str, inputs: dict, region: str, physical: Any) -> State | None:
    """The web ACL, certificates and their validation, DNS records."""
    acct = ACCOUNT_ID
    if type_ == "aws:wafv2/webAcl:WebAcl":
        rid = f"{_hex(name, 8)}-{_hex(name + 'id', 4)}-{_hex(name + 'x', 4)}-0000-{_hex(name, 12)}"
        scope = "regional" if inputs.get("scope") == "REGIONAL" else "global"
        arn = f"arn:aws:wafv2:{region}:{acct}:{scope}/webacl/{physical}/{rid}"
        return rid, {"arn": arn, "capacity": 0}
    if type_ == "aws:acm/certificate:Certificate":
        certificate_id = f"{_hex(name, 8)}-0000-0000-0000-{_hex(name, 12)}"
        rid = f"arn:aws:acm:{region}:{acct}:certificate/{certificate_id}"
        names = [inputs.get("domainName"), *(inputs.get("subjectAlternativeNames") or [])]
        # What ACM asks for a DNS-validated name: one CNAME each, in no particular order.
        validations = [
            {
                "domainName": n,
                "resourceRecordName": f"_{_hex(n, 32)}.{n}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(n + 'v', 32)}.acm-validations.aws.",
            }
            for n in reversed([n for n in names if n])
        ]
        return rid, {"arn": rid, "domainValidationOptions": validations}
    if type_ == "aws:acm/certificateValidation:CertificateValidation":
        return str(inputs.get("certificateArn")), {}
    if type_ == "aws:route53/record:Record":
        fqdn = str(inputs.get("name", "")).rstrip(".")
        return f"{inputs.get('zoneId')}_{fqdn}_{inputs.get('type')}", {"fqdn": fqdn}
    return None


def _storage_state(type_: str, name: str, inputs: dict, region: str, physical: Any) -> State | None:
    """Buckets, queues and parameters."""
    acct = ACCOUNT_ID
    if type_ == "aws:s3/bucket:Bucket":
        # Auto-named buckets get a lower-case name; the id is the bucket name.
        bucket = inputs.get("bucket") or f"{name}-{_hex(name, 7)}".lower()
        return bucket, {
            "name": bucket,
            "bucket": bucket,
            "arn": f"arn:aws:s3:::{bucket}",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
        }
    if type_ == "aws:sqs/queue:Queue":
        # A queue's id is its URL; its ARN ends with its name.
        rid = f"https://sqs.{region}.amazonaws.com/{acct}/{physical}"
        return rid, {"arn": f"arn:aws:sqs:{region}:{acct}:{physical}", "url": rid}
    if type_ == "aws:ssm/parameter:Parameter":
        # A parameter's id is its name; its ARN drops the name's leading slash.
        return physical, {"arn": f"arn:aws:ssm:{region}:{acct}:parameter/{physical.lstrip('/')}"}
    return None


def _database_state(type_: str, name: str, inputs: dict, region: str) -> State | None:
    """RDS instances (with the secret RDS manages for them) and their groups."""
    acct = ACCOUNT_ID
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
            uuid = _uuid(name)
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
    return None


def _cache_state(type_: str, name: str, inputs: dict, region: str) -> State | None:
    """ElastiCache caches, their RBAC users and groups, and subnet groups."""
    acct = ACCOUNT_ID
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
    return None


def _secret_state(type_: str, name: str, inputs: dict, region: str) -> State | None:
    """Secrets and their versions, KMS keys and aliases, generated passwords (a fixed marked
    stand-in: secret values are never produced)."""
    acct = ACCOUNT_ID
    if type_ == "aws:secretsmanager/secret:Secret":
        secret = str(inputs.get("name") or f"{name}-{_hex(name, 7)}")
        arn = f"arn:aws:secretsmanager:{region}:{acct}:secret:{secret}-{_hex(name, 6)}"
        return arn, {"name": secret, "arn": arn}
    if type_ == "aws:secretsmanager/secretVersion:SecretVersion":
        version = _uuid(name)
        return f"{inputs.get('secretId')}|{version}", {"versionId": version, "arn": None}
    if type_ == "aws:kms/key:Key":
        uuid = _uuid(name)
        return uuid, {"keyId": uuid, "arn": f"arn:aws:kms:{region}:{acct}:key/{uuid}"}
    if type_ == "aws:kms/alias:Alias":
        alias = str(inputs.get("name"))
        return alias, {"arn": f"arn:aws:kms:{region}:{acct}:{alias}"}
    if type_ == "random:index/randomPassword:RandomPassword":
        length = int(inputs.get("length") or 16)
        stand_in = ("offlineNotASecret0" * (length // 18 + 1))[:length]
        return "none", {"result": stand_in, "bcryptHash": "offline", "arn": None}
    return None


def _image_and_alert_state(type_: str, name: str, inputs: dict, region: str) -> State | None:
    """Image repositories and their lifecycle, alarm topics and subscriptions, dashboards."""
    acct = ACCOUNT_ID
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
        arn = f"{inputs.get('topic')}:{_uuid(name)}"
        return arn, {"arn": arn}
    if type_ == "aws:cloudwatch/dashboard:Dashboard":
        dashboard = str(inputs.get("dashboardName"))
        return dashboard, {"dashboardArn": f"arn:aws:cloudwatch::{acct}:dashboard/{dashboard}"}
    return None


_NAMED_GROUPS: tuple[Callable[[str, str, dict, str, Any], State | None], ...] = (
    _network_state,
    _compute_state,
    _identity_state,
    _operations_state,
    _load_balancer_state,
    _edge_state,
    _storage_state,
)
"""The groups whose outputs build on the physical name (`name` input or auto-name)."""

_PLATFORM_GROUPS: tuple[Callable[[str, str, dict, str], State | None], ...] = (
    _database_state,
    _cache_state,
    _secret_state,
    _image_and_alert_state,
)
"""The data, secret, image and alarm resources, which name themselves."""


def platform_state(
    type_: str, name: str, inputs: dict[str, Any], region: str
) -> tuple[str, dict[str, Any]] | None:
    """Id and computed outputs of the data, secret, image and alarm resources (None: other type).

    Secret values are never produced: a generated password is a fixed marked stand-in."""
    for group in _PLATFORM_GROUPS:
        found = group(type_, name, inputs, region)
        if found is not None:
            return found
    return None


def mock_state(type_: str, name: str, inputs: dict[str, Any], region: str) -> tuple[str, dict]:
    """Id and computed outputs a real provider would return, shaped like AWS's."""
    if type_.startswith("github:"):
        # GitHub settings (the bootstrap's repository settings): ids only, no ARN.
        return f"{name}-{_hex(name, 8)}", dict(inputs)
    physical = inputs.get("name") or f"{name}-{_hex(name, 7)}"
    state: dict[str, Any] = {**inputs, "name": physical}
    for group in _NAMED_GROUPS:
        found = group(type_, name, inputs, region, physical)
        if found is not None:
            state.update(found[1])
            return found[0], state
    platform = platform_state(type_, name, inputs, region)
    if platform is not None:
        state.update(platform[1])
        return platform[0], state
    module = type_.split(":")[1].split("/")[0] if type_.count(":") == 2 else ""
    service = module or "mock"
    state["arn"] = f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{_hex(type_, 4)}/{physical}"
    return f"{name}-{_hex(name, 8)}", state
