"""Policy checks: the security trail (S3.9, WAF.11, EXEC.1*, EXEC.2*, LOG.1*, LOG.2*).

Who read the documents, what the WAF saw, what an operator typed in a container, and how long
all of it is kept. Companions are found through property dependencies (a logging configuration
to its bucket or web ACL, a service to its cluster), which exist before any id does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .base import (
    BUCKET_LOGGING,
    BUCKETS,
    CLUSTER,
    FLOW_LOG,
    INLINE_POLICIES,
    LIFECYCLES,
    LOAD_BALANCERS,
    LOG_GROUP,
    SERVICE,
    TASK,
    WEB_ACL,
    WEB_ACL_LOGGING,
    _stack,
    companions,
    containers,
    get,
    is_true,
    items,
    linked,
    log_buckets,
    number,
    of_type,
    urn_of,
)

WAF_LOG_PREFIX = "aws-waf-logs-"
SECURITY_LOG_MIN_DAYS = 365
ACCESS_LOG_MIN_DAYS = 90
"""An ALB's access logs: raw request lines (tokens, e-mail addresses in query strings) that
nothing can redact; a quarter of them, the WAF's protected log keeps the year."""
AUDIT_LOG_MIN_DAYS = 365
RDS_LOG_PREFIXES = ("/aws/rds/instance/", "/aws/rds/cluster/")
PERSONAL_QUERY_ARGUMENTS = ("code", "id_token_hint", "login_hint", "access_token", "SAMLRequest")
"""What a WAF record must never hold in clear: OAuth codes and tokens, the ID token and the
login hint (an e-mail address) of OpenID Connect, SAML requests."""


def _sources(logging: Any) -> set[str]:
    """URNs of the bucket(s) a BucketLogging configures (its `bucket`, not its target)."""
    deps = linked(logging, "bucket")
    if deps:
        return {urn_of(d) for d in deps}
    targets = {urn_of(d) for d in linked(logging, "targetBucket")}
    return {urn_of(d) for d in getattr(logging, "dependencies", []) or []} - targets


@_stack(
    "s3-access-logging", ("S3.9",), "P",
    "every data bucket (every bucket that is not itself a log target) has server access logging",
    "add s3.BucketLogging to a log bucket with SSE-S3 (documents.accessLogs: true), or record "
    "its S3 data events with CloudTrail and waive this policy with the trail's name.",
)  # fmt: skip
def s3_access_logging(resources):
    logged: dict[str, list[Any]] = {}
    for logging in of_type(resources, BUCKET_LOGGING):
        sources = _sources(logging)
        if sources & {urn_of(d) for d in linked(logging, "targetBucket")}:
            yield logging, "the bucket logs into itself: every log write adds a log object"
            continue
        for source in sources:
            logged.setdefault(source, []).append(logging)
    targets = log_buckets(resources) - set(logged)
    for bucket in of_type(resources, BUCKETS):
        if urn_of(bucket) not in targets and urn_of(bucket) not in logged:
            yield bucket, "no server access logging: who read or changed an object is not kept"


def _destination_names(config: Any, resources: Sequence[Any]) -> list[str]:
    """Names of the log destinations (log groups it takes its ARNs from, else the ARNs)."""
    groups = [d for d in linked(config, "logDestinationConfigs") if d.resource_type == LOG_GROUP]
    if groups:
        return [str(get(g.props, "name") or g.name) for g in groups]
    return [str(v).rsplit(":", 1)[-1].rsplit("/", 1)[-1] for v in items(
        get(config.props, "logDestinationConfigs"))]  # fmt: skip


def _redacted_headers(config: Any) -> set[str]:
    return {
        str(get(field, "singleHeader", "name")).lower()
        for field in items(get(config.props, "redactedFields"))
        if get(field, "singleHeader", "name")
    }


