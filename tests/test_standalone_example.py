"""`examples/standalone`: a program of one's own on the installed components package, planned
as two stacks of one account (`dev`, `dev2`) sharing one VPC and one ECS cluster.

GIVEN the project (its own Pulumi.yaml, stack files and requirements; no AccessWeaver config),
WHEN both stacks run on the offline engine, THEN they ask AWS for no physical name in common,
not even inside the cluster they share, and the plan holds what the program says it builds: the
internal ALB's host-header rule, the worker's EFS volume and sidecar, the queue granted to the
worker (consume) and to the api (send), the image from the repository the program creates.
"""

from __future__ import annotations

import ast
import functools
import json
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, container_definitions
from tests.resource_types import SERVICE, TASK
from tools.checks import physical_names
from tools.engine import PlanResult, run_program
from tools.plan import main

PROJECT = ROOT / "examples" / "standalone"
STACKS = ("dev", "dev2")
RULE = "aws:lb/listenerRule:ListenerRule"
POLICY = "aws:iam/rolePolicy:RolePolicy"


@functools.cache
def planned(stack: str) -> PlanResult:
    return run_program(PROJECT, stack)


def stack_config(stack: str) -> dict:
    return yaml.safe_load((PROJECT / f"Pulumi.{stack}.yaml").read_text())["config"]


def in_shared_cluster(result: PlanResult) -> set[tuple[str, str]]:
    """Names unique only inside a cluster (ECS services, their scalable targets): the two
    stacks share theirs, so these must differ too."""
    found = {(SERVICE, r.inputs["name"]) for r in result.of_type(SERVICE)}
    found |= {
        ("scalable target", r.inputs["resourceId"])
        for r in result.of_type("aws:appautoscaling/target:Target")
    }
    return found


def test_both_stacks_share_the_account_vpc_and_cluster():
    dev, dev2 = stack_config("dev"), stack_config("dev2")
    for key in ("aws:region", "shop:vpcId", "shop:clusterArn", "shop:privateSubnetIds"):
        assert dev[key] == dev2[key], key


def test_two_stacks_of_the_program_share_no_physical_name():
    dev, dev2 = planned("dev"), planned("dev2")
    names = {stack: physical_names(planned(stack).resources) for stack in STACKS}
    # the check has something to compare: the ALB, target group, queues, log groups, alarms,
    # task families, repository, file system's names
    types = {kind for kind, _ in names["dev"]}
    assert {
        "aws:lb/loadBalancer:LoadBalancer", "aws:sqs/queue:Queue", TASK,
        "aws:cloudwatch/logGroup:LogGroup", "aws:ecr/repository:Repository",
    } <= types  # fmt: skip
    assert set(names["dev"]) & set(names["dev2"]) == set()
    assert in_shared_cluster(dev) and in_shared_cluster(dev) & in_shared_cluster(dev2) == set()


def _worker_containers(result: PlanResult) -> tuple[dict[str, dict], dict]:
    (task,) = [t for t in result.of_type(TASK) if t.name == "worker-task"]
    return {c["name"]: c for c in container_definitions(task)}, task.inputs


@pytest.mark.parametrize("stack", STACKS)
def test_the_api_is_routed_by_its_host_name_on_an_internal_alb(stack):
    result = planned(stack)
    (alb,) = result.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["internal"] is True
    (rule,) = [r for r in result.of_type(RULE) if r.name == "edge-api-rule"]
    host = stack_config(stack)["shop:apiHost"]
    assert {"hostHeader": {"values": [host]}} in rule.inputs["conditions"]
    (attached,) = next(s for s in result.of_type(SERVICE) if s.name == "api-service").inputs[
        "loadBalancers"
    ]
    assert attached["containerPort"] == 8080


