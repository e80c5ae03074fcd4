"""The documents bucket and the ECR repositories: the S3, KMS and ECR controls on the recorded
runs, the pure policy documents, and the `documents`/`registry` config rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessweaver_components.compute.registry import lifecycle_policy
from accessweaver_components.data.policies import documents_statements, tls_only_bucket_policy
from tests.config_support import DEFAULT_SERVICES_AND_KEYCLOAK, existing_vpc_stack, loader
from tests.conftest import STACKS, container_definitions
from tests.resource_types import BUCKET, KEY

REPOSITORY = "aws:ecr/repository:Repository"
NAME = "accessweaver-prod-documents"
SERVICES = DEFAULT_SERVICES_AND_KEYCLOAK


def part(result, type_: str, role: str) -> dict[str, Any]:
    return result.one(type_, f"{NAME}-{role}").inputs


# -- Documents bucket ----------------------------------------------------------------------


def test_documents_bucket_has_a_stable_account_scoped_name(plan):
    bucket = plan("prod").one(BUCKET, f"{NAME}-bucket")
    assert bucket.inputs["bucket"] == "accessweaver-prod-documents-123456789012"
    assert plan("prod").outputs["documents_bucket"] == bucket.inputs["bucket"]


def test_acls_are_off_and_every_public_access_switch_is_on(plan):
    result = plan("prod")
    owner = part(result, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership")
    assert owner["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    block = part(result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access")
    switches = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert all(block[s] is True for s in switches)


def test_objects_are_encrypted_with_the_stacks_rotating_kms_key(plan):
    result = plan("prod")
    key = result.one("aws:kms/key:Key", f"{NAME}-key").inputs
    assert key["enableKeyRotation"] is True
    (rule,) = part(
        result,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "encryption",
    )["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms"
    assert default["kmsMasterKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert rule["bucketKeyEnabled"] is True


def test_versions_are_kept_moved_to_infrequent_access_then_expired(plan):
    result = plan("prod")
    assert part(result, "aws:s3/bucketVersioning:BucketVersioning", "versioning")[
        "versioningConfiguration"
    ] == {"status": "Enabled"}
    rules = {
        r["id"]: r
        for r in part(
            result, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle"
        )["rules"]
    }
    assert rules["current-to-infrequent-access"]["transitions"] == [
        {"days": 30, "storageClass": "STANDARD_IA"}
    ]
    noncurrent = rules["noncurrent-versions"]
    assert noncurrent["noncurrentVersionTransitions"] == [
        {"noncurrentDays": 30, "storageClass": "STANDARD_IA"}
    ]
    assert noncurrent["noncurrentVersionExpiration"] == {"noncurrentDays": 365}
    assert all(rule["status"] == "Enabled" for rule in rules.values())


def test_bucket_policy_refuses_every_request_without_tls(plan):
    policy = json.loads(part(plan("prod"), "aws:s3/bucketPolicy:BucketPolicy", "policy")["policy"])
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = "arn:aws:s3:::accessweaver-prod-documents-123456789012"
    assert statement["Resource"] == [arn, f"{arn}/*"]


def test_services_may_use_the_bucket_objects_and_its_key_and_nothing_wider(plan):
    result = plan("prod")
    # the audit service archives (readWrite); no other task role mentions the bucket
    policy = json.loads(
        result.one("aws:iam/rolePolicy:RolePolicy", "aw-audit-service-task-policy").inputs["policy"]
    )
    resources = {s["Sid"]: s["Resource"] for s in policy["Statement"]}
    assert resources["DocumentsKey"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert resources["DocumentsReadWrite"].endswith("-123456789012/*")
    others = [
        p.name
        for p in result.of_type("aws:iam/rolePolicy:RolePolicy")
        if "documents-123456789012" in p.inputs["policy"] and p.name.endswith("-task-policy")
    ]
    assert others == ["aw-audit-service-task-policy"]
    for statement in policy["Statement"]:
        if statement["Sid"] in ("Metrics", "Traces"):
            continue  # these actions take no resource ARN (scoped by namespace / unscopable)
        assert statement["Resource"] != "*"
        actions = statement["Action"]
        assert not [a for a in actions if a.endswith("*")]
    environment = {
        e["name"]: e["value"]
        for e in container_definitions(
            result.one("aws:ecs/taskDefinition:TaskDefinition", "aw-audit-service-task")
        )[0]["environment"]
    }
    assert environment["DOCUMENTS_BUCKET"] == "accessweaver-prod-documents-123456789012"


def test_dev_encrypts_under_the_aws_managed_key_and_grants_no_kms_action(plan):
    result = plan("dev")
    # GIVEN dev's default (documents.customerManagedKey off): no key of the stack's own
    assert not [k for k in result.of_type(KEY) if "documents" in k.name]
    encryption = "aws:s3/bucketServerSideEncryptionConfiguration:" \
        "BucketServerSideEncryptionConfiguration"  # fmt: skip
    rule = result.one(encryption, "accessweaver-dev-documents-encryption").inputs["rules"][0]
    # THEN still SSE-KMS (S3.17), under aws/s3, and the writer's role has no KMS statement
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms"}
    assert rule["bucketKeyEnabled"] is True
    audit = result.one("aws:iam/rolePolicy:RolePolicy", "aw-audit-service-task-policy")
    sids = {s["Sid"] for s in json.loads(audit.inputs["policy"])["Statement"]}
    assert "DocumentsReadWrite" in sids and "DocumentsKey" not in sids


def test_pure_policies_deny_insecure_transport_and_scope_the_key():
    deny = tls_only_bucket_policy("arn:aws:s3:::b")["Statement"][0]
    assert deny["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    for access in ("read", "readWrite"):
        statements = documents_statements("arn:aws:s3:::b", "arn:aws:kms:eu-west-1:1:key/k", access)
        assert {s["Sid"]: s["Resource"] for s in statements}["DocumentsKey"] == (
            "arn:aws:kms:eu-west-1:1:key/k"
        )
        managed = documents_statements("arn:aws:s3:::b", None, access)
        assert [s["Sid"] for s in managed] == [s["Sid"] for s in statements][:2]


@pytest.mark.parametrize(
    ("stack", "protected"), [("dev", False), ("staging", True), ("prod", True)]
)
def test_bucket_key_and_repositories_are_protected_where_state_must_survive(plan, stack, protected):
    result = plan(stack)
    own_key = [] if stack == "dev" else [result.one(KEY, f"accessweaver-{stack}-documents-key")]
    stateful = [
        result.one(BUCKET, f"accessweaver-{stack}-documents-bucket"),
        *own_key,
        *result.of_type(REPOSITORY),
    ]
    assert [r.protect for r in stateful] == [protected] * len(stateful)


# -- ECR -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_one_scanned_immutable_repository_per_service(plan, stack):
    repositories = {r.inputs["name"]: r.inputs for r in plan(stack).of_type(REPOSITORY)}
    # and one for each task built into its own repository: the health probe, the platform
    # setup (whose image the weekly rotation runs too)
    built = [*SERVICES, "health-probe", "platform-setup"]
    assert set(repositories) == {f"accessweaver-{stack}/{name}" for name in built}
    for repository in repositories.values():
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository["forceDelete"] is False


@pytest.mark.parametrize(("stack", "keep"), [("dev", 10), ("staging", 20), ("prod", 50)])
def test_every_repository_keeps_the_last_n_images(plan, stack, keep):
    result = plan(stack)
    policies = result.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert len(policies) == len(SERVICES) + 2  # the health probe's and the platform setup's
    for policy in policies:
        rules = json.loads(policy.inputs["policy"])["rules"]
        assert rules[-1]["selection"] == {
            "tagStatus": "any",
            "countType": "imageCountMoreThan",
            "countNumber": keep,
        }


def test_lifecycle_any_rule_comes_last_as_ecr_requires():
    rules = lifecycle_policy(7)["rules"]
    assert [r["rulePriority"] for r in rules] == sorted(r["rulePriority"] for r in rules)
    assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "any"]


def test_services_pull_from_the_repositories_the_stack_creates(plan):
    result = plan("staging")
    urls = result.outputs["ecr_repositories"]
    for task in result.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        image = container_definitions(task)[0]["image"]
        # the weekly rotation runs the platform setup's image
        service = task.name.removesuffix("-task").replace("platform-rotate", "platform-setup")
        assert image.split("@", 1)[0] == urls[service]


# -- Config rules (pure) -------------------------------------------------------------------

BASE = existing_vpc_stack("prod")


load, problems = loader(BASE, account_id="210987654321")


def test_container_registry_defaults_to_the_created_repositories_of_the_account():
    settings = load()
    assert settings.container_registry == (
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-prod"
    )


def test_a_configured_ecr_registry_names_the_repositories_it_creates():
    settings = load(containerRegistry="210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared")
    assert settings.platform.registry.repository_prefix == "shared"


def test_a_registry_elsewhere_while_creating_repositories_is_refused():
    text = problems(containerRegistry="ghcr.io/acme")["containerRegistry"]
    assert "registry.enabled false" in text


def test_without_created_repositories_the_registry_is_required():
    assert "registry.enabled is false" in problems(registry={"enabled": False})["containerRegistry"]


def test_noncurrent_versions_must_outlive_the_move_to_infrequent_access():
    found = problems(documents={"noncurrentVersionExpirationDays": 30})
    assert "31 to 3650" in found["documents.noncurrentVersionExpirationDays"]