@_stack(
    "waf-logging", ("WAF.11",), "P",
    "every web ACL logs to an aws-waf-logs-* destination with the authorization header redacted",
    "add wafv2.WebAclLoggingConfiguration to a log group named aws-waf-logs-<name>, "
    "redacted_fields=[{'single_header': {'name': 'authorization'}}].",
)  # fmt: skip
def waf_logging(resources):
    configs = of_type(resources, WEB_ACL_LOGGING)
    for acl in of_type(resources, WEB_ACL):
        mine = [
            c for c in configs
            if urn_of(acl) in {urn_of(d) for d in linked(c, "resourceArn")}
            or c in companions(resources, acl, WEB_ACL_LOGGING)
        ]  # fmt: skip
        if not mine:
            yield acl, "the web ACL logs nothing: blocked and allowed requests leave no trace"
            continue
        for config in mine:
            bad = [n for n in _destination_names(config, resources) if not n.startswith(
                WAF_LOG_PREFIX)]  # fmt: skip
            if bad:
                yield config, f"destination {bad[0]} does not start with {WAF_LOG_PREFIX}"
            if "authorization" not in _redacted_headers(config):
                yield config, "the authorization header is not redacted: tokens reach the logs"


def _exec_on(service: Any) -> bool:
    return is_true(get(service.props, "enableExecuteCommand"))


def _clusters_of(service: Any, resources: Sequence[Any]) -> list[Any]:
    found = [d for d in linked(service, "cluster") if d.resource_type == CLUSTER]
    return found or [c for c in of_type(resources, CLUSTER) if c in (
        getattr(service, "dependencies", []) or [])]  # fmt: skip


def _log_group_named(resources: Sequence[Any], name: str) -> Any | None:
    for group in of_type(resources, LOG_GROUP):
        if get(group.props, "name") == name:
            return group
    return None


def exec_problem(cluster: Any, resources: Sequence[Any]) -> str:
    """Why `cluster` does not keep its ECS Exec sessions in an encrypted log group ('' = it
    does)."""
    config = get(cluster.props, "configuration", "executeCommandConfiguration") or {}
    if get(config, "logging") != "OVERRIDE":
        return (
            f"execute_command_configuration.logging is {get(config, 'logging') or 'DEFAULT'}: "
            "sessions go to the applications' log groups, unencrypted, or nowhere"
        )
    log = get(config, "logConfiguration") or {}
    name = get(log, "cloudWatchLogGroupName")
    if not name:
        return "no cloud_watch_log_group_name: sessions are not logged to CloudWatch"
    if not is_true(get(log, "cloudWatchEncryptionEnabled")):
        return "cloud_watch_encryption_enabled is not true"
    group = _log_group_named(resources, str(name))
    if group is not None and not get(group.props, "kmsKeyId"):
        return f"the session log group {name} is not encrypted with a KMS key"
    return ""


@_stack(
    "ecs-exec-sessions-logged", ("EXEC.1*",), "A",
    "wherever ECS Exec is on, the cluster logs every session to a KMS-encrypted log group",
    "give the cluster configuration.execute_command_configuration with logging OVERRIDE, "
    "cloud_watch_encryption_enabled and a log group with kms_key_id (EcsClusterArgs.exec_logging).",
)  # fmt: skip
def ecs_exec_logged(resources):
    for service in of_type(resources, SERVICE):
        if not _exec_on(service):
            continue
        for cluster in _clusters_of(service, resources):
            problem = exec_problem(cluster, resources)
            if problem:
                name = get(service.props, "name") or service.name
                yield cluster, f"{name} runs ECS Exec but {problem}"


RDS_MASTER_SECRET = ":secret:rds!"
"""RDS names the master user's managed secret `rds!<resource>` (its ARN holds `:secret:rds!`)."""


