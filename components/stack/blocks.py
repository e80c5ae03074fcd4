"""A service's task-level building blocks, resolved from its catalog entry and its override.

`cpuArchitecture`, `capacityProviderStrategy`, `ephemeralStorageGib`, `repositoryCredentials`,
`sidecars`, `firelens` and `efsVolumes` may be set in `services.<name>` and in
`serviceOverrides.<name>`; the override's value replaces the catalog's whole (a list is not
merged), and unset falls back to the stack (`cpuArchitecture`, `fargateSpotPercentage`) or to
none. The rules are the components' own (`compute/sidecars.py`, `compute/cluster.py`,
`compute/efs_volumes.py`), reported at the key that holds the value. `fileSystems.<name>`
declares the EFS file systems `efsVolumes` mount: created by the stack, or existing by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..compute.cluster import CapacityShare, capacity_problems
from ..compute.config import CapacityShareConfig, EfsVolumeConfig, ServiceTuning, SidecarConfig
from ..compute.containers import EXEC_AGENT_PATHS, RegistryCredentials
from ..compute.efs_volumes import EfsVolumeArgs, efs_problems
from ..compute.sidecars import (
    FLUENT_BIT_IMAGE,
    FireLensArgs,
    SidecarArgs,
    sidecar_problems,
    sidecars_memory_mib,
)
from ..data.config import FileSystemConfig
from ..errors import ConfigIssue

BLOCK_KEYS = (
    "cpu_architecture",
    "capacity_provider_strategy",
    "ephemeral_storage_gib",
    "repository_credentials",
    "sidecars",
    "firelens",
    "efs_volumes",
)


@dataclass(frozen=True)
class EfsMountSettings:
    """One `efsVolumes` entry: the file system by its `fileSystems` key."""

    file_system: str
    name: str
    container_path: str
    read_only: bool = False
    root_directory: str | None = None
    """None: `/<ECS service name>` (the component's default)."""
    uid: int | None = None
    gid: int | None = None
    permissions: str = "750"


@dataclass(frozen=True)
class FileSystemSettings:
    """`fileSystems.<name>` resolved: existing (`file_system_id`) or created by the stack."""

    name: str
    file_system_id: str | None = None
    mount_target_security_group_id: str | None = None
    backup: bool = True
    transition_to_ia: str | None = "AFTER_30_DAYS"


@dataclass(frozen=True)
class ServiceBlocks:
    """What the service's task adds to the application container; empty = nothing."""

    cpu_architecture: Literal["X86_64", "ARM64"] | None = None
    """None: the stack's."""
    capacity: tuple[CapacityShare, ...] = ()
    """Empty: the stack's Spot share."""
    ephemeral_storage_gib: int | None = None
    repository_credentials: RegistryCredentials | None = None
    sidecars: tuple[SidecarArgs, ...] = ()
    firelens: FireLensArgs | None = None
    efs_volumes: tuple[EfsMountSettings, ...] = ()

    @property
    def own_memory_mib(self) -> int:
        return sidecars_memory_mib(self.sidecars, self.firelens)


def _chosen(key: str, sources: Sequence[tuple[str, ServiceTuning | None]]) -> tuple[str, Any]:
    """(key path, value) of the first source that sets `key` (the override before the
    catalog), or ("", None)."""
    for where, source in sources:
        if source is not None and getattr(source, key) is not None:
            camel = key.split("_")[0] + "".join(p.capitalize() for p in key.split("_")[1:])
            return f"{where}.{camel}", getattr(source, key)
    return "", None


def resolve_blocks(
    name: str,
    sources: Sequence[tuple[str, ServiceTuning | None]],
    *,
    port: int | None,
    writable_paths: Sequence[str],
    file_systems: Mapping[str, FileSystemConfig],
    issues: list[ConfigIssue],
) -> ServiceBlocks:
    """The service's blocks from `sources` (`(key path, model)`, override first)."""
    picked = {key: _chosen(key, sources) for key in BLOCK_KEYS}
    _, architecture = picked["cpu_architecture"]
    capacity = _capacity(*picked["capacity_provider_strategy"], issues)
    _, storage = picked["ephemeral_storage_gib"]
    _, credentials_config = picked["repository_credentials"]
    credentials = (
        RegistryCredentials(credentials_config.secret_arn, credentials_config.kms_key_arn)
        if credentials_config is not None
        else None
    )
    sidecars_path, sidecar_configs = picked["sidecars"]
    sidecars = tuple(_sidecar(s) for s in sidecar_configs or ())
    firelens_path, firelens_config = picked["firelens"]
    firelens = (
        FireLensArgs(
            output=dict(firelens_config.output),
            secret_options=dict(firelens_config.secret_options),
            image=firelens_config.image or FLUENT_BIT_IMAGE,
            memory=firelens_config.memory,
        )
        if firelens_config is not None
        else None
    )
    issues += sidecar_problems(
        sidecars,
        app_name=name,
        app_port=port,
        where=sidecars_path.removesuffix(".sidecars"),
        camel=True,
    )
    issues += sidecar_problems(
        (), app_name=name, app_port=port, firelens=firelens,
        where=firelens_path.removesuffix(".firelens"), camel=True,
    )  # fmt: skip
    return ServiceBlocks(
        cpu_architecture=architecture,
        capacity=capacity,
        ephemeral_storage_gib=storage,
        repository_credentials=credentials,
        sidecars=sidecars,
        firelens=firelens,
        efs_volumes=_efs_mounts(
            *picked["efs_volumes"], file_systems, writable_paths=writable_paths, issues=issues
        ),
    )


def _capacity(
    path: str, configs: Sequence[CapacityShareConfig] | None, issues: list[ConfigIssue]
) -> tuple[CapacityShare, ...]:
    """`capacityProviderStrategy` as the cluster's shares, under the cluster's rules."""
    capacity = tuple(
        CapacityShare(s.capacity_provider, weight=s.weight, base=s.base) for s in configs or ()
    )
    for problem in capacity_problems(capacity, "") if capacity else ():
        issues.append(
            ConfigIssue(
                path,
                [s.model_dump(by_alias=True) for s in configs or ()],
                problem.lstrip(": "),
                "each provider once, a weight above 0 on one at least, a base on one at most",
            )
        )
    return capacity


def _sidecar(config: SidecarConfig) -> SidecarArgs:
    """One `sidecars` entry as the component's argument."""
    return SidecarArgs(
        name=config.name,
        image=config.image,
        memory=config.memory,
        cpu=config.cpu,
        port=config.port,
        environment=dict(config.environment),
        secrets=dict(config.secrets),
        essential=config.essential,
        health_check=tuple(config.health_check) if config.health_check else None,
        command=tuple(config.command) if config.command else None,
        user=config.user,
        depends_on=dict(config.depends_on),
        app_waits_for=config.app_waits_for,
        repository_credentials=config.repository_credentials,
    )


def _efs_mounts(
    path: str,
    configs: Sequence[EfsVolumeConfig] | None,
    file_systems: Mapping[str, FileSystemConfig],
    *,
    writable_paths: Sequence[str],
    issues: list[ConfigIssue],
) -> tuple[EfsMountSettings, ...]:
    """`efsVolumes`: each on a declared file system, at a path not mounted already."""
    mounts = []
    for index, v in enumerate(configs or ()):
        if v.file_system not in file_systems:
            issues.append(
                ConfigIssue(
                    f"{path}[{index}].fileSystem",
                    v.file_system,
                    "no such file system in fileSystems",
                    ", ".join(sorted(file_systems)) or "declare it under fileSystems first",
                )
            )
        mounts.append(
            EfsMountSettings(
                file_system=v.file_system,
                name=v.name,
                container_path=v.container_path,
                read_only=v.read_only,
                root_directory=v.root_directory,
                uid=v.uid,
                gid=v.gid,
                permissions=v.permissions,
            )
        )
    probe = [
        EfsVolumeArgs(m.name, "fs-0", m.container_path, root_directory=m.root_directory)
        for m in mounts
    ]
    for problem in efs_problems(probe, taken_paths=["/tmp", *writable_paths, *EXEC_AGENT_PATHS]):
        issues.append(
            ConfigIssue(
                path,
                [m.container_path for m in mounts],
                problem,
                "unique volume names, absolute paths not mounted already (/tmp, writablePaths)",
            )
        )
    return tuple(mounts)


def resolve_file_systems(
    file_systems: Mapping[str, FileSystemConfig], issues: list[ConfigIssue]
) -> tuple[FileSystemSettings, ...]:
    resolved = []
    for name in sorted(file_systems):
        spec = file_systems[name]
        if spec.mount_target_security_group_id and not spec.file_system_id:
            issues.append(
                ConfigIssue(
                    f"fileSystems.{name}.mountTargetSecurityGroupId",
                    spec.mount_target_security_group_id,
                    "given for a file system the stack creates (it makes its own group)",
                    "only with fileSystemId",
                )
            )
        resolved.append(
            FileSystemSettings(
                name=name,
                file_system_id=spec.file_system_id,
                mount_target_security_group_id=spec.mount_target_security_group_id,
                backup=spec.backup,
                transition_to_ia=spec.transition_to_ia,
            )
        )
    return tuple(resolved)
