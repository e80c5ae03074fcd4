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


def assert_daily_and_on_demand(doc: dict[str, Any]) -> None:
    """The workflow `doc` runs on demand and on one schedule: every day at a fixed hour and
    minute."""
    on = triggers(doc)
    assert "workflow_dispatch" in on
    [cron] = [entry["cron"] for entry in on["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month, weekday) == ("*", "*", "*") and hour.isdigit() and minute.isdigit()


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
    lines = [
        line
        for line in path.read_text().splitlines()
        if re.match(r"^\s*(-\s*)?uses:", line)
        # a reusable workflow of this repository runs at the caller's own commit
        and not re.match(r"^\s*uses: \./\.github/workflows/[\w-]+\.yml\b", line)
    ]
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
        # A job calling a reusable workflow is serialised by the called job's own group.
        assert "concurrency" in job or "uses" in job, f"{path.name}:{job_id}"


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


APPROVAL_LABEL = "approve-destructive-change"
WRITE_SCOPES = ("contents", "pull-requests", "issues", "actions", "checks", "statuses")


def preview_job() -> dict[str, Any]:
    return workflow("preview.yml")["jobs"]["preview"]


def step_named(job: dict[str, Any], prefix: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if str(s.get("name", "")).startswith(prefix)]
    return step


def test_preview_runs_on_pull_requests_over_the_three_stacks() -> None:
    doc = workflow("preview.yml")
    # A push, and adding or removing the approval label, preview again.
    assert set(triggers(doc)["pull_request"]["types"]) >= {
        "opened", "synchronize", "reopened", "labeled", "unlabeled"
    }  # fmt: skip
    job = preview_job()
    stacks = job["strategy"]["matrix"]["stack"]
    assert sorted(stacks) == sorted(STACKS) and len(stacks) == len(STACKS)
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "read"}
    # The CLI preview with --json (pulumi/actions only installs the CLI), with the policy pack.
    [install] = pulumi_steps(job)
    assert "with" not in install or "command" not in install["with"]
    preview = step_named(job, "Pulumi preview")
    assert 'pulumi preview --json --policy-pack policy --stack "$STACK"' in preview["run"]
    assert preview["env"]["STACK"] == "${{ matrix.stack }}"
    # never for pull requests from forks (no secrets, no OIDC token there)
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert environment_name(job) == "preview-${{ matrix.stack }}"


def test_preview_runs_tests_and_assumes_an_aws_role_first() -> None:
    job = preview_job()
    steps = job["steps"]
    before = steps[: steps.index(step_named(job, "Pulumi preview"))]
    assert any(str(s.get("run", "")).strip() == "./scripts/test" for s in before)
    [aws] = [s for s in before if uses(s, "aws-actions/configure-aws-credentials")]
    # the read-only role alone: no fallback to the deploy role
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    guard = next(s for s in before if s.get("if") == "vars.AWS_PREVIEW_ROLE_ARN == ''")
    assert "exit 1" in guard["run"]
    python = [s for s in before if uses(s, "actions/setup-python")]
    assert python and str(python[0]["with"]["python-version"]) == "3.11"


def _runs_repository_code(job: dict[str, Any]) -> bool:
    return any(uses(s, "actions/checkout") for s in job.get("steps", []))


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_no_pull_request_job_both_runs_its_code_and_may_write(path: Path) -> None:
    """A job that checks out a pull request runs its code (tests, the program): it may read
    the repository and the pull request, never write to them."""
    doc = load_workflow(path)
    if "pull_request" not in triggers(doc) and "pull_request_target" not in triggers(doc):
        return
    for job_id, job in doc["jobs"].items():
        writes = [k for k in WRITE_SCOPES if job.get("permissions", {}).get(k) == "write"]
        assert not (writes and _runs_repository_code(job)), f"{path.name}:{job_id}: {writes}"


def test_the_approval_is_reset_by_a_push_before_any_preview_reads_it() -> None:
    jobs = workflow("preview.yml")["jobs"]
    reset = jobs["reset-approval"]
    assert "github.event.action == 'synchronize'" in reset["if"]
    assert reset["permissions"]["pull-requests"] == "write" and not _runs_repository_code(reset)
    assert reset["steps"][0]["env"]["LABEL"] == APPROVAL_LABEL
    job = preview_job()
    assert needs(job) == ["reset-approval"]
    # A failed reset stops the previews: a stale label must never be read.
    assert "needs.reset-approval.result == 'success'" in job["if"]
    assert "needs.reset-approval.result == 'skipped'" in job["if"]
    # Other labels than the approval do not preview again.
    assert f"github.event.label.name == '{APPROVAL_LABEL}'" in job["if"]
    # The approval is read before the pull request's code is even checked out.
    steps = job["steps"]
    read = step_named(job, "Read the approval")
    checkout = next(s for s in steps if uses(s, "actions/checkout"))
    assert steps.index(read) < steps.index(checkout)


def test_the_guard_decides_after_the_preview_and_a_job_without_pr_code_comments() -> None:
    job = preview_job()
    steps = job["steps"]
    preview, guard = step_named(job, "Pulumi preview"), step_named(job, "Destructive-change guard")
    upload = next(s for s in steps if uses(s, "actions/upload-artifact"))
    assert steps.index(preview) < steps.index(guard) < steps.index(upload)
    # The guard also runs when the preview failed (a policy violation), not when it never ran.
    assert guard["if"] == "${{ !cancelled() && steps.preview.outcome != 'skipped' }}"
    assert "python -m tools.preview_guard check" in guard["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in guard["run"] and 'exit "$status"' in guard["run"]
    comment = workflow("preview.yml")["jobs"]["comment"]
    assert needs(comment) == ["preview"] and not _runs_repository_code(comment)
    assert comment["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert [s.get("uses", "").split("@")[0] for s in comment["steps"] if "uses" in s] == [
        "actions/download-artifact"
    ]
    assert "gh pr comment" in comment["steps"][-1]["run"]


def _run_with_fake_gh(script: str, workdir: Path, answers: dict[str, Path]):
    """Run a workflow step's script with a stand-in `gh` that answers `gh api ...` from recorded
    files (the first pattern found in its arguments; `--jq` applied with jq) and logs its calls."""
    workdir.mkdir(parents=True, exist_ok=True)
    bin_dir = workdir / "bin"
    bin_dir.mkdir()
    cases = "\n".join(f'  *"{pattern}"*) out="{path}" ;;' for pattern, path in answers.items())
    fake = bin_dir / "gh"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'echo "$*" >> "$GH_LOG"\n'
        'filter=""; previous=""\n'
        'for arg in "$@"; do [ "$previous" = --jq ] && filter="$arg"; previous="$arg"; done\n'
        'case "$*" in\n' + cases + "\n  *) exit 1 ;;\nesac\n"
        'if [ -n "$filter" ]; then jq -r "$filter" "$out"; else cat "$out"; fi\n'
    )  # fmt: skip
    fake.chmod(0o755)
    log = workdir / "gh.log"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "RUNNER_TEMP": str(workdir), "GH_LOG": str(log),
           "REPO": "example-org/accessweaver", "PR": "42", "LABEL": APPROVAL_LABEL}  # fmt: skip
    done = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True)
    return done, (log.read_text().splitlines() if log.exists() else [])


