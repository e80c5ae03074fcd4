"""IAM documents of the bootstrap's CI roles, as plain data: the deploy role's permissions and
its explicit denies, the preview and drift roles' additions to ReadOnlyAccess, the faults
role's. Their parts live by idea: GitHub OIDC trust in `trust.py`, the permissions boundary in
`boundary.py`, the state bucket in `state_access.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..iam_path import boundary_tag
from .boundary import (
    BOUNDARY_CONDITIONED,
    BOUNDARY_TAGGED,
    ROLES_KMS_USE,
    boundary_protection,
    roles_use,
)
from .data_reads import DATA_READS
from .state_access import state_objects, state_protection, state_statements
from .statements import statement

READ_ONLY_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
# The pulumi_aws modules the program registers resources of -> the IAM service prefixes that
# manage them. tests/test_bootstrap.py checks this against every type of the committed plans.
SERVICES_OF_MODULE: Mapping[str, tuple[str, ...]] = {
    "acm": ("acm",),
    "appautoscaling": ("application-autoscaling",),
    "cloudwatch": ("cloudwatch", "events", "logs"),
    "ec2": ("ec2",),
    "vpc": ("ec2",),
    "ecr": ("ecr",),
    "ecs": ("ecs",),
    "elasticache": ("elasticache",),
    "fis": ("fis",),
    "kms": ("kms",),
    "lb": ("elasticloadbalancing",),
    "rds": ("rds",),
    "route53": ("route53",),
    "s3": ("s3",),
    "scheduler": ("scheduler",),
    "secretsmanager": ("secretsmanager",),
    "servicediscovery": ("servicediscovery", "route53"),
    "sfn": ("states",),
    "sns": ("sns",),
    "sqs": ("sqs",),
    "ssm": ("ssm",),
    "wafv2": ("wafv2",),
}
"""`iam` is not here and `kms` is only named: roles and keys get their own, tag-scoped
statements (`iam_statements`, `kms_statements`), never a service-wide action."""
TAG_SCOPED = frozenset({"kms"})

# Services ECS, the ALB, RDS and ElastiCache create their service-linked roles for, on first use.
SERVICE_LINKED = (
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
    "elasticache.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
    "fis.amazonaws.com",
)
# The services the program's roles are passed to.
PASSED_TO = (
    "ecs-tasks.amazonaws.com",
    "ecs.amazonaws.com",
    "events.amazonaws.com",
    "states.amazonaws.com",
    "scheduler.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
    "fis.amazonaws.com",
)
# AWS managed policies the program attaches (the ALB traffic-shift role, RDS monitoring).
ATTACHABLE = (
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
)


def services_of(types: Iterable[str]) -> set[str]:
    """The IAM service prefixes managing these `aws:<module>/...` resource types."""
    found: set[str] = set()
    for type_ in types:
        if not type_.startswith(("aws:", "awsx:")):
            continue
        module = type_.split(":")[1].split("/")[0]
        found |= set(SERVICES_OF_MODULE.get(module, ()))
    return found


def iam_statements(project: str, environment: str, boundary_arn: str) -> list[dict[str, Any]]:
    """The program's roles: created only under its path, with its Project and Environment tags,
    the bootstrap's boundary and the boundary's tag; changed, attached and passed only while
    they carry that boundary (conditions on `iam:PermissionsBoundary` where IAM has it, on the
    boundary's tag elsewhere)."""
    marker = boundary_tag(boundary_arn)
    own = {
        "aws:ResourceTag/Project": project,
        "aws:ResourceTag/Environment": environment,
        **{f"aws:ResourceTag/{k}": v for k, v in marker.items()},
    }
    bounded = {"iam:PermissionsBoundary": boundary_arn}
    # The program's roles live under /<project>/<env>/ (components/iam_path.py): no statement
    # below reaches a role elsewhere in the account, an administrator's or the CI roles.
    roles = f"arn:aws:iam::*:role/{project}/{environment}/*"
    readable = ["arn:aws:iam::*:role/*", "arn:aws:iam::*:policy/*"]
    return [
        statement(
            "IamRead",
            [
                "iam:GetRole*",
                "iam:GetPolicy*",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
            ],
            readable,
        ),
        statement(
            "IamCreateBounded",
            ["iam:CreateRole"],
            roles,
            StringEquals={
                "aws:RequestTag/Project": project,
                "aws:RequestTag/Environment": environment,
                **{f"aws:RequestTag/{k}": v for k, v in marker.items()},
            },
            ArnEquals=bounded,
        ),
        # A tag update sends only the tags that changed (Project and Environment when the
        # stack's tags change): TagRole with those request tags, on the program's path.
        statement(
            "IamTagOnCreate",
            ["iam:TagRole"],
            roles,
            StringEquals={
                "aws:RequestTag/Project": project,
                "aws:RequestTag/Environment": environment,
            },
        ),
        # PutRolePermissionsBoundary's condition is the boundary requested: only this one.
        statement(
            "IamPoliciesOfBounded",
            [*BOUNDARY_CONDITIONED[:2], BOUNDARY_CONDITIONED[4]],
            roles,
            ArnEquals=bounded,
        ),
        statement(
            "IamAttachManaged",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            roles,
            ArnEquals={**bounded, "iam:PolicyARN": list(ATTACHABLE)},
        ),
        statement("IamManageBounded", list(BOUNDARY_TAGGED), roles, StringEquals=own),
        # iam:PassRole on the role resource supports aws:ResourceTag (Service Authorization
        # Reference, resource type `role`): only roles carrying the boundary's tag are passed.
        statement(
            "IamPassBounded",
            ["iam:PassRole"],
            roles,
            StringEquals={
                "iam:PassedToService": list(PASSED_TO),
                **{f"aws:ResourceTag/{k}": v for k, v in marker.items()},
            },
        ),
        statement(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            "arn:aws:iam::*:role/aws-service-role/*",
            StringEquals={"iam:AWSServiceName": list(SERVICE_LINKED)},
        ),
    ]


KEY_ARN_OF_AN_EXISTING_KEY = (
    "arn:aws:kms:*:*:key/????????-????-????-????-????????????",
    "arn:aws:kms:*:*:key/mrk-*",
)
"""The ARN of a key that exists (a key id is a UUID; a multi-Region key's starts `mrk-`). Tags
added while creating a key are authorized by an IAM policy "not restricted to particular KMS
keys" that "must cover all KMS keys in the account and Region" (KMS developer guide,
"Controlling access to tags", "Managing KMS key tags with API operations"): the CreateKey's
TagResource is not a request on an existing key's ARN."""


def kms_statements(project: str, environment: str) -> list[dict[str, Any]]:
    """The program's KMS keys: created with its Project and Environment tags, administered and
    used only while they carry them. A key that exists without them cannot be tagged into the
    scope (`KmsNoAdoption`): tagging into it happens at CreateKey only."""
    request = {"aws:RequestTag/Project": project, "aws:RequestTag/Environment": environment}
    own = {"aws:ResourceTag/Project": project, "aws:ResourceTag/Environment": environment}
    keys, aliases = "arn:aws:kms:*:*:key/*", f"arn:aws:kms:*:*:alias/{project}-{environment}-*"
    return [
        statement("KmsList", ["kms:ListAliases", "kms:ListKeys"], "*"),
        statement("KmsDescribe", ["kms:DescribeKey"], keys),
        statement(
            "KmsCreateTagged",
            ["kms:CreateKey", "kms:TagResource"],
            "*",
            StringEquals=request,
        ),
        # An alias call needs the alias and its key (KMS developer guide, "Controlling access
        # to aliases"); the program's aliases are all `alias/<project>-<env>-...` (the secrets
        # provider's, `alias/<project>-<env>-secrets`, is denied in deploy_policy).
        statement(
            "KmsAliases", ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], [aliases, keys]
        ),
        statement(
            "KmsManageOwn",
            [
                "kms:Get*",
                "kms:ListResourceTags",
                "kms:ListGrants",
                "kms:PutKeyPolicy",
                "kms:EnableKeyRotation",
                "kms:ScheduleKeyDeletion",
                "kms:CancelKeyDeletion",
                "kms:UpdateKeyDescription",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:CreateGrant",
                "kms:RevokeGrant",
            ],
            keys,
            StringEquals=own,
        ),
        # What the program's roles do with its keys (the boundary allows it, so the deploy role
        # may too); it could grant itself as much through PutKeyPolicy on these same keys.
        statement("KmsUseOwn", list(ROLES_KMS_USE), keys, StringEquals=own),
        # One statement per tag: a key of another environment of the same project is as
        # foreign as a key of another project.
        *(
            {
                "Sid": f"KmsNoAdoptionBy{key}",
                "Effect": "Deny",
                "Action": ["kms:TagResource", "kms:UntagResource"],
                "Resource": list(KEY_ARN_OF_AN_EXISTING_KEY),
                "Condition": {"StringNotEquals": {f"aws:ResourceTag/{key}": value}},
            }
            for key, value in (("Project", project), ("Environment", environment))
        ),
    ]


