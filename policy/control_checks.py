"""The checks behind every policy of the pack, as plain functions over resource properties.

No `pulumi_policy` import here: `accessweaver_policies.py` wraps each `Spec` into a CrossGuard
policy, and the tests call the checks the same way through the offline runner. Properties are the
provider's camelCase names (`assignPublicIp`), as the analyzer receives them; numbers may be
floats. Accessing a value that is unknown during a preview raises pulumi_policy's
`UnknownValueError` through its proxies, which the analyzer reports as "can't run during
preview": checks never swallow it.

A resource check returns messages for one resource; a stack check returns `(resource, message)`
pairs and sees every resource with its `dependencies`, which link companions to what they
configure (a `BucketPolicy` to its bucket, a `FlowLog` to its VPC) without needing ARNs, which
are unknown during a preview.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from components.controls import CONTROLS

Scope = Literal["A", "P"]
ResourceCheck = Callable[[Any], Iterable[str]]
"""Called with a ResourceValidationArgs or a PolicyResource: `.resource_type`, `.props`, `.opts`."""
StackCheck = Callable[[Sequence[Any]], Iterable[tuple[Any, str]]]


@dataclass(frozen=True)
class Spec:
    """One policy: its controls, where it is enforced and the check that finds violations."""

    name: str
    controls: tuple[str, ...]
    scope: Scope
    """A: mandatory on every stack. P: mandatory in prod and staging, advisory in dev."""
    summary: str
    remedy: str
    types: tuple[str, ...] = ()
    """Resource types a resource check applies to (empty for stack checks)."""
    check_resource: ResourceCheck | None = None
    check_stack: StackCheck | None = None

    @property
    def control(self) -> str:
        return "/".join(self.controls)

    @property
    def description(self) -> str:
        where = "every stack" if self.scope == "A" else "prod and staging; advisory in dev"
        return f"[{self.control}] {self.summary} ({where}). Fix: {self.remedy}"

    def findings(self, resources: Sequence[Any]) -> Iterator[tuple[Any, str]]:
        """Every violation in `resources` (PolicyResource-like), resource checks included."""
        if self.check_stack is not None:
            yield from self.check_stack(resources)
            return
        assert self.check_resource is not None
        for resource in resources:
            if resource.resource_type in self.types:
                for message in self.check_resource(resource):
                    yield resource, message


SPECS: list[Spec] = []


def _resource(
    name: str, controls: tuple[str, ...], scope: Scope, types: tuple[str, ...], summary: str,
    remedy: str,
) -> Callable[[ResourceCheck], ResourceCheck]:  # fmt: skip
    def register(check: ResourceCheck) -> ResourceCheck:
        SPECS.append(Spec(name, controls, scope, summary, remedy, types, check_resource=check))
        return check

    return register


def _stack(
    name: str, controls: tuple[str, ...], scope: Scope, summary: str, remedy: str
) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        SPECS.append(Spec(name, controls, scope, summary, remedy, check_stack=check))
        return check

    return register


# ---------------------------------------------------------------------------------------------
# Resource types and helpers
# ---------------------------------------------------------------------------------------------

TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
LOAD_BALANCERS = (
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
    "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer",
)
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
VPCS = ("aws:ec2/vpc:Vpc", "awsx:ec2:Vpc")
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DB_INSTANCE = "aws:rds/instance:Instance"
DB_CLUSTER = "aws:rds/cluster:Cluster"
DB_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
DB_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
LIFECYCLES = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
VERSIONINGS = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
ENCRYPTIONS = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALING_TARGET = "aws:appautoscaling/target:Target"
# Identity-based policy documents: where the IAM and KMS controls look.
INLINE_POLICIES = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
MANAGED_POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"

_MISSING = object()


def get(value: Any, *path: Any, default: Any = None) -> Any:
    """`value[p0][p1]...`, or `default` where a key is missing (unknowns still raise)."""
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return default
        if value is None:
            return default
    return value


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def items(value: Any) -> list[Any]:
    """A list input as a Python list (a single object counts as one item)."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    return list(value)


def containers(props: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """The task's container definitions, or an error message when they are not JSON."""
    raw = get(props, "containerDefinitions")
    if raw is None:
        return [], "the task definition has no containerDefinitions"
    if not isinstance(raw, str):
        return [dict(c) for c in items(raw)], None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return [], "containerDefinitions is not valid JSON"
    if not isinstance(parsed, list):
        return [], "containerDefinitions is not a JSON list"
    return [c for c in parsed if isinstance(c, dict)], None


def _name(container: Mapping[str, Any]) -> str:
    return str(container.get("name", "(unnamed)"))


def urn_of(resource: Any) -> str:
    return getattr(resource, "urn", "")


def depends_on(resource: Any, target: Any) -> bool:
    """`resource` takes an input from `target` (or from the component that made `target`)."""
    wanted = {urn_of(target)}
    parent = getattr(target, "parent", None)
    if parent is not None and parent.resource_type in VPCS:
        wanted.add(urn_of(parent))  # awsx builds the VPC; others depend on the component
    return any(urn_of(dep) in wanted for dep in getattr(resource, "dependencies", []) or [])


def of_type(resources: Sequence[Any], types: Iterable[str] | str) -> list[Any]:
    wanted = {types} if isinstance(types, str) else set(types)
    return [r for r in resources if r.resource_type in wanted]


def companions(resources: Sequence[Any], target: Any, types: Iterable[str] | str) -> list[Any]:
    return [r for r in of_type(resources, types) if depends_on(r, target)]


def documents(text: Any) -> dict[str, Any] | None:
    """A JSON policy document, or None when it is not one."""
    if isinstance(text, Mapping):
        return dict(text)
    if not isinstance(text, str):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in items(document.get("Statement")) if isinstance(s, Mapping)]


# ---------------------------------------------------------------------------------------------
# ECS
# ---------------------------------------------------------------------------------------------


@_resource(
    "ecs-service-no-public-ip", ("ECS.2",), "A", (SERVICE,),
    "ECS services run in private subnets without public IPs",
    "set network_configuration.assign_public_ip=False and use private subnets.",
)  # fmt: skip
def ecs_no_public_ip(resource):
    props = resource.props
    network = get(props, "networkConfiguration")
    if network is None:
        yield "the service has no network_configuration (awsvpc tasks need private subnets)"
    elif is_true(get(network, "assignPublicIp")):
        yield "network_configuration.assign_public_ip is true"


@_resource(
    "ecs-task-no-host-pid", ("ECS.3",), "A", (TASK,),
    "task definitions do not share the host's process namespace",
    "remove pid_mode='host' from the task definition.",
)  # fmt: skip
def ecs_no_host_pid(resource):
    props = resource.props
    if get(props, "pidMode") == "host":
        yield "pid_mode is 'host'"


