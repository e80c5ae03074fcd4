"""Policy checks: least privilege per service (LP.1-LP.4), against the declared service graph.

Resources are linked through their property dependencies (a rule to its groups, a service to
its group, a task to its roles, a role policy to its role), which the engine knows before any id
exists. What the graph allows comes from the stack's own settings, rebuilt from its config
(`policy/stack_config.py`) with the program's graph module: a rule, permission or variable the
graph does not give is a violation, whoever added it. Without the stack's settings (a stack of
another program, `pulumi policy publish`) only the sharing checks run.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .base import (
    CLUSTER,
    DB_INSTANCE,
    INGRESS_RULE,
    INLINE_POLICIES,
    LOAD_BALANCERS,
    REPLICATION_GROUP,
    SECURITY_GROUP,
    SERVERLESS_CACHE,
    SERVICE,
    TASK,
    _stack,
    containers,
    documents,
    get,
    items,
    of_type,
    statements,
)

EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROLE = "aws:iam/role:Role"
INTERNET = ("0.0.0.0/0", "::/0")
S3_WRITE = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
S3_READ = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation")
EXEC_ACTIONS = (
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameters",
)
EXEC_LOG_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
"""What an ECS Exec task writes its session logs with (on the cluster's exec log group)."""


def exec_logging_targets(resources: Sequence[Any]) -> tuple[set[str], set[str]]:
    """(exec log group names, exec KMS key ids/ARNs) the stack's clusters log sessions with."""
    groups: set[str] = set()
    keys: set[str] = set()
    for cluster in of_type(resources, CLUSTER):
        config = get(cluster.props, "configuration", "executeCommandConfiguration") or {}
        name = get(config, "logConfiguration", "cloudWatchLogGroupName")
        if name:
            groups.add(str(name))
        if get(config, "kmsKeyId"):
            keys.add(str(get(config, "kmsKeyId")))
    return groups, keys


def _linked(resource: Any, prop: str, types: Iterable[str] | str) -> list[Any]:
    wanted = {types} if isinstance(types, str) else set(types)
    deps = (getattr(resource, "property_dependencies", None) or {}).get(prop) or []
    return [d for d in deps if d.resource_type in wanted]


def _one(resource: Any, prop: str, types: Iterable[str] | str) -> Any | None:
    found = _linked(resource, prop, types)
    return found[0] if found else None


def _settings() -> Any | None:
    from policy.stack_config import stack_settings

    return stack_settings()


def _services_by_physical_name(settings: Any) -> dict[str, Any]:
    from accessweaver_components.stack.outputs import service_name

    return {service_name(settings, s): s for s in settings.services}


def _tasks_by_family(settings: Any) -> dict[str, Any]:
    return {settings.task_family(t): t for t in getattr(settings, "tasks", ())}


def _is_task(workload: Any) -> bool:
    """A task (`TaskSettings`) rather than a service: it runs to completion."""
    return hasattr(workload, "run_before_deploy")


def _actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in items(statement.get("Action"))]


def _resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in items(statement.get("Resource"))]


def _role_policies(resources: Sequence[Any]) -> dict[str, list[Any]]:
    """Role URN -> the inline policies attached to it."""
    found: dict[str, list[Any]] = defaultdict(list)
    for policy in of_type(resources, tuple(INLINE_POLICIES)):
        for role in _linked(policy, "role", ROLE):
            found[role.urn].append(policy)
    return found


def _shared(
    resources: Sequence[Any], owners: Iterable[tuple[Any, Any]], what: str
) -> Iterable[tuple[Any, str]]:
    users: dict[str, list[Any]] = defaultdict(list)
    things: dict[str, Any] = {}
    for owner, thing in owners:
        users[thing.urn].append(owner)
        things[thing.urn] = thing
    for urn, owners_of in users.items():
        if len(owners_of) > 1:
            names = ", ".join(sorted(o.name for o in owners_of))
            yield things[urn], f"{what} {things[urn].name} is shared by {names}"


# -- LP.1: network paths -------------------------------------------------------------------


