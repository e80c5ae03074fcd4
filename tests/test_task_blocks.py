"""The task-level building blocks in a program of one's own: a ghcr.io image pulled with
registry credentials, a FireLens route to a third-party destination, a sidecar the application
waits for, an EFS volume on a file system the program creates, 60 GiB of ephemeral storage, and
an ARM64 service on its own Spot strategy beside an X86_64 one. GIVEN the program, WHEN it is
planned offline, THEN the registered task definitions, roles and paths say so; broken arguments
are refused before any resource, naming the argument."""

from __future__ import annotations

import json

import pytest

from accessweaver_components.stack import ConfigError
from tests.config_support import loader
from tests.resource_types import ROLE_POLICY, SG_IN, SG_OUT, TASK
from tests.test_config_rules import BASE
from tools.aws_models import register_task_definition_params, validate
from tools.engine import run_function

VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/blocks"
GHCR_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ghcr-pull-AbCdEf"
GHCR_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
DD_KEY = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:datadog-api-key-QwErTy"


def blocks_program() -> None:
    import pulumi

    from accessweaver_components.compute.cluster import CapacityShare, ClusterRef
    from accessweaver_components.compute.containers import CommandHealthCheck, ContainerArgs
    from accessweaver_components.compute.microservice import (
        EfsVolumeArgs,
        FireLensArgs,
        Microservice,
        MicroserviceArgs,
        RegistryCredentials,
        SidecarArgs,
    )
    from accessweaver_components.compute.task import EcsTask, EcsTaskArgs
    from accessweaver_components.data.file_system import EfsFileSystem, EfsFileSystemArgs

    cluster = ClusterRef(CLUSTER_ARN, "blocks")
    shared = EfsFileSystem("shared", EfsFileSystemArgs(vpc_id=VPC, subnet_ids=SUBNETS))
    api = Microservice(
        "api",
        MicroserviceArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=ContainerArgs(
                image="ghcr.io/acme/api:2.3.1",
                port=8080,
                repository_credentials=RegistryCredentials(GHCR_SECRET, kms_key_arn=GHCR_KEY),
            ),
            cpu=1024,
            memory=2048,
            cpu_architecture="X86_64",
            sidecars=[
                SidecarArgs(
                    name="auth-proxy",
                    image="ghcr.io/acme/auth-proxy:1.0.4",
                    memory=128,
                    cpu=128,
                    port=4180,
                    health_check=["CMD", "/healthcheck"],
                    app_waits_for="HEALTHY",
                    depends_on={"warm-cache": "SUCCESS"},
                    repository_credentials=GHCR_SECRET,
                ),
                SidecarArgs(
                    name="warm-cache",
                    image="public.ecr.aws/docker/library/busybox:1.37",
                    memory=32,
                    essential=False,
                    command=["sh", "-c", "true"],
                ),
            ],
            firelens=FireLensArgs(
                output={"Name": "datadog", "Host": "http-intake.logs.datadoghq.eu", "TLS": "on"},
                secret_options={"apikey": DD_KEY},
            ),
            efs_volumes=[
                EfsVolumeArgs(
                    name="uploads",
                    file_system_id=shared.file_system_id,
                    container_path="/srv/uploads",
                    root_directory="/api",
                    mount_target_security_group_id=shared.security_group_id,
                    file_system_arn=shared.file_system_arn,
                )
            ],
            ephemeral_storage_gib=60,
        ),
    )
    worker = Microservice(
        "worker",
        MicroserviceArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=ContainerArgs(
                image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/worker:0.9.0",
                health_check=CommandHealthCheck(["CMD-SHELL", "test -f /tmp/alive"]),
            ),
            cpu_architecture="ARM64",
            capacity_provider_strategy=[
                CapacityShare("FARGATE", weight=1, base=1),
                CapacityShare("FARGATE_SPOT", weight=3),
            ],
            firelens=FireLensArgs(),
        ),
    )
    EcsTask(
        "nightly",
        EcsTaskArgs(
            cluster=cluster,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            container=ContainerArgs(
                image="ghcr.io/acme/nightly:5",
                repository_credentials=RegistryCredentials(GHCR_SECRET),
            ),
            ephemeral_storage_gib=30,
        ),
    )
    pulumi.export("api", api.service_name)
    pulumi.export("worker", worker.service_name)


@pytest.fixture(scope="module")
def planned():
    return run_function(blocks_program, project="blocks")


