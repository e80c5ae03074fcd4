"""The IAM roles the compute components create for an AWS service to assume, and their inline
policies, built one way: the trust comes from `service_trust.py` (bound to this account and
the resource using the role), the stack's IAM path and permissions boundary from
`iam_path` (`service_role`, `trusted_role`), and each inline policy is a child of its role.

Used by the tasks' roles (`workload.py`), a scheduled task's Scheduler role (`task.py`), a
service's lifecycle-hook role (`microservice.py`) and the rotation restart's roles
(`rotation_restart.py`)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_aws import iam

from ..iam_path import trusted_role


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
    """`<name>-<key>-role` (`iam_path.trusted_role`) and its one inline policy
    `<name>-<key>-policy`."""
    role = trusted_role(
        f"{name}-{key}-role",
        description=description,
        assume_role_policy=trust,
        permissions_boundary=permissions_boundary,
        tags=tags,
        opts=opts,
    )
    return role, inline_policy(f"{name}-{key}-policy", role, document)
