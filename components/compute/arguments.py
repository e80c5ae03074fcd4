"""Rules on a Fargate workload's arguments, as pure functions (no resources).

One rule, two callers: the components (`Microservice`, `EcsTask`) report an issue at the
argument (`MicroserviceArgs.memory`), the stack layer (`components/stack/service_sizes.py`) at the
stack file's key (`serviceOverrides.x.memory`); each passes its own paths. The Fargate sizes
are `fargate.py`'s table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..errors import ConfigIssue

PORT_MIN, PORT_MAX = 1, 65535
PORTS_ALLOWED = f"a TCP port from {PORT_MIN} to {PORT_MAX}"


def port_issues(path: str, ports: Sequence[int]) -> list[ConfigIssue]:
    """Each port outside 1-65535, and each port given twice, at `path[<index>]`."""
    issues = []
    seen: set[int] = set()
    for index, port in enumerate(ports):
        where = f"{path}[{index}]"
        if isinstance(port, bool) or not isinstance(port, int) or not PORT_MIN <= port <= PORT_MAX:
            issues.append(ConfigIssue(where, port, "not a TCP port", PORTS_ALLOWED))
        elif port in seen:
            issues.append(ConfigIssue(where, port, "given twice", "each port once"))
        seen.add(port)
    return issues


def port_issue(path: str, port: int | None) -> list[ConfigIssue]:
    """`port` outside 1-65535 (None is no port: allowed)."""
    if port is None:
        return []
    return [ConfigIssue(path, i.value, i.problem, i.allowed) for i in port_issues(path, [port])]


ScalingProblem = Literal["negative", "minimum_above_maximum", "desired_outside"]


def scaling_problem(desired: int, minimum: int, maximum: int) -> ScalingProblem | None:
    """What is wrong with a desired count and the autoscaling bounds around it: a negative
    bound, a minimum above the maximum, or a desired count outside [minimum, maximum] (ECS
    would start that many tasks and Application Auto Scaling move them back at once)."""
    if minimum < 0 or maximum < 0:
        return "negative"
    if minimum > maximum:
        return "minimum_above_maximum"
    if not minimum <= desired <= maximum:
        return "desired_outside"
    return None


def scaling_issues(
    desired: int,
    minimum: int,
    maximum: int,
    *,
    desired_path: str,
    min_path: str,
    max_path: str,
) -> list[ConfigIssue]:
    """`scaling_problem` as an issue at the argument it concerns."""
    problem = scaling_problem(desired, minimum, maximum)
    if problem == "negative":
        path, value = (min_path, minimum) if minimum < 0 else (max_path, maximum)
        return [ConfigIssue(path, value, "a negative task count", "0 or more")]
    if problem == "minimum_above_maximum":
        return [
            ConfigIssue(
                min_path,
                minimum,
                f"above the autoscaling maximum ({max_path} = {maximum})",
                f"at most {maximum}",
            )
        ]
    if problem == "desired_outside":
        return [
            ConfigIssue(
                desired_path,
                desired,
                f"outside the autoscaling bounds [{minimum} ({min_path}), {maximum} ({max_path})]",
                f"{minimum} to {maximum}",
            )
        ]
    return []


def percentage_issue(path: str, value: int) -> list[ConfigIssue]:
    if 0 <= value <= 100:
        return []
    return [ConfigIssue(path, value, "not a percentage", "0 to 100")]
