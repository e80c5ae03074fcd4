"""The security trail of staging and prod (issue 10, item 16): who read the documents (S3.9), what
the WAF saw (WAF.11), and a year of it all in prod (LOG.1), a year of Keycloak's and
PostgreSQL's logs (LOG.2), a quarter of the ALB's raw request lines, while application logs keep
the seed's retention. ECS Exec sessions (EXEC.1) are in tests/test_ecs_exec.py."""

from __future__ import annotations

import json

import pytest

from tests.config_support import loader
from tests.resource_types import BUCKET, LOG_GROUP

BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
TYPE_SHORT = {
    "bucketPolicy": "policy",
    "bucketLifecycleConfiguration": "lifecycle",
    "bucketServerSideEncryptionConfiguration": "encryption",
}


def parts(result, bucket):
    return {
        TYPE_SHORT.get(r.type.split("/")[-1].split(":")[0], r.type): r.inputs
        for r in result.children_of(bucket)
    }


@pytest.mark.parametrize(("stack", "days"), [("staging", 90), ("prod", 365)])
def test_the_documents_bucket_logs_every_access_to_a_log_bucket_of_its_own(plan, stack, days):
    result = plan(stack)
    documents = result.one(BUCKET, f"accessweaver-{stack}-documents-bucket")
    logs = result.one(BUCKET, f"accessweaver-{stack}-documents-access-logs")
    (logging,) = result.of_type(BUCKET_LOGGING)
    assert logging.property_dependencies["bucket"] == (documents.key,)
    assert logging.property_dependencies["targetBucket"] == (logs.key,)
    assert logging.inputs["targetPrefix"] == "documents/"
    assert logging.inputs["targetObjectKeyFormat"] == {
        "partitionedPrefix": {"partitionDateSource": "EventTime"}
    }
    found = parts(result, logs)
    # S3 refuses SSE-KMS default encryption on a server-access-log target
    rule = found["encryption"]["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule == {"sseAlgorithm": "AES256"}
    assert found["lifecycle"]["rules"][0]["expiration"] == {"days": days}
    allow, deny = json.loads(found["policy"]["policy"])["Statement"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Resource"].endswith("/documents/*")
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"].startswith(
        f"arn:aws:s3:::accessweaver-{stack}-documents-"
    )
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"] == {
        "aws:SecureTransport": "false"
    }
    assert any(d.endswith(f"accessweaver-{stack}-documents-access-logs-policy")
               for d in logging.depends_on)  # fmt: skip


def test_dev_waives_access_logs_and_staging_cannot():
    assert load_dev().platform.documents.access_log_retention_days is None
    found = problems_staging(documents={"accessLogs": False})
    assert "control S3.9" in found["documents.accessLogs"]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_waf_logs_to_its_own_log_group_with_tokens_and_cookies_redacted(plan, stack):
    result = plan(stack)
    (config,) = result.of_type(WAF_LOGGING)
    group = result.one(LOG_GROUP, f"accessweaver-{stack}-waf-logs")
    assert group.inputs["name"].startswith("aws-waf-logs-")
    assert config.property_dependencies["logDestinationConfigs"] == (group.key,)
    assert config.property_dependencies["resourceArn"] == (
        result.one("aws:wafv2/webAcl:WebAcl", f"accessweaver-{stack}-waf").key,
    )
    assert config.inputs["redactedFields"] == [
        {"singleHeader": {"name": "authorization"}},
        {"singleHeader": {"name": "cookie"}},
    ]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_security_logs_follow_security_retention_and_application_logs_the_seed(plan, stack):
    result = plan(stack)
    security = {"dev": 30, "staging": 90, "prod": 365}[stack]
    application = {"dev": 7, "staging": 7, "prod": 30}[stack]
    audit = {"dev": 7, "staging": 90, "prod": 365}[stack]
    groups = {g.name: g.inputs["retentionInDays"] for g in result.of_type(LOG_GROUP)}
    assert groups[f"accessweaver-{stack}-flow-logs"] == security
    assert groups[f"accessweaver-{stack}-exec-logs"] == security
    if stack != "dev":
        assert groups[f"accessweaver-{stack}-waf-logs"] == security
    assert groups["keycloak-logs"] == audit
    for log in ("postgresql", "upgrade"):
        assert groups[f"accessweaver-{stack}-database-{log}-logs"] == audit
    services = [
        name
        for name in groups
        if name.endswith("-logs") and not name.startswith(("acc", "keycloak"))
    ]
    assert services and {groups[name] for name in services} == {application}


def test_prod_alb_access_logs_are_kept_a_quarter(plan):
    result = plan("prod")
    bucket = result.one(BUCKET, "accessweaver-prod-alb-logs")
    assert parts(result, bucket)["lifecycle"]["rules"][0]["expiration"] == {"days": 90}


def test_every_key_that_would_shorten_prods_security_logs_is_refused_at_once():
    found = problems_prod(
        securityLogRetentionDays=90,
        auditLogRetentionDays=180,
        network={"createVpc": True, "flowLogRetentionDays": 30},
        edge={"enabled": True, "accessLogRetentionDays": 60},
    )
    for key, value, control, minimum in (
        ("securityLogRetentionDays", "90", "LOG.1", 365),
        ("network.flowLogRetentionDays", "30", "LOG.1", 365),
        ("edge.accessLogRetentionDays", "60", "LOG.1", 90),
        ("auditLogRetentionDays", "180", "LOG.2", 365),
    ):
        assert f"control {control}" in found[key] and value in found[key], key
        assert f"{minimum} or more, or unset" in found[key]


def test_prod_may_keep_alb_access_logs_longer_than_a_quarter():
    assert "edge.accessLogRetentionDays" not in problems_prod(
        edge={"enabled": True, "accessLogRetentionDays": 180}
    )


def test_staging_may_keep_security_logs_less_than_a_year():
    assert load_staging(securityLogRetentionDays=30).security_log_retention_days == 30


def test_a_retention_cloudwatch_does_not_accept_is_refused():
    assert (
        "allowed: 1, 3, 5"
        in problems_staging(securityLogRetentionDays=100)["securityLogRetentionDays"]
    )


def _base(environment: str) -> dict:
    return {
        "environment": environment,
        "permissionsBoundaryOptOut": "a test stack: no bootstrap deploys it",
        "vpcId": "vpc-0123456789abcdef0",
        "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    }


load_dev, _ = loader(_base("dev"))
load_staging, problems_staging = loader(_base("staging"))
_, problems_prod = loader(_base("prod"))
