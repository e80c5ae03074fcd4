"""What the program writes is what the AWS API accepts, per botocore's shipped service models."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS, container_definitions
from tools.aws_models import register_task_definition_params, validate


@pytest.mark.parametrize("stack", STACKS)
def test_every_task_definition_validates_against_register_task_definition(plan, stack):
    tasks = plan(stack).of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert tasks
    for task in tasks:
        params = register_task_definition_params(task.inputs, container_definitions(task))
        assert validate("ecs", "RegisterTaskDefinition", params) == [], task.name


def test_the_model_check_rejects_a_broken_container_definition(plan):
    task = plan("dev").one("aws:ecs/taskDefinition:TaskDefinition", "aw-pdp-service-task")
    broken = container_definitions(task)
    broken[0]["portMappings"][0]["protocol"] = "http"
    broken[0]["memoryReservationMiB"] = 512
    problems = validate(
        "ecs", "RegisterTaskDefinition", register_task_definition_params(task.inputs, broken)
    )
    assert any("memoryReservationMiB" in p for p in problems)
    assert any("'http' is not one of tcp, udp" in p for p in problems)


def test_fargate_size_table_matches_what_the_program_refuses():
    from accessweaver_components.compute.fargate import FARGATE_SIZES, is_valid_size

    assert is_valid_size(256, 512) and is_valid_size(16384, 122880)
    assert not is_valid_size(256, 4096) and not is_valid_size(1024, 1024)
    assert max(FARGATE_SIZES[4096]) == 30720


@pytest.mark.parametrize("stack", STACKS)
def test_every_ecs_service_validates_against_create_service(plan, stack):
    from tools.aws_models import create_service_params

    result = plan(stack)
    cluster = result.outputs["cluster_name"]
    for service in result.of_type("aws:ecs/service:Service"):
        params = create_service_params(service.inputs, cluster)
        assert validate("ecs", "CreateService", params) == [], service.name


@pytest.mark.parametrize("stack", STACKS)
def test_every_scaling_policy_validates_against_put_scaling_policy(plan, stack):
    from tools.aws_models import put_scaling_policy_params

    policies = plan(stack).of_type("aws:appautoscaling/policy:Policy")
    assert policies
    for policy in policies:
        params = put_scaling_policy_params(policy.inputs)
        assert validate("application-autoscaling", "PutScalingPolicy", params) == [], policy.name


@pytest.mark.parametrize("stack", STACKS)
def test_alarms_logs_events_state_machines_and_log_configurations_validate(plan, stack):
    from tools.aws_models import RESOURCE_OPERATIONS

    result = plan(stack)
    seen = set()
    for type_, service, operation, params in RESOURCE_OPERATIONS:
        for resource in result.of_type(type_):
            assert validate(service, operation, params(resource.inputs)) == [], resource.name
            seen.add(type_)
    # WAF logging and access logs exist where the WAF does (not in dev), certificates where a
    # domain is given (prod), queues where a service consumes one (none in AccessWeaver) or a
    # task runs on a schedule (the database logins' weekly rotation: every stack); no
    # parameter (dev's generated values are the setup task's, not Pulumi's)
    expected = {t for t, *_ in RESOURCE_OPERATIONS} - {"aws:ssm/parameter:Parameter"}
    if stack == "dev":
        expected -= {"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
                     "aws:wafv2/webAcl:WebAcl", "aws:s3/bucketLogging:BucketLogging"}  # fmt: skip
    if stack != "prod":
        expected -= {"aws:acm/certificate:Certificate"}
    if stack == "dev":  # a serverless cache, no replication group (both have RBAC users)
        expected -= {"aws:elasticache/replicationGroup:ReplicationGroup"}
    else:
        expected -= {"aws:elasticache/serverlessCache:ServerlessCache"}
    assert seen == expected


def test_an_authentication_type_elasticache_does_not_know_is_refused():
    from tools.aws_models import create_user_params

    params = create_user_params({"userId": "u", "userName": "app", "engine": "valkey",
                                 "accessString": "on ~* +@all",
                                 "authenticationMode": {"type": "passwords"}})  # fmt: skip
    assert any("passwords" in p for p in validate("elasticache", "CreateUser", params))


def test_the_pattern_check_catches_a_name_aws_refuses():
    from tools.aws_models import put_rule_params

    params = put_rule_params({"name": "restart after rotation", "eventPattern": "{}"})
    assert any("does not match" in p for p in validate("events", "PutRule", params))


def test_ca_a2a_queues_validate_against_create_queue():
    from tests.conftest import CA_A2A, planned
    from tools.aws_models import create_queue_params

    result = planned(CA_A2A, "prod")
    queues = result.of_type("aws:sqs/queue:Queue")
    # the extraction queue and its dead-letter queue, the health probe's two, the rotation's two
    assert len(queues) == 6
    for queue in queues:
        assert validate("sqs", "CreateQueue", create_queue_params(queue.inputs)) == []


def test_the_model_check_rejects_a_web_acl_waf_would_refuse(plan):
    # GIVEN prod's web ACL (route labels, custom-key rate rules, label and regex matches),
    # WHEN a rule's window, a string match's constraint and a label's spelling are broken
    from tools.aws_models import create_web_acl_params

    (acl,) = plan("prod").of_type("aws:wafv2/webAcl:WebAcl")
    params = create_web_acl_params(acl.inputs)
    assert validate("wafv2", "CreateWebACL", params) == []
    rules = {rule["Name"]: rule for rule in params["Rules"]}
    rules["rate-aw-api-gateway"]["Statement"]["RateBasedStatement"]["Limit"] = 5
    route = rules["route-keycloak"]["Statement"]["OrStatement"]["Statements"][0]
    route["ByteMatchStatement"]["PositionalConstraint"] = "BEGINS_WITH"
    rules["route-keycloak"]["RuleLabels"][0]["Name"] = "route keycloak"
    problems = validate("wafv2", "CreateWebACL", params)
    # THEN botocore's wafv2 model names each
    assert any("Limit" in p and "5" in p for p in problems)
    assert any("'BEGINS_WITH' is not one of" in p for p in problems)
    assert any("'route keycloak' does not match" in p for p in problems)
