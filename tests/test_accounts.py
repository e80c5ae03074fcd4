"""One AWS account per environment: `aws:allowedAccountIds` in every stack file.

GIVEN a stack file, WHEN the program loads it, THEN `aws:allowedAccountIds` is a list of 12-digit
account ids (the AWS provider then refuses credentials of any other account), it is required in
staging and prod, and the ALB's certificate is of one of those accounts; every problem is
reported at once, before any resource is registered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accessweaver_components.stack import ConfigError, settings_from_mapping
from accessweaver_components.stack.loader import allowed_account_issues
from tests.conftest import ROOT
from tools.engine import run_program
from tools.stack_file import read_stack_config

NAMESPACE = "accessweaver"


def committed(stack: str) -> tuple[dict, str | None]:
    """The stack file's project keys (decoded as the program sees them) and its account ids."""
    import json

    values = read_stack_config(ROOT, stack).values
    raw = {}
    for key, value in values.items():
        if key.startswith(f"{NAMESPACE}:"):
            try:
                raw[key.split(":", 1)[1]] = json.loads(value)
            except ValueError:
                raw[key.split(":", 1)[1]] = value
    return raw, values.get("aws:allowedAccountIds")


def load(stack: str, allowed, **changes):
    raw, _ = committed(stack)
    return settings_from_mapping(
        {**raw, **changes},
        namespace=NAMESPACE,
        stack_file=f"Pulumi.{stack}.yaml",
        region="eu-west-1",
        account_id="123456789012",
        allowed_account_ids=allowed,
    )


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_committed_stacks_name_one_account_each(stack):
    raw, allowed = committed(stack)
    assert allowed_account_issues(allowed, raw) == []
    assert load(stack, allowed).environment == stack


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_refuse_to_run_without_their_account(stack):
    with pytest.raises(ConfigError) as caught:
        load(stack, None)
    text = str(caught.value)
    assert text.startswith(f"Pulumi.{stack}.yaml: invalid stack configuration (1 problem)")
    assert "(aws:allowedAccountIds) = (missing)" in text
    assert "12-digit AWS account ids" in text


def test_dev_may_leave_its_account_open():
    assert load("dev", None).environment == "dev"


def test_malformed_account_ids_and_a_certificate_of_another_account_are_all_reported():
    # the id list itself is wrong: each bad entry is named, with the other problems of the file
    with pytest.raises(ConfigError) as caught:
        load("staging", '["22222222222", 222222222222]', imageTag="")
    paths = {issue.path for issue in caught.value.issues}
    assert {"(aws:allowedAccountIds)[0]", "(aws:allowedAccountIds)[1]", "imageTag"} <= paths
    # a well-formed list that does not hold the certificate's account
    with pytest.raises(ConfigError) as caught:
        load("staging", '["333333333333"]')
    (issue,) = caught.value.issues
    assert issue.path == "edge.certificateArn"
    assert "of account 222222222222" in issue.problem and "333333333333" in issue.allowed
    for value in ('"222222222222"', "[]", "not json"):
        with pytest.raises(ConfigError) as caught:
            load("staging", value)
        assert [i.path for i in caught.value.issues] == ["(aws:allowedAccountIds)"], value


def test_the_program_reads_the_guard_from_the_stack_file_before_registering_anything(
    tmp_path: Path,
):
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    without = "\n".join(
        line for line in text.splitlines() if not line.startswith("  aws:allowedAccountIds:")
    )
    broken = tmp_path / "Pulumi.prod.yaml"
    broken.write_text(without)
    with pytest.raises(ConfigError) as caught:
        run_program(ROOT, "prod", broken)
    assert "(aws:allowedAccountIds) = (missing)" in str(caught.value)


def test_bad_promotion_settings_are_named_with_what_is_allowed():
    _, allowed = committed("staging")
    with pytest.raises(ConfigError) as caught:
        load(
            "staging", allowed, registry={"pullAccountIds": ["2222"], "promoteFrom": "docker.io/x"}
        )
    found = {issue.path: issue.allowed for issue in caught.value.issues}
    assert set(found) == {"registry.pullAccountIds[0]", "registry.promoteFrom"}
    assert "12 digits" in found["registry.pullAccountIds[0]"]
    assert "<account>.dkr.ecr.<region>.amazonaws.com/<prefix>" in found["registry.promoteFrom"]
    # dev builds the images: a promotion source there is a mistake
    _, allowed = committed("dev")
    with pytest.raises(ConfigError) as caught:
        load(
            "dev",
            allowed,
            registry={"promoteFrom": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/x"},
        )
    assert [i.path for i in caught.value.issues] == ["registry.promoteFrom"]
