"""ECS Exec works with a read-only root filesystem, and every session is logged (issue 10,
items 3 and 16).

The SSM agent ECS injects writes to /managed-agents, /var/lib/amazon/ssm and /var/log/amazon/ssm;
on a read-only root it crashes unless those are writable volumes (aws/containers-roadmap#1359).
Sessions go to a log group of the cluster, encrypted with the cluster's own key, and only the
tasks with exec on may write there.
"""

from __future__ import annotations

import json

import pytest

from accessweaver_components.compute.containers import (
    EXEC_AGENT_PATHS,
    ContainerArgs,
    container_definitions,
    task_volumes,
)
from tests.conftest import STACKS
from tests.conftest import container_definitions as recorded_containers
from tests.resource_types import KEY, LOG_GROUP, SERVICE, TASK

CLUSTER = "aws:ecs/cluster:Cluster"


def exec_services(result) -> dict[str, bool]:
    """Service component name -> whether ECS Exec is on."""
    return {
        s.name.removesuffix("-service"): bool(s.inputs.get("enableExecuteCommand"))
        for s in result.of_type(SERVICE)
    }


def writable(container) -> dict[str, str]:
    return {m["containerPath"]: m["sourceVolume"] for m in container["mountPoints"]}


@pytest.mark.parametrize("stack", STACKS)
def test_where_exec_is_on_every_container_can_run_the_agent_on_a_read_only_root(plan, stack):
    result = plan(stack)
    services = exec_services(result)
    assert any(services.values()), "every committed stack runs exec somewhere"
    for name, on in services.items():
        task = result.one(TASK, f"{name}-task")
        volumes = [v["name"] for v in task.inputs["volumes"]]
        assert len(volumes) == len(set(volumes))
        for container in recorded_containers(task):
            assert container["readonlyRootFilesystem"] is True
            mounts = writable(container)
            agent = {path: mounts.get(path) for path in EXEC_AGENT_PATHS}
            if on:
                assert all(agent.values()), (name, container["name"], agent)
                assert set(agent.values()) <= set(volumes)
                assert all(not m["readOnly"] for m in container["mountPoints"])
            else:
                assert not any(agent.values()), (name, container["name"])


def test_prod_runs_exec_on_keycloak_only_and_dev_everywhere(plan):
    assert {n for n, on in exec_services(plan("prod")).items() if on} == {"keycloak"}
    assert all(exec_services(plan("dev")).values())


def test_the_collector_sidecar_gets_agent_volumes_of_its_own(run_stack):
    result = run_stack("staging", {"accessweaver:enableXrayTracing": True})
    app, sidecar = recorded_containers(result.one(TASK, "aw-pdp-service-task"))
    assert sidecar["name"] == "otel-collector"
    assert writable(sidecar)["/var/lib/amazon/ssm"] == "exec-collector-var-lib-amazon-ssm"
    assert writable(app)["/var/lib/amazon/ssm"] == "exec-app-var-lib-amazon-ssm"


def test_a_path_the_container_already_mounts_is_not_mounted_twice():
    container = ContainerArgs(image="i:1", port=8080, writable_paths=("/var/log/amazon/ssm",))
    (app,) = container_definitions(
        "app", container, region="eu-west-1", log_group="/x", environment={}, secrets={},
        execute_command=True,
    )  # fmt: skip
    paths = [m["containerPath"] for m in app["mountPoints"]]
    assert sorted(paths) == sorted(["/tmp", *EXEC_AGENT_PATHS])
    names = [v["name"] for v in task_volumes(container, execute_command=True)]
    assert len(names) == len(set(names)) == 4
    assert {m["sourceVolume"] for m in app["mountPoints"]} == set(names)


def test_without_exec_the_task_has_only_its_own_volumes():
    container = ContainerArgs(image="i:1", port=8080)
    (app,) = container_definitions(
        "app", container, region="eu-west-1", log_group="/x", environment={}, secrets={}
    )
    assert [m["containerPath"] for m in app["mountPoints"]] == ["/tmp"]
    assert task_volumes(container) == [{"name": "tmp"}]


# -- sessions logged (EXEC.1*) ----------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_the_cluster_logs_every_session_to_a_log_group_encrypted_with_its_own_key(plan, stack):
    result = plan(stack)
    (cluster,) = result.of_type(CLUSTER)
    config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert config["logging"] == "OVERRIDE"
    log = config["logConfiguration"]
    assert log["cloudWatchEncryptionEnabled"] is True
    group = result.one(LOG_GROUP, f"accessweaver-{stack}-exec-logs")
    assert log["cloudWatchLogGroupName"] == group.inputs["name"]
    assert group.inputs["name"] == f"/aws/ecs/accessweaver-{stack}-cluster/execute-command"
    key = result.one(KEY, f"accessweaver-{stack}-exec-key")
    assert key.inputs["enableKeyRotation"] is True
    assert group.property_dependencies["kmsKeyId"] == (key.key,)
    assert cluster.property_dependencies["configuration"]
    assert {"days": 365, "prod": 365, "staging": 90, "dev": 30}[stack] == group.inputs[
        "retentionInDays"
    ]


