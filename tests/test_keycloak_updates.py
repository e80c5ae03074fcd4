"""Keycloak version changes never run two versions together (issue 20, part 7): a version
Keycloak's update-compatibility check does not allow to roll deploys as a recreate (every old
task stops before a new one starts); the same version keeps the configured strategy."""

from __future__ import annotations

import json
import re
from typing import Any

from accessweaver_components.identity.updates import keycloak_recreate_reason
from accessweaver_components.stack.release import ReleaseRecord, replaced_tags, running_tags
from tests.conftest import ROOT
from tests.resource_types import SERVICE
from tools.aws_models import create_service_params, validate
from tools.engine import example_release
from tools.plan import render_summary
from tools.policy_check import run_policies

RECREATE = "Recreate"


def prod_record(keycloak_tag: str, replaces: str | None = None) -> str:
    """prod's stand-in release with Keycloak's image recorded under `keycloak_tag` (and, as
    `tools.release record` writes it before an `up`, the tag it replaced)."""
    record = json.loads(example_release(ROOT, "prod"))
    record["images"]["keycloak"]["tag"] = keycloak_tag
    if replaces is not None:
        record["replaces"] = {name: image["tag"] for name, image in record["images"].items()}
        record["replaces"]["keycloak"] = replaces
    return json.dumps(record)


def found_service(result, name: str) -> dict[str, Any]:
    (service,) = [s for s in result.of_type(SERVICE) if s.name == f"{name}-service"]
    return service.inputs


def services(result) -> dict[str, dict[str, Any]]:
    return {s.name.removesuffix("-service"): s.inputs for s in result.of_type(SERVICE)}


def assert_never_two_versions(inputs: dict[str, Any]) -> None:
    """ECS's own semantics: ROLLING at maximum 100 % never starts a task while the desired
    count runs, and minimum 0 % lets it stop them all first."""
    assert inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert inputs["deploymentMaximumPercent"] == 100
    assert inputs["deploymentMinimumHealthyPercent"] == 0
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    # the tag says why, in characters AWS accepts in a tag value
    tag = inputs["tags"][RECREATE]
    assert tag.startswith("Keycloak ") and "update-compatibility check: recreate" in tag
    assert re.fullmatch(r"[\w .:/=+\-@]{1,256}", tag), tag


def test_only_the_same_version_may_roll():
    assert keycloak_recreate_reason("26.7.0", ["26.7.0"]) is None
    assert keycloak_recreate_reason("26.7.0", []) is None  # nothing runs yet
    # a patch release rolls only with the preview feature rolling-updates:v2: not in production
    reason = keycloak_recreate_reason("26.7.1", ["26.7.0", "26.7.1"])
    assert reason is not None and reason.startswith("Keycloak 26.7.0 may be running and 26.7.1")
    assert keycloak_recreate_reason("26.6.2", ["26.7.0"]) is not None  # a downgrade too


def test_a_record_remembers_what_its_up_replaces():
    old = {"commit": "a" * 40, "images": {"keycloak": {"tag": "26.7.0", "digest": "x"}}}
    assert replaced_tags(None, "b" * 40) == {}
    assert replaced_tags(old, "b" * 40) == {"keycloak": "26.7.0"}
    # a retried deploy of the same commit keeps what the first attempt replaced
    retried = {**old, "replaces": {"keycloak": "26.6.0"}}
    assert replaced_tags(retried, "a" * 40) == {"keycloak": "26.6.0"}
    digest = "sha256:" + "0" * 64
    record = ReleaseRecord.model_validate(
        {
            "commit": "b" * 40,
            "images": {"keycloak": {"tag": "26.7.1", "digest": digest}},
            "replaces": {"keycloak": "26.7.0"},
        }
    )
    assert running_tags(record, "keycloak") == ("26.7.1", "26.7.0")
    assert running_tags(None, "keycloak") == ()


def test_a_version_bump_in_prod_recreates_keycloak_and_says_so(run_stack):
    # GIVEN prod's release record holds Keycloak 26.7.0 (a pull request's preview) ...
    bump = {"accessweaver:keycloak": {"version": "26.7.1"}}
    preview = run_stack("prod", bump, release=prod_record("26.7.0"))
    # ... and then the deploy's own `up`, after it recorded 26.7.1 over 26.7.0
    up = run_stack("prod", bump, release=prod_record("26.7.1", replaces="26.7.0"))
    for result in (preview, up):
        found = services(result)
        assert_never_two_versions(found["keycloak"])
        # the strategy's second target group and production rule stay for the next release,
        # and a rolling deployment has no test stage: no test-traffic rule meanwhile
        balancer = found["keycloak"]["loadBalancers"][0]
        assert "alternateTargetGroupArn" in balancer["advancedConfiguration"]
        (published,) = found["keycloak"]["serviceConnectConfiguration"]["services"]
        assert "testTrafficRules" not in published["clientAlias"][0]
        # THEN only Keycloak recreates, and the plan output says why
        assert found["aw-api-gateway"]["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
        assert set(result.outputs["release"]["recreates"]) == {"keycloak"}
        assert "keycloak recreates (every old task stops before a new one starts)" in (
            render_summary(result)
        )
        # the policy pack accepts the announced recreate (REL.2) and its circuit breaker (REL.1)
        assert run_policies(result).violations == []
        # and the ECS API model accepts the recreate
        params = create_service_params(found_service(result, "keycloak"), "c")
        assert validate("ecs", "CreateService", params) == []


def test_the_same_version_keeps_blue_green(plan, run_stack):
    # the committed plan: the record holds the version the stack file names
    keycloak = services(plan("prod"))["keycloak"]
    assert keycloak["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert RECREATE not in keycloak["tags"]
    assert plan("prod").outputs["release"]["recreates"] == {}
    # the release after a bump (it replaced 26.7.1 with 26.7.1): back to blue/green
    result = run_stack(
        "prod",
        {"accessweaver:keycloak": {"version": "26.7.1"}},
        release=prod_record("26.7.1", replaces="26.7.1"),
    )
    assert services(result)["keycloak"]["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