def _group_owners(resources: Sequence[Any], settings: Any | None) -> dict[str, str]:
    """Security group URN -> graph node (`service:<name>`, `alb`, `postgres`, `redis`)."""
    owners: dict[str, str] = {}
    by_name = _services_by_physical_name(settings) if settings is not None else {}
    for service in of_type(resources, SERVICE):
        spec = by_name.get(str(get(service.props, "name", default="")))
        for group in _linked(service, "networkConfiguration", SECURITY_GROUP):
            owners[group.urn] = f"service:{spec.name}" if spec else f"ecs:{service.name}"
    families = _tasks_by_family(settings) if settings is not None else {}
    for group in of_type(resources, SECURITY_GROUP):
        task = families.get(str(get(group.props, "tags", "Name", default="")))
        if task is not None and group.urn not in owners:
            # A task's group is referenced by no ECS service: the program names it after the
            # task's family (its Name tag), as it names a service's after the service.
            owners[group.urn] = f"task:{task.name}"
    for kind, types, prop in (
        ("alb", LOAD_BALANCERS, "securityGroups"),
        ("postgres", (DB_INSTANCE,), "vpcSecurityGroupIds"),
        ("redis", (REPLICATION_GROUP, SERVERLESS_CACHE), "securityGroupIds"),
    ):
        for owner in of_type(resources, types):
            if kind == "alb" and get(owner.props, "loadBalancerType") == "network":
                kind_of_owner = "nlb"  # the graph's NLB node (components/stack/graph.py)
            else:
                kind_of_owner = kind
            for group in _linked(owner, prop, SECURITY_GROUP):
                owners[group.urn] = kind_of_owner
    return owners


def _peer(rule: Any, owners: Mapping[str, str]) -> str:
    group = _one(rule, "referencedSecurityGroupId", SECURITY_GROUP)
    if group is not None:
        return owners.get(group.urn, f"group:{group.name}")
    referenced = get(rule.props, "referencedSecurityGroupId")
    if referenced:
        return f"external:{referenced}"  # a group of another program, named by its id
    return str(get(rule.props, "cidrIpv4") or get(rule.props, "cidrIpv6") or "?")


def _allowed_paths(settings: Any) -> set[tuple[str, str, int]]:
    from accessweaver_components.stack.graph import service_paths, task_paths

    paths = service_paths(settings.services, settings.graph_pieces)
    paths += task_paths(getattr(settings, "tasks", ()), settings.services, settings.graph_pieces)
    return {(p.source, p.target, p.port) for p in paths}


@_stack(
    "lp-own-security-group", ("LP.1*",), "A",
    "every service has its own security group, open only from its load balancer on its ports "
    "and from its declared callers, and out only to what it uses and calls (and 443); every "
    "task too, never open to anything",
    "declare the path in the stack file (services.<name>.calls / uses) instead of adding a "
    "rule by hand; never put two services in one group.",
)  # fmt: skip
def lp_own_security_group(resources):
    services = of_type(resources, SERVICE)
    pairs = [
        (service, group)
        for service in services
        for group in _linked(service, "networkConfiguration", SECURITY_GROUP)
    ]
    yield from _shared(resources, pairs, "security group")
    settings = _settings()
    if settings is None:
        return
    owners = _group_owners(resources, settings)
    allowed = _allowed_paths(settings)
    for rule in of_type(resources, INGRESS_RULE):
        group = _one(rule, "securityGroupId", SECURITY_GROUP)
        target = owners.get(group.urn) if group is not None else None
        if target is None or not target.startswith(("service:", "task:", "postgres", "redis")):
            continue
        if target.startswith("task:"):
            yield rule, f"{target} accepts connections: nothing connects to a task"
            continue
        source, port = _peer(rule, owners), int(get(rule.props, "fromPort", default=-1))
        if (source, target, port) not in allowed:
            yield (
                rule,
                (f"{target} accepts {source} on {port}, a path the service graph does not give"),
            )
    for rule in of_type(resources, EGRESS_RULE):
        group = _one(rule, "securityGroupId", SECURITY_GROUP)
        source = owners.get(group.urn) if group is not None else None
        if source is None or not (
            source.startswith(("service:", "task:")) or source in ("alb", "nlb")
        ):
            continue
        target, port = _peer(rule, owners), int(get(rule.props, "fromPort", default=-1))
        if target in INTERNET and port == 443 and source not in ("alb", "nlb"):
            continue  # the AWS APIs and registries (NAT or endpoints)
        if (source, target, port) not in allowed:
            yield rule, f"{source} may open {target} on {port}, a path the graph does not give"


