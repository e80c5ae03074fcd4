"""The committed stacks of both projects on the components (AccessWeaver's three, ca-a2a's two),
each with an ALB and Keycloak, for the tests that hold every one of them to the same rule."""

from __future__ import annotations

from collections.abc import Callable

from tests.test_ca_a2a import ca_a2a
from tools.engine import PlanResult

# (project, stack, region)
STACKS = [
    ("accessweaver", "dev", "eu-west-1"),
    ("accessweaver", "staging", "eu-west-1"),
    ("accessweaver", "prod", "eu-west-1"),
    ("ca-a2a", "dev", "eu-west-3"),
    ("ca-a2a", "prod", "eu-west-3"),
]
IDS = [f"{project}-{stack}" for project, stack, _ in STACKS]


def committed_plan(plan: Callable[[str], PlanResult], project: str, stack: str) -> PlanResult:
    """The cached offline plan of `project`'s committed `stack`: AccessWeaver's through the
    `plan` fixture, ca-a2a's through its own cache."""
    return plan(stack) if project == "accessweaver" else ca_a2a(stack)
