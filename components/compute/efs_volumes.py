"""EFS volumes of a service's task, as plain data (no resources).

Each volume mounts one EFS file system through an access point of the service's own (a POSIX
user and a root directory it cannot leave), encrypted in transit (TLS) and authorized with the
task role (`authorizationConfig.iam = ENABLED`): the task role may `ClientMount` (and
`ClientWrite` unless read-only) on that file system only, and only through that access point
(`elasticfilesystem:AccessPointArn`). The mount targets are reached on NFS's port 2049 from the
service's security group. The file system itself (encrypted at rest, backed up) is the
`EfsFileSystem` component's, or an existing one given by id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

NFS_PORT = 2049
_VOLUME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_PATH = re.compile(r"^/[A-Za-z0-9/_.-]*$")


@dataclass(frozen=True)
class EfsVolumeArgs:
    """One EFS file system mounted in the application container."""

    name: str
    """Task volume name (letters, digits, '-', '_')."""
    file_system_id: pulumi.Input[str]
    """`fs-...`: an `EfsFileSystem`'s `file_system_id`, or an existing one."""
    container_path: str
    """Where the application sees it (absolute)."""
    read_only: bool = False
    """Mount read-only, and the task role gets `ClientMount` without `ClientWrite`."""
    root_directory: str | None = None
    """The access point's root: the service sees this directory of the file system as `/`
    and nothing above it (created with `uid`/`gid` and `permissions` when missing); None =
    `/<service name>` (never the file system's root: control EFS.3)."""
    uid: int | None = None
    """POSIX user every request through the access point runs as; None = the container's."""
    gid: int | None = None
    """None = the container's group, else its uid."""
    permissions: str = "750"
    """Octal mode the root directory is created with."""
    mount_target_security_group_id: pulumi.Input[str] | None = None
    """The mount targets' security group: the service's path to it on 2049 is opened (ingress
    on it too); None = a path managed elsewhere."""
    file_system_arn: pulumi.Input[str] | None = None
    """Default: built from the id, the region and the account."""


def posix_identity(volume: EfsVolumeArgs, user: str) -> tuple[int, int]:
    """(uid, gid) of the access point: the volume's, else the container's `uid[:gid]`."""
    own_uid, _, own_gid = user.partition(":")
    uid = volume.uid if volume.uid is not None else int(own_uid) if own_uid.isdigit() else 1000
    if volume.gid is not None:
        return uid, volume.gid
    return uid, int(own_gid) if own_gid.isdigit() else uid


def efs_problems(volumes: Sequence[EfsVolumeArgs], *, taken_paths: Sequence[str]) -> list[str]:
    """Names, paths and identities the task definition or EFS would refuse."""
    problems: list[str] = []
    names = [v.name for v in volumes]
    paths = [v.container_path for v in volumes]
    for v in volumes:
        where = f"efs_volumes[{v.name}]"
        if not _VOLUME.match(v.name):
            problems.append(f"{where}.name {v.name!r} is not a volume name (letters, digits, -, _)")
        if names.count(v.name) > 1:
            problems.append(f"{where}.name is given twice")
        if not _PATH.match(v.container_path) or v.container_path == "/":
            problems.append(f"{where}.container_path {v.container_path!r} is not an absolute path")
        elif v.container_path in taken_paths or paths.count(v.container_path) > 1:
            problems.append(f"{where}.container_path {v.container_path!r} is mounted already")
        if v.root_directory is not None and (
            not _PATH.match(v.root_directory) or len(v.root_directory) > 100
        ):
            problems.append(
                f"{where}.root_directory {v.root_directory!r} is not an absolute path of at "
                "most 100 characters"
            )
        for key, value in (("uid", v.uid), ("gid", v.gid)):
            if value is not None and not 0 <= value <= 4294967295:
                problems.append(f"{where}.{key} {value} is not 0-4294967295")
        if v.uid == 0:
            problems.append(f"{where}.uid 0 is root; give the service's non-root uid")
        if not re.fullmatch(r"[0-7]{3,4}", v.permissions):
            problems.append(f"{where}.permissions {v.permissions!r} is not an octal mode")
    return problems


def efs_task_volume(volume: EfsVolumeArgs, access_point_id: pulumi.Input[str]) -> dict[str, Any]:
    """The task definition's volume (pulumi_aws names): TLS, the task role, the access point
    (whose root replaces `root_directory`, which must then stay `/`)."""
    return {
        "name": volume.name,
        "efs_volume_configuration": {
            "file_system_id": volume.file_system_id,
            "transit_encryption": "ENABLED",
            "authorization_config": {"access_point_id": access_point_id, "iam": "ENABLED"},
        },
    }


def efs_mount(volume: EfsVolumeArgs) -> dict[str, Any]:
    return {
        "sourceVolume": volume.name,
        "containerPath": volume.container_path,
        "readOnly": volume.read_only,
    }


def efs_client_statement(
    sid: str, *, file_system_arn: str, access_point_arn: str, read_only: bool
) -> dict[str, Any]:
    """Mount (and write unless `read_only`) this file system through this access point only
    (EFS user guide, "Using IAM to control file system data access")."""
    actions = ["elasticfilesystem:ClientMount"]
    if not read_only:
        actions.append("elasticfilesystem:ClientWrite")
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": file_system_arn,
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn}},
    }


def file_system_arn(region: str, account_id: str, file_system_id: str) -> str:
    return f"arn:aws:elasticfilesystem:{region}:{account_id}:file-system/{file_system_id}"


def statement_sid(volume: str) -> str:
    """IAM Sids are alphanumeric: `Efs` + the volume name without its separators."""
    return "Efs" + "".join(part.capitalize() for part in re.split(r"[-_]", volume))
