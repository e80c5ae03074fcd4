"""The IAM roles the compute components create for an AWS service to assume, and their inline
policies, built one way: the trust comes from `service_trust.py` (bound to this account and
the resource using the role), the stack's IAM path and permissions boundary from
`iam_path.role_settings`, and each inline policy is a child of its role.

Used by the tasks' roles (`workload.py`), a scheduled task's Scheduler role (`task.py`), a
service's lifecycle-hook role (`microservice.py`) and the rotation restart's roles
(`rotation_restart.py`)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_aws import iam

from ..iam_path import role_settings


def service_role(
    name: str,
    *,
    description: str,
    trust: pulumi.Input[str],
    permissions_boundary: pulumi.Input[str] | None,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> iam.Role:
    """The role `name` an AWS service assumes under `trust` (a JSON trust policy), with the
    stack's IAM path, permissions boundary and tags."""
    return iam.Role(
        name,
        description=description,
        assume_role_policy=trust,
        **role_settings(tags, permissions_boundary),
        opts=opts,
    )


def inline_policy(name: str, role: iam.Role, document: pulumi.Input[str]) -> iam.RolePolicy:
    """`role`'s inline policy `name` (a JSON policy document), a child of the role."""
    return iam.RolePolicy(
        name, role=role.id, policy=document, opts=pulumi.ResourceOptions(parent=role)
    )


def role_with_policy(
    name: str,
    key: str,
    *,
    description: str,
    trust: pulumi.Input[str],
    document: pulumi.Input[str],
    permissions_boundary: pulumi.Input[str] | None,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> tuple[iam.Role, iam.RolePolicy]:
    """`<name>-<key>-role` (`service_role`) and its one inline policy `<name>-<key>-policy`."""
    role = service_role(
        f"{name}-{key}-role",
        description=description,
        trust=trust,
        permissions_boundary=permissions_boundary,
        tags=tags,
        opts=opts,
    )
    return role, inline_policy(f"{name}-{key}-policy", role, document)
