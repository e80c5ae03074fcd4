"""Tests for ``python -m tools.ops`` against moto's ECS and CloudWatch Logs.

What moto does not emulate, and how these tests cope:

* ECS services in moto never launch tasks, and ``list_tasks(serviceName=...)`` ignores the
  service filter, so the task ``healthStatus`` check cannot run against moto. Deploy tests
  inject the health check (``Runtime.check_health``); ``check_service_health`` itself is tested
  with botocore's ``Stubber`` and realistic DescribeTasks responses.
* moto keeps a single deployment per service (a forced deployment only renews its id), so the
  "rollback while a deployment is in progress" path is tested with ``Stubber`` too.
* moto's service ``runningCount`` comes from ``MOTO_ECS_SERVICE_RUNNING`` at creation time;
  with it equal to the desired count the real ``services_stable`` waiter succeeds at once, with
  0 it never does. The deploy tests use the real waiter both ways.
* moto ignores ``sort`` in ``ListTaskDefinitions``; the tool sorts revisions itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tools import ops

REGION = "eu-west-1"
CLUSTER = "accessweaver-dev-cluster"
ORDER = [
    "aw-tenant-service",
    "aw-pap-service",
    "aw-pdp-service",
    "aw-audit-service",
    "aw-api-gateway",
]
PDP_LOG_GROUP = "/ecs/accessweaver-dev/aw-pdp-service"


def ecs_name(key: str) -> str:
    return f"accessweaver-dev-{key}"


def stack_outputs(keys: list[str] = ORDER) -> dict:
    """Outputs shaped like `pulumi stack output --json` (the tool's contract)."""
    return {
        "cluster_name": CLUSTER,
        "cicd_deployment_config": {
            "region": REGION,
            "cluster_name": CLUSTER,
            "deploy_order": list(keys),
            "services": {
                key: {
                    "service_name": ecs_name(key),
                    "task_family": ecs_name(key),
                    "container_name": key,
                    "image_repository": (
                        f"123456789012.dkr.ecr.{REGION}.amazonaws.com/accessweaver/{key}"
                    ),
                    "log_group": f"/ecs/accessweaver-dev/{key}",
                }
                for key in keys
            },
        },
    }


@pytest.fixture
def fake_credentials(monkeypatch, tmp_path):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


@pytest.fixture
def aws(fake_credentials):
    with mock_aws():
        yield boto3.client("ecs", region_name=REGION), boto3.client("logs", region_name=REGION)


@pytest.fixture
def outputs_file(tmp_path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(stack_outputs()), encoding="utf-8")
    return path


def register_revision(ecs, key: str, tag: str) -> str:
    return ecs.register_task_definition(
        family=ecs_name(key),
        containerDefinitions=[
            {"name": key, "image": f"accessweaver/{key}:{tag}", "memory": 512, "essential": True}
        ],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]


@pytest.fixture
def stack(aws, monkeypatch):
    """Cluster, two task definition revisions and a running service per catalog entry.

    Returns a function creating the services; ``unstable`` services get runningCount 0.
    """
    ecs, _ = aws
    ecs.create_cluster(clusterName=CLUSTER)

    def create(keys: list[str] = ORDER, unstable: tuple[str, ...] = ()) -> None:
        for key in keys:
            register_revision(ecs, key, "v1")
            register_revision(ecs, key, "v2")
            monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "0" if key in unstable else "1")
            ecs.create_service(
                cluster=CLUSTER,
                serviceName=ecs_name(key),
                taskDefinition=f"{ecs_name(key)}:2",
                desiredCount=1,
                launchType="FARGATE",
            )
        monkeypatch.delenv("MOTO_ECS_SERVICE_RUNNING")

    return create


def service(ecs, key: str) -> dict:
    return ecs.describe_services(cluster=CLUSTER, services=[ecs_name(key)])["services"][0]


def primary_deployment_id(ecs, key: str) -> str:
    return next(d["id"] for d in service(ecs, key)["deployments"] if d["status"] == "PRIMARY")


def run(argv: list[str], **runtime_fields) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = ops.main(argv, ops.Runtime(out=out, err=err, **runtime_fields))
    return code, out.getvalue(), err.getvalue()


