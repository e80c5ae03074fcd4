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
from ..iam_path import BOUNDARY_TAG, boundary_tag
from .data_reads import DATA_READS
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
    "fis.amazonaws.com",
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
        _statement(
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
        _statement(
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
        _statement(
            "IamTagOnCreate",
            ["iam:TagRole"],
            roles,
            StringEquals={
                "aws:RequestTag/Project": project,
                "aws:RequestTag/Environment": environment,
            },
        ),
        # PutRolePermissionsBoundary's condition is the boundary requested: only this one.
        _statement(
            "IamPoliciesOfBounded",
            [*BOUNDARY_CONDITIONED[:2], BOUNDARY_CONDITIONED[4]],
            roles,
            ArnEquals=bounded,
        ),
        _statement(
            "IamAttachManaged",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            roles,
            ArnEquals={**bounded, "iam:PolicyARN": list(ATTACHABLE)},
        ),
        _statement("IamManageBounded", list(BOUNDARY_TAGGED), roles, StringEquals=own),
        # iam:PassRole on the role resource supports aws:ResourceTag (Service Authorization
        # Reference, resource type `role`): only roles carrying the boundary's tag are passed.
        _statement(
            "IamPassBounded",
            ["iam:PassRole"],
            roles,
            StringEquals={
                "iam:PassedToService": list(PASSED_TO),
                **{f"aws:ResourceTag/{k}": v for k, v in marker.items()},
            },
        ),
        _statement(
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
        _statement("KmsList", ["kms:ListAliases", "kms:ListKeys"], "*"),
        _statement("KmsDescribe", ["kms:DescribeKey"], keys),
        _statement(
            "KmsCreateTagged",
            ["kms:CreateKey", "kms:TagResource"],
            "*",
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
        _statement("KmsUseOwn", list(ROLES_KMS_USE), keys, StringEquals=own),
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


def bootstrap_project(project: str) -> str:
    """The bootstrap project's name (bootstrap/Pulumi.yaml; a test keeps them equal)."""
    return f"{project}-bootstrap"


def state_objects(bucket_arn: str, project: str, stack: str) -> list[str]:
    """The objects of one stack in Pulumi's S3 backend (pkg/backend/diy, project layout): its
    checkpoint `.pulumi/stacks/<project>/<stack>.json` (with `.bak`, `.gz`, `.pulumi-tags`
    siblings), and everything under `<project>/<stack>/` of its history, backups, journal and
    lock folders (`history/`, `backups/`, `journal/`, `locks/organization/`: one pattern, as
    IAM's `*` spans `/`; the role's inline policy is capped at 10,240 characters)."""
    root = f"{bucket_arn}/.pulumi"
    return [f"{root}/stacks/{project}/{stack}.*", f"{root}/*/{project}/{stack}/*"]


def state_statements(
    bucket_arn: str | None,
    state_key_arn: str | None,
    *,
    project: str,
    stack: str,
    write: bool,
) -> list[dict[str, Any]]:
    """Pulumi's S3 backend, for one stack: list the bucket and read the backend's `meta.yaml`,
    read the stack's objects, write them when deploying. A preview, with or without
    `--refresh`, takes no lock and writes nothing: pulumi/pulumi `pkg/backend/diy/backend.go`,
    `Preview` goes straight to `apply` with `DryRun` (no `Lock`, no history, no backup), where
    `Update`, `Refresh` (not preview-only), `Destroy` and `Import` lock. The state key is used
    for this bucket only (`kms:EncryptionContext:aws:s3:arn`: with an S3 Bucket Key the
    context is the bucket's ARN, S3 user guide, "Reducing the cost of SSE-KMS with Amazon S3
    Bucket Keys"); no request reaches the state through an S3 access point."""
    if bucket_arn is None:
        return []
    objects = state_objects(bucket_arn, project, stack)
    found = [
        _statement("StateList", ["s3:ListBucket", "s3:GetBucketLocation"], bucket_arn),
        _statement("StateRead", ["s3:GetObject"], [f"{bucket_arn}/.pulumi/meta.yaml", *objects]),
    ]
    if write:
        found.append(
            _statement(
                "StateWrite",
                ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                objects,
            )
        )
    if state_key_arn is not None:
        # SSE-KMS: reading an object decrypts its data key, writing one generates one (S3 user
        # guide, "Using server-side encryption with AWS KMS keys").
        found.append(
            _statement(
                "StateKey",
                ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"],
                state_key_arn,
                StringEquals={STATE_KEY_CONTEXT: bucket_arn},
            )
        )
    found.append(no_access_points("StateNotThroughAccessPoints"))
    return found


STATE_KEY_CONTEXT = "kms:EncryptionContext:aws:s3:arn"


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
        _statement(f"RolesUse{sid}", kept, list(resources))
        for sid, actions, resources in roles_use(project, environment)
        if (kept := [a for a in actions if a.split(":")[0] not in [*managed, "kms"]])
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement("Identity", ["sts:GetCallerIdentity"], "*"),
            _statement("ManagedServices", [f"{service}:*" for service in managed], "*"),
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


def roles_use(project: str, environment: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(purpose, actions, resources) of every action a role of the program is given: by
    `components/compute/iam.py` (execution and task roles), the state machine and EventBridge
    of `components/compute/rotation_restart.py`, the database's Scheduler role, the flow-log
    role, the lifecycle-hook roles, and the managed policies above. tests/test_bootstrap.py
    keeps it equal to what the committed plans give."""
    own_buckets = (
        f"arn:aws:s3:::{project}-{environment}-*",
        f"arn:aws:s3:::{project}-{environment}-*/*",
    )
    found: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
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
        # The FIS experiment role (components/resilience/experiments.py): its faults on the
        # stack's tasks and replication group, and on network ACLs and subnets (its own policy
        # narrows those to the stack's VPC and the ACLs FIS creates and tags).
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
    for arn, statements in MANAGED_POLICY_STATEMENTS.items():
        name = arn.rsplit("/", 1)[-1].removeprefix("Amazon")[:40]
        for index, (actions, resources) in enumerate(statements):
            found.append((f"{name}{index}", actions, resources))
    return found


def _service(arn_or_action: str) -> str:
    """`s3` of `s3:GetObject` and of `arn:aws:s3:::bucket`."""
    return arn_or_action.split(":")[2 if arn_or_action.startswith("arn:") else 0]


def compact_statements(
    uses: list[tuple[str, tuple[str, ...], tuple[str, ...]]],
) -> list[dict[str, Any]]:
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
    statements = compact_statements(roles_use(project, environment))
    # A scheduled task's Scheduler role passes the task's execution and task roles: only the
    # stack's own, bounded roles (their boundary's tag), only to ECS tasks.
    statements.append(
        {
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
    )
    statements += [
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


def no_access_points(sid: str = "NoAccessPoints") -> dict[str, Any]:
    """A request through an S3 access point is authorized against the access point's ARN, not
    the bucket's (S3 user guide, "Configuring IAM policies for using access points": "both the
    access point and the underlying bucket must permit the request"; the identity policy is
    evaluated with the access point as the resource), so a deny naming bucket ARNs does not
    cover it. `s3:DataAccessPointArn` is present exactly when a request goes through one
    (S3 user guide, "Condition keys for access points"): deny them all, the program uses
    none."""
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Null": {"s3:DataAccessPointArn": "false"}},
    }


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
    found.append(f"{root}/*/{bootstrap_project(project)}/*")
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
    no data: pull-request code runs with this role (`DATA_READS`, every data read of the
    catalogue's services, denied but the state and the release record); no write at all."""
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
    preview role's state, key and deny of every data read. A refresh reads back no value: the
    program keeps none in its state (no secret version, no parameter of its own: the platform
    setup task fills them in AWS), so the drift role reads no secret or parameter either."""
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
    # A request through an access point is authorized against the access point: a bucket
    # policy naming object ARNs does not scope it (see `no_access_points`).
    statements: list[Mapping[str, Any]] = [
        deny_plain_http,
        {**no_access_points("NoAccessPoints"), "Principal": "*"},
    ]
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
            _statement("FindExperiments", ["fis:ListExperimentTemplates"], "*"),
            _statement(
                "TheStacksTemplates",
                ["fis:GetExperimentTemplate", "fis:StartExperiment"],
                templates,
                StringEquals=own,
            ),
            _statement(
                "RunExperiments",
                ["fis:StartExperiment", "fis:GetExperiment", "fis:StopExperiment"],
                experiments,
            ),
            _statement(
                "FisServiceLinkedRole",
                ["iam:CreateServiceLinkedRole"],
                "arn:aws:iam::*:role/aws-service-role/fis.amazonaws.com/*",
                StringEquals={"iam:AWSServiceName": "fis.amazonaws.com"},
            ),
            _statement(
                "WatchTheRecovery",
                ["ecs:DescribeServices"],
                f"arn:aws:ecs:*:*:service/{project}-{environment}-cluster/*",
            ),
            _statement(
                "WatchTheGuard",
                ["cloudwatch:DescribeAlarms"],
                f"arn:aws:cloudwatch:*:*:alarm:{project}-{environment}-*",
            ),
        ],
    }