def master_secret_reads(task: Any, resources: Sequence[Any]) -> list[str]:
    """How a task definition reaches an RDS-managed master secret: a container's secret
    (`valueFrom`, in the container's environment once started) or its task role's policy (the
    credentials inside the container)."""
    found, _ = containers(task.props)
    reads = [
        f"container {c.get('name')} gets {s.get('name')} from it"
        for c in found
        for s in items(c.get("secrets"))
        if RDS_MASTER_SECRET in str(s.get("valueFrom", ""))
    ]
    for role in linked(task, "taskRoleArn"):
        for policy in of_type(resources, tuple(INLINE_POLICIES)):
            if role in linked(policy, "role") and RDS_MASTER_SECRET in str(
                get(policy.props, "policy")
            ):
                reads.append(f"its task role's policy {policy.name} names it")
    return reads


@_stack(
    "ecs-exec-no-master-password", ("EXEC.2*",), "A",
    "no task definition of a service with ECS Exec on holds or may read the database's master "
    "password (an exec session is a root shell in the task)",
    "give the service a database login of its own (the stack's platform setup task creates one "
    "per service); only the setup task reads the RDS-managed master secret.",
)  # fmt: skip
def ecs_exec_no_master_password(resources):
    for service in of_type(resources, SERVICE):
        if not _exec_on(service):
            continue
        for task in linked(service, "taskDefinition"):
            if task.resource_type != TASK:
                continue
            name = get(service.props, "name") or service.name
            for read in master_secret_reads(task, resources):
                yield task, f"{name} runs ECS Exec and {read}"


def _security_log_groups(resources: Sequence[Any]) -> list[tuple[Any, str]]:
    found: list[tuple[Any, str]] = []
    for flow_log in of_type(resources, FLOW_LOG):
        for group in linked(flow_log, "logDestination"):
            if group.resource_type == LOG_GROUP:
                found.append((group, "flow logs"))
    for group in of_type(resources, LOG_GROUP):
        if str(get(group.props, "name") or "").startswith(WAF_LOG_PREFIX):
            found.append((group, "WAF logs"))
    for cluster in of_type(resources, CLUSTER):
        name = get(
            cluster.props, "configuration", "executeCommandConfiguration", "logConfiguration",
            "cloudWatchLogGroupName",
        )  # fmt: skip
        group = _log_group_named(resources, str(name)) if name else None
        if group is not None:
            found.append((group, "ECS Exec sessions"))
    return found


def _expiration_days(bucket: Any, resources: Sequence[Any]) -> list[float]:
    return [
        days
        for config in companions(resources, bucket, LIFECYCLES)
        for rule in items(get(config.props, "rules"))
        if get(rule, "status") == "Enabled"
        for days in [number(get(rule, "expiration", "days"))]
        if days is not None
    ]


def _s3_log_targets(resources: Sequence[Any]) -> set[str]:
    return {
        urn_of(dep)
        for logging in of_type(resources, BUCKET_LOGGING)
        for dep in linked(logging, "targetBucket")
    }


def _alb_log_buckets(resources: Sequence[Any]) -> set[str]:
    return {
        urn_of(dep)
        for balancer in of_type(resources, LOAD_BALANCERS)
        for dep in getattr(balancer, "dependencies", []) or []
        if dep.resource_type in BUCKETS
    }


@_stack(
    "security-logs-kept-a-year", ("LOG.1*",), "R",
    f"flow logs, WAF logs, ECS Exec sessions and S3 access logs are kept at least "
    f"{SECURITY_LOG_MIN_DAYS} days, ALB access logs at least {ACCESS_LOG_MIN_DAYS}",
    "set securityLogRetentionDays (and network.flowLogRetentionDays if set) to 365 or more, "
    "edge.accessLogRetentionDays to 90 or more; application logs keep logRetentionDays.",
)  # fmt: skip
def security_logs_kept(resources):
    for group, what in _security_log_groups(resources):
        days = number(get(group.props, "retentionInDays"))
        if days is not None and days < SECURITY_LOG_MIN_DAYS:
            yield group, f"{what} kept {int(days)} days, less than {SECURITY_LOG_MIN_DAYS}"
    targets, albs = log_buckets(resources), _alb_log_buckets(resources)
    for bucket in of_type(resources, BUCKETS):
        if urn_of(bucket) not in targets:
            continue
        # A bucket that also takes S3 server access logs keeps the year those need.
        minimum, what = (
            (ACCESS_LOG_MIN_DAYS, "ALB access logs")
            if urn_of(bucket) in albs and urn_of(bucket) not in _s3_log_targets(resources)
            else (SECURITY_LOG_MIN_DAYS, "access logs")
        )
        short = [d for d in _expiration_days(bucket, resources) if d < minimum]
        if short:
            yield bucket, f"{what} expire after {int(min(short))} days, less than {minimum}"


