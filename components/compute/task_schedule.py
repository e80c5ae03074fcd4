"""The documents of a scheduled task, as plain data (no Pulumi resources).

EventBridge Scheduler runs the task with RunTask under a role of the task's own: trusted by
`scheduler.amazonaws.com` only for schedules of the task's own schedule group in this account
(the Scheduler user guide's confused-deputy conditions, "Set up the execution role": the
`aws:SourceArn` of a schedule is its group's ARN), allowed to run only revisions of the task's
family on the stack's cluster, to pass only the task's two roles to ECS, to tag only the tasks
it starts (the schedule propagates the task definition's tags, which RunTask authorizes as
`ecs:TagResource` with `ecs:CreateAction`), and to send failed invocations to its dead-letter
queue ("Configuring a dead-letter queue": `sqs:SendMessage` on the queue).

A run that starts and then fails is not a failed invocation: the ECS "Task State Change" event
of a STOPPED task of the family whose container exited non-zero, or that failed to start
(`stopCode` TaskFailedToStart), is matched by an EventBridge rule (`failure_event_pattern`).
"""

from __future__ import annotations

from typing import Any

ECS_TASKS = "ecs-tasks.amazonaws.com"


def scheduler_trust_policy(account_id: str, schedule_group_arn: str) -> dict[str, Any]:
    """EventBridge Scheduler may assume the role for schedules of this group and account only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "scheduler.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {
                        "aws:SourceAccount": account_id,
                        "aws:SourceArn": schedule_group_arn,
                    }
                },
            }
        ],
    }


def family_revisions_arn(task_definition_arn: str) -> str:
    """`arn:...:task-definition/<family>:7` -> `arn:...:task-definition/<family>:*`: every
    revision of the family (a deploy registers a new one; the schedule names the latest)."""
    return task_definition_arn.rsplit(":", 1)[0] + ":*"


def cluster_tasks_arn(cluster_arn: str) -> str:
    """`arn:aws:ecs:<region>:<account>:cluster/<name>` -> the ARN pattern of its tasks."""
    head, _, name = cluster_arn.partition(":cluster/")
    return f"{head}:task/{name}/*"


def scheduler_policy(
    *,
    task_definition_arn: str,
    cluster_arn: str,
    execution_role_arn: str,
    task_role_arn: str,
    dead_letter_queue_arn: str,
) -> dict[str, Any]:
    """What the schedule's role may do: run this task on this cluster, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RunThisTaskOnThisCluster",
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": family_revisions_arn(task_definition_arn),
                "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}},
            },
            {
                "Sid": "PassThisTasksRoles",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": [execution_role_arn, task_role_arn],
                "Condition": {"StringEquals": {"iam:PassedToService": ECS_TASKS}},
            },
            {
                "Sid": "TagTheTasksItStarts",
                "Effect": "Allow",
                "Action": "ecs:TagResource",
                "Resource": cluster_tasks_arn(cluster_arn),
                "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            },
            {
                "Sid": "DeadLetters",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": dead_letter_queue_arn,
            },
        ],
    }


def failure_event_pattern(cluster_arn: str, family: str) -> dict[str, Any]:
    """A task of `family` on the cluster stopped after its container exited non-zero, or
    without starting (ECS developer guide, "Amazon ECS task state change events": `group` is
    `family:<family>` for RunTask without a group, `stopCode` TaskFailedToStart)."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [cluster_arn],
            "group": [f"family:{family}"],
            "lastStatus": ["STOPPED"],
            "$or": [
                {"stopCode": ["TaskFailedToStart"]},
                {"containers": {"exitCode": [{"anything-but": 0}]}},
            ],
        },
    }


def failure_delivery_statement(queue_arn: str, rule_arn: str) -> dict[str, Any]:
    """The failure rule (and no other) may put the stopped-task events on the queue
    (EventBridge user guide, "Amazon SQS permissions": `events.amazonaws.com`, `aws:SourceArn`
    the rule)."""
    return {
        "Sid": "FailureRuleDelivers",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }
