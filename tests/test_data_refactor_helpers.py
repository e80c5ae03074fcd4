"""Pure helpers factored out of the data, network and identity components (no engine)."""

from __future__ import annotations

from typing import Annotated

import pytest

from accessweaver_components.naming import provider_region


def _provider_region(monkeypatch, region: str | None) -> None:
    """The provider's `aws:region` as `region` (whatever config an earlier test left set)."""
    from types import SimpleNamespace

    from accessweaver_components import naming

    monkeypatch.setattr(naming, "aws", SimpleNamespace(config=SimpleNamespace(region=region)))


def test_an_explicit_region_is_used_as_given(monkeypatch):
    # GIVEN a provider configured for another region
    _provider_region(monkeypatch, "us-east-1")
    # THEN the component's own argument wins
    assert provider_region("eu-west-3", "db", "DatabaseArgs") == "eu-west-3"


def test_the_provider_region_is_the_default(monkeypatch):
    _provider_region(monkeypatch, "eu-central-1")
    assert provider_region(None, "db", "DatabaseArgs") == "eu-central-1"


def test_no_region_at_all_is_refused_naming_the_component_and_its_argument(monkeypatch):
    _provider_region(monkeypatch, None)
    with pytest.raises(ValueError) as error:
        provider_region(None, "cache", "CacheArgs")
    assert str(error.value) == "cache: no region (set aws:region or CacheArgs.region)"


def test_an_allow_statement_carries_a_condition_only_when_given():
    from accessweaver_components.bindings import allow_statement

    plain = allow_statement("Read", ("s3:GetObject",), "arn:aws:s3:::b/*")
    scoped = allow_statement(
        "Stop", ["ecs:StopTask"], "*", ArnEquals={"ecs:cluster": "arn:aws:ecs:r:1:cluster/c"}
    )
    assert plain == {
        "Sid": "Read",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": "arn:aws:s3:::b/*",
    }
    assert scoped["Condition"] == {"ArnEquals": {"ecs:cluster": "arn:aws:ecs:r:1:cluster/c"}}


def test_the_database_is_watched_against_its_own_class_and_storage():
    from accessweaver_components.observability.thresholds import (
        DatabaseWatch,
        database_alarms,
        postgres_max_connections,
    )

    alarms = {a.role: a for a in database_alarms(DatabaseWatch("aw-prod", "db.r7g.large", 100))}
    assert list(alarms) == ["postgres-cpu", "postgres-free-storage", "postgres-connections"]
    # free storage alarms BELOW 10 % of the 100 GiB allocation, the others above their limit
    storage = alarms["postgres-free-storage"]
    assert (storage.threshold, storage.comparison_operator) == (10 * 1024**3, "LessThanThreshold")
    assert alarms["postgres-connections"].threshold == (
        postgres_max_connections("db.r7g.large") * 80 // 100
    )
    assert alarms["postgres-cpu"].comparison_operator == "GreaterThanThreshold"


def test_each_cache_node_gets_alarms_named_by_its_number():
    from accessweaver_components.observability.thresholds import cache_node_alarms

    alarms = cache_node_alarms("accessweaver-prod-redis-002")
    assert [a.role for a in alarms] == ["redis-002-cpu", "redis-002-memory", "redis-002-evictions"]
    assert all("accessweaver-prod-redis-002" in a.description for a in alarms)


def test_a_serverless_cache_is_watched_against_its_data_limit():
    from accessweaver_components.observability.thresholds import (
        ServerlessCacheWatch,
        serverless_cache_alarms,
    )

    data, throttled, evictions = serverless_cache_alarms(ServerlessCacheWatch("aw-dev", 5))
    assert (data.role, data.threshold) == ("cache-data", 5 * 1024**3 * 80 // 100)
    assert (throttled.metric_name, throttled.threshold) == ("ThrottledCmds", 0)
    assert evictions.metric_name == "Evictions"


@pytest.mark.parametrize("kind", ["vpc", "subnet", "sg"])
def test_an_ec2_id_is_its_prefix_and_8_or_17_hex_digits(kind):
    from accessweaver_components.formats import PATTERNS

    pattern, allowed = PATTERNS[kind]
    assert pattern.match(f"{kind}-0123abcd") and pattern.match(f"{kind}-0123456789abcdef0")
    for wrong in (f"{kind}-0123abcd0", f"{kind}-0123ABCD", f"x{kind}-0123abcd", "0123abcd"):
        assert not pattern.match(wrong), wrong
    assert allowed == f"{kind}- followed by 8 or 17 hex digits"


def test_a_matching_check_keeps_what_matches_and_refuses_the_rest_with_its_text():
    import re

    from pydantic import TypeAdapter, ValidationError

    from accessweaver_components.formats import matching

    clock = TypeAdapter(Annotated[str, matching(re.compile(r"^\d\d:\d\d$"), "not HH:MM")])
    assert clock.validate_python("08:30") == "08:30"
    with pytest.raises(ValidationError) as error:
        clock.validate_python("8h30")
    assert error.value.errors()[0]["msg"] == "Value error, not HH:MM"


def test_working_hours_are_read_from_hh_mm_once():
    from accessweaver_components.compute.config import OffHoursSettings

    hours = OffHoursSettings("Europe/Paris", "08:30", "19:15", ("MON", "TUE"))
    assert hours.hours_per_day == 10.75
    assert hours.scale_up_schedule == "cron(30 8 ? * MON,TUE *)"
    assert hours.scale_down_schedule == "cron(15 19 ? * MON,TUE *)"
