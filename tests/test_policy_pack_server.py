"""The pack as Pulumi runs it: `python -m pulumi.policy` serving the Analyzer gRPC API.

GIVEN the real entry point (policy/__main__.py, the folder on sys.path, the stack's config in
PULUMI_CONFIG) WHEN the engine's calls are replayed over gRPC (GetAnalyzerInfo, Configure with
the pack's initial config, Analyze per resource, AnalyzeStack) THEN it reports exactly what the
offline runner reports for the same resources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.accessweaver_policies import PACK_NAME, WAIVER_POLICY
from tests.conftest import ROOT
from tests.policy_fakes import baseline, plan_of, with_container, with_inputs
from tools.policy_check import _urns, run_policies

WAIVERS = [{"control": "REL.3", "resource": "scaling", "reason": "tested waiver, one task"}]


def _broken_dev_stack():
    resources = baseline()
    resources["task"] = with_container(resources["task"], privileged=True)  # A: mandatory
    resources["cluster"] = with_inputs(resources["cluster"], settings=[])  # P: advisory in dev
    resources["scaling"] = with_inputs(resources["scaling"], minCapacity=1)  # waived
    # Unknown until deployed (e.g. an output of another resource during `pulumi preview`).
    resources["service"] = with_inputs(resources["service"], platformVersion=UNKNOWN_STRING_VALUE)
    del resources["repo-lifecycle"]  # a stack policy
    return plan_of(list(resources.values()), "dev", waivers=WAIVERS)


def _finding(message: str) -> str:
    """The analyzer prefixes findings with the policy's description; unknowns read
    "can't run policy '<name>' from policy pack '<pack>@v<version>' during preview: ..."."""
    if message.startswith("can't run policy"):
        return "can't run policy during preview: " + message.split("during preview: ", 1)[1]
    return message.split("\n", 1)[1]


def _struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _serve(plan):
    config = {**plan.config}
    env = {
        **os.environ,
        "PULUMI_CONFIG": json.dumps(config),
        "PULUMI_PROJECT": plan.project,
        "PULUMI_STACK": plan.stack,
        "PULUMI_DRY_RUN": "true",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "pulumi.policy", "127.0.0.1:0", str(ROOT / "policy")],
        cwd=ROOT / "policy",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_the_served_pack_reports_what_the_offline_runner_reports():
    plan = _broken_dev_stack()
    urns = _urns(plan)
    names = {urn: key.split("::", 1)[1] for key, urn in urns.items()}
    server = _serve(plan)
    try:
        port = int(server.stdout.readline())
        stub = analyzer_pb2_grpc.AnalyzerStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == PACK_NAME
        # The engine folds the pack's initial config into the config it sends back.
        stub.Configure(
            analyzer_pb2.ConfigureAnalyzerRequest(
                policyConfig={
                    name: analyzer_pb2.PolicyConfig(enforcementLevel=value.enforcementLevel)
                    for name, value in info.initialConfig.items()
                }
            ),
            timeout=30,
        )
        diagnostics = []
        for resource in plan.resources:
            urn = urns[resource.key]
            options = analyzer_pb2.AnalyzerResourceOptions(
                protect=resource.protect, ignoreChanges=list(resource.ignore_changes)
            )
            response = stub.Analyze(
                analyzer_pb2.AnalyzeRequest(
                    type=resource.type,
                    properties=_struct(resource.inputs),
                    urn=urn,
                    name=resource.name,
                    options=options,
                ),
                timeout=30,
            )
            diagnostics += [(d, urn) for d in response.diagnostics]
        stack = stub.AnalyzeStack(
            analyzer_pb2.AnalyzeStackRequest(
                resources=[
                    analyzer_pb2.AnalyzerResource(
                        type=r.type,
                        properties=_struct(r.inputs),
                        urn=urns[r.key],
                        name=r.name,
                        options=analyzer_pb2.AnalyzerResourceOptions(
                            protect=r.protect, ignoreChanges=list(r.ignore_changes)
                        ),
                        dependencies=[urns[d] for d in r.depends_on],
                    )
                    for r in plan.resources
                ]
            ),
            timeout=30,
        )
        diagnostics += [(d, d.urn) for d in stack.diagnostics]
    finally:
        server.kill()
        server.wait(timeout=10)

    levels = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}
    # The analyzer prefixes each message with the policy's description.
    served = {
        (d.policyName, names.get(urn, "(stack)"), _finding(d.message), level)
        for d, urn in diagnostics
        if d.policyName != WAIVER_POLICY and (level := levels[d.enforcementLevel])
    }
    offline = run_policies(plan)
    assert served == {
        (v["policy"], v["resource"], v["message"], v["enforcement"]) for v in offline.violations
    }
    assert {p for p, *_ in served} == {
        "ecs-container-not-privileged",
        "ecs-container-insights",
        "ecr-lifecycle-policy",
        "ecs-fargate-platform-version",
    }
    assert (
        "ecs-fargate-platform-version",
        "service",
        "can't run policy during preview: string value at .platformVersion can't be known "
        "during preview",
        "advisory",
    ) in served
    notices = [d.message for d, _ in diagnostics if d.policyName == WAIVER_POLICY]
    assert len(notices) == 1 and "waived REL.3 on scaling" in notices[0]
    assert "reason: tested waiver, one task" in notices[0]
    assert offline.waivers[0]["resource"] == "scaling"