GUARD_DATA = REPO_ROOT / "tests" / "preview_guard"


@pytest.mark.skipif(shutil.which("jq") is None, reason="the approval step needs jq")
@pytest.mark.parametrize(
    ("events", "approver"),
    [("events-relabeled.json", "maria-maintainer"), ("events-bot.json", "renovate[bot]"),
     ("labels-none.json", None)],
)  # fmt: skip
def test_the_approval_step_fetches_the_permission_of_the_last_labeler(
    tmp_path: Path, events: str, approver: str | None
) -> None:
    from tools.preview_guard import latest_labeler

    # `gh api --paginate --slurp` answers a list of pages.
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps([json.loads((GUARD_DATA / events).read_text())]))
    script = step_named(preview_job(), "Read the approval")["run"]
    done, calls = _run_with_fake_gh(script, tmp_path / "run", {
        "issues/42/labels": GUARD_DATA / "labels-approved.json",
        "issues/42/events": pages,
        "collaborators/maria-maintainer/permission": GUARD_DATA / "permission-maria.json",
    })  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert latest_labeler(json.loads(pages.read_text())) == approver  # the tool agrees
    lookups = [c for c in calls if c.endswith("/permission")]
    expected = f"api repos/example-org/accessweaver/collaborators/{approver}/permission"
    assert lookups == ([expected] if approver else [])
    permission = json.loads((tmp_path / "run" / "approval" / "permission.json").read_text())
    assert bool(permission) == (approver == "maria-maintainer")  # the bot has no record


