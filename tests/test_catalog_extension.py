"""A stack file's `services` extends the base catalog: adding a service keeps the five
AccessWeaver services, a change to one of them merges key by key, and only `enabled: false`
removes one (issue: adding a notifier used to replace the whole catalog without a word)."""

from __future__ import annotations

from accessweaver_components.stack.catalog import ACCESSWEAVER_CATALOG, extend_catalog
from tests.config_support import MINIMAL_PROD, loader

BASE = MINIMAL_PROD
NOTIFIER = {"port": 8090, "sizes": {"prod": {"cpu": 256, "memory": 512, "desiredCount": 2}}}
FIVE = set(ACCESSWEAVER_CATALOG)

load, problems = loader(BASE)


def test_adding_a_service_keeps_the_five_of_the_base_catalog():
    settings = load(services={"notifier": NOTIFIER})
    assert {s.name for s in settings.services} == {*FIVE, "notifier", "keycloak"}


def test_a_change_to_a_base_service_merges_key_by_key():
    # GIVEN only one `uses` key and one size of the PDP service in the stack file
    settings = load(
        services={
            "aw-pdp-service": {
                "uses": {"documents": "read"},
                "sizes": {"prod": {"cpu": 4096, "memory": 8192}},
            }
        }
    )
    pdp = settings.service("aw-pdp-service")
    # THEN the base entry's other keys stay: its port, database and cache, its task count
    assert (pdp.port, pdp.cpu, pdp.memory, pdp.desired_count) == (8081, 4096, 8192, 3)
    assert pdp.uses.database and pdp.uses.cache and pdp.uses.documents == "read"


def test_a_list_in_the_stack_file_replaces_the_base_list():
    settings = load(
        services={"aw-api-gateway": {"calls": ["aw-pdp-service"]}},
    )
    assert settings.service("aw-api-gateway").calls == ("aw-pdp-service",)


def test_enabled_false_removes_a_base_service_and_nothing_else():
    settings = load(
        services={
            "aw-audit-service": {"enabled": False},
            "aw-api-gateway": {"calls": ["aw-pdp-service", "aw-pap-service", "aw-tenant-service"]},
        }
    )
    assert {s.name for s in settings.services} == {*FIVE - {"aw-audit-service"}, "keycloak"}


def test_a_call_to_a_disabled_service_is_refused_naming_the_switch():
    found = problems(services={"aw-audit-service": {"enabled": False}})
    text = found["(default catalog).aw-api-gateway.calls[3]"]
    assert "aw-audit-service is disabled (services.aw-audit-service.enabled: false)" in text
    assert "services.aw-api-gateway.calls without it" in text


def test_an_override_of_a_disabled_service_is_refused():
    found = problems(
        services={
            "aw-audit-service": {"enabled": False},
            "aw-api-gateway": {"calls": ["aw-pdp-service"]},
        },
        serviceOverrides={"aw-audit-service": {"desiredCount": 3}},
    )
    assert "the service is disabled" in found["serviceOverrides.aw-audit-service"]


def test_a_bad_value_in_a_change_names_the_stack_files_key():
    found = problems(services={"aw-pdp-service": {"port": 0}})
    assert "services.aw-pdp-service.port" in found


def test_base_catalog_none_starts_from_the_stack_files_services_only():
    settings = load(baseCatalog="none", services={"notifier": NOTIFIER})
    assert {s.name for s in settings.services} == {"notifier", "keycloak"}


def test_another_project_has_no_base_catalog_by_default():
    config, origins = extend_catalog({"services": {"notifier": NOTIFIER}}, "ca-a2a")
    assert set(config["services"]) == {"notifier"}
    assert not origins["notifier"].from_base
    # ... and may still ask for AccessWeaver's by name.
    config, _ = extend_catalog({"baseCatalog": "accessweaver"}, "ca-a2a")
    assert set(config["services"]) == FIVE


def test_the_base_catalog_itself_is_never_changed_by_a_stack_file():
    load(services={"aw-pdp-service": {"uses": {"documents": "read"}, "calls": ["aw-pap-service"]}})
    assert "documents" not in ACCESSWEAVER_CATALOG["aw-pdp-service"]["uses"]
    assert "calls" not in ACCESSWEAVER_CATALOG["aw-pdp-service"]


def test_the_readme_example_added_to_the_dev_stack_file_plans_six_services(run_stack):
    """README "Describing your own system": the block, pasted under `config:` of
    Pulumi.dev.yaml, adds the notifier and keeps the five services."""
    import yaml

    from tests.test_readme import README

    block = README.split("<!-- add-service:start -->", 1)[1].split("<!-- add-service:end -->")[0]
    yaml_text = block.split("```yaml", 1)[1].split("```", 1)[0]
    added = yaml.safe_load("config:\n" + yaml_text)["config"]
    result = run_stack("dev", added)
    names = {r.name for r in result.of_type("accessweaver:ecs:Microservice")}
    assert names == {*FIVE, "notifier", "keycloak"}
    assert len(result.of_type("aws:ecs/service:Service")) == 7
