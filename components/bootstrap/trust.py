"""GitHub OIDC trust of the bootstrap's CI roles, as plain data, and what refuses a looser one.

Trust (AWS IAM user guide, "Configuring a role for GitHub OIDC identity provider"; GitHub docs,
"OpenID Connect reference"): the audience must be `sts.amazonaws.com` and the subject names
this repository, one GitHub environment and the workflow file and ref that asked for the token.
With the repository's subject template `repo`, `context`, `job_workflow_ref`
(`github_settings.CLAIM_KEYS`, set by the bootstrap's GitHub component), a job that declares
`environment: X` in workflow file F at ref R gets the subject
`repo:<owner>/<repo>:environment:X:job_workflow_ref:<owner>/<repo>/.github/workflows/F@R`.
The deploy role trusts `dev` (`staging`, `prod`) from `deploy-stack.yml` on `main`, the drift
role `drift-<env>` from `drift.yml` on `main`, the preview role `preview-<env>` from
`preview.yml` on a pull request's merge ref (`refs/pull/*/merge`, the only wildcard).
The environments' own rules (main only, reviewers) are GitHub's side of the bargain
(`github_settings.py`). `trust_problems` is what refuses anything looser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .github_settings import PULL_REQUEST_REF, WorkflowPin, subject_prefix

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
AUDIENCE = "sts.amazonaws.com"
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def subject(prefix: str, github_environment: str, job_workflow_ref: str) -> str:
    """The OIDC subject of a job in `github_environment` of the workflow `job_workflow_ref`
    (`<owner>/<repo>/.github/workflows/<file>@<ref>`), under the subject template
    `github_settings.CLAIM_KEYS`; `prefix` is `repo:<owner>/<repo>` (`subject_prefix`)."""
    return f"{prefix}:environment:{github_environment}:job_workflow_ref:{job_workflow_ref}"


def trust_policy(
    provider_arn: str,
    repository: str,
    github_environment: str,
    pin: WorkflowPin,
    prefix: str | None = None,
) -> dict[str, Any]:
    """Only GitHub jobs of this repository running in this environment, from this workflow
    file at this ref, for STS. A pull request's ref (`PULL_REQUEST_REF`) needs `StringLike`
    for its number; every other subject is matched exactly."""
    repo = prefix or subject_prefix(repository)
    sub = subject(repo, github_environment, pin.job_workflow_ref(repository))
    operator = "StringLike" if "*" in pin.ref else "StringEquals"
    conditions: dict[str, dict[str, str]] = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": AUDIENCE}}
    conditions.setdefault(operator, {})[f"{GITHUB_OIDC_HOST}:sub"] = sub
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GitHubActions",
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": conditions,
            }
        ],
    }


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


_WILDCARD = re.compile(r"[*?]")
_IMMUTABLE_IDS = re.compile(r"@\d+(?=/|$)")
_PINNED = re.compile(
    r"^(?P<context>[^:]+:[^:]+|pull_request):job_workflow_ref:"
    r"(?P<repository>[^/:]+/[^/:]+)/\.github/workflows/(?P<file>[^/:@]+)@(?P<ref>[^:]+)$"
)
_PINNED_REF = re.compile(r"^refs/(heads|tags)/[^*?]+$")


def _repository_of(owner_repo: str) -> str:
    """`owner/repo` of a subject's repo segment, GitHub's immutable ids (`@<id>`) dropped."""
    return _IMMUTABLE_IDS.sub("", owner_repo).lower()


def _subject_problem(value: str, repository: str | None) -> str | None:
    owner_repo, _, rest = value.removeprefix("repo:").partition(":")
    if not value.startswith("repo:") or _WILDCARD.search(owner_repo):
        return "does not name one repository"
    if repository is not None and _repository_of(owner_repo) != repository.lower():
        return f"is not {repository}"
    context = rest.split(":job_workflow_ref:", 1)[0]
    if not rest or _WILDCARD.search(context):
        return "admits any branch or environment"
    pinned = _PINNED.match(rest)
    if pinned is None:
        return "does not pin the workflow file and its ref (job_workflow_ref)"
    if _repository_of(pinned["repository"]) != _repository_of(owner_repo):
        return "pins a workflow of another repository"
    ref = pinned["ref"]
    if _WILDCARD.search(pinned["file"]) or not (ref == PULL_REQUEST_REF or _PINNED_REF.match(ref)):
        return "admits any workflow file or ref (only a pull request's number may vary)"
    return None


def trust_problems(document: Mapping[str, Any], repository: str | None = None) -> list[str]:
    """Why a trust policy admitting GitHub's OIDC provider is too loose (empty when it is not):
    no `sts.amazonaws.com` audience, no `sub` condition, a `sub` of another repository, with a
    wildcard in its repository or context, or that does not pin the workflow file and its ref
    (`job_workflow_ref:<owner>/<repo>/.github/workflows/<file>@refs/heads/<branch>`, or a pull
    request's `refs/pull/*/merge`: a wildcard on the number only)."""
    problems: list[str] = []
    statements = document.get("Statement", [])
    for index, statement in enumerate([statements] if isinstance(statements, dict) else statements):
        federated = _values((statement.get("Principal") or {}).get("Federated"))
        if statement.get("Effect") != "Allow" or not any(GITHUB_OIDC_HOST in f for f in federated):
            continue
        where = f"statement {statement.get('Sid') or index}"
        conditions = statement.get("Condition") or {}
        equals = conditions.get("StringEquals") or {}
        like = conditions.get("StringLike") or {}
        if _values(equals.get(f"{GITHUB_OIDC_HOST}:aud")) != [AUDIENCE]:
            problems.append(f"{where}: the audience is not only {AUDIENCE}")
        subjects = _values(equals.get(f"{GITHUB_OIDC_HOST}:sub")) + _values(
            like.get(f"{GITHUB_OIDC_HOST}:sub")
        )
        if not subjects:
            problems.append(f"{where}: no `sub` condition: every GitHub repository could assume it")
        for value in subjects:
            problem = _subject_problem(value, repository)
            if problem is not None:
                problems.append(f"{where}: the subject {value!r} {problem}")
    return problems
