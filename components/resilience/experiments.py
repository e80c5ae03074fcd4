"""The stack's AWS FIS experiments as plain data: what each does, to which resources, and the
one role policy that lets FIS do exactly that and nothing else. No Pulumi resource here
(`fault_injection.py` builds them); values that only exist at deploy time (the VPC id, the
account) may be Pulumi inputs wherever a string goes.

Actions, their targets and permissions are the FIS user guide's ("AWS FIS actions reference";
"Targets for AWS FIS", resource type parameters):
- `aws:ecs:stop-task` on `aws:ecs:task` targets chosen by the `cluster` and `service`
  parameters; permissions ecs:DescribeTasks, ecs:ListTasks, ecs:StopTask, tag:GetResources;
- `aws:network:disrupt-connectivity` (`scope: all`: every packet in and out) on the
  `aws:ec2:subnet` targets of one VPC in one AZ (`vpc`, `availabilityZoneIdentifier`); FIS
  clones each subnet's network ACL into one tagged `managedByFIS=true` that denies the
  traffic, swaps it in, and swaps the original back at the end: ec2:CreateNetworkAcl,
  CreateNetworkAclEntry, CreateTags, DeleteNetworkAcl, ReplaceNetworkAclAssociation and the
  Describe calls it reads the network with;
- `aws:rds:reboot-db-instances` with `forceFailover: true` on an `aws:rds:db`: the failover of
  a Multi-AZ DB *instance* (`aws:rds:failover-db-cluster` is for Aurora and Multi-AZ DB
  clusters); rds:RebootDBInstance, rds:DescribeDBInstances, tag:GetResources;
- `aws:elasticache:replicationgroup-interrupt-az-power` on `aws:elasticache:replicationgroup`
  targets found by tags only (the action takes no ARN and no filter) in the AZ of the
  `availabilityZoneIdentifier` parameter: a primary there fails over to a replica, replacements
  in that AZ are blocked for the duration; not for ElastiCache Serverless;
  elasticache:InterruptClusterAzPower, elasticache:DescribeReplicationGroups, tag:GetResources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from ..bindings import allow_statement
from .config import MAX_ACTIONS, MAX_PARALLEL_ACTIONS

STOP_TASK = "aws:ecs:stop-task"
DISRUPT_CONNECTIVITY = "aws:network:disrupt-connectivity"
REBOOT_DB_INSTANCES = "aws:rds:reboot-db-instances"
CACHE_AZ_POWER = "aws:elasticache:replicationgroup-interrupt-az-power"
FIS_ACL_TAG = "managedByFIS"
"""The tag FIS puts on the network ACLs it creates (AWSFaultInjectionSimulatorNetworkAccess)."""

STOP_TASKS, AZ_NETWORK, DATABASE_FAILOVER, CACHE_FAILOVER = (
    "stop-tasks",
    "az-network",
    "database-failover",
    "cache-az-power",
)
EXPERIMENTS = (STOP_TASKS, AZ_NETWORK, DATABASE_FAILOVER, CACHE_FAILOVER)
"""Every experiment the program may build, by key (the `Experiment` tag of its template)."""


@dataclass(frozen=True)
class Target:
    resource_type: str
    selection_mode: str
    parameters: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    resource_arns: Sequence[pulumi.Input[str]] = ()
    resource_tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    action_id: str
    description: str
    target_key: str
    """`Tasks`, `Subnets`, `DBInstances`, `ReplicationGroups`: the action's target kind."""
    target: str
    """The name of the experiment's target it runs on."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    start_after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Experiment:
    key: str
    """The experiment (`stop-tasks`...): its template's `Experiment` tag."""
    description: str
    actions: Mapping[str, Action]
    targets: Mapping[str, Target]
    part: tuple[int, int] = (1, 1)
    """(this, of): an experiment too big for one template (more services than FIS's 20
    actions) is several, run one after the other (`Part` tag `<this>/<of>`)."""

    @property
    def name(self) -> str:
        """Unique within the stack: the key, with the part number after the first."""
        return self.key if self.part[0] == 1 else f"{self.key}-{self.part[0]}"


@dataclass(frozen=True)
class ServiceTasks:
    """A service whose tasks the task experiment stops, and how many."""

    service_name: str
    """The ECS service's name."""
    stop: int


