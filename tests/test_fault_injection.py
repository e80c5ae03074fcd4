"""Faults as code: the AWS FIS experiment templates of staging and prod, their stop condition,
their targets and the role that runs them, read from the committed plans; the pure builders;
the `faultInjection` key; and `tools/faults.py`, which runs one, on fakes.

GIVEN the committed staging and prod stacks, THEN each plans four templates (tasks, one AZ's
network, the database's failover, the cache's AZ power), each stopped by the stack's guard
alarm, each targeting the stack's own resources only, each run by a role trusted by FIS for this
account's experiments, bounded, whose every statement names the stack's resources (or `*` for
the reads IAM scopes no other way).
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from accessweaver_components.errors import ConfigIssue
from accessweaver_components.resilience import experiments as ex
from accessweaver_components.resilience.config import (
    FaultInjectionConfig,
    resolve_fault_injection,
    tasks_to_stop,
)
from accessweaver_components.service_trust import trust_problems
from tests.config_support import existing_vpc_config
from tools import faults as tool
from tools.engine import PlanResult

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
GUARD = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
ACCOUNT, REGION = "123456789012", "eu-west-1"

# Every action the experiment role may have: the FIS actions reference's permissions of the
# four actions the templates use, nothing else.
DOCUMENTED = {
    "tag:GetResources",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "ecs:StopTask",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:GetManagedPrefixListEntries",
    "ec2:CreateNetworkAcl",
    "ec2:CreateNetworkAclEntry",
    "ec2:CreateTags",
    "ec2:DeleteNetworkAcl",
    "ec2:ReplaceNetworkAclAssociation",
    "rds:DescribeDBInstances",
    "rds:RebootDBInstance",
    "elasticache:DescribeReplicationGroups",
    "elasticache:InterruptClusterAzPower",
}
UNSCOPED = {
    "tag:GetResources",
    "ecs:ListTasks",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
}
"""The reads that take no resource-level permission (Service Authorization Reference)."""


def _templates(result: PlanResult) -> dict[str, dict[str, Any]]:
    return {r.inputs["tags"]["Name"].split("-", 2)[-1]: r.inputs for r in result.of_type(TEMPLATE)}


def _faults(result: PlanResult, type_: str) -> Any:
    (found,) = [r for r in result.of_type(type_) if "-faults-" in r.name]
    return found


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_plan_four_experiments_each_stopped_by_the_stacks_guard(plan, stack):
    result = plan(stack)
    templates = _templates(result)
    assert set(templates) == {
        "stop-tasks",
        "az-network",
        "database-failover",
        "cache-az-power",
    }
    (guard,) = result.of_type(GUARD)
    guard_arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:accessweaver-{stack}-fault-guard"
    for inputs in templates.values():
        assert inputs["stopConditions"] == [{"source": "aws:cloudwatch:alarm", "value": guard_arn}]
        # the role of the stack's experiments, under its IAM path (auto-named)
        assert f":role/accessweaver/{stack}/{_role_name(result)}-" in inputs["roleArn"]
        assert inputs["experimentOptions"]["emptyTargetResolutionMode"] == "fail"
    # the guard: what users get and the data stores' saturation, never the unhealthy hosts an
    # experiment causes by design; it notifies the stack's topic
    watched = guard.inputs["alarmRule"].split(" OR ")
    assert f'ALARM("accessweaver-{stack}-alb-5xx-rate")' in watched
    assert f'ALARM("accessweaver-{stack}-postgres-cpu")' in watched
    assert not [w for w in watched if "unhealthy" in w]
    assert all(w.startswith(f'ALARM("accessweaver-{stack}-') for w in watched)
    assert guard.inputs["alarmActions"] == [
        f"arn:aws:sns:{REGION}:{ACCOUNT}:accessweaver-{stack}-alarms"
    ]
    assert result.outputs["fault_injection"]["availability_zone"] == f"{REGION}a"


def _role_name(result: PlanResult) -> str:
    return _faults(result, ROLE).name


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_target_is_one_of_the_stacks_own_resources(plan, stack):
    result = plan(stack)
    templates = _templates(result)
    services = {f"accessweaver-{stack}-{s}" for s in _catalog(result)}
    tasks = templates["stop-tasks"]["targets"]
    assert {t["parameters"]["service"] for t in tasks} == services
    assert {t["parameters"]["cluster"] for t in tasks} == {f"accessweaver-{stack}-cluster"}
    assert {t["resourceType"] for t in tasks} == {"aws:ecs:task"}
    # a share of each service's minimum, at least one task, at most FIS's five
    assert all(t["selectionMode"] in {f"COUNT({n})" for n in range(1, 6)} for t in tasks)
    (subnets,) = templates["az-network"]["targets"]
    assert subnets["parameters"] == {
        "availabilityZoneIdentifier": f"{REGION}a",
        "vpc": result.outputs["vpc_id"],
    }
    (database,) = templates["database-failover"]["targets"]
    assert database["resourceArns"] == [
        f"arn:aws:rds:{REGION}:{ACCOUNT}:db:accessweaver-{stack}-postgres"
    ]
    (cache,) = templates["cache-az-power"]["targets"]
    assert {t["key"]: t["value"] for t in cache["resourceTags"]} == {
        "Project": "accessweaver",
        "Environment": stack,
    }
    assert "resourceArns" not in cache  # the action finds replication groups by tags only
    actions = {a["actionId"]: a for t in templates.values() for a in t["actions"]}
    assert set(actions) == {
        ex.STOP_TASK,
        ex.DISRUPT_CONNECTIVITY,
        ex.REBOOT_DB_INSTANCES,
        ex.CACHE_AZ_POWER,
    }
    params = {p["key"]: p["value"] for p in actions[ex.REBOOT_DB_INSTANCES]["parameters"]}
    assert params == {"forceFailover": "true"}


def _catalog(result: PlanResult) -> set[str]:
    return set(result.outputs["service_arns"])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_experiment_role_can_touch_nothing_but_the_stacks_resources(plan, stack):
    result = plan(stack)
    role, policy = _faults(result, ROLE), _faults(result, ROLE_POLICY)
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust_problems(trust) == []
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "fis.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:fis:{REGION}:{ACCOUNT}:experiment/*"
    )
    assert role.inputs["path"] == f"/accessweaver/{stack}/"
    assert role.inputs["permissionsBoundary"].endswith(f"accessweaver-{stack}-boundary")
    vpc = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{result.outputs['vpc_id']}"
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/accessweaver-{stack}-cluster"
    for statement in json.loads(policy.inputs["policy"])["Statement"]:
        actions = set(statement["Action"])
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        conditions = statement.get("Condition", {})
        assert statement["Effect"] == "Allow" and actions <= DOCUMENTED, statement
        if resources == ["*"]:
            assert actions <= UNSCOPED, statement
            if "ecs:ListTasks" in actions:
                assert conditions == {"ArnEquals": {"ecs:cluster": cluster}}
            continue
        for resource in resources:
            assert resource.startswith("arn:aws:") and f":{REGION}:{ACCOUNT}:" in resource
            own = (
                f"task/accessweaver-{stack}-cluster/" in resource
                or resource.endswith(f":db:accessweaver-{stack}-postgres")
                or resource.endswith(f":replicationgroup:accessweaver-{stack}-redis")
                or resource == vpc
            )
            # network ACLs, subnets, prefix lists: only those of the stack's VPC (ec2:Vpc), the
            # ACLs FIS creates (managedByFIS), or reads; replication groups: described only
            shared = resource.rsplit(":", 1)[-1].split("/")[0] in (
                "network-acl",
                "subnet",
                "prefix-list",
            ) or resource.endswith(":replicationgroup:*")
            assert own or shared, resource
            if shared and actions & {"ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"}:
                assert conditions["StringEquals"] == {"aws:ResourceTag/managedByFIS": "true"}
                assert conditions["ArnEquals"] == {"ec2:Vpc": vpc}
            if shared and "ec2:ReplaceNetworkAclAssociation" in actions:
                assert conditions == {"ArnEquals": {"ec2:Vpc": vpc}}
            if shared and actions & {"ec2:CreateNetworkAcl", "ec2:CreateTags"}:
                assert conditions["StringEquals"]["aws:RequestTag/managedByFIS"] == "true"
            if shared and resource.endswith(":replicationgroup:*"):
                assert actions == {"elasticache:DescribeReplicationGroups"}


def test_dev_has_no_experiment_and_the_templates_pass_the_fis_api_model(plan):
    assert plan("dev").of_type(TEMPLATE) == [] and plan("dev").outputs["fault_injection"] is None
    model = botocore.session.get_session().get_service_model("fis")
    shape = model.operation_model("CreateExperimentTemplate").input_shape
    for stack in ("staging", "prod"):
        for name, inputs in _templates(plan(stack)).items():
            request = {
                "clientToken": "t",
                "description": inputs["description"],
                "roleArn": inputs["roleArn"],
                "stopConditions": inputs["stopConditions"],
                "tags": inputs["tags"],
                "experimentOptions": inputs["experimentOptions"],
                "actions": {
                    a["name"]: {
                        "actionId": a["actionId"],
                        "description": a["description"],
                        "parameters": {p["key"]: p["value"] for p in a.get("parameters", [])},
                        "targets": {a["target"]["key"]: a["target"]["value"]},
                        **({"startAfter": a["startAfters"]} if a.get("startAfters") else {}),
                    }
                    for a in inputs["actions"]
                },
                "targets": {
                    t["name"]: {
                        k: v
                        for k, v in {
                            "resourceType": t["resourceType"],
                            "selectionMode": t["selectionMode"],
                            "parameters": t.get("parameters"),
                            "resourceArns": t.get("resourceArns"),
                            "resourceTags": {x["key"]: x["value"] for x in t["resourceTags"]}
                            if t.get("resourceTags")
                            else None,
                        }.items()
                        if v is not None
                    }
                    for t in inputs["targets"]
                },
            }
            report = ParamValidator().validate(request, shape)
            assert not report.has_errors(), (stack, name, report.generate_report())
            assert len(request["actions"]) <= 20 and len(request["stopConditions"]) <= 5


def test_dev_in_a_shared_vpc_asked_for_experiments_gets_only_what_is_its_own_to_fail(run_stack):
    """Dev's database is single-AZ and its cache serverless: no failover to run there. In a
    VPC the stack did not create (`vpcId`), cutting one AZ's subnets would cut whatever else
    lives there: no network experiment, and no network ACL permission for the role."""
    result = run_stack(
        "dev", {**existing_vpc_config(), "accessweaver:faultInjection": {"enabled": True}}
    )
    assert set(_templates(result)) == {"stop-tasks"}
    statements = json.loads(_faults(result, ROLE_POLICY).inputs["policy"])["Statement"]
    actions = {a for s in statements for a in s["Action"]}
    assert not any(a.startswith(("rds:", "elasticache:", "ec2:")) for a in actions)


# -- the pure builders ----------------------------------------------------------------------------


def test_more_services_than_a_template_holds_make_parts_ten_actions_in_flight_at_most():
    services = {f"svc-{i:02d}": ex.ServiceTasks(f"p-e-svc-{i:02d}", 1) for i in range(25)}
    first, second = ex.stop_tasks("p-e-cluster", services)
    assert (first.part, second.part, first.name, second.name) == (
        (1, 2),
        (2, 2),
        "stop-tasks",
        "stop-tasks-2",
    )
    assert len(first.actions) == 20 and len(second.actions) == 5
    waiting = [a for a in first.actions.values() if a.start_after]
    assert len(waiting) == 10 and all(len(a.start_after) == 10 for a in waiting)


@pytest.mark.parametrize(
    ("minimum", "percent", "stopped"),
    [(1, 50, 1), (2, 50, 1), (3, 50, 1), (4, 50, 2), (10, 100, 5)],
)
def test_each_service_loses_a_share_of_its_minimum_between_one_and_five_tasks(
    minimum, percent, stopped
):
    assert tasks_to_stop(minimum, percent) == stopped


def test_the_role_policy_names_only_the_experiments_it_runs():
    policy = ex.experiment_role_policy(region=REGION, account_id=ACCOUNT, cluster_name="c")
    sids = {s["Sid"] for s in policy["Statement"]}
    assert sids == {"FindTargets", "ListTheClustersTasks", "StopTheClustersTasks"}


def test_a_guard_needs_an_alarm():
    with pytest.raises(ValueError):
        ex.guard_rule([])
    assert ex.guard_rule(["a", "b"]) == 'ALARM("a") OR ALARM("b")'


# -- the faultInjection key -----------------------------------------------------------------------


def _resolve(config: dict, env: str = "staging", guarded: bool = True):
    issues: list[ConfigIssue] = []
    found = resolve_fault_injection(
        FaultInjectionConfig.model_validate(config),
        env=env,  # type: ignore[arg-type]
        region=REGION,
        guarded=guarded,
        issues=issues,
    )
    return found, {i.path: i for i in issues}


def test_the_key_refuses_an_az_of_another_region_no_guard_and_settings_without_experiments():
    _, issues = _resolve({"availabilityZone": "us-east-1a"})
    assert (
        "not an Availability Zone of the stack's region"
        in issues["faultInjection.availabilityZone"].problem
    )
    _, issues = _resolve({}, guarded=False)
    assert "no alarm could stop an experiment" in issues["faultInjection.enabled"].problem
    found, issues = _resolve({"durationMinutes": 10}, env="dev")
    assert found is None and "has no effect" in issues["faultInjection.durationMinutes"].problem
    found, issues = _resolve({"availabilityZone": "euw1-az2", "durationMinutes": 10})
    assert issues == {} and found is not None and found.duration == "PT10M"


# -- tools/faults.py, on fakes ------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def _summary(key: str, template_id: str, part: str = "1/1") -> dict[str, Any]:
    tags = {"Project": "accessweaver", "Environment": "staging", "Experiment": key, "Part": part}
    return {"id": template_id, "tags": tags}


class FakeAws:
    """FIS ends the experiment after `runs` reads; ECS shows a task missing from each service
    from the start until one read after the end."""

    def __init__(self, *, end: str = "completed", runs: int = 2, steady_before: bool = True):
        self.end, self.runs, self.reads, self.started = end, runs, 0, []
        self.after_end = 0
        self.steady_before = steady_before

    def __call__(self, service: str) -> FakeAws:
        return self

    # FIS
    def list_experiment_templates(self, **_: Any) -> dict[str, Any]:
        return {
            "experimentTemplates": [
                _summary("stop-tasks", "EXT1"),
                _summary("database-failover", "EXT2"),
                {"id": "EXT9", "tags": {"Project": "other", "Experiment": "database-failover"}},
            ]
        }

    def get_experiment_template(self, id: str) -> dict[str, Any]:
        cluster = "accessweaver-staging-cluster"
        return {
            "experimentTemplate": {
                "targets": {
                    "tasks-a": {"parameters": {"cluster": cluster, "service": "s-a"}},
                    "tasks-b": {"parameters": {"cluster": cluster, "service": "s-b"}},
                }
            }
        }

    def start_experiment(self, experimentTemplateId: str, clientToken: str) -> dict[str, Any]:
        self.started.append(experimentTemplateId)
        return {"experiment": {"id": "EXP1", "state": {"status": "initiating"}}}

    def get_experiment(self, id: str) -> dict[str, Any]:
        self.reads += 1
        done = self.reads >= self.runs
        return {"experiment": {"state": {"status": self.end if done else "running"}}}

    def stop_experiment(self, id: str) -> None:
        self.end = "stopped"

    # ECS
    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        if self.reads >= self.runs:
            self.after_end += 1
        dip = (bool(self.started) and self.after_end <= 1) or not self.steady_before
        return {
            "services": [
                {
                    "serviceName": s,
                    "desiredCount": 2,
                    "runningCount": 1 if dip else 2,
                    "deployments": [{}],
                }
                for s in services
            ]
        }

    # CloudWatch
    def describe_alarms(self, **_: Any) -> dict[str, Any]:
        return {"CompositeAlarms": [{"StateValue": "OK"}]}


def test_a_run_starts_the_stacks_template_and_reports_the_recovery(tmp_path, capsys):
    aws, summary = FakeAws(), tmp_path / "summary.md"
    code = tool.main(
        ["run", "--stack", "staging", "--experiment", "database-failover", "--project",
         "accessweaver", "--poll", "5", "--summary", str(summary)],
        clients=aws, clock=FakeClock(),
    )  # fmt: skip
    assert code == tool.EXIT_OK and aws.started == ["EXT2"]  # not the other project's EXT9
    text = summary.read_text()
    assert "state: **completed**" in text and "back at their desired count: 5 s" in text
    assert "| s-a | 1 | 2 |" in text


def test_a_run_the_guard_stops_fails_and_nothing_runs_outside_the_steady_state(capsys):
    args = ["run", "--stack", "staging", "--experiment", "stop-tasks", "--project", "accessweaver"]
    assert tool.main(args, clients=FakeAws(end="stopped"), clock=FakeClock()) == tool.EXIT_FAILED
    unsteady = FakeAws(steady_before=False)
    assert tool.main(args, clients=unsteady, clock=FakeClock()) == tool.EXIT_NOT_RUN
    assert unsteady.started == [] and "not in steady state" in capsys.readouterr().err
    missing = [*args[:4], "cache-az-power", *args[5:]]
    assert tool.main(missing, clients=FakeAws(), clock=FakeClock()) == tool.EXIT_NOT_RUN
