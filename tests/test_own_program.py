"""The offline plan, the cost estimate and the policy pack on a program of one's own built on the
components (`tests/own_program`: no AccessWeaver stack config, no `estimated_monthly_cost`
output), the way `python -m tools.plan --project DIR` runs them."""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import re
from types import SimpleNamespace

import pytest

from accessweaver_components.cost import (
    estimate_registered,
    fargate_monthly_usd,
    registered_services,
    task_split,
)
from accessweaver_components.cost.prices import PRICES
from tests.conftest import ROOT
from tests.resource_types import SERVICE, TASK
from tools import plan as plan_cli
from tools.engine import run_program
from tools.policy_check import PolicyReport, render_report

PROJECT = ROOT / "tests" / "own_program"


@pytest.fixture(scope="module")
def shop():
    return run_program(PROJECT, "dev")


def test_compare_works_on_a_program_without_the_cost_output(capsys):
    # GIVEN a program that exports no estimated_monthly_cost (the KeyError of issue 21)
    # WHEN two of its stacks are compared
    assert plan_cli.main(["--compare", "dev", "dev2", "--project", str(PROJECT)]) == 0
    table = capsys.readouterr().out
    # THEN each column prices what that stack registers: dev2 runs one more orders task
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines() if line.strip()}
    dev, dev2 = (float(v.replace(",", "")) for v in rows["TOTAL"])
    assert 0 < dev < dev2
    assert rows["tasks"][-2:] == ["2", "3"]
    # AND no cheapest-configuration line: its levers are AccessWeaver's stack keys
    assert "cheapest the checks accept" not in table


def test_the_estimate_prices_the_registered_task_definitions_and_services(shop):
    estimate = estimate_registered(shop.resources, region="eu-west-1", stack="dev").to_output()
    per_service = estimate["per_service"]
    assert set(per_service) == {"orders-service", "mailer-service"}
    prices = PRICES["eu-west-1"]
    for name, service in per_service.items():
        task = shop.one(TASK, name.replace("-service", "-task")).inputs
        registered = shop.one(SERVICE, name).inputs
        assert service["vcpu_per_task"] == int(task["cpu"]) / 1024
        assert service["memory_gb_per_task"] == int(task["memory"]) / 1024
        assert service["tasks"] == registered["desiredCount"]
        weights = {
            s["capacityProvider"]: s["weight"]
            for s in registered.get("capacityProviderStrategies") or []
        }
        spot = round(100 * weights.get("FARGATE_SPOT", 0) / (sum(weights.values()) or 1))
        on_demand, spot_tasks = task_split(service["tasks"], spot)
        expected = fargate_monthly_usd(
            vcpu=service["vcpu_per_task"], memory_gb=service["memory_gb_per_task"],
            on_demand_tasks=on_demand, spot_tasks=spot_tasks, hours=730,
            architecture=task["runtimePlatform"]["cpuArchitecture"], prices=prices,
        )  # fmt: skip
        assert service["fargate_usd"] == round(expected, 2)
    assert estimate["line_items_usd"]["fargate"] > 0
    assert estimate["total_usd"] == round(sum(estimate["line_items_usd"].values()), 2)


def _resource(type_, name, parent, **inputs):
    return SimpleNamespace(type=type_, name=name, parent=parent, inputs=inputs)