def always_healthy(calls: list[str]):
    def check(ecs, cluster, name):
        calls.append(name)
        return ops.HealthReport(True, "1/1 running tasks HEALTHY")

    return check


def recording_client_factory(calls: list[tuple[str, dict]]):
    """Real boto3 clients (moto-backed) that record each UpdateService call in order."""

    def make(service_name, region, profile):
        client = ops.make_boto3_client(service_name, region, profile)

        def record(params, **_):
            calls.append(("UpdateService", dict(params)))

        client.meta.events.register("provide-client-params.ecs.UpdateService", record)
        return client

    return make


# ------------------------------------------------------------------------------ status


def test_status_lists_every_service_with_counts_and_rollout(stack, outputs_file):
    stack()
    code, out, err = run(["status", "--outputs-file", str(outputs_file)])
    assert code == 0, err
    assert f"cluster {CLUSTER} ({REGION}): 5 services" in out
    for key in ORDER:
        assert f"{key} ({ecs_name(key)})" in out
    assert out.count("running 1/1 (pending 0)  rollout COMPLETED") == 5
    assert f"task definition {ecs_name('aw-pdp-service')}:2" in out
    # listed in deploy order
    positions = [out.index(f"{key} (") for key in ORDER]
    assert positions == sorted(positions)


def test_status_flags_services_missing_from_the_cluster(stack, outputs_file):
    stack(keys=ORDER[:-1])  # the api gateway was never created
    code, out, err = run(["status", "--outputs-file", str(outputs_file)])
    assert code == 1
    assert f"aw-api-gateway ({ecs_name('aw-api-gateway')}): NOT FOUND" in out
    assert "aw-api-gateway" in err


def test_status_format_shows_only_the_five_newest_events():
    events = [{"createdAt": f"t{i}", "message": f"event {i}"} for i in range(7)]  # newest first
    svc = {
        "desiredCount": 2,
        "runningCount": 1,
        "pendingCount": 1,
        "taskDefinition": "arn:aws:ecs:eu-west-1:1:task-definition/fam:4",
        "deployments": [
            {"status": "PRIMARY", "rolloutState": "IN_PROGRESS"},
            {"status": "ACTIVE", "rolloutState": "COMPLETED"},
        ],
        "events": events,
    }
    lines = ops.format_service_status("aw-pdp-service", "svc", svc)
    text = "\n".join(lines)
    assert "running 1/2 (pending 1)  rollout IN_PROGRESS (2 deployments)" in text
    assert "task definition fam:4" in text
    assert [f"event {i}" in text for i in range(7)] == [True] * 5 + [False] * 2


# ------------------------------------------------------------------------------ deploy


def test_deploy_forces_new_deployments_in_deploy_order_with_real_waiter(stack, outputs_file, aws):
    ecs, _ = aws
    stack()
    before = {key: primary_deployment_id(ecs, key) for key in ORDER}
    updates: list[tuple[str, dict]] = []
    health_calls: list[str] = []
    code, out, err = run(
        ["deploy", "--outputs-file", str(outputs_file), "--poll-interval", "1"],
        make_client=recording_client_factory(updates),
        check_health=always_healthy(health_calls),
    )
    assert code == 0, err
    assert [p["service"] for _, p in updates] == [ecs_name(k) for k in ORDER]
    assert all(p["forceNewDeployment"] is True for _, p in updates)
    assert health_calls == [ecs_name(k) for k in ORDER]
    for key in ORDER:
        assert primary_deployment_id(ecs, key) != before[key], key
    assert "all 5 services deployed and healthy" in out


