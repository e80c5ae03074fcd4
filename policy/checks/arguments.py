"""The fix a program of one's own on the components is given: its component arguments.

A spec's `remedy` names the provider argument and, where one applies, AccessWeaver's stack key
(`stack config edge.accessLogs`). A program built on the components without AccessWeaver's stack
layer has no such key: the offline plan then prints the hint below, which names the component
argument (`LoadBalancerArgs.access_logs`) that sets what the policy checks.
`tests/test_own_program.py` checks that every `XArgs.field` named here is an argument of the
components. A policy without an entry keeps its remedy (the provider argument).
"""

from __future__ import annotations

ARGUMENTS: dict[str, str] = {
    "ecs-service-no-public-ip": (
        "leave MicroserviceArgs.assign_public_ip False and give MicroserviceArgs.subnet_ids "
        "private subnets."
    ),
    "ecs-non-root-awsvpc": "set ContainerArgs.user to a non-root uid[:gid] (default 1000).",
    "ecs-container-insights": "set EcsClusterArgs.container_insights to 'enabled' or 'enhanced'.",
    "fargate-ephemeral-storage-encrypted": "set EcsClusterArgs.encrypt_ephemeral_storage=True.",
    "ecs-exec-sessions-logged": "set EcsClusterArgs.exec_logging (ExecLoggingArgs).",
    "elb-access-logs": "set LoadBalancerArgs.access_logs (AccessLogArgs).",
    "elb-deletion-protection": "set LoadBalancerArgs.deletion_protection=True.",
    "elb-waf-attached": "set LoadBalancerArgs.waf (WafArgs).",
    "elb-modern-tls": "set LoadBalancerArgs.ssl_policy to a TLS 1.3 policy (the default).",
    "ec2-vpc-flow-logs": "set NetworkArgs.flow_logs=True.",
    "rds-multi-az": "set DatabaseArgs.multi_az=True.",
    "rds-enhanced-monitoring": "set DatabaseArgs.monitoring_interval (1-60 s).",
    "rds-deletion-protection": "set DatabaseArgs.deletion_protection=True.",
    "rds-backups-7-days": "set DatabaseArgs.backup_retention_days to 7 or more.",
    "rds-non-default-port": "set DatabaseArgs.port to another value than 5432.",
    "rds-custom-admin-name": "set DatabaseArgs.username to a name other than postgres or admin.",
    "elasticache-backups": "set CacheArgs.snapshot_retention_days to 1 or more.",
    "elasticache-failover": "set CacheArgs.nodes to 2 or more (or CacheArgs.serverless=True).",
    "s3-sse-kms": "set DocumentStoreArgs.customer_managed_key=True.",
    "log-group-retention": (
        "set MicroserviceArgs.log_retention_days (DatabaseArgs.log_retention_days, "
        "WafArgs.log_retention_days, NetworkArgs.flow_log_retention_days for theirs)."
    ),
    "ecs-circuit-breaker-rollback": (
        "leave DeploymentArgs.circuit_breaker True (MicroserviceArgs.deployment)."
    ),
    "ecs-rolling-capacity": (
        "set DeploymentArgs.minimum_healthy_percent=100 and DeploymentArgs.maximum_percent=200."
    ),
    "ecs-two-tasks-two-azs": (
        "set MicroserviceArgs.desired_count and ScalingArgs.min_capacity to 2 or more, with "
        "MicroserviceArgs.subnet_ids in 2+ AZs."
    ),
    "ecs-grace-period-with-load-balancer": "set DeploymentArgs.health_check_grace_period.",
    "ecs-container-health-checks": "set ContainerArgs.health_check on every service.",
    "ecs-graceful-stop": (
        "set ContainerArgs.stop_timeout (<= 120) at least as long as "
        "LoadBalancerArgs.deregistration_delay, or shorten the delay."
    ),
    "stateful-resources-protected": (
        "set protect=True on the stateful components' arguments (DatabaseArgs.protect, "
        "CacheArgs.protect, DocumentStoreArgs.protect, EcsClusterArgs.protect)."
    ),
    "alarms-notify": (
        "set AlarmArgs.actions (MicroserviceArgs.alarms) and WorkQueueArgs.alarm_actions to an "
        "SNS topic's ARN (AlertTopic)."
    ),
    "lp-own-security-group": (
        "open a path with MicroserviceArgs.bindings (the callee's .binding()) instead of adding a "
        "rule by hand; never put two services in one group."
    ),
    "lp-own-task-role": (
        "grant what the service uses through MicroserviceArgs.bindings instead of adding a "
        "statement by hand; never share a task role between two task definitions."
    ),
    "lp-only-what-it-uses": (
        "grant the use or the call through MicroserviceArgs.bindings; do not copy another "
        "service's variables."
    ),
}


def fix(policy: str, remedy: str, *, stack_keys: bool) -> str:
    """The hint for `policy`: its remedy on a stack of AccessWeaver's stack layer
    (`stack_keys`), else the component arguments that set it, when some do."""
    return remedy if stack_keys else ARGUMENTS.get(policy, remedy)
