"""The destructive-change guard on recorded `pulumi preview --json` outputs and recorded GitHub
API answers (tests/preview_guard/: hand-written in the real formats, see docs/DESIGN.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import preview_guard
from tools.preview_guard import approval, destructive_steps, main, merged_pull_request

DATA = Path(__file__).with_name("preview_guard")
AUTHOR = "alice-author"


def load(name: str):
    return json.loads((DATA / name).read_text())


def check(preview: str, labels: str, events: str, permission: str | None, tmp_path: Path):
    args = ["check", "--preview", str(DATA / preview), "--stack", "prod", "--author", AUTHOR,
            "--labels", str(DATA / labels), "--events", str(DATA / events),
            "--summary", str(tmp_path / "summary.md")]  # fmt: skip
    if permission:
        args += ["--permission", str(DATA / permission)]
    return main(args), (tmp_path / "summary.md").read_text()


# -------------------------------------------------------------------------------------------
# What the guard stops on
# -------------------------------------------------------------------------------------------


def test_deleting_a_service_and_its_log_group_is_destructive():
    found = destructive_steps(load("preview-delete-service.json"))
    assert [(s.op, s.name, s.holds) for s in found] == [
        ("delete", "aw-audit-service-service", "ECS service"),
        ("delete", "aw-audit-service-logs", "log group"),
    ]  # the target group and the component are deleted too, but hold nothing


def test_replacing_the_database_is_one_destructive_change_with_its_reason():
    """A replacement is three steps of one URN (create-replacement, replace, delete-replaced)."""
    (found,) = destructive_steps(load("preview-replace-database.json"))
    assert (found.op, found.reasons, found.holds) == ("replace", ("dbName",), "database")


def test_regenerating_a_password_replaces_it_and_the_secret_version_holding_it():
    found = destructive_steps(load("preview-regenerate-password.json"))
    assert [(s.holds, s.reasons) for s in found] == [
        ("generated password", ("length",)),
        ("secret value", ("secretString",)),
    ]


def test_updates_and_a_replaced_task_definition_pass():
    preview = load("preview-update.json")
    assert destructive_steps(preview) == []
    assert main(["check", "--preview", str(DATA / "preview-update.json"), "--stack", "prod"]) == 0


def test_the_type_comes_from_the_urn_when_a_step_has_no_state():
    step = {"op": "delete", "urn": "urn:pulumi:dev::app::a:b:C$aws:sqs/queue:Queue::jobs"}
    assert [s.holds for s in destructive_steps({"steps": [step]})] == ["queue"]
    assert destructive_steps({"steps": [{**step, "op": "discard"}]}) == []


# -------------------------------------------------------------------------------------------
# Who may approve
# -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "events", "permission", "approved", "reason"),
    [
        ("labels-approved.json", "events-maintainer.json", "permission-maria.json", True,
         "approved by @maria-maintainer (maintain)"),
        ("labels-approved.json", "events-author.json", "permission-alice.json", False,
         "added by the pull request's author"),
        ("labels-approved.json", "events-bot.json", None, False, "added by a bot or an app"),
        ("labels-approved.json", "events-triager.json", "permission-tom.json", False,
         "has triage permission only"),
        # The label was removed by the reset job after a push: the approval is gone.
        ("labels-none.json", "events-reset-after-push.json", "permission-maria.json", False,
         "has no `approve-destructive-change` label"),
        # The latest labeled event counts: the author's own label removed, a maintainer's added.
        ("labels-approved.json", "events-relabeled.json", "permission-maria.json", True,
         "approved by @maria-maintainer"),
        # A permission record of someone else than the labeler proves nothing.
        ("labels-approved.json", "events-maintainer.json", "permission-alice.json", False,
         "no permission record for maria-maintainer"),
    ],
)  # fmt: skip
def test_approval(labels, events, permission, approved, reason):
    decision = approval(
        load(labels), load(events), load(permission) if permission else None, AUTHOR
    )
    assert decision.approved is approved and reason in decision.reason


@pytest.mark.parametrize(
    ("preview", "labels", "events", "permission", "code"),
    [
        ("preview-delete-service.json", "labels-approved.json", "events-maintainer.json",
         "permission-maria.json", 0),
        ("preview-delete-service.json", "labels-approved.json", "events-author.json",
         "permission-alice.json", 4),
        ("preview-replace-database.json", "labels-approved.json", "events-bot.json", None, 4),
        ("preview-replace-database.json", "labels-approved.json", "events-maintainer.json",
         "permission-maria.json", 0),
        ("preview-regenerate-password.json", "labels-none.json",
         "events-reset-after-push.json", "permission-maria.json", 4),
        ("preview-update.json", "labels-none.json", "events-author.json", None, 0),
    ],
)  # fmt: skip
def test_check_exit_codes(preview, labels, events, permission, code, tmp_path):
    assert check(preview, labels, events, permission, tmp_path)[0] == code


def test_the_summary_lists_each_change_and_says_how_to_approve(tmp_path):
    code, text = check("preview-replace-database.json", "labels-none.json",
                       "events-reset-after-push.json", None, tmp_path)  # fmt: skip
    assert code == preview_guard.EXIT_DESTRUCTIVE
    assert text.startswith("### Destructive-change guard: stack `prod`")
    assert "Preview: 2 replace, 263 same, 1 update." in text
    assert (
        "| replace | `accessweaver-prod-database-instance` | `aws:rds/instance:Instance` | "
        "database | `dbName` |"
    ) in text
    assert "**Blocked** (the pull request has no `approve-destructive-change` label)" in text
    _, approved = check("preview-replace-database.json", "labels-approved.json",
                        "events-maintainer.json", "permission-maria.json", tmp_path)  # fmt: skip
    assert "**Approved**: approved by @maria-maintainer (maintain) at 2026-03-02T10:15" in approved
    _, quiet = check(
        "preview-update.json", "labels-none.json", "events-author.json", None, tmp_path
    )
    assert "No stateful resource or ECS service is deleted or replaced." in quiet


def test_approver_names_whose_permission_to_fetch(capsys):
    assert main(["approver", "--events", str(DATA / "events-relabeled.json")]) == 0
    assert capsys.readouterr().out.strip() == "maria-maintainer"
    assert main(["approver", "--events", str(DATA / "labels-none.json")]) == 0
    assert capsys.readouterr().out.strip() == ""


# -------------------------------------------------------------------------------------------
# The deploy on main: the approval of the pull request that merged the commit
# -------------------------------------------------------------------------------------------

MERGE = "9f1c2b3a4d5e6f708192a3b4c5d6e7f809a1b2c3"


def test_merged_pr_names_the_pull_request_and_its_author(capsys):
    assert main(["merged-pr", "--pulls", str(DATA / "pulls-of-commit.json"), "--sha", MERGE]) == 0
    assert json.loads(capsys.readouterr().out) == {"number": 42, "author": "alice-author"}
    assert main(["merged-pr", "--pulls", str(DATA / "labels-none.json"), "--sha", MERGE]) == 1


def test_a_commit_pushed_without_a_merged_pull_request_has_no_approval():
    open_pr = [{**load("pulls-of-commit.json")[0], "merged_at": None}]
    assert merged_pull_request(open_pr, MERGE) is None


def test_the_deploy_check_takes_the_merged_pull_requests_author(tmp_path):
    """The maintainer's label on PR #42 approves the deploy of its merge commit; had its author
    labelled it, the deploy would stop."""
    author = merged_pull_request(load("pulls-of-commit.json"), MERGE)["user"]["login"]
    args = ["check", "--preview", str(DATA / "preview-replace-database.json"), "--stack", "prod",
            "--labels", str(DATA / "labels-approved.json"), "--author", author]  # fmt: skip
    approved = ["--events", str(DATA / "events-maintainer.json"),
                "--permission", str(DATA / "permission-maria.json")]  # fmt: skip
    assert main(args + approved) == 0
    own = ["--events", str(DATA / "events-author.json"),
           "--permission", str(DATA / "permission-alice.json")]  # fmt: skip
    assert main(args + own) == 4


def test_an_unreadable_input_exits_2(tmp_path, capsys):
    (tmp_path / "preview.json").write_text("not json")
    summary = tmp_path / "summary.md"
    args = ["check", "--preview", str(tmp_path / "preview.json"), "--stack", "dev"]
    assert main([*args, "--summary", str(summary)]) == 2
    assert "The preview gave no readable JSON" in summary.read_text()
    assert main(["check", "--preview", str(tmp_path / "missing.json"), "--stack", "dev"]) == 2
    assert "preview guard:" in capsys.readouterr().err
