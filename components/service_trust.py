"""Trust policies of the roles AWS services assume for the program, each bound to this account
and to the resource that uses the role (`aws:SourceAccount`, `aws:SourceArn`): the cross-service
confused-deputy protection of IAM's user guide ("The confused deputy problem").

Each service's documented form of `aws:SourceArn`:
- ECS tasks: any ECS resource of the account and Region, `arn:aws:ecs:<region>:<acct>:*` (ECS
  developer guide, "Amazon ECS task IAM role", confused-deputy example);
- Step Functions: the state machine (Step Functions developer guide, "Cross-service confused
  deputy prevention");
- EventBridge: the rule (EventBridge user guide, "Cross-service confused deputy prevention");
- EventBridge Scheduler: the schedule group (Scheduler user guide, "Setting up the execution
  role"; a schedule without `group_name` is in `default`);
- RDS enhanced monitoring: the DB instance (RDS user guide, "Setting up and enabling Enhanced
  Monitoring", "Protecting against the confused deputy problem");
- VPC Flow Logs: the account's flow logs (VPC user guide, "IAM role for publishing flow logs to
  CloudWatch Logs");
- AWS FIS: the account's experiments in the Region (FIS user guide, experiment role);
- ECS itself (`ecs.amazonaws.com`: the load-balancer infrastructure role, lifecycle hooks):
  the ECS developer guide's trust policies for these roles carry no condition and do not say
  whether ECS sends the keys, so they are checked when present (`...IfExists`): another
  account's ECS cannot assume the role, and a deploy does not break if ECS sends none.
"""

from __future__ import annotations

from typing import Any

SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn")


def service_trust_policy(
    principal: str, account_id: str, source_arn: str, *, documented: bool = True
) -> dict[str, Any]:
    """`principal` (e.g. `states.amazonaws.com`) may assume the role on behalf of
    `source_arn` (wildcards allowed) of `account_id` only. `documented=False`: the service does
    not document the keys, they are enforced when present."""
    suffix = "" if documented else "IfExists"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sts:AssumeRole",
                "Condition": {
                    f"StringEquals{suffix}": {"aws:SourceAccount": account_id},
                    f"ArnLike{suffix}": {"aws:SourceArn": source_arn},
                },
            }
        ],
    }


def regional_trust(
    principal: str,
    service: str,
    account_id: str,
    region: str,
    resource: str,
    *,
    documented: bool = True,
) -> dict[str, Any]:
    """`principal` may assume the role for `resource` (wildcards allowed) of `service`, in this
    account and Region only: `aws:SourceArn` is `arn:aws:<service>:<region>:<acct>:<resource>`."""
    return service_trust_policy(
        principal,
        account_id,
        f"arn:aws:{service}:{region}:{account_id}:{resource}",
        documented=documented,
    )


def ecs_tasks_trust(account_id: str, region: str) -> dict[str, Any]:
    return regional_trust("ecs-tasks.amazonaws.com", "ecs", account_id, region, "*")


def ecs_service_trust(account_id: str, region: str) -> dict[str, Any]:
    """ECS's scheduler: load-balancer infrastructure role, lifecycle-hook role."""
    return regional_trust("ecs.amazonaws.com", "ecs", account_id, region, "*", documented=False)


def state_machine_trust(account_id: str, region: str, name: str) -> dict[str, Any]:
    return regional_trust(
        "states.amazonaws.com", "states", account_id, region, f"stateMachine:{name}"
    )


def events_rule_trust(account_id: str, region: str, rule: str) -> dict[str, Any]:
    return regional_trust("events.amazonaws.com", "events", account_id, region, f"rule/{rule}")


def scheduler_trust(account_id: str, region: str, group: str = "default") -> dict[str, Any]:
    """EventBridge Scheduler, for the schedules of one schedule group (`default` when a
    schedule sets no `group_name`): the database's stop/start schedule, and any scheduled task
    of the program's."""
    return regional_trust(
        "scheduler.amazonaws.com", "scheduler", account_id, region, f"schedule-group/{group}"
    )


def rds_monitoring_trust(account_id: str, region: str, identifier: str) -> dict[str, Any]:
    return regional_trust(
        "monitoring.rds.amazonaws.com", "rds", account_id, region, f"db:{identifier}"
    )


def flow_logs_trust(account_id: str, region: str) -> dict[str, Any]:
    return regional_trust(
        "vpc-flow-logs.amazonaws.com", "ec2", account_id, region, "vpc-flow-log/*"
    )


def fis_trust(account_id: str, region: str) -> dict[str, Any]:
    """AWS FIS, for the experiments of this account and Region (FIS user guide, "IAM roles for
    AWS FIS experiments": `aws:SourceArn` `arn:aws:fis:<region>:<account>:experiment/*`)."""
    return regional_trust("fis.amazonaws.com", "fis", account_id, region, "experiment/*")


def trust_problems(document: Any) -> list[str]:
    """Why a trust policy lets an AWS service assume the role for anyone (empty when it does
    not): an Allow to a service principal without both `aws:SourceAccount` and
    `aws:SourceArn` conditions."""
    problems: list[str] = []
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for index, statement in enumerate([statements] if isinstance(statements, dict) else statements):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal") or {}
        services = principal.get("Service") if isinstance(principal, dict) else None
        if not services:
            continue
        keys = {
            key.lower()
            for block in (statement.get("Condition") or {}).values()
            if isinstance(block, dict)
            for key in block
        }
        missing = [k for k in SOURCE_KEYS if k.lower() not in keys]
        if missing:
            names = services if isinstance(services, str) else ", ".join(services)
            problems.append(
                f"statement {statement.get('Sid') or index} lets {names} assume the role "
                f"without {' and '.join(missing)} (confused deputy)"
            )
    return problems