def test_deploy_waits_for_each_service_before_starting_the_next(stack, outputs_file):
    stack()
    timeline: list[str] = []
    updates: list[tuple[str, dict]] = []
    make = recording_client_factory(updates)

    def make_client(service_name, region, profile):
        client = make(service_name, region, profile)
        client.meta.events.register(
            "provide-client-params.ecs.UpdateService",
            lambda params, **_: timeline.append(f"update {params['service']}"),
        )
        return client

    def wait_stable(ecs, cluster, name, timeout, delay):
        assert (cluster, timeout, delay) == (CLUSTER, 42, 3)
        timeline.append(f"stable {name}")

    def check_health(ecs, cluster, name):
        timeline.append(f"health {name}")
        return ops.HealthReport(True, "ok")

    code, _, err = run(
        ["deploy", "--outputs-file", str(outputs_file), "--timeout", "42", "--poll-interval", "3"],
        make_client=make_client,
        wait_stable=wait_stable,
        check_health=check_health,
    )
    assert code == 0, err
    expected = [f"{step} {ecs_name(k)}" for k in ORDER for step in ("update", "stable", "health")]
    assert timeline == expected


def test_deploy_stops_when_a_service_does_not_stabilise_in_time(stack, outputs_file, aws):
    ecs, _ = aws
    stack(unstable=("aw-pap-service",))
    before = {key: primary_deployment_id(ecs, key) for key in ORDER}
    health_calls: list[str] = []
    sleeps: list[float] = []
    code, out, err = run(
        ["deploy", "--outputs-file", str(outputs_file), "--timeout", "0"],
        check_health=always_healthy(health_calls),
        sleep=sleeps.append,
    )
    assert code == 1
    assert sleeps == []  # --timeout 0 means a single check, no sleeping (not a timed test)
    assert "aw-pap-service" in err and "did not become stable" in err
    assert "deployment stopped" in err
    assert health_calls == [ecs_name("aw-tenant-service")]
    changed = [k for k in ORDER if primary_deployment_id(ecs, k) != before[k]]
    assert changed == ["aw-tenant-service", "aw-pap-service"]
    assert "all 5 services deployed" not in out


def test_deploy_stops_at_first_unhealthy_service_after_retrying(stack, outputs_file, aws):
    ecs, _ = aws
    stack()
    before = {key: primary_deployment_id(ecs, key) for key in ORDER}
    checks: list[str] = []
    sleeps: list[float] = []

    def check_health(ecs_client, cluster, name):
        checks.append(name)
        if name == ecs_name("aw-pdp-service"):
            return ops.HealthReport(False, "1/1 running tasks not HEALTHY: abc=UNHEALTHY")
        return ops.HealthReport(True, "ok")

    code, _, err = run(
        [
            "deploy",
            "--outputs-file",
            str(outputs_file),
            "--health-timeout",
            "30",
            "--poll-interval",
            "10",
        ],
        wait_stable=lambda *a: None,
        check_health=check_health,
        sleep=sleeps.append,
    )
    assert code == 1
    assert "aw-pdp-service: unhealthy after deployment" in err
    assert "abc=UNHEALTHY" in err
    assert checks.count(ecs_name("aw-pdp-service")) == 4  # 1 + 30 // 10 attempts
    assert sleeps == [10, 10, 10]
    untouched = [k for k in ORDER if primary_deployment_id(ecs, k) == before[k]]
    assert untouched == ["aw-audit-service", "aw-api-gateway"]


def _task(task_id: str, last_status: str, health: str | None) -> dict:
    task = {
        "taskArn": f"arn:aws:ecs:{REGION}:123456789012:task/{CLUSTER}/{task_id}",
        "lastStatus": last_status,
    }
    if health is not None:
        task["healthStatus"] = health
    return task