def test_each_registered_service_keeps_its_own_architecture_and_spot_share():
    # GIVEN two hand-made services: an ARM64 one all on Spot, an X86_64 one on demand
    resources = []
    for name, arch, spot in (("arm", "ARM64", 100), ("x86", "X86_64", 0)):
        parent = f"component::{name}"
        resources += [
            _resource(TASK, f"{name}-task", parent, cpu="1024", memory="2048",
                      runtimePlatform={"cpuArchitecture": arch}),
            _resource(SERVICE, f"{name}-service", parent, desiredCount=2,
                      capacityProviderStrategies=[{"capacityProvider": "FARGATE_SPOT",
                                                   "weight": spot}] if spot else None),
        ]  # fmt: skip
    services = {s.name: s for s in registered_services(resources)}
    assert (services["arm-service"].cpu_architecture, services["arm-service"].spot_percentage) == (
        "ARM64",
        100,
    )
    assert (services["x86-service"].cpu_architecture, services["x86-service"].spot_percentage) == (
        "X86_64",
        0,
    )
    estimate = estimate_registered(resources, region="eu-west-1", stack="prod").to_output()
    arm, x86 = estimate["per_service"]["arm-service"], estimate["per_service"]["x86-service"]
    # THEN the same size costs less on Graviton Spot than on x86 on demand, each priced as such
    assert (arm["architecture"], arm["spot_tasks"]) == ("ARM64", 2)
    assert (x86["architecture"], x86["on_demand_tasks"]) == ("X86_64", 2)
    assert arm["fargate_usd"] < x86["fargate_usd"]
    assert estimate["levers"]["cpu_architecture"] == "ARM64+X86_64"


def test_the_single_plan_of_a_program_of_ones_own_shows_its_cost_and_component_fixes(capsys):
    assert plan_cli.main(["dev", "--project", str(PROJECT)]) == 3  # mandatory violations
    text = capsys.readouterr().out
    assert "Estimated monthly cost: $" in text
    assert "priced from the resources the program registers" in text
    fixes = [line.strip() for line in text.splitlines() if line.strip().startswith("fix:")]
    assert fixes and not [f for f in fixes if "stack config" in f]
    assert "fix: set EcsClusterArgs.encrypt_ephemeral_storage=True." in fixes


def test_a_fix_names_the_stack_key_on_an_accessweaver_stack_else_the_component_argument():
    # GIVEN one RDS.5 finding, on a stack of AccessWeaver's stack layer and on one of one's own
    report = PolicyReport("prod", 1, stack_keys=True)
    report.violations.append(
        {"policy": "rds-multi-az", "control": "RDS.5", "resource": "db", "message": "m",
         "enforcement": "mandatory"}
    )  # fmt: skip
    own = dataclasses.replace(report, stack_keys=False)
    for grouped in (True, False):
        assert "fix: set multi_az=True (stack config database.multiAz)." in render_report(
            report, "Pulumi.prod.yaml", grouped=grouped
        )
        assert "fix: set DatabaseArgs.multi_az=True." in render_report(
            own, "Pulumi.prod.yaml", grouped=grouped
        )


def _args_classes() -> dict[str, type]:
    import accessweaver_components

    found: dict[str, type] = {}
    for module in pkgutil.walk_packages(
        accessweaver_components.__path__, f"{accessweaver_components.__name__}."
    ):
        if module.name.endswith(".__main__"):
            continue
        for name, value in vars(importlib.import_module(module.name)).items():
            if name.endswith("Args") and dataclasses.is_dataclass(value):
                found[name] = value
    return found


def test_every_component_argument_a_fix_names_exists():
    from policy.checks import specs
    from policy.checks.arguments import ARGUMENTS

    classes = _args_classes()
    assert set(ARGUMENTS) <= {spec.name for spec in specs()}
    named = {
        (cls, field)
        for hint in ARGUMENTS.values()
        for cls, field in re.findall(r"\b([A-Z]\w*Args)\.(\w+)", hint)
    }
    assert named
    missing = [
        f"{cls}.{field}"
        for cls, field in sorted(named)
        if cls not in classes or field not in {f.name for f in dataclasses.fields(classes[cls])}
    ]
    assert missing == []


def test_json_plan_of_a_program_of_ones_own_carries_the_estimate(capsys):
    plan_cli.main(["dev2", "--project", str(PROJECT), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert "estimated_monthly_cost" not in document["outputs"]
    assert document["estimated_monthly_cost"]["capacity"]["tasks"] == 3