def stop_tasks(cluster_name: str, services: Mapping[str, ServiceTasks]) -> list[Experiment]:
    """One action per service, each stopping its share of that service's tasks; at most
    `MAX_PARALLEL_ACTIONS` run at once (later ones start after the previous batch), at most
    `MAX_ACTIONS` per template (more services: more templates, parts of one experiment)."""
    if not services:
        raise ValueError("the task experiment needs at least one service")
    names = sorted(services)
    chunks = [names[i : i + MAX_ACTIONS] for i in range(0, len(names), MAX_ACTIONS)]
    return [
        _stop_tasks_part(cluster_name, {n: services[n] for n in chunk}, (i, len(chunks)))
        for i, chunk in enumerate(chunks, start=1)
    ]


def _stop_tasks_part(
    cluster_name: str, services: Mapping[str, ServiceTasks], part: tuple[int, int]
) -> Experiment:
    actions: dict[str, Action] = {}
    targets: dict[str, Target] = {}
    names = sorted(services)
    for index, name in enumerate(names):
        service = services[name]
        batch = index // MAX_PARALLEL_ACTIONS
        previous = names[(batch - 1) * MAX_PARALLEL_ACTIONS : batch * MAX_PARALLEL_ACTIONS]
        targets[f"tasks-{name}"] = Target(
            "aws:ecs:task",
            f"COUNT({service.stop})",
            parameters={"cluster": cluster_name, "service": service.service_name},
        )
        actions[f"stop-{name}"] = Action(
            STOP_TASK,
            f"Stop {service.stop} task(s) of {name}: ECS replaces them",
            "Tasks",
            f"tasks-{name}",
            start_after=tuple(f"stop-{p}" for p in previous) if batch else (),
        )
    of = f" (part {part[0]} of {part[1]})" if part[1] > 1 else ""
    return Experiment(
        STOP_TASKS,
        f"Stop a share of each service's tasks in {cluster_name} at once{of}; ECS starts "
        "replacements and the load balancer and callers move to the others.",
        actions,
        targets,
        part,
    )


def az_network(vpc_id: pulumi.Input[str], availability_zone: str, duration: str) -> Experiment:
    """Every packet in and out of the VPC's subnets in one AZ dropped for `duration`."""
    return Experiment(
        AZ_NETWORK,
        f"Cut every subnet of the stack's VPC in {availability_zone} off the network "
        f"({duration}): tasks, ALB node and NAT gateway of that AZ lose all traffic.",
        {
            "disrupt-az": Action(
                DISRUPT_CONNECTIVITY,
                f"Deny all traffic of the subnets in {availability_zone}",
                "Subnets",
                "subnets-in-az",
                parameters={"duration": duration, "scope": "all"},
            )
        },
        {
            "subnets-in-az": Target(
                "aws:ec2:subnet",
                "ALL",
                parameters={"availabilityZoneIdentifier": availability_zone, "vpc": vpc_id},
            )
        },
    )


def database_failover(database_arn: pulumi.Input[str]) -> Experiment:
    """A forced Multi-AZ failover of the stack's DB instance."""
    return Experiment(
        DATABASE_FAILOVER,
        "Reboot the stack's Multi-AZ PostgreSQL instance with a forced failover: the standby "
        "becomes the primary, the endpoint's DNS moves to it.",
        {
            "failover": Action(
                REBOOT_DB_INSTANCES,
                "Reboot the DB instance through a Multi-AZ failover",
                "DBInstances",
                "database",
                parameters={"forceFailover": "true"},
            )
        },
        {"database": Target("aws:rds:db", "ALL", resource_arns=(database_arn,))},
    )


def cache_az_power(tags: Mapping[str, str], availability_zone: str, duration: str) -> Experiment:
    """Power cut to the cache's nodes in one AZ: a primary there fails over to a replica."""
    return Experiment(
        CACHE_FAILOVER,
        f"Cut the power of the stack's cache nodes in {availability_zone} ({duration}): a "
        "primary there fails over to the replica of another AZ; no replacement starts there.",
        {
            "interrupt-az-power": Action(
                CACHE_AZ_POWER,
                f"Interrupt the power of the cache nodes in {availability_zone}",
                "ReplicationGroups",
                "cache",
                parameters={"duration": duration},
            )
        },
        {
            "cache": Target(
                "aws:elasticache:replicationgroup",
                "ALL",
                parameters={"availabilityZoneIdentifier": availability_zone},
                resource_tags=dict(tags),
            )
        },
    )


def guard_rule(alarm_names: Sequence[str]) -> str:
    """A composite alarm's rule: in ALARM as soon as one of `alarm_names` is."""
    if not alarm_names:
        raise ValueError("a guard needs at least one alarm")
    return " OR ".join(f'ALARM("{name}")' for name in alarm_names)


