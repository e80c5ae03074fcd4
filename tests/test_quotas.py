"""AWS quotas checked before anything is registered, counted from the same graph the program
builds: the counts match the rules a plan registers, and a catalog over a quota is refused with
the quota's name."""

from __future__ import annotations

from collections import Counter

import pytest

from accessweaver_components.stack import ConfigError
from accessweaver_components.stack.catalog import ACCESSWEAVER_CATALOG
from accessweaver_components.stack.graph import service_paths, task_paths
from accessweaver_components.stack.quotas import rules_per_group
from tests.config_support import EDGE_WITH_CERTIFICATE, PUBLIC_SUBNETS, existing_vpc_stack, loader
from tests.conftest import STACKS
from tests.graph_support import group_owners
from tests.resource_types import SG_IN, SG_OUT

SIZE = {env: {"cpu": 256, "memory": 512, "desiredCount": 2} for env in STACKS}
BASE = existing_vpc_stack("prod", publicSubnetIds=PUBLIC_SUBNETS, edge=EDGE_WITH_CERTIFICATE)
load, problems = loader(BASE)
# A probe asking 100 services needs 100 egress rules: these catalogs go without one (the
# quota message says so: test_a_hundred_services_need_the_probe_off_or_a_raised_quota).
NO_PROBE = {"enabled": False}


def hundred(*, public: bool = False, calls=None, uses=None) -> dict:
    services = {}
    for i in range(100):
        spec = {"port": 9000 + i, "sizes": SIZE, "public": public}
        if public:
            spec["pathPatterns"] = [f"/s{i:03d}/*"]
        if calls is not None:
            spec["calls"] = calls(i)
        if uses is not None:
            spec["uses"] = uses
        services[f"svc-{i:03d}"] = spec
    return services


@pytest.mark.parametrize("stack", STACKS)
def test_counted_rules_are_the_rules_the_plan_registers(plan, stack):
    result = plan(stack)
    owners = group_owners(result)
    registered_in = Counter(owners.get(r.inputs["securityGroupId"]) for r in result.of_type(SG_IN))
    registered_out = Counter(
        owners.get(r.inputs["securityGroupId"]) for r in result.of_type(SG_OUT)
    )
    settings = load(environment=stack)
    counted = rules_per_group(
        service_paths(settings.services, settings.graph_pieces)
        + task_paths(settings.tasks, settings.services, settings.graph_pieces),
        alb_internet_ports=2,
        endpoint_groups=False,
    )
    assert "task:health-probe" in counted
    for group, rules in counted.items():
        owner = group.removeprefix("service:")
        assert (registered_in[owner], registered_out[owner]) == (rules.inbound, rules.outbound), (
            group
        )


def test_a_hundred_internal_services_in_a_chain_plan_within_every_quota():
    # GIVEN 100 services, each calling the next, all on the cache... the cache's group takes 60
    # rules: only 50 of them use the database, 50 the cache
    services = hundred(
        calls=lambda i: [f"svc-{i + 1:03d}"] if i < 99 else [],
    )
    for i in range(100):
        services[f"svc-{i:03d}"]["uses"] = {"database": True} if i < 50 else {"cache": True}
    settings = load(baseCatalog="none", healthProbe=NO_PROBE, services=services)
    assert len(settings.services) == 101  # and Keycloak


def test_a_hundred_public_services_are_refused_naming_the_load_balancer_quotas():
    with pytest.raises(ConfigError) as caught:
        load(baseCatalog="none", healthProbe=NO_PROBE, services=hundred(public=True))
    messages = [issue.render("accessweaver") for issue in caught.value.issues]
    assert any(
        m.startswith("accessweaver:edge = '202 target groups'")  # blue/green in prod: two each
        and "target groups per Application Load Balancer AWS allows (not adjustable)" in m
        for m in messages
    )
    assert any(
        "'104 listener rules'" in m and "'Rules per Application Load Balancer'" in m
        for m in messages
    )
    # and the ALB's own group would need an egress rule per routed port
    assert any("'102 outbound rules on alb'" in m for m in messages)


