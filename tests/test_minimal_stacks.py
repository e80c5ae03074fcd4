"""Defaults that pass: a stack file holding only what the program requires plans clean.

GIVEN a stack file per environment with the required keys only (`aws:region`,
`<project>:environment`, the permissions boundary, and in staging and prod
`aws:allowedAccountIds`), WHEN the offline plan runs it, THEN it exits 0 with no mandatory
violation and no waiver of its own: the departures of the program's defaults from the controls
are waived by the program itself (`components/stack/default_waivers.py`), each reported. Taking
out any one of those keys is refused (exit 2): they are the minimum.
"""

from __future__ import annotations

import pytest
import yaml

from tools.plan import main

ACCOUNT = "222222222222"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/accessweaver/{{env}}/accessweaver-{{env}}-boundary"


def minimal(env: str) -> dict[str, object]:
    config: dict[str, object] = {
        "aws:region": "eu-west-1",
        "accessweaver:environment": env,
        "accessweaver:permissionsBoundaryArn": BOUNDARY.format(env=env),
    }
    if env != "dev":
        config["aws:allowedAccountIds"] = [ACCOUNT]
    return config


def write(tmp_path, config) -> str:
    path = tmp_path / "Pulumi.minimal.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return str(path)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_a_minimal_stack_file_plans_with_exit_0_and_no_waiver(tmp_path, capsys, env):
    assert main([env, "--config-file", write(tmp_path, minimal(env))]) == 0
    text = capsys.readouterr().out
    assert ", 0 mandatory and" in text
    assert "policyWaivers" not in text  # nothing waived by the stack file
    if env != "dev":
        assert "waived (the program's defaults, components/stack/default_waivers.py)" in text


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ("dev", "accessweaver:permissionsBoundaryArn"),
        ("staging", "aws:allowedAccountIds"),
        ("prod", "aws:region"),
        ("prod", "accessweaver:environment"),
    ],
)
def test_each_key_of_the_minimal_file_is_required(tmp_path, capsys, env, key):
    config = {k: v for k, v in minimal(env).items() if k != key}
    assert main([env, "--config-file", write(tmp_path, config)]) == 2
    assert "invalid stack configuration" in capsys.readouterr().err