def _keycloak_log_groups(resources: Sequence[Any]) -> list[Any]:
    """Keycloak's log groups: tagged with its service name, or named after it (both known
    during a preview, unlike the task definition's JSON that names the group)."""
    return [
        g
        for g in of_type(resources, LOG_GROUP)
        if get(g.props, "tags", "Service") == "keycloak"
        or str(get(g.props, "name") or "").endswith("/keycloak")
    ]


def waf_personal_data_problem(acl: Any, configs: Sequence[Any]) -> str:
    """Why the web ACL's records may hold tokens or e-mail addresses of query strings ('' =
    they cannot): the web ACL's data protection substitutes or hashes those arguments (or the
    whole query string), or its logging configuration redacts the query string."""
    protections = items(get(acl.props, "dataProtectionConfig", "dataProtections"))
    covered: set[str] = set()
    for protection in protections:
        kind = get(protection, "field", "fieldType")
        keys = {str(k) for k in items(get(protection, "field", "fieldKeys"))}
        if kind not in ("QUERY_STRING", "SINGLE_QUERY_ARGUMENT"):
            continue
        if is_true(get(protection, "excludeRuleMatchDetails")):
            return f"{kind} protection excludes the rule match details, which keep the values"
        covered |= set(PERSONAL_QUERY_ARGUMENTS) if kind == "QUERY_STRING" else keys
    for config in configs:
        if any(get(f, "queryString") is not None for f in items(
                get(config.props, "redactedFields"))):  # fmt: skip
            covered |= set(PERSONAL_QUERY_ARGUMENTS)
    missing = [a for a in PERSONAL_QUERY_ARGUMENTS if a not in covered]
    if missing:
        return (
            f"query arguments {', '.join(missing)} reach the WAF's logs and sampled requests "
            "in clear (tokens, e-mail addresses)"
        )
    return ""


@_stack(
    "auth-and-database-logs-kept-no-personal-query", ("LOG.2*",), "R",
    f"Keycloak's and PostgreSQL's logs are kept at least {AUDIT_LOG_MIN_DAYS} days; tokens and "
    "e-mail addresses of query strings never reach the WAF's records",
    "set auditLogRetentionDays to 365 or more (or unset in prod), and keep the web ACL's "
    "data_protection_config substituting the personal query arguments "
    "(components/edge/rules.py WAF_PROTECTED_QUERY_ARGUMENTS).",
)  # fmt: skip
def audit_logs_kept(resources):
    rds = [g for g in of_type(resources, LOG_GROUP)
           if str(get(g.props, "name") or "").startswith(RDS_LOG_PREFIXES)]  # fmt: skip
    for group, what in [(g, "Keycloak's logs") for g in _keycloak_log_groups(resources)] + [
        (g, "PostgreSQL's exported logs") for g in rds
    ]:
        days = number(get(group.props, "retentionInDays"))
        if days is not None and days < AUDIT_LOG_MIN_DAYS:
            yield group, f"{what} kept {int(days)} days, less than {AUDIT_LOG_MIN_DAYS}"
    configs = of_type(resources, WEB_ACL_LOGGING)
    for acl in of_type(resources, WEB_ACL):
        mine = [c for c in configs if urn_of(acl) in {urn_of(d) for d in linked(c, "resourceArn")}]
        problem = waf_personal_data_problem(acl, mine)
        if problem:
            yield acl, problem
