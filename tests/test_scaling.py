"""Request-count and predictive scaling (issue 11, "Scaling"), on the committed stacks."""

from __future__ import annotations

import pytest

from tests.config_support import loader
from tests.conftest import CA_A2A, planned
from tests.resource_types import TG
from tests.support_programs import microservice_program, refusal
from tools.aws_models import put_scaling_policy_params, validate

POLICY = "aws:appautoscaling/policy:Policy"


def policies(result, service: str) -> dict[str, dict]:
    return {
        p.name.removeprefix(f"{service}-"): p.inputs
        for p in result.of_type(POLICY)
        if p.name.startswith(f"{service}-")
    }


def test_a_blue_green_service_tracks_requests_on_both_target_groups(plan):
    result = plan("prod")
    requests = policies(result, "aw-api-gateway")["requests-scaling"]
    tracking = requests["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 1000
    queries = {q["id"]: q for q in tracking["customizedMetricSpecification"]["metrics"]}
    groups = {
        q["metricStat"]["metric"]["dimensions"][0]["value"]
        for q in queries.values()
        if "metricStat" in q
    }
    # both groups of the service: after a switch the live traffic is on the second one
    for slot in ("a", "b"):
        group = result.one(TG, f"accessweaver-prod-aw-api-gateway-tg-{slot}")
        assert any(value.startswith("targetgroup/") and group.inputs["name"] in value
                   for value in groups)  # fmt: skip
    assert queries["requests_per_task"]["expression"] == "FILL(live, 0) + FILL(alternate, 0)"
    assert [q["id"] for q in queries.values() if q["returnData"]] == ["requests_per_task"]
    assert validate("application-autoscaling", "PutScalingPolicy",
                    put_scaling_policy_params(requests)) == []  # fmt: skip


def test_a_rolling_service_uses_the_predefined_metric_of_its_one_group():
    result = planned(CA_A2A, "dev")
    requests = policies(result, "orchestrator")["requests-scaling"]
    spec = requests["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]
    assert spec["predefinedMetricType"] == "ALBRequestCountPerTarget"
    alb, group = spec["resourceLabel"].split("/targetgroup/")
    assert alb.startswith("app/") and group
    assert validate("application-autoscaling", "PutScalingPolicy",
                    put_scaling_policy_params(requests)) == []  # fmt: skip


def test_predictive_scaling_forecasts_cpu_at_the_stack_target(plan):
    result = plan("prod")
    predictive = policies(result, "aw-pdp-service")["predictive-scaling"]
    assert predictive["policyType"] == "PredictiveScaling"
    config = predictive["predictiveScalingPolicyConfiguration"]
    assert config["mode"] == "ForecastAndScale"
    assert config["maxCapacityBreachBehavior"] == "HonorMaxCapacity"
    (spec,) = config["metricSpecifications"]
    assert spec["targetValue"] == "60"
    assert spec["predefinedMetricPairSpecification"] == {
        "predefinedMetricType": "ECSServiceCPUUtilization"
    }
    assert validate("application-autoscaling", "PutScalingPolicy",
                    put_scaling_policy_params(predictive)) == []  # fmt: skip


def test_services_without_these_keys_keep_cpu_and_memory_only(plan):
    assert set(policies(plan("prod"), "aw-audit-service")) == {"cpu-scaling", "memory-scaling"}


BASE = {
    "environment": "dev",
    "vpcId": "vpc-0123456789abcdef0",
    "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
}
load, problems = loader(BASE)


def test_request_count_scaling_needs_the_programs_alb():
    found = problems(serviceOverrides={"aw-pdp-service": {"scaling": {"requestsPerTarget": 500}}})
    assert (
        "aw-pdp-service is not behind the program's ALB"
        in found["serviceOverrides.aw-pdp-service.scaling.requestsPerTarget"]
    )


@pytest.mark.parametrize("key", ["requestsPerTarget", "predictive"])
def test_scaling_keys_without_autoscaling_have_no_effect_and_say_so(key):
    from accessweaver_components.errors import ConfigError

    value = 500 if key == "requestsPerTarget" else {"mode": "ForecastOnly"}
    with pytest.raises(ConfigError) as caught:
        load(
            autoScalingEnabled=False,
            serviceOverrides={"aw-pdp-service": {"scaling": {key: value}}},
        )
    path = f"serviceOverrides.aw-pdp-service.scaling.{key}"
    problems_there = [i.problem for i in caught.value.issues if i.path == path]
    assert "has no effect: autoScalingEnabled is false" in problems_there


def test_the_component_refuses_request_scaling_without_a_load_balancer():
    from accessweaver_components.compute.microservice import ScalingArgs

    broken = microservice_program(
        "api",
        image="r/api:1",
        port=8080,
        scaling=ScalingArgs(min_capacity=1, max_capacity=2, requests_per_target=100),
    )
    assert "requests_per_target needs a load balancer" in refusal(broken)
