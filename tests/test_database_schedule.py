"""The dev database stops outside working hours (issue 12): EventBridge Scheduler calls RDS's
own StopDBInstance and StartDBInstance around the services' schedule, backups and maintenance
move into the running hours, and the estimate counts compute for those hours only."""

from __future__ import annotations

import json

import pytest

from accessweaver_components.stack.schedules import database_schedule, shifted_cron
from tests.config_support import loader
from tests.resource_types import DB
from tools.aws_models import validate

SCHEDULE = "aws:scheduler/schedule:Schedule"
WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI"]


def test_dev_stops_its_database_around_the_services_hours(plan):
    result = plan("dev")
    schedules = {s.inputs["name"]: s.inputs for s in result.of_type(SCHEDULE)}
    start = schedules["accessweaver-dev-postgres-start"]
    stop = schedules["accessweaver-dev-postgres-stop"]
    # services run 08:30-19:00 Paris time on weekdays: the database 08:10-19:10
    assert start["scheduleExpression"] == "cron(10 8 ? * MON,TUE,WED,THU,FRI *)"
    assert stop["scheduleExpression"] == "cron(10 19 ? * MON,TUE,WED,THU,FRI *)"
    for schedule, action in ((start, "start"), (stop, "stop")):
        assert schedule["scheduleExpressionTimezone"] == "Europe/Paris"
        assert schedule["flexibleTimeWindow"] == {"mode": "OFF"}
        assert schedule["target"]["arn"] == f"arn:aws:scheduler:::aws-sdk:rds:{action}DBInstance"
        assert json.loads(schedule["target"]["input"]) == {
            "DbInstanceIdentifier": "accessweaver-dev-postgres"
        }
    (db,) = result.of_type(DB)
    # backups and maintenance while it runs (12:45 UTC = 13:45 or 14:45 in Paris)
    assert db.inputs["backupWindow"] == "12:45-13:15"
    assert db.inputs["maintenanceWindow"] == "wed:13:30-wed:14:00"


def test_the_scheduler_role_stops_and_starts_that_instance_only(plan):
    result = plan("dev")
    role = result.one("aws:iam/role:Role", "accessweaver-dev-database-scheduler-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    # this account's schedules of the default group (Scheduler user guide, execution role)
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {
            "aws:SourceArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule-group/default"
        },
    }
    policy = result.one(
        "aws:iam/rolePolicy:RolePolicy", "accessweaver-dev-database-scheduler-policy"
    )
    (grant,) = json.loads(policy.inputs["policy"])["Statement"]
    assert grant["Action"] == ["rds:StopDBInstance", "rds:StartDBInstance"]
    assert grant["Resource"].endswith(":db:accessweaver-dev-postgres")


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_keep_their_database_running(plan, stack):
    # (prod's health probe has a schedule of its own)
    assert [s for s in plan(stack).of_type(SCHEDULE) if "database" in s.name] == []


def test_the_schedules_validate_against_create_schedule(plan):
    # the database's stop and start (the rotation's schedule runs a task: tests/test_tasks.py)
    for schedule in [s for s in plan("dev").of_type(SCHEDULE) if "database" in s.name]:
        inputs = schedule.inputs
        target = inputs["target"]
        params = {
            "Name": inputs["name"],
            "ScheduleExpression": inputs["scheduleExpression"],
            "ScheduleExpressionTimezone": inputs["scheduleExpressionTimezone"],
            "FlexibleTimeWindow": {"Mode": inputs["flexibleTimeWindow"]["mode"]},
            "Target": {
                "Arn": target["arn"],
                "RoleArn": target["roleArn"],
                "Input": target["input"],
                "RetryPolicy": {
                    "MaximumEventAgeInSeconds": int(
                        target["retryPolicy"]["maximumEventAgeInSeconds"]
                    ),
                    "MaximumRetryAttempts": int(target["retryPolicy"]["maximumRetryAttempts"]),
                },
            },
        }
        assert validate("scheduler", "CreateSchedule", params) == [], inputs["name"]


def test_the_estimate_counts_the_running_hours_only(plan):
    estimate = plan("dev").outputs["estimated_monthly_cost"]
    assert estimate["levers"]["database_running_hours"] == pytest.approx(239.0, abs=0.1)
    assert "x 239 h" in estimate["line_item_details"]["database"]


def test_schedules_move_days_across_midnight():
    assert shifted_cron("00:10", -20, ["MON", "SUN"]) == "cron(50 23 ? * SAT,SUN *)"
    assert shifted_cron("23:55", 10, ["FRI"]) == "cron(5 0 ? * SAT *)"
    schedule = database_schedule(
        start="09:00", stop="17:00", days=WEEKDAYS, timezone="UTC", weeks_per_month=730 / 168
    )
    assert schedule.backup_window == "13:00-13:30"
    assert schedule.hours_per_month == pytest.approx((8 + 0.5) * 5 * 730 / 168)


load, problems = loader({"environment": "staging"})


def test_a_database_that_stops_needs_the_working_hours():
    found = problems(database={"stopOffHours": True})
    assert "offHoursScaling is off" in found["database.stopOffHours"]
