"""tools.plan_snapshot: the byte-identical-plans check of refactoring commits reports a change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tools import plan_snapshot
from tools.engine import PlanResult


class _Findings:
    def __init__(self, violations: list[dict] | None = None) -> None:
        self.violations = violations or []

    def to_json(self) -> dict:
        return {"violations": self.violations, "waivers": []}


def _changed(result: PlanResult, index: int, **inputs) -> PlanResult:
    resources = list(result.resources)
    resource = resources[index]
    resources[index] = dataclasses.replace(resource, inputs={**resource.inputs, **inputs})
    return dataclasses.replace(result, resources=resources)


def test_every_committed_stack_file_is_snapshotted():
    files = {
        project / f"Pulumi.{stack}.yaml" for _, project, stack in plan_snapshot.committed_stacks()
    }
    committed = {
        path
        for project in (plan_snapshot.ROOT, *(p for _, p, _ in plan_snapshot.COMMITTED))
        for path in Path(project).glob("Pulumi.*.yaml")
    }
    assert files == committed
    assert len(files) == 8


def test_the_document_ignores_registration_order_but_not_an_input(plan):
    result = plan("dev")
    text = plan_snapshot.document(result, _Findings())
    reordered = dataclasses.replace(result, resources=list(reversed(result.resources)))
    assert plan_snapshot.document(reordered, _Findings()) == text
    assert plan_snapshot.document(_changed(result, 3, extra="x"), _Findings()) != text
    finding = {"control": "X.1", "resource": "r", "message": "m"}
    assert plan_snapshot.document(result, _Findings([finding])) != text


def test_compare_reports_a_changed_missing_and_extra_plan(plan, tmp_path, capsys):
    result = plan("dev")
    documents = {
        "a.dev.json": plan_snapshot.document(result, _Findings()),
        "b.dev.json": "{}\n",
    }
    assert plan_snapshot.main(["--write", str(tmp_path)], plan=lambda: documents) == 0
    assert plan_snapshot.main(["--compare", str(tmp_path)], plan=lambda: documents) == 0
    assert "all 2 committed stacks byte-identical" in capsys.readouterr().out

    name = result.resources[3].name
    changed = {
        "a.dev.json": plan_snapshot.document(_changed(result, 3, extra="x"), _Findings()),
        "c.dev.json": "{}\n",
    }
    assert plan_snapshot.main(["--compare", str(tmp_path)], plan=lambda: changed) == 1
    out = capsys.readouterr().out
    assert "a.dev.json: differs" in out
    assert '+    "extra": "x"' in out
    assert name in out  # the diff's context names the changed resource
    assert "b.dev.json: in" in out and "no longer planned" in out
    assert "c.dev.json: planned but not in" in out
    assert "3 difference(s) from the offline plans in" in out


def test_compare_needs_an_existing_directory(tmp_path, capsys):
    missing = tmp_path / "nothing"
    assert plan_snapshot.main(["--compare", str(missing)], plan=lambda: {}) == 2
    assert "no such directory" in capsys.readouterr().err
