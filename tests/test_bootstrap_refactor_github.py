"""`github_repository.repository_name`, the GitHub settings component's checks before any
resource, without the engine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accessweaver_components.bootstrap.github_repository import repository_name
from accessweaver_components.bootstrap.github_settings import Reviewers, repository_settings

SETTINGS = repository_settings("acme/shop", ("dev", "prod"), reviewers=Reviewers(users=("ana",)))


def test_the_repository_name_is_the_part_after_the_owner():
    assert repository_name("gh", SETTINGS) == "shop"


@pytest.mark.parametrize("repository", ["shop", "/shop", "acme/", "acme/shop/extra"])
def test_a_repository_that_is_not_owner_name_is_refused(repository: str):
    with pytest.raises(ValueError, match=f"^gh: repository '{repository}' is not owner/name$"):
        repository_name("gh", replace(SETTINGS, repository=repository))


def test_an_environment_listed_twice_is_refused():
    twice = replace(SETTINGS, environments=(*SETTINGS.environments, SETTINGS.environments[0]))
    with pytest.raises(ValueError, match="an environment is listed twice"):
        repository_name("gh", twice)
