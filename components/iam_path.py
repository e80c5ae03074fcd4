"""Where the roles the program creates live in IAM: `/<Project>/<Environment>/`.

An IAM path is part of a role's ARN (`arn:aws:iam::<account>:role/<path><name>`), so a policy
can name every role of one project's environment, and only those, whatever their generated
names: the bootstrap's deploy role creates, changes and passes `role/<project>/<env>/*` alone
(components/bootstrap/policies.py), never an administrator's role elsewhere in the account.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SEGMENT = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,64}$")


def role_path(tags: Mapping[str, str]) -> str:
    """`/<Project>/<Environment>/` from the resource's tags, `/` when one is missing (a
    component used without them)."""
    project, environment = tags.get("Project"), tags.get("Environment")
    if project and environment and _SEGMENT.match(project) and _SEGMENT.match(environment):
        return f"/{project}/{environment}/"
    return "/"