@_resource(
    "ecs-container-not-privileged", ("ECS.4",), "A", (TASK,),
    "no container runs privileged",
    "remove `privileged: true` from the container definitions.",
)  # fmt: skip
def ecs_not_privileged(resource):
    props = resource.props
    defined, _ = containers(props)
    for container in defined:
        if is_true(container.get("privileged")):
            yield f"container {_name(container)} is privileged"


@_resource(
    "ecs-container-readonly-root", ("ECS.5",), "A", (TASK,),
    "every container (sidecars too) has a read-only root filesystem and a writable /tmp volume",
    "set readonlyRootFilesystem: true on every container and mount a task volume on /tmp.",
)  # fmt: skip
def ecs_readonly_root(resource):
    props = resource.props
    defined, error = containers(props)
    if error:
        yield error
        return
    volumes = {get(v, "name") for v in items(get(props, "volumes"))}
    for container in defined:
        if not is_true(container.get("readonlyRootFilesystem")):
            yield f"container {_name(container)} has a writable root filesystem"
            continue
        tmp = [
            m
            for m in items(container.get("mountPoints"))
            if m.get("containerPath") == "/tmp" and not is_true(m.get("readOnly"))
        ]
        if not tmp or tmp[0].get("sourceVolume") not in volumes:
            yield (
                f"container {_name(container)} has no writable /tmp volume (Spring Boot, "
                "Keycloak and most runtimes write there)"
            )


_CREDENTIAL_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}


@_resource(
    "ecs-no-credentials-in-environment", ("ECS.8",), "A", (TASK,),
    "no AWS credentials in container environment variables",
    "give the task an IAM task role, and pass secrets as secrets[].valueFrom ARNs.",
)  # fmt: skip
def ecs_no_credentials(resource):
    props = resource.props
    defined, error = containers(props)
    if error:
        yield error
    for container in defined:
        for variable in items(container.get("environment")):
            if get(variable, "name") in _CREDENTIAL_VARIABLES:
                yield f"container {_name(container)} sets {variable['name']} in plain text"


@_resource(
    "ecs-container-logging", ("ECS.9",), "A", (TASK,),
    "every container has a log configuration",
    "set logConfiguration.logDriver (awslogs) on every container.",
)  # fmt: skip
def ecs_logging(resource):
    props = resource.props
    defined, error = containers(props)
    if error:
        yield error
    for container in defined:
        if not get(container, "logConfiguration", "logDriver"):
            yield f"container {_name(container)} has no logConfiguration.logDriver"


_FARGATE_PLATFORMS = {"LATEST", "1.4.0"}


@_resource(
    "ecs-fargate-platform-version", ("ECS.10",), "A", (SERVICE,),
    "Fargate services run platform version LATEST or 1.4.0",
    "set platform_version='LATEST' (or leave it unset).",
)  # fmt: skip
def ecs_platform_version(resource):
    props = resource.props
    launch = get(props, "launchType")
    strategies = items(get(props, "capacityProviderStrategies"))
    providers = [get(s, "capacityProvider") for s in strategies]
    fargate = launch == "FARGATE" or any(str(p).startswith("FARGATE") for p in providers)
    version = get(props, "platformVersion", default="LATEST")
    if fargate and version not in _FARGATE_PLATFORMS:
        yield f"platform_version is {version!r}"


@_resource(
    "ecs-container-insights", ("ECS.12",), "P", (CLUSTER,),
    "the cluster has Container Insights",
    "set the cluster setting containerInsights to 'enabled' or 'enhanced' "
    "(stack config containerInsightsEnabled: true).",
)  # fmt: skip
def ecs_container_insights(resource):
    props = resource.props
    settings = items(get(props, "settings"))
    values = [get(s, "value") for s in settings if get(s, "name") == "containerInsights"]
    if not values or values[-1] not in ("enabled", "enhanced"):
        yield f"containerInsights is {values[-1] if values else 'not set'}"


_ROOT_USERS = {"0", "root"}


@_resource(
    "ecs-non-root-awsvpc", ("ECS.NonRoot*",), "A", (TASK,),
    "every container runs as a non-root user and the task uses awsvpc networking",
    "set `user` to a non-root uid[:gid] on every container and network_mode='awsvpc'.",
)  # fmt: skip
def ecs_non_root(resource):
    props = resource.props
    if get(props, "networkMode") != "awsvpc":
        yield f"network_mode is {get(props, 'networkMode')!r}, not 'awsvpc'"
    defined, error = containers(props)
    if error:
        yield error
    for container in defined:
        user = container.get("user")
        if not user:
            yield f"container {_name(container)} sets no user (images default to root)"
        elif str(user).split(":")[0] in _ROOT_USERS:
            yield f"container {_name(container)} runs as root ({user})"


# ---------------------------------------------------------------------------------------------
# Load balancer and WAF
# ---------------------------------------------------------------------------------------------


def _application(props: Mapping[str, Any]) -> bool:
    return get(props, "loadBalancerType", default="application") == "application"


@_stack(
    "elb-http-redirects-to-https", ("ELB.1",), "A",
    "where a load balancer has an HTTPS listener, its HTTP listeners redirect to HTTPS",
    "make the port-80 listener's default action a redirect to HTTPS:443 (HTTP_301).",
)  # fmt: skip
def elb_redirect(resources):
    for balancer in of_type(resources, LOAD_BALANCERS):
        listeners = companions(resources, balancer, LISTENERS)
        if not any(get(li.props, "protocol") in ("HTTPS", "TLS") for li in listeners):
            continue  # no certificate configured: the control does not apply
        for listener in listeners:
            if get(listener.props, "protocol") != "HTTP":
                continue
            actions = items(get(listener.props, "defaultActions"))
            redirect = get(actions, 0, "redirect") if actions else None
            if (
                not actions
                or get(actions, 0, "type") != "redirect"
                or get(redirect, "protocol") != "HTTPS"
                or str(get(redirect, "port", default="443")) != "443"
            ):
                yield listener, "the HTTP listener does not redirect to HTTPS:443"


@_resource(
    "elb-drop-invalid-headers", ("ELB.4",), "A", LOAD_BALANCERS,
    "application load balancers drop invalid HTTP header fields",
    "set drop_invalid_header_fields=True.",
)  # fmt: skip
def elb_drop_invalid_headers(resource):
    props = resource.props
    if _application(props) and not is_true(get(props, "dropInvalidHeaderFields")):
        yield "drop_invalid_header_fields is not true"


@_resource(
    "elb-access-logs", ("ELB.5",), "P", LOAD_BALANCERS,
    "load balancers write access logs to S3",
    "set access_logs={'bucket': <bucket>, 'enabled': True} (stack config edge.accessLogs).",
)  # fmt: skip
def elb_access_logs(resource):
    props = resource.props
    logs = get(props, "accessLogs")
    if not logs or not get(logs, "bucket") or is_false(get(logs, "enabled", default=True)):
        yield "access logs are off"