def _stubbed_health(tasks: list[dict]) -> ops.HealthReport:
    ecs = boto3.client("ecs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecs) as stub:
        arns = [t["taskArn"] for t in tasks]
        stub.add_response(
            "list_tasks",
            {"taskArns": arns},
            {"cluster": CLUSTER, "serviceName": "svc", "desiredStatus": "RUNNING"},
        )
        if arns:
            stub.add_response(
                "describe_tasks", {"tasks": tasks}, {"cluster": CLUSTER, "tasks": arns}
            )
        report = ops.check_service_health(ecs, CLUSTER, "svc")
        stub.assert_no_pending_responses()
    return report


def test_health_check_passes_when_every_running_task_is_healthy():
    report = _stubbed_health(
        [
            _task("t1", "RUNNING", "HEALTHY"),
            _task("t2", "RUNNING", "HEALTHY"),
            _task("t3", "PENDING", "UNKNOWN"),
        ]
    )
    assert report.healthy
    assert report.detail == "2/2 running tasks HEALTHY"


def test_health_check_fails_and_names_tasks_not_healthy():
    report = _stubbed_health(
        [
            _task("t1", "RUNNING", "HEALTHY"),
            _task("t2", "RUNNING", "UNHEALTHY"),
            _task("t3", "RUNNING", None),
        ]
    )
    assert not report.healthy
    assert "2/3 running tasks not HEALTHY" in report.detail
    assert "t2=UNHEALTHY" in report.detail and "t3=UNKNOWN" in report.detail
    assert "no container health check" in report.detail


def test_health_check_fails_when_no_task_is_running():
    report = _stubbed_health([])
    assert not report.healthy
    assert report.detail == "no running tasks"


# ------------------------------------------------------------------------------ scale


def test_scale_updates_desired_count_and_warns_about_autoscaling(stack, outputs_file, aws):
    ecs, _ = aws
    stack()
    code, out, err = run(["scale", "pdp-service", "3", "--outputs-file", str(outputs_file)])
    assert code == 0, err
    assert service(ecs, "aw-pdp-service")["desiredCount"] == 3
    assert service(ecs, "aw-pap-service")["desiredCount"] == 1
    assert "aw-pdp-service: desired count 1 -> 3" in out
    assert "Auto Scaling" in err


def test_scale_refuses_negative_count(stack, outputs_file, aws, capsys):
    ecs, _ = aws
    stack()
    code, _, _ = run(["scale", "aw-pdp-service", "-1", "--outputs-file", str(outputs_file)])
    assert code == 2
    assert "must be 0 or more" in capsys.readouterr().err
    assert service(ecs, "aw-pdp-service")["desiredCount"] == 1


# ------------------------------------------------------------------------------ rollback


def test_rollback_moves_service_to_previous_revision(stack, outputs_file, aws):
    ecs, _ = aws
    stack()
    code, out, err = run(["rollback", "aw-pdp-service", "--outputs-file", str(outputs_file)])
    assert code == 0, err
    assert service(ecs, "aw-pdp-service")["taskDefinition"].endswith(
        f"task-definition/{ecs_name('aw-pdp-service')}:1"
    )
    assert service(ecs, "aw-pap-service")["taskDefinition"].endswith(":2")
    assert "previous ACTIVE revision" in out


def test_rollback_of_one_service_warns_that_the_next_up_undoes_it(stack, outputs_file, aws):
    stack()
    code, _, err = run(["rollback", "aw-pdp-service", "--outputs-file", str(outputs_file)])
    assert code == 0
    assert "the next `pulumi up` puts the recorded release back" in err
    assert "python -m tools.ops rollback --stack" in err


def test_rollback_without_a_service_rolls_the_release_back_for_good(outputs_file):
    """The stack's release record moves (tools.release rollback), so later ups keep it."""
    calls: list[list[str]] = []
    code, _, err = run(
        ["rollback", "--stack", "prod", "--outputs-file", str(outputs_file), "--to", "abc1234"],
        release_main=lambda argv: calls.append(argv) or 0,
    )
    assert code == 0, err
    assert calls == [
        ["rollback", "--stack", "prod", "--outputs-file", str(outputs_file), "--to", "abc1234"]
    ]


def test_rollback_skips_deregistered_revisions(stack, outputs_file, aws):
    ecs, _ = aws
    stack()
    family = ecs_name("aw-pdp-service")
    register_revision(ecs, "aw-pdp-service", "v3")
    ecs.update_service(cluster=CLUSTER, service=family, taskDefinition=f"{family}:3")
    ecs.deregister_task_definition(taskDefinition=f"{family}:2")
    code, _, err = run(["rollback", "pdp-service", "--outputs-file", str(outputs_file)])
    assert code == 0, err
    assert service(ecs, "aw-pdp-service")["taskDefinition"].endswith(f"{family}:1")


def test_rollback_fails_clearly_without_previous_revision(stack, outputs_file, aws):
    ecs, _ = aws
    stack()
    family = ecs_name("aw-pdp-service")
    ecs.update_service(cluster=CLUSTER, service=family, taskDefinition=f"{family}:1")
    code, _, err = run(["rollback", "aw-pdp-service", "--outputs-file", str(outputs_file)])
    assert code == 1
    assert f"no previous ACTIVE revision of task family {family} before revision 1" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert service(ecs, "aw-pdp-service")["taskDefinition"].endswith(f"{family}:1")


def test_rollback_mid_deployment_uses_the_previous_deployment(outputs_file, fake_credentials):
    """A second deployment only exists while ECS is rolling out (moto never has one)."""
    name = ecs_name("aw-pdp-service")
    arn = f"arn:aws:ecs:{REGION}:123456789012:task-definition/{name}:"
    ecs = boto3.client("ecs", region_name=REGION)
    svc = {
        "serviceName": name,
        "status": "ACTIVE",
        "taskDefinition": arn + "7",
        "deployments": [
            {"id": "ecs-svc/new", "status": "PRIMARY", "taskDefinition": arn + "7"},
            {"id": "ecs-svc/old", "status": "ACTIVE", "taskDefinition": arn + "5"},
        ],
    }
    with Stubber(ecs) as stub:
        stub.add_response(
            "describe_services", {"services": [svc]}, {"cluster": CLUSTER, "services": [name]}
        )
        # no ListTaskDefinitions expected: the Stubber fails on any unexpected call
        stub.add_response(
            "update_service",
            {"service": {**svc, "taskDefinition": arn + "5"}},
            {"cluster": CLUSTER, "service": name, "taskDefinition": arn + "5"},
        )
        code, out, err = run(
            ["rollback", "pdp-service", "--outputs-file", str(outputs_file)],
            make_client=lambda *a: ecs,
        )
        stub.assert_no_pending_responses()
    assert code == 0, err
    assert f"from {name}:7 to {name}:5 (previous deployment ecs-svc/old)" in out


# ------------------------------------------------------------------------------ logs


def _put_events(logs, stream: str, events: list[tuple[int, str]]) -> None:
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=PDP_LOG_GROUP, logStreamName=stream)
    logs.put_log_events(
        logGroupName=PDP_LOG_GROUP,
        logStreamName=stream,
        logEvents=[{"timestamp": ts, "message": msg} for ts, msg in events],
    )


