"""What a service's own sidecars, FireLens and EFS volumes add to its resources.

`TaskBlocks` builds, as children of the component that calls it: an EFS access point per EFS
volume (`<name>-<volume>-access-point`: the volume's POSIX user, its root directory created
with that owner) and the path from the service's security group to the mount targets' on NFS
(2049). It hands back what the roles need: the secrets the execution role reads (sidecars'
variables, FireLens secret options), the private-registry credentials and sidecar images it
pulls, and the task role's statements (EFS client access through the access point only; with
FireLens to CloudWatch, writing the service's own log group).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import cloudwatch, ec2, efs

from ..network.paths import allow_tcp
from .containers import EXEC_AGENT_PATHS, ContainerArgs, writable_paths
from .efs_volumes import (
    NFS_PORT,
    EfsVolumeArgs,
    efs_client_statement,
    efs_problems,
    file_system_arn,
    posix_identity,
    statement_sid,
)
from .sidecars import FireLensArgs, SidecarArgs, cloudwatch_delivery_statement


class TaskBlocks:
    def __init__(
        self,
        name: str,
        *,
        physical: str,
        region: str,
        container: ContainerArgs,
        sidecars: Sequence[SidecarArgs],
        firelens: FireLensArgs | None,
        efs_volumes: Sequence[EfsVolumeArgs],
        security_group: ec2.SecurityGroup,
        log_group: cloudwatch.LogGroup,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions,
    ):
        self._name = name
        self._region = region
        self._container = container
        self._sidecars = tuple(sidecars)
        self._firelens = firelens
        self._log_group = log_group
        self.mounted_volumes: list[tuple[EfsVolumeArgs, pulumi.Output[str]]] = []
        self._statements: list[dict[str, Any]] = []
        on_group = pulumi.ResourceOptions(parent=security_group)
        opened: set[str] = set()
        for volume in efs_volumes:
            uid, gid = posix_identity(volume, container.user)
            access_point = efs.AccessPoint(
                f"{name}-{volume.name}-access-point",
                file_system_id=volume.file_system_id,
                posix_user={"uid": uid, "gid": gid},
                root_directory={
                    "path": volume.root_directory or f"/{physical}",
                    "creation_info": {
                        "owner_uid": uid,
                        "owner_gid": gid,
                        "permissions": volume.permissions,
                    },
                },
                tags={**tags, "Name": f"{physical}-{volume.name}"},
                opts=opts,
            )
            self.mounted_volumes.append((volume, access_point.id))
            fs_arn = (
                pulumi.Output.from_input(volume.file_system_arn)
                if volume.file_system_arn is not None
                else pulumi.Output.all(
                    aws.get_caller_identity_output().account_id, volume.file_system_id
                ).apply(lambda values: file_system_arn(region, values[0], values[1]))
            )
            self._statements.append(
                pulumi.Output.all(fs_arn, access_point.arn).apply(
                    lambda values, v=volume: efs_client_statement(
                        statement_sid(v.name),
                        file_system_arn=values[0],
                        access_point_arn=values[1],
                        read_only=v.read_only,
                    )
                )
            )
            target = volume.mount_target_security_group_id
            if target is not None and volume.name not in opened:
                opened.add(volume.name)
                allow_tcp(
                    egress_name=f"{name}-to-{volume.name}-nfs",
                    ingress_name=f"{volume.name}-nfs-from-{name}",
                    source=security_group.id,
                    target=target,
                    port=NFS_PORT,
                    description=f"{physical} mounts EFS volume {volume.name}",
                    opts=on_group,
                )

    @staticmethod
    def efs_problems(container: ContainerArgs, volumes: Sequence[EfsVolumeArgs]) -> list[str]:
        return efs_problems(volumes, taken_paths=[*writable_paths(container), *EXEC_AGENT_PATHS])

    @property
    def secret_refs(self) -> dict[str, str]:
        """Every ARN the sidecars and the log router read through the execution role."""
        refs = {
            f"{sidecar.name}:{variable}": arn
            for sidecar in self._sidecars
            for variable, arn in sidecar.secrets.items()
        }
        if self._firelens is not None:
            refs |= {f"firelens:{k}": v for k, v in self._firelens.secret_options.items()}
        return refs

    @property
    def registry_credentials(self) -> list[tuple[str, str | None]]:
        found = []
        own = self._container.repository_credentials
        if own is not None:
            found.append((own.secret_arn, own.kms_key_arn))
        found += [(s.repository_credentials, None) for s in self._sidecars
                  if s.repository_credentials]  # fmt: skip
        return found

    @property
    def images(self) -> list[str]:
        """Sidecar images (ECR ones are pulled with the execution role)."""
        return [s.image for s in self._sidecars]

    def task_statements(self) -> list[Any]:
        statements: list[Any] = list(self._statements)
        if self._firelens is not None and self._firelens.to_cloudwatch:
            statements.append(self._log_group.arn.apply(cloudwatch_delivery_statement))
        return statements
