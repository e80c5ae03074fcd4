"""What a long-running service and a run-to-completion task both build on Fargate, once.

`Microservice` and `EcsTask` each own: a log group, a security group (egress to the AWS APIs on
443 and the paths to the peers their bindings name, with the matching ingress on each peer's
group), an execution role (its image repository, its log group, the secrets its task definition
references), a task role (the statements it is given, and nothing else) and a Fargate task
definition hardened the same way (`containers.py`: read-only root, non-root user, /tmp volume,
logs). These builders create those resources with the names, inputs and parents the callers
give: a component calls them with `opts=ResourceOptions(parent=self)`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, ec2, ecs, iam, vpc

from ..bindings import Binding
from ..iam_path import service_role
from ..network.paths import allow_tcp
from ..service_trust import ecs_tasks_trust
from .containers import ContainerArgs, container_definitions, task_volumes
from .efs_volumes import EfsVolumeArgs, efs_mount, efs_task_volume
from .iam import execution_policy
from .roles import inline_policy
from .sidecars import FireLensArgs, SidecarArgs


@dataclass(frozen=True)
class Owner:
    """The component a workload's resources belong to: `name` prefixes their resource names,
    `physical` is its ECS service name or task family, `opts` what its direct children take
    (`ResourceOptions(parent=component)`); every role gets `permissions_boundary`."""

    name: str
    physical: str
    region: str
    tags: Mapping[str, str]
    permissions_boundary: pulumi.Input[str] | None
    opts: pulumi.ResourceOptions


class TaskShape(Protocol):
    """What a task definition takes from its component's arguments: `MicroserviceArgs` and
    `EcsTaskArgs` both have it."""

    @property
    def container(self) -> ContainerArgs: ...
    @property
    def cpu(self) -> int: ...
    @property
    def memory(self) -> int: ...
    @property
    def cpu_architecture(self) -> Literal["X86_64", "ARM64"]: ...
    @property
    def ephemeral_storage_gib(self) -> int | None: ...


def log_group(owner: Owner, *, log_group_name: str, retention_days: int) -> cloudwatch.LogGroup:
    """`<name>-logs`, named explicitly (operators and the execution role name it)."""
    return cloudwatch.LogGroup(
        f"{owner.name}-logs",
        name=log_group_name,
        retention_in_days=retention_days,
        tags=dict(owner.tags),
        opts=owner.opts,
    )


def security_group(
    owner: Owner,
    *,
    vpc_id: pulumi.Input[str],
    description: str,
    https_egress_cidrs: Sequence[pulumi.Input[str]],
) -> tuple[ec2.SecurityGroup, list[vpc.SecurityGroupEgressRule]]:
    """`<name>-sg` of its own and its egress to the AWS APIs and registries on 443 (NAT or
    endpoints); no ingress rule at all."""
    name = owner.name
    group = ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=description,
        tags={**owner.tags, "Name": owner.physical},
        opts=owner.opts,
    )
    on_group = pulumi.ResourceOptions(parent=group)
    rules = [
        vpc.SecurityGroupEgressRule(
            f"{name}-to-aws-apis" + (f"-{index}" if index else ""),
            security_group_id=group.id,
            cidr_ipv4=cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs and registries",
            opts=on_group,
        )
        for index, cidr in enumerate(https_egress_cidrs)
    ]
    return group, rules


def open_peer_paths(
    owner: Owner, *, group: ec2.SecurityGroup, bindings: Sequence[Binding]
) -> list[pulumi.CustomResource]:
    """The caller opens each path to what it uses and calls: egress on its own group, ingress
    on the peer's (where the program owns it). Rules are children of the caller's group."""
    name, physical = owner.name, owner.physical
    on_group = pulumi.ResourceOptions(parent=group)
    created: list[pulumi.CustomResource] = []
    for binding in bindings:
        for peer in binding.peers:
            for port in peer.ports:
                created += allow_tcp(
                    egress_name=f"{name}-to-{peer.name}-{port}",
                    ingress_name=f"{peer.name}-from-{name}-{port}",
                    source=group.id,
                    target=peer.security_group_id,
                    port=port,
                    description=f"{physical} to {peer.name} on {port}",
                    opts=on_group,
                    ingress=peer.manage_ingress,
                )
    return created


def ecs_tasks_role(owner: Owner, role: str, *, description: str) -> iam.Role:
    """`<name>-<role>-role`, which ECS tasks of this account and region assume (and nothing
    else), under the stack's IAM path and permissions boundary."""
    region = owner.region
    return service_role(
        f"{owner.name}-{role}-role",
        description=f"{owner.physical}: {description}",
        trust=lambda acct: ecs_tasks_trust(acct, region),
        permissions_boundary=owner.permissions_boundary,
        tags=owner.tags,
        opts=owner.opts,
    )


