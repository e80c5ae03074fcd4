"""Shared fixtures: every program-level test runs the real __main__.py on the offline engine."""

from __future__ import annotations

import functools
import gc
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.shared_cache import SESSION_DIR, shared
from tools.cheapest import cheapest as real_cheapest
from tools.engine import EXAMPLE_RELEASE, PlanResult, RecordedResource, run_program

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")
CA_A2A = ROOT / "examples" / "ca-a2a"
BOOTSTRAP = ROOT / "bootstrap"


# The cyclic collector's first generation at 20,000 objects instead of 700: a test process
# allocates millions of short-lived objects (plans, parsed stack files, pydantic models) and
# collected them a few hundred at a time, a quarter of the suite's time; the engine collects
# what each run leaves (`tools/engine.py`, `_cyclic_gc_paused`). Measured in docs/DESIGN.md.
gc.set_threshold(20_000, 10, 10)


def pytest_configure(config):
    """The controller (or a run without workers) makes the session's shared cache folder; the
    workers it starts inherit it."""
    if not hasattr(config, "workerinput"):
        config._shared_cache = tempfile.TemporaryDirectory(prefix="accessweaver-tests-")
        os.environ[SESSION_DIR] = config._shared_cache.name


def pytest_unconfigure(config):
    folder = getattr(config, "_shared_cache", None)
    if folder is not None:
        os.environ.pop(SESSION_DIR, None)
        folder.cleanup()


@functools.cache
def planned(project: Path, stack: str, config_file: str | None = None) -> PlanResult:
    """The recorded run of a committed stack file of `project` (this program, examples/ca-a2a,
    bootstrap), once per test process: it is deterministic. `config_file` as given to
    `run_program` (it is the label messages name), None for the project's own. Shared by the
    session's workers (`tests/shared_cache.py`)."""
    return shared(
        ("planned", str(project), stack, config_file),
        lambda: run_program(project, stack, Path(config_file) if config_file else None),
    )


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
    return shared(("cheapest", str(ROOT), stack), lambda: real_cheapest(ROOT, stack))


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
