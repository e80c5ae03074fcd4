"""The edge building blocks in a program of one's own: an `api` behind an internal ALB with a
host-header rule beside a path rule, and a TCP service behind a Network Load Balancer, each
service admitting its load balancer's security group only. Then the pure rules behind them."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from accessweaver_components.edge.config import Route
from accessweaver_components.edge.routing import (
    host_header_problems,
    ingress_cidr_problems,
    rule_conditions,
    rule_problems,
    shadows,
)
from accessweaver_components.edge.tcp import (
    TcpListener,
    ingress_problems,
    listener_problems,
    nlb_health_check,
)
from tests.config_support import loader
from tests.resource_types import LISTENER, SG_IN, SG_OUT
from tests.support_programs import refusal
from tools.aws_models import validate
from tools.engine import run_function
from tools.policy_check import run_policies

VPC = "vpc-0a1b2c3d4e5f60718"
PRIVATE = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"
CALLERS = "sg-0a1b2c3d4e5f60733"
RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2"


def edge_program() -> None:
    """A user's program: an internal ALB routing `api` by host and path and `admin` by host
    only, and an internal NLB in front of a TCP service (`broker`, MQTT on 1883)."""
    import pulumi

    from accessweaver_components.compute.cluster import ClusterRef
    from accessweaver_components.compute.containers import CommandHealthCheck, ContainerArgs
    from accessweaver_components.compute.microservice import Microservice, MicroserviceArgs
    from accessweaver_components.edge.config import Route
    from accessweaver_components.edge.load_balancer import LoadBalancer, LoadBalancerArgs
    from accessweaver_components.edge.network_load_balancer import (
        NetworkLoadBalancer,
        NetworkLoadBalancerArgs,
    )
    from accessweaver_components.edge.tcp import TcpListener

    cluster = ClusterRef("arn:aws:ecs:eu-west-1:123456789012:cluster/shop", "shop")
    alb = LoadBalancer(
        "shop",
        LoadBalancerArgs(
            name="shop-internal",
            vpc_id=VPC,
            subnet_ids=PRIVATE,
            internal=True,
            routes=[
                Route("api", 8080, "/health", ("/v1/*",), 100, host_headers=("api.shop.internal",)),
                Route("admin", 8080, "/health", (), 110, host_headers=("admin.shop.internal",)),
            ],
            project="shop",
            environment="dev",
            deletion_protection=False,
        ),
    )
    nlb = NetworkLoadBalancer(
        "shop-tcp",
        NetworkLoadBalancerArgs(
            name="shop-tcp",
            vpc_id=VPC,
            subnet_ids=PRIVATE,
            listeners=[TcpListener("broker", 1883)],
            project="shop",
            environment="dev",
            ingress_security_group_ids=[CALLERS],
            deletion_protection=False,
        ),
    )
    common = {"cluster": cluster, "vpc_id": VPC, "subnet_ids": PRIVATE}
    for service, attachment, health in (
        ("api", alb.attachment("api"), None),
        ("admin", alb.attachment("admin"), None),
        (
            "broker",
            nlb.attachment("broker"),
            CommandHealthCheck(["CMD", "nc", "-z", "localhost", "1883"]),
        ),
    ):
        port = 1883 if service == "broker" else 8080
        container = (
            ContainerArgs(image=f"{REGISTRY}/{service}:1", port=port, health_check=health)
            if health is not None
            else ContainerArgs(image=f"{REGISTRY}/{service}:1", port=port)
        )
        Microservice(
            service, MicroserviceArgs(**common, container=container, load_balancer=attachment)
        )
    pulumi.export("urls", alb.public_urls)
    pulumi.export("broker", nlb.endpoints)


@pytest.fixture(scope="module")
def planned():
    return run_function(edge_program, project="shop")


def test_the_internal_alb_sits_in_private_subnets_and_admits_the_vpc_only(planned):
    alb = planned.one(BALANCER, "shop-alb").inputs
    assert alb["internal"] is True and alb["subnets"] == PRIVATE
    (group,) = alb["securityGroups"]
    ingress = [r.inputs for r in planned.of_type(SG_IN) if r.inputs["securityGroupId"] == group]
    # one rule, from the block the VPC look-up answers (offline: a /16 derived from the id)
    ((cidr, port),) = [(r["cidrIpv4"], r["fromPort"]) for r in ingress]
    assert ipaddress.IPv4Network(cidr).is_private and cidr.endswith("/16") and port == 80
    assert not any(r.inputs.get("cidrIpv4") == "0.0.0.0/0" for r in planned.of_type(SG_IN))


def test_a_host_header_rule_beside_a_path_rule_keeps_its_priority(planned):
    rules = {r.name: r.inputs for r in planned.of_type(RULE)}
    assert rules["shop-api-rule"]["priority"] == 100
    assert rules["shop-api-rule"]["conditions"] == [
        {"hostHeader": {"values": ["api.shop.internal"]}},
        {"pathPattern": {"values": ["/v1/*"]}},
    ]
    assert rules["shop-admin-rule"]["priority"] == 110
    assert rules["shop-admin-rule"]["conditions"] == [
        {"hostHeader": {"values": ["admin.shop.internal"]}}
    ]
    # the management guard still answers first, whatever the host
    assert rules["shop-guard-management"]["priority"] == 1
    assert planned.outputs["urls"] == {
        "api": ["http://api.shop.internal/v1/"],
        "admin": ["http://admin.shop.internal/"],
    }


def test_the_nlb_forwards_tcp_to_an_ip_target_group_with_a_tcp_health_check(planned):
    nlb = planned.one(BALANCER, "shop-tcp-nlb").inputs
    assert nlb["loadBalancerType"] == "network" and nlb["internal"] is True
    assert nlb["enableCrossZoneLoadBalancing"] is True and len(nlb["securityGroups"]) == 1
    group = planned.one(TARGET_GROUP, "shop-tcp-broker-tg").inputs
    assert (group["protocol"], group["port"], group["targetType"]) == ("TCP", 1883, "ip")
    assert group["healthCheck"]["protocol"] == "TCP" and "path" not in group["healthCheck"]
    listener = planned.one(LISTENER, "shop-tcp-broker-listener").inputs
    assert (listener["protocol"], listener["port"]) == ("TCP", 1883)
    assert listener["defaultActions"][0]["type"] == "forward"
    assert planned.outputs["broker"] == {
        "broker": f"{nlb['name']}.offline:1883"
    } or planned.outputs["broker"]["broker"].endswith(":1883")


def test_the_nlb_admits_its_callers_and_the_service_admits_the_nlb_only(planned):
    (nlb_group,) = planned.one(BALANCER, "shop-tcp-nlb").inputs["securityGroups"]
    into_nlb = [
        r.inputs for r in planned.of_type(SG_IN) if r.inputs["securityGroupId"] == nlb_group
    ]
    assert [(r["referencedSecurityGroupId"], r["fromPort"]) for r in into_nlb] == [(CALLERS, 1883)]
    service = planned.one("aws:ecs/service:Service", "broker-service").inputs
    (broker_group,) = service["networkConfiguration"]["securityGroups"]
    into_broker = [
        (r.inputs.get("referencedSecurityGroupId"), r.inputs["fromPort"])
        for r in planned.of_type(SG_IN)
        if r.inputs["securityGroupId"] == broker_group
    ]
    assert into_broker == [(nlb_group, 1883)]
    out_of_nlb = [
        (r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"])
        for r in planned.of_type(SG_OUT)
        if r.inputs["securityGroupId"] == nlb_group
    ]
    assert out_of_nlb == [(broker_group, 1883)]
    assert service["loadBalancers"][0]["containerPort"] == 1883


def test_what_the_program_writes_is_what_the_elbv2_api_accepts(planned):
    group = planned.one(TARGET_GROUP, "shop-tcp-broker-tg").inputs
    check = group["healthCheck"]
    params = {
        "Name": group["name"],
        "Protocol": group["protocol"],
        "Port": int(group["port"]),
        "VpcId": VPC,
        "TargetType": group["targetType"],
        "HealthCheckProtocol": check["protocol"],
        "HealthCheckPort": check["port"],
        "HealthCheckIntervalSeconds": int(check["interval"]),
        "HealthCheckTimeoutSeconds": int(check["timeout"]),
        "HealthyThresholdCount": int(check["healthyThreshold"]),
        "UnhealthyThresholdCount": int(check["unhealthyThreshold"]),
    }
    assert validate("elbv2", "CreateTargetGroup", params) == []
    rule = planned.one(RULE, "shop-api-rule").inputs
    conditions = [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["api.shop.internal"]}},
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/v1/*"]}},
    ]
    assert len(rule["conditions"]) == len(conditions)
    assert (
        validate(
            "elbv2",
            "CreateRule",
            {
                "ListenerArn": LISTENER_ARN,
                "Priority": int(rule["priority"]),
                "Conditions": conditions,
                "Actions": [{"Type": "forward", "TargetGroupArn": "arn:tg"}],
            },
        )
        == []
    )
    nlb = planned.one(BALANCER, "shop-tcp-nlb").inputs
    assert (
        validate(
            "elbv2",
            "CreateLoadBalancer",
            {
                "Name": nlb["name"],
                "Type": nlb["loadBalancerType"],
                "Scheme": "internal",
                "Subnets": PRIVATE,
                "SecurityGroups": nlb["securityGroups"],
            },
        )
        == []
    )


# -- refused before any resource ---------------------------------------------------------------


def _alb_program(**args: Any):
    """A program building one ALB `x` in VPC/PRIVATE for project `shop` in dev, with `args`."""

    def program() -> None:
        from accessweaver_components.edge.load_balancer import LoadBalancer, LoadBalancerArgs

        LoadBalancer(
            "x",
            LoadBalancerArgs(
                name="x", vpc_id=VPC, subnet_ids=PRIVATE, project="shop", environment="dev", **args
            ),
        )

    return program


def _nlb_program(listeners: list[TcpListener], *, attach: str | None = None, **args: Any):
    """A program building one NLB `n` in VPC/PRIVATE for project `p` in dev with `listeners`
    (and `args`), then asking it for the attachment of service `attach` when given."""

    def program() -> None:
        from accessweaver_components.edge.network_load_balancer import (
            NetworkLoadBalancer,
            NetworkLoadBalancerArgs,
        )

        nlb = NetworkLoadBalancer(
            "n",
            NetworkLoadBalancerArgs(
                name="n",
                vpc_id=VPC,
                subnet_ids=PRIVATE,
                project="p",
                environment="dev",
                listeners=listeners,
                **args,
            ),
        )
        if attach is not None:
            nlb.attachment(attach)

    return program


def test_a_host_rule_over_the_limits_is_refused_naming_the_route():
    broken = _alb_program(
        internal=True,
        ingress_cidrs=("0.0.0.0/0",),
        routes=[
            Route(
                "api",
                8080,
                "/health",
                ("/a/*", "/b/*", "/c/*"),
                100,
                host_headers=("*.shop.io", "api.shop.*", "x.y.z"),
            )
        ],
    )
    message = refusal(broken)
    assert "route api: host header 'api.shop.*': only letters may follow the last '.'" in message
    assert "6 condition values" in message and "ingress_cidrs '0.0.0.0/0'" in message


def test_an_internet_facing_alb_refuses_ingress_ranges():
    broken = _alb_program(
        ingress_cidrs=("10.0.0.0/8",), routes=[Route("api", 8080, "/health", ("/a/*",), 100)]
    )
    assert "apply to an internal ALB only" in refusal(broken)


def test_an_nlb_with_a_tls_listener_and_no_certificate_or_an_unknown_service_is_refused():
    broken = _nlb_program(
        [TcpListener("a", 8883, protocol="TLS"), TcpListener("b", 8883)], internal=False
    )
    message = refusal(broken)
    assert "listener a: a TLS listener needs certificate_arn" in message
    assert "listener b: listener port 8883 is already a's" in message
    assert "an internet-facing NLB admits no one by default" in message

    unknown = _nlb_program([TcpListener("a", 8883)], attach="A")
    with pytest.raises(Exception, match="no listener for service 'A'; allowed: a"):
        run_function(unknown)


# -- the pure rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("api.example.com", None),
        ("*.example.com", None),
        ("api-?.example.com", None),
        ("localhost", "no '.'"),
        ("api.example.com:8443", "characters other than"),
        ("api.example.c0m", "only letters may follow"),
        ("a" * 120 + ".example.com", "132 characters"),
    ],
)
def test_host_header_values_follow_the_elb_api(host, problem):
    found = host_header_problems(host)
    assert (found == []) if problem is None else any(problem in p for p in found)


def test_hosts_and_paths_share_the_rule_quotas():
    assert rule_problems(("a.example.com",), ("/a", "/b", "/c", "/d")) == []
    assert any(
        "5 condition values" not in p and "6 condition values" in p
        for p in rule_problems(("a.example.com", "b.example.com"), ("/a", "/b", "/c", "/d"))
    )
    assert any(
        "6 wildcards" in p for p in rule_problems(("*.a.io", "*.b.io"), ("/*", "/x*", "/y?*"))
    )
    assert any("4 host headers" in p for p in rule_problems(("a.io", "b.io", "c.io", "d.io"), ()))
    assert any("listed twice" in p for p in rule_problems(("A.io", "a.io"), ()))
    assert rule_problems((), ()) == [
        "no host header and no path pattern: the rule would match nothing"
    ]


def test_conditions_are_host_then_path_and_path_only_rules_are_unchanged():
    assert rule_conditions((), ("/api/*",)) == [{"path_pattern": {"values": ["/api/*"]}}]
    assert rule_conditions(("a.io",), ()) == [{"host_header": {"values": ["a.io"]}}]


def test_an_earlier_rule_shadows_a_later_one_only_for_the_hosts_it_covers():
    assert shadows((), ("a.io",), paths_covered=True)
    assert not shadows(("b.io",), ("a.io",), paths_covered=True)
    assert shadows(("A.io", "b.io"), ("a.io",), paths_covered=True)
    assert not shadows(("a.io",), (), paths_covered=True)
    assert not shadows((), (), paths_covered=False)


def test_internal_ingress_takes_private_ranges_only():
    assert ingress_cidr_problems("10.20.0.0/16") == []
    assert ingress_cidr_problems("100.64.0.0/16") == []
    assert ingress_cidr_problems("0.0.0.0/0") and ingress_cidr_problems("8.8.8.0/24")
    assert ingress_cidr_problems("10.20.0.1/16")  # host bits set
    assert ingress_problems(internal=False, cidrs=("0.0.0.0/0",), security_group_ids=()) == []
    assert ingress_problems(internal=False, cidrs=("nope",), security_group_ids=())


def test_an_http_health_check_needs_a_path_and_a_tcp_one_takes_none():
    assert (
        nlb_health_check(
            TcpListener("a", 80, health_check_protocol="HTTP", health_check_path="/health")
        )["matcher"]
        == "200-399"
    )
    assert listener_problems(
        [TcpListener("a", 80, health_check_protocol="HTTP")],
        tls_certificate=False,
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    ) == [
        "listener a: an HTTP health check needs health_check_path (/..., at most 1024 characters)"
    ]
    assert listener_problems(
        [TcpListener("a", 80, health_check_path="/x")],
        tls_certificate=False,
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    )


# -- the stack config: the same blocks by configuration ------------------------------------------

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
SIZE = {"cpu": 256, "memory": 512, "desiredCount": 1}
SIZES = {"dev": SIZE, "staging": SIZE, "prod": SIZE}


def _catalog(**api: Any) -> dict[str, Any]:
    return {
        "api": {"port": 8080, "public": True, "sizes": SIZES, **api},
        "web": {"port": 8081, "public": True, "sizes": SIZES, "defaultRoute": True},
        "broker": {
            "port": 1883,
            "sizes": SIZES,
            "healthCheckCommand": ["CMD", "nc", "-z", "localhost", "1883"],
            "stopTimeout": 60,
        },
    }


load, problems = loader(
    {
        "environment": "prod",
        "permissionsBoundaryOptOut": "a test stack: no bootstrap deploys it",
        "containerRegistry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop",
        "network": {"createVpc": True},
        "edge": {"enabled": True, "certificateArn": CERTIFICATE},
        "baseCatalog": "none",
        "services": _catalog(pathPatterns=["/v1/*"], hostHeaders=["api.shop.example.com"]),
    }
)


def test_a_host_and_path_rule_and_an_internal_alb_resolve_from_the_stack_file():
    settings = load(edge={"enabled": True, "internal": True, "ingressCidrs": ["10.50.0.0/16"]})
    edge = settings.edge
    api = next(r for r in edge.routes if r.service == "api")
    assert (api.host_headers, api.path_patterns, api.priority) == (
        ("api.shop.example.com",),
        ("/v1/*",),
        1000,
    )
    # internal: no certificate needed in prod, WAF off by default, the given range only
    assert edge.internal and not edge.https and not edge.waf
    assert edge.ingress_cidrs == ("10.50.0.0/16",)


def test_an_internet_facing_prod_alb_keeps_its_waf_and_its_certificate_rule():
    assert load().edge.waf is True
    assert "plain HTTP" in problems(edge={"enabled": True})["edge.certificateArn"]


def test_host_headers_are_refused_where_alb_would_refuse_them():
    found = problems(services=_catalog(hostHeaders=["api.shop.example.c0m", "localhost"]))
    message = found["services.api.hostHeaders"]
    assert "'api.shop.example.c0m': only letters may follow the last '.'" in message
    assert "'localhost': no '.'" in message
    found = problems(
        services={
            **_catalog(pathPatterns=["/v1/*"]),
            "web": {**_catalog()["web"], "hostHeaders": ["web.shop.example.com"]},
        }
    )
    assert "the default route already receives every request" in found["services.web.hostHeaders"]


def test_the_same_path_on_two_hosts_is_two_routes_and_on_one_host_one_too_many():
    two = {
        **_catalog(pathPatterns=["/v1/*"], hostHeaders=["a.shop.example.com"]),
        "api2": {
            "port": 8082,
            "public": True,
            "sizes": SIZES,
            "pathPatterns": ["/v1/*"],
            "hostHeaders": ["b.shop.example.com"],
        },
    }
    assert {"api", "api2", "web"} <= {r.service for r in load(services=two).edge.routes}
    clash = {**two, "api2": {**two["api2"], "hostHeaders": ["A.shop.example.com"]}}
    found = problems(services=clash)
    assert "already routed to api" in found["services.api2.pathPatterns"]


def test_a_rule_without_hosts_shadows_a_later_one_with_hosts_but_not_the_other_way():
    hosts_first = {
        **_catalog(pathPatterns=["/v1/*"], hostHeaders=["a.shop.example.com"], priority=10),
        "all": {
            "port": 8082,
            "public": True,
            "sizes": SIZES,
            "pathPatterns": ["/v1/orders"],
            "priority": 20,
        },
    }
    assert load(services=hosts_first).edge is not None
    shadowed = {
        **hosts_first,
        "all": {**hosts_first["all"], "pathPatterns": ["/v1/*"], "priority": 5 + 5},
        "api": {**hosts_first["api"], "pathPatterns": ["/v1/orders"], "priority": 20},
    }
    found = problems(services=shadowed)
    assert "never reached: all's /v1/* (priority 10)" in found["services.api.pathPatterns"]


def test_ingress_keys_belong_to_an_internal_alb_and_to_private_ranges():
    found = problems(
        edge={"enabled": True, "certificateArn": CERTIFICATE, "ingressCidrs": ["10.0.0.0/8"]}
    )
    assert "narrows an internal ALB's callers only" in found["edge.ingressCidrs"]
    found = problems(edge={"enabled": True, "internal": True, "ingressCidrs": ["0.0.0.0/0"]})
    assert "not a private range" in found["edge.ingressCidrs"]


NLB = {"enabled": True, "listeners": {"broker": {}}}


def test_a_tcp_service_behind_the_nlb_resolves_with_its_ports():
    nlb = load(networkLoadBalancer=NLB).network_load_balancer
    assert nlb.internal and nlb.cross_zone and nlb.deletion_protection  # prod: ELB.6
    assert nlb.routes == {"broker": (1883,)}


@pytest.mark.parametrize(
    ("config", "path", "problem"),
    [
        (
            {"enabled": True, "listeners": {"nope": {}}},
            "networkLoadBalancer.listeners.nope",
            "not a service of the stack",
        ),
        (
            {"enabled": True, "listeners": {"api": {}}},
            "networkLoadBalancer.listeners.api",
            "behind an ALB already",
        ),
        (
            {"enabled": True, "listeners": {"broker": {"protocol": "TLS"}}},
            "networkLoadBalancer.listeners",
            "a TLS listener needs certificate_arn",
        ),
        (
            {"enabled": True, "internal": False, "listeners": {"broker": {}}},
            "networkLoadBalancer.ingressCidrs",
            "admits no one by default",
        ),
        (
            {"enabled": True, "deletionProtection": False, "listeners": {"broker": {}}},
            "networkLoadBalancer.deletionProtection",
            "ELB.6 is enforced",
        ),
        ({"enabled": False, "internal": False}, "networkLoadBalancer.internal", "has no effect"),
    ],
)
def test_an_nlb_the_program_could_not_build_is_refused_at_its_key(config, path, problem):
    assert problem in problems(networkLoadBalancer=config)[path]


@pytest.fixture(scope="module")
def dev_with_both():
    """Dev's stack file with an internal ALB, a host-header service and an NLB service."""
    from tests.conftest import ROOT
    from tools.engine import run_program

    override = {
        "accessweaver:edge": {"enabled": True, "internal": True},
        "accessweaver:services": {
            "console": {
                "port": 8080,
                "public": True,
                "sizes": SIZES,
                "pathPatterns": ["/ui/*"],
                "hostHeaders": ["console.dev.accessweaver.internal"],
            },
            "broker": _catalog()["broker"],
        },
        "accessweaver:networkLoadBalancer": NLB,
    }
    encoded = {key: json.dumps(value) for key, value in override.items()}
    return run_program(ROOT, "dev", config_override=encoded)


