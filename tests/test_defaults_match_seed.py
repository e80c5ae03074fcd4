"""The per-environment data equals the seed module's tables (its README is the specification)."""

from __future__ import annotations

import pytest

from accessweaver_components.stack.catalog import ACCESSWEAVER_CATALOG
from accessweaver_components.stack.environments import ENVIRONMENT_DEFAULTS
from tests.test_config_rules import load

# "Allocation des Ressources par Environnement" (CPU/MB) and the drawings' task counts.
SEED = {
    "dev": {
        "aw-api-gateway": (256, 512, 1),
        "aw-pdp-service": (512, 1024, 1),
        "aw-pap-service": (256, 512, 1),
        "aw-tenant-service": (256, 512, 1),
        "aw-audit-service": (256, 512, 1),
    },
    "staging": {
        "aw-api-gateway": (512, 1024, 2),
        "aw-pdp-service": (1024, 2048, 2),
        "aw-pap-service": (512, 1024, 1),
        "aw-tenant-service": (256, 512, 1),
        "aw-audit-service": (256, 512, 1),
    },
    "prod": {
        "aw-api-gateway": (1024, 2048, 3),
        "aw-pdp-service": (2048, 4096, 3),
        "aw-pap-service": (1024, 2048, 2),
        "aw-tenant-service": (512, 1024, 2),
        "aw-audit-service": (512, 1024, 2),
    },
}


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_sizes_and_task_counts_equal_the_seed_table(env):
    settings = load(environment=env)
    actual = {
        s.name: (s.cpu, s.memory, s.desired_count)
        for s in settings.services
        if s.name != "keycloak"  # platform piece, not in the seed's table (identity/config.py)
    }
    assert actual == SEED[env]


def test_task_totals_match_the_seed_cost_table_5_7_12():
    totals = [sum(count for _, _, count in SEED[env].values()) for env in SEED]
    assert totals == [5, 7, 12]


def test_catalog_ports_visibility_and_criticality_equal_the_seed():
    catalog = {
        name: (spec["port"], spec["public"], spec["criticality"])
        for name, spec in ACCESSWEAVER_CATALOG.items()
    }
    assert catalog == {
        "aw-api-gateway": (8080, True, "critical"),
        "aw-pdp-service": (8081, False, "critical"),
        "aw-pap-service": (8082, False, "important"),
        "aw-tenant-service": (8083, False, "important"),
        "aw-audit-service": (8084, False, "moderate"),
    }


@pytest.mark.parametrize(
    ("env", "max_capacity", "spot", "insights", "xray", "retention", "exec_on", "cpu_target"),
    [
        ("dev", 2, 100, "disabled", False, 7, True, 80),
        ("staging", 4, 30, "enabled", False, 7, True, 70),
        ("prod", 10, 0, "enhanced", True, 30, False, 70),
    ],
)
def test_environment_switches_equal_the_seed(
    env, max_capacity, spot, insights, xray, retention, exec_on, cpu_target
):
    settings = load(environment=env)
    assert {s.max_capacity for s in settings.services} == {max_capacity}
    assert settings.fargate_spot_percentage == spot
    assert settings.container_insights == insights
    assert settings.xray_tracing is xray
    assert settings.log_retention_days == retention
    assert settings.execute_command is exec_on
    assert settings.scaling_cpu_target == cpu_target


def test_stack_config_overrides_environment_defaults_without_mutating_them():
    settings = load(environment="dev", enableXrayTracing=True, logRetentionDays=14)
    assert settings.xray_tracing and settings.log_retention_days == 14
    assert ENVIRONMENT_DEFAULTS["dev"].xray_tracing is False
    assert ENVIRONMENT_DEFAULTS["dev"].log_retention_days == 7


def test_disabling_spot_in_staging_puts_every_task_on_fargate():
    assert load(environment="staging", enableFargateSpot=False).fargate_spot_percentage == 0