# -- LP.2 / LP.3: roles ------------------------------------------------------------------------


def _service_of_task(task: Any, settings: Any | None) -> Any | None:
    """The service or the task (`TaskSettings`) a task definition is the family of."""
    if settings is None:
        return None
    family = str(get(task.props, "family", default=""))
    return _services_by_physical_name(settings).get(family) or _tasks_by_family(settings).get(
        family
    )


def _exec_statement_problem(
    action: str, statement: Mapping[str, Any], service: Any, exec_targets: tuple[set, set]
) -> str | None:
    """None when `action` is not one ECS Exec's session logging uses; else why it is wrong
    ('' = it is right: exec on, on the cluster's exec log group or key)."""
    groups, keys = exec_targets
    resources = _resources(statement)
    execute_command = getattr(service, "execute_command", False)  # never on a task
    if action == "logs:DescribeLogGroups":
        return "" if execute_command else f"{action}: ECS Exec is off for {service.name}"
    if action in EXEC_LOG_ACTIONS:
        if not execute_command:
            return f"{action}: ECS Exec is off for {service.name}"
        on_exec_group = all(
            any(r.endswith(f":log-group:{group}:*") for group in groups) for r in resources
        )
        return "" if on_exec_group else f"{action}: only on the cluster's ECS Exec log group"
    if action == "kms:Decrypt" and resources and set(resources) <= keys:
        return "" if execute_command else f"{action}: ECS Exec is off for {service.name}"
    return None


def _queue_statement_problem(
    action: str, statement: Mapping[str, Any], service: Any, settings: Any
) -> str:
    """An SQS action on queues the service does not consume or send to ('' = none)."""
    from accessweaver_components.data.queue import CONSUMER_ACTIONS, SENDER_ACTIONS

    consumed = [q.physical for q in settings.queues if q.consumer == service.name]
    sent = [q.physical for q in settings.queues if service.name in q.senders]
    allowed: list[str] = []
    if action in CONSUMER_ACTIONS:
        allowed += consumed
    if action in SENDER_ACTIONS:
        allowed += sent + (consumed if action == "sqs:SendMessage" else [])
    for resource in _resources(statement):
        if not any(resource.endswith(f":{queue}") for queue in allowed):
            return f"{action} on {resource}: {service.name} neither consumes nor sends to it so"
    return ""


PLATFORM_SECRET_ACTIONS = {
    "setup": ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
              "secretsmanager:PutSecretValue"),
    "rotate": ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
               "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"),
}  # fmt: skip
PLATFORM_PARAMETER_ACTIONS = ("ssm:GetParameter", "ssm:PutParameter", "ssm:AddTagsToResource")


def _platform_statement_problem(
    action: str, statement: Mapping[str, Any], task: Any, settings: Any
) -> str:
    """The platform tasks (generated secrets, database logins): random passwords, the RDS
    master secret read, and writes to the stack's own secrets and parameters only."""
    prefix = settings.platform.secrets.prefix if settings.platform.secrets else "?"
    resources = _resources(statement)
    if action == "secretsmanager:GetRandomPassword":
        return ""  # no resource: it only returns random characters
    if action in PLATFORM_SECRET_ACTIONS[task.platform]:
        allowed = [f":secret:{prefix}/"]
        if action == "secretsmanager:GetSecretValue":
            allowed.append(":secret:rds!")  # the RDS-managed master secret
        bad = [r for r in resources if not any(mark in r for mark in allowed)]
        return f"{action} on {', '.join(bad)}: not the stack's own secrets" if bad else ""
    if action in PLATFORM_PARAMETER_ACTIONS:
        bad = [r for r in resources if f":parameter/{prefix}/" not in r]
        return f"{action} on {', '.join(bad)}: not the stack's own parameters" if bad else ""
    return f"{action}: not something the platform {task.platform} task does"


