"""The pure parts of a `Microservice` (issue 22, part 4): which autoscaling policies it gets
(`microservice_scaling.py`), what its defaults resolve to (`microservice_args.py`), and its
argument checks as named steps (`microservice_checks.py`), without the engine."""

from __future__ import annotations

from dataclasses import replace

from accessweaver_components.compute.cluster import ClusterRef
from accessweaver_components.compute.containers import (
    ContainerArgs,
    RegistryCredentials,
    repository_credentials_issues,
)
from accessweaver_components.compute.fargate import ephemeral_storage_issues
from accessweaver_components.compute.microservice import (
    MicroserviceArgs,
    ScalingArgs,
    ServiceConnectArgs,
)
from accessweaver_components.compute.microservice_args import desired_count, registers_in_cloud_map
from accessweaver_components.compute.microservice_checks import (
    argument_issues,
    service_connect_issues,
)
from accessweaver_components.compute.microservice_scaling import scaling_policies
from accessweaver_components.compute.scaling import BacklogArgs, PredictiveArgs

CLUSTER = ClusterRef(
    "arn:aws:ecs:eu-west-1:123456789012:cluster/platform",
    "platform",
    namespace_id="ns-0123456789abcdef",
    namespace_name="internal",
    namespace_arn="arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-0123456789abcdef",
)
ARGS = MicroserviceArgs(
    cluster=CLUSTER,
    vpc_id="vpc-0a1b2c3d4e5f60718",
    subnet_ids=["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"],
    container=ContainerArgs(image="ghcr.io/acme/api:1", port=8080),
)


def test_a_scaling_service_gets_cpu_and_memory_target_tracking_named_after_it():
    args = replace(ARGS, scaling=ScalingArgs(min_capacity=2, max_capacity=4, cpu_target=60))
    policies = scaling_policies(args, "shop-prod-api")
    assert [(p.key, p.suffix, p.policy_type) for p in policies] == [
        ("cpu", "cpu-target", "TargetTrackingScaling"),
        ("memory", "memory-target", "TargetTrackingScaling"),
    ]
    cpu, memory = policies
    assert cpu.configuration["target_value"] == 60
    assert cpu.configuration["scale_in_cooldown"] == 300
    assert memory.configuration["disable_scale_in"] is True
    assert {p.configuration_argument for p in policies} == {
        "target_tracking_scaling_policy_configuration"
    }


def test_backlog_and_predictive_policies_follow_in_order_and_predictive_is_not_tracking():
    scaling = ScalingArgs(
        min_capacity=1,
        max_capacity=3,
        backlog=BacklogArgs(queue_name="jobs", messages_per_task=10),
        predictive=PredictiveArgs(),
    )
    policies = scaling_policies(replace(ARGS, scaling=scaling), "shop-prod-worker")
    assert [p.key for p in policies] == ["cpu", "memory", "backlog", "predictive"]
    predictive = policies[-1]
    assert (predictive.suffix, predictive.policy_type) == ("predictive", "PredictiveScaling")
    assert predictive.configuration_argument == "predictive_scaling_policy_configuration"
    # requests_per_target without an attachment adds no policy (the checks refuse it).
    asked = replace(scaling, requests_per_target=100)
    assert "requests" not in [p.key for p in scaling_policies(replace(ARGS, scaling=asked), "x")]


def test_the_desired_count_defaults_to_the_scaling_minimum_then_one():
    assert desired_count(ARGS) == 1
    scaling = ScalingArgs(min_capacity=3, max_capacity=5)
    assert desired_count(replace(ARGS, scaling=scaling)) == 3
    assert desired_count(replace(ARGS, scaling=scaling, desired_count=4)) == 4


def test_cloud_map_registration_defaults_to_a_port_a_namespace_and_no_service_connect():
    assert registers_in_cloud_map(ARGS) is True
    assert registers_in_cloud_map(replace(ARGS, service_connect=ServiceConnectArgs())) is False
    worker = replace(ARGS, container=ContainerArgs(image="ghcr.io/acme/w:1"))
    assert registers_in_cloud_map(worker) is False
    assert registers_in_cloud_map(replace(ARGS, discovery=False)) is False


def test_service_connect_issues_keep_their_order_and_paths():
    worker = replace(
        ARGS,
        container=ContainerArgs(image="ghcr.io/acme/w:1"),
        cluster=replace(CLUSTER, namespace_arn=None),
        service_connect=ServiceConnectArgs(publish=True, ingress_port=70000, test_traffic=True),
    )
    assert [issue.path for issue in service_connect_issues(worker)] == [
        "service_connect",
        "service_connect.publish",
        "service_connect.ingress_port",
        "service_connect.test_traffic",
    ]
    assert service_connect_issues(ARGS) == []


def test_argument_issues_report_each_step_in_order():
    broken = replace(
        ARGS,
        cpu=256,
        memory=4096,
        desired_count=-1,
        discovery=True,
        service_connect=ServiceConnectArgs(test_traffic=True),
        ephemeral_storage_gib=10,
    )
    issues = argument_issues(
        "api", broken, region=None, desired=-1, container_memory=4000, discovery=True
    )
    assert [issue.path for issue in issues] == [
        "region",
        "memory",
        "desired_count",
        "service_connect.test_traffic",
        "discovery",
        "ephemeral_storage_gib",
    ]
    assert issues[-1].allowed == "21-200"


def test_ephemeral_storage_and_registry_credential_issues_name_their_argument():
    assert ephemeral_storage_issues(None) == []
    assert ephemeral_storage_issues(30) == []
    (issue,) = ephemeral_storage_issues(500)
    assert (issue.path, issue.value, issue.allowed) == ("ephemeral_storage_gib", 500, "21-200")
    assert repository_credentials_issues(ARGS.container) == []
    bad = replace(ARGS.container, repository_credentials=RegistryCredentials(secret_arn="nope"))
    issues = repository_credentials_issues(bad)
    assert issues and {i.path for i in issues} == {"container.repository_credentials"}
    assert {i.value for i in issues} == {"nope"}