def test_a_stack_plans_the_internal_alb_the_host_rule_and_the_nlb(dev_with_both):
    result = dev_with_both
    alb = result.one(BALANCER, "accessweaver-dev-alb").inputs
    nlb = result.one(BALANCER, "accessweaver-dev-nlb").inputs
    assert alb["internal"] is True and nlb["internal"] is True
    assert alb["subnets"] == nlb["subnets"]  # both in the private subnets
    rule = result.one(RULE, "accessweaver-dev-console-rule").inputs
    assert rule["conditions"] == [
        {"hostHeader": {"values": ["console.dev.accessweaver.internal"]}},
        {"pathPattern": {"values": ["/ui/*"]}},
    ]
    # the committed services keep their rules and priorities
    gateway = result.one(RULE, "accessweaver-dev-aw-api-gateway-rule").inputs
    assert gateway["priority"] == 50000
    group = result.one(TARGET_GROUP, "accessweaver-dev-broker-tg").inputs
    assert (group["protocol"], group["targetType"], group["port"]) == ("TCP", "ip", 1883)
    broker = result.one("aws:ecs/service:Service", "broker-service").inputs
    (broker_group,) = broker["networkConfiguration"]["securityGroups"]
    into_broker = [
        (
            r.property_dependencies["referencedSecurityGroupId"][0].rsplit("::", 1)[1],
            r.inputs["fromPort"],
        )
        for r in result.of_type(SG_IN)
        if r.inputs["securityGroupId"] == broker_group
    ]
    # the NLB, and dev's health probe (it asks every service with a port): no CIDR, no ALB
    assert sorted(into_broker) == [("accessweaver-dev-nlb-sg", 1883), ("health-probe-sg", 1883)]
    assert result.outputs["nlb_endpoints"]["broker"].endswith(":1883")
    assert result.outputs["public_urls"]["console"] == [
        "http://console.dev.accessweaver.internal/ui/"
    ]


