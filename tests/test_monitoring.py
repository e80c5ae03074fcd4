"""Alarms and the dashboard: every alarm notifies the stack's topic, the report's performance
targets are watched, and the dashboard JSON (pure function) shows every service."""

from __future__ import annotations

import json

import pytest

from accessweaver_components.observability.dashboard import (
    GRID_WIDTH,
    DashboardInputs,
    dashboard_body,
)
from accessweaver_components.observability.monitoring import (
    error_rate_queries,
    postgres_max_connections,
)
from tests.config_support import DEFAULT_SERVICES_AND_KEYCLOAK
from tests.conftest import STACKS
from tests.resource_types import ALARM
from tools.engine import mock_state

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:accessweaver-{stack}-alarms"
CATALOG = DEFAULT_SERVICES_AND_KEYCLOAK


def alarms(result) -> dict[str, dict]:
    return {a.inputs["name"]: a.inputs for a in result.of_type(ALARM)}


def suffix(result, type_: str, name: str) -> str:
    resource = result.one(type_, name)
    return mock_state(type_, name, resource.inputs, "eu-west-1")[1]["arnSuffix"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_alarm_notifies_the_stacks_topic(plan, stack):
    result = plan(stack)
    topic = TOPIC_ARN.format(stack=stack)
    assert result.outputs["alarm_topic_arn"] == topic
    found = alarms(result)
    assert len(found) >= 2 * len(CATALOG)
    for name, alarm in found.items():
        assert alarm["alarmActions"] == [topic], name
        assert alarm["okActions"] == [topic], name


def test_alb_p95_latency_above_200_ms_alarms(plan):
    result = plan("prod")
    alarm = alarms(result)["accessweaver-prod-alb-p95-latency"]
    assert (alarm["metricName"], alarm["extendedStatistic"]) == ("TargetResponseTime", "p95")
    assert alarm["threshold"] == 0.2 and alarm["comparisonOperator"] == "GreaterThanThreshold"
    lb = suffix(result, "aws:lb/loadBalancer:LoadBalancer", "accessweaver-prod-alb")
    assert alarm["dimensions"] == {"LoadBalancer": lb}


def test_alb_5xx_rate_above_one_percent_alarms_through_metric_math(plan):
    result = plan("prod")
    alarm = alarms(result)["accessweaver-prod-alb-5xx-rate"]
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["errorRate"]["returnData"] is True
    assert "/ requests" in queries["errorRate"]["expression"]
    assert {q["metric"]["metricName"] for q in queries.values() if "metric" in q} == {
        "RequestCount",
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
    }
    assert alarm["threshold"] == 1 and "metricName" not in alarm


def test_each_public_target_group_alarms_on_unhealthy_hosts(plan):
    result = plan("prod")
    found = alarms(result)
    lb = suffix(result, "aws:lb/loadBalancer:LoadBalancer", "accessweaver-prod-alb")
    for service in ("aw-api-gateway", "keycloak"):
        alarm = found[f"accessweaver-prod-{service}-unhealthy-hosts"]
        group = suffix(
            result, "aws:lb/targetGroup:TargetGroup", f"accessweaver-prod-{service}-tg-a"
        )
        assert alarm["dimensions"] == {"TargetGroup": group, "LoadBalancer": lb}
        assert alarm["metricName"] == "UnHealthyHostCount" and alarm["threshold"] == 0


def test_database_alarms_watch_cpu_free_storage_and_connections(plan):
    found = alarms(plan("prod"))
    dims = {"DBInstanceIdentifier": "accessweaver-prod-postgres"}
    cpu, storage, connections = (
        found[f"accessweaver-prod-postgres-{what}"]
        for what in ("cpu", "free-storage", "connections")
    )
    assert all(a["dimensions"] == dims for a in (cpu, storage, connections))
    assert storage["comparisonOperator"] == "LessThanThreshold"
    assert storage["threshold"] == 50 * 1024**3 // 10  # 10 % of 50 GiB
    assert connections["threshold"] == postgres_max_connections("db.m7g.large") * 80 // 100


def test_cache_alarms_watch_cpu_memory_and_evictions_on_every_node(plan):
    found = alarms(plan("prod"))
    for node in ("001", "002"):
        for what, metric in (
            ("cpu", "EngineCPUUtilization"),
            ("memory", "DatabaseMemoryUsagePercentage"),
            ("evictions", "Evictions"),
        ):
            alarm = found[f"accessweaver-prod-redis-{node}-{what}"]
            assert alarm["metricName"] == metric
            assert alarm["dimensions"] == {"CacheClusterId": f"accessweaver-prod-redis-{node}"}


def test_a_serverless_cache_alarms_on_data_near_its_limit_throttling_and_evictions(plan):
    result = plan("dev")
    found = alarms(result)
    assert not [name for name in found if "-redis-0" in name]  # no node to watch
    (cache,) = result.of_type("aws:elasticache/serverlessCache:ServerlessCache")
    limit_gb = cache.inputs["cacheUsageLimits"]["dataStorage"]["maximum"]
    expected = {
        "data": ("BytesUsedForCache", limit_gb * 1024**3 * 80 // 100),
        "throttled": ("ThrottledCmds", 0),
        "evictions": ("Evictions", 0),
    }
    for what, (metric, threshold) in expected.items():
        alarm = found[f"accessweaver-dev-cache-{what}"]
        assert (alarm["metricName"], alarm["threshold"]) == (metric, threshold)
        assert alarm["dimensions"] == {"clusterId": cache.inputs["name"]}


def test_alarm_emails_subscribe_to_the_topic(run_stack):
    result = run_stack("dev", {"accessweaver:alarms": {"emails": ["oncall@example.org"]}})
    (subscription,) = result.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "oncall@example.org"
    assert subscription.inputs["topic"] == TOPIC_ARN.format(stack="dev")


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_is_valid_json_with_widgets_for_every_service_and_store(plan, stack):
    result = plan(stack)
    (dashboard,) = result.of_type("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == result.outputs["dashboard_name"]
    body = json.loads(dashboard.inputs["dashboardBody"])
    text = json.dumps(body)
    for service in CATALOG:
        assert f'"accessweaver-{stack}-{service}"' in text, service
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert {"Requests per minute", "Latency (s)", "Errors per minute"} <= set(titles)
    assert any(t.startswith("PostgreSQL") for t in titles)
    assert any(t.startswith("Cache" if stack == "dev" else "Redis") for t in titles)


# -- Pure pieces ---------------------------------------------------------------------------

INPUTS = DashboardInputs(
    region="eu-west-1",
    cluster_name="c",
    services={"api": "p-api", "worker": "p-worker"},
    load_balancer="app/alb/1",
    target_groups={"api": "targetgroup/api/2"},
    database="db",
    cache_nodes=("r-001", "r-002"),
)


def test_dashboard_has_running_vs_desired_and_cpu_memory_per_service():
    titles = [w["properties"]["title"] for w in dashboard_body(INPUTS)["widgets"]]
    for service in ("api", "worker"):
        assert f"{service}: running vs desired tasks" in titles
        assert f"{service}: CPU and memory (%)" in titles


def test_dashboard_widgets_tile_the_grid_without_overlap():
    widgets = dashboard_body(INPUTS)["widgets"]
    cells = set()
    for w in widgets:
        assert w["x"] >= 0 and w["x"] + w["width"] <= GRID_WIDTH
        cell = (w["x"], w["y"])
        assert cell not in cells
        cells.add(cell)


def test_dashboard_without_an_alb_or_container_insights_says_so():
    inputs = DashboardInputs(
        region="eu-west-1", cluster_name="c", services={"api": "p-api"}, container_insights=False
    )
    titles = [w["properties"]["title"] for w in dashboard_body(inputs)["widgets"]]
    assert titles == [
        "api: running vs desired tasks (needs Container Insights)",
        "api: CPU and memory (%)",
    ]


def test_latency_widget_marks_the_p95_target():
    latency = next(
        w for w in dashboard_body(INPUTS)["widgets"] if w["properties"]["title"] == "Latency (s)"
    )
    assert latency["properties"]["annotations"]["horizontal"][0]["value"] == 0.2


def test_error_rate_returns_only_the_expression():
    queries = error_rate_queries("app/alb/1")
    assert [q["id"] for q in queries if q["return_data"]] == ["errorRate"]


@pytest.mark.parametrize(
    ("instance_class", "connections"),
    [("db.t4g.micro", 112), ("db.m7g.large", 901), ("db.r6g.large", 1802), ("db.x.weird", 100)],
)
def test_postgres_max_connections_follows_rds_memory_formula(instance_class, connections):
    assert postgres_max_connections(instance_class) == connections


def test_blue_green_services_have_an_unhealthy_host_alarm_on_both_target_groups(plan):
    result = plan("prod")
    watched = {
        alarm.inputs["dimensions"]["TargetGroup"]
        for alarm in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if alarm.inputs.get("metricName") == "UnHealthyHostCount"
    }
    groups = result.of_type("aws:lb/targetGroup:TargetGroup")
    assert len(groups) > len({g.parent for g in groups}), "prod should have blue/green pairs"
    for group in groups:
        suffix = group.inputs["name"]
        assert any(f"targetgroup/{suffix}/" in watched_suffix for watched_suffix in watched), suffix