def _containers(planned, name: str) -> dict[str, dict]:
    task = planned.one(TASK, f"{name}-task").inputs
    return {c["name"]: c for c in json.loads(task["containerDefinitions"])}


def _policy(planned, name: str) -> dict:
    return json.loads(planned.one(ROLE_POLICY, name).inputs["policy"])


def test_an_arm64_service_runs_beside_an_x86_64_one_on_its_own_strategy(planned):
    api = planned.one(TASK, "api-task").inputs
    worker = planned.one(TASK, "worker-task").inputs
    assert api["runtimePlatform"]["cpuArchitecture"] == "X86_64"
    assert worker["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    services = {s.name: s.inputs for s in planned.of_type("aws:ecs/service:Service")}
    assert services["worker-service"]["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]
    assert services["api-service"]["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 0}
    ]


def test_a_ghcr_image_is_pulled_with_its_credentials_and_only_that_secret_is_readable(planned):
    app = _containers(planned, "api")["api"]
    assert app["image"] == "ghcr.io/acme/api:2.3.1"
    assert app["repositoryCredentials"] == {"credentialsParameter": GHCR_SECRET}
    statements = {s["Sid"]: s for s in _policy(planned, "api-exec-policy")["Statement"]}
    assert statements["RegistryCredentials"]["Resource"] == [GHCR_SECRET]
    assert statements["RegistryCredentials"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["RegistryCredentialsKey"] == {
        "Sid": "RegistryCredentialsKey",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": [GHCR_KEY],
    }
    # the FireLens secret option is read by the execution role too; no ECR pull for ghcr.io
    assert DD_KEY in statements["Secrets"]["Resource"]
    assert "EcrPull" not in statements


def test_a_run_to_completion_task_takes_registry_credentials_and_storage_too(planned):
    task = planned.one(TASK, "nightly-task").inputs
    assert task["ephemeralStorage"] == {"sizeInGib": 30}
    (container,) = json.loads(task["containerDefinitions"])
    assert container["repositoryCredentials"] == {"credentialsParameter": GHCR_SECRET}
    statements = {s["Sid"]: s for s in _policy(planned, "nightly-exec-policy")["Statement"]}
    assert statements["RegistryCredentials"]["Resource"] == [GHCR_SECRET]
    assert "RegistryCredentialsKey" not in statements


def test_the_sidecar_memory_comes_out_of_the_task_and_start_order_is_stated(planned):
    containers = _containers(planned, "api")
    app = containers["api"]
    # 2048 - auth-proxy 128 - warm-cache 32 - log router 128
    assert app["memory"] == 2048 - 128 - 32 - 128
    assert app["dependsOn"] == [
        {"containerName": "auth-proxy", "condition": "HEALTHY"},
        {"containerName": "log-router", "condition": "START"},
    ]
    proxy = containers["auth-proxy"]
    assert proxy["dependsOn"] == [{"containerName": "warm-cache", "condition": "SUCCESS"}]
    assert proxy["healthCheck"]["command"] == ["CMD", "/healthcheck"]
    assert proxy["readonlyRootFilesystem"] is True and proxy["user"] == "1000"
    assert containers["warm-cache"]["essential"] is False


def test_firelens_routes_the_app_to_datadog_with_a_secret_key_and_its_own_logs_to_cloudwatch(
    planned,
):
    containers = _containers(planned, "api")
    logging = containers["api"]["logConfiguration"]
    assert logging["logDriver"] == "awsfirelens"
    assert logging["options"]["Name"] == "datadog"
    assert logging["secretOptions"] == [{"name": "apikey", "valueFrom": DD_KEY}]
    router = containers["log-router"]
    assert router["image"].startswith("public.ecr.aws/aws-observability/aws-for-fluent-bit:3.")
    assert router["firelensConfiguration"]["type"] == "fluentbit"
    assert router["logConfiguration"]["logDriver"] == "awslogs"
    # the worker's route to its own log group writes with the task role
    worker = _containers(planned, "worker")["worker"]["logConfiguration"]
    assert worker["options"]["Name"] == "cloudwatch_logs"
    assert (
        worker["options"]["log_group_name"] == "/ecs/blocks-dev-worker"
    )  # stack-scoped (project-stack-name)
    delivery = next(
        s
        for s in _policy(planned, "worker-task-policy")["Statement"]
        if s["Sid"] == "FireLensCloudWatch"
    )
    assert delivery["Resource"][0].endswith(":log-group:/ecs/blocks-dev-worker")


def test_the_efs_volume_is_encrypted_authorized_by_the_task_role_through_its_access_point(
    planned,
):
    task = planned.one(TASK, "api-task").inputs
    (volume,) = [v for v in task["volumes"] if "efsVolumeConfiguration" in v]
    config = volume["efsVolumeConfiguration"]
    assert config["transitEncryption"] == "ENABLED"
    assert config["authorizationConfig"]["iam"] == "ENABLED"
    assert task["ephemeralStorage"] == {"sizeInGib": 60}
    mount = next(
        m
        for m in _containers(planned, "api")["api"]["mountPoints"]
        if m["sourceVolume"] == "uploads"
    )
    assert mount == {"sourceVolume": "uploads", "containerPath": "/srv/uploads", "readOnly": False}
    point = planned.one("aws:efs/accessPoint:AccessPoint", "api-uploads-access-point").inputs
    assert point["posixUser"] == {"uid": 1000, "gid": 1000}
    assert point["rootDirectory"]["path"] == "/api"
    efs = next(
        s for s in _policy(planned, "api-task-policy")["Statement"] if s["Sid"] == "EfsUploads"
    )
    assert efs["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert list(efs["Condition"]["StringEquals"]) == ["elasticfilesystem:AccessPointArn"]
    fs = planned.one("aws:efs/fileSystem:FileSystem", "shared-fs").inputs
    assert fs["encrypted"] is True
    backup = planned.one("aws:efs/backupPolicy:BackupPolicy", "shared-backup").inputs
    assert backup["backupPolicy"] == {"status": "ENABLED"}
    # NFS from the api's group to the mount targets' group, nothing else into it
    into = [r.inputs for r in planned.of_type(SG_IN) if r.inputs["fromPort"] == 2049]
    out = [r.inputs for r in planned.of_type(SG_OUT) if r.inputs["fromPort"] == 2049]
    assert len(into) == 1 and len(out) == 1
    assert into[0]["referencedSecurityGroupId"] == out[0]["securityGroupId"]


def test_the_task_definitions_are_what_the_ecs_api_accepts(planned):
    for name in ("api", "worker"):
        task = planned.one(TASK, f"{name}-task").inputs
        containers = json.loads(task["containerDefinitions"])
        params = register_task_definition_params(task, containers)
        assert validate("ecs", "RegisterTaskDefinition", params) == []


def _refused(**changes) -> str:
    def broken() -> None:
        from accessweaver_components.compute.cluster import CapacityShare, ClusterRef
        from accessweaver_components.compute.containers import ContainerArgs, RegistryCredentials
        from accessweaver_components.compute.microservice import (
            Microservice,
            MicroserviceArgs,
            SidecarArgs,
        )

        arguments = {
            "cluster": ClusterRef(CLUSTER_ARN, "blocks"),
            "vpc_id": VPC,
            "subnet_ids": SUBNETS,
            "container": ContainerArgs(image="ghcr.io/acme/api:1", port=8080),
        }
        for key, value in changes.items():
            if key == "credentials":
                value = ContainerArgs(
                    image="ghcr.io/acme/api:1",
                    port=8080,
                    repository_credentials=RegistryCredentials(value),
                )
                key = "container"
            if key == "strategy":
                key, value = "capacity_provider_strategy", [CapacityShare(*s) for s in value]
            if key == "sidecars":
                value = [SidecarArgs(**s) for s in value]
            arguments[key] = value
        Microservice("api", MicroserviceArgs(**arguments))

    with pytest.raises(Exception) as error:
        run_function(broken)
    assert error.value.recorded == []
    return str(error.value)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"ephemeral_storage_gib": 20}, "ephemeral_storage_gib 20 is not 21-200"),
        ({"ephemeral_storage_gib": 201}, "ephemeral_storage_gib 201 is not 21-200"),
        ({"credentials": "ghcr-token"}, "repository_credentials.secret_arn 'ghcr-token'"),
        ({"strategy": [("FARGATE", 1, 1), ("FARGATE_SPOT", 1, 2)]}, "more than one provider"),
        (
            {"sidecars": [{"name": "p", "image": "x:1", "memory": 64, "app_waits_for": "HEALTHY"}]},
            "sidecars[0].app_waits_for = 'HEALTHY': sidecar 'p' has no health_check",
        ),
        (
            {"sidecars": [{"name": "i", "image": "x:1", "memory": 64, "app_waits_for": "SUCCESS"}]},
            "sidecars[0].app_waits_for = 'SUCCESS': sidecar 'i' is essential",
        ),
        (
            {
                "sidecars": [
                    {"name": "a", "image": "x:1", "memory": 64, "depends_on": {"b": "START"}},
                    {"name": "b", "image": "x:1", "memory": 64, "depends_on": {"a": "START"}},
                ]
            },
            "cycle: a -> b -> a",
        ),
        (
            {"sidecars": [{"name": "big", "image": "x:1", "memory": 400}]},
            "the sidecars leave the application 112 MiB of the task's 512 MiB",
        ),
    ],
)
def test_broken_blocks_are_refused_before_any_resource_naming_the_argument(changes, expected):
    assert expected in _refused(**changes)


