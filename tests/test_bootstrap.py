"""The bootstrap project (bootstrap/): what each AWS account needs before the main stacks' first
`pulumi up`, planned offline like the main program.

GIVEN bootstrap/Pulumi.<env>.yaml, WHEN the project runs under the mock engine, THEN it creates
the state bucket (prod's account) and each account's secrets key and CI roles; the roles admit
only this repository's jobs in one GitHub environment; every role the workflows assume is one
of them; the deploy role manages what the program registers and each account touches only its
own stacks' state; the main stack files agree with it (accounts, secrets provider, images).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from accessweaver_components.bootstrap.config import bootstrap_settings
from accessweaver_components.bootstrap.github_settings import DEPLOY_PIN, FAULT_STACKS, PREVIEW_PIN
from accessweaver_components.bootstrap.policies import (
    ATTACHABLE,
    SERVICES_OF_MODULE,
    TAG_SCOPED,
    services_of,
)
from accessweaver_components.bootstrap.program import MANAGED_SERVICES
from accessweaver_components.bootstrap.state_access import bootstrap_project
from accessweaver_components.bootstrap.trust import trust_policy, trust_problems
from accessweaver_components.errors import ConfigError
from tests.conftest import ROOT, STACKS, planned
from tests.iam_eval import denies
from tests.resource_types import BUCKET, KEY, ROLE, ROLE_POLICY
from tests.test_iam_parliament import findings, policy_documents
from tools.engine import PlanResult, RecordedResource, run_program
from tools.policy_check import run_policies

BOOTSTRAP = ROOT / "bootstrap"
REPOSITORY = "example-org/accessweaver"
STATE_BUCKET = "example-org-accessweaver-pulumi-state"


def bootstrap(stack: str) -> PlanResult:
    return planned(BOOTSTRAP, stack)


def stack_file(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def allowed_accounts(path: Path) -> list[str]:
    return stack_file(path)["config"]["aws:allowedAccountIds"]


def role_policy(result: PlanResult, role_name: str) -> dict[str, Any]:
    """The role's inline policy, with the statements of the managed policies of its own the
    bootstrap attaches (the deploy role's guards)."""
    (policy,) = [p for p in result.of_type(ROLE_POLICY) if p.name.endswith(f"-{role_name}-policy")]
    document = json.loads(policy.inputs["policy"])
    for attached in result.of_type("aws:iam/policy:Policy"):
        if attached.name.endswith(f"-{role_name}-guards"):
            document["Statement"] += json.loads(attached.inputs["policy"])["Statement"]
    return document


def boundary_of(result: PlanResult) -> Any:
    (policy,) = [p for p in result.of_type("aws:iam/policy:Policy") if p.name.endswith("-boundary")]
    return policy


def statements(document: dict[str, Any], sid: str) -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if s.get("Sid") == sid]


def resources_of(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    return [value] if isinstance(value, str) else value


def admits(statement: dict[str, Any], arn: str) -> bool:
    """IAM's wildcard match (`*` spans `/`), as fnmatch does."""
    return any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources_of(statement))


# -- the project plans offline ----------------------------------------------------------------


def test_the_project_name_is_the_one_the_state_policies_name():
    assert stack_file(BOOTSTRAP / "Pulumi.yaml")["name"] == bootstrap_project("accessweaver")


@pytest.mark.parametrize("stack", STACKS)
def test_each_account_plans_offline_with_no_mandatory_violation(stack):
    result = bootstrap(stack)
    report = run_policies(result)
    assert report.mandatory == []
    assert report.unused_waivers == []
    outputs = result.outputs
    assert outputs["environment"] == stack
    assert (
        outputs["secrets_provider"]
        == f"awskms://alias/accessweaver-{stack}-secrets?region=eu-west-1"
    )
    assert outputs["state_backend_url"] == f"s3://{STATE_BUCKET}?region=eu-west-1&awssdk=v2"
    roles = {r.inputs["name"]: r for r in result.of_type(ROLE)}
    # the faults role where faults.yml runs experiments (FAULT_STACKS: staging)
    assert set(roles) == {
        f"accessweaver-{stack}-preview",
        f"accessweaver-{stack}-drift",
        f"accessweaver-{stack}-deploy",
        *([f"accessweaver-{stack}-faults"] if stack in FAULT_STACKS else []),
    }
    # the secrets key and (prod) the state bucket and its key are protected from `pulumi destroy`
    assert all(k.protect and k.inputs["enableKeyRotation"] for k in result.of_type(KEY))