def secrets_key_statement(key_arn: str, *, write: bool) -> dict[str, Any]:
    """The stacks' secrets provider: previews decrypt config secrets, deploys encrypt too."""
    actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
    return statement("SecretsProvider", actions, key_arn)


def pull_statement(
    region: str, account_ids: Sequence[str], repository_prefix: str
) -> list[dict[str, Any]]:
    """Pulling the images a stack promotes from another account's repositories."""
    if not account_ids:
        return []
    return [
        statement(
            "PullPromotedImages",
            ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            [f"arn:aws:ecr:{region}:{a}:repository/{repository_prefix}/*" for a in account_ids],
        )
    ]


def deploy_policy(
    *,
    project: str,
    environment: str,
    services: Iterable[str],
    secrets_key_arn: str,
    state_bucket_arn: str | None = None,
    state_key_arn: str | None = None,
    boundary_arn: str,
    extra: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """What `pulumi up` of one stack needs: the services the program manages (whole services:
    a deploy creates, changes and deletes every kind of resource they hold, and IAM caps an
    inline policy at 10,240 characters, far below their action lists), its own roles
    (path- and tag-scoped, bounded), what those roles are given beyond the managed services
    (the boundary allows nothing the deploy role cannot do), its state and its secrets key;
    never the CI roles, the secrets key, the state key or the bootstrap's Access Analyzer, its
    rule and its topic themselves (explicit denies, `deploy_guards_policy`)."""
    managed = sorted(set(services) - TAG_SCOPED)
    beyond = [
        statement(f"RolesUse{sid}", kept, list(resources))
        for sid, actions, resources in roles_use(project, environment)
        if (kept := [a for a in actions if a.split(":")[0] not in [*managed, "kms"]])
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            statement("Identity", ["sts:GetCallerIdentity"], "*"),
            statement("ManagedServices", [f"{service}:*" for service in managed], "*"),
            *beyond,
            *iam_statements(project, environment, boundary_arn),
            *kms_statements(project, environment),
            secrets_key_statement(secrets_key_arn, write=True),
            *state_statements(
                state_bucket_arn, state_key_arn, project=project, stack=environment, write=True
            ),
            *extra,
        ],
    }