def test_a_gateway_calling_a_hundred_services_is_refused_until_the_quota_is_raised():
    services = hundred()
    services["gateway"] = {
        "port": 8080,
        "public": True,
        "defaultRoute": True,
        "sizes": SIZE,
        "calls": list(services),
    }
    found = problems(baseCatalog="none", healthProbe=NO_PROBE, services=services)
    message = found["services.gateway"]
    assert "'101 outbound rules on service:gateway'" in message
    assert "VPC quota 'Inbound or outbound rules per security group'" in message
    assert "quotas.rulesPerSecurityGroup" in message
    # WHEN the account declares its raised quota, THEN the same catalog plans
    settings = load(
        baseCatalog="none",
        healthProbe=NO_PROBE,
        services=services,
        quotas={"rulesPerSecurityGroup": 200},
    )
    assert settings.quotas.rules_per_security_group == 200


def test_a_database_used_by_a_hundred_services_is_refused_on_its_inbound_rules():
    found = problems(
        baseCatalog="none", healthProbe=NO_PROBE, services=hundred(uses={"database": True})
    )
    # 100 services, Keycloak and the two platform tasks (setup, rotation)
    assert "103 inbound rules on postgres" in found["database"]


def test_raised_quotas_must_stay_within_what_aws_grants():
    found = problems(quotas={"rulesPerSecurityGroup": 300, "securityGroupsPerNetworkInterface": 5})
    assert "at most 1000" in found["quotas"]
    found = problems(quotas={"securityGroupsPerNetworkInterface": 17})
    assert "at most 16" in found["quotas.securityGroupsPerNetworkInterface"]


def test_the_default_catalog_is_far_from_every_quota():
    settings = load()
    rules = rules_per_group(
        service_paths(settings.services, settings.graph_pieces),
        alb_internet_ports=2,
        endpoint_groups=True,
    )
    assert max(max(r.inbound, r.outbound) for r in rules.values()) < 10
    assert {s.name for s in settings.services} == {*ACCESSWEAVER_CATALOG, "keycloak"}


def test_a_hundred_service_catalog_plans_end_to_end_within_the_quotas(run_stack):
    # GIVEN 100 internal services in a chain behind one public entry point, half on the
    # database, half on the cache (dev: one task each)
    dev = {"dev": {"cpu": 256, "memory": 512, "desiredCount": 1}}
    services = hundred(calls=lambda i: [f"svc-{i + 1:03d}"] if i < 99 else [])
    for i, spec in enumerate(services.values()):
        spec["sizes"] = dev
        spec["uses"] = {"database": True} if i < 50 else {"cache": True}
    services["svc-000"] |= {"public": True, "defaultRoute": True}
    # WHEN the whole program runs, THEN every service has its own group, none over 60 rules
    result = run_stack(
        "dev",
        {
            "accessweaver:baseCatalog": "none",
            "accessweaver:healthProbe": NO_PROBE,
            "accessweaver:services": services,
        },
    )
    owners = group_owners(result)
    assert len([o for o in owners.values() if o.startswith("svc-")]) == 100
    inbound = Counter(owners.get(r.inputs["securityGroupId"]) for r in result.of_type(SG_IN))
    outbound = Counter(owners.get(r.inputs["securityGroupId"]) for r in result.of_type(SG_OUT))
    assert max(inbound.values()) <= 60 and max(outbound.values()) <= 60
    # Keycloak and the two platform tasks use the database too
    assert inbound["postgres"] == 53 and inbound["redis"] == 50


def test_a_hundred_services_need_the_probe_off_or_a_raised_quota():
    found = problems(baseCatalog="none", services=hundred())
    message = found["tasks.health-probe"]
    assert "102 outbound rules on task:health-probe" in message  # 100, Keycloak, 443
    assert "healthProbe.enabled: false" in message
