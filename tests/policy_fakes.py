"""Small fake stacks for the policy tests: a compliant baseline and helpers to break one thing.

Resources are `RecordedResource`s, exactly what the offline engine records (camelCase inputs,
dependencies as `<type>::<name>` keys), so the policies run through the same offline runner as
the real stacks.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from policy import checks as c
from policy.checks.s3 import PUBLIC_ACCESS_FLAGS
from tools.engine import PlanResult, RecordedResource


def res(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    deps: tuple[RecordedResource, ...] = (),
    props: dict[str, tuple[RecordedResource, ...]] | None = None,
    protect: bool = False,
    ignore: tuple[str, ...] = (),
) -> RecordedResource:
    """`deps`: resources it depends on; `props`: input -> the resources that input takes its
    value from (property dependencies, which also count as dependencies)."""
    by_input = {prop: tuple(d.key for d in found) for prop, found in (props or {}).items()}
    keys = [d.key for d in deps] + [k for found in by_input.values() for k in found]
    return RecordedResource(
        type=type_,
        name=name,
        parent=None,
        custom=True,
        inputs=dict(inputs or {}),
        ignore_changes=ignore,
        protect=protect,
        depends_on=tuple(dict.fromkeys(keys)),
        property_dependencies=by_input,
    )


def plan_of(
    resources: list[RecordedResource],
    environment: str = "prod",
    waivers: list[dict[str, str]] | None = None,
) -> PlanResult:
    config = {"accessweaver:environment": environment}
    if waivers is not None:
        config["accessweaver:policyWaivers"] = json.dumps(waivers)
    return PlanResult(
        "accessweaver", environment, f"Pulumi.{environment}.yaml", list(resources), {}, config
    )


def with_inputs(resource: RecordedResource, **changes: Any) -> RecordedResource:
    inputs = {k: v for k, v in {**resource.inputs, **changes}.items() if v is not None}
    return dataclasses.replace(resource, inputs=inputs)


def with_container(task: RecordedResource, **changes: Any) -> RecordedResource:
    containers = json.loads(task.inputs["containerDefinitions"])
    app = {k: v for k, v in {**containers[0], **changes}.items() if v is not None}
    return with_inputs(task, containerDefinitions=json.dumps([app, *containers[1:]]))


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BODY_ABOVE_4_KIB = {
    "comparisonOperator": "GT",
    "size": 4096,
    "fieldToMatch": {"body": {"oversizeHandling": "MATCH"}},
    "textTransformations": [{"priority": 0, "type": "NONE"}],
}
"""A route's body limit below what WAF inspects, with its oversize handling chosen."""

APP_CONTAINER = {
    "name": "app",
    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.0.0",
    "essential": True,
    "user": "1000",
    "readonlyRootFilesystem": True,
    "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app"}},
    "healthCheck": {"command": ["CMD-SHELL", "curl -fsS localhost:8080/health || exit 1"]},
    "stopTimeout": 60,
    "environment": [
        {"name": "LOG_LEVEL", "value": "INFO"},
        # Keycloak behind the ALB: forwarded headers from the load balancer's subnets only.
        {"name": "KC_DB", "value": "postgres"},
        {"name": "KC_PROXY_HEADERS", "value": "xforwarded"},
        {"name": "KC_PROXY_TRUSTED_ADDRESSES", "value": "10.0.32.0/21,10.0.96.0/21"},
    ],
    "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:..."}],
    "privileged": False,
}