def test_logs_prints_events_within_since_window(aws, outputs_file):
    _, logs = aws
    logs.create_log_group(logGroupName=PDP_LOG_GROUP)
    now_ms = int(time.time() * 1000)
    _put_events(logs, "ecs/aw-pdp-service/t1", [(now_ms - 3_600_000, "boot an hour ago")])
    _put_events(logs, "ecs/aw-pdp-service/t2", [(now_ms - 60_000, "decision PERMIT user=42")])
    code, out, err = run(
        ["logs", "pdp-service", "--since", "10m", "--outputs-file", str(outputs_file)]
    )
    assert code == 0, err
    assert "ecs/aw-pdp-service/t2 decision PERMIT user=42" in out
    assert "boot an hour ago" not in out


def test_logs_follow_prints_new_events_exactly_once(aws, outputs_file):
    _, logs = aws
    logs.create_log_group(logGroupName=PDP_LOG_GROUP)
    now_ms = int(time.time() * 1000)
    _put_events(logs, "s1", [(now_ms - 5_000, "first line")])
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # a new event arrives while the tool sleeps
        sleeps.append(seconds)
        _put_events(logs, "s1", [(now_ms - 5_000 + len(sleeps), f"line after poll {len(sleeps)}")])

    code, out, err = run(
        [
            "logs",
            "aw-pdp-service",
            "--follow",
            "--max-polls",
            "3",
            "--poll-interval",
            "2",
            "--outputs-file",
            str(outputs_file),
        ],
        sleep=sleep,
    )
    assert code == 0, err
    assert sleeps == [2, 2]
    lines = out.splitlines()
    assert [ln.split(" ", 2)[2] for ln in lines] == [
        "first line",
        "line after poll 1",
        "line after poll 2",
    ]


