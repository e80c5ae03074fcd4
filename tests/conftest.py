"""Shared fixtures: every program-level test runs the real __main__.py on the offline engine."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from tools.cheapest import cheapest as real_cheapest
from tools.engine import PlanResult, RecordedResource, run_program

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")


@functools.cache
def _plan(stack: str) -> PlanResult:
    return run_program(ROOT, stack)


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
