"""The cost estimate: pure functions with hand-computed figures, the levers, the budget check,
the off-hours scheduled actions and the side-by-side comparison.

GIVEN settings (the pure loader) and/or resources (hand-written or the recorded plan), WHEN the
estimate is computed, THEN each figure equals the one worked out by hand from the price table.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from accessweaver_components import cost
from accessweaver_components.cost.prices import PriceTable
from accessweaver_components.stack import ConfigError, settings_from_mapping
from accessweaver_components.stack.loader import parse_raw_value
from tests.conftest import ROOT, STACKS
from tests.resource_types import ALB
from tools.engine import read_stack_config
from tools.plan import main

BASE: dict[str, Any] = {
    "vpcId": "vpc-0123456789abcdef0",
    "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "containerRegistry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver",
}
SCHEDULED = "aws:appautoscaling/scheduledAction:ScheduledAction"
TARGET = "aws:appautoscaling/target:Target"
VPC = "awsx:ec2:Vpc"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
ONE_SERVICE = {
    "api": {
        "port": 8080,
        "sizes": {env: {"cpu": 256, "memory": 512, "desiredCount": 1} for env in STACKS},
    }
}


def load(environment: str = "prod", region: str = "eu-west-1", **changes: Any):
    return settings_from_mapping(
        {
            **BASE,
            "environment": environment,
            "permissionsBoundaryOptOut": "a test stack: no bootstrap deploys it",
            **changes,
        },
        namespace="accessweaver",
        stack_file="Pulumi.test.yaml",
        region=region,
    )


def one_task(**changes: Any):
    """prod settings with a single 0.25 vCPU / 0.5 GB task (no Keycloak beside it)."""
    return load(baseCatalog="none", services=ONE_SERVICE, keycloak={"enabled": False}, **changes)


@dataclass(frozen=True)
class R:
    """A resource as the recorder or the offline engine sees it."""

    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Prices and Fargate arithmetic
# ---------------------------------------------------------------------------------------------


def _one_small_task_a_month(prices: PriceTable) -> float:
    """Fargate's price of one on-demand x86 task of 0.25 vCPU and 0.5 GB for 730 hours."""
    return cost.fargate_monthly_usd(
        vcpu=0.25,
        memory_gb=0.5,
        on_demand_tasks=1,
        spot_tasks=0,
        hours=730,
        architecture="X86_64",
        prices=prices,
    )


def test_one_quarter_vcpu_half_gb_task_for_730_hours_in_paris_costs_the_table_price():
    usd = _one_small_task_a_month(cost.price_table("eu-west-3"))
    # (0.25 x 0.04656 + 0.5 x 0.00511) x 730 = 0.014195 x 730
    assert usd == pytest.approx(10.36235)


def test_the_seed_figures_are_kept_beside_the_paris_prices_they_differ_from():
    paris = cost.price_table("eu-west-3")
    assert paris["fargate.x86_64.vcpu_hour"].seed == 0.04048
    assert paris["fargate.x86_64.gb_hour"].seed == 0.004445
    assert paris["nat.hour"].seed == 0.045 and paris["alb.hour"].seed == 0.0225
    # The seed's $9.00 per 0.25 vCPU / 0.5 GB task is N. Virginia's (and Ireland's) price.
    ireland = _one_small_task_a_month(cost.price_table("eu-west-1"))
    assert ireland == pytest.approx(9.010025)


def test_every_price_of_every_region_has_a_source_a_date_and_the_same_keys():
    keys = set(cost.PRICES["us-east-1"])
    assert set(cost.SUPPORTED_REGIONS) >= {"eu-west-1", "eu-west-3", "us-east-1"}
    for region, table in cost.PRICES.items():
        assert set(table) == keys, region
        for key, price in table.items():
            assert price.usd > 0, (region, key)
            assert price.source and price.as_of.startswith("20"), (region, key)
            assert price.basis in cost.prices.BASES, (region, key)
            if price.basis == "recalled":
                assert price.source.startswith("AWS pricing page "), (region, key)
            if price.basis == "derived":
                assert "derived from" in price.note, (region, key)
            assert price.unit, (region, key)
            # Nothing here was re-read from AWS offline; the data must not claim otherwise.
            assert price.checked is False, (region, key)


