"""The pure parts of `EcsTask` and `RotationRestart` (issue 22, part 4): a task's argument
checks as named steps, and which secrets a rotation restart watches, without the engine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accessweaver_components.compute.cluster import ClusterRef
from accessweaver_components.compute.containers import ContainerArgs, RegistryCredentials
from accessweaver_components.compute.rotation_restart import (
    RestartOn,
    RotationRestartArgs,
    start_execution_policy,
    watched_secrets,
)
from accessweaver_components.compute.task import (
    EcsTaskArgs,
    MigrationArgs,
    TaskScheduleArgs,
    run_mode_issues,
    task_argument_issues,
)

TASK = EcsTaskArgs(
    cluster=ClusterRef("arn:aws:ecs:eu-west-1:123456789012:cluster/platform", "platform"),
    vpc_id="vpc-0a1b2c3d4e5f60718",
    subnet_ids=["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"],
    container=ContainerArgs(image="ghcr.io/acme/job:1"),
)
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-app-AbCdEf"
SERVICE = "arn:aws:ecs:eu-west-1:123456789012:service/platform/api"


def test_a_valid_task_has_no_issue():
    assert task_argument_issues(TASK, "shop-prod-job", "eu-west-1") == []


def test_task_issues_come_in_order_each_at_its_argument():
    broken = replace(
        TASK,
        container=ContainerArgs(
            image="ghcr.io/acme/job:1",
            port=8080,
            repository_credentials=RegistryCredentials(secret_arn="nope"),
        ),
        schedule=TaskScheduleArgs(expression="every day"),
        migration=MigrationArgs(timeout_seconds=0),
        ephemeral_storage_gib=500,
    )
    issues = task_argument_issues(broken, "j" * 60, None)
    assert [issue.path for issue in issues] == [
        "region",
        "container.port",
        "migration",
        "schedule",
        "family",
        "migration.timeout_seconds",
        "ephemeral_storage_gib",
        "container.repository_credentials",
    ]


def test_a_schedule_with_a_short_family_and_a_migration_alone_are_accepted():
    scheduled = replace(TASK, schedule=TaskScheduleArgs(expression="cron(0 3 * * ? *)"))
    assert run_mode_issues(scheduled, "shop-prod-nightly") == []
    assert run_mode_issues(replace(TASK, migration=MigrationArgs()), "x" * 80) == []
    (issue,) = run_mode_issues(scheduled, "x" * 58)
    assert (issue.path, issue.allowed) == ("family", "at most 57 characters")


def test_watched_secrets_put_the_single_secret_first_and_refuse_one_without_services():
    other = RestartOn("arn:aws:ssm:eu-west-1:123456789012:parameter/x", {"w": SERVICE})
    args = RotationRestartArgs(
        name="shop-prod-restart", secret_arn=SECRET, services={"api": SERVICE}, secrets=[other]
    )
    watched = watched_secrets("restart", args)
    assert [item.secret_arn for item in watched] == [SECRET, other.secret_arn]
    with pytest.raises(ValueError, match="no service to restart"):
        watched_secrets("restart", replace(args, services={}))
    with pytest.raises(ValueError, match="longer than 64"):
        watched_secrets("restart", replace(args, name="n" * 65))


def test_eventbridge_may_start_that_state_machine_only():
    arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:shop-prod-restart"
    (statement,) = start_execution_policy(arn)["Statement"]
    assert statement["Action"] == "states:StartExecution"
    assert statement["Resource"] == arn