@_resource(
    "elb-deletion-protection", ("ELB.6",), "P", LOAD_BALANCERS,
    "load balancers have deletion protection",
    "set enable_deletion_protection=True (stack config edge.deletionProtection).",
)  # fmt: skip
def elb_deletion_protection(resource):
    props = resource.props
    if not is_true(get(props, "enableDeletionProtection")):
        yield "enable_deletion_protection is not true"


@_resource(
    "elb-desync-mitigation", ("ELB.12",), "A", LOAD_BALANCERS,
    "application load balancers use defensive or strictest desync mitigation",
    "set desync_mitigation_mode to 'defensive' (the AWS default) or 'strictest'.",
)  # fmt: skip
def elb_desync(resource):
    props = resource.props
    mode = get(props, "desyncMitigationMode", default="defensive")
    if _application(props) and mode not in ("defensive", "strictest"):
        yield f"desync_mitigation_mode is {mode!r}"


@_resource(
    "elb-multi-az", ("ELB.13",), "A", LOAD_BALANCERS,
    "load balancers span at least two Availability Zones",
    "give the load balancer subnets in at least two AZs.",
)  # fmt: skip
def elb_multi_az(resource):
    props = resource.props
    subnets = items(get(props, "subnets")) or items(get(props, "subnetMappings"))
    if len(subnets) < 2:
        yield f"{len(subnets)} subnet(s): a single AZ"


_TLS13_POLICIES = ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06")


@_resource(
    "elb-modern-tls", ("ELB.17",), "A", LISTENERS,
    "HTTPS and TLS listeners use a TLS 1.3 security policy",
    f"set ssl_policy to {_TLS13_POLICIES[0]} or {_TLS13_POLICIES[1]}.",
)  # fmt: skip
def elb_modern_tls(resource):
    props = resource.props
    if get(props, "protocol") in ("HTTPS", "TLS"):
        policy = get(props, "sslPolicy")
        if policy not in _TLS13_POLICIES:
            yield f"ssl_policy is {policy or 'the AWS default (ELBSecurityPolicy-2016-08)'}"


@_stack(
    "elb-waf-attached", ("ELB.16*",), "P",
    "internet-facing application load balancers have a WAF web ACL",
    "associate a wafv2.WebAcl with the ALB (wafv2.WebAclAssociation; stack config edge.waf).",
)  # fmt: skip
def elb_waf(resources):
    for balancer in of_type(resources, LOAD_BALANCERS):
        if is_true(get(balancer.props, "internal")) or not _application(balancer.props):
            continue
        if not companions(resources, balancer, WEB_ACL_ASSOCIATION):
            yield balancer, "no web ACL is associated with this internet-facing ALB"


@_resource(
    "waf-rules-with-metrics", ("WAF.10", "WAF.12"), "P", (WEB_ACL,),
    "web ACLs have at least one rule and every rule publishes CloudWatch metrics",
    "add rules (managed rule groups, rate limit) with visibility_config."
    "cloudwatch_metrics_enabled=True on each.",
)  # fmt: skip
def waf_rules(resource):
    props = resource.props
    rules = items(get(props, "rules"))
    if not rules and not get(props, "ruleJson"):
        yield "the web ACL has no rule (WAF.10)"
    for rule in rules:
        if not is_true(get(rule, "visibilityConfig", "cloudwatchMetricsEnabled")):
            yield f"rule {get(rule, 'name')} publishes no CloudWatch metrics (WAF.12)"


# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------


def _vpcs(resources: Sequence[Any]) -> list[Any]:
    """The VPCs the stack creates: aws VPCs, and awsx VPCs whose children are not visible."""
    found = of_type(resources, "aws:ec2/vpc:Vpc")
    built = {urn_of(getattr(v, "parent", None)) for v in found if getattr(v, "parent", None)}
    found += [v for v in of_type(resources, "awsx:ec2:Vpc") if urn_of(v) not in built]
    return found


@_stack(
    "ec2-default-security-group-closed", ("EC2.2",), "A",
    "the default security group of every VPC the stack creates has no rule",
    "adopt it with ec2.DefaultSecurityGroup(vpc_id=...) and no ingress or egress blocks.",
)  # fmt: skip
def ec2_default_sg(resources):
    for group in of_type(resources, DEFAULT_SECURITY_GROUP):
        if items(get(group.props, "ingress")) or items(get(group.props, "egress")):
            yield group, "the default security group has rules"
    for vpc in _vpcs(resources):
        if not companions(resources, vpc, DEFAULT_SECURITY_GROUP):
            yield vpc, "the VPC's default security group keeps AWS's allow-all rules"


@_stack(
    "ec2-vpc-flow-logs", ("EC2.6",), "P",
    "every VPC the stack creates has flow logs of all traffic",
    "add ec2.FlowLog(vpc_id=..., traffic_type='ALL') (stack config network.flowLogs).",
)  # fmt: skip
def ec2_flow_logs(resources):
    for log in of_type(resources, FLOW_LOG):
        if get(log.props, "trafficType") != "ALL":
            yield log, f"traffic_type is {get(log.props, 'trafficType')!r}, not 'ALL'"
    for vpc in _vpcs(resources):
        if not companions(resources, vpc, FLOW_LOG):
            yield vpc, "the VPC has no flow log"


@_resource(
    "ec2-subnet-no-public-ip", ("EC2.15",), "A", (SUBNET,),
    "subnets do not auto-assign public IPv4 addresses",
    "set map_public_ip_on_launch=False (the ALB gets its addresses without it).",
)  # fmt: skip
def ec2_subnet_public_ip(resource):
    props = resource.props
    if is_true(get(props, "mapPublicIpOnLaunch")):
        yield "map_public_ip_on_launch is true"


_WORLD = ("0.0.0.0/0", "::/0")
# FSBP EC2.19's high-risk ports, plus Redis (6379) per ../shared/CONTROLS.md.
HIGH_RISK_PORTS = (
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432,
    5500, 5601, 6379, 8080, 8088, 8888, 9200, 9300,
)  # fmt: skip


@dataclass(frozen=True)
class OpenRule:
    """An ingress rule open to the whole internet."""

    protocol: str
    from_port: int
    to_port: int

    @property
    def all_ports(self) -> bool:
        every = self.protocol in ("-1", "all")
        return every or (self.from_port, self.to_port) in ((0, 0), (-1, -1))

    def covers(self, port: int) -> bool:
        return self.all_ports or self.from_port <= port <= self.to_port

    def describe(self) -> str:
        span = f"{self.protocol} {self.from_port}-{self.to_port}"
        ports = "all ports" if self.all_ports else span
        return f"{ports} open to the internet"


def _cidrs(entry: Mapping[str, Any]) -> list[Any]:
    return items(get(entry, "cidrBlocks")) + items(get(entry, "ipv6CidrBlocks"))


