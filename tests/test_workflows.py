"""Offline checks of the GitHub Actions workflows in .github/workflows/.

Every workflow is validated against SchemaStore's GitHub workflow schema as vendored by the
``check-jsonschema`` package (no network: the schema is read from the installed package and
any ``$ref`` that would need fetching fails the test), then the behaviours the project relies
on are asserted: PR previews over the three stacks, the dev -> staging -> prod promotion with
GitHub environments, requirements installed before every Pulumi step, and the drift check.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
STACKS = ("dev", "staging", "prod")
PULUMI_ACTION = "pulumi/actions"
INSTALL_REQUIREMENTS = re.compile(r"\bsource scripts/bootstrap\.sh\b")
PINNED = re.compile(r"^\s*(?:-\s*)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")

# Where check-jsonschema keeps its vendored copy of SchemaStore's github-workflow.json.
SCHEMA_PACKAGE = "check_jsonschema.builtin_schemas.vendor"
SCHEMA_NAME = "github-workflows.json"


def _no_remote_refs(uri: str):
    raise NoSuchResource(ref=uri)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_NAME).read_text(encoding="utf-8")
    return json.loads(text)


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft7Validator:
    Draft7Validator.check_schema(schema)
    # An empty registry whose retrieve always fails: resolving any non-local $ref errors out
    # instead of reaching the network.
    return Draft7Validator(schema, registry=Registry(retrieve=_no_remote_refs))


def load_workflow(path: Path) -> dict[str, Any]:
    """Parse a workflow like GitHub does as far as the top-level keys go.

    PyYAML implements YAML 1.1, where the bare key ``on`` is the boolean True.
    """
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path.name} is not a YAML mapping"
    if True in doc:
        assert "on" not in doc, f"{path.name} has both `on` and a boolean key"
        doc["on"] = doc.pop(True)
    return doc


def workflow(name: str) -> dict[str, Any]:
    return load_workflow(WORKFLOWS_DIR / name)


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    on = doc["on"]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def environment_name(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@", 1)[0] == action


def pulumi_steps(job: dict[str, Any], command: str | None = None) -> list[dict[str, Any]]:
    steps = [s for s in job.get("steps", []) if uses(s, PULUMI_ACTION)]
    if command is not None:
        steps = [s for s in steps if s.get("with", {}).get("command") == command]
    return steps


def is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def assert_valid(validator: Draft7Validator, doc: dict[str, Any], name: str) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, f"{name} violates the GitHub workflow schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
    )


# --- the schema itself ---------------------------------------------------------------------


def test_schema_is_the_vendored_draft7_github_workflow_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/schema")
    assert schema["$id"] == "https://json.schemastore.org/github-workflow.json"
    refs = re.findall(r'"\$ref":\s*"([^"]*)"', json.dumps(schema))
    assert refs, "expected the schema to use local $refs"
    assert all(ref.startswith("#") for ref in refs), "a $ref would need fetching"


def test_expected_workflows_exist() -> None:
    names = {p.name for p in WORKFLOW_FILES}
    assert {"preview.yml", "deploy.yml", "drift.yml"} <= names


# --- every workflow --------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_matches_schema(validator: Draft7Validator, path: Path) -> None:
    assert_valid(validator, load_workflow(path), path.name)


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_permissions_are_least_privilege(path: Path) -> None:
    doc = load_workflow(path)
    # nothing workflow-wide: each job names what it needs
    assert doc.get("permissions") == {}, path.name
    for job_id, job in doc["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{path.name}:{job_id} uses a permissions shorthand"
        assert perms.get("contents") == "read", f"{path.name}:{job_id}"
        if any(uses(s, "aws-actions/configure-aws-credentials") for s in job.get("steps", [])):
            assert perms.get("id-token") == "write", f"{path.name}:{job_id} needs OIDC"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_with_its_release_in_a_comment(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s*)?uses:", line)]
    assert lines
    for line in lines:
        assert PINNED.match(line), f"{path.name}: {line.strip()}"
    pulumi = [PINNED.match(line) for line in lines if "pulumi/actions@" in line]
    for match in pulumi:
        assert match is not None and line_version(path, match.group(2)).startswith("v7.")


def line_version(path: Path, sha: str) -> str:
    (line,) = {line for line in path.read_text().splitlines() if sha in line}
    return line.rsplit("# ", 1)[1].strip()


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_checkouts_do_not_keep_the_token_and_secrets_stay_in_environments(path: Path) -> None:
    doc = load_workflow(path)
    assert "env" not in doc or not re.search(r"secrets\.", json.dumps(doc["env"])), path.name
    for job_id, job in doc["jobs"].items():
        for step in job.get("steps", []):
            if uses(step, "actions/checkout"):
                assert step.get("with", {}).get("persist-credentials") is False, job_id
        if re.search(r"secrets\.(?!GITHUB_TOKEN)", json.dumps(job)):
            assert environment_name(job), f"{path.name}:{job_id} reads secrets outside an env"
        assert "concurrency" in job, f"{path.name}:{job_id}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_requirements_are_installed_before_every_pulumi_step(path: Path) -> None:
    # pulumi/actions installs only the CLI: the program and the policy pack need the
    # project's virtualenv (scripts/bootstrap.sh) earlier in the same job.
    for job_id, job in load_workflow(path)["jobs"].items():
        installed = False
        for index, step in enumerate(job.get("steps", [])):
            if INSTALL_REQUIREMENTS.search(str(step.get("run", ""))):
                installed = True
            if uses(step, PULUMI_ACTION):
                assert installed, f"{path.name}:{job_id} step {index} runs Pulumi first"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_pulumi_steps_get_the_access_token(path: Path) -> None:
    doc = load_workflow(path)
    for job_id, job in doc["jobs"].items():
        if not pulumi_steps(job):
            continue
        token = (
            doc.get("env", {}).get("PULUMI_ACCESS_TOKEN")
            or job.get("env", {}).get("PULUMI_ACCESS_TOKEN")
            or all(s.get("env", {}).get("PULUMI_ACCESS_TOKEN") for s in pulumi_steps(job))
        )
        assert token == "${{ secrets.PULUMI_ACCESS_TOKEN }}", f"{path.name}:{job_id}"


# --- preview.yml ---------------------------------------------------------------------------


def test_preview_runs_on_pull_requests_over_the_three_stacks() -> None:
    doc = workflow("preview.yml")
    assert "pull_request" in triggers(doc)
    [job] = doc["jobs"].values()
    stacks = job["strategy"]["matrix"]["stack"]
    assert sorted(stacks) == sorted(STACKS) and len(stacks) == len(STACKS)
    assert job["permissions"]["pull-requests"] == "write"
    assert job["permissions"]["id-token"] == "write"

    [step] = pulumi_steps(job, "preview")
    args = step["with"]
    assert step["uses"].startswith("pulumi/actions@")
    assert args["stack-name"] == "${{ matrix.stack }}"
    assert is_true(args["comment-on-pr"])
    assert args["policyPacks"] == "policy"
    # never for pull requests from forks (no secrets, no OIDC token there)
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert environment_name(job) == "preview-${{ matrix.stack }}"


def test_preview_runs_tests_and_assumes_an_aws_role_first() -> None:
    [job] = workflow("preview.yml")["jobs"].values()
    steps = job["steps"]
    pulumi_at = steps.index(pulumi_steps(job, "preview")[0])
    before = steps[:pulumi_at]
    assert any(str(s.get("run", "")).strip() == "./scripts/test" for s in before)
    [aws] = [s for s in before if uses(s, "aws-actions/configure-aws-credentials")]
    # the read-only role alone: no fallback to the deploy role
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    guard = next(s for s in before if s.get("if") == "vars.AWS_PREVIEW_ROLE_ARN == ''")
    assert "exit 1" in guard["run"]
    python = [s for s in before if uses(s, "actions/setup-python")]
    assert python and str(python[0]["with"]["python-version"]) == "3.11"


# --- deploy.yml ----------------------------------------------------------------------------


def test_deploy_runs_on_push_to_main() -> None:
    on = triggers(workflow("deploy.yml"))
    assert "main" in on["push"]["branches"]


def test_deploy_promotes_dev_then_staging_then_prod() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    previous = "images"
    for stack in STACKS:
        job = jobs[f"deploy-{stack}"]
        assert needs(job) == [previous], f"deploy-{stack} must wait for {previous} only"
        assert environment_name(job) == stack
        previous = f"deploy-{stack}"


def test_deploy_sets_the_image_tag_then_runs_up_with_the_policy_pack() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    for stack in STACKS:
        job = jobs[f"deploy-{stack}"]
        steps = job["steps"]
        [up] = pulumi_steps(job, "up")
        assert up["with"]["stack-name"] == stack
        assert up["with"]["policyPacks"] == "policy"
        set_tag = f'pulumi config set imageTag "$GITHUB_SHA" --stack {stack}'
        tag_at = next(i for i, s in enumerate(steps) if set_tag in str(s.get("run", "")))
        assert tag_at < steps.index(up)
        assert job["permissions"]["id-token"] == "write"


def test_deploys_of_one_stack_never_overlap() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    groups = []
    for stack in STACKS:
        concurrency = jobs[f"deploy-{stack}"]["concurrency"]
        assert stack in concurrency["group"]
        assert concurrency.get("cancel-in-progress") is False
        groups.append(concurrency["group"])
    assert len(set(groups)) == len(STACKS)


def test_images_are_pushed_with_the_commit_sha_from_the_stack_outputs() -> None:
    job = workflow("deploy.yml")["jobs"]["images"]
    scripts = "\n".join(str(s.get("run", "")) for s in job["steps"])
    assert "pulumi stack output cicd_deployment_config --json --stack dev" in scripts
    assert "services/$name" in scripts
    push = next(s for s in job["steps"] if "--push" in str(s.get("run", "")))
    assert push["env"]["IMAGE_TAG"] == "${{ github.sha }}"
    # built for the tasks' architecture, read from the same output
    assert 'platform="$(jq -r \'.image_platform\' "$config")"' in push["run"]
    assert 'docker buildx build --platform "$platform"' in push["run"]
    assert any(uses(s, "docker/setup-qemu-action") for s in job["steps"])
    assert any(uses(s, "aws-actions/amazon-ecr-login") for s in job["steps"])


# --- drift.yml -----------------------------------------------------------------------------


def test_drift_runs_daily_and_on_demand_over_the_three_stacks() -> None:
    doc = workflow("drift.yml")
    on = triggers(doc)
    assert "workflow_dispatch" in on
    [cron] = [entry["cron"] for entry in on["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month, weekday) == ("*", "*", "*") and hour.isdigit() and minute.isdigit()
    [job] = doc["jobs"].values()
    assert sorted(job["strategy"]["matrix"]["stack"]) == sorted(STACKS)


def test_drift_runs_in_its_own_environment_with_the_drift_role() -> None:
    """A refresh reads secret values back, which the pull requests' preview role may not."""
    [job] = workflow("drift.yml")["jobs"].values()
    assert environment_name(job) == "drift-${{ matrix.stack }}"
    [aws] = [s for s in job["steps"] if uses(s, "aws-actions/configure-aws-credentials")]
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_DRIFT_ROLE_ARN }}"
    guard = next(s for s in job["steps"] if s.get("if") == "vars.AWS_DRIFT_ROLE_ARN == ''")
    assert "exit 1" in guard["run"]