def test_the_policy_pack_passes_the_stack_and_reads_the_nlb_as_a_graph_node(dev_with_both):
    mandatory = [
        v for v in run_policies(dev_with_both).violations if v["enforcement"] == "mandatory"
    ]
    assert mandatory == []


def test_the_estimate_prices_the_nlb_beside_the_alb(dev_with_both, plan):
    estimate = dev_with_both.outputs["estimated_monthly_cost"]
    committed = plan("dev").outputs["estimated_monthly_cost"]
    assert "1 NLB x 730 h" in estimate["line_item_details"]["load_balancer"]
    assert "nlb_nlcu" in estimate["assumptions"]
    assert "nlb_nlcu" not in committed["assumptions"]
    extra = (
        estimate["line_items_usd"]["load_balancer"] - committed["line_items_usd"]["load_balancer"]
    )
    assert extra > 730 * 0.0252  # at least the NLB's hours (eu-west-1)
    # the internal ALB has no public address: only the NAT gateways' and the tasks' remain
    assert "ALB" not in estimate["line_item_details"]["public_ipv4"].split("+")[0] or (
        estimate["line_items_usd"]["public_ipv4"] < committed["line_items_usd"]["public_ipv4"]
    )


# -- the policy pack on an NLB and an internal ALB ------------------------------------------------


