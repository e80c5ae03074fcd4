"""The README's reference tables list every config key and every stack output."""

from __future__ import annotations

import re

from components.stack.model import StackConfig
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def documented(section: str) -> set[str]:
    body = README.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z_:]+)` \|", body, flags=re.M))


def test_every_config_key_is_in_the_reference_table():
    keys = {field.alias for field in StackConfig.model_fields.values()}
    assert keys - documented("Configuration reference") == set()


def test_every_output_of_every_stack_is_in_the_outputs_table(plan):
    for stack in ("dev", "prod"):
        assert set(plan(stack).outputs) - documented("Outputs") == set()


def test_every_path_the_readme_names_exists_in_a_fresh_clone():
    """Files and folders the README points a reader to are in the repository (no ../shared)."""
    import re

    from tests.conftest import ROOT

    text = (ROOT / "README.md").read_text()
    assert "../shared" not in text
    tops = ("components/", "tools/", "tests/", "docs/", "scripts/", "examples/", "policy/",
            "package/", "images/", ".github/", "bootstrap/")  # fmt: skip
    named = {
        m.rstrip("/")
        for m in re.findall(r"`(\.?/?(?:[\w.-]+/)+[\w.-]*)`", text)
        if m.lstrip("./").startswith(tops) and "<" not in m
    }
    assert len(named) > 20
    missing = sorted(p for p in named if not (ROOT / p.lstrip("./")).exists())
    assert missing == []
