"""Upgrades keep what exists: every stateful URN a committed stack recorded (`stateful-urns/`) is
still the URN or an alias of a resource of its plan, and a rename without an alias is caught."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi_aws import s3

from tests.conftest import ROOT
from tools import urns
from tools.engine import PlanResult, RecordedResource, run_function
from tools.urns import committed_stacks, compare, read_record, render, stateful_urns

STACKS = committed_stacks(ROOT)


@pytest.fixture(scope="session")
def committed_plan(plan):
    """(project directory, stack) -> its plan, from the caches the other tests fill."""
    from tests.test_bootstrap import bootstrap
    from tests.test_ca_a2a import ca_a2a
    from tests.test_standalone_example import planned as standalone

    by_directory = {
        ".": plan, "examples/ca-a2a": ca_a2a, "examples/standalone": standalone,
        "bootstrap": bootstrap,
    }  # fmt: skip

    def planner(project_dir: Path, stack: str) -> PlanResult:
        return by_directory[str(project_dir.resolve().relative_to(ROOT))](stack)

    return planner


# -- the committed record ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS, ids=lambda s: s.label)
def test_every_recorded_stateful_urn_is_still_a_urn_or_an_alias_of_the_plan(stack, committed_plan):
    recorded = read_record(stack.record(ROOT))
    comparison = compare(stack.label, recorded, committed_plan(ROOT / stack.directory, stack.name))
    assert recorded
    assert comparison.holds, render([comparison])


def test_every_committed_stack_has_a_record_and_every_record_a_stack():
    assert {(s.project, s.name) for s in STACKS} == set(urns.recorded_stacks(ROOT))
    assert {s.label for s in STACKS} >= {
        "accessweaver/dev", "accessweaver/staging", "accessweaver/prod", "ca-a2a/dev",
        "ca-a2a/prod", "accessweaver-bootstrap/dev", "accessweaver-bootstrap/staging",
        "accessweaver-bootstrap/prod",
    }  # fmt: skip
    # every Pulumi project of the repository is one the tool plans (the tests' own fixture
    # programs, never deployed, aside)
    projects = {
        str(p.parent.relative_to(ROOT))
        for pattern in ("Pulumi.yaml", "*/Pulumi.yaml", "*/*/Pulumi.yaml")
        for p in ROOT.glob(pattern)
        if not p.relative_to(ROOT).parts[0].startswith(".")
        and p.relative_to(ROOT).parts[0] != "tests"
    }
    assert projects == set(urns.PROJECT_DIRS)


def test_the_records_hold_the_databases_buckets_keys_and_services():
    def kinds(label: str) -> set[str]:
        (stack,) = [s for s in STACKS if s.label == label]
        return {urns.kind_of(u) for u in read_record(stack.record(ROOT))}

    # (no secret value nor generated password: the platform setup task fills them in AWS)
    every = {"database", "bucket", "KMS key", "secret", "ECS service", "log group"}
    assert every | {"cache", "image repository", "queue"} <= kinds("accessweaver/prod")
    assert every | {"queue"} <= kinds("ca-a2a/prod")
    assert not {"secret value", "generated password"} & kinds("accessweaver/prod")
    assert {"bucket", "KMS key"} <= kinds("accessweaver-bootstrap/prod")  # state bucket and keys
    assert kinds("accessweaver-bootstrap/dev") == {"KMS key"}  # the stack's secrets key


# -- a rename without an alias is a loss; with one, it is not ("tried") -----------------------


def _store(*, type_: str = "shop:data:Store", child: str = "files", at_root: bool = False,
           component_aliases=(), child_aliases=()):  # fmt: skip
    """A program of one component holding one bucket (the bucket at the stack's root when
    `at_root`, as before a restructuring that moved resources into components)."""

    class Store(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
            super().__init__(type_, name, None, opts)
            s3.Bucket(
                f"{name}-{child}",
                opts=pulumi.ResourceOptions(
                    parent=None if at_root else self, aliases=list(child_aliases)
                ),
            )
            self.register_outputs({})

    return lambda: Store("orders", pulumi.ResourceOptions(aliases=list(component_aliases)))


RENAMES = {
    # what changed: (the new program without an alias, the same with the alias that keeps it)
    "component type": (
        _store(type_="shop:storage:Store"),
        _store(type_="shop:storage:Store",
               component_aliases=[pulumi.Alias(type_="shop:data:Store")]),
    ),
    "child name": (
        _store(child="documents"),
        _store(child="documents", child_aliases=[pulumi.Alias(name="orders-files")]),
    ),
}  # fmt: skip


@pytest.mark.parametrize("change", sorted(RENAMES))
def test_a_rename_without_an_alias_loses_the_bucket_and_with_one_keeps_it(change):
    recorded = stateful_urns(run_function(_store(), project="shop"))
    without_alias, with_alias = RENAMES[change]
    # WHEN the new version renames it without an alias: the check names the lost bucket
    broken = compare("shop/dev", recorded, run_function(without_alias, project="shop"))
    was = "urn:pulumi:dev::shop::shop:data:Store$aws:s3/bucket:Bucket::orders-files"
    assert [(lost.kind, lost.name, lost.urn) for lost in broken.lost] == [
        ("bucket", "orders-files", was)
    ]
    assert "LOST 1" in render([broken]) and "bucket orders-files" in render([broken])
    # WHEN it carries the alias: nothing is lost, and the new URN is there to record
    kept = compare("shop/dev", recorded, run_function(with_alias, project="shop"))
    assert kept.lost == [] and len(kept.new) == 1


def test_moving_a_bucket_into_a_component_needs_an_alias_to_the_stack_root():
    recorded = stateful_urns(run_function(_store(at_root=True), project="shop"))
    assert recorded == ["urn:pulumi:dev::shop::aws:s3/bucket:Bucket::orders-files"]
    broken = compare("shop/dev", recorded, run_function(_store(), project="shop"))
    assert [lost.now for lost in broken.lost] == [
        "urn:pulumi:dev::shop::shop:data:Store$aws:s3/bucket:Bucket::orders-files"
    ]
    aliased = _store(child_aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])
    assert compare("shop/dev", recorded, run_function(aliased, project="shop")).lost == []


def test_renaming_a_real_components_type_loses_its_bucket_and_key_unless_aliased(monkeypatch):
    from accessweaver_components.data.documents import DocumentStore, DocumentStoreArgs

    def program(opts: pulumi.ResourceOptions | None = None):
        return lambda: DocumentStore("docs", DocumentStoreArgs(bucket_prefix="shop-docs"), opts)

    recorded = stateful_urns(run_function(program(), project="shop"))
    # GIVEN a new version that moves DocumentStore to another module and type token
    register = pulumi.ComponentResource.__init__

    def renamed(self, t, name, *args, **kwargs):
        t = "accessweaver:data:DocumentStore" if t == "accessweaver:storage:DocumentStore" else t
        register(self, t, name, *args, **kwargs)

    monkeypatch.setattr(pulumi.ComponentResource, "__init__", renamed)
    broken = compare("shop/dev", recorded, run_function(program(), project="shop"))
    assert {(lost.kind, lost.name) for lost in broken.lost} == {
        ("KMS key", "docs-key"), ("bucket", "docs-bucket"), ("bucket", "docs-access-logs"),
    }  # fmt: skip
    old = pulumi.Alias(type_="accessweaver:storage:DocumentStore")
    kept = compare("shop/dev", recorded, run_function(program(pulumi.ResourceOptions(
        aliases=[old])), project="shop"))  # fmt: skip
    assert kept.lost == [] and len(kept.new) == len(recorded)


# -- the tool: --check, --update, --drop (a project of its own, no engine) --------------------

DATABASE = "urn:pulumi:dev::shop::shop:data:Store$aws:rds/instance:Instance::orders-db"
QUEUE = "urn:pulumi:dev::shop::shop:data:Store$aws:sqs/queue:Queue::orders-queue"
CHANGELOG = """\
# Changelog

