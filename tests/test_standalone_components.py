"""The components used one by one in a short program of someone else's, the way a Pulumi user
would: no stack file, no stack-config system, only their own typed arguments."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.resource_types import SG_IN, SG_OUT, TASK
from tests.support_programs import SUBNETS, VPC, microservice_program, refusal
from tools.engine import run_function
from tools.provider_inputs import ProviderInputError

if TYPE_CHECKING:
    from accessweaver_components.compute.cluster import ClusterRef
    from accessweaver_components.compute.microservice import Microservice

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"


def _orders(cluster: ClusterRef, **args: Any) -> Microservice:
    """The shop's HTTP service `orders` (image 1.4.2, port 8080) on `cluster` (a ClusterRef) in
    VPC/SUBNETS, with the other MicroserviceArgs in `args`; inside a program only."""
    from accessweaver_components.compute.containers import ContainerArgs
    from accessweaver_components.compute.microservice import Microservice, MicroserviceArgs

    return Microservice(
        "orders",
        MicroserviceArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=ContainerArgs(image=f"{REGISTRY}/orders:1.4.2", port=8080),
            **args,
        ),
    )


def shop() -> None:
    """A user's program: a cluster, an HTTP service, and a worker that calls it."""
    import pulumi

    from accessweaver_components.compute.cluster import EcsCluster, EcsClusterArgs
    from accessweaver_components.compute.containers import CommandHealthCheck, ContainerArgs
    from accessweaver_components.compute.microservice import (
        Microservice,
        MicroserviceArgs,
        ScalingArgs,
    )

    cluster = EcsCluster(
        "shop", EcsClusterArgs(cluster_name="shop-dev", vpc_id=VPC, namespace_name="shop.local")
    )
    orders = _orders(
        cluster.ref,
        cpu=512,
        memory=1024,
        desired_count=2,
        scaling=ScalingArgs(min_capacity=2, max_capacity=6),
    )
    mailer = Microservice(
        "mailer",
        MicroserviceArgs(
            cluster=cluster.ref,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=ContainerArgs(
                image=f"{REGISTRY}/mailer:0.9.0",
                health_check=CommandHealthCheck(["CMD-SHELL", "test -f /tmp/alive"]),
            ),
            bindings=[orders.binding()],
        ),
    )
    pulumi.export("orders_dns", orders.internal_dns_name)
    pulumi.export("mailer_group", mailer.security_group_id)


@pytest.fixture(scope="module")
def planned():
    return run_function(shop, project="shop")


def test_a_microservice_and_its_cluster_plan_without_any_stack_file(planned):
    components = {r.name: r.type for r in planned.resources if not r.custom}
    assert components == {
        "shop": "accessweaver:ecs:Cluster",
        "orders": "accessweaver:ecs:Microservice",
        "mailer": "accessweaver:ecs:Microservice",
    }
    assert planned.config == {"aws:region": "eu-west-1"}
    assert planned.outputs["orders_dns"] == "orders.shop.local"
    service = planned.one("aws:ecs/service:Service", "orders-service")
    assert service.parent == "accessweaver:ecs:Microservice::orders"
    assert service.inputs["networkConfiguration"]["subnets"] == SUBNETS
    assert service.inputs["networkConfiguration"]["assignPublicIp"] is False
    assert service.inputs["desiredCount"] == 2
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    task = planned.one(TASK, "orders-task").inputs
    (container,) = json.loads(task["containerDefinitions"])
    assert container["portMappings"][0]["containerPort"] == 8080
    assert container["readonlyRootFilesystem"] is True and container["user"] == "1000"
    # Physical names default to <project>-<stack>-<name> (components/naming.py).
    assert (task["cpu"], task["memory"], task["family"]) == ("512", "1024", "shop-dev-orders")


def test_each_service_owns_its_group_and_roles_and_the_caller_opens_its_path(planned):
    groups = {
        s.name: s.inputs["networkConfiguration"]["securityGroups"]
        for s in planned.of_type("aws:ecs/service:Service")
    }
    assert groups["orders-service"] != groups["mailer-service"]
    (orders_group,), (mailer_group,) = groups["orders-service"], groups["mailer-service"]
    into_orders = [
        r.inputs for r in planned.of_type(SG_IN) if r.inputs["securityGroupId"] == orders_group
    ]
    assert into_orders == [
        {
            "securityGroupId": orders_group,
            "referencedSecurityGroupId": mailer_group,
            "ipProtocol": "tcp",
            "fromPort": 8080,
            "toPort": 8080,
            "description": "shop-dev-mailer to orders on 8080",
        }
    ]
    # the worker accepts nothing; it reaches the AWS APIs and orders only
    assert not [r for r in planned.of_type(SG_IN) if r.inputs["securityGroupId"] == mailer_group]
    out = {
        (
            r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4"),
            r.inputs["fromPort"],
        )
        for r in planned.of_type(SG_OUT)
        if r.inputs["securityGroupId"] == mailer_group
    }
    assert out == {(orders_group, 8080), ("0.0.0.0/0", 443)}
    mailer = json.loads(planned.one(TASK, "mailer-task").inputs["containerDefinitions"])[0]
    assert {"name": "ORDERS_URL", "value": "http://orders.shop.local:8080"} in mailer["environment"]
    execution = json.loads(
        planned.one("aws:iam/rolePolicy:RolePolicy", "mailer-exec-policy").inputs["policy"]
    )
    pull = next(s for s in execution["Statement"] if s["Sid"] == "EcrPull")
    assert pull["Resource"] == "arn:aws:ecr:eu-west-1:123456789012:repository/shop/mailer"