def test_drift_fails_on_changes_after_a_refresh() -> None:
    [job] = workflow("drift.yml")["jobs"].values()
    [step] = pulumi_steps(job, "preview")
    args = step["with"]
    assert args["stack-name"] == "${{ matrix.stack }}"
    assert is_true(args["expect-no-changes"])
    assert is_true(args["refresh"])
    assert not is_true(step.get("continue-on-error", False))
    assert not is_true(job.get("continue-on-error", False))


# --- the validator rejects what GitHub would reject ------------------------------------------


def test_validator_rejects_a_job_without_runs_on(validator: Draft7Validator) -> None:
    broken = {"on": {"pull_request": None}, "jobs": {"preview": {"name": "no runner, no steps"}}}
    with pytest.raises(ValidationError):
        validator.validate(broken)


def test_validator_rejects_a_workflow_whose_on_key_was_read_as_a_boolean(
    validator: Draft7Validator,
) -> None:
    # What yaml.safe_load returns for `on:` when nobody maps True back to "on".
    raw = yaml.safe_load("on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n")
    assert True in raw
    assert list(validator.iter_errors(raw))


def test_staging_and_prod_promote_images_into_their_own_repositories_before_up():
    jobs = workflow("deploy.yml")["jobs"]
    for stack in ("staging", "prod"):
        steps = jobs[f"deploy-{stack}"]["steps"]
        names = [step.get("name", "") for step in steps]
        promote = names.index(f"Promote the commit's images into the {stack} repositories")
        up = next(i for i, step in enumerate(steps) if step.get("with", {}).get("command") == "up")
        assert promote < up
        run = steps[promote]["run"]
        assert ".promote_from" in run and "imagetools create" in run
        # a digest built for another architecture is refused before it is copied
        assert run.index('grep -qx "$wanted"') < run.index("imagetools create")
        # the job reads only its own stack's state (its deploy role may read no other) ...
        outputs = [
            line for step in steps for line in step.get("run", "").splitlines()
            if "pulumi stack output" in line
        ]  # fmt: skip
        assert outputs and all(f"--stack {stack}" in line for line in outputs)
        # ... and logs in to its registry and the one it promotes from
        (login,) = [step for step in steps if "amazon-ecr-login" in step.get("uses", "")]
        assert login["with"]["registries"] == "${{ steps.source.outputs.registries }}"


