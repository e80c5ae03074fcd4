"""One owner for what runs: the release record the deploy writes is what every preview, drift
check and `pulumi up` plans, and only a deploy or a rollback moves it.

GIVEN the record in Parameter Store (moto, the AWS emulator the ops tests use) and the stack
file, WHEN CI deploys commit X, a pull request previews, the daily drift check runs and someone
runs `pulumi up` from a laptop, THEN every one of them plans X's digests; a rollback writes an
earlier release that the next `pulumi up` keeps.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from accessweaver_components.stack import ConfigError
from accessweaver_components.stack.loader import parse_raw_value, settings_from_mapping
from accessweaver_components.stack.release import UNRELEASED_TAG, release_parameter
from tests.conftest import ROOT, container_definitions
from tools import release as tool
from tools.engine import read_stack_config

REGION = "eu-west-1"
PARAMETER = release_parameter("accessweaver", "dev")
X, Y = "a" * 40, "b" * 40


def _raw(stack: str, **changes: Any) -> dict[str, Any]:
    values = read_stack_config(ROOT, stack).values
    raw = {
        key.split(":", 1)[1]: parse_raw_value(key.split(":", 1)[1], value)
        for key, value in values.items()
        if key.startswith("accessweaver:")
    }
    return {**raw, **changes}


def settings(stack: str, record: str | None, **changes: Any):
    """The stack's settings as a run that read `record` from Parameter Store resolves them."""
    return settings_from_mapping(
        _raw(stack, **changes),
        namespace="accessweaver",
        stack_file=f"Pulumi.{stack}.yaml",
        region=REGION,
        account_id="123456789012",
        release=(release_parameter("accessweaver", stack), record),
    )


def images(resolved) -> dict[str, str]:
    """Every image the stack runs: its services' and its tasks' (the health probe's, the
    platform setup's; the weekly rotation runs the setup's, checked to be the same)."""
    found = {w.name: w.image for w in [*resolved.services, *resolved.tasks]}
    rotate = found.pop("platform-rotate", None)
    assert rotate in (None, found.get("platform-setup"))
    return found


def built(commit: str, cicd: dict[str, Any]) -> dict[str, dict[str, str]]:
    """What the images job hands to `tools.release record`: one digest per built image."""
    return {
        name: {"tag": spec["pinned_tag"] or commit, "digest": tool.digest_of(f"{name}{commit}")}
        for name, spec in cicd["images"].items()
    }


@pytest.fixture
def ssm():
    with mock_aws():
        yield boto3.client("ssm", REGION)