@pytest.mark.parametrize("stack", STACKS)
def test_the_worker_mounts_its_efs_volume_and_runs_its_sidecar(stack):
    result = planned(stack)
    containers, task = _worker_containers(result)
    (volume,) = [v for v in task["volumes"] if "efsVolumeConfiguration" in v]
    efs = volume["efsVolumeConfiguration"]
    assert efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"]["iam"] == "ENABLED"
    assert efs["authorizationConfig"]["accessPointId"]
    worker = containers["worker"]
    assert {"sourceVolume": volume["name"], "containerPath": "/data", "readOnly": False} in worker[
        "mountPoints"
    ]
    assert containers["scanner"]["image"].startswith("clamav/clamav:")
    assert {"containerName": "scanner", "condition": "HEALTHY"} in worker["dependsOn"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_queue_is_granted_to_the_worker_and_the_api_sends_to_it(stack):
    result = planned(stack)
    (queue,) = [q for q in result.of_type("aws:sqs/queue:Queue") if q.name == "jobs-queue"]
    arn = f"arn:aws:sqs:eu-west-1:123456789012:{queue.inputs['name']}"
    worker = {s["Sid"]: s for s in json.loads(
        result.one(POLICY, "worker-task-policy").inputs["policy"])["Statement"]}  # fmt: skip
    assert worker["QueueConsumeJobs"]["Resource"] == arn
    assert "sqs:ReceiveMessage" in worker["QueueConsumeJobs"]["Action"]
    api = {s["Sid"]: s for s in json.loads(
        result.one(POLICY, "api-task-policy").inputs["policy"])["Statement"]}  # fmt: skip
    assert api["QueueSendJobs"]["Resource"] == arn
    assert "sqs:ReceiveMessage" not in api["QueueSendJobs"]["Action"]
    containers, _ = _worker_containers(result)
    environment = {e["name"]: e["value"] for e in containers["worker"]["environment"]}
    assert environment["JOBS_QUEUE_URL"].endswith(f"/{queue.inputs['name']}")


@pytest.mark.parametrize("stack", STACKS)
def test_the_image_comes_from_the_repository_the_program_creates(stack):
    result = planned(stack)
    (repository,) = result.of_type("aws:ecr/repository:Repository")
    containers, _ = _worker_containers(result)
    tag = stack_config(stack).get("shop:imageTag", "1.0.0")
    expected = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/{repository.inputs['name']}:{tag}"
    assert containers["worker"]["image"] == expected
    pull = next(
        s for s in json.loads(result.one(POLICY, "worker-exec-policy").inputs["policy"])[
            "Statement"] if s["Sid"] == "EcrPull"
    )  # fmt: skip
    assert pull["Resource"].endswith(f":repository/{repository.inputs['name']}")


def test_the_program_is_built_on_the_installed_package_only():
    tree = ast.parse((PROJECT / "__main__.py").read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    package = {"components", "accessweaver_components"} & imported
    assert len(package) == 1 and imported - package <= {"pulumi", "pulumi_aws"}
    assert "sys.path" not in (PROJECT / "__main__.py").read_text()
    project = yaml.safe_load((PROJECT / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "venv"  # its own, not the checkout's
    # requirements.txt installs the components package and nothing else
    lines = [
        line.strip()
        for line in (PROJECT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    (requirement,) = lines
    pyproject = tomllib.loads(((PROJECT / requirement) / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "accessweaver-components"
    assert "accessweaver-components" in (PROJECT / "requirements.txt").read_text()
    assert Path(PROJECT / requirement).resolve() == ROOT


def test_the_plan_cli_compares_the_two_stacks(capsys):
    assert main(["--compare", "dev", "dev2", "--project", str(PROJECT.relative_to(ROOT))]) == 0
    shown = capsys.readouterr().out
    assert "dev2" in shown


def test_the_way_to_start_passes_the_policy_pack(capsys):
    """The program people copy first plans with exit 0: no mandatory control fails."""
    assert main(["dev", "--project", str(PROJECT.relative_to(ROOT))]) == 0
    assert "0 mandatory" in capsys.readouterr().out