def test_a_worker_behind_a_load_balancer_is_refused_before_any_resource():
    from accessweaver_components.compute.attachments import LoadBalancerAttachment

    broken = microservice_program(
        "job",
        image=f"{REGISTRY}/job:1",
        command_check=["CMD", "true"],
        load_balancer=LoadBalancerAttachment("arn:tg", ("sg-0a1b2c3d4e5f60799",)),
    )
    assert "a worker (no port) cannot sit behind a load balancer" in refusal(broken)


def test_a_worker_without_a_command_health_check_is_refused():
    assert "needs a CommandHealthCheck" in refusal(
        microservice_program("job", image=f"{REGISTRY}/job:1")
    )


def test_the_readme_example_plans_as_written():

    from tests.test_readme import README as readme

    section = readme.split("## The components in your own Pulumi program", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    result = run_function(lambda: exec(code, {}), project="shop")
    assert result.outputs["orders"] == "orders.shop.local"
    orders = json.loads(result.one(TASK, "orders-task").inputs["containerDefinitions"])[0]
    assert "DATABASE_PASSWORD" in {s["name"] for s in orders["secrets"]}
    mailer = json.loads(result.one(TASK, "mailer-task").inputs["containerDefinitions"])[0]
    assert {"name": "ORDERS_URL", "value": "http://orders.shop.local:8080"} in mailer["environment"]


def test_a_misspelled_nested_key_fails_the_run_as_the_provider_would():
    # GIVEN a Cloud Map service whose dns_config says `routing_polcy` (the SDK checks only
    # top-level arguments and the mocks accept anything)
    def typo() -> None:
        from pulumi_aws import servicediscovery

        servicediscovery.Service(
            "orders-discovery",
            name="orders",
            dns_config={
                "namespace_id": "ns-0123456789abcdef",
                "dns_records": [{"type": "A", "ttl": 10}],
                "routing_polcy": "MULTIVALUE",
            },
        )

    # THEN the offline run fails, naming the key, the resource and what is allowed
    with pytest.raises(ProviderInputError) as caught:
        run_function(typo)
    message = str(caught.value)
    assert (
        "aws:servicediscovery/service:Service orders-discovery: dnsConfig.routing_polcy" in message
    )
    assert "unknown property; allowed: dnsRecords, namespaceId, routingPolicy" in message


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"port": "eighty"}, "port: 'eighty' is not a whole number"),
        ({"protocol": "HTTPX"}, "protocol: 'HTTPX' is not one of"),
        ({"health_check": {"intervall": 30}}, "healthCheck.intervall: unknown property"),
        ({"health_check": {"enabled": "yes"}}, "healthCheck.enabled: 'yes' is not true or false"),
    ],
)
def test_wrong_types_and_choices_inside_inputs_fail_the_run(inputs, expected):
    def program() -> None:
        from pulumi_aws import lb

        lb.TargetGroup("tg", **{"port": 80, "protocol": "HTTP", "vpc_id": VPC, **inputs})

    with pytest.raises(ProviderInputError, match=expected.replace("(", "\\(")):
        run_function(program)


def test_a_missing_required_nested_field_fails_the_run():
    def program() -> None:
        from pulumi_aws import ecs

        ecs.Service("svc", cluster="c", load_balancers=[{"container_name": "app"}])

    with pytest.raises(ProviderInputError, match=r"loadBalancers\[0\]\.containerPort: required"):
        run_function(program)


def test_a_cluster_with_exec_logging_and_a_rotation_restart_in_a_program_of_ones_own():
    def program() -> None:
        from accessweaver_components.compute.cluster import (
            EcsCluster,
            EcsClusterArgs,
            ExecLoggingArgs,
        )
        from accessweaver_components.compute.rotation_restart import (
            RotationRestart,
            RotationRestartArgs,
        )

        cluster = EcsCluster(
            "shop",
            EcsClusterArgs(
                cluster_name="shop-dev",
                exec_logging=ExecLoggingArgs(retention_days=90),
                region="eu-west-1",
            ),
        )
        orders = _orders(cluster.ref, execute_command=True)
        RotationRestart(
            "orders-db",
            RotationRestartArgs(
                name="shop-dev-orders-db-restart",
                secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-AbCdEf",
                cluster_arn=cluster.cluster_arn,
                services={"orders": orders.service_arn},
            ),
        )

    result = run_function(program)
    task_policy = json.loads(
        result.one("aws:iam/rolePolicy:RolePolicy", "orders-task-policy").inputs["policy"]
    )
    sids = {s["Sid"] for s in task_policy["Statement"]}
    assert {"EcsExec", "EcsExecSessionLogs", "EcsExecSessionKey"} <= sids
    (rule,) = result.of_type("aws:cloudwatch/eventRule:EventRule")
    assert "orders-AbCdEf" in rule.inputs["eventPattern"]
    (machine,) = result.of_type("aws:sfn/stateMachine:StateMachine")
    assert machine.inputs["name"] == "shop-dev-orders-db-restart"


def test_a_rotation_restart_with_nothing_to_restart_is_refused_before_any_resource():
    def broken() -> None:
        from accessweaver_components.compute.rotation_restart import (
            RotationRestart,
            RotationRestartArgs,
        )

        RotationRestart(
            "empty",
            RotationRestartArgs(name="x", secret_arn="arn:s", cluster_arn="arn:c", services={}),
        )

    assert "no service to restart" in refusal(broken)