def _promote(plan, tmp_path: Path, stack: str, architecture: str) -> tuple[int, str, list[str]]:
    """Run the deploy job's promote script against the stack's offline outputs, with a stand-in
    `docker` that records its calls and serves images built for `architecture`."""
    steps = workflow("deploy.yml")["jobs"][f"deploy-{stack}"]["steps"]
    (step,) = [s for s in steps if s.get("name", "").startswith("Promote the commit's images")]
    (tmp_path / "target.json").write_text(json.dumps(plan(stack).outputs["cicd_deployment_config"]))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'echo "$*" >> "$DOCKER_LOG"\n'
        'case "$1 $2" in\n'
        '  "manifest inspect") exit 1 ;;\n'
        '  "buildx imagetools") [ "$3" = inspect ] && echo "$IMAGE_CONFIG" ;;\n'
        "esac\n"
        "exit 0\n"
    )  # fmt: skip
    fake.chmod(0o755)
    log = tmp_path / "docker.log"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "RUNNER_TEMP": str(tmp_path),
        "IMAGE_TAG": "0123abc",
        "DOCKER_LOG": str(log),
        "IMAGE_CONFIG": json.dumps({"architecture": architecture, "os": "linux"}),
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, done.stdout + done.stderr, calls


@pytest.mark.skipif(shutil.which("jq") is None, reason="the promote script needs jq")
def test_the_promote_script_copies_each_image_from_the_previous_account(plan, tmp_path):
    code, output, calls = _promote(plan, tmp_path, "prod", "arm64")
    assert code == 0, output
    config = plan("prod").outputs["cicd_deployment_config"]
    creates = [c for c in calls if c.startswith("buildx imagetools create")]
    expected = []
    for service in config["services"].values():
        tag = "0123abc" if service["follows_image_tag"] else service["image"].rsplit(":", 1)[1]
        expected.append(
            "buildx imagetools create --prefer-index=false "
            f"--tag {service['image_repository']}:{tag} {service['promote_from']}:{tag}"
        )
    assert sorted(creates) == sorted(expected)
    assert all(c.split()[-1].startswith("222222222222.dkr.ecr.") for c in creates)