@pytest.mark.parametrize("region", ["ap-south-2", "me-central-1"])
def test_a_region_without_prices_plans_and_its_estimate_says_what_it_could_not_price(region):
    settings = load(
        region=region, containerRegistry=f"123456789012.dkr.ecr.{region}.amazonaws.com/aw"
    )
    estimate = cost.estimate(settings)
    assert estimate.total_usd == 0
    assert estimate.not_priced[0].startswith(
        f"everything region-specific: no price table for {region}"
    )
    assert estimate.to_output()["complete"] is False
    with pytest.raises(cost.UnsupportedRegion):
        cost.price_table(region)


@pytest.mark.parametrize(
    ("tasks", "spot_percentage", "expected"),
    [(3, 0, (3, 0)), (3, 100, (0, 3)), (3, 50, (2, 1)), (1, 30, (1, 0)), (0, 30, (0, 0))],
)
def test_tasks_split_like_the_capacity_provider_strategy(tasks, spot_percentage, expected):
    # One on-demand base task below 100 %, the rest by weight (cluster.py).
    assert cost.task_split(tasks, spot_percentage) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# Levers
# ---------------------------------------------------------------------------------------------


def test_spot_share_lowers_the_fargate_line_by_the_spot_discount():
    on_demand = cost.estimate(one_task(enableFargateSpot=False))
    spot = cost.estimate(one_task(enableFargateSpot=True, fargateSpotPercentage=100))
    # 100 % Spot at 70 % off: 30 % of (0.25 x 0.04048 + 0.5 x 0.004445) x 730
    assert on_demand.line("fargate") == pytest.approx(9.010025)
    assert spot.line("fargate") == pytest.approx(9.010025 * 0.3)
    assert spot.levers["fargate_spot_percentage"] == 100


def test_arm64_lowers_the_fargate_line_by_about_a_fifth():
    x86 = cost.estimate(one_task())
    arm = cost.estimate(one_task(cpuArchitecture="ARM64"))
    # (0.25 x 0.03238 + 0.5 x 0.00356) x 730
    assert arm.line("fargate") == pytest.approx(7.20875)
    assert 0.79 < arm.line("fargate") / x86.line("fargate") < 0.81
    assert arm.services[0].architecture == "ARM64"


def test_arm64_runs_on_fargate_spot_and_is_priced_at_the_spot_discount():
    # FARGATE_SPOT runs Linux ARM64 tasks on platform 1.4.0 and later (ECS API reference,
    # CapacityProviderStrategyItem); the program runs LATEST.
    settings = load(environment="dev", cpuArchitecture="ARM64")
    assert settings.fargate_spot_percentage == 100
    arm_spot = cost.estimate(one_task(cpuArchitecture="ARM64", enableFargateSpot=True,
                                      fargateSpotPercentage=100))  # fmt: skip
    assert arm_spot.line("fargate") == pytest.approx(7.20875 * 0.3)


def test_off_hours_is_on_in_dev_only_and_counts_weekday_working_hours():
    dev, staging = load(environment="dev"), load(environment="staging")
    assert staging.off_hours is None and load().off_hours is None
    assert dev.off_hours is not None and dev.off_hours.timezone == "Europe/Paris"
    # 10.5 h (08:30-19:00) x 5 days x 730/168 weeks per month
    assert dev.off_hours.hours_per_month == pytest.approx(10.5 * 5 * 730 / 168)
    assert cost.running_hours(dev) == pytest.approx(228.125, abs=1e-3)


def test_off_hours_lowers_the_dev_fargate_and_log_lines_by_the_hours_it_removes():
    scheduled = cost.estimate(load(environment="dev"))
    always_on = cost.estimate(load(environment="dev", offHoursScaling={"enabled": False}))
    ratio = (10.5 * 5 * 730 / 168) / 730
    assert scheduled.line("fargate") == pytest.approx(always_on.line("fargate") * ratio)
    assert scheduled.line("cloudwatch_logs") == pytest.approx(
        always_on.line("cloudwatch_logs") * ratio
    )
    assert scheduled.levers["running_hours_per_month"] == 228.1
    assert always_on.levers["off_hours_scaling"] == "off"