def _cache_statement_problem(
    action: str, statement: Mapping[str, Any], service: Any, settings: Any
) -> str:
    """`elasticache:Connect`: only with `uses.cache`, on the stack's cache as its IAM user."""
    cache = settings.platform.cache
    if not service.uses.cache or cache is None:
        return f"{action}: {service.name} does not use the cache"
    cache_id = cache.replication_group_id
    marks = (
        f":replicationgroup:{cache_id}",
        f":serverlesscache:{cache_id}",
        f":user:{cache_id}-iam",
    )
    bad = [r for r in _resources(statement) if not r.endswith(marks)]
    return f"{action} on {', '.join(bad)}: not the stack's cache and its IAM user" if bad else ""


def _task_statement_problem(
    statement: Mapping[str, Any],
    service: Any,
    settings: Any,
    exec_targets: tuple[set, set] = (set(), set()),
) -> str:
    """Why one statement of a task role is more than the service's graph gives ('' = none)."""
    uses = service.uses
    for action in _actions(statement):
        if getattr(service, "platform", None):
            problem = _platform_statement_problem(action, statement, service, settings)
            if problem:
                return problem
            continue
        if action == "elasticache:Connect":
            problem = _cache_statement_problem(action, statement, service, settings)
            if problem:
                return problem
            continue
        exec_problem = _exec_statement_problem(action, statement, service, exec_targets)
        if exec_problem is not None:
            if exec_problem:
                return exec_problem
            continue
        if action.startswith("s3:"):
            if uses.documents is None:
                return f"{action}: {service.name} does not use the documents bucket"
            if action in S3_WRITE and uses.documents != "readWrite":
                return f"{action}: {service.name} uses the documents bucket read-only"
            if action not in (*S3_READ, *S3_WRITE):
                return f"{action}: not an action the documents bucket's users get"
        elif action.startswith("kms:"):
            if uses.documents is None:
                return f"{action}: {service.name} uses no key"
            if action != "kms:Decrypt" and uses.documents != "readWrite":
                return f"{action}: read-only users of the documents bucket only decrypt"
        elif action == "cloudwatch:PutMetricData":
            from accessweaver_components.stack.spring import metrics_namespace

            scoped = get(statement, "Condition", "StringEquals", "cloudwatch:namespace")
            own = metrics_namespace(settings, service)
            if _is_task(service) or not service.spring_boot or scoped != own:
                return (
                    f"{action}: allowed only to Spring services, scoped to their own namespace "
                    f"({own})"
                )
        elif action.startswith("sqs:"):
            problem = _queue_statement_problem(action, statement, service, settings)
            if problem:
                return problem
        elif action.startswith("xray:"):
            if not settings.xray_tracing:
                return f"{action}: X-Ray tracing is off in this stack"
            if _is_task(service) or not getattr(service, "tracing", False):
                return f"{action}: {service.name} runs no tracing collector"
            if action != "xray:PutTraceSegments":
                return f"{action}: the tracing collector calls xray:PutTraceSegments only"
        elif action.startswith("ssmmessages:"):
            if not getattr(service, "execute_command", False):
                return f"{action}: ECS Exec is off for {service.name}"
        else:
            return f"{action}: nothing {service.name} uses needs it"
    return ""


@_stack(
    "lp-own-task-role", ("LP.2*",), "A",
    "every task definition has its own task role holding only the actions on the resources "
    "its service uses (documents for its users, X-Ray, ECS Exec, its metrics namespace)",
    "declare what the service uses (services.<name>.uses) instead of adding a statement by "
    "hand; never share a task role between two task definitions.",
)  # fmt: skip
def lp_own_task_role(resources):
    tasks = of_type(resources, TASK)
    pairs = [(task, role) for task in tasks for role in _linked(task, "taskRoleArn", ROLE)]
    yield from _shared(resources, pairs, "task role")
    settings = _settings()
    policies = _role_policies(resources)
    exec_targets = exec_logging_targets(resources)
    for task, role in pairs:
        service = _service_of_task(task, settings)
        if service is None:
            continue
        for policy in policies.get(role.urn, []):
            document = documents(get(policy.props, "policy")) or {}
            for statement in statements(document):
                problem = _task_statement_problem(statement, service, settings, exec_targets)
                if problem:
                    yield policy, f"task role of {service.name}: {problem}"


