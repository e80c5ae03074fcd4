"""The pure steps `resolve.py` runs, without the engine: where a catalog entry's keys are named,
which value and key path a service's size takes, the autoscaling bounds' wording, the ALB
pattern cover rule and a service's health check."""

from __future__ import annotations

from typing import Any

from accessweaver_components.compute.config import (
    SPRING_HEALTH_PATH,
    ServiceOverride,
    ServiceSpec,
)
from accessweaver_components.compute.containers import DEFAULT_HEALTH_PATH
from accessweaver_components.errors import ConfigIssue
from accessweaver_components.identity.config import KEYCLOAK_SERVICE
from accessweaver_components.stack.catalog import EntryOrigin
from accessweaver_components.stack.edge_rules import _covers
from accessweaver_components.stack.service_entries import ServiceCatalog
from accessweaver_components.stack.service_resolve import _health_check
from accessweaver_components.stack.service_sizes import _bounds_in_order, pick

BASE_UNTOUCHED = EntryOrigin(from_base=True)
BASE_RESIZED = EntryOrigin(from_base=True, stack_keys=frozenset({"sizes"}))
BASE_RECONFIGURED = EntryOrigin(from_base=True, stack_keys=frozenset({"environment"}))


def _catalog(keycloak: bool = False) -> ServiceCatalog:
    origins = {"base": BASE_UNTOUCHED, "resized": BASE_RESIZED, "changed": BASE_RECONFIGURED}
    return ServiceCatalog(specs={}, origins=origins, keycloak=keycloak)


def test_an_entry_is_named_where_the_user_can_change_it():
    catalog = _catalog(keycloak=True)
    assert catalog.spec_path("own") == "services.own"  # not in origins: the stack file's
    assert catalog.spec_path("base") == "(default catalog).base"
    assert catalog.spec_path("changed") == "services.changed"
    assert catalog.spec_path(KEYCLOAK_SERVICE) == KEYCLOAK_SERVICE
    # Without keycloak.enabled a service of that name is an ordinary entry.
    assert _catalog(keycloak=False).spec_path(KEYCLOAK_SERVICE) == f"services.{KEYCLOAK_SERVICE}"


def test_a_base_service_is_resized_through_its_override_unless_the_stack_gives_sizes():
    catalog = _catalog(keycloak=True)
    assert catalog.size_base("base", "dev") == "serviceOverrides.base"
    assert catalog.size_base("changed", "dev") == "serviceOverrides.changed"
    assert catalog.size_base("resized", "prod") == "services.resized.sizes.prod"
    assert catalog.size_base("own", "staging") == "services.own.sizes.staging"
    assert catalog.size_base(KEYCLOAK_SERVICE, "prod") == KEYCLOAK_SERVICE


def test_a_set_override_wins_and_is_named_by_its_camel_case_key():
    override = ServiceOverride.model_validate({"cpu": 512, "minCapacity": 2})
    assert pick(override, "api", "cpu", 256, "services.api.sizes.dev.cpu") == (
        512,
        "serviceOverrides.api.cpu",
    )
    assert pick(override, "api", "min_capacity", 1, "x") == (2, "serviceOverrides.api.minCapacity")
    assert pick(override, "api", "memory", 1024, "services.api.sizes.dev.memory") == (
        1024,
        "services.api.sizes.dev.memory",
    )
    assert pick(None, "api", "cpu", 256, "default.cpu") == (256, "default.cpu")


def _bounds(desired: Any, minimum: Any, maximum: Any) -> tuple[bool, list[ConfigIssue]]:
    issues: list[ConfigIssue] = []
    return _bounds_in_order("api", desired, minimum, maximum, issues), issues


def test_bounds_in_order_raise_nothing():
    assert _bounds((2, "d"), (1, "m"), (3, "x")) == (True, [])


def test_a_minimum_above_the_maximum_is_named_at_the_minimum_once():
    kept, issues = _bounds((4, "d"), (4, "serviceOverrides.api.minCapacity"), (3, "(dev default)"))
    assert kept
    assert [(i.path, i.value) for i in issues] == [("serviceOverrides.api.minCapacity", 4)]
    assert "autoscaling minimum is above the autoscaling maximum (3, (dev default))" in (
        issues[0].problem
    )
    # The minimum taken from the desired count is worded as the desired count.
    _, issues = _bounds((4, "d"), (4, "d"), (3, "x"))
    assert issues[0].problem.startswith("api: desired count is above")
    # The stack-wide bounds are reported by the stack-wide rule: the service is left out.
    assert _bounds((4, "d"), (4, "minCapacityOverride"), (3, "maxCapacityOverride")) == (
        False,
        [],
    )


def test_a_desired_count_outside_the_bounds_is_named_at_the_desired_count():
    kept, issues = _bounds((5, "serviceOverrides.api.desiredCount"), (1, "m"), (3, "x"))
    assert kept
    assert [(i.path, i.value, i.allowed) for i in issues] == [
        ("serviceOverrides.api.desiredCount", 5, "1 to 3")
    ]


def test_a_pattern_covers_another_only_when_it_matches_all_its_paths():
    assert _covers("/api/*", "/api/v1/*")
    assert _covers("/*", "/health")
    assert not _covers("/api/v1/*", "/api/*")
    assert not _covers("/api/*", "/api/*")  # identical patterns are reported already
    assert not _covers("/a?c", "/a*c")  # a `?` against a `*`: left out, never a false alarm


def _spec(**keys: Any) -> ServiceSpec:
    return ServiceSpec.model_validate(
        {
            "description": "a service",
            "sizes": {"dev": {"cpu": 256, "memory": 512, "desiredCount": 1}},
            **keys,
        }
    )


def test_a_service_with_a_port_is_probed_at_its_default_path():
    web = _spec(port=8080)
    spring = _spec(port=8080, springBoot=True)
    issues: list[ConfigIssue] = []
    assert _health_check("web", "services.web", web, None, "arn:tg", issues) == (
        DEFAULT_HEALTH_PATH,
        "arn:tg",
    )
    assert _health_check("s", "services.s", spring, None, None, issues) == (
        SPRING_HEALTH_PATH,
        None,
    )
    assert issues == []


def test_a_worker_has_no_health_path_and_its_target_group_is_refused():
    worker = _spec(healthCheckCommand=["CMD-SHELL", "test -f /tmp/healthy"])
    issues: list[ConfigIssue] = []
    assert _health_check("w", "services.w", worker, None, "arn:tg", issues) == (None, None)
    assert [i.path for i in issues] == ["targetGroupArns.w"]
    # Without a command a worker has nothing to be probed by.
    issues = []
    assert _health_check("w", "services.w", _spec(), None, None, issues) == (None, None)
    assert [i.path for i in issues] == ["services.w.healthCheckCommand"]
