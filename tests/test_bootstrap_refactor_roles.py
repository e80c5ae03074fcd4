"""`roles.role_pins`, the CI roles' checks before any resource, without the engine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accessweaver_components.bootstrap.github_settings import (
    DEPLOY_PIN,
    DRIFT_PIN,
    FAULTS_PIN,
    PREVIEW_PIN,
    WorkflowPin,
)
from accessweaver_components.bootstrap.roles import CiRolesArgs, role_pins

ARGS = CiRolesArgs(
    project="shop",
    environment="qa",
    repository="acme/shop",
    services=("ecs",),
    deploy_environment="qa",
    preview_environment="preview-qa",
    drift_environment="drift-qa",
)


def test_each_role_environment_gets_its_workflow_pin():
    assert role_pins("ci", ARGS) == {
        "qa": DEPLOY_PIN,
        "preview-qa": PREVIEW_PIN,
        "drift-qa": DRIFT_PIN,
    }
    with_faults = replace(ARGS, faults_environment="faults-qa")
    assert role_pins("ci", with_faults)["faults-qa"] == FAULTS_PIN


def test_two_roles_in_one_environment_are_refused():
    shared = replace(ARGS, faults_environment="drift-qa")
    with pytest.raises(ValueError, match=r"^ci: each role needs a GitHub environment of its own$"):
        role_pins("ci", shared)


def test_a_pin_admitting_any_ref_is_refused_with_the_trust_problem():
    loose = replace(ARGS, deploy_pin=WorkflowPin("deploy-stack.yml", "*"))
    with pytest.raises(ValueError, match=r"^ci: .*admits any workflow file or ref"):
        role_pins("ci", loose)