@pytest.mark.skipif(shutil.which("jq") is None, reason="the stand-in gh applies --jq with jq")
@pytest.mark.parametrize(("labels", "deleted"), [("labels-approved.json", True),
                                                  ("labels-none.json", False)])  # fmt: skip
def test_the_reset_step_removes_the_approval_label(tmp_path: Path, labels: str, deleted: bool):
    script = workflow("preview.yml")["jobs"]["reset-approval"]["steps"][0]["run"]
    (tmp_path / "empty.json").write_text("")
    done, calls = _run_with_fake_gh(script, tmp_path / "run", {
        "--method DELETE": tmp_path / "empty.json",
        "issues/42/labels": GUARD_DATA / labels,
    })  # fmt: skip
    assert done.returncode == 0, done.stderr
    deletes = [c for c in calls if "DELETE" in c]
    label = f"api --method DELETE repos/example-org/accessweaver/issues/42/labels/{APPROVAL_LABEL}"
    assert deletes == ([label] if deleted else [])


# --- deploy.yml ----------------------------------------------------------------------------


def test_deploy_runs_on_push_to_main() -> None:
    on = triggers(workflow("deploy.yml"))
    assert "main" in on["push"]["branches"]


def test_deploy_releases_dev_then_staging_then_prod_through_one_reusable_job() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    previous = "build"
    for stack in STACKS:
        job = jobs[f"deploy-{stack}"]
        assert needs(job) == [previous], f"deploy-{stack} must wait for {previous} only"
        assert job["uses"].split(" #")[0] == "./.github/workflows/deploy-stack.yml"
        assert job["with"] == {"stack": stack}
        previous = f"deploy-{stack}"
    [release] = workflow("deploy-stack.yml")["jobs"].values()
    assert environment_name(release) == "${{ inputs.stack }}"
    assert release["permissions"]["id-token"] == "write"


def test_the_build_job_holds_no_cloud_credential() -> None:
    """Application Dockerfiles run here: no OIDC token, no role, no deploy environment."""
    build = workflow("deploy.yml")["jobs"]["build"]
    assert build["permissions"] == {"contents": "read"}
    assert environment_name(build) == "build"
    assert not any(uses(s, "aws-actions/configure-aws-credentials") for s in build["steps"])
    assert "vars.AWS_" not in json.dumps(build)


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("name", "").startswith(name))


def test_the_application_source_is_built_only_at_a_pinned_commit() -> None:
    step = _step(workflow("deploy.yml")["jobs"]["build"], "Require a pinned application commit")
    for ref, code in (("main", 1), ("v1.2.0", 1), ("a" * 40, 0)):
        env = {"PATH": "/usr/bin:/bin", "APP_REPOSITORY": "acme/app", "APP_REF": ref}
        done = subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True)
        assert done.returncode == code, ref