# -- the same blocks through the stack config (same names, camelCased) ---------------------

AUDIT_BLOCKS = {
    "image": "ghcr.io/acme/audit:2.0.0",
    "cpuArchitecture": "X86_64",
    "capacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 2},
    ],
    "ephemeralStorageGib": 50,
    "repositoryCredentials": {"secretArn": GHCR_SECRET},
    "firelens": {"output": {"Name": "datadog", "TLS": "on"}, "secretOptions": {"apikey": DD_KEY}},
    "sidecars": [
        {
            "name": "auth-proxy",
            "image": "ghcr.io/acme/proxy:1.0.0",
            "memory": 64,
            "healthCheck": ["CMD", "/hc"],
            "appWaitsFor": "HEALTHY",
            "repositoryCredentials": GHCR_SECRET,
        },
    ],
    "efsVolumes": [{"name": "archive", "fileSystem": "shared", "containerPath": "/archive"}],
}


def _config_load():
    return loader(BASE)


def test_the_stack_config_blocks_resolve_per_service_beside_the_stack_default():
    load, _ = _config_load()
    settings = load(
        cpuArchitecture="ARM64",
        fileSystems={"shared": {}},
        serviceOverrides={"aw-audit-service": AUDIT_BLOCKS},
    )
    audit = settings.service("aw-audit-service")
    assert settings.architecture_of(audit) == "X86_64"
    assert settings.architecture_of(settings.service("aw-pdp-service")) == "ARM64"
    assert [(c.capacity_provider, c.weight, c.base) for c in audit.blocks.capacity] == [
        ("FARGATE", 1, 1),
        ("FARGATE_SPOT", 2, 0),
    ]
    assert audit.blocks.efs_volumes[0].root_directory is None  # the component's /<service>
    assert audit.blocks.own_memory_mib == 64 + 128  # the proxy and the log router
    assert settings.service("aw-pdp-service").blocks.sidecars == ()


