"""One version, written once (`components/_version.py`), shown wherever a version appears, and
a changelog whose newest release is that version."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from accessweaver_components import __version__
from tests.conftest import ROOT

CHANGELOG = (ROOT / "CHANGELOG.md").read_text()


def released(changelog: str) -> list[str]:
    """Versions of the changelog's released sections, newest first."""
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, flags=re.M)


def test_the_version_is_written_once_and_pyproject_reads_it_there():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    module, _, name = attr.rpartition(".")
    # the module's file, wherever its import name maps it (setup.py: onto components/)
    source = Path(importlib.util.find_spec(module).origin)
    assert source.is_relative_to(ROOT / "components")
    assert re.findall(rf'^{name} = "([^"]+)"$', source.read_text(), flags=re.M) == [__version__]
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_the_changelog_opens_with_unreleased_then_the_current_version():
    headings = re.findall(r"^## (.+)$", CHANGELOG, flags=re.M)
    assert headings[0] == "[Unreleased]"
    assert released(CHANGELOG)[0] == __version__
    assert "docs/VERSIONING.md" in CHANGELOG and (ROOT / "docs" / "VERSIONING.md").exists()


def test_released_checks_the_heading_it_reads():
    # a bumped version without its changelog section, or a section without a date, is not read
    assert released("## [Unreleased]\n## [0.3.0]\n## [0.2.0] - 2026-12-01\n") == ["0.2.0"]


def test_the_plans_first_line_names_the_version(plan):
    from tools.plan import render_summary

    first = render_summary(plan("dev")).splitlines()[0]
    assert first.startswith("Offline plan of stack 'dev' (Pulumi.dev.yaml), ")
    assert f"accessweaver-components {__version__}: " in first