def deploy_guards_policy(
    *,
    project: str,
    environment: str,
    secrets_key_arn: str,
    state_bucket_arn: str | None = None,
    state_key_arn: str | None = None,
    state_log_bucket_arn: str | None = None,
    boundary_arn: str,
) -> dict[str, Any]:
    """The deploy role's explicit denies, in a managed policy of their own attached to it (an
    inline policy holds 10,240 characters, IAM quotas; the allows of `deploy_policy` fill it):
    never the CI roles, the secrets key, the state key or the bootstrap's Access Analyzer, its
    rule and its topic; never the state's settings, another stack's state or its access logs;
    never a role without the boundary, nor the boundary itself or this policy."""
    guards_arn = (
        f"arn:aws:iam::*:policy/{project}/{environment}/{deploy_guards_name(project, environment)}"
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ProtectTheBootstrap",
                "Effect": "Deny",
                "Action": "iam:*",
                "Resource": [
                    f"arn:aws:iam::*:role/{project}-{environment}-{kind}"
                    for kind in ("deploy", "preview", "drift", "faults")
                ]
                + [guards_arn],
            },
            # The bootstrap's keys carry the program's tags: named here, used only as the
            # secrets provider (and, in prod's account, the state's key through S3).
            {
                "Sid": "ProtectTheBootstrapKeys",
                "Effect": "Deny",
                "NotAction": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:Describe*"],
                "Resource": [
                    secrets_key_arn,
                    f"arn:aws:kms:*:*:alias/{project}-{environment}-secrets",
                    *([state_key_arn] if state_key_arn else []),
                ],
            },
            {
                "Sid": "ProtectTheBootstrapsAlarms",
                "Effect": "Deny",
                "Action": ["access-analyzer:*", "events:*", "sns:*"],
                "Resource": list(security_alarm_arns(project, environment)),
            },
            *state_protection(state_bucket_arn, state_log_bucket_arn, project, environment),
            *boundary_protection(boundary_arn),
        ],
    }


def deploy_guards_name(project: str, environment: str) -> str:
    """The managed policy holding the deploy role's denies (`deploy_guards_policy`)."""
    return f"{project}-{environment}-deploy-guards"


def security_alarm_names(project: str, environment: str) -> dict[str, str]:
    """The names of the bootstrap's IAM Access Analyzer, the EventBridge rule routing its
    findings and the SNS topic it notifies (`components/bootstrap/analyzer.py`)."""
    prefix = f"{project}-{environment}"
    return {
        "analyzer": f"{prefix}-account",
        "rule": f"{prefix}-access-findings",
        "topic": f"{prefix}-security-alarms",
    }