@pytest.fixture
def cli(ssm, plan, tmp_path):
    """`cli("record", ...)`: the release CLI against moto, with dev's offline outputs."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(plan("dev").outputs))
    ups: list[str] = []
    out = io.StringIO()
    runtime = tool.Runtime(
        ssm_client=lambda region: ssm, pulumi_up=lambda stack: ups.append(stack) or 0, out=out
    )

    def run(*argv: str) -> int:
        return tool.main([*argv, "--stack", "dev", "--outputs-file", str(outputs)], runtime)

    run.ups = ups  # type: ignore[attr-defined]
    run.out = out  # type: ignore[attr-defined]
    return run


def current(ssm) -> str:
    return ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"]


def record(cli, plan, tmp_path: Path, commit: str) -> int:
    path = tmp_path / f"{commit[:7]}.json"
    path.write_text(json.dumps(built(commit, plan("dev").outputs["cicd_deployment_config"])))
    return cli("record", "--commit", commit, "--images", str(path))


def test_deploy_preview_drift_and_laptop_up_all_plan_the_recorded_digests(cli, ssm, plan, tmp_path):
    # WHEN CI deploys commit X: its images are recorded before `pulumi up`
    assert record(cli, plan, tmp_path, X) == 0
    text = current(ssm)
    deployed = images(settings("dev", text))
    expected = built(X, plan("dev").outputs["cicd_deployment_config"])
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver-dev"
    assert deployed == {name: f"{registry}/{name}@{i['digest']}" for name, i in expected.items()}
    # THEN a pull request changing something else previews no image change ...
    assert images(settings("dev", text, logRetentionDays=14)) == deployed
    # ... nor does the next day's drift check or a laptop `pulumi up`: they read the same record
    assert images(settings("dev", current(ssm))) == deployed


def test_a_rollback_writes_the_earlier_release_and_the_next_up_keeps_it(cli, ssm, plan, tmp_path):
    record(cli, plan, tmp_path, X)
    at_x = images(settings("dev", current(ssm)))
    record(cli, plan, tmp_path, Y)
    assert images(settings("dev", current(ssm))) != at_x
    # WHEN the operator rolls back (one command: it writes the record, then `pulumi up`)
    assert cli("rollback") == 0
    assert cli.ups == ["dev"]
    # THEN the stack runs X again, and any later `pulumi up` reads X too
    rolled_back = json.loads(current(ssm))
    assert (rolled_back["commit"], rolled_back["rolledBackFrom"]) == (X, Y)
    assert images(settings("dev", current(ssm))) == at_x
    # and the history says what happened
    assert cli("history") == 0
    lines = cli.out.getvalue().splitlines()
    assert [line.split()[1] for line in lines[-3:]] == [X[:12], Y[:12], X[:12]]
    assert "rollback from bbbbbbbbbbbb" in lines[-1]


def test_a_rollback_to_a_named_commit_and_to_an_unknown_one(cli, ssm, plan, tmp_path):
    for commit in (X, Y, "c" * 40):
        record(cli, plan, tmp_path, commit)
    assert cli("rollback", "--to", X[:8], "--no-up") == 0
    assert json.loads(current(ssm))["commit"] == X and cli.ups == []
    assert cli("rollback", "--to", "d" * 8, "--no-up") == tool.EXIT_USAGE


def test_a_record_missing_an_image_the_stack_builds_is_refused(cli, ssm, plan, tmp_path):
    images_file = tmp_path / "partial.json"
    partial = built(X, plan("dev").outputs["cicd_deployment_config"])
    del partial["keycloak"]
    images_file.write_text(json.dumps(partial))
    assert cli("record", "--commit", X, "--images", str(images_file)) == tool.EXIT_USAGE
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name=PARAMETER)


def test_a_record_with_keycloaks_wrong_tag_is_refused(plan):
    cicd = plan("dev").outputs["cicd_deployment_config"]
    images_ = built(X, cicd) | {"keycloak": {"tag": X, "digest": tool.digest_of("k")}}
    assert tool.check_images(images_, cicd, X) == [
        f"keycloak: tag {X!r}, the stack expects '26.7.0'"
    ]


def test_a_stack_never_released_runs_no_task_of_its_own_images(run_stack):
    result = run_stack("dev", release=None)
    services = {r.name: r.inputs for r in result.of_type("aws:ecs/service:Service")}
    assert {inputs["desiredCount"] for inputs in services.values()} == {0}
    targets = result.of_type("aws:appautoscaling/target:Target")
    assert {t.inputs["minCapacity"] for t in targets} == {0}
    tags = {
        container_definitions(task)[0]["image"].rsplit(":", 1)[1]
        for task in result.of_type("aws:ecs/taskDefinition:TaskDefinition")
        if "health-probe" not in task.name
    }
    assert tags == {UNRELEASED_TAG, "26.7.0"}  # Keycloak: its version tag, no task either
    assert result.outputs["release"]["commit"] is None
    # six services, the probe and the platform setup (whose image the rotation runs too)
    assert len(result.outputs["release"]["unreleased"]) == 8


def test_the_planned_task_definitions_run_the_records_digests(plan):
    result = plan("prod")
    recorded = result.outputs["release"]["images"]
    for task in result.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        name = task.name.removesuffix("-task").replace("platform-rotate", "platform-setup")
        assert container_definitions(task)[0]["image"] == recorded[name]
        assert "@sha256:" in recorded[name]


def test_no_committed_stack_file_pins_an_image_tag():
    for path in [*ROOT.glob("Pulumi.*.yaml"), *(ROOT / "examples").glob("*/Pulumi.*.yaml")]:
        assert ":imageTag:" not in path.read_text(), path


def test_latest_is_refused_with_the_stacks_immutable_repositories():
    with pytest.raises(ConfigError) as raised:
        settings("dev", None, imageTag="latest")
    (issue,) = raised.value.issues
    assert issue.path == "imageTag" and "never `latest`" in issue.problem


def test_a_malformed_record_is_refused_naming_the_parameter():
    with pytest.raises(ConfigError) as raised:
        settings("dev", json.dumps({"commit": X, "images": {"aw-pdp-service": {"tag": X}}}))
    text = str(raised.value)
    assert f"(release record {PARAMETER}).images.aw-pdp-service.digest" in text
    with pytest.raises(ConfigError, match="not a JSON release record"):
        settings("dev", "{")


# -- publishing by digest (a stand-in `skopeo` over a folder as the registries) ---------------

FAKE_SKOPEO = r"""#!/usr/bin/env bash
# A registry in a folder: one file per tag reference, holding its digest.
key() { printf '%s' "$1" | tr '/:@' '___'; }
echo "$*" >> "$REGISTRY/calls.log"
case "$1" in
  inspect)
    format="$3"; ref="${4#docker://}"
    if [ "$format" = "{{.Os}}/{{.Architecture}}" ]; then echo "$PLATFORM"; exit 0; fi
    case "$ref" in
      *@sha256:*) echo "${ref#*@}" ;;
      *) [ -f "$REGISTRY/$(key "$ref")" ] || exit 1; cat "$REGISTRY/$(key "$ref")" ;;
    esac ;;
  copy)
    source="$3"; target="${4#docker://}"
    case "$source" in
      oci-archive:*) digest="$(cat "${source#oci-archive:}")" ;;
      docker://*@*) digest="${source#*@}" ;;
      *) echo "copy by tag refused by this test" >&2; exit 9 ;;
    esac
    [ -n "$REENCODE" ] && digest="sha256:$(printf '%064d' 0)"
    echo "$digest" > "$REGISTRY/$(key "$target")" ;;
