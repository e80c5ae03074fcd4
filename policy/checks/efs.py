"""Policy checks: EFS file systems, their access points, and EFS volumes of task definitions
(EFS.1, EFS.3, EFS.4, ECS.EfsTransit*)."""

from __future__ import annotations

from .base import TASK, _resource, get, items

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"


@_resource(
    "efs-encrypted-at-rest", ("EFS.1",), "A", (FILE_SYSTEM,),
    "EFS file systems are encrypted at rest with KMS",
    "set encrypted=True (EfsFileSystem does; stack config fileSystems creates it so).",
)  # fmt: skip
def efs_encrypted(resource):
    if get(resource.props, "encrypted") is not True:
        yield "the file system is not encrypted at rest"


@_resource(
    "efs-access-point-scoped", ("EFS.3", "EFS.4"), "A", (ACCESS_POINT,),
    "EFS access points enforce a root directory and a POSIX user",
    "set root_directory.path below / and posix_user (EfsVolumeArgs.root_directory and uid/gid; "
    "stack config efsVolumes[].rootDirectory).",
)  # fmt: skip
def efs_access_point_scoped(resource):
    props = resource.props
    path = get(props, "rootDirectory", "path", default="/")
    if path in (None, "", "/"):
        yield "the access point's root directory is the file system's root (/)"
    if get(props, "posixUser") is None:
        yield "the access point enforces no POSIX user"


@_resource(
    "ecs-efs-volume-encrypted-in-transit", ("ECS.EfsTransit*",), "A", (TASK,),
    "EFS volumes of task definitions use TLS and the task role's IAM authorization",
    "set efs_volume_configuration.transit_encryption='ENABLED' and authorization_config.iam="
    "'ENABLED' with an access point (EfsVolumeArgs does).",
)  # fmt: skip
def ecs_efs_in_transit(resource):
    for volume in items(get(resource.props, "volumes")):
        config = get(volume, "efsVolumeConfiguration")
        if config is None:
            continue
        name = get(volume, "name")
        if get(config, "transitEncryption") != "ENABLED":
            yield f"EFS volume {name} is not encrypted in transit"
        if get(config, "authorizationConfig", "iam") != "ENABLED":
            yield f"EFS volume {name} is mounted without IAM authorization"
        if not get(config, "authorizationConfig", "accessPointId"):
            yield f"EFS volume {name} is mounted without an access point"