def _with_internet_nlb(port_open: int, *, listener_port: int = 8883) -> list:
    """The compliant baseline plus an internet-facing NLB listening on `listener_port`, its
    group open to the internet on `port_open`."""
    from policy import checks as c
    from tests.policy_fakes import baseline, res

    r = baseline()
    group = res(c.SECURITY_GROUP, "nlb-sg", {"description": "NLB"})
    nlb = res(
        c.LOAD_BALANCERS[0],
        "nlb",
        {
            "loadBalancerType": "network",
            "internal": False,
            "enableDeletionProtection": True,
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-nlb"],
        },
        deps=(group,),
    )
    listener = res(
        c.LISTENERS[0],
        "nlb-listener",
        {
            "port": listener_port,
            "protocol": "TCP",
            "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
        },
        props={"loadBalancerArn": (nlb,)},
    )
    opening = res(
        c.INGRESS_RULE,
        "nlb-open",
        {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": port_open, "toPort": port_open},
        deps=(group,),
    )
    return [*r.values(), group, nlb, listener, opening]


def _violations(resources) -> set[tuple[str, str]]:
    from tests.policy_fakes import plan_of

    return {(v["policy"], v["resource"]) for v in run_policies(plan_of(resources)).violations}


def test_an_internet_facing_nlb_may_open_its_listener_port_and_only_that_one():
    assert _violations(_with_internet_nlb(8883)) == set()
    found = _violations(_with_internet_nlb(9000))
    assert ("ec2-internet-ingress-alb-only", "nlb-open") in found
    # a high-risk port stays refused even as a listener port
    found = _violations(_with_internet_nlb(5432, listener_port=5432))
    assert found == {("ec2-no-open-high-risk-ports", "nlb-open")}


def test_alb_controls_do_not_fire_on_an_nlb_and_its_tcp_listener():
    # no access logs, no dropInvalidHeaderFields, a TCP listener forwarding every path: none of
    # ELB.4, ELB.5, ELB.12 or EDGE.1 is about a layer-4 load balancer
    assert _violations(_with_internet_nlb(8883)) == set()


def test_the_waf_control_skips_an_internal_alb_and_not_an_internet_facing_one():
    from policy import checks as c
    from tests.policy_fakes import baseline, with_inputs

    r = baseline()
    del r["web-acl-association"]
    found = _violations(list(r.values()))
    assert ("elb-waf-attached", "alb") in found
    r["alb"] = with_inputs(r["alb"], internal=True)
    assert ("elb-waf-attached", "alb") not in _violations(list(r.values()))
    assert c.LOAD_BALANCERS[0] == r["alb"].type


def test_per_route_waf_limits_on_a_host_routed_service_are_refused_until_waf_matches_hosts():
    found = problems(
        services=_catalog(
            pathPatterns=["/v1/*"], hostHeaders=["api.shop.example.com"], maxRequestBodyKb=64
        )
    )
    assert "match a route by its paths only" in found["services.api.hostHeaders"]