def test_database_and_exec_logs_accrue_only_while_the_instance_and_the_tasks_run():
    def group(name: str) -> R:
        return R("aws:cloudwatch/logGroup:LogGroup", name, {"name": name, "retentionInDays": 7})

    groups = [group("/aws/rds/instance/db/postgresql"), group("/aws/ecs/c/execute-command"),
              group("/vpc/flow-logs")]  # fmt: skip
    dev = load(environment="dev")
    result = cost.estimate(dev, groups)
    usage = cost.USAGE_DEFAULTS["dev"]
    per_hour = usage.other_log_gb_per_group_day * 30.4167 / 730 * (0.57 + 7 / 30.4167 * 0.03)
    hours = dev.off_hours.hours_per_month
    services = sum(s.logs_usd for s in result.services)
    expected = per_hour * (result.levers["database_running_hours"] + hours + 730)
    assert result.line("cloudwatch_logs") - services == pytest.approx(expected, rel=1e-3)
    assert result.levers["database_running_hours"] > hours  # started before the services


def test_the_alb_is_billed_all_month_but_its_lcus_only_while_the_services_run():
    alb = [R(ALB, "alb", {"loadBalancerType": "application", "subnets": ["subnet-a"]})]
    scheduled = cost.estimate(load(environment="dev"), alb)
    always_on = cost.estimate(load(environment="dev", offHoursScaling={"enabled": False}), alb)
    lcu = cost.USAGE_DEFAULTS["dev"].alb_lcu * 0.008
    hours = 10.5 * 5 * 730 / 168
    assert always_on.line("load_balancer") == pytest.approx(730 * (0.0252 + lcu))
    assert scheduled.line("load_balancer") == pytest.approx(730 * 0.0252 + hours * lcu)


def test_off_hours_settings_are_checked_against_each_other_and_autoscaling():
    with pytest.raises(ConfigError) as caught:
        load(
            environment="dev",
            autoScalingEnabled=False,
            offHoursScaling={"enabled": True, "start": "19:00", "stop": "08:00"},
        )
    paths = {issue.path for issue in caught.value.issues}
    assert paths == {"offHoursScaling.enabled", "offHoursScaling.stop"}
    with pytest.raises(ConfigError) as caught:
        load(environment="prod", offHoursScaling={"timezone": "Mars/Olympus"})
    assert "not an IANA time zone" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load(environment="prod", offHoursScaling={"start": "07:00"})
    assert "has no effect" in str(caught.value)


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_refuse_scaling_to_zero_at_night(environment):
    with pytest.raises(ConfigError) as caught:
        load(environment=environment, offHoursScaling={"enabled": True})
    (issue,) = caught.value.issues
    assert issue.path == "offHoursScaling.enabled"
    assert f"control REL.3: at least 2 tasks, required in {environment}" in str(caught.value)


def test_log_retention_lever_scales_the_stored_logs():
    week = cost.estimate(one_task(logRetentionDays=7))
    month = cost.estimate(one_task(logRetentionDays=30))
    ingest_gb = 0.05 * 730 / 24  # prod: 0.05 GB per task-day, one task around the clock
    stored_per_day = ingest_gb / (730 / 24)
    assert month.line("cloudwatch_logs") - week.line("cloudwatch_logs") == pytest.approx(
        stored_per_day * (30 - 7) * 0.03
    )


# ---------------------------------------------------------------------------------------------
# The platform, counted from resources
# ---------------------------------------------------------------------------------------------