@pytest.mark.skipif(shutil.which("jq") is None, reason="the promote script needs jq")
def test_the_promote_script_refuses_an_image_of_another_architecture(plan, tmp_path):
    code, output, calls = _promote(plan, tmp_path, "staging", "amd64")
    assert code == 1
    assert "::error::" in output and "linux/arm64" in output
    assert not [c for c in calls if c.startswith("buildx imagetools create")]


def test_the_committed_stacks_share_the_architecture_their_promoted_images_are_built_for(plan):
    platforms = {plan(s).outputs["cicd_deployment_config"]["image_platform"] for s in STACKS}
    assert platforms == {"linux/arm64"}


def test_pinned_images_are_built_from_this_repository():
    run = next(
        step["run"]
        for step in workflow("deploy.yml")["jobs"]["images"]["steps"]
        if step.get("name") == "Build and push the service images"
    )
    assert "follows_image_tag" in run and 'context="images/$name"' in run


# --- zizmor -----------------------------------------------------------------------------------


def _zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    """zizmor's offline audits at its strictest persona, everything above informational."""
    binary = Path(sys.executable).parent / "zizmor"
    return subprocess.run(
        [str(binary), "--offline", "--no-progress", "--persona", "pedantic",
         "--min-severity", "low", "--format", "plain", str(directory)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_zizmor_reports_nothing_above_informational_on_the_workflows() -> None:
    result = _zizmor(REPO_ROOT / ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_catches_a_tag_pinned_action_and_a_kept_token(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    text = (WORKFLOWS_DIR / "drift.yml").read_text()
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # v[\d.]+", "actions/checkout@v4", text)
    text = re.sub(r"\n\s+with:\n\s+persist-credentials: false", "", text)
    (broken / "drift.yml").write_text(text)
    result = _zizmor(tmp_path / ".github")
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout and "artipacked" in result.stdout


def test_dependabot_keeps_the_pinned_actions_and_the_requirements_current() -> None:
    config = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip"}
    for update in ecosystems.values():
        assert update["directory"] == "/" and update["cooldown"]["default-days"] >= 7