def open_rules(resource_type: str, props: Mapping[str, Any]) -> list[OpenRule]:
    def rule(entry: Mapping[str, Any], protocol_key: str) -> OpenRule:
        return OpenRule(
            str(get(entry, protocol_key, default="-1")).lower(),
            int(number(get(entry, "fromPort")) or 0),
            int(number(get(entry, "toPort")) or 0),
        )

    if resource_type == INGRESS_RULE:
        if get(props, "cidrIpv4") in _WORLD or get(props, "cidrIpv6") in _WORLD:
            return [rule(props, "ipProtocol")]
    elif resource_type == SECURITY_GROUP_RULE:
        if get(props, "type") == "ingress" and any(c in _WORLD for c in _cidrs(props)):
            return [rule(props, "protocol")]
    elif resource_type == SECURITY_GROUP:
        return [
            rule(entry, "protocol")
            for entry in items(get(props, "ingress"))
            if any(c in _WORLD for c in _cidrs(entry))
        ]
    return []


_RULE_TYPES = (INGRESS_RULE, SECURITY_GROUP_RULE, SECURITY_GROUP)


@_stack(
    "ec2-internet-ingress-alb-only", ("EC2.18",), "A",
    "ingress from 0.0.0.0/0 or ::/0 is only allowed to a load balancer's security group, on "
    "TCP 80 and 443",
    "remove the open rule, or restrict it to tcp 80/443 on the ALB's security group; reach "
    "services through the ALB or ECS Exec.",
)  # fmt: skip
def ec2_internet_ingress(resources):
    balancer_groups = {
        urn_of(dep)
        for balancer in of_type(resources, LOAD_BALANCERS)
        for dep in getattr(balancer, "dependencies", []) or []
        if dep.resource_type == SECURITY_GROUP
    }
    for resource in of_type(resources, _RULE_TYPES):
        for rule in open_rules(resource.resource_type, resource.props):
            if (
                rule.protocol not in ("tcp", "6")
                or rule.all_ports
                or not (rule.from_port == rule.to_port and rule.from_port in (80, 443))
            ):
                yield resource, f"{rule.describe()}: only tcp 80 and 443 may be"
                continue
            if resource.resource_type == SECURITY_GROUP:
                groups = [resource]
            else:
                groups = [
                    d for d in getattr(resource, "dependencies", []) or []
                    if d.resource_type == SECURITY_GROUP
                ]  # fmt: skip
            if not groups or not any(urn_of(g) in balancer_groups for g in groups):
                yield resource, f"{rule.describe()} on a group no load balancer of the stack uses"


@_resource(
    "ec2-no-open-high-risk-ports", ("EC2.19",), "A", _RULE_TYPES,
    "high-risk ports (SSH 22, RDP 3389, PostgreSQL 5432, Redis 6379, ...) are never open to "
    "the internet",
    "remove the rule; administer through ECS Exec or SSM, reach data stores from the services' "
    "security group only.",
)  # fmt: skip
def ec2_high_risk_ports(resource):
    props = resource.props
    for rule in open_rules(resource.resource_type, props):
        exposed = [p for p in HIGH_RISK_PORTS if rule.covers(p)]
        if exposed:
            shown = ", ".join(map(str, exposed[:6])) + (", ..." if len(exposed) > 6 else "")
            yield f"{rule.describe()} exposes {shown}"


# ---------------------------------------------------------------------------------------------
# RDS
# ---------------------------------------------------------------------------------------------

_DATABASES = (DB_INSTANCE, DB_CLUSTER)
_DEFAULT_PORTS = {"postgres": 5432, "aurora-postgresql": 5432, "mysql": 3306, "mariadb": 3306,
                  "aurora-mysql": 3306}  # fmt: skip


def _engine(props: Mapping[str, Any]) -> str:
    return str(get(props, "engine", default=""))


def _postgres(props: Mapping[str, Any]) -> bool:
    return "postgres" in _engine(props)


def _replica(props: Mapping[str, Any]) -> bool:
    return bool(get(props, "replicateSourceDb"))


@_resource(
    "rds-not-public", ("RDS.2",), "A", (DB_INSTANCE,),
    "DB instances are not publicly accessible",
    "set publicly_accessible=False and place the instance in private subnets.",
)  # fmt: skip
def rds_private(resource):
    props = resource.props
    if is_true(get(props, "publiclyAccessible")):
        yield "publicly_accessible is true"


@_resource(
    "rds-encrypted", ("RDS.3", "RDS.4"), "A", _DATABASES,
    "database storage, and so its snapshots, is encrypted at rest",
    "set storage_encrypted=True (a KMS key is optional).",
)  # fmt: skip
def rds_encrypted(resource):
    props = resource.props
    if not is_true(get(props, "storageEncrypted")):
        yield "storage_encrypted is not true: data and snapshots are unencrypted"


@_resource(
    "rds-multi-az", ("RDS.5",), "P", (DB_INSTANCE,),
    "DB instances are Multi-AZ",
    "set multi_az=True (stack config database.multiAz).",
)  # fmt: skip
def rds_multi_az(resource):
    props = resource.props
    if not is_true(get(props, "multiAz")):
        yield "multi_az is not true"


@_resource(
    "rds-deletion-protection", ("RDS.8",), "P", _DATABASES,
    "databases have deletion protection",
    "set deletion_protection=True.",
)  # fmt: skip
def rds_deletion_protection(resource):
    props = resource.props
    if not is_true(get(props, "deletionProtection")):
        yield "deletion_protection is not true"


@_resource(
    "rds-enhanced-monitoring", ("RDS.6",), "P", (DB_INSTANCE,),
    "DB instances have enhanced monitoring",
    "set monitoring_interval (1-60 s) and monitoring_role_arn.",
)  # fmt: skip
def rds_monitoring(resource):
    props = resource.props
    interval = number(get(props, "monitoringInterval")) or 0
    if interval <= 0:
        yield "monitoring_interval is 0: enhanced monitoring is off"
    elif not get(props, "monitoringRoleArn"):
        yield "monitoring_interval is set without a monitoring_role_arn"


@_resource(
    "rds-logs-exported", ("RDS.9",), "A", _DATABASES,
    "PostgreSQL logs (postgresql, upgrade) are exported to CloudWatch Logs",
    "set enabled_cloudwatch_logs_exports=['postgresql', 'upgrade'].",
)  # fmt: skip
def rds_logs(resource):
    props = resource.props
    if not _postgres(props):
        return
    exported = set(items(get(props, "enabledCloudwatchLogsExports")))
    needed = {"postgresql"} if "aurora" in _engine(props) else {"postgresql", "upgrade"}
    missing = sorted(needed - exported)
    if missing:
        yield f"logs not exported: {', '.join(missing)}"


@_resource(
    "rds-iam-authentication", ("RDS.10",), "A", _DATABASES,
    "IAM database authentication is on",
    "set iam_database_authentication_enabled=True.",
)  # fmt: skip
def rds_iam_auth(resource):
    props = resource.props
    if not is_true(get(props, "iamDatabaseAuthenticationEnabled")):
        yield "iam_database_authentication_enabled is not true"


