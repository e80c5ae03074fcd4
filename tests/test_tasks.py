"""Tasks, not only services (issue 18, part 5): a scheduled job and a migration the deploy waits
for, planned on the committed stacks with `accessweaver:tasks` added, and the migration's
provider run against a stub ECS client (the offline engine never calls a dynamic provider)."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from accessweaver_components.compute.migration import MigrationFailed, MigrationRunProvider
from accessweaver_components.compute.task_run import Clock
from accessweaver_components.compute.task_schedule import family_revisions_arn
from accessweaver_components.cost.estimate import runs_per_month
from tests.conftest import ROOT, container_definitions
from tests.resource_types import (
    ALARM,
    LOG_GROUP,
    QUEUE,
    ROLE,
    ROLE_POLICY,
    SERVICE,
    SG,
    SG_IN,
    SG_OUT,
    TASK,
)
from tools.aws_models import register_task_definition_params, validate
from tools.engine import PlanResult, RecordedResource, mock_state, run_program
from tools.policy_check import run_policies

ACCOUNT, REGION = "123456789012", "eu-west-1"
SCHEDULE = "aws:scheduler/schedule:Schedule"
GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
RUN = "pulumi-python:dynamic/accessweaver:MigrationRun"
REPOSITORY = "aws:ecr/repository:Repository"


def tasks_of(stack: str) -> dict[str, Any]:
    size = {"cpu": 512, "memory": 1024}
    return {
        "db-migrate": {
            "description": "Flyway migrations of the tenant schema",
            "imageOf": "aw-tenant-service",
            "command": ["java", "-jar", "app.jar", "--spring.batch.job.name=migrate"],
            "runBeforeDeploy": True,
            "timeoutMinutes": 20,
            "uses": {"database": True},
            "sizes": {stack: size},
        },
        "nightly-report": {
            "schedule": {
                "expression": "cron(0 3 * * ? *)",
                "timezone": "Europe/Paris",
                "retries": 2,
                "maximumEventAgeSeconds": 1800,
            },
            "uses": {"database": True, "documents": "read"},
            "calls": ["aw-pdp-service"],
            "sizes": {stack: size},
        },
    }


@functools.cache
def planned(stack: str) -> PlanResult:
    return run_program(
        ROOT, stack, config_override={"accessweaver:tasks": json.dumps(tasks_of(stack))}
    )


def prod() -> PlanResult:
    return planned("prod")


def by_name(result: PlanResult, type_: str, name: str) -> dict[str, Any]:
    return result.one(type_, name).inputs


def document(inputs: dict[str, Any], key: str) -> dict[str, Any]:
    return json.loads(inputs[key])


def statements(inputs: dict[str, Any], key: str = "policy") -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document(inputs, key)["Statement"]}


def task_group_id(result: PlanResult, task: str) -> str:
    """The id the engine gives the task's security group."""
    return mock_state(SG, f"{task}-sg", by_name(result, SG, f"{task}-sg"), REGION)[0]


def role_arn(result: PlanResult, name: str) -> str:
    return mock_state(ROLE, name, by_name(result, ROLE, name), REGION)[1]["arn"]


FAMILY = "accessweaver-prod-nightly-report"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/accessweaver-prod-cluster"
TASK_DEFINITION_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{FAMILY}:1"


# -- the schedule -------------------------------------------------------------------------------


