"""Where the roles the program creates live in IAM: `/<Project>/<Environment>/`.

An IAM path is part of a role's ARN (`arn:aws:iam::<account>:role/<path><name>`), so a policy
can name every role of one project's environment, and only those, whatever their generated
names: the bootstrap's deploy role creates, changes and passes `role/<project>/<env>/*` alone
(components/bootstrap/boundary.py), never an administrator's role elsewhere in the account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws import iam

_SEGMENT = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,64}$")


def role_path(tags: Mapping[str, str]) -> str:
    """`/<Project>/<Environment>/` from the resource's tags, `/` when one is missing (a
    component used without them)."""
    project, environment = tags.get("Project"), tags.get("Environment")
    if project and environment and _SEGMENT.match(project) and _SEGMENT.match(environment):
        return f"/{project}/{environment}/"
    return "/"


BOUNDARY_TAG = "PermissionsBoundary"
"""The tag every role created with a permissions boundary carries (value: the boundary policy's
name). The bootstrap's deploy role passes, edits and deletes only roles carrying it, and may set
it only in the CreateRole that also sets the boundary (`iam_statements`,
components/bootstrap/policies.py)."""


def boundary_tag(boundary_arn: str) -> dict[str, str]:
    """`{BOUNDARY_TAG: <policy name>}` for `arn:aws:iam::<acct>:policy/<path><name>`."""
    return {BOUNDARY_TAG: boundary_arn.rsplit("/", 1)[-1]}


def role_settings(
    tags: Mapping[str, str], permissions_boundary: pulumi.Input[str] | None
) -> dict[str, Any]:
    """The keyword arguments every role of the program is created with: its path, its
    permissions boundary and its tags, the boundary's tag included when there is one."""
    tagged: pulumi.Input[Mapping[str, str]]
    if permissions_boundary is None:
        tagged = dict(tags)
    elif isinstance(permissions_boundary, str):
        tagged = {**tags, **boundary_tag(permissions_boundary)}
    else:
        tagged = pulumi.Output.from_input(permissions_boundary).apply(
            lambda arn: {**tags, **boundary_tag(arn)}
        )
    return {"path": role_path(tags), "permissions_boundary": permissions_boundary, "tags": tagged}


def service_role(
    resource_name: str,
    *,
    description: str,
    trust: Callable[[str], dict[str, Any]],
    tags: Mapping[str, str],
    permissions_boundary: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
    account_id: pulumi.Input[str] | None = None,
    **arguments: Any,
) -> iam.Role:
    """A role an AWS service assumes for one component: `trust(account_id)` is its trust policy
    (`account_id` default: the deploying account), created with the program's path, permissions
    boundary and tags (`role_settings`); `arguments` are further `iam.Role` arguments."""
    account = (
        pulumi.Output.from_input(account_id)
        if account_id is not None
        else aws.get_caller_identity_output().account_id
    )
    return trusted_role(
        resource_name,
        description=description,
        assume_role_policy=account.apply(lambda acct: json.dumps(trust(acct))),
        tags=tags,
        permissions_boundary=permissions_boundary,
        opts=opts,
        **arguments,
    )


def trusted_role(
    resource_name: str,
    *,
    description: str,
    assume_role_policy: pulumi.Input[str],
    tags: Mapping[str, str],
    permissions_boundary: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
    **arguments: Any,
) -> iam.Role:
    """A role under a trust policy already written (`assume_role_policy`, JSON: one that reads
    more than the account, as a scheduler's reads its schedule group), with the program's path,
    permissions boundary and tags (`role_settings`); `service_role` when the account is all."""
    return iam.Role(
        resource_name,
        description=description,
        assume_role_policy=assume_role_policy,
        **arguments,
        **role_settings(tags, permissions_boundary),
        opts=opts,
    )