def experiment_role_policy(
    *,
    region: str,
    account_id: str,
    cluster_name: str | None = None,
    vpc_id: str | None = None,
    database_identifier: str | None = None,
    cache_replication_group_id: str | None = None,
) -> dict[str, Any]:
    """What the FIS experiment role may do: each action's documented permissions, on this
    stack's cluster, VPC, DB instance and replication group only. Reads FIS needs to find its
    targets (tag:GetResources, the Describe calls) take no resource-level scope (Service
    Authorization Reference) and stay on `*`; every change is scoped: tasks of the stack's
    cluster (`ecs:cluster`), network ACLs FIS created and tagged (`managedByFIS`) in the
    stack's VPC (`ec2:Vpc`), the stack's DB instance and replication group by ARN."""
    where = f"{region}:{account_id}"
    statements = [allow_statement("FindTargets", ["tag:GetResources"], "*")]
    if cluster_name is not None:
        statements += _task_statements(where, cluster_name)
    if vpc_id is not None:
        statements += _network_statements(where, vpc_id)
    if database_identifier is not None:
        statements.append(
            allow_statement(
                "FailOverTheDatabase",
                ["rds:DescribeDBInstances", "rds:RebootDBInstance"],
                f"arn:aws:rds:{where}:db:{database_identifier}",
            )
        )
    if cache_replication_group_id is not None:
        statements += [
            allow_statement(
                "FindTheCache",
                ["elasticache:DescribeReplicationGroups"],
                f"arn:aws:elasticache:{where}:replicationgroup:*",
            ),
            allow_statement(
                "CutTheCachesAzPower",
                ["elasticache:InterruptClusterAzPower"],
                f"arn:aws:elasticache:{where}:replicationgroup:{cache_replication_group_id}",
            ),
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def _task_statements(where: str, cluster_name: str) -> list[dict]:
    """Stop tasks of the stack's cluster only (`ecs:cluster`); `where` is `<region>:<account>`."""
    cluster = f"arn:aws:ecs:{where}:cluster/{cluster_name}"
    return [
        allow_statement(
            "ListTheClustersTasks", ["ecs:ListTasks"], "*", ArnEquals={"ecs:cluster": cluster}
        ),
        allow_statement(
            "StopTheClustersTasks",
            ["ecs:DescribeTasks", "ecs:StopTask"],
            f"arn:aws:ecs:{where}:task/{cluster_name}/*",
            ArnEquals={"ecs:cluster": cluster},
        ),
    ]


def _network_statements(where: str, vpc_id: str) -> list[dict]:
    """Disrupt the stack's VPC through network ACLs FIS creates and tags (`managedByFIS`) in
    it and swaps onto its subnets; the reads FIS needs take no resource-level scope."""
    vpc = f"arn:aws:ec2:{where}:vpc/{vpc_id}"
    acls = f"arn:aws:ec2:{where}:network-acl/*"
    return [
        allow_statement(
            "ReadTheNetwork",
            [
                "ec2:DescribeManagedPrefixLists",
                "ec2:DescribeNetworkAcls",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "*",
        ),
        allow_statement(
            "ReadPrefixLists",
            ["ec2:GetManagedPrefixListEntries"],
            f"arn:aws:ec2:{where}:prefix-list/*",
        ),
        allow_statement(
            "CreateFisAclsInTheVpc",
            ["ec2:CreateNetworkAcl"],
            [acls, vpc],
            StringEquals={f"aws:RequestTag/{FIS_ACL_TAG}": "true"},
        ),
        allow_statement(
            "TagThemAtCreation",
            ["ec2:CreateTags"],
            acls,
            StringEquals={
                "ec2:CreateAction": "CreateNetworkAcl",
                f"aws:RequestTag/{FIS_ACL_TAG}": "true",
            },
        ),
        allow_statement(
            "FillAndDeleteFisAclsOnly",
            ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"],
            acls,
            StringEquals={f"aws:ResourceTag/{FIS_ACL_TAG}": "true"},
            ArnEquals={"ec2:Vpc": vpc},
        ),
        allow_statement(
            "SwapTheAclsOfTheVpcsSubnets",
            ["ec2:ReplaceNetworkAclAssociation"],
            [acls, f"arn:aws:ec2:{where}:subnet/*"],
            ArnEquals={"ec2:Vpc": vpc},
        ),
    ]