def test_a_scheduled_task_runs_from_a_schedule_group_of_its_own_in_its_time_zone():
    result = prod()
    schedule = by_name(result, SCHEDULE, "nightly-report-schedule")
    assert by_name(result, GROUP, "nightly-report-schedule-group")["name"] == FAMILY
    assert schedule["name"] == FAMILY and schedule["groupName"] == FAMILY
    assert schedule["scheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["scheduleExpressionTimezone"] == "Europe/Paris"
    assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
    target = schedule["target"]
    assert target["arn"] == CLUSTER_ARN
    assert target["roleArn"] == role_arn(result, "nightly-report-scheduler-role")
    assert target["retryPolicy"] == {"maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 1800}
    dead = result.one(QUEUE, "nightly-report-dlq")
    assert target["deadLetterConfig"] == {
        "arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{dead.inputs['name']}"
    }
    ecs = target["ecsParameters"]
    assert ecs["taskDefinitionArn"] == TASK_DEFINITION_ARN
    assert ecs["launchType"] == "FARGATE" and ecs["taskCount"] == 1
    assert ecs["propagateTags"] == "TASK_DEFINITION" and ecs["enableEcsManagedTags"] is True
    network = ecs["networkConfiguration"]
    assert network["securityGroups"] == [task_group_id(result, "nightly-report")]
    assert network["assignPublicIp"] is False
    assert network["subnets"] == result.outputs["tasks"]["nightly-report"]["subnets"]
    assert len(network["subnets"]) >= 2 and all(s.startswith("subnet-") for s in network["subnets"])


def test_the_schedule_validates_against_create_schedule():
    inputs = by_name(prod(), SCHEDULE, "nightly-report-schedule")
    target, ecs = inputs["target"], inputs["target"]["ecsParameters"]
    params = {
        "Name": inputs["name"],
        "GroupName": inputs["groupName"],
        "ScheduleExpression": inputs["scheduleExpression"],
        "ScheduleExpressionTimezone": inputs["scheduleExpressionTimezone"],
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {
            "Arn": target["arn"],
            "RoleArn": target["roleArn"],
            "DeadLetterConfig": {"Arn": target["deadLetterConfig"]["arn"]},
            "RetryPolicy": {
                "MaximumEventAgeInSeconds": int(target["retryPolicy"]["maximumEventAgeInSeconds"]),
                "MaximumRetryAttempts": int(target["retryPolicy"]["maximumRetryAttempts"]),
            },
            "EcsParameters": {
                "TaskDefinitionArn": ecs["taskDefinitionArn"],
                "TaskCount": int(ecs["taskCount"]),
                "LaunchType": ecs["launchType"],
                "PropagateTags": ecs["propagateTags"],
                "EnableECSManagedTags": ecs["enableEcsManagedTags"],
                "NetworkConfiguration": {
                    "awsvpcConfiguration": {
                        "Subnets": ecs["networkConfiguration"]["subnets"],
                        "SecurityGroups": ecs["networkConfiguration"]["securityGroups"],
                        "AssignPublicIp": "DISABLED",
                    }
                },
            },
        },
    }
    assert validate("scheduler", "CreateSchedule", params) == []


def test_only_scheduler_may_assume_the_schedule_role_for_schedules_of_its_group():
    result = prod()
    role = by_name(result, ROLE, "nightly-report-scheduler-role")
    (trust,) = document(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {
            "aws:SourceAccount": ACCOUNT,
            "aws:SourceArn": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{FAMILY}",
        }
    }
    assert role["path"] == "/accessweaver/prod/"
    assert role["permissionsBoundary"].endswith(
        ":policy/accessweaver/prod/accessweaver-prod-boundary"
    )


def test_the_schedule_role_may_run_this_task_on_this_cluster_and_nothing_else():
    result = prod()
    granted = statements(by_name(result, ROLE_POLICY, "nightly-report-scheduler-policy"))
    assert set(granted) == {"RunThisTaskOnThisCluster", "PassThisTasksRoles",
                            "TagTheTasksItStarts", "DeadLetters"}  # fmt: skip
    run = granted["RunThisTaskOnThisCluster"]
    assert run["Action"] == "ecs:RunTask"
    assert run["Resource"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{FAMILY}:*"
    assert run["Condition"] == {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}
    passing = granted["PassThisTasksRoles"]
    assert passing["Action"] == "iam:PassRole"
    assert passing["Resource"] == [
        role_arn(result, "nightly-report-exec-role"),
        role_arn(result, "nightly-report-task-role"),
    ]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
    tagging = granted["TagTheTasksItStarts"]
    assert tagging["Action"] == "ecs:TagResource"
    assert tagging["Resource"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/accessweaver-prod-cluster/*"
    assert tagging["Condition"] == {"StringEquals": {"ecs:CreateAction": "RunTask"}}
    dead = granted["DeadLetters"]
    assert dead["Action"] == "sqs:SendMessage"
    assert dead["Resource"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FAMILY}-dlq"
    # nothing is granted on every resource
    assert all(s["Resource"] != "*" for s in granted.values())


def test_failed_invocations_wait_in_an_encrypted_tls_only_queue_that_alarms():
    result = prod()
    dead = by_name(result, QUEUE, "nightly-report-dlq")
    assert dead["name"] == f"{FAMILY}-dlq"
    assert dead["sqsManagedSseEnabled"] is True
    assert dead["messageRetentionSeconds"] == 14 * 24 * 3600
    (deny,) = document(by_name(result, QUEUE_POLICY, "nightly-report-dlq-policy"), "policy")[
        "Statement"
    ]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alarm = by_name(result, ALARM, "nightly-report-dlq-alarm")
    assert alarm["name"] == f"{FAMILY}-dead-letters"
    assert alarm["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["dimensions"] == {"QueueName": f"{FAMILY}-dlq"}
    assert alarm["alarmActions"] == [result.outputs["alarm_topic_arn"]]


def test_a_run_that_exits_non_zero_or_does_not_start_is_caught_and_alarms():
    result = prod()
    rule = by_name(result, RULE, "nightly-report-failure-rule")
    assert rule["name"] == f"{FAMILY}-failed"
    pattern = json.loads(rule["eventPattern"])
    assert pattern["source"] == ["aws.ecs"]
    assert pattern["detail-type"] == ["ECS Task State Change"]
    detail = pattern["detail"]
    assert detail["clusterArn"] == [CLUSTER_ARN]
    assert detail["group"] == [f"family:{FAMILY}"]
    assert detail["lastStatus"] == ["STOPPED"]
    assert detail["$or"] == [
        {"stopCode": ["TaskFailedToStart"]},
        {"containers": {"exitCode": [{"anything-but": 0}]}},
    ]
    failures_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FAMILY}-failures"
    assert by_name(result, TARGET, "nightly-report-failure-target")["arn"] == failures_arn
    policy = document(by_name(result, QUEUE_POLICY, "nightly-report-failures-policy"), "policy")
    delivery = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert delivery["Principal"] == {"Service": "events.amazonaws.com"}
    assert delivery["Action"] == "sqs:SendMessage" and delivery["Resource"] == failures_arn
    assert delivery["Condition"] == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{FAMILY}-failed"}
    }
    alarm = by_name(result, ALARM, "nightly-report-failure-alarm")
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Events", "Invocations")
    assert alarm["dimensions"] == {"RuleName": f"{FAMILY}-failed"}
    assert alarm["statistic"] == "Sum" and alarm["threshold"] == 1
    assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["alarmActions"] == [result.outputs["alarm_topic_arn"]]


def test_a_migration_has_no_schedule_and_no_failure_rule():
    result = prod()
    names = {r.name for r in result.resources}
    assert "db-migrate-schedule" not in names and "db-migrate-failure-rule" not in names
    assert sorted(r.name for r in result.of_type(SCHEDULE)) == [
        "health-probe-schedule",  # prod's health probe
        "nightly-report-schedule",
        "platform-rotate-schedule",  # the database logins' weekly rotation
    ]


# -- what each task is ---------------------------------------------------------------------------


def test_each_task_logs_to_its_own_group_from_a_hardened_container_without_health_check():
    result = prod()
    for name in ("db-migrate", "nightly-report"):
        group = by_name(result, LOG_GROUP, f"{name}-logs")
        assert group["name"] == f"/ecs/accessweaver-prod/{name}"
        assert group["retentionInDays"] == 30
        task = result.one(TASK, f"{name}-task")
        assert task.inputs["family"] == f"accessweaver-prod-{name}"
        (container,) = container_definitions(task)
        assert container["name"] == name and container["essential"] is True
        assert container["readonlyRootFilesystem"] is True
        assert container["user"] == "1000" and container["privileged"] is False
        assert {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False} in container[
            "mountPoints"
        ]
        assert container["logConfiguration"]["options"]["awslogs-group"] == group["name"]
        assert "healthCheck" not in container and "portMappings" in container
        assert container["portMappings"] == []
        params = register_task_definition_params(task.inputs, [container])
        assert validate("ecs", "RegisterTaskDefinition", params) == [], name


def test_a_migration_runs_its_services_image_with_its_own_command_and_the_database():
    result = prod()
    (container,) = container_definitions(result.one(TASK, "db-migrate-task"))
    tenant = result.outputs["cicd_deployment_config"]["services"]["aw-tenant-service"]
    assert container["image"] == tenant["image"]
    assert container["command"] == ["java", "-jar", "app.jar", "--spring.batch.job.name=migrate"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["DATABASE_URL"].startswith("jdbc:postgresql://")  # a Spring image
    assert environment["SPRING_PROFILES_ACTIVE"] == "prod"
    # the login's password under both names: DATABASE_PASSWORD and Spring's own
    assert [s["name"] for s in container["secrets"]] == [
        "DATABASE_PASSWORD",
        "SPRING_DATASOURCE_PASSWORD",
    ]
    assert not any(k.startswith(("REDIS", "DOCUMENTS", "JWT", "AW_")) for k in environment)


def test_a_task_gets_a_repository_of_its_own_and_runs_the_releases_digest():
    result = prod()
    repositories = {r.inputs["name"] for r in result.of_type(REPOSITORY)}
    assert "accessweaver-prod/nightly-report" in repositories
    assert "accessweaver-prod/db-migrate" not in repositories  # it runs the tenant image
    repo = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/accessweaver-prod/nightly-report"
    (container,) = container_definitions(result.one(TASK, "nightly-report-task"))
    release = result.outputs["release"]
    assert container["image"] == release["images"]["nightly-report"]
    assert container["image"].startswith(f"{repo}@sha256:")  # the recorded digest
    assert "nightly-report" not in release["unreleased"]
    pull = statements(by_name(result, ROLE_POLICY, "nightly-report-exec-policy"))["EcrPull"]
    assert (
        pull["Resource"]
        == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/accessweaver-prod/nightly-report"
    )
    config = result.outputs["cicd_deployment_config"]
    # CI builds, promotes and records it with the services' images
    built = config["images"]["nightly-report"]
    assert built["repository"] == repo
    assert built["promote_from"].endswith("/accessweaver-staging/nightly-report")
    assert "db-migrate" not in config["images"]
    cicd = config["tasks"]
    assert cicd["nightly-report"]["image_repository"] == repo
    assert cicd["nightly-report"]["builds_own_image"] is True
    assert cicd["db-migrate"]["builds_own_image"] is False
    assert (cicd["db-migrate"]["kind"], cicd["nightly-report"]["kind"]) == (
        "migration",
        "scheduled",
    )


def test_a_task_role_holds_what_its_uses_give_and_nothing_else():
    result = prod()
    granted = document(by_name(result, ROLE_POLICY, "nightly-report-task-policy"), "policy")
    actions = sorted(a for s in granted["Statement"] for a in s["Action"])
    assert all(a.startswith(("s3:Get", "s3:List", "kms:Decrypt")) for a in actions), actions
    assert not any(a.startswith(("xray:", "ssmmessages:", "cloudwatch:")) for a in actions)
    names = {r.name for r in result.of_type(ROLE_POLICY)}
    assert "db-migrate-task-policy" not in names  # the database needs no IAM statement


# -- the network: outbound only -----------------------------------------------------------------


def rules_of(result: PlanResult, type_: str, prop: str, group: str) -> list[RecordedResource]:
    """The rules of `type_` whose input `prop` comes from the security group `group`."""
    return [r for r in result.of_type(type_) if group in r.property_dependencies.get(prop, ())]


def test_nothing_may_connect_to_a_task_and_it_reaches_only_what_it_uses_and_calls():
    result = prod()
    for task, peers in (
        ("db-migrate", {("postgres", 5433)}),
        ("nightly-report", {("postgres", 5433), ("aw-pdp-service", 8081)}),
    ):
        group = result.one(SG, f"{task}-sg").key
        assert rules_of(result, SG_IN, "securityGroupId", group) == [], task
        out = rules_of(result, SG_OUT, "securityGroupId", group)
        internet = [
            (r.inputs["cidrIpv4"], r.inputs["fromPort"]) for r in out if "cidrIpv4" in r.inputs
        ]
        assert internet == [("0.0.0.0/0", 443)]
        reached = {
            (r.name.removeprefix(f"{task}-to-").rsplit("-", 1)[0], int(r.inputs["fromPort"]))
            for r in out
            if "cidrIpv4" not in r.inputs
        }
        assert reached == peers, task
        # each egress has its ingress on the peer's group, referencing the task's group
        admitted = {
            (r.name.split("-from-")[0], int(r.inputs["fromPort"]))
            for r in rules_of(result, SG_IN, "referencedSecurityGroupId", group)
        }
        assert admitted == peers, task


def test_the_quotas_count_the_rules_a_task_adds():
    from accessweaver_components.stack import settings_from_mapping
    from accessweaver_components.stack.graph import task_group, task_paths
    from accessweaver_components.stack.quotas import rules_per_group

    result = prod()
    raw = {
        k.removeprefix("accessweaver:"): _decode(v)
        for k, v in result.config.items()
        if k.startswith("accessweaver:")
    }
    settings = settings_from_mapping(
        raw, namespace="accessweaver", stack_file="x", region=REGION, account_id="0" * 12
    )
    paths = task_paths(settings.tasks, settings.services, settings.graph_pieces)
    counted = rules_per_group(paths, alb_internet_ports=0, endpoint_groups=False)
    for task in ("db-migrate", "nightly-report"):
        registered = rules_of(result, SG_OUT, "securityGroupId", result.one(SG, f"{task}-sg").key)
        assert counted[task_group(task)].outbound == len(registered) >= 2
        assert counted[task_group(task)].inbound == 0


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


# -- the deploy waits for the migration ----------------------------------------------------------


def test_every_service_keycloak_included_waits_for_the_setup_and_the_migration_run():
    result = prod()
    setup, run = result.one(RUN, "platform-setup-run"), result.one(RUN, "db-migrate-run")
    assert len(result.of_type(RUN)) == 2
    services = result.of_type(SERVICE)
    assert {s.name for s in services} >= {"keycloak-service", "aw-pdp-service-service"}
    for service in services:
        assert {run.key, setup.key} <= set(service.depends_on), service.name
    # the migration runs with the login the setup created
    assert setup.key in run.depends_on


def test_the_migration_run_names_what_it_runs_and_waits_for_its_rules_and_roles():
    result = prod()
    run = result.one(RUN, "db-migrate-run")
    inputs = run.inputs
    assert inputs["cluster"] == CLUSTER_ARN
    assert inputs["task_definition_arn"].endswith(":task-definition/accessweaver-prod-db-migrate:1")
    assert inputs["container_name"] == "db-migrate"
    assert inputs["security_groups"] == [task_group_id(result, "db-migrate")]
    assert inputs["subnets"] == result.outputs["tasks"]["db-migrate"]["subnets"]
    assert inputs["timeout_seconds"] == 20 * 60 and inputs["region"] == REGION
    assert inputs["log_group"] == "/ecs/accessweaver-prod/db-migrate"
    # the serialized provider is code (a class reference), never a secret of the state
    assert inputs["__provider"] != "[secret]"
    import base64
    import pickle

    assert pickle.loads(base64.b64decode(inputs["__provider"])).__class__.__name__ == (
        "MigrationRunProvider"
    )
    for needed in (
        f"{SG_OUT}::db-migrate-to-postgres-5433",
        f"{SG_IN}::postgres-from-db-migrate-5433",
        f"{ROLE_POLICY}::db-migrate-exec-policy",
        f"{LOG_GROUP}::db-migrate-logs",
    ):
        assert needed in run.depends_on, needed


def test_the_tasks_output_names_what_a_one_off_run_needs():
    result = prod()
    tasks = result.outputs["tasks"]
    report = tasks["nightly-report"]
    assert report["family"] == FAMILY
    assert report["task_definition_arn"] == TASK_DEFINITION_ARN
    assert report["cluster"] == "accessweaver-prod-cluster"
    assert report["security_group"] == task_group_id(result, "nightly-report")
    assert report["container_name"] == "nightly-report"
    assert report["log_group"] == "/ecs/accessweaver-prod/nightly-report"
    assert report["log_stream_prefix"] == "ecs"
    assert report["schedule"]["expression"] == "cron(0 3 * * ? *)"
    assert report["schedule"]["timezone"] == "Europe/Paris"
    assert tasks["db-migrate"]["schedule"] is None and tasks["db-migrate"]["run_before_deploy"]


def test_dev_tasks_run_in_the_public_subnets_with_their_own_address_like_its_services():
    result = planned("dev")
    report = result.outputs["tasks"]["nightly-report"]
    assert report["assign_public_ip"] is True
    network = by_name(result, SCHEDULE, "nightly-report-schedule")["target"]["ecsParameters"][
        "networkConfiguration"
    ]
    assert network["assignPublicIp"] is True and network["subnets"] == report["subnets"]
    service = result.one(SERVICE, "aw-pdp-service-service")
    assert network["subnets"] == service.inputs["networkConfiguration"]["subnets"]


# -- the checks around them ----------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_policy_pack_accepts_the_tasks_it_builds(stack):
    report = run_policies(planned(stack))
    mandatory = [v for v in report.violations if v["enforcement"] == "mandatory"]
    assert mandatory == []
    assert not [v for v in report.violations if v["control"].startswith(("LP.", "REL.5"))]


def _with(result: PlanResult, *extra: RecordedResource) -> PlanResult:
    import dataclasses

    return dataclasses.replace(result, resources=[*result.resources, *extra])


def test_an_ingress_rule_on_a_task_group_is_a_violation():
    result = prod()
    task_sg = result.one(SG, "nightly-report-sg")
    pdp_sg = result.one(SG, "aw-pdp-service-sg")
    opened = RecordedResource(
        type=SG_IN,
        name="nightly-report-from-pdp-8080",
        parent=None,
        custom=True,
        inputs={"ipProtocol": "tcp", "fromPort": 8080, "toPort": 8080},
        property_dependencies={
            "securityGroupId": (task_sg.key,),
            "referencedSecurityGroupId": (pdp_sg.key,),
        },
    )
    found = [v for v in run_policies(_with(result, opened)).violations if v["control"] == "LP.1*"]
    assert [v["resource"] for v in found] == ["nightly-report-from-pdp-8080"]
    assert "nothing connects to a task" in found[0]["message"]


def test_a_write_permission_on_a_read_only_task_role_is_a_violation():
    import dataclasses

    result = prod()
    key = f"{ROLE_POLICY}::nightly-report-task-policy"
    policy = document(result.one(ROLE_POLICY, "nightly-report-task-policy").inputs, "policy")
    policy["Statement"].append(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::x/*"}
    )
    broken = dataclasses.replace(
        result,
        resources=[
            dataclasses.replace(r, inputs={**r.inputs, "policy": json.dumps(policy)})
            if r.key == key
            else r
            for r in result.resources
        ],
    )
    found = [v for v in run_policies(broken).violations if v["control"] == "LP.2*"]
    assert len(found) == 1 and "read-only" in found[0]["message"]


def test_scheduled_runs_are_priced_from_the_expression():
    estimate = prod().outputs["estimated_monthly_cost"]
    runs = runs_per_month("cron(0 3 * * ? *)")
    assert runs == pytest.approx(730 / 24)
    # 0.5 vCPU and 1 GB on ARM64 (prod's) for 10 minutes a run, on-demand; beside it, prod's
    # health probe: every 15 minutes, 0.25 vCPU and 0.5 GB for the one-minute minimum
    expected = runs * 10 / 60 * (0.5 * 0.03238 + 1 * 0.00356)
    probe = runs_per_month("rate(15 minutes)") * 1 / 60 * (0.25 * 0.03238 + 0.5 * 0.00356)
    assert runs_per_month("rate(15 minutes)") == pytest.approx(730 * 4)
    assert estimate["line_items_usd"]["scheduled_tasks"] == pytest.approx(
        expected + probe, abs=0.01
    )
    detail = estimate["line_item_details"]["scheduled_tasks"]
    assert "nightly-report 30.4 runs x 10 min" in detail
    assert "health-probe 2,920.0 runs x 1 min" in detail


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(1 day)", 730 / 24),
        ("rate(15 minutes)", 730 * 4),
        ("cron(0 3 ? * MON-FRI *)", 5 * 730 / 24 / 7),
        ("cron(0/30 8-17 ? * MON,WED *)", 2 * 10 * 2 * 730 / 24 / 7),
        ("cron(0 2 1 * ? *)", 730 / 24 / 31),
        ("at(2030-01-01T00:00:00)", 1),
    ],
)
def test_runs_per_month_follow_the_expression(expression, runs):
    assert runs_per_month(expression) == pytest.approx(runs)


def test_family_revisions_cover_every_revision_of_the_family():
    assert family_revisions_arn(TASK_DEFINITION_ARN) == TASK_DEFINITION_ARN[:-1] + "*"


# -- the migration's provider, against a stub ECS client -----------------------------------------


class StubEcs:
    """RunTask, DescribeTasks and StopTask as ECS answers them, scripted per test."""

    def __init__(self, statuses: list[dict[str, Any]] | None = None, failures=None):
        self.statuses = list(statuses or [])
        self.failures = failures
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def run_task(self, **params):
        self.calls.append(("RunTask", params))
        if self.failures is not None:
            return {"tasks": [], "failures": self.failures}
        return {"tasks": [{"taskArn": TASK_ARN, "lastStatus": "PROVISIONING"}], "failures": []}

    def describe_tasks(self, **params):
        self.calls.append(("DescribeTasks", params))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"tasks": [{"taskArn": TASK_ARN, **status}]}

    def stop_task(self, **params):
        self.calls.append(("StopTask", params))
        return {"task": {"taskArn": TASK_ARN}}


TASK_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/accessweaver-prod-cluster/0123456789abcdef"
PROPS = {
    "cluster": CLUSTER_ARN,
    "task_definition_arn": TASK_DEFINITION_ARN.replace(FAMILY, "accessweaver-prod-db-migrate")[:-1]
    + "7",
    "container_name": "db-migrate",
    "subnets": ["subnet-a", "subnet-b"],
    "security_groups": ["sg-task"],
    "assign_public_ip": False,
    "region": REGION,
    "log_group": "/ecs/accessweaver-prod/db-migrate",
    "timeout_seconds": 60,
    "task_arn": None,
    "exit_code": None,
    "log_stream": None,
    "__provider": "serialized",
}


def stopped(exit_code: int | None = 0, **task: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "db-migrate"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    return {"lastStatus": "STOPPED", "containers": [container], **task}


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def provider(ecs: StubEcs) -> MigrationRunProvider:
    time = FakeTime()
    made = MigrationRunProvider()
    made.make_client = lambda region: ecs if region == REGION else None  # type: ignore[method-assign]
    made.clock = Clock(sleep=time.sleep, now=lambda: time.now)
    made.poll_seconds = 10
    return made


def test_create_runs_the_task_in_the_stacks_network_and_succeeds_on_exit_0():
    ecs = StubEcs([{"lastStatus": "RUNNING", "containers": []}, stopped(0)])
    result = provider(ecs).create(dict(PROPS))
    assert result.id == TASK_ARN
    assert result.outs["exit_code"] == 0
    assert result.outs["log_stream"] == "ecs/db-migrate/0123456789abcdef"
    (name, run), *rest = ecs.calls
    assert name == "RunTask"
    assert run["cluster"] == CLUSTER_ARN and run["taskDefinition"] == PROPS["task_definition_arn"]
    assert run["launchType"] == "FARGATE" and run["count"] == 1
    assert run["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-task"],
            "assignPublicIp": "DISABLED",
        }
    }
    assert [n for n, _ in rest] == ["DescribeTasks", "DescribeTasks"]
    assert validate("ecs", "RunTask", run) == []


def test_a_non_zero_exit_fails_the_update_with_its_code_reason_and_log_stream():
    ecs = StubEcs([stopped(3, stoppedReason="Essential container in task exited")])
    with pytest.raises(MigrationFailed) as failed:
        provider(ecs).create(dict(PROPS))
    message = str(failed.value)
    assert "accessweaver-prod-db-migrate:7" in message
    assert "exited 3 (Essential container in task exited)" in message
    assert (
        "logs: group /ecs/accessweaver-prod/db-migrate, stream ecs/db-migrate/0123456789abcdef"
        in message
    )
    assert "No service of the stack was updated" in message


def test_a_task_that_fails_to_start_fails_the_update_with_ecss_reason():
    ecs = StubEcs(
        [
            stopped(
                None,
                stopCode="TaskFailedToStart",
                stoppedReason="ResourceInitializationError: unable to pull secrets",
            )
        ]
    )
    with pytest.raises(MigrationFailed) as failed:
        provider(ecs).create(dict(PROPS))
    assert "never exited (TaskFailedToStart)" in str(failed.value)
    assert "unable to pull secrets" in str(failed.value)


def test_a_task_ecs_cannot_place_fails_the_update():
    ecs = StubEcs(failures=[{"arn": CLUSTER_ARN, "reason": "MISSING", "detail": "no capacity"}])
    with pytest.raises(MigrationFailed) as failed:
        provider(ecs).create(dict(PROPS))
    assert "ECS started no task" in str(failed.value) and "MISSING (no capacity)" in str(
        failed.value
    )
    assert [n for n, _ in ecs.calls] == ["RunTask"]


def test_a_run_past_its_timeout_is_stopped_and_fails_the_update():
    ecs = StubEcs([{"lastStatus": "RUNNING", "containers": [{"name": "db-migrate"}]}])
    with pytest.raises(MigrationFailed) as failed:
        provider(ecs).create(dict(PROPS))
    assert "still running after 60 s: stopped" in str(failed.value)
    names = [n for n, _ in ecs.calls]
    assert names[0] == "RunTask" and names[-1] == "StopTask"
    assert names.count("DescribeTasks") == 7  # at 0, 10, ..., 60 s
    assert ecs.calls[-1][1]["task"] == TASK_ARN


def test_update_runs_again_only_for_a_new_task_definition():
    olds = {**PROPS, "task_arn": TASK_ARN, "exit_code": 0, "log_stream": "ecs/db-migrate/old"}
    same = StubEcs([stopped(0)])
    kept = provider(same).update(TASK_ARN, olds, {**PROPS, "timeout_seconds": 120})
    assert same.calls == []
    assert kept.outs["log_stream"] == "ecs/db-migrate/old" and kept.outs["timeout_seconds"] == 120
    newer = {**PROPS, "task_definition_arn": PROPS["task_definition_arn"][:-1] + "8"}
    ecs = StubEcs([stopped(0)])
    ran = provider(ecs).update(TASK_ARN, olds, newer)
    assert ecs.calls[0][1]["taskDefinition"].endswith(":8")
    assert ran.outs["exit_code"] == 0


def test_diff_read_and_check_never_call_aws():
    made = MigrationRunProvider()

    def no_client(region):
        raise AssertionError("a preview, a refresh or a check called AWS")

    made.make_client = no_client  # type: ignore[method-assign]
    olds = {**PROPS, "task_arn": TASK_ARN, "exit_code": 0, "log_stream": "s"}
    assert made.diff(TASK_ARN, olds, dict(PROPS)).changes is False  # outputs are not inputs
    newer = made.diff(TASK_ARN, olds, {**PROPS, "task_definition_arn": "arn:new:8"})
    assert newer.changes is True and newer.replaces == []
    unknown = made.diff(TASK_ARN, olds, {**PROPS, "task_definition_arn": "04da6b54-80e4-46f7"})
    assert unknown.changes is True
    assert made.read(TASK_ARN, olds).outs == olds
    assert made.check({}, {**PROPS, "cluster": None}).failures[0].property == "cluster"
    assert made.check({}, {**PROPS, "timeout_seconds": 0}).failures[0].property == "timeout_seconds"
    made.delete(TASK_ARN, olds)


def test_every_policy_document_of_the_tasks_passes_parliament():
    from tests.test_iam_parliament import findings, policy_documents

    result = prod()
    documents = [
        (resource, path, text)
        for resource in result.resources
        if resource.name.startswith(("nightly-report", "db-migrate"))
        for path, text in policy_documents(resource)
    ]
    assert len(documents) >= 8  # 5 roles' trust, 4 role policies, 2 queue policies
    found = [
        (resource.name, path, issue, detail)
        for resource, path, text in documents
        for issue, detail in findings(resource, path, text)
    ]
    assert found == []


def test_the_bootstraps_boundary_leaves_the_schedule_role_its_pass_role():
    """Every role carries the bootstrap's boundary, whose ceiling leaves out IAM: without its
    own statement for it, the schedule could not pass the task's roles (RunTask would fail)."""
    import fnmatch

    from accessweaver_components.bootstrap.boundary import boundary_policy

    result = prod()
    boundary = boundary_policy(
        secrets_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k",
        project="accessweaver",
        environment="prod",
    )
    allows = [s for s in boundary["Statement"] if s["Effect"] == "Allow"]
    (passing,) = [s for s in allows if s.get("Action") == "iam:PassRole"]
    granted = statements(by_name(result, ROLE_POLICY, "nightly-report-scheduler-policy"))
    needed = granted["PassThisTasksRoles"]
    assert all(fnmatch.fnmatchcase(arn, passing["Resource"]) for arn in needed["Resource"])
    # the schedule's condition, and the boundary's tag, which the task's roles carry
    assert (
        needed["Condition"]["StringEquals"].items() <= passing["Condition"]["StringEquals"].items()
    )
    assert passing["Condition"]["StringEquals"]["aws:ResourceTag/PermissionsBoundary"] == (
        "accessweaver-prod-boundary"
    )
    # ... and nothing else the tasks' roles are given is IAM
    actions = {
        action
        for policy in result.of_type(ROLE_POLICY)
        if policy.name.startswith(("nightly-report", "db-migrate"))
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert {a for a in actions if a.startswith("iam:")} == {"iam:PassRole"}


# -- EcsTask in a program of one's own ----------------------------------------------------------


def _cluster_and(task_args: dict[str, Any]):
    def program() -> None:
        from accessweaver_components.compute.cluster import EcsCluster, EcsClusterArgs
        from accessweaver_components.compute.containers import ContainerArgs
        from accessweaver_components.compute.task import EcsTask, EcsTaskArgs

        cluster = EcsCluster("shop", EcsClusterArgs(cluster_name="shop-dev"))
        args: dict[str, Any] = {
            "cluster": cluster.ref,
            "vpc_id": "vpc-0a1b2c3d4e5f60718",
            "subnet_ids": ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"],
            "container": ContainerArgs(
                image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shop/job:1"
            ),
            **task_args,
        }
        EcsTask("job", EcsTaskArgs(**args))

    return program


def test_an_ecs_task_plans_in_a_program_of_ones_own():
    from accessweaver_components.compute.task import TaskScheduleArgs
    from tools.engine import run_function

    result = run_function(_cluster_and({"schedule": TaskScheduleArgs("rate(1 hour)")}))
    schedule = result.one(SCHEDULE, "job-schedule").inputs
    # Physical names default to <project>-<stack>-<name> (components/naming.py).
    assert schedule["scheduleExpressionTimezone"] == "UTC" and schedule["name"] == "app-dev-job"
    role = result.one(ROLE, "job-scheduler-role").inputs
    assert role["path"] == "/" and "permissionsBoundary" not in role  # no stack tags, none given
    assert result.one(LOG_GROUP, "job-logs").inputs["name"] == "/ecs/app-dev-job"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"container_port": 8080}, "a task has no port"),
        ({"both": True}, "a task runs on a schedule or before a deploy, not both"),
        ({"schedule": "weekly"}, r"is not cron\(\), rate\(\) or at\(\)"),
        ({"migration_timeout": 0}, "migration timeout_seconds must be more than 0"),
    ],
)
def test_an_ecs_task_refuses_bad_arguments_before_registering_anything(changes, problem):
    from accessweaver_components.compute.containers import ContainerArgs
    from accessweaver_components.compute.task import MigrationArgs, TaskScheduleArgs
    from tools.engine import run_function

    task_args: dict[str, Any] = {}
    if "container_port" in changes:
        image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shop/job:1"
        task_args["container"] = ContainerArgs(image=image, port=changes["container_port"])
    if "both" in changes:
        task_args |= {"schedule": TaskScheduleArgs("rate(1 day)"), "migration": MigrationArgs()}
    if "schedule" in changes:
        task_args["schedule"] = TaskScheduleArgs(changes["schedule"])
    if "migration_timeout" in changes:
        task_args["migration"] = MigrationArgs(timeout_seconds=changes["migration_timeout"])
    with pytest.raises(ValueError, match=problem) as raised:
        run_function(_cluster_and(task_args))
    recorded = getattr(raised.value, "recorded", [])
    assert not [r for r in recorded if r.name.startswith("job")]
