"""Checks over a recorded run (`PlanResult.resources`), as pure functions: the tests call them on
the committed stacks and on deliberately broken input; the plan or a policy can reuse them.

The field report lost 20 minutes to target groups attached to no listener rule; the first check
proves, from what the program registers, that cannot happen again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from .engine import RecordedResource, mock_state

TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"


def _arn(resource: RecordedResource, region: str) -> str:
    """The ARN the offline engine gave the resource (ids and ARNs embed the logical name)."""
    return mock_state(resource.type, resource.name, dict(resource.inputs), region)[1]["arn"]


def forwarded_target_groups(actions: Iterable[dict[str, Any]]) -> list[str]:
    """Target group ARNs a list of listener or rule actions forwards to (weighted or not)."""
    arns = []
    for action in actions:
        if action.get("type") != "forward":
            continue
        if action.get("targetGroupArn"):
            arns.append(action["targetGroupArn"])
        for group in (action.get("forward") or {}).get("targetGroups", []):
            arns.append(group["arn"])
    return arns


def listener_routing_problems(resources: Iterable[RecordedResource], region: str) -> list[str]:
    """Every target group is forwarded to by a listener rule or a listener's default action,
    every rule sits on a listener of the run and forwards to target groups of the run, and no
    two rules of a listener share a priority. Returns one sentence per problem."""
    resources = list(resources)
    groups = {_arn(r, region): r.name for r in resources if r.type == TARGET_GROUP}
    listeners = {_arn(r, region): r for r in resources if r.type == LISTENER}
    reached: dict[str, list[str]] = defaultdict(list)
    problems: list[str] = []

    for listener in listeners.values():
        for target in forwarded_target_groups(listener.inputs.get("defaultActions", [])):
            reached[target].append(f"listener {listener.name} (default action)")
    by_priority: dict[tuple[str, int], list[str]] = defaultdict(list)
    for rule in (r for r in resources if r.type == LISTENER_RULE):
        listener_arn = rule.inputs.get("listenerArn")
        if listener_arn not in listeners:
            problems.append(f"rule {rule.name} is on listener {listener_arn}, not one of this run")
        priority = rule.inputs.get("priority")
        if priority is None:
            problems.append(f"rule {rule.name} has no explicit priority")
        else:
            by_priority[(str(listener_arn), int(priority))].append(rule.name)
        for target in forwarded_target_groups(rule.inputs.get("actions", [])):
            if target not in groups:
                problems.append(f"rule {rule.name} forwards to {target}, not a group of this run")
            reached[target].append(f"rule {rule.name}")
    for (listener_arn, priority), names in sorted(by_priority.items()):
        if len(names) > 1:
            owner = listeners[listener_arn].name if listener_arn in listeners else listener_arn
            problems.append(
                f"listener {owner}: priority {priority} is used by {', '.join(sorted(names))}"
            )
    for arn, name in sorted(groups.items(), key=lambda item: item[1]):
        if arn not in reached:
            problems.append(
                f"target group {name} is attached to no listener rule or default action"
            )
    return problems


def internet_ingress(resources: Iterable[RecordedResource]) -> list[tuple[str, str, int, int]]:
    """(security group id, CIDR, from port, to port) of every ingress open to 0.0.0.0/0 or ::/0,
    from standalone rules and from inline `ingress` blocks."""
    open_rules = []
    for r in resources:
        if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
            for cidr in (r.inputs.get("cidrIpv4"), r.inputs.get("cidrIpv6")):
                if cidr in ("0.0.0.0/0", "::/0"):
                    open_rules.append(
                        (
                            r.inputs["securityGroupId"],
                            cidr,
                            int(r.inputs.get("fromPort", -1)),
                            int(r.inputs.get("toPort", -1)),
                        )
                    )
        elif r.type in (
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        ):
            for block in r.inputs.get("ingress", []):
                cidrs = [*block.get("cidrBlocks", []), *block.get("ipv6CidrBlocks", [])]
                for cidr in cidrs:
                    if cidr in ("0.0.0.0/0", "::/0"):
                        open_rules.append(
                            (r.name, cidr, int(block["fromPort"]), int(block["toPort"]))
                        )
        elif r.type == "aws:ec2/securityGroupRule:SecurityGroupRule" and (
            r.inputs.get("type") == "ingress"
        ):
            for cidr in [*r.inputs.get("cidrBlocks", []), *r.inputs.get("ipv6CidrBlocks", [])]:
                if cidr in ("0.0.0.0/0", "::/0"):
                    open_rules.append(
                        (
                            r.inputs["securityGroupId"],
                            cidr,
                            int(r.inputs["fromPort"]),
                            int(r.inputs["toPort"]),
                        )
                    )
    return open_rules


def _header_conditions_hold(conditions: Iterable[dict[str, Any]], headers: dict[str, str]) -> bool:
    """Every `httpHeader` condition of a rule matches one of `headers` (names case-insensitive,
    values by pattern, case-insensitive, as the ALB compares them)."""
    sent = {name.lower(): value.lower() for name, value in headers.items()}
    for condition in conditions:
        header = condition.get("httpHeader")
        if not header:
            continue
        value = sent.get(str(header.get("httpHeaderName", "")).lower())
        if value is None or not any(
            fnmatchcase(value, str(pattern).lower()) for pattern in header.get("values", [])
        ):
            return False
    return True


def first_matching_rule(
    resources: Iterable[RecordedResource],
    region: str,
    path: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, list[str]] | None:
    """What the ALB does with a request for `path` carrying `headers`: (priority, names of the
    target groups it forwards to; none for a fixed response) of the first listener rule whose
    path pattern and header conditions match, rules taken in priority order as the ALB
    evaluates them (`*` any run of characters, `?` one, paths case-sensitive)."""
    resources = list(resources)
    groups = {_arn(r, region): r.name for r in resources if r.type == TARGET_GROUP}
    rules = sorted(
        (r for r in resources if r.type == LISTENER_RULE),
        key=lambda r: int(r.inputs.get("priority", 50000)),
    )
    for rule in rules:
        conditions = rule.inputs.get("conditions", [])
        patterns = [
            value
            for condition in conditions
            for value in (condition.get("pathPattern") or {}).get("values", [])
        ]
        if any(fnmatchcase(path, pattern) for pattern in patterns) and _header_conditions_hold(
            conditions, headers or {}
        ):
            targets = forwarded_target_groups(rule.inputs.get("actions", []))
            return int(rule.inputs["priority"]), [groups.get(t, t) for t in targets]
    return None


# The input holding the physical name of types that do not call it `name`.
_NAME_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:s3/bucket:Bucket": ("bucket",),
    "aws:ecs/taskDefinition:TaskDefinition": ("family",),
    "aws:rds/instance:Instance": ("identifier", "finalSnapshotIdentifier"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "replicationGroupId",
        "finalSnapshotIdentifier",
    ),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName",),
    "aws:rds/parameterGroup:ParameterGroup": ("name",),  # not `family`: that is the engine
}
# Types whose name is unique only inside another resource, so two stacks cannot collide on it
# unless they share that resource (a cluster or a namespace of neither, given by id): the input
# naming the scope (a dotted path into the inputs).
_SCOPED_NAMES = {
    "aws:servicediscovery/service:Service": "dnsConfig.namespaceId",  # inside its namespace
    "aws:ecs/service:Service": "cluster",  # inside its cluster
    "aws:appautoscaling/policy:Policy": "resourceId",  # on its scalable target
    "aws:appautoscaling/scheduledAction:ScheduledAction": "resourceId",
    "aws:iam/rolePolicy:RolePolicy": "role",  # inside its role
}


def _scope(inputs: Mapping[str, Any], path: str) -> str | None:
    value: Any = inputs
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) and value else None


def physical_names(
    resources: Iterable[RecordedResource], *, within_scopes: bool = False
) -> dict[tuple[str, str], str]:
    """`(type, physical name) -> logical name` of every name the program sets itself and AWS
    keeps unique per account and region (S3: worldwide). Auto-named resources (Pulumi adds a
    random suffix) are left out: they cannot collide. Two stacks of one account must share none
    of these, or the second `pulumi up` fails on "already exists" (the report's failure 7).

    `within_scopes`: also the names unique only inside another resource that the program does
    not create, as `<scope>/<name>` (an ECS service in the existing cluster `arn:...`): two
    stacks that share an existing cluster or namespace must not share these either."""
    names: dict[tuple[str, str], str] = {}
    for resource in resources:
        if not resource.custom:
            continue
        scope_input = _SCOPED_NAMES.get(resource.type)
        if scope_input is not None:
            # A scope the program creates (its value comes from one of its resources) is a new
            # one per stack: only a scope given from outside (an id from config) is shared.
            created = bool(resource.property_dependencies.get(scope_input.split(".")[0]))
            scope = _scope(resource.inputs, scope_input) if within_scopes and not created else None
            name = resource.inputs.get("name")
            if scope is not None and isinstance(name, str) and name:
                names[(resource.type, f"{scope}/{name}")] = resource.name
            continue
        for key in _NAME_INPUTS.get(resource.type, ("name",)):
            value = resource.inputs.get(key)
            if isinstance(value, str) and value:
                names[(resource.type, value)] = resource.name
    return names
