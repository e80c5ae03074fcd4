"""IAM documents of the bootstrap project, as plain data: GitHub OIDC trust, the preview and
deploy roles' permissions, the state bucket's and keys' policies.

Trust (AWS IAM user guide, "Configuring a role for GitHub OIDC identity provider"; GitHub docs,
"OpenID Connect reference"): the audience must be `sts.amazonaws.com` and the subject names
this repository, one GitHub environment and the workflow file and ref that asked for the token.
With the repository's subject template `repo`, `context`, `job_workflow_ref`
(`github_settings.CLAIM_KEYS`, set by the bootstrap's GitHub component), a job that declares
`environment: X` in workflow file F at ref R gets the subject
`repo:<owner>/<repo>:environment:X:job_workflow_ref:<owner>/<repo>/.github/workflows/F@R`.
The deploy role trusts `dev` (`staging`, `prod`) from `deploy-stack.yml` on `main`, the drift
role `drift-<env>` from `drift.yml` on `main`, the preview role `preview-<env>` from
`preview.yml` on a pull request's merge ref (`refs/pull/*/merge`, the only wildcard).
The environments' own rules (main only, reviewers) are GitHub's side of the bargain
(`github_settings.py`). `trust_problems` is what refuses anything looser.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..formats import Environment
from .github_settings import PULL_REQUEST_REF, WorkflowPin, subject_prefix

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
AUDIENCE = "sts.amazonaws.com"
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
)
ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
# The services the program's roles are passed to.
PASSED_TO = (
    "ecs-tasks.amazonaws.com",
    "ecs.amazonaws.com",
    "events.amazonaws.com",
    "states.amazonaws.com",
    "scheduler.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)
# AWS managed policies the program attaches (the ALB traffic-shift role, RDS monitoring).
ATTACHABLE = (
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
)
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def subject(prefix: str, github_environment: str, job_workflow_ref: str) -> str:
    """The OIDC subject of a job in `github_environment` of the workflow `job_workflow_ref`
    (`<owner>/<repo>/.github/workflows/<file>@<ref>`), under the subject template
    `github_settings.CLAIM_KEYS`; `prefix` is `repo:<owner>/<repo>` (`subject_prefix`)."""
    return f"{prefix}:environment:{github_environment}:job_workflow_ref:{job_workflow_ref}"


def trust_policy(
    provider_arn: str,
    repository: str,
    github_environment: str,
    pin: WorkflowPin,
    prefix: str | None = None,
) -> dict[str, Any]:
    """Only GitHub jobs of this repository running in this environment, from this workflow
    file at this ref, for STS. A pull request's ref (`PULL_REQUEST_REF`) needs `StringLike`
    for its number; every other subject is matched exactly."""
    repo = prefix or subject_prefix(repository)
    sub = subject(repo, github_environment, pin.job_workflow_ref(repository))
    operator = "StringLike" if "*" in pin.ref else "StringEquals"
    conditions: dict[str, dict[str, str]] = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": AUDIENCE}}
    conditions.setdefault(operator, {})[f"{GITHUB_OIDC_HOST}:sub"] = sub
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActions",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": conditions,
            }
        ],
    }


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


_WILDCARD = re.compile(r"[*?]")
_IMMUTABLE_IDS = re.compile(r"@\d+(?=/|$)")
_PINNED = re.compile(
    r"^(?P<context>[^:]+:[^:]+|pull_request):job_workflow_ref:"
    r"(?P<repository>[^/:]+/[^/:]+)/\.github/workflows/(?P<file>[^/:@]+)@(?P<ref>[^:]+)$"
)
_PINNED_REF = re.compile(r"^refs/(heads|tags)/[^*?]+$")


def _repository_of(owner_repo: str) -> str:
    """`owner/repo` of a subject's repo segment, GitHub's immutable ids (`@<id>`) dropped."""
    return _IMMUTABLE_IDS.sub("", owner_repo).lower()


def _subject_problem(value: str, repository: str | None) -> str | None:
    owner_repo, _, rest = value.removeprefix("repo:").partition(":")
    if not value.startswith("repo:") or _WILDCARD.search(owner_repo):
        return "does not name one repository"
    if repository is not None and _repository_of(owner_repo) != repository.lower():
        return f"is not {repository}"
    context = rest.split(":job_workflow_ref:", 1)[0]
    if not rest or _WILDCARD.search(context):
        return "admits any branch or environment"
    pinned = _PINNED.match(rest)
    if pinned is None:
        return "does not pin the workflow file and its ref (job_workflow_ref)"
    if _repository_of(pinned["repository"]) != _repository_of(owner_repo):
        return "pins a workflow of another repository"
    ref = pinned["ref"]
    if _WILDCARD.search(pinned["file"]) or not (ref == PULL_REQUEST_REF or _PINNED_REF.match(ref)):
        return "admits any workflow file or ref (only a pull request's number may vary)"
    return None


def trust_problems(document: Mapping[str, Any], repository: str | None = None) -> list[str]:
    """Why a trust policy admitting GitHub's OIDC provider is too loose (empty when it is not):
    no `sts.amazonaws.com` audience, no `sub` condition, a `sub` of another repository, with a
    wildcard in its repository or context, or that does not pin the workflow file and its ref
    (`job_workflow_ref:<owner>/<repo>/.github/workflows/<file>@refs/heads/<branch>`, or a pull
    request's `refs/pull/*/merge`: a wildcard on the number only)."""
    problems: list[str] = []
    statements = document.get("Statement", [])
    for index, statement in enumerate([statements] if isinstance(statements, dict) else statements):
        federated = _values((statement.get("Principal") or {}).get("Federated"))
        if statement.get("Effect") != "Allow" or not any(GITHUB_OIDC_HOST in f for f in federated):
            continue
        where = f"statement {statement.get('Sid') or index}"
        conditions = statement.get("Condition") or {}
        equals = conditions.get("StringEquals") or {}
        like = conditions.get("StringLike") or {}
        if _values(equals.get(f"{GITHUB_OIDC_HOST}:aud")) != [AUDIENCE]:
            problems.append(f"{where}: the audience is not only {AUDIENCE}")
        subjects = _values(equals.get(f"{GITHUB_OIDC_HOST}:sub")) + _values(
            like.get(f"{GITHUB_OIDC_HOST}:sub")
        )
        if not subjects:
            problems.append(f"{where}: no `sub` condition: every GitHub repository could assume it")
        for value in subjects:
            problem = _subject_problem(value, repository)
            if problem is not None:
                problems.append(f"{where}: the subject {value!r} {problem}")
    return problems


def _statement(sid: str, actions: Sequence[str], resources: Any, **condition: Any) -> dict:
    found: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": resources,
    }
    if condition:
        found["Condition"] = condition
    return found