def _task_needs(task: Any) -> tuple[set[str], set[str], set[str]]:
    """(ECR repository ARNs, log group names, secret ARNs) its containers reference."""
    from accessweaver_components.compute.iam import ecr_repository_arn, secret_resource_arn

    found, _ = containers(task.props)
    repositories = {arn for c in found if (arn := ecr_repository_arn(str(c.get("image", ""))))}
    groups = {str(get(c, "logConfiguration", "options", "awslogs-group")) for c in found}
    secrets = {
        secret_resource_arn(str(s.get("valueFrom", "")))
        for c in found
        for s in items(c.get("secrets"))
    }
    return repositories, groups, secrets


def _unneeded(granted: set[str], needed: set[str]) -> set[str]:
    """Granted ARNs no needed one names; a parameter given by name (`secret_resource_arn`:
    region and account `*`) is the granted ARN of that name."""
    return {g for g in granted if not any(fnmatch.fnmatchcase(g, n) for n in needed)}


@_stack(
    "lp-own-execution-role", ("LP.3*",), "A",
    "every task definition has its own execution role: its image repository, its log group "
    "and the secrets its containers reference, nothing else",
    "let the program write the execution role from the task definition; never share one.",
)  # fmt: skip
def lp_own_execution_role(resources):
    tasks = of_type(resources, TASK)
    pairs = [(task, role) for task in tasks for role in _linked(task, "executionRoleArn", ROLE)]
    yield from _shared(resources, pairs, "execution role")
    policies = _role_policies(resources)
    for task, role in pairs:
        repositories, groups, secrets = _task_needs(task)
        for policy in policies.get(role.urn, []):
            document = documents(get(policy.props, "policy")) or {}
            for statement in statements(document):
                for action in _actions(statement):
                    if action not in EXEC_ACTIONS:
                        yield policy, f"{task.name}: {action} is not something ECS needs"
                granted = set(_resources(statement))
                actions = _actions(statement)
                if any(a.startswith("ecr:Batch") or a.startswith("ecr:GetDownload")
                       for a in actions):  # fmt: skip
                    extra = granted - repositories
                elif any(a.startswith("logs:") for a in actions):
                    extra = {
                        r for r in granted
                        if r.split(":log-group:", 1)[-1].removesuffix(":log-stream:*")
                        not in groups
                    }  # fmt: skip
                elif any(a.startswith(("secretsmanager:", "ssm:")) for a in actions):
                    extra = _unneeded(granted, secrets)
                else:
                    extra = set()
                for resource in sorted(extra):
                    yield policy, f"{task.name}: grants {resource}, which its task does not use"


# -- LP.4: environment ---------------------------------------------------------------------


@_stack(
    "lp-only-what-it-uses", ("LP.4*",), "A",
    "a service's environment and secrets hold the platform's variables only for the pieces "
    "it uses and the services it calls",
    "declare the use or the call (services.<name>.uses / calls); do not copy another "
    "service's variables.",
)  # fmt: skip
def lp_only_what_it_uses(resources):
    settings = _settings()
    if settings is None:
        return
    from accessweaver_components.bindings import queue_variable, url_variable
    from accessweaver_components.data.config import CACHE_ENV, DATABASE_ENV, DOCUMENTS_ENV
    from accessweaver_components.identity.config import JWT_ENV, KEYCLOAK_ENV, KEYCLOAK_SERVICE
    from accessweaver_components.stack.resolve import wired_names

    universe = {*DATABASE_ENV, *CACHE_ENV, *DOCUMENTS_ENV, *JWT_ENV, *KEYCLOAK_ENV}
    universe |= {url_variable(s.name) for s in settings.services}
    universe |= {queue_variable(q.name) for q in settings.queues}
    for task in of_type(resources, TASK):
        service = _service_of_task(task, settings)
        if service is None or service.name == KEYCLOAK_SERVICE:
            continue
        allowed = set(wired_names(service.uses, service.calls, settings.platform))
        allowed |= set(service.environment) | set(service.secrets)
        found, _ = containers(task.props)
        names = {
            str(entry.get("name"))
            for c in found
            for key in ("environment", "secrets")
            for entry in items(c.get(key))
        }
        for name in sorted((names & universe) - allowed):
            yield task, f"{service.name} receives {name}, which nothing it uses or calls gives"
