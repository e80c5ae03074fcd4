"""The pure rules the `edge` and `networkLoadBalancer` resolvers share (`elb_config.py`) and the
steps of `plan_routes` (`routes.py`), without the engine."""

from __future__ import annotations

from dataclasses import dataclass

from accessweaver_components.edge.config import EdgeConfig, NetworkLoadBalancerConfig
from accessweaver_components.edge.elb_config import (
    certificate_region_issues,
    disabled_key_issues,
    resolved_deletion_protection,
)
from accessweaver_components.edge.routes import (
    AUTO_PRIORITY_START,
    AUTO_PRIORITY_STEP,
    DEFAULT_ROUTE_PRIORITY,
    RouteRateLimit,
    plan_routes,
)
from accessweaver_components.errors import ConfigIssue

CERT = "arn:aws:acm:{region}:123456789012:certificate/12345678-1234-1234-1234-123456789012"


def test_a_certificate_of_another_region_is_named_with_both_regions() -> None:
    arn = CERT.format(region="us-east-1")
    (issue,) = certificate_region_issues("edge.certificateArn", arn, "eu-west-1", " (why)")
    assert issue.path == "edge.certificateArn"
    assert issue.value == arn
    assert issue.problem == "certificate is in us-east-1, the stack deploys to eu-west-1 (why)"
    assert issue.allowed == "an ACM certificate ARN in eu-west-1"


def test_a_certificate_of_the_stack_region_or_none_is_fine() -> None:
    arn = CERT.format(region="eu-west-1")
    assert certificate_region_issues("x", arn, "eu-west-1") == []
    assert certificate_region_issues("x", None, "eu-west-1") == []


def test_keys_of_a_disabled_balancer_are_each_reported_except_the_ignored() -> None:
    config = NetworkLoadBalancerConfig.model_validate(
        {"enabled": False, "crossZone": False, "deregistrationDelay": 10}
    )
    issues = disabled_key_issues("networkLoadBalancer", config, {"enabled"})
    assert [(i.path, i.value) for i in issues] == [
        ("networkLoadBalancer.crossZone", False),
        ("networkLoadBalancer.deregistrationDelay", 10),
    ]
    assert issues[0].problem == "has no effect: networkLoadBalancer.enabled is false"
    edge = EdgeConfig.model_validate({"enabled": False, "bakeTimeMinutes": 5})
    assert disabled_key_issues("edge", edge, {"enabled", "bake_time_minutes"}) == []


def test_deletion_protection_defaults_per_environment_and_is_enforced_in_prod() -> None:
    issues: list[ConfigIssue] = []
    assert resolved_deletion_protection("dev", "k", None, issues) is False
    assert resolved_deletion_protection("prod", "k", None, issues) is True
    assert issues == []
    assert resolved_deletion_protection("prod", "k", False, issues) is False
    assert [i.path for i in issues] == ["k"]


@dataclass(frozen=True)
class Service:
    name: str
    path_patterns: tuple[str, ...] = ()
    priority: int | None = None
    default_route: bool = False
    host_headers: tuple[str, ...] = ()
    port: int = 8080
    public: bool = True
    health_check_path: str = "/health"
    health_check_port: int | None = None
    stop_timeout: int = 30
    traffic_shift: bool = False
    max_request_body_kb: int | None = None
    max_query_string_kb: int | None = None
    rate_limit: RouteRateLimit | None = None


def test_routes_get_free_priorities_in_name_order_and_the_default_comes_last() -> None:
    issues: list[ConfigIssue] = []
    routes = plan_routes(
        [
            Service("web", default_route=True, max_request_body_kb=64),
            Service("b", ("/b/*",)),
            Service("a", ("/a/*",), priority=AUTO_PRIORITY_START),
            Service("c", host_headers=("api.example.com",)),
        ],
        lambda name: f"services.{name}",
        issues,
    )
    assert issues == []
    assert [(r.service, r.priority, r.default) for r in routes] == [
        ("a", AUTO_PRIORITY_START, False),
        ("b", AUTO_PRIORITY_START + AUTO_PRIORITY_STEP, False),
        ("c", AUTO_PRIORITY_START + 2 * AUTO_PRIORITY_STEP, False),
        ("web", DEFAULT_ROUTE_PRIORITY, True),
    ]
    assert routes[-1].path_patterns == ("/*",)
    assert routes[-1].max_body_kb == 64
    assert routes[2].host_headers == ("api.example.com",)


def test_route_problems_come_in_service_order_one_rule_group_after_the_other() -> None:
    issues: list[ConfigIssue] = []
    plan_routes(
        [
            Service("one", default_route=True, priority=20),
            Service("two", default_route=True),
            Service("x", ("/a/*",), priority=5),
            Service("y", ("/a/*",), priority=2000),
            Service("z", priority=2000),
        ],
        lambda name: f"services.{name}",
        issues,
    )
    assert [i.path for i in issues] == [
        "services.two.defaultRoute",
        "services.one.priority",
        "services.x.priority",
        "services.y.pathPatterns",
        "services.z.pathPatterns",
        "services.z.priority",
    ]