## [Unreleased]

### Added
- Something.

## [0.1.0] - 2026-01-01

### Removed
- Older.
"""


def _resource(urn: str, aliases: tuple[str, ...] = ()) -> RecordedResource:
    type_ = urns.leaf_type(urn)
    return RecordedResource(type_, urns.resource_name(urn), None, True, {}, urn=urn,
                            aliases=aliases)  # fmt: skip


def _renamed(urn: str) -> str:
    return urn.replace("shop:data:Store", "shop:storage:Store")


@pytest.fixture
def shop(tmp_path, monkeypatch):
    """A repository of one project `shop` (stack dev); `shop.plan` is what its plan holds."""
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    monkeypatch.setattr(urns, "PROJECT_DIRS", (".",))

    class Shop:
        root = tmp_path
        record = tmp_path / "stateful-urns" / "shop" / "dev.txt"

        def __init__(self) -> None:
            self.plan = [_resource(DATABASE), _resource(QUEUE)]

        def run(self, *argv: str) -> int:
            def planner(project_dir: Path, stack: str) -> PlanResult:
                return PlanResult("shop", stack, "Pulumi.dev.yaml", resources=list(self.plan))

            return urns.main(list(argv), root=tmp_path, planner=planner)

    shop = Shop()
    assert shop.run("--update") == 0
    return shop


def test_update_records_each_stateful_urn_and_check_then_passes(shop, capsys):
    assert read_record(shop.record) == sorted([DATABASE, QUEUE])
    assert shop.record.read_text().startswith("# shop/dev: URNs of the stateful resources")
    assert shop.run("--check") == 0
    assert "shop/dev: 2 recorded, every one kept" in capsys.readouterr().out


def test_check_names_each_lost_urn_and_what_it_is_and_update_refuses_to_drop_it(shop, capsys):
    before = shop.record.read_text()
    shop.plan = [_resource(_renamed(DATABASE)), _resource(QUEUE)]
    assert shop.run("--check") == 1
    out = capsys.readouterr().out
    assert "shop/dev: LOST 1 recorded stateful resource(s)" in out
    assert f"database orders-db\n      was  {DATABASE}\n      now  {_renamed(DATABASE)}" in out
    assert "pulumi.Alias" in out
    # --update writes nothing while a recorded URN is lost
    assert shop.run("--update") == 1
    assert "Nothing was written" in capsys.readouterr().out
    assert shop.record.read_text() == before
    assert (shop.root / "CHANGELOG.md").read_text() == CHANGELOG


def test_an_alias_keeps_the_old_urn_and_update_records_the_new_one_beside_it(shop):
    shop.plan = [_resource(_renamed(DATABASE), aliases=(DATABASE,)), _resource(QUEUE)]
    assert shop.run("--check") == 1  # the new URN is not recorded yet
    assert shop.run("--update") == 0
    assert read_record(shop.record) == sorted([DATABASE, _renamed(DATABASE), QUEUE])
    assert shop.run("--check") == 0


def test_a_new_stateful_resource_fails_the_check_until_recorded(shop, capsys):
    bucket = "urn:pulumi:dev::shop::shop:data:Store$aws:s3/bucket:Bucket::orders-files"
    shop.plan = [*shop.plan, _resource(bucket)]
    assert shop.run("--check") == 1
    assert f"bucket orders-files: {bucket}" in capsys.readouterr().out
    assert shop.run("--update") == 0 and bucket in read_record(shop.record)


def test_dropping_needs_a_reason_and_a_pattern_that_matches_a_lost_urn(shop, capsys):
    before = shop.record.read_text()
    shop.plan = [_resource(QUEUE)]
    with pytest.raises(SystemExit) as refused:
        shop.run("--update", "--drop", DATABASE)
    assert refused.value.code == 2 and "--drop needs --reason" in capsys.readouterr().err
    # a pattern that only matches a kept URN drops nothing
    assert shop.run("--update", "--drop", "*orders-queue", "--reason", "typo") == 2
    assert "matches no lost URN" in capsys.readouterr().out
    assert shop.record.read_text() == before


def test_a_deliberate_drop_is_printed_and_kept_in_the_changelog_as_breaking(shop, capsys):
    shop.plan = [_resource(QUEUE)]
    # `*` matches every URN, but only the lost one is dropped
    reason = "The shop no longer keeps orders in RDS (moved to DynamoDB, see the README)"
    assert shop.run("--update", "--drop", "*", "--reason", reason) == 0
    out = capsys.readouterr().out
    assert f"DROPPED   shop/dev: database orders-db ({DATABASE})" in out and reason in out
    assert read_record(shop.record) == [QUEUE]
    changelog = (shop.root / "CHANGELOG.md").read_text()
    unreleased, released = changelog.split("## [0.1.0]")
    assert unreleased.endswith(
        "### Added\n- Something.\n\n### Removed\n"
        f"- **Breaking**: {reason}. At its next `pulumi up`, a deployed stack deletes:\n"
        f"  - database `orders-db` of `shop/dev` (`{DATABASE}`)\n\n"
    )
    assert released == CHANGELOG.split("## [0.1.0]")[1]
    assert shop.run("--check") == 0


def test_a_second_drop_goes_under_the_same_removed_heading():
    first = urns.record_removal(CHANGELOG, "One", [urns.Lost("shop/dev", DATABASE)])
    second = urns.record_removal(first, "Two.", [urns.Lost("shop/dev", QUEUE)])
    unreleased = second.split("## [0.1.0]")[0]
    assert unreleased.count("### Removed") == 1
    assert unreleased.index("**Breaking**: One.") < unreleased.index("**Breaking**: Two.")
    assert "queue `orders-queue`" in unreleased
    with pytest.raises(ValueError, match="Unreleased"):
        urns.record_removal("# Changelog\n", "x", [])


def test_a_stack_file_removed_loses_every_urn_of_its_record(shop, capsys):
    (shop.root / "Pulumi.dev.yaml").unlink()
    assert shop.run("--check") == 1
    out = capsys.readouterr().out
    assert "shop/dev: no plan: its stack file is gone" in out
    assert "database orders-db" in out and "queue orders-queue" in out
    assert shop.run("--update", "--drop", "urn:pulumi:dev::shop::*", "--reason", "dev retired") == 0
    assert not shop.record.exists()


def test_the_check_says_which_alias_would_keep_a_lost_urn():
    was = "urn:pulumi:dev::shop::shop:data:Store$aws:s3/bucket:Bucket::orders-files"
    retyped = was.replace("shop:data:Store", "shop:storage:Store")
    renamed = was.replace("::orders-files", "::orders-documents")
    moved = "urn:pulumi:dev::shop::aws:s3/bucket:Bucket::orders-files"
    assert urns.suggestion(was, retyped) == (
        "its component shop:storage:Store needs aliases=[pulumi.Alias(type_='shop:data:Store')]"
    )
    assert urns.suggestion(was, renamed) == "renamed: aliases=[pulumi.Alias(name='orders-files')]"
    assert urns.suggestion(moved, was).startswith("it moved under a new parent")
    # a renamed resource is found when it is the only new one of its parent chain and type
    one = PlanResult("shop", "dev", "-", [_resource(renamed)])
    assert compare("shop/dev", [was], one).lost == [urns.Lost("shop/dev", was, renamed)]
    two = [_resource(renamed), _resource(renamed + "-2")]
    assert compare("shop/dev", [was], PlanResult("shop", "dev", "-", two)).lost[0].now is None