def test_the_offline_plan_cli_plans_the_bootstrap_project(capsys):
    from tools.plan import main

    assert main(["staging", "--project", "bootstrap"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Offline plan of stack 'staging' (bootstrap/Pulumi.staging.yaml)")
    assert "CiRoles accessweaver-staging-ci" in text
    assert "0 mandatory" in text


def test_only_the_prod_account_creates_the_state_bucket():
    names = {b.inputs.get("bucket") for b in bootstrap("prod").of_type(BUCKET)}
    assert STATE_BUCKET in names  # beside its access-log bucket
    for stack in ("dev", "staging"):
        assert bootstrap(stack).of_type(BUCKET) == []
        assert "state_bucket" not in bootstrap(stack).outputs


# -- trust: this repository, one GitHub environment, STS -----------------------------------------


SUB = "token.actions.githubusercontent.com:sub"
WORKFLOWS_OF = f"{REPOSITORY}/.github/workflows"


@pytest.mark.parametrize("stack", STACKS)
def test_each_role_trusts_only_its_environment_workflow_file_and_ref(stack):
    """GIVEN the subject template repo, context, job_workflow_ref, THEN each role admits one
    environment of this repository, from one workflow file at one ref: deploys from
    deploy-stack.yml (the reusable release job) on main, drift checks from drift.yml on main,
    previews from preview.yml on a pull request's merge ref (its number the only wildcard)."""
    expected = {
        f"accessweaver-{stack}-deploy": (
            "StringEquals",
            f"repo:{REPOSITORY}:environment:{stack}:job_workflow_ref:"
            f"{WORKFLOWS_OF}/deploy-stack.yml@refs/heads/main",
        ),
        f"accessweaver-{stack}-preview": (
            "StringLike",
            f"repo:{REPOSITORY}:environment:preview-{stack}:job_workflow_ref:"
            f"{WORKFLOWS_OF}/preview.yml@refs/pull/*/merge",
        ),
        f"accessweaver-{stack}-drift": (
            "StringEquals",
            f"repo:{REPOSITORY}:environment:drift-{stack}:job_workflow_ref:"
            f"{WORKFLOWS_OF}/drift.yml@refs/heads/main",
        ),
        f"accessweaver-{stack}-faults": (
            "StringEquals",
            f"repo:{REPOSITORY}:environment:faults-{stack}:job_workflow_ref:"
            f"{WORKFLOWS_OF}/faults.yml@refs/heads/main",
        ),
    }
    for role in bootstrap(stack).of_type(ROLE):
        trust = json.loads(role.inputs["assumeRolePolicy"])
        assert trust_problems(trust, REPOSITORY) == []
        (statement,) = trust["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"].endswith(
            ":oidc-provider/token.actions.githubusercontent.com"
        )
        operator, sub = expected[role.inputs["name"]]
        conditions = statement["Condition"]
        assert conditions["StringEquals"]["token.actions.githubusercontent.com:aud"] == (
            "sts.amazonaws.com"
        )
        assert conditions[operator][SUB] == sub
        assert sum(SUB in c for c in conditions.values()) == 1


def _sub(document: dict[str, Any]) -> tuple[str, str]:
    (statement,) = document["Statement"]
    ((operator, conditions),) = [(o, c) for o, c in statement["Condition"].items() if SUB in c]
    return operator, conditions[SUB]


def _with_sub(document: dict[str, Any], value: str, operator: str = "StringLike") -> dict:
    changed = json.loads(json.dumps(document))
    (statement,) = changed["Statement"]
    for conditions in statement["Condition"].values():
        conditions.pop(SUB, None)
    statement["Condition"].setdefault(operator, {})[SUB] = value
    return changed


def _without(document: dict[str, Any], key: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(document))
    for statement in changed["Statement"]:
        for conditions in statement["Condition"].values():
            conditions.pop(key, None)
    return changed


PROVIDER = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"


def test_a_trust_policy_without_a_sub_condition_is_refused():
    good = trust_policy(PROVIDER, REPOSITORY, "dev", DEPLOY_PIN)
    assert trust_problems(good, REPOSITORY) == []
    no_sub = _without(good, SUB)
    assert any("no `sub` condition" in p for p in trust_problems(no_sub, REPOSITORY))
    no_audience = _without(good, "token.actions.githubusercontent.com:aud")
    assert any("audience" in p for p in trust_problems(no_audience, REPOSITORY))
    for loose in ("repo:example-org/*", "repo:example-org/accessweaver:*", "repo:other/repo:ref:x"):
        assert trust_problems(_with_sub(good, loose), REPOSITORY), loose


def test_a_trust_that_does_not_pin_the_workflow_file_and_its_ref_is_refused():
    """The red team's question: a role that trusts `environment:prod` alone admits any
    workflow file that names the environment, from any ref the environment lets run."""
    good = trust_policy(PROVIDER, REPOSITORY, "prod", DEPLOY_PIN)
    _, sub = _sub(good)
    pin = f":job_workflow_ref:{WORKFLOWS_OF}/deploy-stack.yml@refs/heads/main"
    assert sub.endswith(pin)
    environment_only = sub.removesuffix(pin)
    loose = {
        "no workflow pin": environment_only,
        "any file": f"{environment_only}:job_workflow_ref:{WORKFLOWS_OF}/*@refs/heads/main",
        "any ref": f"{environment_only}:job_workflow_ref:{WORKFLOWS_OF}/deploy-stack.yml@*",
        "any branch": f"{environment_only}:job_workflow_ref:{WORKFLOWS_OF}/deploy-stack.yml"
        "@refs/heads/*",
        "anything after the environment": f"{environment_only}:*",
        "a wildcard before the pull request's number": f"{environment_only}:job_workflow_ref:"
        f"{WORKFLOWS_OF}/preview.yml@refs/*/merge",
        "another repository's workflow": f"{environment_only}:job_workflow_ref:"
        "other/repo/.github/workflows/deploy-stack.yml@refs/heads/main",
    }
    for case, value in loose.items():
        problems = trust_problems(_with_sub(good, value), REPOSITORY)
        assert problems, case
    assert any(
        "does not pin the workflow file" in p
        for p in trust_problems(_with_sub(good, environment_only, "StringEquals"), REPOSITORY)
    )
    # a pull request's number is the one part a subject may leave open
    preview = trust_policy(PROVIDER, REPOSITORY, "preview-prod", PREVIEW_PIN)
    assert _sub(preview) == (
        "StringLike",
        f"repo:{REPOSITORY}:environment:preview-prod:job_workflow_ref:"
        f"{WORKFLOWS_OF}/preview.yml@refs/pull/*/merge",
    )
    assert trust_problems(preview, REPOSITORY) == []


def test_a_trust_of_github_immutable_subjects_names_the_repository_by_its_ids():
    prefix = "repo:example-org@1234/accessweaver@5678"
    document = trust_policy(PROVIDER, REPOSITORY, "dev", DEPLOY_PIN, prefix)
    assert _sub(document)[1].startswith(f"{prefix}:environment:dev:job_workflow_ref:")
    assert trust_problems(document, REPOSITORY) == []
    assert trust_problems(document, "example-org/other") != []
    result = run_program(
        BOOTSTRAP,
        "dev",
        config_override={
            "accessweaver-bootstrap:githubImmutableSubject": json.dumps(
                {"ownerId": 1234, "repositoryId": 5678}
            )
        },
    )
    subs = {_sub(json.loads(r.inputs["assumeRolePolicy"]))[1] for r in result.of_type(ROLE)}
    assert len(subs) == 3 and all(s.startswith(f"{prefix}:") for s in subs)


@pytest.mark.parametrize("change", ["no sub", "no workflow pin"])
def test_the_policy_pack_refuses_a_planned_role_whose_trust_is_loose(change):
    result = bootstrap("dev")
    deploy = next(r for r in result.of_type(ROLE) if r.inputs["name"].endswith("-deploy"))
    trust = json.loads(deploy.inputs["assumeRolePolicy"])
    if change == "no sub":
        trust = _without(trust, SUB)
    else:
        operator, sub = _sub(trust)
        trust = _with_sub(trust, sub.split(":job_workflow_ref:")[0], operator)
    broken = dataclasses.replace(
        deploy, inputs={**deploy.inputs, "assumeRolePolicy": json.dumps(trust)}
    )
    changed = dataclasses.replace(
        result, resources=[broken if r is deploy else r for r in result.resources]
    )
    assert not any(v["control"].startswith("OIDC.1") for v in run_policies(result).mandatory)
    controls = {v["control"] for v in run_policies(changed).mandatory}
    assert any(c.startswith("OIDC.1") for c in controls), controls


# (resource name glob, parliament issue, detail fragment) -> why the finding is accepted.
DOCUMENTED = {
    ("*-ci-*", "UNKNOWN_FEDERATION_SOURCE", "oidc-provider/token.actions."): (
        "parliament knows four web identity providers and SAML by name (its statement.py); an "
        "OIDC provider of the account (`oidc-provider/<host>`) is what IAM's guide for GitHub "
        "OIDC prescribes"
    ),
    ("*-ci-*", "UNKNOWN_CONDITION_FOR_ACTION", "token.actions.githubusercontent.com:"): (
        "`<provider host>:aud` and `:sub` are the condition keys IAM gives every OIDC provider "
        "(IAM user guide, 'Available keys for AWS OIDC federation'), unknown to parliament"
    ),
    ("*-ci-deploy-policy", "RESOURCE_STAR", '["acm:AddTagsToCertificate"'): (
        "the ManagedServices statement: a deploy creates, changes and deletes every resource "
        "of the services the program manages (the bootstrap's own IAM.21 waiver, BootstrapSettings)"
    ),
    ("*-ci-boundary", "RESOURCE_STAR", '"ec2:GetManagedPrefixListEntries", "ecs:ListTasks"'): (
        "the boundary's NoResourceLevel statement: actions IAM takes on `*` only (Service "
        "Authorization Reference); the roles' own statements add their conditions (the FIS "
        "role's ecs:ListTasks only on its cluster, `ecs:cluster`)"
    ),
    ("*-ci-faults-policy", "RESOURCE_STAR", '["fis:ListExperimentTemplates"]'): (
        "ListExperimentTemplates takes no resource-level permission (Service Authorization "
        "Reference, AWS FIS); what the faults role may start is scoped by the templates' tags"
    ),
    ("*-ci-faults-policy", "RESOURCE_MISMATCH", '"fis:StartExperiment"'): (
        "StartExperiment authorizes two resources, the template and the new experiment; one "
        "statement allows each (IAM requires every resource of a request to be allowed, by any "
        "statement), so the template's tag condition is not asked of the experiment, which has "
        "no tags yet; parliament expects both formats in one statement"
    ),
    ("*-ci-deploy-policy", "RESOURCE_STAR", '["kms:TagResource"]'): (
        "tags added by CreateKey are authorized by a TagResource permission 'not restricted to "
        "particular KMS keys' (KMS developer guide, 'Controlling access to tags'); the request "
        "tags scope it and KmsNoAdoptionBy* denies it on every existing key outside the scope"
    ),
    ("*-key", "RESOURCE_MISMATCH", "kms:CreateAlias"): (
        "the account's `kms:*` in a key policy (KMS's default statement), as in "
        "tests/test_iam_parliament.py"
    ),
}


def _accepted(resource: RecordedResource, issue: str, detail: str) -> bool:
    return any(
        fnmatch.fnmatchcase(resource.name, name) and issue == known and fragment in detail
        for name, known, fragment in DOCUMENTED
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_bootstrap_policy_document_passes_parliament_or_has_a_documented_reason(stack):
    result = bootstrap(stack)
    documents = [(r, p, t) for r in result.resources for p, t in policy_documents(r)]
    assert len(documents) >= 4
    found = [
        (r.name, path, issue, detail)
        for r, path, text in documents
        for issue, detail in findings(r, path, text)
        if not _accepted(r, issue, detail)
    ]
    assert found == []


def test_parliament_flags_a_tag_scoped_statement_left_on_every_resource():
    """The check above can fail: the same statement on `*` is a finding no reason covers."""
    result = bootstrap("dev")
    (policy,) = [p for p in result.of_type(ROLE_POLICY) if p.name.endswith("-deploy-policy")]
    document = json.loads(policy.inputs["policy"])
    for statement in document["Statement"]:
        if statement.get("Sid") == "IamPassBounded":
            statement["Resource"] = "*"
    found = findings(policy, "policy", json.dumps(document))
    assert [f for f in found if not _accepted(policy, *f)]


# -- the workflows assume only the bootstrap's roles ----------------------------------------------


def _workflows() -> dict[str, dict[str, Any]]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in (ROOT / ".github" / "workflows").glob("*.yml")
    }


def _triggers(doc: dict[str, Any]) -> set[str]:
    on = doc.get("on", doc.get(True))  # PyYAML reads the bare key `on` as True
    return {on} if isinstance(on, str) else set(on)


def _workflow_roles() -> set[tuple[str, str, str, str]]:
    """(GitHub environment, variable, workflow file, ref) of every role a workflow job
    assumes: the file is the one holding the job (for a reusable workflow, the called file:
    GitHub's `job_workflow_ref`), the ref a pull request's merge ref when the run is a pull
    request's, else main (pushes to main, schedules, calls from those); a reusable workflow's
    job runs for the stacks its callers pass it (`with: {stack: ...}`)."""
    workflows = _workflows()
    called: dict[str, list[str]] = {}
    callers: dict[str, set[str]] = {}
    for caller, doc in workflows.items():
        for job in doc["jobs"].values():
            if "uses" in job:
                file = job["uses"].split(" ")[0].rsplit("/", 1)[-1]
                called.setdefault(file, []).append(job["with"]["stack"])
                callers.setdefault(file, set()).add(caller)
    found: set[tuple[str, str, str, str]] = set()
    for name, doc in workflows.items():
        events = set().union(
            _triggers(doc), *(_triggers(workflows[c]) for c in callers.get(name, ()))
        )
        ref = "refs/pull/*/merge" if "pull_request" in events else "refs/heads/main"
        for job in doc["jobs"].values():
            environment = job.get("environment")
            stacks = job.get("strategy", {}).get("matrix", {}).get("stack") or called.get(
                name, [None]
            )
            for step in job.get("steps", []):
                role = step.get("with", {}).get("role-to-assume")
                if role is None:
                    continue
                (variable,) = re.findall(r"vars\.(\w+)", role)
                for stack in stacks:
                    resolved = environment
                    for template in ("${{ matrix.stack }}", "${{ inputs.stack }}"):
                        resolved = resolved.replace(template, stack or "")
                    found.add((resolved, variable, name, ref))
    return found


def test_every_role_the_workflows_assume_is_created_by_the_bootstrap_project():
    """Each role's trust admits exactly the workflow file and ref of the job that assumes it:
    a workflow moved or renamed without its role is caught here, not at the first deploy."""
    assumed = _workflow_roles()
    assert {e for e, *_ in assumed} == {
        *STACKS,
        *(f"preview-{s}" for s in STACKS),
        *(f"drift-{s}" for s in STACKS),
        *(f"faults-{s}" for s in FAULT_STACKS),
    }
    assert {(f, r) for *_, f, r in assumed} == {
        ("deploy-stack.yml", "refs/heads/main"),
        ("drift.yml", "refs/heads/main"),
        ("preview.yml", "refs/pull/*/merge"),
        ("faults.yml", "refs/heads/main"),
    }
    for github_environment, variable, file, ref in assumed:
        stack = github_environment.split("-")[-1]
        result = bootstrap(stack)
        arn = result.outputs["github_environments"][github_environment][variable]
        (role,) = [r for r in result.of_type(ROLE) if arn.endswith(f":role/{r.inputs['name']}")]
        _, sub = _sub(json.loads(role.inputs["assumeRolePolicy"]))
        assert sub == (
            f"repo:{REPOSITORY}:environment:{github_environment}:job_workflow_ref:"
            f"{WORKFLOWS_OF}/{file}@{ref}"
        )
        # previews (pull-request code) get the read-only role, never the deploy role
        kind = github_environment.split("-")[0] if "-" in github_environment else "deploy"
        assert role.inputs["name"] == f"accessweaver-{stack}-{kind}"


def test_the_preview_role_is_read_only_and_reads_no_data():
    result = bootstrap("staging")
    attachments = result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert {a.inputs["policyArn"] for a in attachments if "preview" in a.name} == {
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    }
    document = role_policy(result, "preview")
    (deny,) = statements(document, "NoDataReads")
    assert deny["Effect"] == "Deny"
    assert {"s3:GetObject", "secretsmanager:GetSecretValue", "ssm:GetParameter"} <= set(
        deny["Action"]
    )
    # ... but its own stack's state, which the deny leaves out
    state = _state("accessweaver", "staging")
    assert all(any(fnmatch.fnmatchcase(a, p) for p in deny["NotResource"]) for a in state)
    assert not any(
        fnmatch.fnmatchcase(f"arn:aws:s3:::accessweaver-staging-documents-x/{k}", p)
        for k in ("a.pdf", ".pulumi/stacks/accessweaver/staging.json")
        for p in deny["NotResource"]
    )
    writes = [
        action
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
        if action.split(":")[1].startswith(("Put", "Delete", "Create", "Encrypt", "Update"))
    ]
    # `pulumi preview` takes no lock (pulumi/pulumi pkg/backend/diy/backend.go): no write at all
    assert writes == []
    assert statements(document, "StateWrite") == []


# -- what the deploy role may do --------------------------------------------------------------


def test_the_deploy_role_manages_every_service_the_program_registers(plan):
    from tests.test_ca_a2a import ca_a2a

    types = {r.type for stack in STACKS for r in plan(stack).resources}
    types |= {r.type for stack in ("dev", "prod") for r in ca_a2a(stack).resources}
    modules = {t.split(":")[1].split("/")[0] for t in types if t.startswith("aws:")}
    # IAM has its own, tag-scoped statements; every other module is listed
    assert modules - {"iam"} <= set(SERVICES_OF_MODULE), modules - set(SERVICES_OF_MODULE)
    # and the list holds nothing the program does not register, but SSM: no stack registers a
    # parameter any more, and the deploy job still writes the release record there
    # (tools/release.py) and the platform setup task dev's generated values
    assert set(SERVICES_OF_MODULE) - {"ssm"} <= modules
    # the IAM the program writes is what the tag-scoped statements cover, and the managed
    # policies it attaches are the two the deploy role may attach
    assert {t for t in types if t.startswith("aws:iam/")} <= {
        ROLE,
        ROLE_POLICY,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    }
    attached = {
        r.inputs["policyArn"]
        for stack in STACKS
        for r in plan(stack).of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached and attached <= set(ATTACHABLE)
    document = role_policy(bootstrap("dev"), "deploy")
    (managed,) = statements(document, "ManagedServices")
    assert (
        {a.removesuffix(":*") for a in managed["Action"]}
        == (services_of(types) - TAG_SCOPED) | {"ssm"}
        == set(MANAGED_SERVICES) - TAG_SCOPED
    )


def test_the_drift_role_reads_no_secret_value_either():
    """A refresh reads nothing secret back (no generated value is in the state), so the drift
    role denies every data read, as the preview role does."""
    from accessweaver_components.bootstrap.data_reads import DATA_READS

    document = role_policy(bootstrap("prod"), "drift")
    assert statements(document, "RefreshSecrets") == statements(document, "RefreshParameters") == []
    for action in ("secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters"):
        assert action in DATA_READS
        for arn in (
            "arn:aws:secretsmanager:eu-west-1:333333333333:secret:accessweaver/prod/jwt-signing-key-AbCdEf",
            "arn:aws:ssm:eu-west-1:333333333333:parameter/accessweaver/prod/database/x",
        ):
            assert _denied(document, action, arn), (action, arn)
    # `pulumi preview --refresh` takes no lock (pulumi/pulumi pkg/backend/diy/backend.go)
    assert statements(document, "StateWrite") == []


def test_the_deploy_role_changes_only_roles_and_keys_tagged_as_the_programs():
    document = role_policy(bootstrap("prod"), "deploy")
    (create,) = statements(document, "IamCreateBounded")
    assert create["Condition"]["StringEquals"] == {
        "aws:RequestTag/Project": "accessweaver",
        "aws:RequestTag/Environment": "prod",
        "aws:RequestTag/PermissionsBoundary": "accessweaver-prod-boundary",
    }
    (manage,) = statements(document, "IamManageBounded")
    assert manage["Condition"]["StringEquals"]["aws:ResourceTag/Environment"] == "prod"
    # an update sends only the changed tags: TagRole on the program's own roles needs no
    # request tags
    assert "iam:TagRole" in manage["Action"]
    # PassRole: the path, the receiving services and the boundary's tag
    (passing,) = statements(document, "IamPassBounded")
    assert set(passing["Condition"]["StringEquals"]) == {
        "iam:PassedToService",
        "aws:ResourceTag/PermissionsBoundary",
    }
    (deny,) = statements(document, "ProtectTheBootstrap")
    assert deny["Effect"] == "Deny" and deny["Action"] == "iam:*"
    assert "arn:aws:iam::*:role/accessweaver-prod-deploy" in deny["Resource"]
    # the secrets provider's alias cannot be repointed at a key of the deploy role's making
    secrets_alias = "arn:aws:kms:*:*:alias/accessweaver-prod-secrets"
    for action in ("kms:UpdateAlias", "kms:DeleteAlias"):
        assert _denied(document, action, secrets_alias)
    # the bootstrap's keys carry the program's tags: the deny names them, the state key too
    result = bootstrap("prod")
    keys = {k.name for k in result.of_type(KEY)}
    assert keys == {"accessweaver-prod-ci-secrets-key", "accessweaver-state-key"}
    (key_deny,) = statements(document, "ProtectTheBootstrapKeys")
    bootstrap_keys = [arn for arn in key_deny["Resource"] if ":alias/" not in arn]
    assert len(bootstrap_keys) == 2
    own = {"aws:ResourceTag/Project": "accessweaver", "aws:ResourceTag/Environment": "prod"}
    for arn in bootstrap_keys:
        for action in ("kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:TagResource"):
            assert _denied(document, action, arn, own), (action, arn)
    assert not any(a.startswith("iam:") and a.endswith("*") and "Get" not in a
                   for a in _allowed(document))  # fmt: skip


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_and_key_the_program_creates_carries_the_tags_the_deploy_role_needs(plan, stack):
    """The deploy role creates roles and keys only with these tags, and changes only those
    that carry them: a role or key without them would fail on a real `pulumi up`."""
    document = role_policy(bootstrap(stack), "deploy")
    (aliases,) = statements(document, "KmsAliases")
    result = plan(stack)
    for resource in [*result.of_type(ROLE), *result.of_type(KEY)]:
        tags = resource.inputs.get("tags") or {}
        assert (tags.get("Project"), tags.get("Environment")) == ("accessweaver", stack), (
            resource.name
        )
    for alias in result.of_type("aws:kms/alias:Alias"):
        assert admits(aliases, f"arn:aws:kms:eu-west-1:111111111111:{alias.inputs['name']}")


@pytest.mark.parametrize("stack", STACKS)
def test_the_deploy_role_reaches_the_programs_roles_by_their_path_and_no_other_role(plan, stack):
    document = role_policy(bootstrap(stack), "deploy")
    scoped = [
        s
        for s in document["Statement"]
        if s["Effect"] == "Allow"
        and s["Sid"] in ("IamCreateBounded", "IamManageBounded", "IamPassBounded")
    ]
    assert len(scoped) == 3
    roles = plan(stack).of_type(ROLE)
    assert roles
    for role in roles:
        assert role.inputs["path"] == f"/accessweaver/{stack}/", role.name
        arn = f"arn:aws:iam::111111111111:role/accessweaver/{stack}/{role.name}-0a1b2c3"
        assert all(admits(statement, arn) for statement in scoped)
    for elsewhere in (
        "arn:aws:iam::111111111111:role/Admin",
        f"arn:aws:iam::111111111111:role/accessweaver-{stack}-deploy",
        f"arn:aws:iam::111111111111:role/accessweaver/{'prod' if stack != 'prod' else 'dev'}/x",
    ):
        assert not any(admits(statement, elsewhere) for statement in scoped), elsewhere


def _allowed(document: dict[str, Any]) -> list[str]:
    return [a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]]


# -- the state: one bucket, each account its own stacks ----------------------------------------


def _state(project: str, stack: str) -> list[str]:
    root = f"arn:aws:s3:::{STATE_BUCKET}/.pulumi"
    return [
        f"{root}/stacks/{project}/{stack}.json",
        f"{root}/stacks/{project}/{stack}.json.bak",
        f"{root}/history/{project}/{stack}/{stack}-1700000000.history.json",
        f"{root}/locks/organization/{project}/{stack}/6f1e.json",
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_each_deploy_role_writes_only_its_own_stacks_state(stack):
    (write,) = statements(role_policy(bootstrap(stack), "deploy"), "StateWrite")
    assert all(admits(write, arn) for arn in _state("accessweaver", stack))
    for other in set(STACKS) - {stack}:
        assert not any(admits(write, arn) for arn in _state("accessweaver", other))
    assert not any(admits(write, arn) for arn in _state("accessweaver-bootstrap", stack))


def _denied(
    document: dict[str, Any], action: str, arn: str, context: dict[str, Any] | None = None
) -> bool:
    """An explicit deny of `document` covers `action` on `arn` (tests/iam_eval.py), for a
    request with `context` (none: a direct request, not through an access point)."""
    return denies(document, action, arn, context or {})


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_the_prod_deploy_role_keeps_to_its_own_state_in_the_buckets_own_account():
    """In prod's account `s3:*` (ManagedServices) reaches the state bucket: denies keep the
    deploy role to its own stack's objects, as the bucket policy does for the other accounts."""
    result = bootstrap("prod")
    document = role_policy(result, "deploy")
    bucket = f"arn:aws:s3:::{STATE_BUCKET}"
    for arn in _state("accessweaver", "prod"):
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            assert not _denied(document, action, arn), (action, arn)
    assert not _denied(document, "s3:GetObject", f"{bucket}/.pulumi/meta.yaml")
    assert not _denied(document, "s3:ListBucket", bucket)
    for other in ("dev", "staging"):
        for arn in _state("accessweaver", other):
            assert _denied(document, "s3:PutObject", arn) and _denied(document, "s3:GetObject", arn)
    for arn in _state("accessweaver-bootstrap", "prod"):
        assert _denied(document, "s3:PutObject", arn)
    for action in ("s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:DeleteBucket"):
        assert _denied(document, action, bucket), action
    assert _denied(
        document, "s3:DeleteObjectVersion", f"{bucket}/.pulumi/stacks/accessweaver/prod.json"
    )
    assert _denied(document, "s3:PutObject", f"{bucket}/.pulumi/meta.yaml")
    # the program's own buckets stay manageable
    assert not _denied(document, "s3:PutBucketPolicy", "arn:aws:s3:::accessweaver-prod-documents-x")
    (logs,) = statements(document, "StateAccessLogs")
    assert any("state-access-logs" in arn for arn in logs["Resource"])
    # IAM's limits (whitespace excluded): an inline policy, 10,240 characters; the denies, in
    # a managed policy of their own attached to the role, 6,144
    for stack in STACKS:
        planned = bootstrap(stack)
        (inline,) = [p for p in planned.of_type(ROLE_POLICY) if p.name.endswith("-deploy-policy")]
        (guards,) = [p for p in planned.of_type("aws:iam/policy:Policy") if "guards" in p.name]
        assert len(json.dumps(json.loads(inline.inputs["policy"]), separators=(",", ":"))) < 10_240
        assert len(json.dumps(json.loads(guards.inputs["policy"]), separators=(",", ":"))) < 6_144
        assert all(s["Effect"] == "Deny" for s in json.loads(guards.inputs["policy"])["Statement"])


def test_the_drift_role_reads_no_object_but_its_state():
    document = role_policy(bootstrap("staging"), "drift")
    bucket = f"arn:aws:s3:::{STATE_BUCKET}"
    assert not _denied(
        document, "s3:GetObject", f"{bucket}/.pulumi/stacks/accessweaver/staging.json"
    )
    assert _denied(document, "s3:GetObject", f"{bucket}/.pulumi/stacks/accessweaver/prod.json")
    assert _denied(document, "s3:GetObject", "arn:aws:s3:::accessweaver-staging-documents-x/a.pdf")


def test_the_state_bucket_admits_each_account_to_its_own_stacks_only():
    result = bootstrap("prod")
    (policy,) = [
        p for p in result.of_type("aws:s3/bucketPolicy:BucketPolicy") if "state-policy" in p.name
    ]
    document = json.loads(policy.inputs["policy"])
    accounts = {"dev": "111111111111", "staging": "222222222222"}
    for stack, account in accounts.items():
        (grant,) = [
            s
            for s in document["Statement"]
            if s["Effect"] == "Allow" and s["Principal"]["AWS"] == f"arn:aws:iam::{account}:root"
        ]
        for project in ("accessweaver", "accessweaver-bootstrap"):
            assert all(admits(grant, arn) for arn in _state(project, stack))
        for other in set(STACKS) - {stack}:
            assert not any(admits(grant, arn) for arn in _state("accessweaver", other))
    tls, access_points = [s for s in document["Statement"] if s["Effect"] == "Deny"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert access_points["Condition"] == {"Null": {"s3:DataAccessPointArn": "false"}}
    # the backend's meta.yaml: the other accounts read it, only the bucket's account writes it
    (meta,) = statements(document, "EnvironmentAccountsReadMeta")
    assert meta["Action"] == "s3:GetObject"
    for grant in document["Statement"]:
        if grant["Effect"] == "Allow" and "PutObject" in json.dumps(grant):
            assert not admits(grant, f"arn:aws:s3:::{STATE_BUCKET}/.pulumi/meta.yaml")


def test_the_state_bucket_is_versioned_encrypted_private_logged_and_protected():
    result = bootstrap("prod")
    (bucket,) = [b for b in result.of_type(BUCKET) if b.inputs.get("bucket") == STATE_BUCKET]
    assert bucket.protect

    def on(type_: str) -> RecordedResource:
        (found,) = [r for r in result.of_type(type_) if r.name.startswith("accessweaver-state-")
                    and not r.name.startswith("accessweaver-state-access-logs")]  # fmt: skip
        return found

    versioning = on("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    encryption = on(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    (rule,) = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith("arn:aws:kms:")
    block = on("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    logging = on("aws:s3/bucketLogging:BucketLogging")
    assert logging.inputs["targetPrefix"] == "state/"
    assert "accessweaver-state-access-logs" in logging.property_dependencies["targetBucket"][0]


def _broken(result: PlanResult, match, **changes: Any) -> PlanResult:
    resources = []
    for r in result.resources:
        if match(r):
            r = dataclasses.replace(r, **changes)
        resources.append(r)
    return dataclasses.replace(result, resources=resources)


def test_the_policy_pack_covers_the_state_bucket_and_the_keys():
    result = bootstrap("prod")
    assert run_policies(result).mandatory == []

    def is_state_bucket(r: RecordedResource) -> bool:
        return r.type == BUCKET and r.inputs.get("bucket") == STATE_BUCKET

    def controls(changed: PlanResult) -> set[str]:
        return {v["control"] for v in run_policies(changed).violations}

    unprotected = _broken(result, is_state_bucket, protect=False)
    assert "REL.7" in controls(unprotected)
    keys = [k for k in result.of_type(KEY)]
    no_rotation = _broken(
        result,
        lambda r: r is keys[0],
        inputs={**keys[0].inputs, "enableKeyRotation": False},
    )
    assert "KMS.4" in controls(no_rotation)
    versioning = next(
        r for r in result.of_type("aws:s3/bucketVersioning:BucketVersioning") if "state" in r.name
    )
    unversioned = _broken(
        result,
        lambda r: r is versioning,
        inputs={**versioning.inputs, "versioningConfiguration": {"status": "Suspended"}},
    )
    assert controls(unversioned) - controls(result)


# -- bad bootstrap config: every problem at once, nothing registered ---------------------------


def refused_bootstrap(raw: dict[str, Any], stack_file: str = "Pulumi.prod.yaml") -> ConfigError:
    """The error a bootstrap stack file `raw` (in eu-west-1) is refused with."""
    with pytest.raises(ConfigError) as caught:
        bootstrap_settings(
            raw, region="eu-west-1", stack_file=stack_file, namespace="accessweaver-bootstrap"
        )
    return caught.value


def test_bad_bootstrap_config_is_refused_with_every_problem_named():
    raw = {
        "environment": "prod",
        "githubRepository": REPOSITORY,
        "pullFromAccountIds": ["2222"],
        "stateBackend": {"create": True, "accounts": {"dev": "11111111111x"}},
    }
    refused = refused_bootstrap(raw)
    text = str(refused)
    assert "Pulumi.prod.yaml" in text
    for expected in (
        "accessweaver-bootstrap:pullFromAccountIds[0] = '2222'",
        "accessweaver-bootstrap:stateBackend.accounts.dev = '11111111111x'",
        "accessweaver-bootstrap:stateBackend.bucket = (missing)",
        "accessweaver-bootstrap:promoteFromStack",
    ):
        assert expected in text, text
    assert len(refused.issues) == 4


def test_a_bad_bootstrap_stack_file_registers_nothing(tmp_path):
    broken = tmp_path / "Pulumi.dev.yaml"
    text = (BOOTSTRAP / "Pulumi.dev.yaml").read_text()
    broken.write_text(
        text.replace("githubRepository: example-org/accessweaver", "githubRepository: nope")
    )
    with pytest.raises(ConfigError) as caught:
        run_program(BOOTSTRAP, "dev", broken)
    assert "accessweaver-bootstrap:githubRepository = 'nope'" in str(caught.value)


# -- the main stack files agree with the bootstrap ------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_each_main_stack_runs_in_its_bootstraps_account_with_its_secrets_key(stack):
    main = ROOT / f"Pulumi.{stack}.yaml"
    assert allowed_accounts(main) == allowed_accounts(BOOTSTRAP / f"Pulumi.{stack}.yaml")
    assert stack_file(main)["secretsprovider"] == bootstrap(stack).outputs["secrets_provider"]


def test_the_three_stacks_live_in_three_accounts():
    accounts = [tuple(allowed_accounts(ROOT / f"Pulumi.{s}.yaml")) for s in STACKS]
    assert len(set(accounts)) == 3


def test_images_are_promoted_across_accounts_by_policies_both_sides_create(plan):
    """staging pulls from dev's repositories and prod from staging's: the source's repository
    policy admits the next account, the next account's deploy role may pull them."""
    for source, target in (("dev", "staging"), ("staging", "prod")):
        (source_account,) = allowed_accounts(ROOT / f"Pulumi.{source}.yaml")
        (target_account,) = allowed_accounts(ROOT / f"Pulumi.{target}.yaml")
        config = plan(target).outputs["cicd_deployment_config"]
        assert config["promote_from"].startswith(f"{source_account}.dkr.ecr.eu-west-1.")
        assert config["promote_from"].endswith(f"/accessweaver-{source}")
        policies = plan(source).of_type("aws:ecr/repositoryPolicy:RepositoryPolicy")
        repositories = plan(source).of_type("aws:ecr/repository:Repository")
        assert len(policies) == len(repositories) > 0
        for policy in policies:
            (grant,) = json.loads(policy.inputs["policy"])["Statement"]
            assert grant["Principal"] == {"AWS": [f"arn:aws:iam::{target_account}:root"]}
            assert set(grant["Action"]) == {
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            }
        (pull,) = statements(role_policy(bootstrap(target), "deploy"), "PullPromotedImages")
        for service in config["services"].values():
            if service["promote_from"] is not None:
                repository = service["promote_from"].split("/", 1)[1]
                arn = f"arn:aws:ecr:eu-west-1:{source_account}:repository/{repository}"
                assert admits(pull, arn), arn
    # prod is the last stack: nobody pulls from it
    assert plan("prod").of_type("aws:ecr/repositoryPolicy:RepositoryPolicy") == []


# -- the components on their own arguments ----------------------------------------------------


def _ci_roles(**changes: Any) -> PlanResult:
    from accessweaver_components.bootstrap.roles import CiRoles, CiRolesArgs
    from tools.engine import run_function

    arguments = {
        "project": "shop",
        "environment": "qa",
        "repository": "acme/shop",
        "services": ("ecs", "ec2"),
        "deploy_environment": "qa",
        "preview_environment": "preview-qa",
        "drift_environment": "drift-qa",
        "region": "eu-central-1",
        **changes,
    }
    return run_function(lambda: CiRoles("shop-qa-ci", CiRolesArgs(**arguments)), project="shop")


def test_ci_roles_work_in_another_program_from_their_own_arguments():
    result = _ci_roles()
    names = {r.inputs["name"] for r in result.of_type(ROLE)}
    assert names == {"shop-qa-preview", "shop-qa-drift", "shop-qa-deploy"}
    (key,) = result.of_type(KEY)
    assert key.protect and key.inputs["enableKeyRotation"]
    for role in result.of_type(ROLE):
        assert trust_problems(json.loads(role.inputs["assumeRolePolicy"]), "acme/shop") == []


def test_ci_roles_refuse_a_wildcard_repository_or_a_shared_environment():
    with pytest.raises(ValueError, match="does not name one repository"):
        _ci_roles(repository="acme/*")
    with pytest.raises(ValueError, match="a GitHub environment of its own"):
        _ci_roles(drift_environment="preview-qa")


def test_role_path_comes_from_the_project_and_environment_tags():
    from accessweaver_components.iam_path import role_path

    assert role_path({"Project": "accessweaver", "Environment": "dev"}) == "/accessweaver/dev/"
    # a component used without those tags keeps IAM's default path
    assert role_path({}) == "/" and role_path({"Project": "x"}) == "/"
    assert role_path({"Project": "a/b", "Environment": "dev"}) == "/"


# -- the permissions boundary -----------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_of_the_stack_carries_the_bootstraps_boundary(plan, stack):
    """The deploy role creates no role without the boundary: a role of the stack without it
    would fail on a real `pulumi up`."""
    boundary = bootstrap(stack).outputs["permissions_boundary_arn"]
    (account,) = allowed_accounts(ROOT / f"Pulumi.{stack}.yaml")
    expected = re.sub(r"::\d{12}:", f"::{account}:", boundary)
    configured = stack_file(ROOT / f"Pulumi.{stack}.yaml")["config"][
        "accessweaver:permissionsBoundaryArn"
    ]
    assert configured == expected
    roles = plan(stack).of_type(ROLE)
    assert roles and {r.inputs.get("permissionsBoundary") for r in roles} == {configured}
    document = role_policy(bootstrap(stack), "deploy")
    (create,) = statements(document, "IamCreateBounded")
    assert create["Action"] == ["iam:CreateRole"]
    assert create["Condition"]["ArnEquals"]["iam:PermissionsBoundary"] == boundary
    (stays,) = statements(document, "BoundaryStays")
    assert stays["Action"] == ["iam:DeleteRolePermissionsBoundary"]
    # ... and the boundary cuts nothing the program's roles are given: no IAM, except passing
    # a task's own roles to ECS (a scheduled task's Scheduler role), which the boundary allows
    statements_ = [
        statement
        for policy in plan(stack).of_type(ROLE_POLICY)
        for statement in json.loads(policy.inputs["policy"])["Statement"]
    ]
    actions = {action for statement in statements_ for action in _list(statement["Action"])}
    assert actions and not {
        a
        for a in actions
        if a.split(":")[0] in ("iam", "organizations", "account") and a != "iam:PassRole"
    }
    for statement in statements_:
        if "iam:PassRole" in _list(statement["Action"]):
            passed = statement["Condition"]["StringEquals"]["iam:PassedToService"]
            assert passed == "ecs-tasks.amazonaws.com"
            assert all(
                fnmatch.fnmatchcase(r, f"arn:aws:iam::*:role/accessweaver/{stack}/*")
                for r in resources_of(statement)
            )
    # ... and every one carries the boundary's tag, which only CreateRole may set
    name = configured.rsplit("/", 1)[-1]
    assert {r.inputs["tags"].get("PermissionsBoundary") for r in roles} == {name}


def test_the_boundary_is_the_bootstraps_policy_under_the_programs_path():
    result = bootstrap("prod")
    policy = boundary_of(result)
    assert policy.inputs["path"] == "/accessweaver/prod/"
    assert policy.inputs["name"] == "accessweaver-prod-boundary"
    document = json.loads(policy.inputs["policy"])
    (keys,) = statements(document, "NoBootstrapKeys")
    assert keys["Effect"] == "Deny" and len(keys["Resource"]) == 2  # secrets key, state key
    (state,) = statements(document, "NoState")
    assert state["Resource"] == [
        f"arn:aws:s3:::{STATE_BUCKET}",
        f"arn:aws:s3:::{STATE_BUCKET}/*",
    ]
    # a customer managed policy holds at most 6,144 characters (IAM quotas)
    assert len(json.dumps(document, separators=(",", ":"))) < 6_144


def test_a_boundary_of_another_account_is_refused():
    from tests.test_accounts import committed, load

    _, allowed = committed("staging")
    with pytest.raises(ConfigError) as caught:
        load(
            "staging",
            allowed,
            permissionsBoundaryArn="arn:aws:iam::111111111111:policy/accessweaver/staging/b",
        )
    (issue,) = caught.value.issues
    assert issue.path == "permissionsBoundaryArn" and "222222222222" in issue.allowed
    with pytest.raises(ConfigError) as caught:
        load("staging", allowed, permissionsBoundaryArn="accessweaver-staging-boundary")
    assert "IAM managed policy ARN" in caught.value.issues[0].allowed


def test_previews_and_drift_checks_read_the_release_record_and_no_other_parameter_path():
    # Every run reads the stack's release record by path (components/stack/release.py); the
    # path holds image digests only. Any other path, the stack's secrets' included, stays shut.
    result = bootstrap("staging")
    record = "arn:aws:ssm:eu-west-1:222222222222:parameter/accessweaver/staging/release"
    secrets = "arn:aws:ssm:eu-west-1:222222222222:parameter/accessweaver/staging"
    for role in ("preview", "drift"):
        document = role_policy(result, role)
        (read,) = statements(document, "ReleaseRecord")
        assert read["Action"] == ["ssm:GetParametersByPath"] and admits(read, record)
        assert not admits(read, secrets)
    preview = role_policy(result, "preview")
    assert not _denied(preview, "ssm:GetParametersByPath", record)
    assert _denied(preview, "ssm:GetParametersByPath", secrets)
    assert _denied(preview, "ssm:GetParameter", f"{secrets}/jwt-signing-key")
