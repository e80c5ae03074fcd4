"""docs/CONFIGURATION.md is generated from the stack-config models and never stale.

No engine: the rows come from the models' fields, their JSON Schema and the per-environment
tables the program resolves with.
"""

from __future__ import annotations

import re

from accessweaver_components.stack.model import StackConfig
from tools.config_reference import (
    ENVIRONMENT_SOURCES,
    OUTPUT,
    SEED_VARIABLES,
    main,
    render,
    rows,
)


def test_the_committed_reference_is_what_the_models_generate():
    assert OUTPUT.read_text() == render(), "stale: run `python -m tools.config_reference --write`"


def test_the_check_fails_on_a_stale_reference(tmp_path, monkeypatch, capsys):
    import tools.config_reference as module

    stale = tmp_path / "CONFIGURATION.md"
    stale.write_text(render().replace("Prefix of every name", "Prefix of each name"))
    monkeypatch.setattr(module, "OUTPUT", stale)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    assert main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().out


def test_every_key_of_the_model_has_a_row_with_a_description():
    documented = {row.key: row for row in rows()}
    assert {f.alias for f in StackConfig.model_fields.values()} <= set(documented)
    assert [key for key, row in documented.items() if not row.description] == []


def test_a_key_whose_default_is_the_environments_shows_each_environments_value():
    """A description saying "unset = per environment" without the values beside it would be a
    hand-kept promise; every such key reads its values from the table the program uses."""
    per_env = re.compile(r"per env(ironment)?\b", re.I)
    missing = [
        row.key
        for row in rows()
        if per_env.search(row.description)
        and not row.key.endswith(".sizes")
        and " / " not in row.default
        and "every environment" not in row.default
        and "the stack's" not in row.default
    ]
    assert missing == []


def test_every_environment_source_names_a_key_of_the_model():
    keys = {row.key for row in rows()}
    assert set(ENVIRONMENT_SOURCES) - keys == set()


def test_the_seed_variables_are_keys_of_the_model():
    assert set(StackConfig.model_fields) >= SEED_VARIABLES
