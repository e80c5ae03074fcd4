"""The components check their own arguments (issue 21, part 2).

GIVEN a component built in a program of one's own with arguments AWS would refuse or that
contradict each other, WHEN the program runs, THEN it fails before anything is registered with
every problem at once, each naming the argument (`MicroserviceArgs.memory`), its value and what
is allowed; the stack layer applies the same rules (`components/compute/arguments.py`,
`fargate.py`) at its own keys.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from accessweaver_components.compute.arguments import port_issues, scaling_issues, scaling_problem
from accessweaver_components.compute.fargate import FARGATE_SIZES, size_issues
from accessweaver_components.errors import ArgumentError, ConfigIssue
from tools.engine import run_function

VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1"
CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/platform"


def _service(**changes: Any) -> None:
    from accessweaver_components.compute.cluster import ClusterRef
    from accessweaver_components.compute.containers import ContainerArgs
    from accessweaver_components.compute.microservice import Microservice, MicroserviceArgs

    args = MicroserviceArgs(
        cluster=ClusterRef(CLUSTER, "platform"),
        vpc_id=VPC,
        subnet_ids=SUBNETS,
        container=ContainerArgs(image=IMAGE, port=8080),
    )
    Microservice("api", replace(args, **changes))


def refused(program) -> ArgumentError:
    with pytest.raises(ArgumentError) as caught:
        run_function(program)
    assert caught.value.recorded == []  # type: ignore[attr-defined]
    return caught.value


# -- Fargate sizes --------------------------------------------------------------------------


def test_a_microservice_of_256_cpu_and_4096_mib_is_refused_naming_the_argument():
    error = refused(lambda: _service(cpu=256, memory=4096))
    assert str(error).splitlines() == [
        "Microservice 'api': invalid arguments (1 problem); nothing was created.",
        "  - MicroserviceArgs.memory = 4096: Fargate does not run 256 CPU units with this "
        "memory; allowed: with cpu 256: 512, 1024, 2048 MiB",
    ]
    assert isinstance(error, ValueError)  # callers catching the earlier ValueError still do


@pytest.mark.parametrize(
    ("cpu", "memory", "ok"),
    [
        (8192, 16384, True),
        (8192, 61440, True),
        (8192, 18432, False),  # 8 vCPU: steps of 4096
        (16384, 32768, True),
        (16384, 122880, True),
        (16384, 36864, False),  # 16 vCPU: steps of 8192
        (4096, 30720, True),
        (4096, 32768, False),
        (384, 1024, False),
    ],
)
def test_fargate_pairs_follow_the_documented_table(cpu, memory, ok):
    issues: list[ConfigIssue] = []
    size_issues(cpu, memory, "cpu", "memory", issues)
    assert (issues == []) is ok
    if not ok:
        (issue,) = issues
        assert issue.path == ("memory" if cpu in FARGATE_SIZES else "cpu")


# -- ports, counts, attachments, conflicts --------------------------------------------------


def test_every_problem_is_reported_at_once_each_at_its_argument():
    from accessweaver_components.compute.containers import ContainerArgs, HttpHealthCheck
    from accessweaver_components.compute.microservice import ScalingArgs

    error = refused(
        lambda: _service(
            container=ContainerArgs(image=IMAGE, port=70000, health_check=HttpHealthCheck(port=0)),
            desired_count=1,
            scaling=ScalingArgs(min_capacity=2, max_capacity=6),
            spot_percentage=150,
        )
    )
    assert {issue.path for issue in error.issues} == {
        "container.port",
        "container.health_check.port",
        "desired_count",
        "spot_percentage",
    }
    text = str(error)
    assert (
        "MicroserviceArgs.container.port = 70000: not a TCP port; allowed: a TCP port from 1 "
        in (text)
    )
    assert (
        "MicroserviceArgs.desired_count = 1: outside the autoscaling bounds "
        "[2 (scaling.min_capacity), 6 (scaling.max_capacity)]; allowed: 2 to 6" in text
    )


def test_a_desired_count_above_the_maximum_and_a_minimum_above_it_are_refused():
    from accessweaver_components.compute.microservice import ScalingArgs

    above = refused(
        lambda: _service(desired_count=9, scaling=ScalingArgs(min_capacity=1, max_capacity=4))
    )
    assert [i.path for i in above.issues] == ["desired_count"]
    inverted = refused(lambda: _service(scaling=ScalingArgs(min_capacity=5, max_capacity=2)))
    assert [(i.path, i.allowed) for i in inverted.issues] == [("scaling.min_capacity", "at most 2")]


def test_a_scaling_service_without_a_desired_count_starts_at_its_minimum():
    from accessweaver_components.compute.microservice import ScalingArgs

    result = run_function(lambda: _service(scaling=ScalingArgs(min_capacity=3, max_capacity=6)))
    assert result.one("aws:ecs/service:Service", "api-service").inputs["desiredCount"] == 3


def test_load_balancer_ports_must_reach_the_container_once_each():
    from accessweaver_components.compute.attachments import LoadBalancerAttachment

    error = refused(
        lambda: _service(
            load_balancer=LoadBalancerAttachment(
                "arn:tg", ("sg-0a1b2c3d4e5f60799",), ports=(9000, 9000)
            )
        )
    )
    assert [(i.path, i.problem) for i in error.issues] == [
        ("load_balancer.ports[1]", "given twice"),
        ("load_balancer.ports", "the load balancer would not reach the container port 8080"),
    ]


def test_discovery_and_service_connect_conflict():
    from accessweaver_components.compute.cluster import ClusterRef
    from accessweaver_components.compute.microservice import ServiceConnectArgs

    cluster = ClusterRef(
        CLUSTER, "platform", namespace_id="ns-1", namespace_name="shop.local", namespace_arn="arn"
    )
    error = refused(
        lambda: _service(cluster=cluster, discovery=True, service_connect=ServiceConnectArgs())
    )
    (issue,) = error.issues
    assert issue.path == "discovery" and "conflicts with service_connect" in issue.problem


def test_attaching_a_service_the_load_balancer_does_not_route_to_fails_naming_the_known_ones():
    def program() -> None:
        from accessweaver_components.edge.config import Route
        from accessweaver_components.edge.load_balancer import LoadBalancer, LoadBalancerArgs

        edge = LoadBalancer(
            "edge",
            LoadBalancerArgs(
                vpc_id=VPC,
                subnet_ids=SUBNETS,
                routes=[
                    Route("api", 8080, "/health", ("/*",), 100, default=True),
                    Route("web", 3000, "/health", ("/web/*",), 110),
                ],
            ),
        )
        assert edge.routes_to("api") and not edge.routes_to("API")
        edge.attachment("API")

    with pytest.raises(ArgumentError) as caught:
        run_function(program)
    assert str(caught.value).splitlines()[1] == (
        "  - attachment.service = 'API': the load balancer has no route to this service; "
        "allowed: one of api, web"
    )


def test_a_load_balancer_given_a_certificate_and_a_domain_is_refused():
    def program() -> None:
        from accessweaver_components.edge.config import Route
        from accessweaver_components.edge.domain import DomainArgs
        from accessweaver_components.edge.load_balancer import LoadBalancer, LoadBalancerArgs

        LoadBalancer(
            "edge",
            LoadBalancerArgs(
                vpc_id=VPC,
                subnet_ids=SUBNETS,
                routes=[Route("api", 0, "/health", ("/*",), 100, default=True)],
                certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/x",
                domain=DomainArgs("shop.example.com", "Z0123456789ABCDEFGHIJ"),
            ),
        )

    error = refused(program)
    assert [i.path for i in error.issues] == ["routes[0].ports[0]", "domain"]


# -- the rules the stack layer shares -------------------------------------------------------


@pytest.mark.parametrize(
    ("desired", "minimum", "maximum", "expected"),
    [
        (2, 1, 4, None),
        (0, 0, 0, None),
        (1, 2, 6, "desired_outside"),
        (7, 2, 6, "desired_outside"),
        (3, 5, 2, "minimum_above_maximum"),
        (1, -1, 2, "negative"),
    ],
)
def test_scaling_rule(desired, minimum, maximum, expected):
    assert scaling_problem(desired, minimum, maximum) == expected
    issues = scaling_issues(
        desired, minimum, maximum, desired_path="d", min_path="mn", max_path="mx"
    )
    assert len(issues) == (0 if expected is None else 1)


def test_port_rule():
    assert port_issues("p", [1, 65535]) == []
    assert [(i.path, i.value) for i in port_issues("p", [0, 80, 80, 65536])] == [
        ("p[0]", 0),
        ("p[2]", 80),
        ("p[3]", 65536),
    ]


def test_service_connect_test_traffic_needs_a_published_service_and_a_traffic_shift():
    from accessweaver_components.compute.cluster import ClusterRef
    from accessweaver_components.compute.microservice import ServiceConnectArgs

    cluster = ClusterRef(CLUSTER, "platform", namespace_name="shop.local", namespace_arn="arn")
    error = refused(
        lambda: _service(
            cluster=cluster,
            service_connect=ServiceConnectArgs(publish=False, test_traffic=True, ingress_port=0),
        )
    )
    assert [i.path for i in error.issues] == [
        "service_connect.publish",
        "service_connect.ingress_port",
        "service_connect.test_traffic",
    ]
