"""Two stacks of one program in one account (issue 21, part 1).

GIVEN a program of one's own on the components (an existing cluster and VPC both stacks share,
an ALB, an `api` behind it whose image is an Output, a queue and a `worker` consuming it, a
scheduled task), WHEN it is planned as stacks `dev` and `dev2`, THEN no physical name AWS keeps
unique (per account and region, or inside the shared cluster) is asked for twice; and the check
does fail when one component is given a name of its own that ignores the stack.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.resource_types import TASK
from tools.checks import physical_names
from tools.engine import PlanResult, run_function

VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
PUBLIC = ["subnet-0a1b2c3d4e5f60733", "subnet-0a1b2c3d4e5f60744"]
CLUSTER = "arn:aws:ecs:eu-west-1:123456789012:cluster/platform"


def shop(explicit: dict[str, Any] | None = None) -> None:
    """The program; `explicit` = physical names a user would hard-code (the broken case)."""
    import pulumi
    from pulumi_aws import ecr

    from accessweaver_components.compute.cluster import ClusterRef
    from accessweaver_components.compute.containers import CommandHealthCheck, ContainerArgs
    from accessweaver_components.compute.microservice import (
        Microservice,
        MicroserviceArgs,
        ScalingArgs,
    )
    from accessweaver_components.compute.task import EcsTask, EcsTaskArgs, TaskScheduleArgs
    from accessweaver_components.data.queue import WorkQueue, WorkQueueArgs
    from accessweaver_components.edge.config import Route
    from accessweaver_components.edge.load_balancer import LoadBalancer, LoadBalancerArgs
    from accessweaver_components.naming import scoped_name

    explicit = explicit or {}
    cluster = ClusterRef(cluster_arn=CLUSTER, cluster_name="platform")
    images = ecr.Repository("api-images", name=scoped_name("api"))
    # An image known only once the repository exists: an Output (part 3).
    image = images.repository_url.apply(lambda url: f"{url}:1.4.2")
    edge = LoadBalancer(
        "edge",
        LoadBalancerArgs(
            vpc_id=VPC,
            subnet_ids=PUBLIC,
            routes=[Route("api", 8080, "/health", ("/*",), 100, default=True)],
            deletion_protection=False,
        ),
    )
    jobs = WorkQueue("jobs", WorkQueueArgs(logical="jobs", name=explicit.get("queue")))
    Microservice(
        "api",
        MicroserviceArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=ContainerArgs(image=image, port=8080),
            load_balancer=edge.attachment("api"),
            scaling=ScalingArgs(min_capacity=2, max_capacity=4),
            bindings=[jobs.sender_binding()],
            service_name=explicit.get("api"),
        ),
    )
    worker = ContainerArgs(
        image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/worker:0.9.0",
        health_check=CommandHealthCheck(["CMD-SHELL", "test -f /tmp/alive"]),
    )
    Microservice(
        "worker",
        MicroserviceArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=worker,
            bindings=[jobs.consumer_binding()],
        ),
    )
    EcsTask(
        "report",
        EcsTaskArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=worker,
            schedule=TaskScheduleArgs("rate(1 day)"),
        ),
    )
    pulumi.export("api_url", edge.dns_name)


def plan(stack: str, explicit: dict[str, Any] | None = None) -> PlanResult:
    return run_function(lambda: shop(explicit), project="shop", stack=stack)


def shared_names(first: PlanResult, second: PlanResult) -> set[tuple[str, str]]:
    return set(physical_names(first.resources, within_scopes=True)) & set(
        physical_names(second.resources, within_scopes=True)
    )


@pytest.fixture(scope="module")
def stacks() -> dict[str, PlanResult]:
    return {stack: plan(stack) for stack in ("dev", "dev2")}


def test_two_stacks_of_one_program_share_no_physical_name(stacks):
    names = physical_names(stacks["dev"].resources, within_scopes=True)
    types = {type_ for type_, _ in names}
    # THEN the check saw the names that collided before: service (in the shared cluster),
    # family, logs, alarms, ALB, target group, queues, schedule
    assert {
        "aws:ecs/service:Service",
        TASK,
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:sqs/queue:Queue",
        "aws:scheduler/schedule:Schedule",
    } <= types
    assert shared_names(stacks["dev"], stacks["dev2"]) == set()


def test_default_names_carry_the_project_and_the_stack(stacks):
    dev = stacks["dev"]
    assert dev.one("aws:ecs/service:Service", "api-service").inputs["name"] == "shop-dev-api"
    assert dev.one("aws:cloudwatch/logGroup:LogGroup", "worker-logs").inputs["name"] == (
        "/ecs/shop-dev-worker"
    )
    assert dev.one(TASK, "report-task").inputs["family"] == "shop-dev-report"
    assert dev.one("aws:sqs/queue:Queue", "jobs-queue").inputs["name"] == "shop-dev-jobs"
    (alb,) = dev.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["name"] == "shop-dev-edge"
    for stack, result in stacks.items():
        (group,) = result.of_type("aws:lb/targetGroup:TargetGroup")
        assert group.inputs["name"].startswith(f"{stack}-api-8080-a-")
        assert len(group.inputs["name"]) <= 32


def test_a_name_that_ignores_the_stack_is_caught():
    # GIVEN the same program where the user hard-codes two physical names (used as given)
    explicit = {"api": "api", "queue": "jobs"}
    shared = shared_names(plan("dev", explicit), plan("dev2", explicit))
    # THEN the two stacks ask for those names (and what derives from them) twice
    assert {
        ("aws:ecs/service:Service", f"{CLUSTER}/api"),
        ("aws:sqs/queue:Queue", "jobs"),
        ("aws:sqs/queue:Queue", "jobs-dlq"),
        ("aws:cloudwatch/logGroup:LogGroup", "/ecs/api"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "api-cpu-high"),
    } <= shared


def test_an_output_image_plans_into_the_task_definition_and_the_pull_permission(stacks):
    dev = stacks["dev"]
    (container,) = json.loads(dev.one(TASK, "api-task").inputs["containerDefinitions"])
    assert container["image"] == ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-dev-api:1.4.2")
    policy = json.loads(
        dev.one("aws:iam/rolePolicy:RolePolicy", "api-exec-policy").inputs["policy"]
    )
    pull = next(s for s in policy["Statement"] if s["Sid"] == "EcrPull")
    assert pull["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/shop-dev-api"


def _in_shared_namespace(discovery_name: str | None) -> None:
    from accessweaver_components.compute.cluster import ClusterRef
    from accessweaver_components.compute.containers import ContainerArgs
    from accessweaver_components.compute.microservice import Microservice, MicroserviceArgs

    cluster = ClusterRef(
        CLUSTER, "platform", namespace_id="ns-0123456789abcdef", namespace_name="shop.local"
    )
    orders = Microservice(
        "orders",
        MicroserviceArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=ContainerArgs(image="nginx:1.27", port=8080),
            discovery_name=discovery_name,
        ),
    )
    import pulumi

    pulumi.export("dns", orders.internal_dns_name)


def test_two_stacks_in_one_existing_namespace_need_a_discovery_name_of_their_own():
    import pulumi

    def program() -> None:
        _in_shared_namespace(None)

    def named() -> None:
        _in_shared_namespace(f"orders-{pulumi.get_stack()}")

    # GIVEN the default (the component name, unique inside the namespace only): a collision
    default = [run_function(program, project="shop", stack=s) for s in ("dev", "dev2")]
    assert shared_names(*default) == {
        ("aws:servicediscovery/service:Service", "ns-0123456789abcdef/orders")
    }
    # WHEN each stack names its service in the namespace, THEN nothing is shared
    own = [run_function(named, project="shop", stack=s) for s in ("dev", "dev2")]
    assert shared_names(*own) == set()
    assert own[1].outputs["dns"] == "orders-dev2.shop.local"


def platform() -> None:
    """Every other component that sets a physical name, each with its defaults."""
    import pulumi

    from accessweaver_components.compute.cluster import EcsCluster, EcsClusterArgs
    from accessweaver_components.compute.containers import ContainerArgs
    from accessweaver_components.compute.microservice import Microservice, MicroserviceArgs
    from accessweaver_components.compute.rotation_restart import (
        RotationRestart,
        RotationRestartArgs,
    )
    from accessweaver_components.data.cache import Cache, CacheArgs
    from accessweaver_components.data.database import Database, DatabaseArgs
    from accessweaver_components.data.documents import DocumentStore, DocumentStoreArgs
    from accessweaver_components.identity.secrets import PlatformSecrets, SecretsArgs
    from accessweaver_components.network.vpc import Network, NetworkArgs
    from accessweaver_components.observability.alerts import AlertTopic, AlertTopicArgs
    from accessweaver_components.observability.monitoring import Monitoring, MonitoringArgs

    network = Network("net", NetworkArgs())
    # A namespace's name is a DNS name the program chooses (no default): here the stack's own.
    namespace = f"{pulumi.get_stack()}.shop.local"
    cluster = EcsCluster("ecs", EcsClusterArgs(vpc_id=VPC, namespace_name=namespace))
    database = Database("db", DatabaseArgs(vpc_id=VPC, subnet_ids=SUBNETS))
    Cache("cache", CacheArgs(vpc_id=VPC, subnet_ids=SUBNETS))
    DocumentStore("docs", DocumentStoreArgs())
    PlatformSecrets("secrets", SecretsArgs())
    alerts = AlertTopic("alerts", AlertTopicArgs())
    api = Microservice(
        "api",
        MicroserviceArgs(
            cluster=cluster.ref,
            vpc_id=network.vpc_id,
            subnet_ids=SUBNETS,
            container=ContainerArgs(image="nginx:1.27", port=8080),
        ),
    )
    Monitoring("watch", MonitoringArgs(topic_arn=alerts.topic_arn, cluster_name="shop-dev-ecs"))
    RotationRestart(
        "restart",
        RotationRestartArgs(
            secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            cluster_arn=cluster.cluster_arn,
            services={"api": api.service_arn},
        ),
    )
    del database


def test_every_component_default_name_is_the_stacks_own():
    dev, dev2 = (run_function(platform, project="shop", stack=s) for s in ("dev", "dev2"))
    names = physical_names(dev.resources, within_scopes=True)
    assert len(names) > 20
    assert shared_names(dev, dev2) == set()
    assert all("dev" in name for _type, name in names), sorted(names)