def test_nat_gateways_and_interface_endpoints_are_priced_per_az():
    def vpc(strategy: str) -> R:
        return R(
            VPC, "vpc", {"numberOfAvailabilityZones": 3, "natGateways": {"strategy": strategy}}
        )

    def endpoint(name: str, kind: str, subnets: list[str] | None = None) -> R:
        return R(ENDPOINT, name, {"vpcEndpointType": kind, "subnetIds": subnets})

    # The logs endpoint's subnets are unknown (outputs of the VPC): it gets the VPC's 3 AZs.
    resources = [
        vpc("OnePerAz"),
        endpoint("logs", "Interface"),
        endpoint("ecr", "Interface", ["subnet-a", "subnet-b"]),
        endpoint("s3", "Gateway"),
    ]
    usage = cost.USAGE_DEFAULTS["prod"]
    result = cost.estimate(one_task(), resources)
    # Ireland: 3 NAT x 730 h x 0.048 + 200 GB x 0.048; endpoints: (3 + 2) AZ x 730 h x 0.011
    assert result.line("nat_gateways") == pytest.approx(3 * 730 * 0.048 + 200 * 0.048)
    assert result.line("interface_endpoints") == pytest.approx(
        5 * 730 * 0.011 + 2 * usage.endpoint_gb_per_month * 0.01
    )
    assert result.line("public_ipv4") == pytest.approx(3 * 730 * 0.005)
    single = cost.estimate(one_task(), [vpc("Single")])
    assert single.line("nat_gateways") == pytest.approx(730 * 0.048 + 200 * 0.048)


def test_rds_multi_az_doubles_instance_and_storage_and_its_managed_secret_counts():
    inputs = {
        "instanceClass": "db.t4g.small",
        "multiAz": True,
        "allocatedStorage": 20.0,
        "engine": "postgres",
        "manageMasterUserPassword": True,
    }
    database = R("aws:rds/instance:Instance", "db", inputs)
    result = cost.estimate(one_task(), [database, R("aws:secretsmanager/secret:Secret", "s")])
    # Ireland: 2 x (0.034 x 730 + 20 GB x 0.127)
    assert result.line("database") == pytest.approx(2 * (0.034 * 730 + 20 * 0.127))
    assert result.line("secrets_manager") == pytest.approx(2 * 0.40)


def test_alb_waf_cache_and_storage_lines_follow_their_resources():
    rules = [{"name": "rate"}, {"name": "common"}, {"name": "bad-inputs"}]
    resources = [
        R(ALB, "alb", {"loadBalancerType": "application", "subnets": ["subnet-a", "subnet-b"]}),
        R("aws:wafv2/webAcl:WebAcl", "waf", {"rules": rules}),
        R(REDIS, "redis", {"nodeType": "cache.t4g.small", "numCacheClusters": 2}),
        R("aws:s3/bucket:Bucket", "docs"),
        R("aws:ecr/repository:Repository", "repo"),
    ]
    usage = cost.USAGE_DEFAULTS["prod"]
    result = cost.estimate(one_task(), resources)
    assert result.line("load_balancer") == pytest.approx(730 * (0.0252 + usage.alb_lcu * 0.008))
    assert result.line("waf") == pytest.approx(5 + 3 * 1 + usage.waf_million_requests * 0.60)
    assert result.line("cache") == pytest.approx(2 * 0.036 * 730)
    assert result.line("public_ipv4") == pytest.approx(2 * 730 * 0.005)
    assert result.line("s3") == pytest.approx(usage.s3_gb_per_bucket * 0.023)
    assert result.line("ecr") == pytest.approx(usage.ecr_gb_per_repository * 0.10)


def test_valkey_nodes_are_priced_twenty_percent_below_redis_oss_nodes():
    node = {"nodeType": "cache.t4g.small", "numCacheClusters": 2}
    redis_oss = cost.estimate(one_task(), [R(REDIS, "r", {**node, "engine": "redis"})])
    valkey = cost.estimate(one_task(), [R(REDIS, "v", {**node, "engine": "valkey"})])
    assert redis_oss.line("cache") == pytest.approx(2 * 0.036 * 730)
    assert valkey.line("cache") == pytest.approx(2 * 0.036 * 0.8 * 730)


SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"


