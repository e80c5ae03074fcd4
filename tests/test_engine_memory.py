"""The offline engine gives back what a run allocated: hundreds of plans in one test process
stay fast and bounded (tools/engine.py, `_cyclic_gc_paused`).

GIVEN programs run one after another on the engine, WHEN each run ends (or fails), THEN the
cyclic collector is on again as it was, what survives a run is out of later collections
(frozen), and more runs add nothing to what the process keeps (a failed run,
little).
"""

from __future__ import annotations

import gc

import pulumi
import pulumi_aws as aws
import pytest

from tools.engine import run_function


def _program(*, fail: bool = False):
    def program():
        queue = aws.sqs.Queue("jobs", message_retention_seconds=3600)
        pulumi.export("queue", queue.url)
        if fail:
            raise ValueError("the program refuses")

    return program


def _kept() -> int:
    """Objects the process keeps: those the collector tracks (after a collection) and those
    frozen out of it (a collection no longer sees them: frozen garbage is kept for good)."""
    gc.collect()
    return gc.get_freeze_count() + len(gc.get_objects())


def test_runs_keep_nothing_between_them():
    for _ in range(3):  # the modules a run imports, imported
        run_function(_program())
    kept = _kept()
    for _ in range(10):
        assert run_function(_program()).outputs["queue"]
    # A run registers and resolves a few thousand objects (its resources, outputs, tasks):
    # none of that may pile up, run after run.
    assert _kept() - kept < 1_000


def test_what_was_there_before_a_run_is_frozen_and_the_collector_is_on_again():
    gc.enable()
    run_function(_program())
    assert gc.isenabled()
    assert gc.get_freeze_count() > 10 * len(gc.get_objects(generation=2))


def test_a_failed_run_switches_the_collector_back_on_and_keeps_little_of_itself():
    run_function(_program())
    kept = _kept()
    for _ in range(5):
        with pytest.raises(ValueError, match="the program refuses"):
            run_function(_program(fail=True))
        assert gc.isenabled()
    run_function(_program())
    # A failed run leaves the frames its exception names (collected once the exception is
    # gone), never its loop or its threads.
    assert _kept() - kept < 5 * 1_000
