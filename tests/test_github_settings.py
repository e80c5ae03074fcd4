"""The GitHub settings the AWS trust relies on: as code (the bootstrap's GitHub provider) and
checked (`python -m tools.github_settings`, .github/workflows/github-settings.yml).

GIVEN `githubSettings` in bootstrap/Pulumi.prod.yaml, WHEN prod's bootstrap plans offline, THEN
it writes every environment the workflows run jobs in (main only where a job deploys or checks
drift, reviewers who did not start the run on prod and the staging and prod previews, no admin
bypass), main's protection, the Actions token's defaults and an OIDC subject template whose
subjects are exactly the ones the roles trust. WHEN the live settings (GitHub's REST responses,
recorded as `gh api` writes them) differ in any of those ways, THEN the check fails and says how.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from accessweaver_components.bootstrap.github_settings import CLAIM_KEYS, environment_names
from tests.conftest import ROOT, STACKS
from tests.test_bootstrap import (
    BOOTSTRAP,
    REPOSITORY,
    ROLE,
    _sub,
    _workflows,
    bootstrap,
    refused_bootstrap,
)
from tools import github_settings as tool
from tools.engine import PlanResult, RecordedResource, run_program

RECORDED = ROOT / "tests" / "github_settings"
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
BRANCH_POLICY = (
    "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
)
PROTECTION = "github:index/branchProtection:BranchProtection"
TOKEN = "github:index/workflowRepositoryPermissions:WorkflowRepositoryPermissions"
TEMPLATE = (
    "github:index/actionsRepositoryOidcSubjectClaimCustomizationTemplate:"
    "ActionsRepositoryOidcSubjectClaimCustomizationTemplate"
)
REVIEWED = {"prod", "preview-staging", "preview-prod", "faults-staging"}


def github_resources(result: PlanResult) -> list[RecordedResource]:
    return [
        r for r in result.resources if r.type.startswith(("github:", "pulumi:providers:github"))
    ]


def environments(result: PlanResult) -> dict[str, dict[str, Any]]:
    return {r.inputs["environment"]: r.inputs for r in result.of_type(ENVIRONMENT)}


def workflow_environments() -> set[str]:
    """Every environment a job of the workflows runs in (matrices and callers' stacks)."""
    found: set[str] = set()
    for doc in _workflows().values():
        for job in doc["jobs"].values():
            name = job.get("environment")
            if name is None:
                continue
            name = name if isinstance(name, str) else name["name"]
            stacks = job.get("strategy", {}).get("matrix", {}).get("stack") or STACKS
            found |= {
                name.replace("${{ matrix.stack }}", s).replace("${{ inputs.stack }}", s)
                for s in stacks
            }
    return found


# -- which stack writes them -------------------------------------------------------------------


def test_one_bootstrap_stack_declares_and_writes_the_repositorys_settings():
    label, settings = tool.expected_settings()
    assert label == "Pulumi.prod.yaml" and settings.repository == REPOSITORY
    assert github_resources(bootstrap("prod"))
    for stack in ("dev", "staging"):
        assert github_resources(bootstrap(stack)) == []
    (provider,) = bootstrap("prod").of_type("pulumi:providers:github")
    assert provider.inputs["owner"] == "example-org"  # the token comes from GITHUB_TOKEN


def test_the_offline_plan_cli_shows_the_github_settings_prod_writes(monkeypatch, capsys):
    """`python -m tools.plan prod --project bootstrap`: the provider and the component, and
    with --json every GitHub resource and its inputs (the engine run is the cached one)."""
    from tools.plan import main

    monkeypatch.setattr("tools.engine.run_program", lambda _dir, stack, *a, **k: bootstrap(stack))
    assert main(["prod", "--project", "bootstrap"]) == 0
    text = capsys.readouterr().out
    assert "  Provider github accessweaver-github\n" in text
    assert "GithubRepositorySettings accessweaver-github (24): 12 RepositoryEnvironment" in text
    assert main(["prod", "--project", "bootstrap", "--json"]) == 0
    planned = json.loads(capsys.readouterr().out)["resources"]
    (template,) = [r for r in planned if r["type"] == TEMPLATE]
    assert template["inputs"]["includeClaimKeys"] == list(CLAIM_KEYS)
    assert len([r for r in planned if r["type"] == ENVIRONMENT]) == len(environment_names(STACKS))


def test_githubsettings_in_two_stack_files_is_refused(tmp_path):
    project = tmp_path / "bootstrap"
    shutil.copytree(BOOTSTRAP, project)
    staging = project / "Pulumi.staging.yaml"
    document = yaml.safe_load(staging.read_text())
    document["config"]["accessweaver-bootstrap:githubSettings"] = {
        "reviewers": {"users": ["someone"]}
    }
    staging.write_text(yaml.safe_dump(document))
    with pytest.raises(tool.SettingsError, match="exactly one bootstrap stack file"):
        tool.expected_settings(project)
    assert tool.main(["--project", str(project), "check", "--responses", str(RECORDED)]) == 2


def test_without_manage_the_bootstrap_needs_no_github_token_and_writes_no_setting():
    """A team whose settings live elsewhere: nothing GitHub is planned, the roles' trust is the
    same, and the daily check still compares the live settings with this config."""
    result = run_program(
        BOOTSTRAP,
        "prod",
        config_override={
            "accessweaver-bootstrap:githubSettings": json.dumps(
                {"manage": False, "reviewers": {"teams": ["platform-admins"]}}
            )
        },
    )
    assert github_resources(result) == []
    trusts = {r.name: _sub(json.loads(r.inputs["assumeRolePolicy"])) for r in result.of_type(ROLE)}
    planned = bootstrap("prod")
    assert trusts == {
        r.name: _sub(json.loads(r.inputs["assumeRolePolicy"])) for r in planned.of_type(ROLE)
    }
    assert tool.main(["check", "--responses", str(RECORDED)]) == 0


# -- what they are -------------------------------------------------------------------------------


def test_the_bootstrap_writes_every_environment_the_workflows_run_jobs_in():
    """GitHub creates an environment a job names if it does not exist, unprotected: every one
    the workflows use is planned (and none else)."""
    planned = set(environments(bootstrap("prod")))
    assert planned == workflow_environments() == set(environment_names(STACKS))


def test_environments_that_deploy_or_check_drift_admit_main_only_and_previews_any_branch():
    result = bootstrap("prod")
    planned = environments(result)
    policies = {r.inputs["environment"]: r.inputs for r in result.of_type(BRANCH_POLICY)}
    previews = {f"preview-{s}" for s in STACKS}
    for name, inputs in planned.items():
        if name in previews:
            assert "deploymentBranchPolicy" not in inputs, name  # a pull request's ref
            assert name not in policies
        else:
            assert inputs["deploymentBranchPolicy"] == {
                "protectedBranches": False,
                "customBranchPolicies": True,
            }, name
            assert policies[name] == {
                "repository": "accessweaver",
                "environment": name,
                "branchPattern": "main",
            }
    assert set(policies) == set(planned) - previews
    assert {"build", "github-settings", "drift-prod", "prod"} <= set(policies)


def test_prod_the_staging_and_prod_previews_and_staging_faults_wait_for_another_reviewer():
    planned = environments(bootstrap("prod"))
    for name, inputs in planned.items():
        assert inputs["canAdminsBypass"] is False, name
        if name in REVIEWED:
            (reviewers,) = inputs["reviewers"]
            assert len(reviewers["teams"]) == 1 and reviewers["users"] == []
            assert inputs["preventSelfReview"] is True, name
        else:
            assert "reviewers" not in inputs, name


def test_main_takes_changes_only_through_a_pull_request_approved_by_someone_else():
    (protection,) = bootstrap("prod").of_type(PROTECTION)
    inputs = protection.inputs
    assert inputs["pattern"] == "main" and inputs["repositoryId"] == "accessweaver"
    assert inputs["enforceAdmins"] is True
    assert inputs["allowsForcePushes"] is False and inputs["allowsDeletions"] is False
    (reviews,) = inputs["requiredPullRequestReviews"]
    assert reviews["requiredApprovingReviewCount"] >= 1
    assert reviews["dismissStaleReviews"] is True
    assert reviews["requireLastPushApproval"] is True


def test_the_actions_token_is_read_only_and_cannot_approve_a_pull_request():
    (token,) = bootstrap("prod").of_type(TOKEN)
    assert token.inputs == {
        "repository": "accessweaver",
        "defaultWorkflowPermissions": "read",
        "canApprovePullRequestReviews": False,
    }


def _subject(keys: tuple[str, ...], claims: dict[str, str]) -> str:
    """The `sub` GitHub builds from a template (GitHub docs, "Customizing the subject claims"):
    each key's `key:value` in the template's order, the `context` without its key (it already
    reads `environment:<name>`), `repo` as `repo:<owner>/<repo>`."""
    return ":".join(claims[k] if k == "context" else f"{k}:{claims[k]}" for k in keys)


def test_the_subject_template_makes_exactly_the_subjects_the_roles_trust():
    """The template and the trust agree, and the template changes only after the roles do
    (a token in the new format matches no role of the old one)."""
    result = bootstrap("prod")
    (template,) = result.of_type(TEMPLATE)
    assert template.inputs["useDefault"] is False
    keys = tuple(template.inputs["includeClaimKeys"])
    assert keys == CLAIM_KEYS and "job_workflow_ref" in keys
    roles = result.of_type(ROLE)
    assert {f"{ROLE}::{r.name}" for r in roles} <= set(template.depends_on)
    files = {"deploy": "deploy-stack.yml", "drift": "drift.yml", "preview": "preview.yml"}
    for role in roles:
        kind = role.inputs["name"].rsplit("-", 1)[1]
        environment = {"deploy": "prod", "drift": "drift-prod", "preview": "preview-prod"}[kind]
        ref = "refs/pull/7/merge" if kind == "preview" else "refs/heads/main"
        claims = {
            "repo": REPOSITORY,
            "context": f"environment:{environment}",
            "job_workflow_ref": f"{REPOSITORY}/.github/workflows/{files[kind]}@{ref}",
        }
        token_sub = _subject(keys, claims)
        operator, trusted = _sub(json.loads(role.inputs["assumeRolePolicy"]))
        if operator == "StringLike":
            assert trusted.replace("*", "7") == token_sub
        else:
            assert trusted == token_sub


# -- bad config ----------------------------------------------------------------------------------


def test_bad_github_settings_are_refused_with_every_problem_named():
    raw = {
        "environment": "prod",
        "githubRepository": REPOSITORY,
        "githubSettings": {
            "reviewedEnvironments": ["staging", "qa"],
            "reviewers": {"teams": [f"team-{i}" for i in range(5)], "users": ["a", "b"]},
        },
    }
    refused = refused_bootstrap(raw)
    text = str(refused)
    for expected in (
        "githubSettings.reviewedEnvironments[1] = 'qa': not an environment of the workflows",
        "prod would deploy with no reviewer",
        "at most 6 reviewers",
    ):
        assert expected in text, text
    assert len(refused.issues) == 3
    nobody = {**raw, "githubSettings": {"reviewers": {}}}
    assert "at least one reviewer" in str(refused_bootstrap(nobody, stack_file="x"))


# -- the check: live settings against the config ----------------------------------------------


@pytest.fixture(scope="module")
def expected():
    return tool.expected_settings()[1]


@pytest.fixture
def live(expected) -> dict[str, Any]:
    """The recorded responses of a repository set up as the bootstrap config says."""
    return copy.deepcopy(tool.read_responses(RECORDED, expected))


def _environment(responses: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [e for e in responses["environments.json"]["environments"] if e["name"] == name]
    return found


def _reviewer_rule(responses: dict[str, Any], name: str) -> dict[str, Any]:
    rules = _environment(responses, name)["protection_rules"]
    (rule,) = [r for r in rules if r["type"] == "required_reviewers"]
    return rule


def test_the_recorded_settings_of_a_repository_set_up_as_configured_pass(expected, live):
    assert set(live) == set(tool.endpoints(expected))
    assert tool.differences(expected, live) == []
    assert tool.main(["check", "--responses", str(RECORDED)]) == 0


def _no_reviewer(r):
    environment = _environment(r, "prod")
    environment["protection_rules"] = [
        rule for rule in environment["protection_rules"] if rule["type"] != "required_reviewers"
    ]


def _other_reviewer(r):
    _reviewer_rule(r, "preview-prod")["reviewers"] = [
        {"type": "User", "reviewer": {"login": "mallory", "id": 66, "type": "User"}}
    ]


def _self_review(r):
    _reviewer_rule(r, "prod")["prevent_self_review"] = False


def _admin_bypass(r):
    _environment(r, "staging")["can_admins_bypass"] = True


def _bypass_by_default(r):
    del _environment(r, "drift-prod")["can_admins_bypass"]


def _other_branch(r):
    r["branch-policies/prod.json"]["branch_policies"].append(
        {"id": 1, "node_id": "x", "name": "release/*", "type": "branch"}
    )


def _a_tag(r):
    r["branch-policies/staging.json"]["branch_policies"] = [
        {"id": 1, "node_id": "x", "name": "main", "type": "tag"}
    ]


def _any_branch(r):
    _environment(r, "dev")["deployment_branch_policy"] = None


def _protected_branches(r):
    _environment(r, "build")["deployment_branch_policy"] = {
        "protected_branches": True,
        "custom_branch_policies": False,
    }


def _no_environment(r):
    environments = r["environments.json"]["environments"]
    environments[:] = [e for e in environments if e["name"] != "github-settings"]


def _unprotected(r):
    r["branch-protection.json"] = None


def _force_push(r):
    r["branch-protection.json"]["allow_force_pushes"]["enabled"] = True


def _admins_not_enforced(r):
    r["branch-protection.json"]["enforce_admins"]["enabled"] = False


def _no_review(r):
    del r["branch-protection.json"]["required_pull_request_reviews"]


def _own_push_approved(r):
    r["branch-protection.json"]["required_pull_request_reviews"]["require_last_push_approval"] = (
        False
    )


def _stale(r):
    r["branch-protection.json"]["required_pull_request_reviews"]["dismiss_stale_reviews"] = False


def _actions_approve(r):
    r["workflow-permissions.json"]["can_approve_pull_request_reviews"] = True


def _write_token(r):
    r["workflow-permissions.json"]["default_workflow_permissions"] = "write"


def _default_subject(r):
    r["oidc-subject.json"] = {
        "use_default": True,
        "sub_claim_prefix": "repo:example-org/accessweaver",
    }


def _no_workflow_ref(r):
    r["oidc-subject.json"]["include_claim_keys"] = ["repo", "context"]


def _immutable(r):
    r["oidc-subject.json"]["sub_claim_prefix"] = "repo:example-org@1234/accessweaver@5678"


def _not_fetched(r):
    del r["branch-policies/drift-dev.json"]


DIFFERENCES = {
    "reviewers missing": (_no_reviewer, "prod: runs without a reviewer"),
    "another reviewer": (_other_reviewer, "preview-prod: its reviewers are user mallory"),
    "self-review allowed": (_self_review, "prod: whoever started a run may approve it"),
    "admin bypass on": (_admin_bypass, "staging: administrators can bypass"),
    "admin bypass by GitHub's default": (_bypass_by_default, "drift-prod: administrators can"),
    "a branch policy besides main": (_other_branch, "prod: its deployment branch policies are"),
    "a tag policy instead of the branch": (_a_tag, "staging: its deployment branch policies"),
    "any branch": (_any_branch, "dev: any branch may run its jobs"),
    "every protected branch": (_protected_branches, "build: its deployment branches are"),
    "an environment missing": (_no_environment, "github-settings: the environment does not"),
    "main unprotected": (_unprotected, "main: the branch is not protected"),
    "force pushes": (_force_push, "main: accepts force pushes"),
    "admins not enforced": (_admins_not_enforced, "main: administrators bypass"),
    "no pull request review": (_no_review, "main: takes changes without a pull request"),
    "the last pusher approves": (_own_push_approved, "main: the last pusher's own approval"),
    "stale approvals kept": (_stale, "main: an approval survives later pushes"),
    "Actions allowed to approve PRs": (_actions_approve, "Actions: workflows may approve"),
    "a read-write token": (_write_token, "default permissions are 'write'"),
    "GitHub's default subject": (_default_subject, "OIDC: the subject is GitHub's default"),
    "a template without job_workflow_ref": (_no_workflow_ref, "claim keys are ['repo', 'cont"),
    "immutable subjects unconfigured": (_immutable, "OIDC: GitHub's subjects start with"),
    "a response not fetched": (_not_fetched, "branch-policies/drift-dev.json: not fetched"),
}


@pytest.mark.parametrize("case", DIFFERENCES, ids=list(DIFFERENCES))
def test_the_check_fails_on_each_kind_of_difference(expected, live, case):
    change, message = DIFFERENCES[case]
    change(live)
    found = tool.differences(expected, live)
    assert len(found) == 1, found
    assert found[0].startswith(message) or message in found[0], found


def test_the_check_exits_1_and_lists_every_difference(expected, live, tmp_path, capsys):
    for change in (_self_review, _actions_approve, _no_workflow_ref):
        change(live)
    for file, body in live.items():
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file).write_text(json.dumps(body))
    assert tool.main(["check", "--responses", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "3 difference(s)" in out
    assert out.count("\n  - ") == 3


def test_fetch_reads_each_endpoint_with_gh_and_records_a_404_as_null(expected, tmp_path):
    calls: list[list[str]] = []

    def gh(argv: list[str]) -> subprocess.CompletedProcess:
        calls.append(argv)
        endpoint = argv[-1]
        file = next(f for f, e in tool.endpoints(expected).items() if e == endpoint)
        if file == "branch-protection.json":
            return subprocess.CompletedProcess(argv, 1, '{"message": "Branch not protected"}',
                                               "gh: Branch not protected (HTTP 404)\n")  # fmt: skip
        return subprocess.CompletedProcess(argv, 0, (RECORDED / file).read_text(), "")

    assert tool.main(["fetch", "--out", str(tmp_path)], run=gh) == 0
    assert len(calls) == len(tool.endpoints(expected)) == 4 + 9
    assert all(c[:2] == ["gh", "api"] and "X-GitHub-Api-Version: 2022-11-28" in c for c in calls)
    assert all(c[-1].startswith(f"repos/{REPOSITORY}/") for c in calls)
    assert json.loads((tmp_path / "branch-protection.json").read_text()) is None
    found = tool.differences(expected, tool.read_responses(tmp_path, expected))
    assert found == ["main: the branch is not protected"]


def test_a_gh_failure_other_than_a_404_stops_with_exit_2(tmp_path, capsys):
    def forbidden(argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(argv, 1, "", "gh: Resource not accessible (HTTP 403)")

    assert tool.main(["fetch", "--out", str(tmp_path)], run=forbidden) == 2
    assert "HTTP 403" in capsys.readouterr().err


# -- the workflow that runs the check -----------------------------------------------------------


def test_the_settings_check_runs_daily_in_its_own_environment_with_a_read_only_token():
    from tests.test_workflows import assert_daily_and_on_demand, environment_name, workflow

    doc = workflow("github-settings.yml")
    assert_daily_and_on_demand(doc)
    [job] = doc["jobs"].values()
    assert environment_name(job) == "github-settings"
    # no cloud credential, no write: the token it reads with is the environment's secret
    assert job["permissions"] == {"contents": "read"}
    # nothing skips it: with githubSettings.manage false it is all that holds the settings
    assert not job.get("continue-on-error") and "if" not in job
    assert not any("if" in step or step.get("continue-on-error") for step in job["steps"])
    runs = [s for s in job["steps"] if "tools.github_settings" in str(s.get("run", ""))]
    fetch, check = runs
    assert fetch["env"] == {"GH_TOKEN": "${{ secrets.SETTINGS_READ_TOKEN }}"}
    assert "check" not in fetch["run"] and "exit 1" in fetch["run"]
    assert "GH_TOKEN" not in json.dumps(check) and not check.get("continue-on-error")
    # the commands it runs are the tool's
    for step, command in ((fetch, "fetch"), (check, "check")):
        line = next(x for x in step["run"].splitlines() if "tools.github_settings" in x)
        argv = line.split("tools.github_settings", 1)[1].split()
        assert argv[0] == command
        tool.build_parser().parse_args([a.strip('"') for a in argv])


def test_the_recorded_responses_are_shaped_like_githubs(expected):
    """The fields the check reads are where GitHub's REST API (2022-11-28) puts them."""
    environment = json.loads((RECORDED / "environments.json").read_text())["environments"][0]
    assert {"id", "node_id", "name", "url", "html_url", "protection_rules",
            "deployment_branch_policy", "can_admins_bypass"} <= set(environment)  # fmt: skip
    protection = json.loads((RECORDED / "branch-protection.json").read_text())
    assert set(protection["enforce_admins"]) == {"url", "enabled"}
    assert set(protection["allow_force_pushes"]) == {"enabled"}
    policies = json.loads((RECORDED / "branch-policies" / "prod.json").read_text())
    assert set(policies) == {"total_count", "branch_policies"}
    assert set(json.loads((RECORDED / "oidc-subject.json").read_text())) >= {
        "use_default",
        "include_claim_keys",
    }