@pytest.mark.parametrize(
    ("change", "path", "text"),
    [
        (
            {"efsVolumes": [{"name": "a", "fileSystem": "nope", "containerPath": "/a"}]},
            "serviceOverrides.aw-audit-service.efsVolumes[0].fileSystem",
            "no such file system in fileSystems",
        ),
        (
            {
                "sidecars": [
                    {"name": "p", "image": "x.io/p:1", "memory": 64, "appWaitsFor": "HEALTHY"}
                ]
            },
            "serviceOverrides.aw-audit-service.sidecars[0].appWaitsFor",
            "sidecar 'p' has no health_check",
        ),
        (
            {"sidecars": [{"name": "big", "image": "x.io/p:1", "memory": 1900}]},
            "serviceOverrides.aw-audit-service.sidecars",
            "leave the application",
        ),
        (
            {"ephemeralStorageGib": 300},
            "serviceOverrides.aw-audit-service.ephemeralStorageGib",
            "less than or equal to 200",
        ),
        (
            {
                "capacityProviderStrategy": [
                    {"capacityProvider": "FARGATE", "weight": 0},
                    {"capacityProvider": "FARGATE_SPOT", "weight": 0},
                ]
            },
            "serviceOverrides.aw-audit-service.capacityProviderStrategy",
            "every weight is 0",
        ),
    ],
)
def test_broken_blocks_in_the_stack_config_are_refused_at_their_key(change, path, text):
    _, problems = _config_load()
    found = problems(fileSystems={"shared": {}}, serviceOverrides={"aw-audit-service": change})
    assert text in found[path]


