"""A service's size as `resolve.py` resolves it: CPU, memory and desired count for the stack's
environment, the autoscaling bounds around them, each with the key path a message names (the
override's when set, else where the default came from)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

from ..compute.arguments import scaling_problem
from ..compute.config import ServiceOverride
from ..compute.fargate import size_issues
from ..errors import ConfigIssue
from .catalog import SEED_SINGLE_TASKS
from .environments import EnvironmentDefaults
from .model import StackConfig
from .service_entries import ServiceCatalog


def pick(
    override: ServiceOverride | None, name: str, attr: str, default: Any, default_path: str
) -> tuple[Any, str]:
    """The override's value and its key path when set, else the default and where it came from."""
    value = getattr(override, attr) if override is not None else None
    if value is not None:
        return value, f"serviceOverrides.{name}.{to_camel(attr)}"
    return default, default_path


@dataclass(frozen=True)
class ServiceSize:
    """A service's task size and task counts, with the key paths that set them."""

    cpu: int
    memory: int
    desired: int
    minimum: int
    maximum: int
    cpu_path: str
    memory_path: str
    valid: bool
    """Fargate accepts the CPU and memory (one problem per key, not two)."""
    seed_single_task: str | None
    """Why the base catalog's entry runs a single task here (a default waiver), or None."""


def service_size(
    name: str,
    config: StackConfig,
    catalog: ServiceCatalog,
    chosen: EnvironmentDefaults,
    issues: list[ConfigIssue],
) -> ServiceSize | None:
    """The service's size in the stack's environment, or None when it has none, or when its
    bounds are the stack-wide ones already reported out of order (not once per service)."""
    env = config.environment
    spec = catalog.specs[name]
    override = config.service_overrides.get(name)
    size_base = catalog.size_base(name, env)
    size = spec.sizes.get(env)
    if size is None:
        issues.append(
            ConfigIssue(
                f"{catalog.spec_path(name)}.sizes.{env}",
                None,
                f"no size for environment {env}",
                "a {cpu, memory, desiredCount} entry for every environment the catalog runs in",
            )
        )
        return None
    cpu, cpu_path = pick(override, name, "cpu", size.cpu, f"{size_base}.cpu")
    memory, memory_path = pick(override, name, "memory", size.memory, f"{size_base}.memory")
    desired, desired_path = pick(
        override, name, "desired_count", size.desired_count, f"{size_base}.desiredCount"
    )
    before = len(issues)
    size_issues(cpu, memory, cpu_path, memory_path, issues)
    valid_size = len(issues) == before
    default_min = (
        config.min_capacity_override if config.min_capacity_override is not None else desired
    )
    minimum, min_path = pick(
        override,
        name,
        "min_capacity",
        default_min,
        "minCapacityOverride" if config.min_capacity_override is not None else desired_path,
    )
    maximum, max_path = pick(
        override,
        name,
        "max_capacity",
        chosen.max_capacity,
        "maxCapacityOverride" if config.max_capacity_override is not None else f"({env} default)",
    )
    origin = catalog.origin(name)
    seed_single_task = (
        SEED_SINGLE_TASKS[env][name]
        if origin.from_base
        and "sizes" not in origin.stack_keys
        and desired == minimum == 1
        and desired_path == min_path == f"{size_base}.desiredCount"
        and not (override is not None and override.desired_count is not None)
        and name in SEED_SINGLE_TASKS.get(env, {})
        else None
    )
    if config.auto_scaling_enabled and not _bounds_in_order(
        name, (desired, desired_path), (minimum, min_path), (maximum, max_path), issues
    ):
        return None
    return ServiceSize(
        cpu, memory, desired, minimum, maximum, cpu_path, memory_path, valid_size, seed_single_task
    )


def _bounds_in_order(
    name: str,
    desired: tuple[int, str],
    minimum: tuple[int, str],
    maximum: tuple[int, str],
    issues: list[ConfigIssue],
) -> bool:
    """The components' rule (compute/arguments.py), worded here at the stack file's keys; a
    negative count never gets here (the model's bounds refuse it). False: the bounds are the
    stack-wide ones, already reported out of order."""
    (count, desired_path), (low, min_path), (high, max_path) = desired, minimum, maximum
    bounds = scaling_problem(count, low, high)
    if bounds == "minimum_above_maximum":
        if (min_path, max_path) == ("minCapacityOverride", "maxCapacityOverride"):
            return False  # reported once by the stack-wide rule, not once per service
        what = "desired count" if min_path == desired_path else "autoscaling minimum"
        issues.append(
            ConfigIssue(
                min_path,
                low,
                f"{name}: {what} is above the autoscaling maximum ({high}, {max_path})",
                f"at most {high}",
            )
        )
    elif bounds == "desired_outside":
        issues.append(
            ConfigIssue(
                desired_path,
                count,
                f"{name}: desired count outside autoscaling bounds "
                f"[{low} ({min_path}), {high} ({max_path})]",
                f"{low} to {high}",
            )
        )
    return True