@pytest.mark.parametrize(
    ("stored_gb", "limit_gb", "billed_gb"),
    [(0.02, 1, 0.1), (0.5, 1, 0.5), (3, 1, 1), (3, None, 3)],
)
def test_serverless_valkey_bills_data_held_at_least_100_mb_and_at_most_its_limit(
    stored_gb, limit_gb, billed_gb
):
    limits = {} if limit_gb is None else {"dataStorage": {"maximum": limit_gb, "unit": "GB"}}
    cache = R(SERVERLESS, "c", {"engine": "valkey", "cacheUsageLimits": limits})
    usage = dataclasses.replace(
        cost.USAGE_DEFAULTS["dev"], cache_gb_stored=stored_gb, cache_million_ecpu_per_month=10
    )
    result = cost.estimate(one_task(), [cache], usage=usage)
    table = cost.price_table("eu-west-1")
    gb_hour = table["elasticache.serverless.valkey.gb_hour"].usd
    ecpu = table["elasticache.serverless.valkey.million_ecpu"].usd
    assert result.line("cache") == pytest.approx(billed_gb * gb_hour * 730 + 10 * ecpu)
    # Ireland's serverless figures are derived from N. Virginia's: the estimate says so
    assert any("derived, not read" in note for note in result.notes)


def test_serverless_redis_is_listed_as_not_priced_instead_of_priced_as_valkey():
    result = cost.estimate(one_task(), [R(SERVERLESS, "c", {"engine": "redis"})])
    assert result.line("cache") == 0
    assert result.not_priced == ("c: ElastiCache Serverless for redis",)


def test_an_unknown_instance_class_is_listed_as_not_priced_instead_of_guessed():
    result = cost.estimate(
        one_task(),
        [R("aws:rds/instance:Instance", "big", {"instanceClass": "db.x2iedn.32xlarge"})],
    )
    assert result.line("database") == pytest.approx(20 * 0.127)  # the storage only
    assert result.not_priced == ("big: no price for db.x2iedn.32xlarge",)


# ---------------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------------


def test_budget_violation_names_the_overrun_and_the_largest_lines():
    estimate = cost.estimate(one_task(monthlyBudgetUsd=5))
    total = estimate.total_usd
    message = cost.budget_violation(estimate, estimate.monthly_budget_usd)
    assert message is not None
    assert f"${total:,.2f} exceeds monthlyBudgetUsd $5.00" in message
    assert "largest lines: fargate $9.01" in message
    # The stack output (a mapping) gives the same answer.
    assert cost.budget_violation(estimate.to_output(), 5) == message


def test_no_budget_or_an_estimate_within_it_is_not_a_violation():
    estimate = cost.estimate(one_task())
    assert estimate.monthly_budget_usd is None
    assert cost.budget_violation(estimate, None) is None
    assert cost.budget_violation(estimate, round(estimate.total_usd, 2)) is None
    assert cost.budget_violation(estimate, round(estimate.total_usd, 2) - 0.01) is not None


def test_budget_must_be_a_positive_amount():
    with pytest.raises(ConfigError, match="monthlyBudgetUsd"):
        load(monthlyBudgetUsd=0)


# ---------------------------------------------------------------------------------------------
# The program: stack output, scheduled actions, comparison
# ---------------------------------------------------------------------------------------------


def _settings_of(stack: str):
    file = read_stack_config(ROOT, stack)
    raw = {
        key.split(":", 1)[1]: parse_raw_value(key.split(":", 1)[1], value)
        for key, value in file.values.items()
        if key.startswith(f"{file.project}:")
    }
    return settings_from_mapping(
        raw,
        namespace=file.project,
        stack_file=file.label,
        region=file.values["aws:region"],
        account_id="123456789012",
    )


@pytest.mark.parametrize("stack", STACKS)
def test_stack_output_equals_the_estimate_of_the_recorded_plan(plan, stack):
    # What the program observed while running = what the offline engine recorded.
    result = plan(stack)
    expected = cost.estimate(_settings_of(stack), result.resources).to_output()
    assert result.outputs["estimated_monthly_cost"] == expected
    assert set(expected["line_items_usd"]) == set(cost.LINE_ITEMS)
    assert expected["total_usd"] > 0


