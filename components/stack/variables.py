"""What a workload's (a service's or a task's) plain environment may hold, checked the same way
for both: no secret-looking variable (`check_env_vars`) and nothing the service graph wires from
what it uses and calls (`wired_names`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..bindings import queue_variable, url_variable
from ..data.config import CACHE_ENV, DATABASE_ENV, DOCUMENTS_ENV
from ..errors import SECRET_NAME, ConfigIssue
from ..identity.config import JWT_ENV, KEYCLOAK_ENV

# Names the ECS.8 control forbids outright, and the shapes the task asks us to refuse as plain
# text: *PASSWORD*, *SECRET*, *TOKEN* (plus close cousins) and AWS access key ids as values.
FORBIDDEN_ENV_NAMES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}
AWS_KEY_VALUE = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")


def check_env_vars(
    variables: Mapping[str, str], path: str, secrets_path: str, issues: list[ConfigIssue]
) -> None:
    """Refuse secret-looking plain variables; `secrets_path` is where they belong instead."""
    for name, value in variables.items():
        if name in FORBIDDEN_ENV_NAMES or SECRET_NAME.search(name):
            problem = "looks like a secret in a plain environment variable"
        elif AWS_KEY_VALUE.search(value):
            problem = "value contains an AWS access key id"
        else:
            continue
        issues.append(
            ConfigIssue(
                f"{path}.{name}",
                "<hidden>",
                problem,
                f"a Secrets Manager or SSM parameter ARN under {secrets_path}.{name} "
                "(tasks get AWS credentials from their IAM task role)",
            )
        )


def wired_names(uses: Any, calls: Sequence[str], platform: Any) -> frozenset[str]:
    """The variables the program gives a service (or a task) from what it uses and calls (a
    database or cache of another program brings its path only: its settings stay the stack's to
    give). `uses` is a `ServiceUses` or a `TaskUses` (no queue to consume), `platform` the
    stack's `PlatformSettings`."""
    names: set[str] = {url_variable(callee) for callee in calls}
    consumed = getattr(uses, "consumes", None)
    names |= {queue_variable(q) for q in [consumed, *uses.sends_to] if q}
    for used, variables in (
        (uses.database and platform.database is not None, DATABASE_ENV),
        (uses.cache and platform.cache is not None, CACHE_ENV),
        (uses.documents is not None, DOCUMENTS_ENV),
        (uses.jwt_key, JWT_ENV),
        (uses.keycloak, KEYCLOAK_ENV),
    ):
        if used:
            names.update(variables)
    return frozenset(names)
