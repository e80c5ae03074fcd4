"""Shared fixtures: every program-level test runs the real __main__.py on the offline engine."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from tools.cheapest import cheapest as real_cheapest
from tools.engine import EXAMPLE_RELEASE, PlanResult, RecordedResource, run_program

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")
CA_A2A = ROOT / "examples" / "ca-a2a"
BOOTSTRAP = ROOT / "bootstrap"


@functools.cache
def planned(project: Path, stack: str, config_file: str | None = None) -> PlanResult:
    """The recorded run of a committed stack file of `project` (this program, examples/ca-a2a,
    bootstrap), once per test process: it is deterministic. `config_file` as given to
    `run_program` (it is the label messages name), None for the project's own."""
    return run_program(project, stack, Path(config_file) if config_file else None)


def _plan(stack: str) -> PlanResult:
    return planned(ROOT, stack)


def _committed(project: Path, stack: str, config_file: Path | None) -> bool:
    """Whether a run reads the project's committed `Pulumi.<stack>.yaml`."""
    own = project / f"Pulumi.{stack}.yaml"
    if config_file is not None and Path(config_file).resolve() != own:
        return False
    return own.is_file()


@pytest.fixture
def cached_engine(monkeypatch):
    """`tools.engine.run_program` answering a committed stack file, without a config override
    and with the default release, from `planned` (the engine itself is tested elsewhere);
    anything else runs the engine as usual. For tests of CLIs that plan committed stacks."""
    real = run_program

    def run(project_dir, stack, config_file=None, *, config_override=None,
            release=EXAMPLE_RELEASE):  # fmt: skip
        project = Path(project_dir).resolve()
        if (
            config_override
            or release != EXAMPLE_RELEASE
            or not _committed(project, stack, config_file)
        ):
            return real(project_dir, stack, config_file, config_override=config_override,
                        release=release)  # fmt: skip
        return planned(project, stack, None if config_file is None else str(config_file))

    monkeypatch.setattr("tools.engine.run_program", run)


@pytest.fixture(scope="session")
def plan():
    """`plan("prod")`: the recorded run of a committed stack file (cached: it is deterministic)."""
    return _plan


@functools.cache
def _cheapest(stack: str):
    return real_cheapest(ROOT, stack)


@pytest.fixture(scope="session")
def cheapest_of():
    """`cheapest_of("prod")`: the committed stack with every lever its checks accept (cached)."""
    return _cheapest


@pytest.fixture
def run_stack():
    """`run_stack("dev", {"accessweaver:key": value})`: a fresh run with changed config."""

    def run(stack: str, override: dict[str, Any] | None = None, **kwargs) -> PlanResult:
        encoded = {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in (override or {}).items()
        }
        return run_program(ROOT, stack, config_override=encoded, **kwargs)

    return run


def container_definitions(resource: RecordedResource) -> list[dict[str, Any]]:
    return json.loads(resource.inputs["containerDefinitions"])


def inputs_by_name(result: PlanResult, type_: str) -> dict[str, dict[str, Any]]:
    """Inputs of every resource of one type, keyed by logical name."""
    return {r.name: r.inputs for r in result.of_type(type_)}