@_resource(
    "rds-backups-7-days", ("RDS.11",), "A", _DATABASES,
    "automated backups are kept for at least 7 days",
    "set backup_retention_period to 7 or more.",
)  # fmt: skip
def rds_backups(resource):
    props = resource.props
    if _replica(props):
        return
    days = number(get(props, "backupRetentionPeriod"))
    if days is None or days < 7:
        yield f"backup_retention_period is {int(days) if days is not None else 'not set'}"


@_resource(
    "rds-minor-version-upgrades", ("RDS.13",), "A", _DATABASES,
    "automatic minor version upgrades are on",
    "leave auto_minor_version_upgrade unset or True.",
)  # fmt: skip
def rds_minor_upgrades(resource):
    props = resource.props
    if is_false(get(props, "autoMinorVersionUpgrade")):
        yield "auto_minor_version_upgrade is false"


@_resource(
    "rds-copy-tags-to-snapshots", ("RDS.17",), "A", _DATABASES,
    "tags are copied to snapshots",
    "set copy_tags_to_snapshot=True.",
)  # fmt: skip
def rds_copy_tags(resource):
    props = resource.props
    if not is_true(get(props, "copyTagsToSnapshot")):
        yield "copy_tags_to_snapshot is not true"


@_resource(
    "rds-non-default-port", ("RDS.23",), "A", _DATABASES,
    "databases do not listen on the engine's default port",
    "set port to another value than 5432 (stack config database.port) and open that port in "
    "the security groups.",
)  # fmt: skip
def rds_port(resource):
    props = resource.props
    default = _DEFAULT_PORTS.get(_engine(props))
    port = number(get(props, "port"))
    if default is not None and (port is None or int(port) == default):
        yield f"port is {default} (the {_engine(props)} default)"


_DEFAULT_ADMINS = {"postgres", "admin", "root", "master", "rdsadmin"}


@_resource(
    "rds-custom-admin-name", ("RDS.25",), "A", _DATABASES,
    "databases use a custom administrator name",
    "set username (master_username) to a name other than postgres or admin.",
)  # fmt: skip
def rds_admin_name(resource):
    props = resource.props
    user = get(props, "username") or get(props, "masterUsername")
    if user is not None and str(user).lower() in _DEFAULT_ADMINS:
        yield f"the administrator is named {user!r}"


@_stack(
    "rds-force-ssl", ("RDS.38*",), "A",
    "PostgreSQL databases use a parameter group of the stack with rds.force_ssl=1",
    "create an rds.ParameterGroup with parameter rds.force_ssl=1 and set parameter_group_name.",
)  # fmt: skip
def rds_force_ssl(resources):
    groups = of_type(resources, (DB_PARAMETER_GROUP, DB_CLUSTER_PARAMETER_GROUP))

    def forces_ssl(group: Any) -> bool:
        return any(
            get(p, "name") == "rds.force_ssl" and str(get(p, "value")) == "1"
            for p in items(get(group.props, "parameters"))
        )

    for group in groups:
        if "postgres" in str(get(group.props, "family", default="")) and not forces_ssl(group):
            yield group, "the PostgreSQL parameter group does not set rds.force_ssl=1"
    for database in of_type(resources, _DATABASES):
        if not _postgres(database.props):
            continue
        key = "parameterGroupName" if database.resource_type == DB_INSTANCE else (
            "dbClusterParameterGroupName"
        )  # fmt: skip
        if not get(database.props, key):
            yield database, f"{key} is not set: the default group does not force TLS"
        elif not any(depends_on(database, g) for g in groups):
            yield database, f"{key} names a group this stack does not define (cannot show TLS)"


@_resource(
    "rds-managed-master-password", ("SecretsManager.1",), "A", _DATABASES,
    "the master password is managed and rotated by RDS in Secrets Manager",
    "set manage_master_user_password=True and remove password.",
)  # fmt: skip
def rds_managed_password(resource):
    props = resource.props
    if _replica(props):
        return
    if not is_true(get(props, "manageMasterUserPassword")):
        yield "manage_master_user_password is not true"
    if get(props, "password") or get(props, "masterPassword"):
        yield "a master password is set in the program"


# ---------------------------------------------------------------------------------------------
# ElastiCache
# ---------------------------------------------------------------------------------------------


def _standalone(props: Mapping[str, Any]) -> bool:
    """A cache cluster that is not a member of a replication group (which governs its members)."""
    return not get(props, "replicationGroupId")


@_resource(
    "elasticache-backups", ("ElastiCache.1",), "P", (REPLICATION_GROUP, CACHE_CLUSTER),
    "Redis keeps automatic backups",
    "set snapshot_retention_limit to 1 or more (stack config cache.snapshotRetentionDays).",
)  # fmt: skip
def elasticache_backups(resource):
    props = resource.props
    if _standalone(props) and (number(get(props, "snapshotRetentionLimit")) or 0) < 1:
        yield "snapshot_retention_limit is 0: no automatic backup"


@_resource(
    "elasticache-minor-upgrades", ("ElastiCache.2",), "A", (REPLICATION_GROUP, CACHE_CLUSTER),
    "Redis applies minor version upgrades automatically",
    "leave auto_minor_version_upgrade unset or True.",
)  # fmt: skip
def elasticache_minor(resource):
    props = resource.props
    if is_false(get(props, "autoMinorVersionUpgrade")):
        yield "auto_minor_version_upgrade is false"


@_resource(
    "elasticache-failover", ("ElastiCache.3",), "P", (REPLICATION_GROUP,),
    "Redis fails over automatically to a replica in another AZ",
    "set automatic_failover_enabled=True, multi_az_enabled=True and at least 2 nodes.",
)  # fmt: skip
def elasticache_failover(resource):
    props = resource.props
    if not is_true(get(props, "automaticFailoverEnabled")):
        yield "automatic_failover_enabled is not true"
    if not is_true(get(props, "multiAzEnabled")):
        yield "multi_az_enabled is not true"
    nodes = number(get(props, "numCacheClusters")) or (
        1 + (number(get(props, "replicasPerNodeGroup")) or 0)
    )
    if nodes < 2:
        yield f"{int(nodes)} node(s): nothing to fail over to"


@_resource(
    "elasticache-encrypted-at-rest", ("ElastiCache.4",), "A", (REPLICATION_GROUP,),
    "Redis is encrypted at rest",
    "set at_rest_encryption_enabled=True.",
)  # fmt: skip
def elasticache_at_rest(resource):
    props = resource.props
    if not is_true(get(props, "atRestEncryptionEnabled")):
        yield "at_rest_encryption_enabled is not true"


