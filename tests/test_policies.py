"""Every policy of the pack passes a compliant fake stack and fails when one thing is broken.

GIVEN the compliant baseline of `policy_fakes.py`, WHEN one resource is changed, THEN the policy
of that control reports it (through the same offline runner the plan uses), with enforcement
mandatory in prod and, for P-scope controls, advisory in dev.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from policy import checks as c
from policy.accessweaver_policies import WAIVER_POLICY, initial_config, policies
from policy.checks import specs
from tests.policy_fakes import (
    baseline,
    document,
    plan_of,
    res,
    with_container,
    with_inputs,
)
from tools.engine import RecordedResource
from tools.policy_check import run_policies

Resources = dict[str, RecordedResource]


def _set(resource: str, **inputs) -> Callable[[Resources], None]:
    def change(r: Resources) -> None:
        r[resource] = with_inputs(r[resource], **inputs)

    return change


def _container(**changes) -> Callable[[Resources], None]:
    def change(r: Resources) -> None:
        r["task"] = with_container(r["task"], **changes)

    return change


def _drop(*names: str) -> Callable[[Resources], None]:
    def change(r: Resources) -> None:
        for name in names:
            del r[name]

    return change


def _add(resource_factory: Callable[[Resources], RecordedResource]) -> Callable[[Resources], None]:
    def change(r: Resources) -> None:
        added = resource_factory(r)
        r[added.name] = added

    return change


def _options(name: str, **options) -> Callable[[Resources], None]:
    """Change a resource's options (protect, ignore_changes)."""

    def change(r: Resources) -> None:
        r[name] = dataclasses.replace(r[name], **options)

    return change


def _rule_paths(rule: str, paths: list[str]) -> Callable[[Resources], None]:
    """A listener rule given other path patterns, as a hand edit would."""

    def change(r: Resources) -> None:
        r[rule] = with_inputs(r[rule], conditions=[{"pathPattern": {"values": paths}}])

    return change


TOKEN_AUD = "token.actions.githubusercontent.com:aud"
TOKEN_SUB = "token.actions.githubusercontent.com:sub"