def test_sidecars_taking_the_whole_task_cpu_are_refused_at_their_key_before_any_resource(
    run_stack,
):
    # GIVEN a sidecar reserving more CPU (4096 units) than any size the audit task is given
    sidecars = [{"name": "agent", "image": "public.ecr.aws/x/agent:1", "cpu": 4096, "memory": 64}]
    _, problems = _config_load()
    # THEN the stack layer names the key (the component's rule, not a half-created stack)
    overrides = {"aw-audit-service": {"sidecars": sidecars}}
    found = problems(serviceOverrides=overrides)
    assert list(found) == ["serviceOverrides.aw-audit-service.sidecars"]
    assert "the sidecars reserve 4096 of the task's" in next(iter(found.values()))
    # AND the program registers nothing
    with pytest.raises(ConfigError) as refused:
        run_stack(
            "dev", {"accessweaver:serviceOverrides": {"aw-audit-service": {"sidecars": sidecars}}}
        )
    assert refused.value.recorded == []


def test_the_stack_config_blocks_plan_a_ghcr_service_with_firelens_and_efs(run_stack):
    result = run_stack(
        "dev",
        {
            "accessweaver:fileSystems": {"shared": {}},
            "accessweaver:serviceOverrides": {"aw-audit-service": AUDIT_BLOCKS},
        },
    )
    tasks = {r.name: r.inputs for r in result.of_type(TASK)}
    audit = next(v for k, v in tasks.items() if "aw-audit-service" in k)
    pdp = next(v for k, v in tasks.items() if "aw-pdp-service" in k)
    assert audit["runtimePlatform"]["cpuArchitecture"] == "X86_64"
    assert pdp["runtimePlatform"]["cpuArchitecture"] == "ARM64"  # dev's stack default
    assert audit["ephemeralStorage"] == {"sizeInGib": 50}
    containers = {c["name"]: c for c in json.loads(audit["containerDefinitions"])}
    assert set(containers) == {"aw-audit-service", "auth-proxy", "log-router"}
    assert containers["aw-audit-service"]["repositoryCredentials"] == {
        "credentialsParameter": GHCR_SECRET
    }
    assert result.of_type("aws:efs/fileSystem:FileSystem")
    point = result.one("aws:efs/accessPoint:AccessPoint", "aw-audit-service-archive-access-point")
    assert point.inputs["rootDirectory"]["path"] == "/accessweaver-dev-aw-audit-service"


def test_the_cost_estimate_prices_storage_above_20_gib_and_each_services_own_choices():
    from accessweaver_components.cost.estimate import estimate, strategy_split
    from accessweaver_components.cost.prices import PRICES

    load, _ = _config_load()
    plain = load(cpuArchitecture="ARM64")
    own = load(
        cpuArchitecture="ARM64",
        serviceOverrides={
            "aw-audit-service": {
                "cpuArchitecture": "X86_64",
                "ephemeralStorageGib": 120,
                "capacityProviderStrategy": [
                    {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                    {"capacityProvider": "FARGATE_SPOT", "weight": 1},
                ],
            }
        },
    )
    before = {s.name: s for s in estimate(plain).services}["aw-audit-service"]
    after = {s.name: s for s in estimate(own).services}["aw-audit-service"]
    assert (before.architecture, after.architecture) == ("ARM64", "X86_64")
    tasks = after.tasks
    assert (after.on_demand_tasks, after.spot_tasks) == strategy_split(
        tasks, own.service("aw-audit-service").blocks.capacity
    )
    assert after.spot_tasks == (tasks - 1) / 2
    price = PRICES[own.region]
    compute = (
        (
            after.vcpu * price["fargate.x86_64.vcpu_hour"].usd
            + after.memory_gb * price["fargate.x86_64.gb_hour"].usd
        )
        * after.hours
        * (after.on_demand_tasks + after.spot_tasks * 0.3)
    )
    storage = 100 * tasks * after.hours * price["fargate.ephemeral_gb_hour"].usd
    assert after.fargate_usd == pytest.approx(compute + storage)


def test_the_policy_pack_finds_nothing_against_the_blocks_in_the_task_or_the_file_system(planned):
    from tools.policy_check import run_policies

    controls = {"ECS.4", "ECS.5", "ECS.8", "ECS.9", "ECS.NonRoot*", "ECS.EfsTransit*", "EFS.1",
                "EFS.3", "EFS.4", "IAM.1", "IAM.21", "KMS.1", "KMS.2"}  # fmt: skip
    found = [v for v in run_policies(planned).violations if v["control"] in controls]
    assert found == []