def _run_build(
    cicd: dict[str, Any], tmp_path: Path, folders: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the build step on `cicd` (a `cicd_deployment_config`) in a checkout holding a
    Dockerfile in each of `folders` (image -> folder), with a stand-in `docker` that records
    its calls and answers a digest."""
    job = workflow("deploy.yml")["jobs"]["build"]
    step = _step(job, "Build every image once")
    (tmp_path / "build.json").write_text(
        json.dumps({"platform": cicd["image_platform"], "images": cicd["images"]})
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'echo "$*" >> "$DOCKER_LOG"\n'
        'meta=""; prev=""\n'
        'for a in "$@"; do [ "$prev" = --metadata-file ] && meta="$a"; prev="$a"; done\n'
        'digest="sha256:$(echo "$*" | sha256sum | cut -c1-64)"\n'
        'echo "{\\"containerimage.digest\\": \\"$digest\\"}" > "$meta"\n'
    )  # fmt: skip
    fake.chmod(0o755)
    workdir = tmp_path / "checkout"
    for folder in folders.values():
        (workdir / folder).mkdir(parents=True)
        (workdir / folder / "Dockerfile").write_text("FROM scratch\n")
    log, summary = tmp_path / "docker.log", tmp_path / "summary.md"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "RUNNER_TEMP": str(tmp_path),
        "COMMIT": "c" * 40,
        "APP_REPOSITORY": "",
        "DOCKER_LOG": str(log),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], env=env, cwd=workdir, capture_output=True, text=True
    )
    return done, log.read_text().splitlines() if log.exists() else []


@pytest.mark.skipif(shutil.which("jq") is None, reason="the build script needs jq")
def test_the_build_script_builds_each_image_once_for_the_stacks_platform(plan, tmp_path) -> None:
    """Run the build step against dev's offline plan with a stand-in `docker` that records its
    calls: every image is built once, to an OCI archive, for linux/arm64, Keycloak from this
    repository under its version, the services from the application source under the commit."""
    cicd = plan("dev").outputs["cicd_deployment_config"]
    folders = {n: "images/keycloak" if n == "keycloak" else f"services/{n}" for n in cicd["images"]}
    done, calls = _run_build(cicd, tmp_path, folders)
    assert done.returncode == 0, done.stderr
    assert len(calls) == len(cicd["images"])
    assert all("buildx build --platform linux/arm64 --provenance=false" in c for c in calls)
    assert any(c.endswith(" images/keycloak") for c in calls)
    assert any(c.endswith(" ./services/aw-pdp-service") for c in calls)
    built = json.loads((tmp_path / "images" / "images.json").read_text())
    assert built["keycloak"]["tag"] == "26.7.0"
    assert built["aw-pdp-service"]["tag"] == "c" * 40
    assert all(i["digest"].startswith("sha256:") for i in built.values())
    assert built["aw-pdp-service"]["digest"] in (tmp_path / "summary.md").read_text()


@pytest.mark.skipif(shutil.which("jq") is None, reason="the build script needs jq")
def test_a_task_built_into_its_own_repository_is_built_from_its_folder(tmp_path) -> None:
    from tests.test_tasks import planned

    cicd = planned("prod").outputs["cicd_deployment_config"]
    assert "nightly-report" in cicd["images"] and "db-migrate" not in cicd["images"]
    folders = {n: "images/keycloak" if n == "keycloak" else f"services/{n}" for n in cicd["images"]}
    folders["nightly-report"] = "tasks/nightly-report"
    done, calls = _run_build(cicd, tmp_path, folders)
    assert done.returncode == 0, done.stderr
    assert [c for c in calls if c.endswith(" ./tasks/nightly-report")]
    built = json.loads((tmp_path / "images" / "images.json").read_text())
    assert built["nightly-report"]["tag"] == "c" * 40


def test_each_stack_publishes_by_digest_then_records_the_release_then_runs_up() -> None:
    [job] = workflow("deploy-stack.yml")["jobs"].values()
    steps = job["steps"]
    [up] = pulumi_steps(job, "up")
    assert up["with"]["stack-name"] == "${{ inputs.stack }}"
    assert up["with"]["policyPacks"] == "policy"
    publish = steps.index(_step(job, "Put the release's images"))
    record = steps.index(_step(job, "Record the release"))
    assert publish < record < steps.index(up)
    assert "python -m tools.release publish" in steps[publish]["run"]
    assert "python -m tools.release record" in steps[record]["run"]
    assert '--commit "$COMMIT"' in steps[record]["run"]
    # The image tag is no longer set from CI: the release record says what runs.
    assert "config set" not in json.dumps(job)
    refuse = steps.index(_step(job, "Refuse a stack that pins its images"))
    assert refuse < publish and "pulumi config get imageTag" in steps[refuse]["run"]


def test_each_stack_passes_its_gate_before_the_next_stack_starts() -> None:
    [job] = workflow("deploy-stack.yml")["jobs"].values()
    steps = job["steps"]
    [up] = pulumi_steps(job, "up")
    gate_step = _step(job, "Gate")
    assert steps.index(up) < steps.index(gate_step)
    assert gate_step["run"] == 'python -m tools.gate --stack "$STACK" --release "$COMMIT"'
    assert not is_true(gate_step.get("continue-on-error", False))
    # the next stack's job needs this one: a failed gate stops the pipeline
    jobs = workflow("deploy.yml")["jobs"]
    assert needs(jobs["deploy-prod"]) == ["deploy-staging"]


def test_each_stack_stops_on_a_destructive_change_before_anything_changes() -> None:
    [job] = workflow("deploy-stack.yml")["jobs"].values()
    steps = job["steps"]
    guard = steps.index(_step(job, "Destructive-change guard"))
    approval = steps.index(_step(job, "Read the approval of the pull request"))
    first_up = steps.index(_step(job, "Read the stack's deployment config"))
    publish = steps.index(_step(job, "Put the release's images"))
    [up] = pulumi_steps(job, "up")
    assert approval < guard < first_up < publish < steps.index(up)
    run = steps[guard]["run"]
    assert "pulumi preview --json" in run and "python -m tools.preview_guard check" in run
    assert not is_true(steps[guard].get("continue-on-error", False))
    assert job["permissions"]["pull-requests"] == "read"
    assert workflow("deploy.yml")["jobs"]["deploy-prod"]["permissions"]["pull-requests"] == "read"


@pytest.mark.skipif(shutil.which("jq") is None, reason="the approval step needs jq")
def test_the_deploy_reads_the_approval_of_the_pull_request_that_merged_the_commit(tmp_path):
    [job] = workflow("deploy-stack.yml")["jobs"].values()
    script = _step(job, "Read the approval of the pull request")["run"]
    pages = tmp_path / "pages.json"
    pages.write_text(json.dumps([json.loads((GUARD_DATA / "events-maintainer.json").read_text())]))
    sha = "9f1c2b3a4d5e6f708192a3b4c5d6e7f809a1b2c3"
    workdir = tmp_path / "run"
    done, calls = _run_with_fake_gh(
        f'export SHA={sha} GITHUB_ENV="$RUNNER_TEMP/env" PATH="{Path(sys.executable).parent}:$PATH"'
        f"\ncd {REPO_ROOT}\n{script}",
        workdir,
        {
            f"commits/{sha}/pulls": GUARD_DATA / "pulls-of-commit.json",
            "issues/42/labels": GUARD_DATA / "labels-approved.json",
            "issues/42/events": pages,
            "/permission": GUARD_DATA / "permission-maria.json",
        },
    )
    assert done.returncode == 0, done.stderr
    assert [c.split()[1] for c in calls] == [
        f"repos/example-org/accessweaver/commits/{sha}/pulls",
        "repos/example-org/accessweaver/issues/42/labels",
        "--paginate",
        "repos/example-org/accessweaver/collaborators/maria-maintainer/permission",
    ]
    assert "AUTHOR=alice-author" in (workdir / "env").read_text()


def test_previews_and_drift_checks_never_write_a_release_or_the_config() -> None:
    for name in ("preview.yml", "drift.yml"):
        text = (WORKFLOWS_DIR / name).read_text()
        assert "tools.release" not in text and "config set" not in text, name


def test_deploys_of_one_stack_never_overlap() -> None:
    [job] = workflow("deploy-stack.yml")["jobs"].values()
    assert job["concurrency"] == {
        "group": "pulumi-stack-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }


# --- drift.yml -----------------------------------------------------------------------------


def test_drift_runs_daily_and_on_demand_over_the_three_stacks() -> None:
    doc = workflow("drift.yml")
    assert_daily_and_on_demand(doc)
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


def test_the_committed_stacks_share_the_architecture_their_promoted_images_are_built_for(plan):
    platforms = {plan(s).outputs["cicd_deployment_config"]["image_platform"] for s in STACKS}
    assert platforms == {"linux/arm64"}


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