esac
"""


@pytest.fixture
def registry(tmp_path, monkeypatch):
    folder = tmp_path / "registry"
    folder.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "skopeo").write_text(FAKE_SKOPEO)
    (bin_dir / "skopeo").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("REGISTRY", str(folder))
    monkeypatch.setenv("PLATFORM", "linux/arm64")
    monkeypatch.delenv("REENCODE", raising=False)
    return folder


def _calls(registry: Path) -> list[str]:
    log = registry / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_dev_pushes_the_build_jobs_archives_and_keeps_their_digests(plan, registry, tmp_path):
    cicd = plan("dev").outputs["cicd_deployment_config"]
    images = built(X, cicd)
    archives = tmp_path / "archives"
    archives.mkdir()
    for name, image in images.items():
        (archives / f"{name}.tar").write_text(image["digest"])
    published = tool.publish(cicd, images, archives=archives, out=io.StringIO())
    assert published == images
    copies = [c for c in _calls(registry) if c.startswith("copy")]
    assert len(copies) == len(images)
    assert all(c.startswith("copy --preserve-digests oci-archive:") for c in copies)


def test_staging_copies_each_image_by_digest_from_devs_repositories(plan, registry):
    cicd = plan("staging").outputs["cicd_deployment_config"]
    release = built(X, cicd)
    published = tool.publish(cicd, release, archives=None, out=io.StringIO())
    assert published == release
    copies = [c.split() for c in _calls(registry) if c.startswith("copy")]
    for name, image in release.items():
        source = f"docker://{cicd['images'][name]['promote_from']}@{image['digest']}"
        target = f"docker://{cicd['images'][name]['repository']}:{image['tag']}"
        assert ["copy", "--preserve-digests", source, target] in copies
    # never by tag: every source names a digest, and dev's repositories are another account's
    assert all("@sha256:" in c[2] and "111111111111.dkr.ecr." in c[2] for c in copies)


def test_a_copy_whose_digest_changed_fails_the_job(plan, registry, monkeypatch):
    monkeypatch.setenv("REENCODE", "1")
    cicd = plan("prod").outputs["cicd_deployment_config"]
    with pytest.raises(tool.ReleaseError, match="not the digest the build made"):
        tool.publish(cicd, built(X, cicd), archives=None, out=io.StringIO())


def test_a_tag_already_holding_another_digest_is_refused(plan, registry):
    cicd = plan("prod").outputs["cicd_deployment_config"]
    release = built(X, cicd)
    name = "aw-pdp-service"
    target = f"{cicd['images'][name]['repository']}:{X}"
    (registry / target.replace("/", "_").replace(":", "_")).write_text(tool.digest_of("other"))
    with pytest.raises(tool.ReleaseError, match="pushed outside the pipeline"):
        tool.publish(cicd, release, archives=None, out=io.StringIO())


def test_an_image_built_for_another_architecture_is_not_promoted(plan, registry, monkeypatch):
    monkeypatch.setenv("PLATFORM", "linux/amd64")
    cicd = plan("prod").outputs["cicd_deployment_config"]
    with pytest.raises(tool.ReleaseError, match="built for linux/amd64"):
        tool.publish(cicd, built(X, cicd), archives=None, out=io.StringIO())
    assert not [c for c in _calls(registry) if c.startswith("copy")]


def test_a_record_says_which_tags_its_up_replaces(cli, ssm, plan, tmp_path):
    # The record is written before `pulumi up`: `replaces` is how that `up` knows what ran
    # (Keycloak recreates on a version change, tests/test_keycloak_updates.py).
    record(cli, plan, tmp_path, X)
    assert "replaces" not in json.loads(current(ssm))  # the first release replaces nothing
    record(cli, plan, tmp_path, Y)
    at_y = json.loads(current(ssm))
    assert at_y["replaces"]["aw-pdp-service"] == X and at_y["replaces"]["keycloak"] == "26.7.0"
    # a retried deploy of Y still knows it replaces X (the first attempt's `up` may have failed)
    record(cli, plan, tmp_path, Y)
    assert json.loads(current(ssm))["replaces"] == at_y["replaces"]
    # a rollback replaces Y
    assert cli("rollback", "--no-up") == 0
    assert json.loads(current(ssm))["replaces"]["aw-pdp-service"] == Y
