"""Policy checks: ECR repositories, queues, secrets, IAM and KMS documents, log groups."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .base import (
    INLINE_POLICIES,
    KMS_KEY,
    LOG_GROUP,
    MANAGED_POLICY,
    QUEUE,
    REPOSITORY,
    REPOSITORY_LIFECYCLE,
    ROLE,
    SECRET,
    SECRET_ROTATION,
    _resource,
    _stack,
    companions,
    documents,
    get,
    is_true,
    items,
    number,
    of_type,
    statements,
)
from .flags import Flag, flag_policy

flag_policy(
    "ecr-scan-on-push", ("ECR.1",), "A", (REPOSITORY,),
    "repositories scan images on push",
    "set image_scanning_configuration={'scan_on_push': True}.",
    Flag("imageScanningConfiguration.scanOnPush", "scan_on_push"),
)  # fmt: skip


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


@_resource(
    "sqs-encrypted", ("SQS.1",), "A", (QUEUE,),
    "queues are encrypted at rest",
    "set sqs_managed_sse_enabled=True (SSE-SQS) or kms_master_key_id.",
)  # fmt: skip
def sqs_encrypted(resource):
    props = resource.props
    if not is_true(get(props, "sqsManagedSseEnabled")) and not get(props, "kmsMasterKeyId"):
        yield "neither SSE-SQS nor a KMS key encrypts the queue"


@_stack(
    "secrets-rotated", ("SecretsManager.4", "SecretsManager.1"), "P",
    "every secret rotates at least every 90 days (Secrets Manager's rotation, or a scheduled "
    "task of the stack named by its RotatedBy tag), or carries a waiver saying why it cannot",
    "add secretsmanager.SecretRotation with rotation_rules.automatically_after_days <= 90, or "
    "list the secret in the stack's policyWaivers key with the reason.",
)  # fmt: skip
def secrets_rotated(resources):
    schedules = {
        str(get(schedule.props, "name", default="")): str(
            get(schedule.props, "scheduleExpression", default="")
        )
        for schedule in of_type(resources, SCHEDULER_SCHEDULE)
    }
    for secret in of_type(resources, SECRET):
        rotations = companions(resources, secret, SECRET_ROTATION)
        rotated_by = get(secret.props, "tags", "RotatedBy")
        if not rotations and rotated_by:
            # The stack's own rotation task (components/stack/platform_tasks.py), on its schedule.
            days = rate_days(schedules.get(str(rotated_by), ""))
            if days is None or days > 90:
                yield (
                    secret,
                    f"its RotatedBy task {rotated_by} runs on no schedule of 90 days or less",
                )
            continue
        if not rotations:
            yield secret, "the secret never rotates"
            continue
        for rotation in rotations:
            days = number(get(rotation.props, "rotationRules", "automaticallyAfterDays"))
            schedule = get(rotation.props, "rotationRules", "scheduleExpression")
            if not schedule and (days is None or days > 90):
                yield secret, f"rotates every {int(days) if days else '?'} days (more than 90)"


SCHEDULER_SCHEDULE = "aws:scheduler/schedule:Schedule"


def rate_days(expression: str) -> float | None:
    """Days between runs of a `rate(N unit)` expression (None: another kind, or none)."""
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if match is None:
        return None
    per_day = {"minute": 1440, "hour": 24, "day": 1}[match.group(2).rstrip("s")]
    return int(match.group(1)) / per_day


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
                if _tag_scoped(_statement):
                    continue  # only the keys carrying these tags (attribute-based control)
                yield f"{where} allows {', '.join(grants)} on every KMS key"


def _tag_scoped(statement: Mapping[str, Any]) -> bool:
    """The statement applies only to resources carrying given tags (StringEquals on
    `aws:ResourceTag/<key>`; KMS developer guide, "ABAC for AWS KMS")."""
    equals = (statement.get("Condition") or {}).get("StringEquals") or {}
    return any(str(key).lower().startswith("aws:resourcetag/") for key in equals)


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


def _symmetric(props: Mapping[str, Any]) -> bool:
    """A symmetric encryption key: the only kind AWS rotates automatically."""
    spec = get(props, "customerMasterKeySpec") or get(props, "keySpec") or "SYMMETRIC_DEFAULT"
    return spec == "SYMMETRIC_DEFAULT"


flag_policy(
    "kms-key-rotation", ("KMS.4",), "A", (KMS_KEY,),
    "customer managed symmetric keys rotate their material yearly",
    "set enable_key_rotation=True on the kms.Key.",
    Flag(
        "enableKeyRotation", "enable_key_rotation",
        consequence="the key material never changes",
    ),
    applies=_symmetric,
)  # fmt: skip


@_resource(
    "github-oidc-trust-scoped", ("OIDC.1*",), "A", (ROLE,),
    "a role trusting GitHub's OIDC provider admits one repository, one environment or branch "
    "and one workflow file at one ref (job_workflow_ref), for sts.amazonaws.com only",
    "build the trust policy with accessweaver_components.bootstrap.trust.trust_policy "
    "(the audience and a sub that pins the environment, the workflow file and its ref).",
)  # fmt: skip
def github_oidc_trust(resource):
    from accessweaver_components.bootstrap.trust import trust_problems

    yield from _trust_policy_problems(resource, trust_problems)


@_resource(
    "service-trust-source-bound", ("TRUST.1*",), "A", (ROLE,),
    "a role an AWS service assumes admits it only for this account and the resource using the "
    "role (aws:SourceAccount and aws:SourceArn: cross-service confused-deputy protection)",
    "build the trust policy with components/service_trust.py, which gives each service's "
    "documented aws:SourceArn.",
)  # fmt: skip
def service_trust_source_bound(resource):
    from accessweaver_components.service_trust import trust_problems

    yield from _trust_policy_problems(resource, trust_problems)


def _trust_policy_problems(
    role: Any, trust_problems: Callable[[Mapping[str, Any]], Iterable[str]]
) -> Iterator[str]:
    """What `trust_problems` finds in the role's trust policy (nothing while it is not a JSON
    document yet)."""
    document = documents(get(role.props, "assumeRolePolicy"))
    if document is not None:
        yield from trust_problems(document)
