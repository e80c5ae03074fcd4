"""What every check module shares: `Spec`, the registry, resource types and helpers.

Properties are the
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

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Scope = Literal["A", "P", "R"]
ResourceCheck = Callable[[Any], Iterable[str]]
"""Called with a ResourceValidationArgs or a PolicyResource: `.resource_type`, `.props`, `.opts`."""
StackCheck = Callable[[Sequence[Any]], Iterable[tuple[Any, str]]]


@dataclass(frozen=True)
class Spec:
    """One policy: its controls, where it is enforced and the check that finds violations."""

    name: str
    controls: tuple[str, ...]
    scope: Scope
    """A: mandatory on every stack. P: mandatory in prod and staging, advisory in dev.
    R: mandatory in prod, not run in staging and dev (CONTROLS.md "prod")."""
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
        where = {
            "A": "every stack",
            "P": "prod and staging; advisory in dev",
            "R": "prod only",
        }[self.scope]
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
LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
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
SERVERLESS_CACHE = "aws:elasticache/serverlessCache:ServerlessCache"
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
BUCKET_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
QUEUE = "aws:sqs/queue:Queue"
REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCHEDULED_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
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


def container_problems(
    props: Mapping[str, Any],
    problems: Callable[[Mapping[str, Any]], Iterable[str]],
    *,
    report_invalid: bool = True,
) -> Iterator[str]:
    """`container <name> <problem>` for every problem `problems` finds in a container of the
    task definition, after the definitions' own error when they are not a JSON list (unless
    `report_invalid` is off: the policy leaves that to the others)."""
    defined, error = containers(props)
    if error and report_invalid:
        yield error
    for container in defined:
        for problem in problems(container):
            yield f"container {_name(container)} {problem}"


def urn_of(resource: Any) -> str:
    return getattr(resource, "urn", "")


def depends_on(resource: Any, target: Any) -> bool:
    """`resource` takes an input from `target` (or from the component that made `target`)."""
    wanted = {urn_of(target)}
    parent = getattr(target, "parent", None)
    if parent is not None and parent.resource_type in VPCS:
        wanted.add(urn_of(parent))  # awsx builds the VPC; others depend on the component
    return any(urn_of(dep) in wanted for dep in getattr(resource, "dependencies", []) or [])


def linked(resource: Any, prop: str) -> list[Any]:
    """The resources `resource`'s input `prop` takes a value from (its property dependencies)."""
    return list((getattr(resource, "property_dependencies", None) or {}).get(prop) or [])


def log_buckets(resources: Sequence[Any]) -> set[str]:
    """URNs of the buckets AWS delivers logs to: an ALB's access-log bucket (the ALB depends
    on it) and the target of a bucket's server access logging."""
    found = {
        urn_of(dep)
        for balancer in of_type(resources, LOAD_BALANCERS)
        for dep in getattr(balancer, "dependencies", []) or []
        if dep.resource_type in BUCKETS
    }
    for logging in of_type(resources, BUCKET_LOGGING):
        found |= {urn_of(dep) for dep in linked(logging, "targetBucket")}
    return found


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