@_resource(
    "elasticache-encrypted-in-transit", ("ElastiCache.5",), "A", (REPLICATION_GROUP,),
    "Redis is encrypted in transit",
    "set transit_encryption_enabled=True (clients connect with TLS).",
)  # fmt: skip
def elasticache_in_transit(resource):
    props = resource.props
    if not is_true(get(props, "transitEncryptionEnabled")):
        yield "transit_encryption_enabled is not true"


@_resource(
    "elasticache-auth", ("ElastiCache.6",), "A", (REPLICATION_GROUP,),
    "Redis requires authentication",
    "set auth_token (from a generated secret) or user_group_ids (RBAC).",
)  # fmt: skip
def elasticache_auth(resource):
    props = resource.props
    if not get(props, "authToken") and not items(get(props, "userGroupIds")):
        yield "neither auth_token nor user_group_ids is set"


@_resource(
    "elasticache-own-subnet-group", ("ElastiCache.7",), "A", (REPLICATION_GROUP, CACHE_CLUSTER),
    "Redis runs in its own subnet group, not the default one",
    "create an elasticache.SubnetGroup over the private subnets and set subnet_group_name.",
)  # fmt: skip
def elasticache_subnet_group(resource):
    props = resource.props
    if _standalone(props) and get(props, "subnetGroupName", default="default") == "default":
        yield "subnet_group_name is the default group"


# ---------------------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------------------


def _buckets_without(
    resources: Sequence[Any], types: Iterable[str] | str, accepts: Callable[[Any], bool]
) -> Iterator[Any]:
    for bucket in of_type(resources, BUCKETS):
        if not any(accepts(c) for c in companions(resources, bucket, types)):
            yield bucket


PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


@_stack(
    "s3-block-public-access", ("S3.8", "S3.2", "S3.3"), "A",
    "every bucket blocks public access with all four settings",
    "add s3.BucketPublicAccessBlock with block_public_acls, block_public_policy, "
    "ignore_public_acls and restrict_public_buckets all True.",
)  # fmt: skip
def s3_public_access(resources):
    for block in of_type(resources, PUBLIC_ACCESS_BLOCK):
        off = [key for key in PUBLIC_ACCESS_FLAGS if not is_true(get(block.props, key))]
        if off:
            yield block, f"not true: {', '.join(off)}"
    for bucket in _buckets_without(resources, PUBLIC_ACCESS_BLOCK, lambda _c: True):
        yield bucket, "the bucket has no public access block"


def _denies_plain_http(policy: Any) -> bool:
    document = documents(get(policy.props, "policy")) or {}
    for statement in statements(document):
        condition = get(statement, "Condition", "Bool", "aws:SecureTransport")
        values = [str(v).lower() for v in items(condition)]
        if statement.get("Effect") == "Deny" and "false" in values:
            return True
    return False


@_stack(
    "s3-tls-only", ("S3.5",), "A",
    "every bucket policy denies requests without TLS",
    "add a bucket policy statement denying s3:* when aws:SecureTransport is false.",
)  # fmt: skip
def s3_tls_only(resources):
    for bucket in _buckets_without(resources, BUCKET_POLICY, _denies_plain_http):
        yield bucket, "no bucket policy denies aws:SecureTransport=false"


@_stack(
    "s3-acls-disabled", ("S3.12",), "A",
    "bucket ACLs are disabled",
    "add s3.BucketOwnershipControls with object_ownership='BucketOwnerEnforced'.",
)  # fmt: skip
def s3_acls(resources):
    def enforced(controls: Any) -> bool:
        rules = items(get(controls.props, "rule"))
        return any(get(r, "objectOwnership") == "BucketOwnerEnforced" for r in rules)

    for bucket in _buckets_without(resources, OWNERSHIP_CONTROLS, enforced):
        yield bucket, "object ownership is not BucketOwnerEnforced (ACLs still apply)"


@_stack(
    "s3-lifecycle", ("S3.13",), "A",
    "every bucket has a lifecycle configuration",
    "add s3.BucketLifecycleConfiguration with at least one enabled rule (expiry, transitions).",
)  # fmt: skip
def s3_lifecycle(resources):
    def enabled(config: Any) -> bool:
        return any(get(r, "status") == "Enabled" for r in items(get(config.props, "rules")))

    for bucket in _buckets_without(resources, LIFECYCLES, enabled):
        if not any(is_true(get(r, "enabled")) for r in items(get(bucket.props, "lifecycleRules"))):
            yield bucket, "the bucket has no enabled lifecycle rule"


@_stack(
    "s3-versioning", ("S3.14*",), "P",
    "every bucket is versioned",
    "add s3.BucketVersioning with status 'Enabled'.",
)  # fmt: skip
def s3_versioning(resources):
    def enabled(config: Any) -> bool:
        return get(config.props, "versioningConfiguration", "status") == "Enabled"

    for bucket in _buckets_without(resources, VERSIONINGS, enabled):
        if not is_true(get(bucket.props, "versioning", "enabled")):
            yield bucket, "versioning is not enabled"


def _sse_algorithms(config_props: Any) -> list[str]:
    return [
        str(get(r, "applyServerSideEncryptionByDefault", "sseAlgorithm"))
        for r in items(get(config_props, "rules") or get(config_props, "rule"))
    ]


