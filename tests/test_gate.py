"""The promotion gate: a stack's release goes on to the next stack only when ECS finished
rolling it out, the load balancer's targets are healthy, the public URLs answer and the probe
task reached every internal health URL from inside the VPC.

ECS and ELBv2 answer through botocore's Stubber (each canned response is checked against the
service model), from the committed prod stack's offline outputs."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tools import gate

COMMIT = "0ff1e0ff1e0ff1e0ff1e0ff1e0ff1e0ff1e0ff1e"  # the offline plan's stand-in release


@pytest.fixture
def outputs(plan) -> dict[str, Any]:
    return plan("prod").outputs


def _clients():
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="y", region_name="eu-west-1"
    )
    return session.client("ecs"), session.client("elbv2")


def _healthy_ecs(stub: Stubber, outputs: dict[str, Any], *, rollout="COMPLETED", image=None):
    cicd = outputs["cicd_deployment_config"]
    names = [spec["service_name"] for spec in cicd["services"].values()]
    by_name = {spec["service_name"]: key for key, spec in cicd["services"].items()}
    for start in range(0, len(names), 10):
        batch = names[start : start + 10]
        stub.add_response(
            "describe_services",
            {
                "services": [
                    {
                        "serviceName": name,
                        "status": "ACTIVE",
                        "desiredCount": 2,
                        "runningCount": 2,
                        "taskDefinition": outputs["task_definition_arns"][by_name[name]],
                        "deployments": [
                            {"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": rollout}
                        ],
                    }
                    for name in batch
                ]
            },
            {"cluster": cicd["cluster_name"], "services": batch},
        )
    for key in sorted(cicd["services"]):
        stub.add_response(
            "describe_task_definition",
            {
                "taskDefinition": {
                    "containerDefinitions": [
                        {"name": key, "image": image or outputs["release"]["images"][key]}
                    ]
                }
            },
            {"taskDefinition": outputs["task_definition_arns"][key]},
        )


def _targets(stub: Stubber, outputs: dict[str, Any], state: str = "healthy"):
    services = outputs["alb_integration_config"]["services"]
    for _key, spec in sorted(services.items()):
        for arn in (spec.get("target_group_arn"), spec.get("alternate_target_group_arn")):
            if arn:
                stub.add_response(
                    "describe_target_health",
                    {
                        "TargetHealthDescriptions": [
                            {"Target": {"Id": "10.30.1.7"}, "TargetHealth": {"State": state}}
                        ]
                    },
                    {"TargetGroupArn": arn},
                )


def _runtime(ecs, elbv2, *, status: int = 200, probe=None) -> gate.Runtime:
    clock = iter(range(0, 10_000, 100))
    return gate.Runtime(
        client=lambda service, region: {"ecs": ecs, "elbv2": elbv2}[service],
        http_status=lambda url: status,
        probe=probe or (lambda outputs, region: []),
        sleep=lambda seconds: None,
        now=lambda: next(clock),
        out=io.StringIO(),
    )


def _gate_problems(
    outputs: dict[str, Any],
    *,
    rollout: str = "COMPLETED",
    image: str | None = None,
    targets: str = "healthy",
    status: int = 200,
    probe: Any = None,
) -> list[str]:
    """gate.check of this commit's release against stubbed ECS and ELB answers: the services'
    `rollout` and the `image` their tasks run (the release's when None), the targets' state,
    the status the public URL answers and the probe; every stubbed ECS answer must be used."""
    ecs, elbv2 = _clients()
    with Stubber(ecs) as e, Stubber(elbv2) as b:
        _healthy_ecs(e, outputs, rollout=rollout, image=image)
        _targets(b, outputs, state=targets)
        runtime = _runtime(ecs, elbv2, status=status, probe=probe)
        problems = gate.check(outputs, COMMIT, runtime, timeout=0, delay=1)
        e.assert_no_pending_responses()
    return problems


def test_a_settled_healthy_release_passes(outputs):
    probed = []
    assert _gate_problems(outputs, probe=lambda o, region: probed.append(region) or []) == []
    assert probed == ["eu-west-1"]
    # blue/green in prod: both target groups of the gateway and Keycloak were asked
    assert all(
        "alternate_target_group_arn" in s
        for s in outputs["alb_integration_config"]["services"].values()
    )


def test_another_release_fails_before_asking_aws(outputs):
    ecs, elbv2 = _clients()
    with Stubber(ecs), Stubber(elbv2):
        problems = gate.check(outputs, "b" * 40, _runtime(ecs, elbv2), timeout=0, delay=1)
    assert problems and "not bbbbbbbbbbbb" in problems[0]


def test_a_deployment_still_in_progress_at_the_timeout_fails(outputs):
    problems = _gate_problems(outputs, rollout="IN_PROGRESS")
    assert any("deployments not settled (PRIMARY/IN_PROGRESS)" in p for p in problems)


def test_a_task_running_another_image_fails(outputs):
    problems = _gate_problems(outputs, image="attacker/image:latest")
    assert len([p for p in problems if "does not run the release's image" in p]) == 6


def test_unhealthy_targets_and_a_502_fail_and_skip_the_probe(outputs):
    probed = []
    problems = _gate_problems(
        outputs, targets="unhealthy", status=502, probe=lambda o, r: probed.append(r) or []
    )
    assert any("are unhealthy" in p for p in problems)
    assert any("answered 502" in p for p in problems)
    assert probed == []


def test_the_probes_failures_fail_the_gate(outputs):
    problems = _gate_problems(outputs, probe=lambda o, r: ["aw-pdp-service: 503"])
    assert problems == ["aw-pdp-service: 503"]


def test_the_cli_exits_1_listing_each_failure(outputs, tmp_path):
    import json

    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    runtime = _runtime(None, None)
    code = gate.main(
        ["--stack", "prod", "--release", "c" * 40, "--outputs-file", str(path)], runtime
    )
    assert code == gate.EXIT_FAILED
    assert "gate of prod FAILED" in runtime.out.getvalue()


# -- the health probe, pointed at every running task ------------------------------------------


def _service_tasks(stub: Stubber, outputs: dict[str, Any]) -> dict[str, str]:
    """Each service with an HTTP health check has one running task; the URLs the probe gets."""
    cicd = outputs["cicd_deployment_config"]
    expected = {}
    for index, (key, spec) in enumerate(sorted(cicd["services"].items())):
        if not spec["health_check_path"]:
            continue
        arn = f"arn:aws:ecs:eu-west-1:333333333333:task/{cicd['cluster_name']}/t{index:030d}"
        stub.add_response(
            "list_tasks",
            {"taskArns": [arn]},
            {
                "cluster": cicd["cluster_name"],
                "serviceName": spec["service_name"],
                "desiredStatus": "RUNNING",
            },
        )
        ip = f"10.30.1.{10 + index}"
        stub.add_response(
            "describe_tasks",
            {
                "tasks": [
                    {
                        "taskArn": arn,
                        "attachments": [
                            {
                                "type": "ElasticNetworkInterface",
                                "details": [{"name": "privateIPv4Address", "value": ip}],
                            }
                        ],
                    }
                ]
            },
            {"cluster": cicd["cluster_name"], "tasks": [arn]},
        )
        port, path = spec["health_check_port"], spec["health_check_path"]
        expected[f"{key} t{index:030d}"] = f"http://{ip}:{port}{path}"
    return expected


def _probe_run(stub: Stubber, outputs: dict[str, Any], expected: dict[str, str], exit_code: int):
    import json

    probe = outputs["tasks"]["health-probe"]
    arn = f"arn:aws:ecs:eu-west-1:333333333333:task/{probe['cluster']}/probe0000000000000000000000"
    stub.add_response(
        "run_task",
        {"tasks": [{"taskArn": arn}]},
        {
            "cluster": probe["cluster"],
            "taskDefinition": probe["task_definition_arn"],
            "launchType": "FARGATE",
            "platformVersion": "LATEST",
            "count": 1,
            "startedBy": "tools.gate",
            "propagateTags": "TASK_DEFINITION",
            "enableECSManagedTags": True,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": probe["subnets"],
                    "securityGroups": [probe["security_group"]],
                    "assignPublicIp": "DISABLED",
                }
            },
            "overrides": {
                "containerOverrides": [
                    {
                        "name": "health-probe",
                        "environment": [
                            {
                                "name": "HEALTH_CHECK_URLS",
                                "value": json.dumps(expected, sort_keys=True),
                            }
                        ],
                    }
                ]
            },
        },
    )
    stub.add_response(
        "describe_tasks",
        {
            "tasks": [
                {
                    "taskArn": arn,
                    "lastStatus": "STOPPED",
                    "containers": [{"name": "health-probe", "exitCode": exit_code}],
                }
            ]
        },
        {"cluster": probe["cluster"], "tasks": [arn]},
    )


@pytest.mark.parametrize(("exit_code", "passes"), [(0, True), (1, False)])
def test_the_probe_asks_every_running_task_on_its_health_port(outputs, exit_code, passes):
    ecs, elbv2 = _clients()
    runtime = _runtime(ecs, elbv2)
    with Stubber(ecs) as stub:
        expected = _service_tasks(stub, outputs)
        _probe_run(stub, outputs, expected, exit_code)
        problems = gate.probe_every_task(outputs, "eu-west-1", runtime)
        stub.assert_no_pending_responses()
    # Keycloak is asked on its management port, the Spring services on their own
    assert expected["keycloak t000000000000000000000000000005"].endswith(":9000/auth/health/ready")
    assert len(expected) == 6
    assert (problems == []) is passes
    if not passes:
        assert "health probe: task probe" in problems[0] and "exited 1" in problems[0]


def test_a_stack_without_the_probe_fails_the_gate(outputs):
    without = {**outputs, "tasks": {}}
    problems = gate.probe_every_task(without, "eu-west-1", _runtime(None, None))
    assert problems and "healthProbe.enabled" in problems[0]