def services_of(types: Iterable[str]) -> set[str]:
    """The IAM service prefixes managing these `aws:<module>/...` resource types."""
    found: set[str] = set()
    for type_ in types:
        if not type_.startswith(("aws:", "awsx:")):
            continue
        module = type_.split(":")[1].split("/")[0]
        found |= set(SERVICES_OF_MODULE.get(module, ()))
    return found


def iam_statements(
    project: str, environment: str, boundary_arn: str | None = None
) -> list[dict[str, Any]]:
    """The program's roles: created only under its path and with its Project and Environment
    tags, changed and passed (to the services that run them) only there and with those tags."""
    own = {"aws:ResourceTag/Project": project, "aws:ResourceTag/Environment": environment}
    # The program's roles live under /<project>/<env>/ (components/iam_path.py): no statement
    # below reaches a role elsewhere in the account, an administrator's or the CI roles.
    roles = f"arn:aws:iam::*:role/{project}/{environment}/*"
    readable = ["arn:aws:iam::*:role/*", "arn:aws:iam::*:policy/*"]
    return [
        _statement(
            "IamRead",
            [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListRoleTags",
                "iam:ListInstanceProfilesForRole",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
            ],
            readable,
        ),
        _statement(
            "IamCreateTagged",
            ["iam:CreateRole"],
            roles,
            StringEquals={
                "aws:RequestTag/Project": project,
                "aws:RequestTag/Environment": environment,
            },
            # every role it creates has the bootstrap's boundary (`boundary_policy`)
            **({"ArnEquals": {"iam:PermissionsBoundary": boundary_arn}} if boundary_arn else {}),
        ),
        # Creating a tagged role is CreateRole and TagRole (IAM user guide, "Tagging IAM
        # roles"); iam:PermissionsBoundary is not in TagRole's request, so apart.
        _statement(
            "IamTagOnCreate",
            ["iam:TagRole"],
            roles,
            StringEquals={
                "aws:RequestTag/Project": project,
                "aws:RequestTag/Environment": environment,
            },
        ),
        _statement(
            "IamManageOwn",
            [
                "iam:DeleteRole",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
            ],
            # TagRole here too: an update sends only the tags that changed (no Project in the
            # request), which IamCreateTagged's request-tag condition would refuse.
            roles,
            StringEquals=own,
        ),
        _statement(
            "IamAttachManaged",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            roles,
            StringEquals=own,
            ArnEquals={"iam:PolicyARN": list(ATTACHABLE)},
        ),
        # No tag condition on PassRole: the IAM user guide ("Grant a user permissions to pass a
        # role") warns that ResourceTag conditions on iam:PassRole are not reliable. The path
        # and the receiving services bound it.
        _statement(
            "IamPassOwn",
            ["iam:PassRole"],
            roles,
            StringEquals={"iam:PassedToService": list(PASSED_TO)},
        ),
        _statement(
            "ServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            "arn:aws:iam::*:role/aws-service-role/*",
            StringEquals={"iam:AWSServiceName": list(SERVICE_LINKED)},
        ),
    ]


def kms_statements(project: str, environment: str) -> list[dict[str, Any]]:
    """The program's KMS keys: created with its Project and Environment tags, administered only
    while they carry them; no statement lets the deploy role decrypt with them (nothing in a
    deploy needs to). The bootstrap's own keys carry those tags too: `deploy_policy` denies
    them by ARN."""
    request = {"aws:RequestTag/Project": project, "aws:RequestTag/Environment": environment}
    own = {"aws:ResourceTag/Project": project, "aws:ResourceTag/Environment": environment}
    keys, aliases = "arn:aws:kms:*:*:key/*", f"arn:aws:kms:*:*:alias/{project}-{environment}-*"
    return [
        _statement("KmsList", ["kms:ListAliases", "kms:ListKeys"], "*"),
        _statement("KmsDescribe", ["kms:DescribeKey"], keys),
        _statement(
            "KmsCreateTagged",
            ["kms:CreateKey"],
            "*",
            StringEquals=request,
        ),
        _statement(
            "KmsTagOwn",
            ["kms:TagResource"],
            keys,
            StringEquals=request,
        ),
        # An alias call needs the alias and its key (KMS developer guide, "Controlling access
        # to aliases"); the program's aliases are all `alias/<project>-<env>-...` (the secrets
        # provider's, `alias/<project>-<env>-secrets`, is denied in deploy_policy).
        _statement(
            "KmsAliases", ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], [aliases, keys]
        ),
        _statement(
            "KmsManageOwn",
            [
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
                "kms:PutKeyPolicy",
                "kms:EnableKeyRotation",
                "kms:ScheduleKeyDeletion",
                "kms:CancelKeyDeletion",
                "kms:UpdateKeyDescription",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:CreateGrant",
                "kms:ListGrants",
                "kms:RevokeGrant",
            ],
            keys,
            StringEquals=own,
        ),
    ]


def bootstrap_project(project: str) -> str:
    """The bootstrap project's name (bootstrap/Pulumi.yaml; a test keeps them equal)."""
    return f"{project}-bootstrap"


def state_objects(bucket_arn: str, project: str, stack: str) -> list[str]:
    """The objects of one stack in Pulumi's S3 backend (pkg/backend/diy, project layout): its
    checkpoint `.pulumi/stacks/<project>/<stack>.json` (with `.bak`, `.gz`, `.pulumi-tags`
    siblings), its history, backups and journal, and its lock files."""
    root = f"{bucket_arn}/.pulumi"
    return [
        f"{root}/stacks/{project}/{stack}.*",
        f"{root}/history/{project}/{stack}/*",
        f"{root}/backups/{project}/{stack}/*",
        f"{root}/journal/{project}/{stack}/*",
        f"{root}/locks/organization/{project}/{stack}/*",
    ]


def state_lock(bucket_arn: str, project: str, stack: str) -> str:
    return f"{bucket_arn}/.pulumi/locks/organization/{project}/{stack}/*"


def state_statements(
    bucket_arn: str | None,
    state_key_arn: str | None,
    *,
    project: str,
    stack: str,
    write: bool,
) -> list[dict[str, Any]]:
    """Pulumi's S3 backend, for one stack: list the bucket and read the backend's `meta.yaml`,
    read the stack's objects, write them when deploying; a preview writes only its lock."""
    if bucket_arn is None:
        return []
    objects = state_objects(bucket_arn, project, stack)
    found = [
        _statement("StateList", ["s3:ListBucket", "s3:GetBucketLocation"], bucket_arn),
        _statement("StateRead", ["s3:GetObject"], [f"{bucket_arn}/.pulumi/meta.yaml", *objects]),
        _statement(
            "StateWrite",
            ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
            objects if write else state_lock(bucket_arn, project, stack),
        ),
    ]
    if state_key_arn is not None:
        # SSE-KMS: reading an object decrypts its data key, writing one (a lock file, too)
        # generates one (S3 user guide, "Using server-side encryption with AWS KMS keys").
        found.append(_statement("StateKey", ["kms:Decrypt", "kms:GenerateDataKey"], state_key_arn))
    return found


def secrets_key_statement(key_arn: str, *, write: bool) -> dict[str, Any]:
    """The stacks' secrets provider: previews decrypt config secrets, deploys encrypt too."""
    actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
    return _statement("SecretsProvider", actions, key_arn)


def pull_statement(
    region: str, account_ids: Sequence[str], repository_prefix: str
) -> list[dict[str, Any]]:
    """Pulling the images a stack promotes from another account's repositories."""
    if not account_ids:
        return []
    return [
        _statement(
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
    state_log_bucket_arn: str | None = None,
    boundary_arn: str | None = None,
    extra: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """What `pulumi up` of one stack needs: the services the program manages (whole services:
    a deploy creates, changes and deletes every kind of resource they hold, and IAM caps an
    inline policy at 10,240 characters, far below their action lists), its own roles
    (path- and tag-scoped), its state and its secrets key; never the CI roles, the secrets key
    or the state key themselves (an explicit deny)."""
    managed = sorted(set(services) - TAG_SCOPED)
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement("Identity", ["sts:GetCallerIdentity"], "*"),
            _statement("ManagedServices", [f"{service}:*" for service in managed], "*"),
            *iam_statements(project, environment, boundary_arn),
            *kms_statements(project, environment),
            secrets_key_statement(secrets_key_arn, write=True),
            *state_statements(
                state_bucket_arn, state_key_arn, project=project, stack=environment, write=True
            ),
            *extra,
            {
                "Sid": "ProtectTheBootstrap",
                "Effect": "Deny",
                "Action": [
                    "iam:Delete*",
                    "iam:Put*",
                    "iam:Attach*",
                    "iam:Detach*",
                    "iam:Update*",
                    "iam:Tag*",
                    "iam:Untag*",
                    "kms:ScheduleKeyDeletion",
                    "kms:DisableKey",
                    "kms:DisableKeyRotation",
                    "kms:PutKeyPolicy",
                    "kms:CreateGrant",
                    "kms:TagResource",
                    "kms:UntagResource",
                    "kms:CreateAlias",
                    "kms:DeleteAlias",
                    "kms:UpdateAlias",
                ],
                "Resource": [
                    f"arn:aws:iam::*:role/{project}-{environment}-deploy",
                    f"arn:aws:iam::*:role/{project}-{environment}-preview",
                    f"arn:aws:iam::*:role/{project}-{environment}-drift",
                    secrets_key_arn,
                    f"arn:aws:kms:*:*:alias/{project}-{environment}-secrets",
                    *([state_key_arn] if state_key_arn else []),
                ],
            },
            *state_protection(state_bucket_arn, state_log_bucket_arn, project, environment),
            *boundary_protection(boundary_arn),
        ],
    }


def boundary_protection(boundary_arn: str | None) -> list[dict[str, Any]]:
    """The boundary stays on every role and stays as the bootstrap wrote it."""
    if boundary_arn is None:
        return []
    return [
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


def boundary_policy(
    *,
    secrets_key_arn: str,
    state_bucket_arn: str | None = None,
    state_key_arn: str | None = None,
    project: str | None = None,
    environment: str | None = None,
) -> dict[str, Any]:
    """The permissions boundary of every role the program creates (the deploy role creates
    none without it): anything but IAM, Organizations and account settings, and never the
    bootstrap's secrets key, state or state key. A role the deploy role writes a wide policy
    for can do no more than the deploy role itself, and never change IAM.

    With `project` and `environment`, the one IAM action a role of the program needs: passing
    the stack's own roles (`/<project>/<env>/`) to ECS tasks, which EventBridge Scheduler does
    to start a scheduled task (RunTask with the task's execution and task roles) and which the
    deploy role may do itself (`IamPassOwn`)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Ceiling",
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Sid": "NoBootstrapKeys",
            "Effect": "Deny",
            "Action": "kms:*",
            "Resource": [secrets_key_arn, *([state_key_arn] if state_key_arn else [])],
        },
    ]
    if project is not None and environment is not None:
        statements.insert(
            1,
            {
                "Sid": "PassTheStacksRolesToEcsTasks",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": f"arn:aws:iam::*:role/{project}/{environment}/*",
                "Condition": {"StringEquals": {"iam:PassedToService": ECS_TASKS_SERVICE}},
            },
        )
    if state_bucket_arn is not None:
        statements.append(
            {
                "Sid": "NoState",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [state_bucket_arn, f"{state_bucket_arn}/*"],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


STACKS: tuple[str, ...] = typing.get_args(Environment)
"""The environments' stacks: the state of the others is denied by name."""


def other_state(bucket_arn: str, project: str, stack: str) -> list[str]:
    """Objects of the bucket a stack's roles never touch: the other stacks' and every stack of
    the bootstrap project (run by administrators, not CI)."""
    root = f"{bucket_arn}/.pulumi"
    found = [
        arn
        for other in STACKS
        if other != stack
        for arn in state_objects(bucket_arn, project, other)
    ]
    bootstrap = bootstrap_project(project)
    found += [
        f"{root}/{folder}/{bootstrap}/*" for folder in ("stacks", "history", "backups", "journal")
    ]
    found.append(f"{root}/locks/organization/{bootstrap}/*")
    return found


def state_protection(
    bucket_arn: str | None, log_bucket_arn: str | None, project: str, stack: str
) -> list[dict[str, Any]]:
    """Denies that hold even in the bucket's own account, where `s3:*` of ManagedServices
    reaches it: the bucket's settings, object versions and ACLs, the backend's `meta.yaml`,
    the other stacks' and the bootstrap's state, and the bucket's access logs."""
    if bucket_arn is None:
        return []
    found: list[dict[str, Any]] = [
        {
            "Sid": "StateBucketSettings",
            "Effect": "Deny",
            "NotAction": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {
            "Sid": "StateObjectsReadWrittenOnly",
            "Effect": "Deny",
            "NotAction": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
            "Resource": f"{bucket_arn}/*",
        },
        {
            "Sid": "StateMetaReadOnly",
            "Effect": "Deny",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": f"{bucket_arn}/.pulumi/meta.yaml",
        },
        {
            "Sid": "OtherStacksState",
            "Effect": "Deny",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": other_state(bucket_arn, project, stack),
        },
    ]
    if log_bucket_arn is not None:
        found.append(
            {
                "Sid": "StateAccessLogs",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [log_bucket_arn, f"{log_bucket_arn}/*"],
            }
        )
    return found


# Reads of data, not of configuration: what code under review (a pull request's) must not do
# with the preview role. ReadOnlyAccess grants some of them; a preview (no refresh) needs none.
DATA_READS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StartLiveTail",
    "rds:DownloadDBLogFilePortion",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "kinesis:GetRecords",
    "sqs:ReceiveMessage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


def release_record_path_arn(project: str, environment: str) -> str:
    """The Parameter Store path of the stack's release record (`components/stack/release.py`):
    GetParametersByPath is authorized against the path it asks for, not the parameters it
    returns (Systems Manager user guide, "How Parameter Store authorizes parameter retrieval"),
    and nothing but the record lives under it."""
    return f"arn:aws:ssm:*:*:parameter/{project}/{environment}/release"


def release_record_read(project: str, environment: str) -> dict[str, Any]:
    """Every run of the program reads the release record (image digests, not secret)."""
    return _statement(
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
    no data: pull-request code runs with this role (`DATA_READS` denied, but the state)."""
    deny = _reads_denied(
        "NoDataReads",
        DATA_READS,
        state_bucket_arn,
        project=project,
        stack=environment,
        also_allowed=[release_record_path_arn(project, environment)],
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            secrets_key_statement(secrets_key_arn, write=False),
            *state_statements(
                state_bucket_arn, state_key_arn, project=project, stack=environment, write=False
            ),
            release_record_read(project, environment),
            deny,
        ],
    }


def drift_policy(
    *,
    project: str,
    environment: str,
    secrets_key_arn: str,
    state_bucket_arn: str | None = None,
    state_key_arn: str | None = None,
) -> dict[str, Any]:
    """Beside ReadOnlyAccess, for `pulumi preview --refresh` of the main branch's code: the
    preview role's state and key, plus the values a refresh reads back (the stack's secrets,
    `<project>/<env>/*`, and its parameters, `/<project>/<env>/*`)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            secrets_key_statement(secrets_key_arn, write=False),
            *state_statements(
                state_bucket_arn, state_key_arn, project=project, stack=environment, write=False
            ),
            _statement(
                "RefreshSecrets",
                ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                f"arn:aws:secretsmanager:*:*:secret:{project}/{environment}/*",
            ),
            _statement(
                "RefreshParameters",
                ["ssm:GetParameter", "ssm:GetParameters"],
                f"arn:aws:ssm:*:*:parameter/{project}/{environment}/*",
            ),
            release_record_read(project, environment),
            # A refresh reads no object: not the other stacks' state, not the program's data.
            _reads_denied(
                "NoObjectReads",
                ["s3:GetObject", "s3:GetObjectVersion"],
                state_bucket_arn,
                project=project,
                stack=environment,
            ),
        ],
    }


def state_bucket_policy(
    bucket_arn: str,
    accounts: Mapping[str, str],
    deny_plain_http: Mapping[str, Any],
    *,
    project: str,
) -> dict[str, Any]:
    """TLS only; each environment's account (`accounts`: stack -> account id) may list the
    bucket and use its own stack's objects, of the main program and of the bootstrap project,
    and nothing else: an administrator of the dev account cannot rewrite prod's state."""
    statements: list[Mapping[str, Any]] = [deny_plain_http]
    if accounts:
        statements.append(
            {
                "Sid": "EnvironmentAccountsList",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts.values()]},
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": bucket_arn,
            }
        )
    for stack, account in sorted(accounts.items()):
        statements.append(
            {
                "Sid": f"{stack.capitalize()}AccountState",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [
                    *state_objects(bucket_arn, project, stack),
                    *state_objects(bucket_arn, bootstrap_project(project), stack),
                ],
            }
        )
    if accounts:
        # The backend's layout version: read by every login, written once by the bucket's
        # own account (a rewrite would re-lay-out every stack: pkg/backend/diy/meta.go).
        statements.append(
            {
                "Sid": "EnvironmentAccountsReadMeta",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts.values()]},
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/.pulumi/meta.yaml",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