def test_logs_rejects_invalid_since(outputs_file, capsys):
    code, _, _ = run(["logs", "pdp-service", "--since", "ten", "--outputs-file", str(outputs_file)])
    assert code == 2
    assert "invalid duration 'ten'" in capsys.readouterr().err


def test_logs_missing_log_group_is_a_one_line_error(aws, outputs_file):
    code, _, err = run(["logs", "pdp-service", "--outputs-file", str(outputs_file)])
    assert code == 2
    assert err.startswith("error: ResourceNotFoundException on FilterLogEvents")
    assert err.count("\n") == 1


# ------------------------------------------------------------------------------ errors


def test_unknown_service_lists_valid_ones(outputs_file):
    code, _, err = run(["scale", "pdp", "2", "--outputs-file", str(outputs_file)])
    assert code == 2
    assert err == ("error: unknown service 'pdp'; valid services: " + ", ".join(ORDER) + "\n")


def test_short_name_is_refused_when_ambiguous():
    config = ops.parse_stack_config(stack_outputs(["aw-pdp-service", "pdp-service"]))
    assert config.resolve("aw-pdp-service").key == "aw-pdp-service"
    with pytest.raises(ops.OpsError, match="ambiguous service 'pdp-service'") as info:
        config.resolve("pdp-service")
    assert info.value.exit_code == 2


def test_missing_outputs_file_is_reported(tmp_path):
    missing = tmp_path / "nope.json"
    code, _, err = run(["status", "--outputs-file", str(missing)])
    assert code == 2
    assert err == f"error: outputs file not found: {missing}\n"


def test_outputs_without_cicd_config_are_rejected(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"cluster_name": CLUSTER}), encoding="utf-8")
    code, _, err = run(["status", "--outputs-file", str(path)])
    assert code == 2
    assert "no 'cicd_deployment_config'" in err


def test_missing_credentials_exit_2_without_traceback(outputs_file, tmp_path, monkeypatch):
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "credentials").write_text("", encoding="utf-8")
    (tmp_path / "config").write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no IMDS probe
    # Should credentials be found after all, fail fast locally instead of calling AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    code, out, err = run(["status", "--outputs-file", str(outputs_file)])
    assert code == 2
    assert err.startswith("error: no usable AWS credentials (Unable to locate credentials)")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert out == ""


def test_rejected_credentials_exit_2(outputs_file, fake_credentials):
    ecs = boto3.client("ecs", region_name=REGION)
    with Stubber(ecs) as stub:
        stub.add_client_error(
            "describe_services",
            service_error_code="UnrecognizedClientException",
            service_message="The security token included in the request is invalid.",
            http_status_code=400,
        )
        code, _, err = run(
            ["status", "--outputs-file", str(outputs_file)], make_client=lambda *a: ecs
        )
    assert code == 2
    assert err.startswith("error: AWS rejected the credentials or their permissions")
    assert "UnrecognizedClientException on DescribeServices" in err


def test_region_option_overrides_the_outputs_region(stack, outputs_file):
    stack()
    code, _, err = run(["status", "--outputs-file", str(outputs_file), "--region", "us-east-1"])
    assert code == 2  # the cluster lives in eu-west-1 only
    assert "ClusterNotFoundException on DescribeServices" in err


def _fake_pulumi(bin_dir: Path, script: str) -> None:
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    exe.chmod(0o755)