def baseline() -> dict[str, RecordedResource]:
    """One compliant resource of every type a policy looks at, linked like the program links
    them (a Pulumi-created VPC, an internet-facing ALB with WAF, RDS, Redis, S3, ECR...)."""
    r: dict[str, RecordedResource] = {}
    r["vpc"] = res(c.VPCS[1], "vpc")
    r["default-sg"] = res(c.DEFAULT_SECURITY_GROUP, "default-sg", deps=(r["vpc"],))
    r["flow-log-group"] = res(
        c.LOG_GROUP, "flow-log-group", {"name": "/vpc/x/flow-logs", "retentionInDays": 365}
    )
    r["flow-log"] = res(
        c.FLOW_LOG,
        "flow-log",
        {"trafficType": "ALL"},
        deps=(r["vpc"],),
        props={"logDestination": (r["flow-log-group"],)},
    )
    r["subnet"] = res(c.SUBNET, "subnet", {"mapPublicIpOnLaunch": False})
    r["alb-sg"] = res(c.SECURITY_GROUP, "alb-sg", {"description": "ALB"})
    r["alb-https-in"] = res(
        c.INGRESS_RULE,
        "alb-https-in",
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443},
        deps=(r["alb-sg"],),
    )
    r["logs-bucket"] = res(c.BUCKETS[0], "logs-bucket", protect=True)
    r["alb"] = res(
        c.LOAD_BALANCERS[0],
        "alb",
        {
            "loadBalancerType": "application",
            "internal": False,
            "dropInvalidHeaderFields": True,
            "accessLogs": {"bucket": "logs-bucket-1234", "enabled": True},
            "enableDeletionProtection": True,
            "desyncMitigationMode": "defensive",
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-alb"],
        },
        deps=(r["alb-sg"], r["logs-bucket"]),
    )
    r["https"] = res(
        c.LISTENERS[0],
        "https",
        {
            "port": 443,
            "protocol": "HTTPS",
            "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
            "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/x",
            "defaultActions": [{"type": "fixed-response"}],
        },
        deps=(r["alb"],),
    )
    r["http"] = res(
        c.LISTENERS[0],
        "http",
        {
            "port": 80,
            "protocol": "HTTP",
            "defaultActions": [
                {
                    "type": "redirect",
                    "redirect": {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"},
                }
            ],
        },
        deps=(r["alb"],),
    )
    r["web-acl"] = res(
        c.WEB_ACL,
        "web-acl",
        {
            "scope": "REGIONAL",
            "rules": [
                {"name": "rate", "visibilityConfig": {"cloudwatchMetricsEnabled": True}},
                {
                    "name": "body-size-api",
                    "statement": {
                        "andStatement": {
                            "statements": [
                                {"labelMatchStatement": {"scope": "LABEL", "key": "route:api"}},
                                {"sizeConstraintStatement": BODY_ABOVE_4_KIB},
                            ]
                        }
                    },
                    "visibilityConfig": {"cloudwatchMetricsEnabled": True},
                },
            ],
            "dataProtectionConfig": {
                "dataProtections": [
                    {
                        "action": "SUBSTITUTION",
                        "field": {
                            "fieldType": "SINGLE_QUERY_ARGUMENT",
                            "fieldKeys": [
                                "code",
                                "id_token_hint",
                                "login_hint",
                                "access_token",
                                "SAMLRequest",
                            ],
                        },
                    }
                ]
            },
        },
    )
    r["web-acl-association"] = res(
        c.WEB_ACL_ASSOCIATION, "web-acl-association", deps=(r["alb"], r["web-acl"])
    )
    r["waf-log-group"] = res(
        c.LOG_GROUP, "waf-log-group", {"name": "aws-waf-logs-alb", "retentionInDays": 365}
    )
    r["waf-logging"] = res(
        c.WEB_ACL_LOGGING,
        "waf-logging",
        {"redactedFields": [{"singleHeader": {"name": "authorization"}}]},
        props={"resourceArn": (r["web-acl"],), "logDestinationConfigs": (r["waf-log-group"],)},
    )
    r["tg"] = res(c.TARGET_GROUPS[0], "tg", {"port": 8080, "deregistrationDelay": 30})
    r["kc-tg"] = res(
        c.TARGET_GROUPS[0],
        "kc-tg",
        {"port": 8180, "deregistrationDelay": 30, "tags": {"Service": "keycloak"}},
    )

    def rule(name: str, priority: int, paths: list[str], target: str | None, **extra: Any):
        conditions = [{"pathPattern": {"values": paths}}, *extra.pop("conditions", [])]
        action = {"type": "forward"} if target else {"type": "fixed-response"}
        return res(
            c.LISTENER_RULES[0],
            name,
            {"priority": priority, "conditions": conditions, "actions": [action]},
            props={"listenerArn": (r["https"],), **({"actions": (r[target],)} if target else {})},
        )

    # The edge's guards in front of the routes: the management endpoints and the master realm
    # answer 404; a client's own X-Forwarded-For is refused on Keycloak's paths.
    r["guard-management"] = rule("guard-management", 1, ["/actuator*", "/*/actuator*"], None)
    r["guard-admin-realm"] = rule(
        "guard-admin-realm", 2, ["/auth/realms/master", "/auth/realms/master/*"], None
    )
    r["guard-forwarded-for"] = rule(
        "guard-forwarded-for", 3, ["/auth/*"], None,
        conditions=[{"httpHeader": {"httpHeaderName": "X-Forwarded-For", "values": ["*"]}}],
    )  # fmt: skip
    r["kc-rule"] = rule("kc-rule", 1000, ["/auth/realms/*", "/auth/resources/*"], "kc-tg")
    r["app-rule"] = rule("app-rule", 50000, ["/*"], "tg")
    r["exec-log-group"] = res(
        c.LOG_GROUP,
        "exec-log-group",
        {
            "name": "/aws/ecs/cluster/execute-command",
            "retentionInDays": 365,
            "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/exec",
        },
    )
    r["cluster"] = res(
        c.CLUSTER,
        "cluster",
        {
            "settings": [{"name": "containerInsights", "value": "enhanced"}],
            "configuration": {
                "managedStorageConfiguration": {
                    "fargateEphemeralStorageKmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/st"
                },
                "executeCommandConfiguration": {
                    "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/exec",
                    "logging": "OVERRIDE",
                    "logConfiguration": {
                        "cloudWatchEncryptionEnabled": True,
                        "cloudWatchLogGroupName": "/aws/ecs/cluster/execute-command",
                    },
                },
            },
        },
        props={"configuration": (r["exec-log-group"],)},
    )
    r["efs"] = res(c.efs.FILE_SYSTEM, "efs", {"encrypted": True})
    r["efs-access-point"] = res(
        c.efs.ACCESS_POINT,
        "efs-access-point",
        {"posixUser": {"uid": 1000, "gid": 1000}, "rootDirectory": {"path": "/app"}},
        props={"fileSystemId": (r["efs"],)},
    )
    r["task"] = res(
        c.TASK,
        "task",
        {
            "family": "app",
            "networkMode": "awsvpc",
            "volumes": [
                {"name": "tmp"},
                {
                    "name": "shared",
                    "efsVolumeConfiguration": {
                        "fileSystemId": "fs-0123456789abcdef0",
                        "transitEncryption": "ENABLED",
                        "authorizationConfig": {"accessPointId": "fsap-0123", "iam": "ENABLED"},
                    },
                },
            ],
            "containerDefinitions": json.dumps([APP_CONTAINER]),
        },
    )
    r["service"] = res(
        c.SERVICE,
        "service",
        {
            "name": "app",
            "desiredCount": 2,
            "platformVersion": "LATEST",
            "capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1}],
            "networkConfiguration": {"subnets": ["subnet-a", "subnet-b"], "assignPublicIp": False},
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "deploymentMinimumHealthyPercent": 100,
            "deploymentMaximumPercent": 200,
            "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "app"}],
            "healthCheckGracePeriodSeconds": 180,
            "enableExecuteCommand": True,
        },
        deps=(r["tg"],),
        props={"cluster": (r["cluster"],), "taskDefinition": (r["task"],)},
        ignore=("desiredCount",),
    )
    r["scaling"] = res(
        c.SCALING_TARGET,
        "scaling",
        {"serviceNamespace": "ecs", "resourceId": "service/cluster/app", "minCapacity": 2},
        deps=(r["service"],),
    )
    r["alarm"] = res(c.ALARM, "alarm", {"alarmActions": ["arn:aws:sns:eu-west-1:1:alerts"]})
    r["log-group"] = res(c.LOG_GROUP, "log-group", {"retentionInDays": 30})
    # Keycloak's log and the database's are kept a year.
    r["kc-log-group"] = res(
        c.LOG_GROUP,
        "kc-log-group",
        {"name": "/ecs/x/keycloak", "retentionInDays": 365, "tags": {"Service": "keycloak"}},
    )
    r["db-log-group"] = res(
        c.LOG_GROUP,
        "db-log-group",
        {"name": "/aws/rds/instance/db/postgresql", "retentionInDays": 365},
    )
    r["db-parameters"] = res(
        c.DB_PARAMETER_GROUP,
        "db-parameters",
        {"family": "postgres16", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
    )
    r["db"] = res(
        c.DB_INSTANCE,
        "db",
        {
            "engine": "postgres",
            "publiclyAccessible": False,
            "storageEncrypted": True,
            "multiAz": True,
            "deletionProtection": True,
            "monitoringInterval": 60,
            "monitoringRoleArn": "arn:aws:iam::123456789012:role/monitoring",
            "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
            "iamDatabaseAuthenticationEnabled": True,
            "backupRetentionPeriod": 14,
            "autoMinorVersionUpgrade": True,
            "copyTagsToSnapshot": True,
            "port": 5433,
            "username": "aw_admin",
            "manageMasterUserPassword": True,
            "parameterGroupName": "db-parameters-1234",
            "skipFinalSnapshot": False,
        },
        deps=(r["db-parameters"],),
        protect=True,
    )
    r["redis"] = res(
        c.REPLICATION_GROUP,
        "redis",
        {
            "engine": "redis",
            "snapshotRetentionLimit": 7,
            "automaticFailoverEnabled": True,
            "multiAzEnabled": True,
            "numCacheClusters": 2,
            "atRestEncryptionEnabled": True,
            "transitEncryptionEnabled": True,
            "authToken": "[secret]",
            "subnetGroupName": "redis-subnets",
        },
        protect=True,
    )
    r["bucket"] = res(c.BUCKETS[0], "bucket", protect=True)
    for bucket in ("bucket", "logs-bucket"):
        on = (r[bucket],)
        r[f"{bucket}-public-access"] = res(
            c.PUBLIC_ACCESS_BLOCK,
            f"{bucket}-public-access",
            dict.fromkeys(PUBLIC_ACCESS_FLAGS, True),
            deps=on,
        )
        r[f"{bucket}-policy"] = res(
            c.BUCKET_POLICY,
            f"{bucket}-policy",
            {
                "policy": document(
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                )
            },
            deps=on,
        )
        r[f"{bucket}-ownership"] = res(
            c.OWNERSHIP_CONTROLS,
            f"{bucket}-ownership",
            {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
            deps=on,
        )
        r[f"{bucket}-lifecycle"] = res(
            c.LIFECYCLES[0],
            f"{bucket}-lifecycle",
            # Logs expire after a year (LOG.1); documents never expire.
            {
                "rules": [
                    {"status": "Enabled", "expiration": {"days": 365}}
                    if bucket == "logs-bucket"
                    else {"status": "Enabled"}
                ]
            },
            deps=on,
        )
        r[f"{bucket}-versioning"] = res(
            c.VERSIONINGS[0],
            f"{bucket}-versioning",
            {"versioningConfiguration": {"status": "Enabled"}},
            deps=on,
        )
    # The data bucket's server access logs go to the log bucket (S3.9).
    r["bucket-logging"] = res(
        c.BUCKET_LOGGING[0],
        "bucket-logging",
        {"targetPrefix": "documents/"},
        props={"bucket": (r["bucket"],), "targetBucket": (r["logs-bucket"],)},
    )
    # ALB access-log delivery supports SSE-S3 only; the other bucket uses SSE-KMS.
    for bucket, algorithm in (("bucket", "aws:kms"), ("logs-bucket", "AES256")):
        r[f"{bucket}-encryption"] = res(
            c.ENCRYPTIONS[0],
            f"{bucket}-encryption",
            {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": algorithm}}]},
            deps=(r[bucket],),
        )
    r["repo"] = res(
        c.REPOSITORY,
        "repo",
        {"imageScanningConfiguration": {"scanOnPush": True}, "imageTagMutability": "IMMUTABLE"},
        protect=True,
    )
    r["repo-lifecycle"] = res(
        c.REPOSITORY_LIFECYCLE, "repo-lifecycle", {"policy": "{}"}, deps=(r["repo"],)
    )
    r["queue"] = res(c.QUEUE, "queue", {"name": "work", "sqsManagedSseEnabled": True})
    r["secret"] = res(c.SECRET, "secret", {"name": "app/secret"}, protect=True)
    r["secret-rotation"] = res(
        c.SECRET_ROTATION,
        "secret-rotation",
        {"rotationRules": {"automaticallyAfterDays": 30}},
        deps=(r["secret"],),
    )
    r["key"] = res(c.KMS_KEY, "key", {"enableKeyRotation": True}, protect=True)
    # A CI role trusting GitHub's OIDC provider, as the bootstrap project builds it.
    from accessweaver_components.bootstrap.github_settings import DEPLOY_PIN
    from accessweaver_components.bootstrap.trust import trust_policy

    r["ci-role"] = res(
        "aws:iam/role:Role",
        "ci-role",
        {"assumeRolePolicy": json.dumps(trust_policy(
            "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            "example-org/accessweaver", "dev", DEPLOY_PIN))},
    )  # fmt: skip
    # A role an AWS service assumes, as components/service_trust.py builds it.
    from accessweaver_components.service_trust import state_machine_trust

    r["service-role"] = res(
        "aws:iam/role:Role",
        "service-role",
        {"assumeRolePolicy": json.dumps(state_machine_trust("123456789012", "eu-west-1", "m"))},
    )
    r["role-policy"] = res(
        "aws:iam/rolePolicy:RolePolicy",
        "role-policy",
        {
            "policy": document(
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt"],
                    "Resource": "arn:aws:kms:eu-west-1:123456789012:key/abc",
                },
                {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            )
        },
    )
    return r
