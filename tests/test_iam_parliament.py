"""Every IAM policy document the program writes passes parliament (an IAM policy linter built on
AWS's own action and condition-key catalog), or carries a documented reason below.

Documents are found by scanning every recorded input for JSON with a `Statement`: role policies,
trust policies, bucket policies and anything the platform adds later.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

import pytest
from parliament import analyze_policy_string

from tests.conftest import STACKS
from tools.engine import ACCOUNT_ID, RecordedResource

# (resource name glob, parliament issue, detail fragment) -> why the finding is accepted.
DOCUMENTED_FINDINGS: dict[tuple[str, str, str], str] = {
    ("*-storage-key", "RESOURCE_MISMATCH", "kms:CreateAlias"): (
        "the same default key-policy statement, on the key of the tasks' ephemeral storage"
    ),
    ("*-exec-key", "RESOURCE_MISMATCH", "kms:CreateAlias"): (
        "the account's `kms:*` on the key is KMS's default key-policy statement (KMS developer "
        "guide, 'Default key policy'): it lets IAM policies govern the key and keeps it "
        "manageable; parliament expands `kms:*` into account-level actions (CreateKey, "
        "CreateAlias) that a key policy never grants"
    ),
    ("*-faults-role-policy", "RESOURCE_STAR", '["ecs:ListTasks"]'): (
        "ListTasks is authorized against container instances, which Fargate has none of: the "
        "statement names `*` and scopes it to the stack's cluster with the `ecs:cluster` "
        "condition key (ECS developer guide, identity-based policy examples)"
    ),
}


def policy_documents(resource: RecordedResource) -> Iterator[tuple[str, str]]:
    """`(input path, JSON text)` of every policy document in the resource's inputs."""

    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, str) and '"Statement"' in value:
            try:
                parsed = json.loads(value)
            except ValueError:
                return
            if isinstance(parsed, dict) and "Statement" in parsed:
                yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, f"{path}[{index}]")

    yield from walk(resource.inputs, "")


def findings(resource: RecordedResource, path: str, text: str) -> list[tuple[str, str]]:
    document = json.loads(text)
    if path == "assumeRolePolicy":
        # IAM forbids Resource in a trust policy and parliament requires it: check the statement
        # as applying to the role it is attached to, so actions and condition keys are checked.
        for statement in document["Statement"]:
            statement.setdefault("Resource", f"arn:aws:iam::{ACCOUNT_ID}:role/{resource.name}")
    if resource.type == "aws:ecr/repositoryPolicy:RepositoryPolicy":
        # A repository policy applies to its repository (ECR user guide, "Private repository
        # policies"): it has no Resource element, so check it as applying to the repository.
        for statement in document["Statement"]:
            statement.setdefault(
                "Resource", f"arn:aws:ecr:eu-west-1:{ACCOUNT_ID}:repository/{resource.name}"
            )
    if resource.type == "aws:kms/key:Key" and path == "policy":
        # In a key policy "Resource": "*" means this key (KMS developer guide, "Key policies"):
        # check the statements as applying to the key, as IAM evaluates them.
        for statement in document["Statement"]:
            if statement.get("Resource") == "*":
                statement["Resource"] = f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/{resource.name}"
    policy = analyze_policy_string(json.dumps(document))
    return [(f.issue, json.dumps(f.detail)) for f in policy.findings]


def _documented(resource: RecordedResource, issue: str, detail: str) -> tuple | None:
    """The DOCUMENTED_FINDINGS key that explains this finding, if any."""
    for key in DOCUMENTED_FINDINGS:
        pattern, known_issue, fragment = key
        named = fnmatch.fnmatchcase(resource.name, pattern)
        if named and issue == known_issue and fragment in detail:
            return key
    return None


def _all_findings(plan, stacks) -> Iterator[tuple[RecordedResource, str, str, str]]:
    for stack in stacks:
        for resource in plan(stack).resources:
            for path, text in policy_documents(resource):
                for issue, detail in findings(resource, path, text):
                    yield resource, path, issue, detail


@pytest.mark.parametrize("stack", STACKS)
def test_every_policy_document_passes_parliament_or_has_a_documented_reason(plan, stack):
    assert sum(1 for r in plan(stack).resources for _ in policy_documents(r)) >= 5
    unexplained = [
        (resource.type, resource.name, path, issue, detail)
        for resource, path, issue, detail in _all_findings(plan, [stack])
        if _documented(resource, issue, detail) is None
    ]
    assert unexplained == []


def test_every_documented_finding_still_occurs(plan):
    seen = {_documented(r, issue, detail) for r, _, issue, detail in _all_findings(plan, STACKS)}
    assert set(DOCUMENTED_FINDINGS) - seen == set(), "remove the reasons no longer needed"


def test_the_scan_covers_role_trust_and_bucket_policies(plan):
    types = {
        (resource.type, path)
        for resource in plan("prod").resources
        for path, _ in policy_documents(resource)
    }
    assert ("aws:iam/rolePolicy:RolePolicy", "policy") in types
    assert ("aws:iam/role:Role", "assumeRolePolicy") in types
    assert ("aws:s3/bucketPolicy:BucketPolicy", "policy") in types


def test_parliament_rejects_a_mistyped_action_and_an_unknown_condition_key():
    role = RecordedResource("aws:iam/role:Role", "r", None, True, {})
    bad = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRolee",
                    "Condition": {"StringEquals": {"aws:SourceAcount": ACCOUNT_ID}},
                }
            ],
        }
    )
    issues = {issue for issue, _ in findings(role, "assumeRolePolicy", bad)}
    assert "UNKNOWN_ACTION" in issues
