"""Fargate task sizes AWS accepts (Linux), as data, with pure helpers.

Source: "Task CPU and memory" in the Amazon ECS developer guide (Fargate, Linux platform 1.4.0).
Memory values are MiB.
"""

from __future__ import annotations

from ..errors import ConfigIssue


def _steps(start: int, stop: int, step: int) -> tuple[int, ...]:
    return tuple(range(start, stop + 1, step))


FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}


def is_valid_size(cpu: int, memory: int) -> bool:
    return memory in FARGATE_SIZES.get(cpu, ())


def describe_memory_choices(cpu: int) -> str:
    """Human-readable list of the memory sizes allowed with `cpu` (ranges folded)."""
    choices = FARGATE_SIZES[cpu]
    if len(choices) <= 3:
        return ", ".join(str(m) for m in choices)
    step = choices[1] - choices[0]
    return f"{choices[0]} to {choices[-1]} in steps of {step}"


def size_issues(
    cpu: int, memory: int, cpu_path: str, memory_path: str, issues: list[ConfigIssue]
) -> None:
    """A `ConfigIssue` naming `cpu_path` for a CPU size Fargate does not have, or `memory_path`
    for a memory it does not pair with that CPU."""
    if cpu not in FARGATE_SIZES:
        issues.append(
            ConfigIssue(
                cpu_path,
                cpu,
                "not a Fargate CPU size",
                ", ".join(str(c) for c in FARGATE_SIZES),
            )
        )
    elif not is_valid_size(cpu, memory):
        issues.append(
            ConfigIssue(
                memory_path,
                memory,
                f"Fargate does not run {cpu} CPU units with this memory",
                f"with cpu {cpu}: {describe_memory_choices(cpu)} MiB",
            )
        )


EPHEMERAL_STORAGE_GIB = (21, 200)
"""`ephemeralStorage.sizeInGib` Fargate takes (platform 1.4.0); 20 GiB come with every task
(ECS developer guide, "Fargate task ephemeral storage")."""
INCLUDED_EPHEMERAL_GIB = 20


def ephemeral_storage_problem(size_gib: int | None) -> str | None:
    """Why Fargate refuses this ephemeral storage size, or None."""
    low, high = EPHEMERAL_STORAGE_GIB
    if size_gib is None or low <= size_gib <= high:
        return None
    return (
        f"ephemeral_storage_gib {size_gib} is not {low}-{high} (Fargate gives every task "
        f"{INCLUDED_EPHEMERAL_GIB} GiB; leave it unset for those)"
    )


def ephemeral_storage_issues(size_gib: int | None) -> list[ConfigIssue]:
    """`ephemeral_storage_gib` at its argument when Fargate refuses the size, else none."""
    problem = ephemeral_storage_problem(size_gib)
    if problem is None:
        return []
    low, high = EPHEMERAL_STORAGE_GIB
    return [ConfigIssue("ephemeral_storage_gib", size_gib, problem, f"{low}-{high}")]
