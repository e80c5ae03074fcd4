"""The permissions boundary of every role the program creates: what those roles use
(`roles_use`, as few statements as grant exactly that), the denies that hold whatever a role's
own policy says, and what keeps the boundary on every role (`boundary_protection`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..iam_path import BOUNDARY_TAG
from .statements import deny_bucket, no_access_points

ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"

# The boundary's tag (components/iam_path.py, BOUNDARY_TAG): IAM has no condition key for a
# role's *current* boundary on the actions that do not carry `iam:PermissionsBoundary`
# (PassRole, UpdateAssumeRolePolicy, TagRole, DeleteRole...: the Service Authorization Reference
# lists it on CreateRole, Put/DeleteRolePolicy, Attach/DetachRolePolicy and
# Put/DeleteRolePermissionsBoundary only), so those actions require the tag instead: CreateRole
# sets it together with the boundary (both conditions of one request) and no TagRole or
# UntagRole may ever name it.


def boundary_name(project: str, environment: str) -> str:
    """The bootstrap's permissions boundary policy (`<project>-<env>-boundary`)."""
    return f"{project}-{environment}-boundary"


# The IAM actions on a role whose request carries `iam:PermissionsBoundary` (the role's boundary
# as it is, or as requested for PutRolePermissionsBoundary): Service Authorization Reference,
# "Actions defined by AWS Identity and Access Management", condition keys column.
BOUNDARY_CONDITIONED = (
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
# ... and those whose request does not: they require the boundary's tag on the role.
BOUNDARY_TAGGED = (
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
)


def boundary_protection(boundary_arn: str) -> list[dict[str, Any]]:
    """The boundary stays on every role and stays as the bootstrap wrote it; its tag is set by
    CreateRole only, never added to a role that exists (nor removed)."""
    return [
        {
            "Sid": "BoundaryTagOnlyAtCreation",
            "Effect": "Deny",
            "Action": ["iam:TagRole", "iam:UntagRole"],
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": [BOUNDARY_TAG]}},
        },
        {
            "Sid": "BoundaryStays",
            "Effect": "Deny",
            "Action": ["iam:DeleteRolePermissionsBoundary"],
            "Resource": "*",
        },
        {
            "Sid": "BoundaryIsTheBootstraps",
            "Effect": "Deny",
            "Action": ["iam:PutRolePermissionsBoundary"],
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {
            "Sid": "BoundaryUnchanged",
            "Effect": "Deny",
            "Action": [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            "Resource": boundary_arn,
        },
    ]


# -- the permissions boundary: what the program's roles use, and nothing the deploy role lacks --

MANAGED_POLICY_STATEMENTS: Mapping[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    # AWS Managed Policy Reference, "AmazonRDSEnhancedMonitoringRole" (v1).
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole": (
        (("logs:CreateLogGroup", "logs:PutRetentionPolicy"), ("arn:aws:logs:*:*:log-group:RDS*",)),
        (
            (
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents",
            ),
            ("arn:aws:logs:*:*:log-group:RDS*:log-stream:*",),
        ),
    ),
    # AWS Managed Policy Reference, "AmazonECSInfrastructureRolePolicyForLoadBalancers": reads
    # of listeners, rules, target groups and health, target (de)registration, ModifyListener
    # and ModifyRule on application and network load balancers. AWS revises it (v2 to v6 in
    # 2025-2026): its reads are allowed as `Describe*`, so a new read does not break ECS.
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers": (
        (("elasticloadbalancing:Describe*",), ("*",)),
        (
            ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
            ("arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",),
        ),
        (
            ("elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"),
            (
                "arn:aws:elasticloadbalancing:*:*:listener/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/*",
            ),
        ),
    ),
}
"""The statements of the AWS managed policies the program attaches (`ATTACHABLE`)."""

ROLES_KMS_USE = ("kms:Decrypt", "kms:GenerateDataKey")
"""What task roles do with the program's keys (the documents key, ECS Exec's key)."""


RoleUse = tuple[str, tuple[str, ...], tuple[str, ...]]
"""(purpose, actions, resources): one thing a role of the program is given."""


def roles_use(project: str, environment: str) -> list[RoleUse]:
    """(purpose, actions, resources) of every action a role of the program is given: by
    `components/compute/iam.py` (execution and task roles), the state machine and EventBridge
    of `components/compute/rotation_restart.py`, the database's Scheduler role, the flow-log
    role, the lifecycle-hook roles, and the managed policies above. tests/test_bootstrap.py
    keeps it equal to what the committed plans give."""
    return [
        *_tasks_use(project, environment),
        *_account_wide_use(),
        *_operations_use(project, environment),
        *_faults_use(project, environment),
        *_managed_policies_use(),
    ]


def _tasks_use(project: str, environment: str) -> list[RoleUse]:
    """What the services' execution and task roles and the platform tasks use: images, logs,
    the stack's own secrets, parameters, cache, buckets and queues."""
    own_buckets = (
        f"arn:aws:s3:::{project}-{environment}-*",
        f"arn:aws:s3:::{project}-{environment}-*/*",
    )
    return [
        (
            "TasksImages",
            (
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ),
            ("arn:aws:ecr:*:*:repository/*",),
        ),
        (
            "TasksLogs",
            ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
            ("arn:aws:logs:*:*:log-group:*",),
        ),
        (
            # The stack's own secrets and parameters (`<project>/<env>/...`) and the database's
            # RDS-managed master secret (`rds!db-<id>`, a name RDS chooses).
            "TasksSecrets",
            ("secretsmanager:GetSecretValue", "ssm:GetParameters"),
            (
                f"arn:aws:secretsmanager:*:*:secret:{project}/{environment}/*",
                "arn:aws:secretsmanager:*:*:secret:rds!*",
                f"arn:aws:ssm:*:*:parameter/{project}/{environment}/*",
            ),
        ),
        (
            # The platform setup and rotation tasks (components/stack/platform_tasks.py) fill
            # and rotate the stack's own secrets and parameters, never another's.
            "PlatformTasksWrite",
            (
                "secretsmanager:DescribeSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
                "ssm:GetParameter",
                "ssm:PutParameter",
                "ssm:AddTagsToResource",
            ),
            (
                f"arn:aws:secretsmanager:*:*:secret:{project}/{environment}/*",
                f"arn:aws:ssm:*:*:parameter/{project}/{environment}/*",
            ),
        ),
        # Random characters, from no resource (Service Authorization Reference: no ARN).
        ("RandomPasswords", ("secretsmanager:GetRandomPassword",), ("*",)),
        (
            # IAM authentication to the stack's cache as its services' user.
            "ConnectToTheCache",
            ("elasticache:Connect",),
            (
                f"arn:aws:elasticache:*:*:replicationgroup:{project}-{environment}-*",
                f"arn:aws:elasticache:*:*:serverlesscache:{project}-{environment}-*",
                f"arn:aws:elasticache:*:*:user:{project}-{environment}-*",
            ),
        ),
        (
            "TasksWork",
            (
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListBucket",
                "s3:GetBucketLocation",
            ),
            own_buckets,
        ),
        (
            "TasksQueues",
            (
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:SendMessage",
            ),
            (f"arn:aws:sqs:*:*:{project}-{environment}-*",),
        ),
    ]


def _account_wide_use() -> list[RoleUse]:
    """Actions on any resource of their type: those IAM takes on `*` only, and the keys (the
    boundary's KMS denies keep them to the stack's)."""
    return [
        (
            # Actions IAM takes on `*` only (no resource-level permissions: Service
            # Authorization Reference): the tasks' registry login, log groups' description,
            # metrics, traces and ECS Exec channels; the FIS experiment role's finds.
            "NoResourceLevel",
            (
                "ecr:GetAuthorizationToken",
                "logs:DescribeLogGroups",
                "cloudwatch:PutMetricData",
                # The tracing collector's exporter (compute/telemetry.py) calls this one.
                "xray:PutTraceSegments",
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
                "tag:GetResources",
                "ecs:ListTasks",
                "ec2:Describe*",
                "ec2:GetManagedPrefixListEntries",
                "elasticache:DescribeReplicationGroups",
            ),
            ("*",),
        ),
        ("TasksKeys", ROLES_KMS_USE, ("arn:aws:kms:*:*:key/*",)),
    ]


def _operations_use(project: str, environment: str) -> list[RoleUse]:
    """The stack's operations: restarting services after a rotation, scheduled tasks, the
    database's schedule, deployment lifecycle hooks."""
    return [
        ("RestartServices", ("ecs:UpdateService",), ("arn:aws:ecs:*:*:service/*",)),
        # Scheduled tasks (components/compute/task.py): Scheduler runs the stack's task
        # definitions on its cluster and tags the tasks it starts.
        (
            "RunScheduledTasks",
            ("ecs:RunTask",),
            (f"arn:aws:ecs:*:*:task-definition/{project}-{environment}-*",),
        ),
        (
            "TagScheduledTasks",
            ("ecs:TagResource",),
            (f"arn:aws:ecs:*:*:task/{project}-{environment}-*/*",),
        ),
        (
            "StartRestart",
            ("states:StartExecution",),
            (f"arn:aws:states:*:*:stateMachine:{project}-{environment}-*",),
        ),
        (
            # The database's stop/start schedule; the FIS role's forced failover.
            "OperateDatabase",
            (
                "rds:StopDBInstance",
                "rds:StartDBInstance",
                "rds:DescribeDBInstances",
                "rds:RebootDBInstance",
            ),
            (f"arn:aws:rds:*:*:db:{project}-{environment}-*",),
        ),
        # Deployment lifecycle hooks: the functions a stack file names (any of the account's).
        ("InvokeHooks", ("lambda:InvokeFunction",), ("arn:aws:lambda:*:*:function:*",)),
    ]


def _faults_use(project: str, environment: str) -> list[RoleUse]:
    """The FIS experiment role (components/resilience/experiments.py): its faults on the
    stack's tasks and replication group, and on network ACLs and subnets (its own policy
    narrows those to the stack's VPC and the ACLs FIS creates and tags)."""
    return [
        (
            "Faults",
            ("ecs:DescribeTasks", "ecs:StopTask", "elasticache:InterruptClusterAzPower"),
            (
                f"arn:aws:ecs:*:*:task/{project}-{environment}-*",
                f"arn:aws:elasticache:*:*:replicationgroup:{project}-{environment}-*",
            ),
        ),
        (
            "FaultsNetwork",
            (
                "ec2:CreateNetworkAcl",
                "ec2:CreateNetworkAclEntry",
                "ec2:DeleteNetworkAcl",
                "ec2:ReplaceNetworkAclAssociation",
                "ec2:CreateTags",
            ),
            ("arn:aws:ec2:*:*:network-acl/*", "arn:aws:ec2:*:*:subnet/*", "arn:aws:ec2:*:*:vpc/*"),
        ),
    ]


def _managed_policies_use() -> list[RoleUse]:
    """The statements of the AWS managed policies the program attaches, each named after its
    policy and index."""
    return [
        (f"{arn.rsplit('/', 1)[-1].removeprefix('Amazon')[:40]}{index}", actions, resources)
        for arn, statements in MANAGED_POLICY_STATEMENTS.items()
        for index, (actions, resources) in enumerate(statements)
    ]


def _service(arn_or_action: str) -> str:
    """`s3` of `s3:GetObject` and of `arn:aws:s3:::bucket`."""
    return arn_or_action.split(":")[2 if arn_or_action.startswith("arn:") else 0]


def compact_statements(uses: list[RoleUse]) -> list[dict[str, Any]]:
    """`uses` (`roles_use`) as few Allow statements as grant exactly the same: a customer
    managed policy holds 6,144 characters (IAM quotas) and each statement costs its frame.

    The actions on `*` become one statement. The others are merged when their services are
    disjoint: an action is authorized against the ARNs of the resource types the Service
    Authorization Reference lists for it, its own service's but for a few
    (`ssm:AddTagsToResource` also tags EC2 instances and ECS tasks), so `s3:GetObject` next to
    `arn:aws:sqs:...` grants nothing on the queue, and two statements of one service never
    meet. tests/test_red_team_iam.py checks, in parliament's copy of that reference, that no
    merged statement puts an action beside a resource of another service it could take. Each
    purpose keeps its name in `roles_use`; the merged statements are `StackUse<n>`."""
    anywhere = [a for _, actions, resources in uses if resources == ("*",) for a in actions]
    groups: list[tuple[set[str], list[str], list[str]]] = []
    for sid, actions, resources in uses:
        if resources == ("*",):
            continue
        services = {_service(a) for a in actions}
        if not {_service(r) for r in resources} <= services:
            raise ValueError(f"{sid}: a resource of another service than its actions'")
        group = next((g for g in groups if not g[0] & services), None)
        if group is None:
            groups.append((set(services), list(actions), list(resources)))
        else:
            group[0].update(services)
            group[1].extend(actions)
            group[2].extend(resources)
    return [
        *(
            [{"Sid": "NoResourceLevel", "Effect": "Allow", "Action": anywhere, "Resource": "*"}]
            if anywhere
            else []
        ),
        *(
            {"Sid": f"StackUse{n}", "Effect": "Allow", "Action": actions, "Resource": resources}
            for n, (_, actions, resources) in enumerate(groups, 1)
        ),
    ]


ROLE_ASSUMPTION = (
    "sts:AssumeRole*",
    "sts:AssumeRoot",
    "sts:GetFederationToken",
    "sts:GetSessionToken",
    "sts:SetSourceIdentity",
    "sts:TagSession",
)
"""Every STS action that yields or shapes other credentials (Service Authorization Reference,
AWS Security Token Service)."""
AUDIT_SERVICES = ("cloudtrail:*", "guardduty:*", "config:*", "securityhub:*", "access-analyzer:*")
"""What records and judges the account: never changed by a role of the program."""


def boundary_policy(
    *,
    project: str,
    environment: str,
    secrets_key_arn: str,
    state_bucket_arn: str | None = None,
    state_key_arn: str | None = None,
) -> dict[str, Any]:
    """The permissions boundary of every role the program creates (the deploy role creates
    none without it): the actions its roles use (`roles_use`), on the resources they use them
    on, and explicit denies that hold whatever a role's own policy says: assuming roles, the
    account's audit services, IAM but passing the stack's own bounded roles to ECS tasks
    (what EventBridge Scheduler needs to start a scheduled task: RunTask with the task's
    execution and task roles), Organizations and account settings, KMS keys outside the
    environment, the bootstrap's keys and state, requests through S3 access points."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            *compact_statements(roles_use(project, environment)),
            _pass_the_stacks_roles_to_ecs_tasks(project, environment),
            *_boundary_denies(project, environment, secrets_key_arn, state_key_arn),
            *([deny_bucket("NoState", state_bucket_arn)] if state_bucket_arn is not None else []),
        ],
    }


def _pass_the_stacks_roles_to_ecs_tasks(project: str, environment: str) -> dict[str, Any]:
    """A scheduled task's Scheduler role passes the task's execution and task roles: only the
    stack's own, bounded roles (their boundary's tag), only to ECS tasks."""
    return {
        "Sid": "PassTheStacksRolesToEcsTasks",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::*:role/{project}/{environment}/*",
        "Condition": {
            "StringEquals": {
                "iam:PassedToService": ECS_TASKS_SERVICE,
                f"aws:ResourceTag/{BOUNDARY_TAG}": boundary_name(project, environment),
            }
        },
    }


def _boundary_denies(
    project: str, environment: str, secrets_key_arn: str, state_key_arn: str | None
) -> list[dict[str, Any]]:
    """What no role of the program may do whatever its own policy says: assume roles, change
    the audit services, Organizations or account settings, IAM but passing the stack's roles,
    use a key of another project or environment or the bootstrap's keys, go through S3 access
    points."""
    return [
        {
            "Sid": "NoRoleAssumption",
            "Effect": "Deny",
            "Action": list(ROLE_ASSUMPTION),
            "Resource": "*",
        },
        {
            "Sid": "NoAuditChanges",
            "Effect": "Deny",
            "Action": list(AUDIT_SERVICES),
            "Resource": "*",
        },
        {
            "Sid": "NoOrganizationOrAccount",
            "Effect": "Deny",
            "Action": ["organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Sid": "NoIamOutsideThePath",
            "Effect": "Deny",
            "Action": "iam:*",
            "NotResource": f"arn:aws:iam::*:role/{project}/{environment}/*",
        },
        {
            "Sid": "NoIamButPassingTheStacksRoles",
            "Effect": "Deny",
            "NotAction": "iam:PassRole",
            "Resource": f"arn:aws:iam::*:role/{project}/{environment}/*",
        },
        # Called directly, a key must be the environment's; through a service (Secrets Manager
        # decrypting the RDS-managed secret with aws/secretsmanager) the service's own action
        # is what this boundary scopes.
        *(
            {
                "Sid": f"NoKeysOfAnother{key}",
                "Effect": "Deny",
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {f"aws:ResourceTag/{key}": value},
                    "Null": {"kms:ViaService": "true"},
                },
            }
            for key, value in (("Project", project), ("Environment", environment))
        ),
        {
            "Sid": "NoBootstrapKeys",
            "Effect": "Deny",
            "Action": "kms:*",
            "Resource": [secrets_key_arn, *([state_key_arn] if state_key_arn else [])],
        },
        no_access_points(),
    ]