def test_dev_scales_every_service_to_zero_at_night_with_a_timezone(plan):
    from tools.aws_models import validate

    result = plan("dev")
    actions = {r.name: r.inputs for r in result.of_type(SCHEDULED)}
    services = [r.name.removesuffix("-scaling") for r in result.of_type(TARGET)]
    assert services and len(actions) == 2 * len(services)
    for service in services:
        down, up = actions[f"{service}-scale-down"], actions[f"{service}-scale-up"]
        assert down["schedule"] == "cron(0 19 ? * MON,TUE,WED,THU,FRI *)"
        assert up["schedule"] == "cron(30 8 ? * MON,TUE,WED,THU,FRI *)"
        assert down["timezone"] == up["timezone"] == "Europe/Paris"
        assert down["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0}
        target = result.one(TARGET, f"{service}-scaling")
        assert up["scalableTargetAction"] == {
            "minCapacity": target.inputs["minCapacity"],
            "maxCapacity": target.inputs["maxCapacity"],
        }
        assert set(target.ignore_changes) == {"minCapacity", "maxCapacity"}
        for inputs in (down, up):
            params = {
                "ServiceNamespace": inputs["serviceNamespace"],
                "Schedule": inputs["schedule"],
                "Timezone": inputs["timezone"],
                "ScheduledActionName": inputs["name"],
                "ResourceId": inputs["resourceId"],
                "ScalableDimension": inputs["scalableDimension"],
                "ScalableTargetAction": {
                    "MinCapacity": int(inputs["scalableTargetAction"]["minCapacity"]),
                    "MaxCapacity": int(inputs["scalableTargetAction"]["maxCapacity"]),
                },
            }
            assert validate("application-autoscaling", "PutScheduledAction", params) == []


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_run_around_the_clock(plan, stack):
    result = plan(stack)
    assert result.of_type(SCHEDULED) == []
    assert all(t.ignore_changes == () for t in result.of_type(TARGET))
    assert result.outputs["estimated_monthly_cost"]["levers"]["running_hours_per_month"] == 730


def test_compare_prints_capacity_and_cost_of_the_three_stacks_side_by_side(
    capsys, plan, cheapest_of, monkeypatch
):
    # The session's recorded runs (each is tested on its own elsewhere), computed before the
    # engine is replaced by the cache
    cheapest = [f"{cheapest_of(s).total_usd:,.2f}" for s in STACKS]
    monkeypatch.setattr("tools.engine.run_program", lambda _project, stack, *_a, **_k: plan(stack))
    monkeypatch.setattr("tools.cheapest.cheapest", lambda _project, stack: cheapest_of(stack))
    assert main(["--compare", "dev", "staging", "prod"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["dev", "staging", "prod"]
    rows = {line[:30].strip(): line[30:].split() for line in lines[1:] if line.strip()}
    totals = [f"{plan(s).outputs['estimated_monthly_cost']['total_usd']:,.2f}" for s in STACKS]
    assert rows["TOTAL"] == totals
    tasks = [str(plan(s).outputs["estimated_monthly_cost"]["capacity"]["tasks"]) for s in STACKS]
    assert rows["tasks (autoscaling minimum)"] == tasks
    assert rows["running hours / month"][1:] == ["730", "730"]
    assert rows["cheapest the checks accept"] == cheapest


def test_compare_and_a_single_stack_are_mutually_exclusive(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["dev", "--compare", "staging"])
    assert exited.value.code == 2
    assert "give one stack, or --compare" in capsys.readouterr().err


def test_single_stack_plan_ends_with_the_estimate(capsys, plan):
    assert main(["staging"]) == 0
    text = capsys.readouterr().out
    total = plan("staging").outputs["estimated_monthly_cost"]["total_usd"]
    assert f"Estimated monthly cost: ${total:,.2f} (eu-west-1;" in text


def test_costs_md_shows_the_seed_scenarios_as_the_model_computes_them():
    from tools.cost_scenarios import render_markdown, render_report_lines

    document = (ROOT / "docs" / "COSTS.md").read_text()
    assert render_markdown() in document
    assert render_report_lines() in document


def _block(text: str, marker: str) -> str:
    return text.split(f"<!-- {marker}:start -->\n")[1].split(f"\n<!-- {marker}:end -->")[0]


def test_documented_line_items_of_the_committed_stacks_match_the_estimate(plan, cheapest_of):
    """README's and docs/COSTS.md's cost tables, and the README's figures, follow the program."""
    from tests.conftest import ROOT
    from tools.cost_report import markdown

    estimates = {s: plan(s).outputs["estimated_monthly_cost"] for s in STACK_NAMES}
    headroom = {s: cheapest_of(s) for s in STACK_NAMES}
    table = markdown(estimates, headroom)
    from tests.test_readme import README as readme

    assert _block(readme, "cost-table") == table
    assert _block((ROOT / "docs" / "COSTS.md").read_text(), "cost-table") == table
    expected = [f"${estimates[s]['total_usd']:,.2f}" for s in STACK_NAMES]
    assert f"dev {expected[0]}" in readme and f"staging {expected[1]}, prod {expected[2]}" in readme
    # the issue's goal: a whole dev platform at $60 a month or less
    assert estimates["dev"]["total_usd"] <= 60
    for stack in STACK_NAMES:
        assert headroom[stack].total_usd <= estimates[stack]["total_usd"]


def test_the_cheapest_accepted_configuration_passes_the_checks_it_was_chosen_by(cheapest_of):
    from tools.cheapest import LEVERS

    found = cheapest_of("prod")
    assert set(found.applied) | set(found.already) | set(found.refused) == {
        lever.label for lever in LEVERS
    }
    # prod's P controls are refused, not priced
    assert {"off-hours scaling", "single-AZ database", "no WAF"} <= set(found.refused)
    assert "every task on Spot (fargateSpotPercentage: 100)" in found.applied
    assert found.estimate["levers"]["fargate_spot_percentage"] == 100


def test_a_lever_the_policy_pack_refuses_is_dropped_even_when_the_config_accepts_it(
    monkeypatch,
):
    from tests.conftest import ROOT
    from tools import policy_check
    from tools.cheapest import Lever, cheapest

    real = policy_check.run_policies

    def pack_refusing_spot(result):
        report = real(result)
        spot = json.loads(result.config.get("accessweaver:fargateSpotPercentage", "0"))
        if spot == 100:  # as if a control forbade an all-Spot staging
            forbidden = {"control": "TEST.1", "enforcement": "mandatory"}
            return dataclasses.replace(report, violations=[*report.violations, forbidden])
        return report

    monkeypatch.setattr(policy_check, "run_policies", pack_refusing_spot)
    spot = Lever("all Spot", {"enableFargateSpot": True, "fargateSpotPercentage": 100})
    serverless = Lever("serverless", {"cache": {"serverless": True}})
    found = cheapest(ROOT, "staging", (spot, serverless))
    assert (found.applied, found.refused) == (("serverless",), ("all Spot",))
    assert found.estimate["levers"]["fargate_spot_percentage"] == 30


STACK_NAMES = ("dev", "staging", "prod")


def _switches_on_cached_plans(monkeypatch):
    """tools.switches with its base plan (the committed stack file) from the session's cache;
    each switch's changed config still runs the engine (`cached_engine`)."""
    from tools import engine, switches

    monkeypatch.setattr(switches, "run_program", engine.run_program)
    return switches


def test_readme_switch_table_is_what_the_tool_measures(monkeypatch, cached_engine):

    switches = _switches_on_cached_plans(monkeypatch)

    from tests.test_readme import README as readme

    assert _block(readme, "switches") == switches.render(switches.measure("dev"))


def test_switch_table_counts_what_a_switch_adds(monkeypatch, cached_engine):
    """tools.switches: turning the cache off removes dev's serverless cache and its cost line."""
    switches = _switches_on_cached_plans(monkeypatch)
    monkeypatch.setattr(
        switches, "SWITCHES", {"Redis": ({}, {"cache": {"enabled": False}})}, raising=True
    )
    ((label, count, usd, added),) = switches.measure("dev")
    assert label == "Redis" and count > 0 and usd > 0
    assert added["aws:elasticache/serverlessCache:ServerlessCache"] == 1


@pytest.mark.parametrize("region", ["eu-central-1", "us-west-2"])
def test_a_stack_in_a_region_without_prices_plans_and_says_so(tmp_path, region):
    from tests.conftest import ROOT
    from tools.engine import run_program

    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text((ROOT / "Pulumi.dev.yaml").read_text().replace("eu-west-1", region))
    result = run_program(ROOT, "dev", path)
    estimate = result.outputs["estimated_monthly_cost"]
    assert estimate["region"] == region and estimate["complete"] is False
    assert f"no price table for {region}" in estimate["not_priced"][0]
    assert result.of_type("aws:ecs/service:Service")
