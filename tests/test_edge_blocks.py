"""The edge building blocks in a program of one's own: an `api` behind an internal ALB with a
host-header rule beside a path rule, and a TCP service behind a Network Load Balancer, each
service admitting its load balancer's security group only. Then the pure rules behind them."""

from __future__ import annotations

import ipaddress

import pytest

from components.edge.config import Route
from components.edge.routing import (
    host_header_problems,
    ingress_cidr_problems,
    rule_conditions,
    rule_problems,
    shadows,
)
from components.edge.tcp import TcpListener, ingress_problems, listener_problems, nlb_health_check
from tests.graph_support import SG_IN, SG_OUT
from tools.aws_models import validate
from tools.engine import run_function

VPC = "vpc-0a1b2c3d4e5f60718"
PRIVATE = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"
CALLERS = "sg-0a1b2c3d4e5f60733"
RULE = "aws:lb/listenerRule:ListenerRule"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2"


def edge_program() -> None:
    """A user's program: an internal ALB routing `api` by host and path and `admin` by host
    only, and an internal NLB in front of a TCP service (`broker`, MQTT on 1883)."""
    import pulumi

    from components.compute.cluster import ClusterRef
    from components.compute.containers import CommandHealthCheck, ContainerArgs
    from components.compute.microservice import Microservice, MicroserviceArgs
    from components.edge.config import Route
    from components.edge.load_balancer import LoadBalancer, LoadBalancerArgs
    from components.edge.network_load_balancer import (
        NetworkLoadBalancer,
        NetworkLoadBalancerArgs,
    )
    from components.edge.tcp import TcpListener

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


def _refused(program) -> str:
    with pytest.raises(Exception) as caught:
        run_function(program)
    assert caught.value.recorded == []
    return str(caught.value)


def test_a_host_rule_over_the_limits_is_refused_naming_the_route():
    def broken() -> None:
        from components.edge.load_balancer import LoadBalancer, LoadBalancerArgs

        LoadBalancer(
            "x",
            LoadBalancerArgs(
                name="x",
                vpc_id=VPC,
                subnet_ids=PRIVATE,
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
                project="shop",
                environment="dev",
            ),
        )

    message = _refused(broken)
    assert "route api: host header 'api.shop.*': only letters may follow the last '.'" in message
    assert "6 condition values" in message and "ingress_cidrs '0.0.0.0/0'" in message


def test_an_internet_facing_alb_refuses_ingress_ranges():
    def broken() -> None:
        from components.edge.load_balancer import LoadBalancer, LoadBalancerArgs

        LoadBalancer(
            "x",
            LoadBalancerArgs(
                name="x",
                vpc_id=VPC,
                subnet_ids=PRIVATE,
                ingress_cidrs=("10.0.0.0/8",),
                routes=[Route("api", 8080, "/health", ("/a/*",), 100)],
                project="shop",
                environment="dev",
            ),
        )

    assert "apply to an internal ALB only" in _refused(broken)


def test_an_nlb_with_a_tls_listener_and_no_certificate_or_an_unknown_service_is_refused():
    def broken() -> None:
        from components.edge.network_load_balancer import (
            NetworkLoadBalancer,
            NetworkLoadBalancerArgs,
        )

        NetworkLoadBalancer(
            "n",
            NetworkLoadBalancerArgs(
                name="n",
                vpc_id=VPC,
                subnet_ids=PRIVATE,
                project="p",
                environment="dev",
                listeners=[TcpListener("a", 8883, protocol="TLS"), TcpListener("b", 8883)],
                internal=False,
            ),
        )

    message = _refused(broken)
    assert "listener a: a TLS listener needs certificate_arn" in message
    assert "listener b: listener port 8883 is already a's" in message
    assert "an internet-facing NLB admits no one by default" in message

    def unknown() -> None:
        from components.edge.network_load_balancer import (
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
                listeners=[TcpListener("a", 8883)],
            ),
        )
        nlb.attachment("A")

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
