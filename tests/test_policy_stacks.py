"""The committed stacks against the policy pack: prod and staging clean, dev only documented.

Runs on every stack's recorded resources, so whatever the platform adds is checked too.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re

import pytest

from accessweaver_components.controls import CONTROLS
from policy.checks import specs
from tests.conftest import ROOT
from tests.test_readme import README
from tools.plan import main
from tools.policy_check import run_policies


@functools.cache
def _report(stack: str):
    from tests.conftest import _plan

    return run_policies(_plan(stack))


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_prod_and_staging_have_no_violation(stack):
    report = _report(stack)
    assert report.environment == stack
    assert report.violations == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_committed_waiver_hides_something(stack):
    assert _report(stack).unused_waivers == []


def test_staging_waives_two_tasks_only_for_the_three_one_task_services():
    waived = {(w["control"], w["resource"]) for w in _report("staging").waivers}
    rel3 = {resource for control, resource in waived if control == "REL.3"}
    assert rel3 == {
        f"{service}-{role}"
        for service in ("aw-pap-service", "aw-tenant-service", "aw-audit-service")
        for role in ("service", "scaling")
    }


def _documented_dev_advisories() -> list[tuple[str, list[str]]]:
    table = README.split("<!-- dev-advisories:start -->")[1].split("<!-- dev-advisories:end -->")[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        control, resources, _why = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((control, re.findall(r"`([^`]+)`", resources)))
    return rows


def test_dev_shows_only_the_advisories_the_readme_documents():
    report = _report("dev")
    assert report.mandatory == []
    rows = _documented_dev_advisories()
    undocumented = [
        (v["control"], v["resource"], v["message"])
        for v in report.violations
        if not any(
            v["control"] == control and any(fnmatch.fnmatchcase(v["resource"], p) for p in globs)
            for control, globs in rows
        )
    ]
    assert undocumented == []
    stale = [
        (control, pattern)
        for control, globs in rows
        for pattern in globs
        if not any(
            v["control"] == control and fnmatch.fnmatchcase(v["resource"], pattern)
            for v in report.violations
        )
    ]
    assert stale == []


def test_the_policy_reference_is_generated_and_lists_every_control_and_policy():
    from tools.policy_reference import OUTPUT, render

    body = OUTPUT.read_text()
    assert body == render(), "stale: run `python -m tools.policy_reference --write`"
    for control in CONTROLS:
        assert f"| {control}" in body or f"/{control}" in body, control
    for spec in specs():
        assert f"`{spec.name}`" in body, spec.name


def test_the_policy_reference_check_fails_when_stale(tmp_path, monkeypatch):
    import tools.policy_reference as module

    stale = tmp_path / "POLICIES.md"
    stale.write_text(module.render().replace("every stack", "all stacks", 1))
    monkeypatch.setattr(module, "OUTPUT", stale)
    assert module.main(["--check"]) == 1


def test_plan_prints_the_policy_results_and_the_waivers_applied(capsys, cached_engine):
    assert main(["staging"]) == 0
    text = capsys.readouterr().out
    assert "Policy pack accessweaver-controls (environment staging)" in text
    assert "0 mandatory and 0 advisory violation(s)" in text
    # grouped by control by default, every waiver with its reason with --verbose
    assert "waived (the program's defaults, components/stack/default_waivers.py): " in text
    assert "REL.3 x 6" in text
    assert main(["staging", "--verbose"]) == 0
    text = capsys.readouterr().out
    assert "Waivers applied (the program's defaults, components/stack/default_waivers.py):" in text
    assert "REL.3 on aw-pap-service-service" in text
    assert "reason: the seed runs aw-pap-service with one task in staging" in text


def test_plan_json_adds_the_violations(capsys, cached_engine):
    assert main(["dev", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["violations"]
    assert set(document["violations"][0]) == {
        "policy",
        "control",
        "resource",
        "message",
        "enforcement",
    }
    assert {v["enforcement"] for v in document["violations"]} == {"advisory"}


def test_plan_exits_3_when_a_mandatory_violation_would_fail_the_preview(capsys, monkeypatch):
    from tests.policy_fakes import baseline, plan_of, with_container

    resources = baseline()
    resources["task"] = with_container(resources["task"], privileged=True)
    broken = plan_of(list(resources.values()))
    monkeypatch.setattr("tools.engine.run_program", lambda *_a, **_k: broken)
    assert main(["prod"]) == 3
    text = capsys.readouterr().out
    assert re.search(r"mandatory\s+ECS\.4\s+1 x task: container app is privileged", text)
    assert "fix: remove `privileged: true`" in text


def _budget_findings(run_stack, stack: str, budget: float) -> list[dict]:
    from tools.policy_check import run_policies

    result = run_stack(stack, {"accessweaver:monthlyBudgetUsd": budget})
    return [v for v in run_policies(result).violations if v["policy"] == "monthly-budget"]


def test_prod_over_its_budget_is_a_mandatory_violation_naming_the_largest_lines(run_stack):
    (finding,) = _budget_findings(run_stack, "prod", 500)
    assert finding["control"] == "COST.1" and finding["enforcement"] == "mandatory"
    assert "exceeds monthlyBudgetUsd $500.00" in finding["message"]
    assert "largest lines: fargate" in finding["message"]


def test_a_budget_above_the_estimate_passes(run_stack, plan):
    total = plan("prod").outputs["estimated_monthly_cost"]["total_usd"]
    assert _budget_findings(run_stack, "prod", round(total + 1)) == []


def test_dev_over_its_budget_is_only_advisory(run_stack):
    (finding,) = _budget_findings(run_stack, "dev", 10)
    assert finding["enforcement"] == "advisory"


def test_the_plan_exits_3_when_prod_exceeds_its_budget(tmp_path, capsys):
    from tools.plan import main

    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(
        (ROOT / "Pulumi.prod.yaml").read_text() + "  accessweaver:monthlyBudgetUsd: 500\n"
    )
    assert main(["prod", "--config-file", str(stack_file)]) == 3
    assert "COST.1" in capsys.readouterr().out