def _github_trust(condition: dict[str, Any]) -> Callable[[Resources], None]:
    """The fake CI role trusting GitHub's OIDC provider for web identities under `condition`."""
    return _set(
        "ci-role",
        assumeRolePolicy=document(
            {
                "Effect": "Allow",
                "Principal": {
                    "Federated": "arn:aws:iam::123456789012:oidc-provider/"
                    "token.actions.githubusercontent.com"
                },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ),
    )


def _waf_body(constraint: dict, **inputs: object) -> Callable[[Resources], None]:
    """The fake web ACL's body rule with this size constraint (and these other inputs)."""

    def change(r: Resources) -> None:
        rules = [dict(rule) for rule in r["web-acl"].inputs["rules"]]
        statement = {"sizeConstraintStatement": {**constraint, "textTransformations": []}}
        rules[1] = {**rules[1], "statement": statement}
        r["web-acl"] = with_inputs(r["web-acl"], rules=rules, **inputs)

    return change


def _alb_logs_only(days: int) -> Callable[[Resources], None]:
    """The documents' server access logs go elsewhere; the ALB's bucket keeps `days`."""

    def change(r: Resources) -> None:
        del r["bucket-logging"]
        r["logs-bucket-lifecycle"] = with_inputs(
            r["logs-bucket-lifecycle"], rules=[{"status": "Enabled", "expiration": {"days": days}}]
        )

    return change


OPEN = {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp"}


def _public_tasks(*rules: dict) -> Callable[[Resources], None]:
    """The service's tasks get public addresses, in a group of their own with these ingress
    rules (`{"referencedSecurityGroupId": ...}` admits a group, `cidrIpv4` an address range)."""

    def change(r: Resources) -> None:
        group = res(c.SECURITY_GROUP, "app-sg", {"description": "app"})
        network = {"subnets": ["a", "b"], "assignPublicIp": True, "securityGroups": ["sg-1"]}
        service = with_inputs(r["service"], networkConfiguration=network)
        r["service"] = dataclasses.replace(
            service,
            property_dependencies={**service.property_dependencies,
                                   "networkConfiguration": (group.key,)},
            depends_on=(*service.depends_on, group.key),
        )  # fmt: skip
        r["app-sg"] = group
        for index, rule in enumerate(rules):
            inputs = {"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080, **rule}
            name = f"app-in-{index}"
            r[name] = res(c.INGRESS_RULE, name, inputs, props={"securityGroupId": (group,)})

    return change


# (policy, what is broken, change to the baseline, fragment of the message)
CASES: list[tuple[str, str, Callable[[Resources], None], str]] = [
    ("ecs-service-no-public-ip", "public ip",
     _set("service", networkConfiguration={"subnets": ["a", "b"], "assignPublicIp": True}),
     "assign_public_ip is true"),
    ("ecs-service-no-public-ip", "no network", _set("service", networkConfiguration=None),
     "no network_configuration"),
    ("ecs-public-tasks-reached-by-groups-only", "an address range",
     _public_tasks({"referencedSecurityGroupId": "sg-alb"}, {"cidrIpv4": "10.0.0.0/8"}),
     "app-in-1 admits 10.0.0.0/8 to tasks with public addresses"),
    ("ecs-public-tasks-reached-by-groups-only", "a prefix list",
     _public_tasks({"prefixListId": "pl-0123456789abcdef0"}),
     "admits pl-0123456789abcdef0"),
    ("ecs-public-tasks-reached-by-groups-only", "groups not the stack's",
     _set("service", networkConfiguration={"subnets": ["a"], "assignPublicIp": True}),
     "what they admit cannot be checked"),
    ("ecs-task-no-host-pid", "host pid", _set("task", pidMode="host"), "pid_mode is 'host'"),
    ("efs-encrypted-at-rest", "unencrypted", _set("efs", encrypted=False),
     "not encrypted at rest"),
    ("efs-access-point-scoped", "the root", _set("efs-access-point", rootDirectory={"path": "/"}),
     "root directory is the file system's root"),
    ("efs-access-point-scoped", "no user", _set("efs-access-point", posixUser=None),
     "enforces no POSIX user"),
    ("ecs-efs-volume-encrypted-in-transit", "no TLS",
     _set("task", volumes=[{"name": "tmp"}, {"name": "shared", "efsVolumeConfiguration": {
         "fileSystemId": "fs-1", "authorizationConfig": {"iam": "ENABLED"}}}]),
     "EFS volume shared is not encrypted in transit"),
    ("ecs-efs-volume-encrypted-in-transit", "no IAM",
     _set("task", volumes=[{"name": "tmp"}, {"name": "shared", "efsVolumeConfiguration": {
         "fileSystemId": "fs-1", "transitEncryption": "ENABLED"}}]),
     "EFS volume shared is mounted without IAM authorization"),
    ("ecs-container-not-privileged", "privileged", _container(privileged=True),
     "container app is privileged"),
    ("ecs-container-readonly-root", "writable root", _container(readonlyRootFilesystem=False),
     "writable root filesystem"),
    ("ecs-container-readonly-root", "no /tmp", _container(mountPoints=[]),
     "no writable /tmp volume"),
    ("ecs-no-credentials-in-environment", "access key",
     _container(environment=[{"name": "AWS_SECRET_ACCESS_KEY", "value": "x"}]),
     "sets AWS_SECRET_ACCESS_KEY in plain text"),
    ("ecs-container-logging", "no logs", _container(logConfiguration=None),
     "no logConfiguration.logDriver"),
    ("ecs-fargate-platform-version", "1.3.0", _set("service", platformVersion="1.3.0"),
     "platform_version is '1.3.0'"),
    ("ecs-container-insights", "disabled",
     _set("cluster", settings=[{"name": "containerInsights", "value": "disabled"}]),
     "containerInsights is disabled"),
    ("ecs-non-root-awsvpc", "root user", _container(user="0:0"), "runs as root (0:0)"),
    ("ecs-non-root-awsvpc", "no user", _container(user=None), "sets no user"),
    ("ecs-non-root-awsvpc", "bridge", _set("task", networkMode="bridge"), "not 'awsvpc'"),
    ("elb-http-redirects-to-https", "forward on 80",
     _set("http", defaultActions=[{"type": "forward", "targetGroupArn": "arn:tg"}]),
     "does not redirect to HTTPS:443"),
    ("elb-drop-invalid-headers", "kept", _set("alb", dropInvalidHeaderFields=False),
     "drop_invalid_header_fields is not true"),
    ("elb-access-logs", "off", _set("alb", accessLogs=None), "access logs are off"),
    ("elb-deletion-protection", "off", _set("alb", enableDeletionProtection=False),
     "enable_deletion_protection is not true"),
    ("elb-desync-mitigation", "monitor", _set("alb", desyncMitigationMode="monitor"),
     "desync_mitigation_mode is 'monitor'"),
    ("elb-multi-az", "one subnet", _set("alb", subnets=["subnet-a"]), "1 subnet(s)"),
    ("elb-modern-tls", "2016 policy", _set("https", sslPolicy="ELBSecurityPolicy-2016-08"),
     "ssl_policy is ELBSecurityPolicy-2016-08"),
    ("elb-modern-tls", "default policy", _set("https", sslPolicy=None), "AWS default"),
    ("elb-waf-attached", "no association", _drop("web-acl-association"), "no web ACL"),
    ("waf-rules-with-metrics", "no rule", _set("web-acl", rules=[]), "has no rule (WAF.10)"),
    ("waf-rules-with-metrics", "no metrics",
     _set("web-acl", rules=[{"name": "r", "visibilityConfig": {}}]),
     "rule r publishes no CloudWatch metrics"),
    ("ec2-default-security-group-closed", "rules",
     _set("default-sg", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
     "the default security group has rules"),
    ("ec2-default-security-group-closed", "not adopted", _drop("default-sg"),
     "keeps AWS's allow-all rules"),
    ("ec2-vpc-flow-logs", "none", _drop("flow-log"), "the VPC has no flow log"),
    ("ec2-vpc-flow-logs", "rejects only", _set("flow-log", trafficType="REJECT"),
     "traffic_type is 'REJECT'"),
    ("ec2-subnet-no-public-ip", "auto-assign", _set("subnet", mapPublicIpOnLaunch=True),
     "map_public_ip_on_launch is true"),
    ("ec2-internet-ingress-alb-only", "8080 open",
     _add(lambda r: res(c.INGRESS_RULE, "open-8080", {**OPEN, "fromPort": 8080, "toPort": 8080},
                        deps=(r["alb-sg"],))),
     "tcp 8080-8080 open to the internet: only tcp 80 and 443"),
    ("ec2-internet-ingress-alb-only", "443 on another group",
     _add(lambda r: res(c.INGRESS_RULE, "open-443", {**OPEN, "fromPort": 443, "toPort": 443},
                        deps=(res(c.SECURITY_GROUP, "services-sg"),))),
     "on a group no load balancer of the stack uses"),
    ("ec2-no-open-high-risk-ports", "ssh",
     _add(lambda r: res(c.SECURITY_GROUP_RULE, "ssh", {
         "type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22,
         "cidrBlocks": ["0.0.0.0/0"]})),
     "exposes 22"),
    ("ec2-no-open-high-risk-ports", "all traffic inline",
     _add(lambda r: res(c.SECURITY_GROUP, "wide-open", {"ingress": [
         {"protocol": "-1", "fromPort": 0, "toPort": 0, "ipv6CidrBlocks": ["::/0"]}]})),
     "all ports open to the internet exposes 20, 21, 22"),
    ("rds-not-public", "public", _set("db", publiclyAccessible=True), "publicly_accessible"),
    ("rds-encrypted", "plain", _set("db", storageEncrypted=None), "storage_encrypted is not true"),
    ("rds-multi-az", "single az", _set("db", multiAz=False), "multi_az is not true"),
    ("rds-deletion-protection", "off", _set("db", deletionProtection=False),
     "deletion_protection is not true"),
    ("rds-enhanced-monitoring", "off", _set("db", monitoringInterval=0),
     "monitoring_interval is 0"),
    ("rds-enhanced-monitoring", "no role", _set("db", monitoringRoleArn=None),
     "without a monitoring_role_arn"),
    ("rds-logs-exported", "upgrade missing",
     _set("db", enabledCloudwatchLogsExports=["postgresql"]),
     "logs not exported: upgrade"),
    ("rds-iam-authentication", "off", _set("db", iamDatabaseAuthenticationEnabled=False),
     "iam_database_authentication_enabled"),
    ("rds-backups-7-days", "3 days", _set("db", backupRetentionPeriod=3),
     "backup_retention_period is 3"),
    ("rds-minor-version-upgrades", "off", _set("db", autoMinorVersionUpgrade=False),
     "auto_minor_version_upgrade is false"),
    ("rds-copy-tags-to-snapshots", "off", _set("db", copyTagsToSnapshot=False),
     "copy_tags_to_snapshot is not true"),
    ("rds-non-default-port", "5432", _set("db", port=5432), "port is 5432"),
    ("rds-non-default-port", "unset", _set("db", port=None), "port is 5432"),
    ("rds-custom-admin-name", "postgres", _set("db", username="postgres"), "named 'postgres'"),
    ("rds-force-ssl", "parameter off",
     _set("db-parameters", parameters=[{"name": "rds.force_ssl", "value": "0"}]),
     "does not set rds.force_ssl=1"),
    ("rds-force-ssl", "default group", _set("db", parameterGroupName=None),
     "parameterGroupName is not set"),
    ("rds-managed-master-password", "own password",
     _set("db", manageMasterUserPassword=None, password="[secret]"),
     "manage_master_user_password is not true"),
    ("elasticache-backups", "none", _set("redis", snapshotRetentionLimit=0),
     "snapshot_retention_limit is 0"),
    ("elasticache-minor-upgrades", "off", _set("redis", autoMinorVersionUpgrade=False),
     "auto_minor_version_upgrade is false"),
    ("elasticache-failover", "one node",
     _set("redis", numCacheClusters=1, automaticFailoverEnabled=False, multiAzEnabled=False),
     "1 node(s)"),
    ("elasticache-encrypted-at-rest", "off", _set("redis", atRestEncryptionEnabled=False),
     "at_rest_encryption_enabled"),
    ("elasticache-encrypted-in-transit", "off", _set("redis", transitEncryptionEnabled=None),
     "transit_encryption_enabled"),
    ("elasticache-auth", "no token", _set("redis", authToken=None),
     "neither auth_token nor user_group_ids"),
    ("elasticache-own-subnet-group", "default", _set("redis", subnetGroupName=None),
     "the default group"),
    ("ecs-two-tasks-two-azs", "scaled to zero at night",
     _add(lambda r: res("aws:appautoscaling/scheduledAction:ScheduledAction", "svc-scale-down",
                        {"serviceNamespace": "ecs",
                         "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}})),
     "a scheduled action sets min_capacity to 0"),
    ("kms-key-rotation", "never rotates", _set("key", enableKeyRotation=False),
     "enable_key_rotation is not true"),
    ("github-oidc-trust-scoped", "no sub condition",
     _github_trust({"StringEquals": {TOKEN_AUD: "sts.amazonaws.com"}}),
     "no `sub` condition"),
    ("github-oidc-trust-scoped", "any repository of the owner",
     _github_trust({"StringEquals": {TOKEN_AUD: "sts.amazonaws.com"},
                    "StringLike": {TOKEN_SUB: "repo:example-org/*"}}),
     "does not name one repository"),
    ("github-oidc-trust-scoped", "any workflow of the environment",
     _github_trust({"StringEquals": {
         TOKEN_AUD: "sts.amazonaws.com",
         TOKEN_SUB: "repo:example-org/accessweaver:environment:prod"}}),
     "does not pin the workflow file"),
    ("service-trust-source-bound", "no condition (the ECS load-balancer role before)",
     _set("service-role", assumeRolePolicy=document({
         "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
         "Action": "sts:AssumeRole"})),
     "without aws:SourceAccount and aws:SourceArn"),
    ("service-trust-source-bound", "account only (Step Functions before)",
     _set("service-role", assumeRolePolicy=document({
         "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
         "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}})),
     "without aws:SourceArn"),
    ("elasticache-auth", "serverless without a user group",
     _add(lambda r: res("aws:elasticache/serverlessCache:ServerlessCache", "serverless",
                        {"engine": "valkey", "snapshotRetentionLimit": 1})),
     "user_group_id is not set"),
    ("elasticache-backups", "serverless without snapshots",
     _add(lambda r: res("aws:elasticache/serverlessCache:ServerlessCache", "serverless",
                        {"engine": "valkey", "userGroupId": "g", "snapshotRetentionLimit": 0})),
     "snapshot_retention_limit is 0"),
    ("s3-block-public-access", "missing", _drop("bucket-public-access"),
     "bucket has no public access block"),
    ("s3-block-public-access", "one flag off", _set("bucket-public-access", ignorePublicAcls=False),
     "not true: ignorePublicAcls"),
    ("s3-tls-only", "no deny",
     _set("bucket-policy", policy=document({"Effect": "Allow", "Principal": {"AWS": "arn:x"},
                                            "Action": "s3:GetObject", "Resource": "arn:b/*"})),
     "denies aws:SecureTransport=false"),
    ("s3-acls-disabled", "object writer",
     _set("bucket-ownership", rule={"objectOwnership": "ObjectWriter"}),
     "not BucketOwnerEnforced"),
    ("s3-lifecycle", "missing", _drop("bucket-lifecycle"), "no enabled lifecycle rule"),
    ("s3-versioning", "suspended",
     _set("bucket-versioning", versioningConfiguration={"status": "Suspended"}),
     "versioning is not enabled"),
    ("s3-sse-kms", "sse-s3 on a data bucket",
     _set("bucket-encryption",
          rules=[{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]),
     "SSE-S3 (AES256), not SSE-KMS"),
    ("s3-sse-kms", "none", _drop("bucket-encryption"), "no server-side encryption"),
    ("ecr-scan-on-push", "off", _set("repo", imageScanningConfiguration={"scanOnPush": False}),
     "scan_on_push is not true"),
    ("ecr-immutable-tags", "mutable", _set("repo", imageTagMutability="MUTABLE"),
     "image_tag_mutability is MUTABLE"),
    ("ecr-lifecycle-policy", "missing", _drop("repo-lifecycle"), "has no lifecycle policy"),
    ("sqs-encrypted", "plain", _set("queue", sqsManagedSseEnabled=False),
     "neither SSE-SQS nor a KMS key encrypts the queue"),
    ("secrets-rotated", "never", _drop("secret-rotation"), "the secret never rotates"),
    ("secrets-rotated", "yearly",
     _set("secret-rotation", rotationRules={"automaticallyAfterDays": 365}),
     "rotates every 365 days"),
    ("secrets-rotated", "a rotation task that never runs",
     lambda r: (_drop("secret-rotation")(r), _set("secret", tags={"RotatedBy": "app-rotate"})(r)),
     "its RotatedBy task app-rotate runs on no schedule of 90 days or less"),
    ("iam-no-wildcard-actions", "service wildcard",
     _set("role-policy", policy=document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})),
     "allows s3:*"),
    ("iam-no-wildcard-actions", "admin",
     _add(lambda r: res("aws:iam/role:Role", "admin-role", {"inlinePolicies": [
         {"name": "all", "policy": document({"Effect": "Allow", "Action": "*", "Resource": "*"})}
     ]})),
     "inline_policies[all] allows *"),
    ("kms-decrypt-scoped", "decrypt anything",
     _set("role-policy", policy=document(
         {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"})),
     "allows kms:Decrypt on every KMS key"),
    ("log-group-retention", "never expire", _set("log-group", retentionInDays=None),
     "logs never expire"),
    ("ecs-circuit-breaker-rollback", "no rollback",
     _set("service", deploymentCircuitBreaker={"enable": True, "rollback": False}),
     "deployment_circuit_breaker"),
    ("ecs-rolling-capacity", "50 %", _set("service", deploymentMinimumHealthyPercent=50),
     "50-200 %"),
    ("ecs-two-tasks-two-azs", "one task", _set("service", desiredCount=1), "desired_count is 1"),
    ("ecs-two-tasks-two-azs", "scales to one", _set("scaling", minCapacity=1),
     "autoscaling min_capacity is 1"),
    ("ecs-two-tasks-two-azs", "one subnet",
     _set("service", networkConfiguration={"subnets": ["a"], "assignPublicIp": False}),
     "1 subnet(s)"),
    ("ecs-grace-period-with-load-balancer", "no grace",
     _set("service", healthCheckGracePeriodSeconds=None), "without health_check_grace_period"),
    ("ecs-container-health-checks", "no health check", _container(healthCheck=None),
     "essential container app has no healthCheck"),
    ("ecs-graceful-stop", "killed while draining", _set("tg", deregistrationDelay=None),
     "killed after 60 s while tg drains for 300 s"),
    ("ecs-graceful-stop", "above Fargate's maximum", _container(stopTimeout=300),
     "stopTimeout 300 > 120"),
    ("stateful-resources-protected", "unprotected bucket", _options("bucket", protect=False),
     "not protected"),
    ("stateful-resources-protected", "no final snapshot", _set("db", skipFinalSnapshot=True),
     "skip_final_snapshot is true"),
    ("alarms-notify", "nobody", _set("alarm", alarmActions=[]), "notifies nobody"),
    ("autoscaled-services-ignore-desired-count", "reset by up",
     _options("service", ignore_changes=()),
     "would reset it"),
    ("s3-access-logging", "none", _drop("bucket-logging"), "no server access logging"),
    ("s3-access-logging", "into itself",
     _add(lambda r: res(c.BUCKET_LOGGING[0], "self-logging", {},
                        props={"bucket": (r["bucket"],), "targetBucket": (r["bucket"],)})),
     "the bucket logs into itself"),
    ("waf-logging", "none", _drop("waf-logging"), "the web ACL logs nothing"),
    ("waf-logging", "tokens kept", _set("waf-logging", redactedFields=[]),
     "the authorization header is not redacted"),
    ("waf-logging", "wrong name", _set("waf-log-group", name="waf-logs"),
     "destination waf-logs does not start with aws-waf-logs-"),
    ("fargate-ephemeral-storage-encrypted", "aws-owned key",
     _set("cluster", configuration={"executeCommandConfiguration": {"logging": "OVERRIDE"}}),
     "encrypted with an AWS-owned key only"),
    ("ecs-exec-sessions-logged", "default logging",
     _set("cluster", configuration={"executeCommandConfiguration": {"logging": "DEFAULT"}}),
     "app runs ECS Exec but execute_command_configuration.logging is DEFAULT"),
    ("ecs-exec-sessions-logged", "not encrypted", _set("exec-log-group", kmsKeyId=None),
     "is not encrypted with a KMS key"),
    ("ecs-exec-no-master-password", "master password in a container",
     _container(secrets=[{"name": "DATABASE_PASSWORD", "valueFrom":
                          "arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-1-a1b2c3:password::"}]),
     "app runs ECS Exec and container app gets DATABASE_PASSWORD from it"),
    ("security-logs-kept-a-year", "flow logs 90 days", _set("flow-log-group", retentionInDays=90),
     "flow logs kept 90 days, less than 365"),
    ("security-logs-kept-a-year", "exec 30 days", _set("exec-log-group", retentionInDays=30),
     "ECS Exec sessions kept 30 days"),
    ("security-logs-kept-a-year", "access logs 90 days",
     _set("logs-bucket-lifecycle", rules=[{"status": "Enabled", "expiration": {"days": 90}}]),
     "access logs expire after 90 days, less than 365"),
    ("security-logs-kept-a-year", "alb logs 30 days", _alb_logs_only(30),
     "ALB access logs expire after 30 days, less than 90"),
    # The red team's edge findings (issue 19, part 6): what the rules let through.
    ("waf-body-checks-within-inspection", "64 KiB compared on the body",
     _waf_body({"comparisonOperator": "GT", "size": 65536,
                "fieldToMatch": {"body": {"oversizeHandling": "CONTINUE"}}}),
     "compares the body with 65536 bytes, but WAF sees at most 8192 of it: the rule never "
     "matches"),
    ("waf-body-checks-within-inspection", "oversize handling left to its default",
     _waf_body({"comparisonOperator": "GT", "size": 1024, "fieldToMatch": {"body": {}}}),
     "inspects the body without oversize handling"),
    ("waf-body-checks-within-inspection", "8 KiB compared, a larger body not matched",
     _waf_body({"comparisonOperator": "GT", "size": 8192,
                "fieldToMatch": {"body": {"oversizeHandling": "NO_MATCH"}}}),
     "compares the body with 8192 bytes, but WAF sees at most 8192 of it: the rule never "
     "matches"),
    ("waf-body-checks-within-inspection", "a raised inspection limit the ALB does not honour",
     _waf_body({"comparisonOperator": "GT", "size": 32768,
                "fieldToMatch": {"body": {"oversizeHandling": "MATCH"}}},
               associationConfig={"requestBodies": [
                   {"apiGateway": {"defaultSizeInspectionLimit": "KB_64"}}]}),
     "but WAF sees at most 8192 of it: the rule blocks every body over 8192 bytes"),
    ("edge-management-endpoints-not-public", "no guard", _drop("guard-management"),
     "forwards /actuator to tg from the internet"),
    ("edge-management-endpoints-not-public", "guard on one header only",
     _set("guard-management", conditions=[
         {"pathPattern": {"values": ["/actuator*", "/*/actuator*"]}},
         {"httpHeader": {"httpHeaderName": "X-Debug", "values": ["*"]}}]),
     "forwards /actuator to tg"),
    ("edge-management-endpoints-not-public", "guard at the root only",
     _rule_paths("guard-management", ["/actuator*"]),
     "forwards /auth/realms/actuator to kc-tg"),
    ("edge-management-endpoints-not-public", "keycloak health routed",
     _rule_paths("kc-rule", ["/auth/realms/*", "/auth/health/*", "/auth/metrics"]),
     "forwards /auth/health/ready to Keycloak (kc-tg)"),
    ("kc-master-realm-not-public", "no guard", _drop("guard-admin-realm"),
     "forwards /auth/realms/master to Keycloak: the master realm is public"),
    ("kc-master-realm-not-public", "guard after the route",
     _set("guard-admin-realm", priority=2000), "forwards /auth/realms/master to Keycloak"),
    ("kc-client-address-from-trusted-proxies", "no trusted addresses",
     _container(environment=[{"name": "KC_PROXY_HEADERS", "value": "xforwarded"}]),
     "parses xforwarded headers from any sender"),
    ("kc-client-address-from-trusted-proxies", "everyone trusted",
     _container(environment=[{"name": "KC_PROXY_HEADERS", "value": "xforwarded"},
                             {"name": "KC_PROXY_TRUSTED_ADDRESSES", "value": "0.0.0.0/0"}]),
     "trusts 0.0.0.0/0: nearly any sender"),
    ("auth-and-database-logs-kept-no-personal-query", "keycloak 30 days",
     _set("kc-log-group", retentionInDays=30), "Keycloak's logs kept 30 days, less than 365"),
    ("auth-and-database-logs-kept-no-personal-query", "postgresql 30 days",
     _set("db-log-group", retentionInDays=30),
     "PostgreSQL's exported logs kept 30 days, less than 365"),
    ("auth-and-database-logs-kept-no-personal-query", "query strings in clear",
     _set("web-acl", dataProtectionConfig=None),
     "query arguments code, id_token_hint, login_hint, access_token, SAMLRequest reach"),
    ("auth-and-database-logs-kept-no-personal-query", "rule match details in clear",
     _set("web-acl", dataProtectionConfig={"dataProtections": [{
         "action": "SUBSTITUTION", "excludeRuleMatchDetails": True,
         "field": {"fieldType": "QUERY_STRING"}}]}),
     "excludes the rule match details"),
]  # fmt: skip

SPEC_SCOPES = {spec.name: spec.scope for spec in specs()}


@functools.cache
def _baseline_report():
    return run_policies(plan_of(list(baseline().values())))


def _violations(resources: Resources, environment: str = "prod", **kwargs) -> list[dict]:
    return run_policies(plan_of(list(resources.values()), environment, **kwargs)).violations


def test_the_compliant_baseline_has_no_violation_and_no_waiver():
    report = _baseline_report()
    assert report.violations == []
    assert report.waivers == [] and report.unused_waivers == []


@pytest.mark.parametrize("spec", specs(), ids=lambda s: s.name)
def test_every_resource_policy_sees_its_resource_type_in_the_baseline(spec):
    present = {r.type for r in baseline().values()}
    if spec.check_resource is not None:
        assert present & set(spec.types), f"{spec.name}: the passing case would be vacuous"


@pytest.mark.parametrize(
    ("policy", "label", "change", "fragment"),
    CASES,
    ids=[f"{policy}-{label}" for policy, label, _, _ in CASES],
)
def test_policy_fails_when_its_control_is_broken(policy, label, change, fragment):
    resources = baseline()
    change(resources)
    found = [v for v in _violations(resources) if v["policy"] == policy]
    assert found, f"{policy} did not fail on: {label}"
    assert any(fragment in v["message"] for v in found), found
    assert {v["enforcement"] for v in found} == {"mandatory"}


# Policies whose failing case needs a whole stack's config, not fake resources; their cases are
# in tests/test_policy_stacks.py (budget) and tests/test_least_privilege_policies.py (graph).
WHOLE_STACK_CASES = {
    "monthly-budget",
    "lp-own-security-group",
    "lp-own-task-role",
    "lp-own-execution-role",
    "lp-only-what-it-uses",
    "kc-admin-console-not-public",
}


def test_every_policy_has_a_failing_case():
    assert {spec.name for spec in specs()} == {policy for policy, *_ in CASES} | WHOLE_STACK_CASES


@pytest.mark.parametrize(
    ("policy", "change"),
    [(p, ch) for p, _, ch, _ in CASES if SPEC_SCOPES[p] == "P"][::2],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_p_scope_policies_are_advisory_in_dev(policy, change):
    resources = baseline()
    change(resources)
    found = [v for v in _violations(resources, "dev") if v["policy"] == policy]
    assert found and {v["enforcement"] for v in found} == {"advisory"}


def test_public_tasks_reached_only_from_groups_pass_the_compensating_control():
    resources = baseline()
    _public_tasks({"referencedSecurityGroupId": "sg-alb"})(resources)
    found = [v for v in _violations(resources, "dev") if v["control"] == "NET.1*"]
    assert found == []


def test_a_scope_policies_stay_mandatory_in_dev():
    resources = baseline()
    resources["service"] = with_inputs(
        resources["service"], networkConfiguration={"subnets": ["a", "b"], "assignPublicIp": True}
    )
    found = [v for v in _violations(resources, "dev") if v["policy"] == "ecs-service-no-public-ip"]
    assert [v["enforcement"] for v in found] == ["mandatory"]


def test_initial_config_makes_exactly_the_p_policies_advisory_in_dev():
    from pulumi_policy import EnforcementLevel

    levels = initial_config("dev")
    advisory = {name for name, level in levels.items() if level == EnforcementLevel.ADVISORY}
    assert advisory == {name for name, scope in SPEC_SCOPES.items() if scope == "P"}
    prod_only = {name for name, scope in SPEC_SCOPES.items() if scope == "R"}
    assert prod_only == {
        "security-logs-kept-a-year",
        "auth-and-database-logs-kept-no-personal-query",
    }
    assert {n for n, level in levels.items() if level == EnforcementLevel.DISABLED} == prod_only
    assert initial_config("staging") == dict.fromkeys(prod_only, EnforcementLevel.DISABLED)
    assert initial_config("prod") is None
    assert initial_config(None) is None  # unknown environment: everything mandatory


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_prod_only_policies_do_not_run_before_prod(environment):
    resources = baseline()
    resources["flow-log-group"] = with_inputs(resources["flow-log-group"], retentionInDays=90)
    found = [v for v in _violations(resources, environment) if v["control"] == "LOG.1*"]
    assert found == []
    assert [v["enforcement"] for v in _violations(resources) if v["control"] == "LOG.1*"] == [
        "mandatory"
    ]


def test_a_sse_s3_bucket_passes_when_an_alb_writes_its_access_logs_there():
    # The baseline's logs bucket is AES256 and the ALB depends on it.
    assert not [v for v in _baseline_report().violations if v["policy"] == "s3-sse-kms"]
    assert "AES256" in json.dumps(baseline()["logs-bucket-encryption"].inputs)


def test_blue_green_services_are_not_held_to_rolling_percentages():
    resources = baseline()
    resources["service"] = with_inputs(
        resources["service"],
        deploymentMinimumHealthyPercent=50,
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "10"},
    )
    assert not [v for v in _violations(resources) if v["policy"] == "ecs-rolling-capacity"]


def test_a_body_limit_at_what_waf_inspects_passes_with_oversize_handling_match():
    # `GT 8192` with MATCH is exact behind an ALB: WAF sees every body up to 8 KiB whole.
    exact = {"comparisonOperator": "GT", "size": 8192,
             "fieldToMatch": {"body": {"oversizeHandling": "MATCH"}}}  # fmt: skip
    resources = baseline()
    _waf_body(exact)(resources)
    assert not [
        v for v in _violations(resources) if v["policy"] == "waf-body-checks-within-inspection"
    ]
    # a CloudFront web ACL raised to 64 KiB may compare 32 KiB of body
    resources = baseline()
    del resources["web-acl-association"]
    raised = {"requestBodies": [{"cloudfront": {"defaultSizeInspectionLimit": "KB_64"}}]}
    _waf_body({**exact, "size": 32768}, scope="CLOUDFRONT", associationConfig=raised)(resources)
    assert not [
        v for v in _violations(resources) if v["policy"] == "waf-body-checks-within-inspection"
    ]


def test_http_listener_may_forward_when_no_certificate_is_configured():
    resources = baseline()
    del resources["https"]
    resources["http"] = with_inputs(resources["http"], defaultActions=[{"type": "forward"}])
    assert not [v for v in _violations(resources) if v["policy"] == "elb-http-redirects-to-https"]


# ---------------------------------------------------------------------------------------------
# Waivers
# ---------------------------------------------------------------------------------------------


def test_a_waiver_hides_the_finding_and_is_listed_with_its_reason():
    resources = baseline()
    resources["service"] = with_inputs(resources["service"], desiredCount=1)
    waiver = {"control": "rel.3", "resource": "serv*", "reason": "one task is enough here"}
    report = run_policies(plan_of(list(resources.values()), waivers=[waiver]))
    assert not [v for v in report.violations if v["control"] == "REL.3"]
    assert report.waivers == [
        {
            "control": "REL.3",
            "resource": "service",
            "policy": "ecs-two-tasks-two-azs",
            "message": "desired_count is 1: one task failing takes the service down",
            "reason": "one task is enough here",
            "source": "stack file",
        }
    ]


def test_a_waiver_that_matches_nothing_is_reported_as_unused():
    waiver = {"control": "ECS.2", "resource": "no-such-service", "reason": "left over from a test"}
    report = run_policies(plan_of(list(baseline().values()), waivers=[waiver]))
    assert report.unused_waivers == [
        {"control": "ECS.2", "resource": "no-such-service", "reason": "left over from a test"}
    ]


def test_a_waiver_only_covers_its_own_control():
    resources = baseline()
    resources["service"] = with_inputs(resources["service"], desiredCount=1, platformVersion="1.3")
    waiver = {"control": "REL.3", "resource": "service", "reason": "one task is enough here"}
    found = {v["control"] for v in _violations(resources, waivers=[waiver])}
    assert found == {"ECS.10"}


def test_the_waiver_policy_reports_each_waiver_as_an_advisory():
    from pulumi_policy import EnforcementLevel

    waiver_policy = next(p for p in policies() if p.name == WAIVER_POLICY)
    assert waiver_policy.enforcement_level == EnforcementLevel.ADVISORY


def test_every_policy_names_its_controls_and_says_what_to_change():
    for policy in policies():
        if policy.name == WAIVER_POLICY:
            continue
        spec = next(s for s in specs() if s.name == policy.name)
        assert policy.description.startswith(f"[{spec.control}] ")
        assert "Fix: " in policy.description and policy.remediation_steps


def test_only_a_firelens_log_router_may_run_as_root():
    resources = baseline()
    task = resources["task"]
    containers = json.loads(task.inputs["containerDefinitions"])
    router = {**containers[0], "name": "log-router", "user": "0",
              "firelensConfiguration": {"type": "fluentbit"}}  # fmt: skip
    resources["task"] = with_inputs(task, containerDefinitions=json.dumps([*containers, router]))
    assert [v for v in _violations(resources) if v["policy"] == "ecs-non-root-awsvpc"] == []
    # the exception is the router's alone: the app as root beside it still fails
    app_as_root = {**containers[0], "user": "0"}
    resources["task"] = with_inputs(task, containerDefinitions=json.dumps([app_as_root, router]))
    found = [v for v in _violations(resources) if v["policy"] == "ecs-non-root-awsvpc"]
    assert [v["message"] for v in found] and "container app runs as root" in found[0]["message"]
