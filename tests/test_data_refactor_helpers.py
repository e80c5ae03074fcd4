"""Pure helpers factored out of the data, network and identity components (no engine)."""

from __future__ import annotations

import pytest

from accessweaver_components.naming import provider_region


def test_an_explicit_region_is_used_as_given(monkeypatch):
    # GIVEN a provider configured for another region
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    # THEN the component's own argument wins
    assert provider_region("eu-west-3", "db", "DatabaseArgs") == "eu-west-3"


def test_the_provider_region_is_the_default(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert provider_region(None, "db", "DatabaseArgs") == "eu-central-1"


def test_no_region_at_all_is_refused_naming_the_component_and_its_argument(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
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