def execution_role(
    owner: Owner,
    *,
    image: pulumi.Input[str],
    log_group: cloudwatch.LogGroup,
    secrets: Mapping[str, pulumi.Input[str]],
    registry_credentials: Sequence[tuple[str, str | None]] = (),
    sidecar_images: Sequence[str] = (),
) -> tuple[iam.Role, iam.RolePolicy]:
    """`<name>-exec-role` and its policy: pull `image`'s repository (and the ECR ones of
    `sidecar_images`), write `log_group`, read exactly the `secrets` the task definition
    references (sidecars' and log options' included) and the `registry_credentials` secrets.
    `image` may be an Output (an image built in the same program): its repository is read once
    it is known."""
    role = ecs_tasks_role(
        owner, "exec", description="ECS pulls its image, writes its logs, reads secrets"
    )
    region = owner.region
    account = aws.get_caller_identity_output().account_id
    document = pulumi.Output.all(
        account, log_group.name, pulumi.Output.from_input(secrets), image
    ).apply(
        lambda values: json.dumps(
            execution_policy(
                account_id=values[0],
                region=region,
                log_group=values[1],
                image=values[3],
                secret_refs=list(values[2].values()),
                registry_credentials=registry_credentials,
                images=sidecar_images,
            )
        )
    )
    return role, inline_policy(f"{owner.name}-exec-policy", role, document)


def task_role(
    owner: Owner, *, statements: Sequence[Mapping[str, Any]]
) -> tuple[iam.Role, iam.RolePolicy | None]:
    """`<name>-task-role` holding `statements` and nothing else (no policy when there are
    none)."""
    role = ecs_tasks_role(
        owner, "task", description="what its containers may call, and nothing else"
    )
    policy = None
    if statements:
        policy = inline_policy(
            f"{owner.name}-task-policy",
            role,
            pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )
    return role, policy


def task_definition(
    owner: Owner,
    shape: TaskShape,
    *,
    log_group: cloudwatch.LogGroup,
    execution_role: iam.Role,
    task_role: iam.Role,
    environment: Mapping[str, pulumi.Input[str]],
    secrets: Mapping[str, pulumi.Input[str]],
    xray: bool = False,
    execute_command: bool = False,
    port_name: str | None = None,
    health_check: bool = True,
    container_memory: int | None = None,
    sidecars: Sequence[SidecarArgs] = (),
    firelens: FireLensArgs | None = None,
    efs_volumes: Sequence[tuple[EfsVolumeArgs, pulumi.Input[str]]] = (),
) -> ecs.TaskDefinition:
    """`<name>-task`: the Fargate task definition (family `physical`) of the container `name`
    in `shape` (awsvpc, Linux on its `cpu_architecture`), with the merged environment and
    secrets; `container_memory` is the application container's hard limit (the task's memory
    less its sidecars'). `efs_volumes` are (volume, its access point id); the shape's
    `ephemeral_storage_gib` None = Fargate's 20 GiB."""
    name, region, container = owner.name, owner.region, shape.container
    document = pulumi.Output.all(
        log_group.name,
        pulumi.Output.from_input(environment),
        pulumi.Output.from_input(secrets),
        container.image,
    ).apply(
        lambda values: json.dumps(
            container_definitions(
                name,
                # The image may be an Output: the definition holds its resolved reference.
                dataclasses.replace(container, image=values[3]),
                region=region,
                log_group=values[0],
                environment=values[1],
                secrets=values[2],
                xray=xray,
                execute_command=execute_command,
                port_name=port_name,
                health_check=health_check,
                memory=container_memory,
                sidecars=sidecars,
                firelens=firelens,
                extra_mounts=[efs_mount(volume) for volume, _ in efs_volumes],
            )
        )
    )
    extra: dict[str, Any] = {}
    if shape.ephemeral_storage_gib is not None:
        extra["ephemeral_storage"] = {"size_in_gib": shape.ephemeral_storage_gib}
    return ecs.TaskDefinition(
        f"{name}-task",
        family=owner.physical,
        cpu=str(shape.cpu),
        memory=str(shape.memory),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        runtime_platform={
            "operating_system_family": "LINUX",
            "cpu_architecture": shape.cpu_architecture,
        },
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        container_definitions=document,
        volumes=[
            *task_volumes(
                container,
                execute_command=execute_command,
                xray=xray,
                sidecars=sidecars,
                firelens=firelens,
            ),
            *(efs_task_volume(volume, access_point) for volume, access_point in efs_volumes),
        ],
        tags=dict(owner.tags),
        opts=owner.opts,
        **extra,
    )