def security_alarm_arns(project: str, environment: str) -> tuple[str, ...]:
    names = security_alarm_names(project, environment)
    return (
        f"arn:aws:access-analyzer:*:*:analyzer/{names['analyzer']}",
        f"arn:aws:events:*:*:rule/{names['rule']}",
        f"arn:aws:sns:*:*:{names['topic']}",
    )


def release_record_path_arn(project: str, environment: str) -> str:
    """The Parameter Store path of the stack's release record (`components/stack/release.py`):
    GetParametersByPath is authorized against the path it asks for, not the parameters it
    returns (Systems Manager user guide, "How Parameter Store authorizes parameter retrieval"),
    and nothing but the record lives under it."""
    return f"arn:aws:ssm:*:*:parameter/{project}/{environment}/release"


def release_record_read(project: str, environment: str) -> dict[str, Any]:
    """Every run of the program reads the release record (image digests, not secret)."""
    return statement(
        "ReleaseRecord", ["ssm:GetParametersByPath"], release_record_path_arn(project, environment)
    )


def _reads_denied(
    sid: str,
    actions: Sequence[str],
    bucket_arn: str | None,
    *,
    project: str,
    stack: str,
    also_allowed: Sequence[str] = (),
) -> dict[str, Any]:
    """Deny `actions` on every resource but the stack's own state (and `meta.yaml`) and
    `also_allowed`."""
    deny: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": list(actions)}
    if bucket_arn or also_allowed:
        deny["NotResource"] = [
            *([f"{bucket_arn}/.pulumi/meta.yaml"] if bucket_arn else []),
            *(state_objects(bucket_arn, project, stack) if bucket_arn else []),
            *also_allowed,
        ]
    else:
        deny["Resource"] = "*"
    return deny


def preview_policy(
    *,
    project: str,
    environment: str,
    secrets_key_arn: str,
    state_bucket_arn: str | None = None,
    state_key_arn: str | None = None,
) -> dict[str, Any]:
    """Beside AWS's ReadOnlyAccess: the secrets key to decrypt config, the state to read; and
    no data: pull-request code runs with this role (`DATA_READS`, every data read of the
    catalogue's services, denied but the state and the release record); no write at all."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            secrets_key_statement(secrets_key_arn, write=False),
            *state_statements(
                state_bucket_arn, state_key_arn, project=project, stack=environment, write=False
            ),
            release_record_read(project, environment),
            _reads_denied(
                "NoDataReads",
                DATA_READS,
                state_bucket_arn,
                project=project,
                stack=environment,
                also_allowed=[release_record_path_arn(project, environment)],
            ),
        ],
    }


drift_policy = preview_policy
"""Beside ReadOnlyAccess, for `pulumi preview --refresh` of the main branch's code: the preview
role's state, key and deny of every data read. A refresh reads back no value: the program keeps
none in its state (no secret version, no parameter of its own: the platform setup task fills
them in AWS), so the drift role reads no secret or parameter either."""


def faults_policy(*, project: str, environment: str) -> dict[str, Any]:
    """What `faults.yml` needs to run the stack's fault experiments (`tools/faults.py`): find
    the stack's experiment templates (their Project and Environment tags) and start them, follow
    and stop the experiments, create FIS's service-linked role on the first run, and read the
    services' task counts and the guard alarm to report the recovery. Nothing else: the
    experiment's own role (the program's, bounded) does the faults."""
    own = {"aws:ResourceTag/Project": project, "aws:ResourceTag/Environment": environment}
    templates, experiments = "arn:aws:fis:*:*:experiment-template/*", "arn:aws:fis:*:*:experiment/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            statement("FindExperiments", ["fis:ListExperimentTemplates"], "*"),
            statement(
                "TheStacksTemplates",
                ["fis:GetExperimentTemplate", "fis:StartExperiment"],
                templates,
                StringEquals=own,
            ),
            statement(
                "RunExperiments",
                ["fis:StartExperiment", "fis:GetExperiment", "fis:StopExperiment"],
                experiments,
            ),
            statement(
                "FisServiceLinkedRole",
                ["iam:CreateServiceLinkedRole"],
                "arn:aws:iam::*:role/aws-service-role/fis.amazonaws.com/*",
                StringEquals={"iam:AWSServiceName": "fis.amazonaws.com"},
            ),
            statement(
                "WatchTheRecovery",
                ["ecs:DescribeServices"],
                f"arn:aws:ecs:*:*:service/{project}-{environment}-cluster/*",
            ),
            statement(
                "WatchTheGuard",
                ["cloudwatch:DescribeAlarms"],
                f"arn:aws:cloudwatch:*:*:alarm:{project}-{environment}-*",
            ),
        ],
    }
