"""`FaultInjection`: the stack's AWS FIS experiment templates, their guard and their role.

Creates
- a composite alarm, `<name>-guard`, in ALARM as soon as one of the guard alarms is (the
  stack's user-facing and data-store alarms): the stop condition of every experiment (FIS takes
  at most 5 stop conditions; one composite holds any number);
- the experiment role (`<name>-role`): trusted by FIS for this account's experiments only,
  under the program's IAM path and permissions boundary, with the permissions of the
  experiments it runs, on this stack's resources only (`experiments.experiment_role_policy`);
- one experiment template per experiment the stack can run (`experiments.py`): stop tasks of
  every service, cut one AZ's subnets off, fail the database over, cut one AZ's power under the
  cache; each tagged `Experiment: <key>`, which is how `tools/faults.py` finds it.

Templates cost nothing until run (FIS bills per action-minute of an experiment); the guard is a
composite alarm ($0.50 a month). Nothing runs at `pulumi up`: experiments start on demand
(`.github/workflows/faults.yml`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, fis, iam

from ..iam_path import service_role
from ..service_trust import fis_trust
from . import experiments as ex
from .config import AZ_CODE, AZ_ID


@dataclass(frozen=True)
class FaultInjectionArgs:
    name_prefix: str
    """`<project>-<env>`: names and descriptions."""
    availability_zone: str
    """The AZ the network and cache experiments disrupt (a code or an AZ ID)."""
    duration: str
    """How long the network and cache disruptions last (ISO 8601, `PT5M`)."""
    guard_alarm_names: Sequence[pulumi.Input[str]]
    """The alarms any one of which stops a running experiment."""
    cluster_name: str | None = None
    services: Mapping[str, ex.ServiceTasks] = field(default_factory=dict)
    """Service -> its ECS service and how many tasks to stop; empty = no task experiment."""
    vpc_id: pulumi.Input[str] | None = None
    """The stack's VPC; None = no network experiment."""
    database_identifier: str | None = None
    """A Multi-AZ DB instance; None = no database experiment."""
    cache_replication_group_id: str | None = None
    """A replication group with Multi-AZ failover (not serverless); None = no cache one."""
    cache_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags that find the replication group (FIS finds them by tags only)."""
    alarm_actions: Sequence[pulumi.Input[str]] = ()
    """Who hears that the guard stopped an experiment (the stack's alarm topic)."""
    account_id: pulumi.Input[str] | None = None
    """The account (trust, ARNs); None = the deploying one."""
    region: str | None = None
    permissions_boundary: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def problems(self) -> list[str]:
        found = []
        if not self.guard_alarm_names:
            found.append("no guard alarm: an experiment needs a stop condition")
        if not (AZ_CODE.match(self.availability_zone) or AZ_ID.match(self.availability_zone)):
            found.append(f"{self.availability_zone!r} is not an Availability Zone code or ID")
        if self.services and self.cluster_name is None:
            found.append("services to stop tasks of, and no cluster")
        if self.cache_replication_group_id is not None and not self.cache_tags:
            found.append("FIS finds a replication group by its tags: give cache_tags")
        if not (
            self.services
            or self.vpc_id is not None
            or self.database_identifier
            or self.cache_replication_group_id
        ):
            found.append("no experiment: no service, VPC, Multi-AZ database or cache")
        return found


class FaultInjection(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    guard_alarm_name: pulumi.Output[str]
    template_ids: dict[str, pulumi.Output[str]]
    """Experiment (`stop-tasks`, `stop-tasks-2` for a second part...) -> its template's id."""

    def __init__(
        self, name: str, args: FaultInjectionArgs, opts: pulumi.ResourceOptions | None = None
    ):
        region = args.region or aws.config.region
        problems = args.problems() + ([] if region else ["no region"])
        if problems:
            raise ValueError(f"{name}: {'; '.join(problems)}")
        assert region is not None
        plans = self._experiments(args)  # raises on more services than FIS takes
        super().__init__("accessweaver:resilience:FaultInjection", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account = (
            pulumi.Output.from_input(args.account_id)
            if args.account_id is not None
            else aws.get_caller_identity_output().account_id
        )

        guard = cloudwatch.CompositeAlarm(
            f"{name}-guard",
            alarm_name=f"{args.name_prefix}-fault-guard",
            alarm_description=(
                f"{args.name_prefix}: a guard alarm fired; it stops every fault experiment"
            ),
            alarm_rule=pulumi.Output.all(*args.guard_alarm_names).apply(ex.guard_rule),
            alarm_actions=list(args.alarm_actions),
            tags=tags,
            opts=child,
        )
        role = service_role(
            f"{name}-role",
            description=f"{args.name_prefix}: AWS FIS runs the stack's fault experiments",
            trust=lambda acct: fis_trust(acct, region),
            tags=tags,
            permissions_boundary=args.permissions_boundary,
            opts=child,
            account_id=account,
            max_session_duration=3600,
        )
        policy = iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=pulumi.Output.all(account, args.vpc_id).apply(
                lambda v: json.dumps(
                    ex.experiment_role_policy(
                        region=region,
                        account_id=v[0],
                        cluster_name=args.cluster_name if args.services else None,
                        vpc_id=v[1],
                        database_identifier=args.database_identifier,
                        cache_replication_group_id=args.cache_replication_group_id,
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=role),
        )
        self.template_ids = {}
        for experiment in plans(account, region):
            template = fis.ExperimentTemplate(
                f"{name}-{experiment.name}",
                description=experiment.description,
                role_arn=role.arn,
                stop_conditions=[
                    fis.ExperimentTemplateStopConditionArgs(
                        source="aws:cloudwatch:alarm", value=guard.arn
                    )
                ],
                actions=[_action(n, a) for n, a in experiment.actions.items()],
                targets=[_target(n, t) for n, t in experiment.targets.items()],
                # A run that finds no target fails, rather than passing for having done nothing.
                experiment_options=fis.ExperimentTemplateExperimentOptionsArgs(
                    account_targeting="single-account", empty_target_resolution_mode="fail"
                ),
                tags={
                    **tags,
                    "Name": f"{args.name_prefix}-{experiment.name}",
                    "Experiment": experiment.key,
                    "Part": f"{experiment.part[0]}/{experiment.part[1]}",
                },
                # The role's permissions first: FIS checks them when the template is created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
            self.template_ids[experiment.name] = template.id

        self.role_arn = role.arn
        self.guard_alarm_name = guard.alarm_name
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "guard_alarm_name": self.guard_alarm_name,
                "template_ids": self.template_ids,
            }
        )

    @staticmethod
    def _experiments(args: FaultInjectionArgs):
        """The experiments to build, as a function of the account and region (the ARNs)."""
        task_experiments = (
            ex.stop_tasks(args.cluster_name, args.services)
            if args.services and args.cluster_name is not None
            else []
        )

        def plans(account: pulumi.Output[str], region: str) -> list[ex.Experiment]:
            found = list(task_experiments)
            if args.vpc_id is not None:
                found.append(ex.az_network(args.vpc_id, args.availability_zone, args.duration))
            if args.database_identifier:
                arn = account.apply(
                    lambda a: f"arn:aws:rds:{region}:{a}:db:{args.database_identifier}"
                )
                found.append(ex.database_failover(arn))
            if args.cache_replication_group_id:
                found.append(
                    ex.cache_az_power(args.cache_tags, args.availability_zone, args.duration)
                )
            return found

        return plans


def _action(name: str, action: ex.Action) -> fis.ExperimentTemplateActionArgs:
    return fis.ExperimentTemplateActionArgs(
        name=name,
        action_id=action.action_id,
        description=action.description,
        parameters=[
            fis.ExperimentTemplateActionParameterArgs(key=k, value=v)
            for k, v in action.parameters.items()
        ]
        or None,
        start_afters=list(action.start_after) or None,
        target=fis.ExperimentTemplateActionTargetArgs(key=action.target_key, value=action.target),
    )


def _target(name: str, target: ex.Target) -> fis.ExperimentTemplateTargetArgs:
    return fis.ExperimentTemplateTargetArgs(
        name=name,
        resource_type=target.resource_type,
        selection_mode=target.selection_mode,
        parameters=dict(target.parameters) or None,
        resource_arns=list(target.resource_arns) or None,
        resource_tags=[
            fis.ExperimentTemplateTargetResourceTagArgs(key=k, value=v)
            for k, v in target.resource_tags.items()
        ]
        or None,
    )