def test_unknown_stack_is_reported(tmp_path, monkeypatch):
    _fake_pulumi(tmp_path / "bin", "echo \"error: no stack named 'nope' found\" >&2\nexit 255\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    code, _, err = run(["status", "--stack", "nope"])
    assert code == 2
    assert err == "error: unknown stack 'nope': error: no stack named 'nope' found\n"


def test_missing_pulumi_cli_suggests_outputs_file(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = run(["status", "--stack", "dev"])
    assert code == 2
    assert "pulumi CLI was not found" in err and "--outputs-file" in err


def test_outputs_are_read_from_pulumi_stack_output(stack, tmp_path, monkeypatch):
    stack()
    args_file = tmp_path / "pulumi-args"
    payload = json.dumps(stack_outputs())
    _fake_pulumi(tmp_path / "bin", f"echo \"$@\" > '{args_file}'\nprintf '%s' '{payload}'\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    code, out, err = run(["status", "--stack", "dev"])
    assert code == 0, err
    assert args_file.read_text().split() == ["stack", "output", "--json", "--stack", "dev"]
    assert all(f"{key} (" in out for key in ORDER)


@pytest.mark.parametrize(
    "command", [[], ["status"], ["deploy"], ["scale"], ["rollback"], ["logs"], ["run"]]
)
def test_help_is_available_for_the_tool_and_every_command(command, capsys):
    assert ops.main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m tools.ops {' '.join(command)}".rstrip())
    if command == ["deploy"]:
        assert "not reachable from a CI runner" in " ".join(out.split())


# ------------------------------------------------------------------------------ run

MIGRATE = "db-migrate"
MIGRATE_FAMILY = "accessweaver-dev-db-migrate"
MIGRATE_LOG_GROUP = "/ecs/accessweaver-dev/db-migrate"


@pytest.fixture
def task_stack(aws, tmp_path):
    """The cluster, a subnet and the task's group, its task definition and log group in the
    emulator, and stack outputs naming them as the program exports them (`tasks`)."""
    ecs, logs = aws
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"]
        for i in (1, 2)
    ]
    group = ec2.create_security_group(GroupName="t", Description="task", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=CLUSTER)
    arn = ecs.register_task_definition(
        family=MIGRATE_FAMILY,
        containerDefinitions=[
            {"name": MIGRATE, "image": "accessweaver/app:v1", "memory": 512, "essential": True}
        ],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]
    logs.create_log_group(logGroupName=MIGRATE_LOG_GROUP)
    path = task_outputs(tmp_path, arn=arn, subnets=subnets, group=group)
    return {"outputs": path, "subnets": subnets, "group": group, "arn": arn}


def task_outputs(tmp_path: Path, *, arn: str, subnets: list[str], group: str) -> Path:
    """Stack outputs with the task as the program exports it (`tasks`)."""
    outputs = stack_outputs()
    outputs["tasks"] = {
        MIGRATE: {
            "family": MIGRATE_FAMILY,
            "task_definition_arn": arn,
            "cluster": CLUSTER,
            "region": REGION,
            "subnets": subnets,
            "security_group": group,
            "assign_public_ip": False,
            "container_name": MIGRATE,
            "log_group": MIGRATE_LOG_GROUP,
            "log_stream_prefix": "ecs",
            "schedule": None,
            "run_before_deploy": True,
            "timeout_minutes": 20,
        }
    }
    path = tmp_path / "outputs-with-tasks.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


@pytest.fixture
def named_task(tmp_path) -> Path:
    """The same outputs naming resources that exist nowhere: for what fails before AWS."""
    arn = f"arn:aws:ecs:{REGION}:123456789012:task-definition/{MIGRATE_FAMILY}:3"
    return task_outputs(tmp_path, arn=arn, subnets=["subnet-1", "subnet-2"], group="sg-1")


def container_exits(code: int, logs=None, line: str | None = None):
    """The container exits with `code` (moto reports 0 otherwise) and, with `logs`, writes
    `line` to its stream as the awslogs driver would. Replaces `sleep` in the polling loop."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends

    def sleep(_seconds: float) -> None:
        for arn, task in ecs_backends[DEFAULT_ACCOUNT_ID][REGION].tasks[CLUSTER].items():
            task.containers[0].exitCode = code
            stream = f"ecs/{MIGRATE}/{arn.rsplit('/', 1)[-1]}"
            if logs is not None and line is not None:
                with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                    logs.create_log_stream(logGroupName=MIGRATE_LOG_GROUP, logStreamName=stream)
                    logs.put_log_events(
                        logGroupName=MIGRATE_LOG_GROUP,
                        logStreamName=stream,
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
                    )

    return sleep


def run_task_params(calls: list[dict]):
    """Real (emulated) clients that record each RunTask call."""

    def make(service_name, region, profile):
        client = ops.make_boto3_client(service_name, region, profile)
        client.meta.events.register(
            "provide-client-params.ecs.RunTask", lambda params, **_: calls.append(dict(params))
        )
        return client

    return make


def test_run_starts_the_task_in_its_network_and_exits_with_its_code(task_stack, aws):
    ecs, _ = aws
    calls: list[dict] = []
    code, out, err = run(
        ["run", MIGRATE, "--outputs-file", str(task_stack["outputs"]), "--poll-interval", "0"],
        make_client=run_task_params(calls),
        sleep=lambda _: None,
    )
    assert code == 0, err
    (params,) = calls
    assert params["cluster"] == CLUSTER and params["taskDefinition"] == task_stack["arn"]
    assert params["launchType"] == "FARGATE"
    assert params["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": task_stack["subnets"],
        "securityGroups": [task_stack["group"]],
        "assignPublicIp": "DISABLED",
    }
    assert params["overrides"] == {}
    task_id = out.split(f"{MIGRATE}: task ")[1].split()[0]
    (task,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[task_id])["tasks"]
    assert task["lastStatus"] == "STOPPED" and task["startedBy"] == "tools.ops run"
    assert "exit code: 0" in out
    assert f"logs: group {MIGRATE_LOG_GROUP}, stream ecs/{MIGRATE}/{task_id}" in out


def test_run_exits_with_the_containers_non_zero_code_and_prints_its_logs(task_stack, aws):
    _, logs = aws
    code, out, err = run(
        ["run", MIGRATE, "--outputs-file", str(task_stack["outputs"]), "--poll-interval", "0"],
        sleep=container_exits(3, logs, "ERROR: relation tenants already exists"),
    )
    assert code == 3, err
    assert "exited 3" in out and "exit code: 3" in out
    assert out.rstrip().endswith("ERROR: relation tenants already exists")


def test_run_replaces_the_command_for_this_run_only(task_stack):
    calls: list[dict] = []
    code, _, err = run(
        [
            "run",
            MIGRATE,
            "--outputs-file",
            str(task_stack["outputs"]),
            "--command",
            "flyway info -outputType='json'",
            "--poll-interval",
            "0",
        ],
        make_client=run_task_params(calls),
        sleep=lambda _: None,
    )
    assert code == 0, err
    assert calls[0]["overrides"] == {
        "containerOverrides": [{"name": MIGRATE, "command": ["flyway", "info", "-outputType=json"]}]
    }


def test_run_stops_a_task_still_running_after_the_timeout(task_stack, aws):
    ecs, _ = aws
    clock = iter(range(0, 10_000, 30))
    code, out, err = run(
        ["run", MIGRATE, "--outputs-file", str(task_stack["outputs"]), "--timeout", "10"],
        sleep=lambda _: None,
        now=lambda: float(next(clock)),
    )
    assert code == ops.EXIT_TIMED_OUT, (out, err)
    assert "still running after 10 s: stopped" in err
    (task,) = ecs.describe_tasks(
        cluster=CLUSTER, tasks=ecs.list_tasks(cluster=CLUSTER, desiredStatus="STOPPED")["taskArns"]
    )["tasks"]
    assert task["stoppedReason"].startswith("still running after 10 s")


def test_run_names_the_declared_tasks_when_given_another(named_task):
    code, _, err = run(["run", "seed", "--outputs-file", str(named_task)])
    assert code == ops.EXIT_USAGE
    assert err == "error: unknown task 'seed'; valid tasks: db-migrate\n"


def test_run_on_a_stack_without_tasks_is_a_usage_error(outputs_file):
    code, _, err = run(["run", MIGRATE, "--outputs-file", str(outputs_file)])
    assert code == ops.EXIT_USAGE
    assert "the stack outputs declare no task" in err


def test_run_reports_a_task_ecs_does_not_start(named_task, fake_credentials):
    ecs = boto3.client("ecs", region_name=REGION)
    with Stubber(ecs) as stub:
        stub.add_response(
            "run_task",
            {"tasks": [], "failures": [{"arn": "arn:cluster", "reason": "MISSING"}]},
        )
        code, _, err = run(
            ["run", MIGRATE, "--outputs-file", str(named_task)],
            make_client=lambda *a: ecs,
        )
    assert code == ops.EXIT_NOT_RUN
    assert "ECS started no task (arn:cluster: MISSING)" in err