@_stack(
    "s3-sse-kms", ("S3.17*",), "P",
    "every bucket is encrypted with SSE-KMS (SSE-S3 only where AWS requires it: ALB access logs)",
    "add s3.BucketServerSideEncryptionConfiguration with sse_algorithm 'aws:kms'.",
)  # fmt: skip
def s3_sse(resources):
    log_buckets = {
        urn_of(dep)
        for balancer in of_type(resources, LOAD_BALANCERS)
        for dep in getattr(balancer, "dependencies", []) or []
        if dep.resource_type in BUCKETS
    }
    for bucket in of_type(resources, BUCKETS):
        configs = companions(resources, bucket, ENCRYPTIONS)
        algorithms = [a for c in configs for a in _sse_algorithms(c.props)]
        algorithms += _sse_algorithms(get(bucket.props, "serverSideEncryptionConfiguration"))
        if any(a.startswith("aws:kms") for a in algorithms):
            continue
        if "AES256" in algorithms and urn_of(bucket) in log_buckets:
            continue  # ALB access-log delivery supports SSE-S3 only
        yield bucket, (
            "encrypted with SSE-S3 (AES256), not SSE-KMS" if algorithms else
            "no server-side encryption configuration"
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# ECR, Secrets Manager, IAM, KMS, logs
# ---------------------------------------------------------------------------------------------


@_resource(
    "ecr-scan-on-push", ("ECR.1",), "A", (REPOSITORY,),
    "repositories scan images on push",
    "set image_scanning_configuration={'scan_on_push': True}.",
)  # fmt: skip
def ecr_scan(resource):
    props = resource.props
    if not is_true(get(props, "imageScanningConfiguration", "scanOnPush")):
        yield "scan_on_push is not true"


@_resource(
    "ecr-immutable-tags", ("ECR.2",), "A", (REPOSITORY,),
    "repositories have immutable tags",
    "set image_tag_mutability='IMMUTABLE' (deploy by commit SHA).",
)  # fmt: skip
def ecr_immutable(resource):
    props = resource.props
    mutability = get(props, "imageTagMutability", default="MUTABLE")
    if not str(mutability).startswith("IMMUTABLE"):
        yield f"image_tag_mutability is {mutability}"


@_stack(
    "ecr-lifecycle-policy", ("ECR.3",), "A",
    "every repository has a lifecycle policy",
    "add ecr.LifecyclePolicy expiring untagged and old images.",
)  # fmt: skip
def ecr_lifecycle(resources):
    for repository in of_type(resources, REPOSITORY):
        if not companions(resources, repository, REPOSITORY_LIFECYCLE):
            yield repository, "the repository has no lifecycle policy"


@_stack(
    "secrets-rotated", ("SecretsManager.4", "SecretsManager.1"), "P",
    "every secret rotates at least every 90 days, or carries a waiver saying why it cannot",
    "add secretsmanager.SecretRotation with rotation_rules.automatically_after_days <= 90, or "
    "list the secret in the stack's policyWaivers key with the reason.",
)  # fmt: skip
def secrets_rotated(resources):
    for secret in of_type(resources, SECRET):
        rotations = companions(resources, secret, SECRET_ROTATION)
        if not rotations:
            yield secret, "the secret never rotates"
            continue
        for rotation in rotations:
            days = number(get(rotation.props, "rotationRules", "automaticallyAfterDays"))
            schedule = get(rotation.props, "rotationRules", "scheduleExpression")
            if not schedule and (days is None or days > 90):
                yield secret, f"rotates every {int(days) if days else '?'} days (more than 90)"


def identity_documents(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """`(where, document text)` of every identity-based policy in the resource's inputs."""
    if resource_type in INLINE_POLICIES or resource_type == MANAGED_POLICY:
        return [("policy", get(props, "policy"))]
    if resource_type == ROLE:
        return [
            (f"inline_policies[{get(p, 'name')}]", get(p, "policy"))
            for p in items(get(props, "inlinePolicies"))
        ]
    return []


def _allow_statements(text: Any) -> Iterator[tuple[Mapping[str, Any], list[str], list[str]]]:
    document = documents(text) or {}
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in items(statement.get("Action"))]
        if "NotAction" in statement:
            actions.append("*")  # Allow + NotAction grants everything else
        resources = [str(r) for r in items(statement.get("Resource"))]
        yield statement, actions, resources


_DOCUMENT_TYPES = (*INLINE_POLICIES, MANAGED_POLICY, ROLE)


@_resource(
    "iam-no-wildcard-actions", ("IAM.1", "IAM.21"), "A", _DOCUMENT_TYPES,
    "no IAM policy the program writes allows '*', '*:*' or 'service:*' actions",
    "list the actions the workload calls (components/iam_policies.py).",
)  # fmt: skip
def iam_wildcards(resource):
    props = resource.props
    for where, text in identity_documents(resource.resource_type, props):
        if text is not None and documents(text) is None:
            yield f"{where} is not a JSON policy document"
            continue
        for statement, actions, _resources in _allow_statements(text):
            for action in dict.fromkeys(actions):
                if action == "*" or action.endswith(":*"):
                    sid = f" (Sid {statement['Sid']})" if statement.get("Sid") else ""
                    yield f"{where}{sid} allows {action}"


_KMS_DECRYPT = ("kms:decrypt", "kms:reencryptfrom")


@_resource(
    "kms-decrypt-scoped", ("KMS.1", "KMS.2"), "A", _DOCUMENT_TYPES,
    "no IAM policy allows kms:Decrypt or kms:ReEncryptFrom on all keys",
    "scope KMS statements to the key ARNs (Resource), never '*'.",
)  # fmt: skip
def kms_decrypt(resource):
    props = resource.props
    for where, text in identity_documents(resource.resource_type, props):
        for _statement, actions, resources in _allow_statements(text):
            grants = [
                a for a in actions if any(fnmatch.fnmatchcase(d, a.lower()) for d in _KMS_DECRYPT)
            ]
            if grants and ("*" in resources or "arn:aws:kms:*:*:key/*" in resources):
                yield f"{where} allows {', '.join(grants)} on every KMS key"


@_resource(
    "log-group-retention", ("CloudWatch.16*",), "A", (LOG_GROUP,),
    "every log group has a retention period",
    "set retention_in_days (stack config logRetentionDays).",
)  # fmt: skip
def log_retention(resource):
    props = resource.props
    days = number(get(props, "retentionInDays"))
    if not days:
        yield "retention_in_days is not set: logs never expire"


# ---------------------------------------------------------------------------------------------
# Reliability
# ---------------------------------------------------------------------------------------------


def _external_controller(props: Mapping[str, Any]) -> bool:
    return get(props, "deploymentController", "type", default="ECS") in ("CODE_DEPLOY", "EXTERNAL")


@_resource(
    "ecs-circuit-breaker-rollback", ("REL.1",), "A", (SERVICE,),
    "ECS deployments stop and roll back when tasks never become healthy",
    "set deployment_circuit_breaker={'enable': True, 'rollback': True} "
    "(stack config deploymentCircuitBreaker: true).",
)  # fmt: skip
def rel_circuit_breaker(resource):
    props = resource.props
    if _external_controller(props):
        return
    breaker = get(props, "deploymentCircuitBreaker")
    if not is_true(get(breaker, "enable")) or not is_true(get(breaker, "rollback")):
        yield "deployment_circuit_breaker is not {enable: true, rollback: true}"


@_resource(
    "ecs-rolling-capacity", ("REL.2",), "P", (SERVICE,),
    "rolling deployments keep full capacity: minimum healthy 100 %, maximum 200 %",
    "set deployment_minimum_healthy_percent=100 and deployment_maximum_percent=200.",
)  # fmt: skip
def rel_rolling_capacity(resource):
    props = resource.props
    if _external_controller(props):
        return
    if get(props, "deploymentConfiguration", "strategy", default="ROLLING") != "ROLLING":
        return  # blue/green starts a full green set before traffic moves
    low = number(get(props, "deploymentMinimumHealthyPercent"))
    high = number(get(props, "deploymentMaximumPercent"))
    low = 100 if low is None else low
    high = 200 if high is None else high
    if (low, high) != (100, 200):
        yield f"deployments run at {int(low)}-{int(high)} % of the desired count"


@_resource(
    "ecs-two-tasks-two-azs", ("REL.3",), "P", (SERVICE, SCALING_TARGET),
    "services run at least 2 tasks, never scale below 2, and spread over at least 2 subnets",
    "set desiredCount (and the autoscaling minimum) to 2 or more, with private subnets in 2+ AZs.",
)  # fmt: skip
def rel_two_tasks(resource):
    props = resource.props
    if get(props, "serviceNamespace") is not None:  # a scalable target
        if get(props, "serviceNamespace") == "ecs":
            low = number(get(props, "minCapacity")) or 0
            if low < 2:
                yield f"autoscaling min_capacity is {int(low)}"
        return
    desired = number(get(props, "desiredCount")) or 0
    if desired < 2:
        yield f"desired_count is {int(desired)}: one task failing takes the service down"
    subnets = items(get(props, "networkConfiguration", "subnets"))
    if get(props, "networkConfiguration") is not None and len(subnets) < 2:
        yield f"{len(subnets)} subnet(s): tasks in a single AZ"


@_resource(
    "ecs-grace-period-with-load-balancer", ("REL.4",), "A", (SERVICE,),
    "services behind a load balancer have a health-check grace period",
    "set health_check_grace_period_seconds (stack config healthCheckGracePeriod).",
)  # fmt: skip
def rel_grace_period(resource):
    props = resource.props
    grace = number(get(props, "healthCheckGracePeriodSeconds"))
    if items(get(props, "loadBalancers")) and grace is None:
        yield "load balancers are set without health_check_grace_period_seconds"


@_resource(
    "ecs-container-health-checks", ("REL.5",), "A", (TASK,),
    "every essential container has a health check",
    "add healthCheck.command to every essential container.",
)  # fmt: skip
def rel_health_checks(resource):
    props = resource.props
    defined, error = containers(props)
    if error:
        yield error
    for container in defined:
        if is_false(container.get("essential")):
            continue
        if not get(container, "healthCheck", "command"):
            yield f"essential container {_name(container)} has no healthCheck"


FARGATE_MAX_STOP_TIMEOUT = 120
FARGATE_DEFAULT_STOP_TIMEOUT = 30
DEFAULT_DEREGISTRATION_DELAY = 300


@_stack(
    "ecs-graceful-stop", ("REL.6",), "A",
    "containers stop within Fargate's 120 s and not before their target group has drained "
    "(stopTimeout >= deregistration_delay)",
    "set stopTimeout (<= 120) at least as long as the target group's deregistration_delay, "
    "or shorten the delay.",
)  # fmt: skip
def rel_graceful_stop(resources):
    for task in of_type(resources, TASK):
        defined, _ = containers(task.props)
        for container in defined:
            timeout = number(container.get("stopTimeout"))
            if timeout is not None and timeout > FARGATE_MAX_STOP_TIMEOUT:
                yield task, f"container {_name(container)} stopTimeout {int(timeout)} > 120"
    for service in of_type(resources, SERVICE):
        attached = items(get(service.props, "loadBalancers"))
        tasks = [t for t in of_type(resources, TASK) if depends_on(service, t)]
        groups = [g for g in of_type(resources, TARGET_GROUPS) if depends_on(service, g)]
        if not attached or not tasks or not groups:
            continue  # target groups managed elsewhere are not visible here
        defined, _ = containers(tasks[0].props)
        names = {get(a, "containerName") for a in attached}
        for container in defined:
            if _name(container) not in names:
                continue
            timeout = number(container.get("stopTimeout")) or FARGATE_DEFAULT_STOP_TIMEOUT
            for group in groups:
                delay = number(get(group.props, "deregistrationDelay"))
                delay = DEFAULT_DEREGISTRATION_DELAY if delay is None else delay
                if timeout < delay:
                    yield (
                        service,
                        (
                            f"container {_name(container)} is killed after {int(timeout)} s while "
                            f"{group.name} drains for {int(delay)} s"
                        ),
                    )


_STATEFUL = (
    DB_INSTANCE, DB_CLUSTER, REPLICATION_GROUP, CACHE_CLUSTER, *BUCKETS, REPOSITORY, KMS_KEY,
    SECRET,
)  # fmt: skip


@_resource(
    "stateful-resources-protected", ("REL.7",), "P", _STATEFUL,
    "databases, caches, buckets, repositories, keys and secrets cannot be deleted by accident",
    "set ResourceOptions(protect=True) (stack config protectStatefulResources) and keep "
    "skip_final_snapshot=False on databases.",
)  # fmt: skip
def rel_protected(resource):
    props, opts = resource.props, resource.opts
    if not getattr(opts, "protect", False):
        yield "the resource is not protected (protect=True)"
    if is_true(get(props, "skipFinalSnapshot")):
        yield "skip_final_snapshot is true: deleting it loses the data"


@_resource(
    "alarms-notify", ("REL.8",), "P", (ALARM,),
    "every alarm notifies someone",
    "set alarm_actions to the stack's SNS topic (stack config alarms).",
)  # fmt: skip
def rel_alarm_actions(resource):
    props = resource.props
    if not items(get(props, "alarmActions")):
        yield "alarm_actions is empty: the alarm notifies nobody"


@_stack(
    "autoscaled-services-ignore-desired-count", ("REL.9",), "A",
    "services whose task count autoscaling owns ignore changes to desired_count",
    "add ResourceOptions(ignore_changes=['desired_count']) to the ECS service.",
)  # fmt: skip
def rel_ignore_desired(resources):
    targets = [
        t for t in of_type(resources, SCALING_TARGET) if get(t.props, "serviceNamespace") == "ecs"
    ]
    for service in of_type(resources, SERVICE):
        name = get(service.props, "name")
        scaled = any(
            depends_on(t, service)
            or (name and str(get(t.props, "resourceId", default="")).endswith(f"/{name}"))
            for t in targets
        )
        ignored = set(getattr(service.opts, "ignore_changes", None) or [])
        if scaled and not ignored & {"desiredCount", "desired_count"}:
            yield service, "autoscaling owns desired_count but `pulumi up` would reset it"


def specs() -> list[Spec]:
    """Every policy, in catalog order; checks that every control has a policy."""
    return list(_checked_specs())


@functools.cache
def _checked_specs() -> tuple[Spec, ...]:
    covered = {c for spec in SPECS for c in spec.controls}
    missing = sorted(set(CONTROLS) - covered)
    unknown = sorted(covered - set(CONTROLS))
    if missing or unknown:
        raise AssertionError(f"controls without policy: {missing}; unknown controls: {unknown}")
    return tuple(SPECS)


@_stack(
    "monthly-budget", ("COST.1",), "P",
    "the stack's estimated monthly cost stays within monthlyBudgetUsd",
    "lower the largest lines named in the message (sizes, NAT strategy, endpoints, Spot, "
    "off-hours scaling: docs/COSTS.md), or raise monthlyBudgetUsd.",
)  # fmt: skip
def monthly_budget(resources):
    try:  # imported as the `policy` package (tests, offline plan)
        from .budget import stack_budget_violation
    except ImportError:  # run by `pulumi preview --policy-pack policy`
        from budget import stack_budget_violation  # type: ignore[no-redef]

    message = stack_budget_violation(resources)
    if message is not None:
        yield None, message
