"""An EFS file system services mount (`EfsVolumeArgs`), from its own arguments.

Creates: the file system, encrypted at rest (the AWS managed key, or `kms_key_arn`), elastic
throughput, files unread for 30 days moved to Infrequent Access; its backup policy (AWS Backup's
daily default plan); a security group of its own for the mount targets with no rule at all (each
service that mounts it opens its own path on 2049: ingress on this group from that service's
group only); one mount target per subnet given (one per Availability Zone); and a file system
policy that refuses any access without TLS. Access is granted by the services' task roles
through their access points (IAM authorization), never by the file system's policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_aws import ec2, efs

from .config import TransitionToIa

__all__ = ["EfsFileSystem", "EfsFileSystemArgs", "FileSystemRef", "tls_only_file_system_policy"]


@dataclass(frozen=True)
class FileSystemRef:
    """What a service needs of a file system to mount it (`EfsFileSystem.ref`, or existing)."""

    file_system_id: pulumi.Input[str]
    file_system_arn: pulumi.Input[str] | None = None
    """None: built from the id, the region and the account."""
    security_group_id: pulumi.Input[str] | None = None
    """The mount targets' group (the path on 2049 is opened to it); None = managed elsewhere."""


@dataclass(frozen=True)
class EfsFileSystemArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """One subnet per Availability Zone (the tasks' private subnets): a mount target in each."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer managed key; None = the AWS managed key `aws/elasticfilesystem`."""
    backup: bool = True
    """AWS Backup's daily default plan (control EFS.2)."""
    transition_to_ia: TransitionToIa | None = "AFTER_30_DAYS"
    """Move files unread this long to Infrequent Access; None = stay in Standard."""
    protect: bool = False
    """`protect=True` on the file system: `pulumi destroy` cannot delete the data."""
    tags: Mapping[str, str] = field(default_factory=dict)


def tls_only_file_system_policy(file_system_arn: str) -> dict:
    """Deny every NFS client that does not use TLS (EFS user guide, "Enforcing encryption in
    transit"); allows nothing (task roles do)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


class EfsFileSystem(pulumi.ComponentResource):
    file_system_id: pulumi.Output[str]
    file_system_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    """The mount targets' group: give it as `EfsVolumeArgs.mount_target_security_group_id`."""

    def __init__(
        self, name: str, args: EfsFileSystemArgs, opts: pulumi.ResourceOptions | None = None
    ):
        if not args.subnet_ids:
            raise ValueError(f"{name}: subnet_ids is empty; give one subnet per AZ")
        super().__init__("accessweaver:data:EfsFileSystem", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        file_system = efs.FileSystem(
            f"{name}-fs",
            encrypted=True,
            kms_key_id=args.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            lifecycle_policies=(
                [{"transition_to_ia": args.transition_to_ia}] if args.transition_to_ia else None
            ),
            tags={**tags, "Name": name},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.protect)),
        )
        on_fs = pulumi.ResourceOptions(parent=file_system)
        efs.BackupPolicy(
            f"{name}-backup",
            file_system_id=file_system.id,
            backup_policy={"status": "ENABLED" if args.backup else "DISABLED"},
            opts=on_fs,
        )
        efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=file_system.id,
            policy=file_system.arn.apply(lambda arn: json.dumps(tls_only_file_system_policy(arn))),
            opts=on_fs,
        )
        group = ec2.SecurityGroup(
            f"{name}-mount-sg",
            vpc_id=args.vpc_id,
            description=f"{name}: EFS mount targets, NFS from the services that mount it",
            tags={**tags, "Name": f"{name}-mount-targets"},
            opts=child,
        )
        for index, subnet in enumerate(args.subnet_ids):
            efs.MountTarget(
                f"{name}-mount-{index}",
                file_system_id=file_system.id,
                subnet_id=subnet,
                security_groups=[group.id],
                opts=on_fs,
            )
        self.file_system_id = file_system.id
        self.file_system_arn = file_system.arn
        self.security_group_id = group.id
        self.ref = FileSystemRef(file_system.id, file_system.arn, group.id)
        self.register_outputs(
            {
                "file_system_id": self.file_system_id,
                "file_system_arn": self.file_system_arn,
                "security_group_id": self.security_group_id,
            }
        )