def test_the_key_lets_cloudwatch_logs_use_it_for_that_log_group_only(plan):
    result = plan("prod")
    policy = json.loads(result.one(KEY, "accessweaver-prod-exec-key").inputs["policy"])
    logs = next(
        s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsTheSessionLogs"
    )
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"]["StringEquals"] == {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:"
        "/aws/ecs/accessweaver-prod-cluster/execute-command"
    }
    assert not [a for a in logs["Action"] if a.endswith("*")]


def task_statements(result, service: str) -> dict[str, dict]:
    policy = result.one("aws:iam/rolePolicy:RolePolicy", f"{service}-task-policy")
    return {s.get("Sid", ""): s for s in json.loads(policy.inputs["policy"])["Statement"]}


def test_a_task_with_exec_may_write_the_session_log_group_and_decrypt_with_its_key(plan):
    result = plan("prod")
    group = result.one(LOG_GROUP, "accessweaver-prod-exec-logs").inputs["name"]
    granted = task_statements(result, "keycloak")
    assert granted["EcsExecSessionLogs"]["Resource"] == (
        f"arn:aws:logs:eu-west-1:123456789012:log-group:{group}:*"
    )
    assert set(granted["EcsExecSessionLogs"]["Action"]) == {
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    }
    (cluster,) = result.of_type(CLUSTER)
    key = cluster.inputs["configuration"]["executeCommandConfiguration"]["kmsKeyId"]
    assert key.startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert granted["EcsExecSessionKey"] == {
        "Sid": "EcsExecSessionKey",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": key,
    }
    # a service without exec gets none of it
    assert not [s for s in task_statements(result, "aw-pdp-service") if s.startswith("EcsExec")]


def test_a_stack_without_exec_anywhere_has_no_exec_key_or_log_group(run_stack):
    # Keycloak's admin console on a private name of the team's own instead of a port forward
    private = {"adminPortForward": False, "adminUrl": "https://sso-admin.internal.example.org"}
    result = run_stack("prod", {"accessweaver:keycloak": private})
    assert not [r for r in result.of_type(KEY) if r.name.endswith("-exec-key")]
    assert not [r for r in result.of_type(LOG_GROUP) if r.name.endswith("-exec-logs")]
    (cluster,) = result.of_type(CLUSTER)
    assert "executeCommandConfiguration" not in cluster.inputs["configuration"]


def test_without_a_nat_gateway_exec_needs_the_kms_endpoint_too(run_stack):
    from accessweaver_components.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        run_stack(
            "dev",
            {
                "accessweaver:network": {
                    "createVpc": True,
                    "natGateways": "none",
                    "taskPublicIps": False,
                    "interfaceEndpoints": [
                        "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssmmessages",
                    ],
                }
            },
        )  # fmt: skip
    text = str(error.value)
    assert "network.interfaceEndpoints" in text and "kms" in text


# -- ephemeral storage (FARGATE.1*) --------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_fargate_encrypts_the_tasks_storage_with_a_key_of_the_cluster(plan, stack):
    result = plan(stack)
    (cluster,) = result.of_type(CLUSTER)
    storage = cluster.inputs["configuration"]["managedStorageConfiguration"]
    key = result.one(KEY, f"accessweaver-{stack}-storage-key")
    assert storage["fargateEphemeralStorageKmsKeyId"].startswith("arn:aws:kms:")  # an ARN
    assert key.key in cluster.property_dependencies["configuration"]
    assert key.protect is True
    policy = json.loads(key.inputs["policy"])
    fargate = [
        s for s in policy["Statement"] if s["Principal"] == {"Service": "fargate.amazonaws.com"}
    ]
    assert {s["Action"] for s in fargate} == {
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:CreateGrant",
    }
    for statement in fargate:
        assert statement["Condition"]["StringEquals"] == {
            "kms:EncryptionContext:aws:ecs:clusterAccount": ["123456789012"],
            "kms:EncryptionContext:aws:ecs:clusterName": [f"accessweaver-{stack}-cluster"],
        }
    grant = next(s for s in fargate if s["Action"] == "kms:CreateGrant")
    assert grant["Condition"]["ForAllValues:StringEquals"] == {"kms:GrantOperations": ["Decrypt"]}


def test_dev_waives_storage_encryption_and_staging_cannot(plan, run_stack):
    (cluster,) = plan("dev").of_type(CLUSTER)
    assert "managedStorageConfiguration" not in cluster.inputs["configuration"]
    from accessweaver_components.errors import ConfigError

    with pytest.raises(ConfigError, match=r"control FARGATE\.1 is enforced"):
        run_stack("staging", {"accessweaver:encryptEphemeralStorage": False})
