"""The offline engine gives each resource the URN and aliases a real engine would: the record of
stateful URNs and the destructive-change guard compare stacks across versions with them."""

from __future__ import annotations

import pulumi
from pulumi_aws import sqs

from tools.engine import make_urn, run_function


class _Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("test:box:Box", name, None, opts)
        sqs.Queue(
            f"{name}-queue",
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name="old-queue")]),
        )
        self.register_outputs({})


def _program():
    _Box("box", pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="test:old:Box")]))
    sqs.Queue("top")


def test_urns_carry_the_parent_chain_and_leave_the_stack_out():
    result = run_function(_program, project="app", stack="dev")
    urns = {r.name: r.urn for r in result.resources}
    assert urns["top"] == "urn:pulumi:dev::app::aws:sqs/queue:Queue::top"
    assert urns["box"] == "urn:pulumi:dev::app::test:box:Box::box"
    assert urns["box-queue"] == "urn:pulumi:dev::app::test:box:Box$aws:sqs/queue:Queue::box-queue"


def test_a_child_answers_to_its_own_aliases_and_to_its_parents():
    result = run_function(_program, project="app", stack="dev")
    queue = next(r for r in result.resources if r.name == "box-queue")
    assert set(queue.aliases) == {
        # Its own alias, under its parent as it is and as it was.
        "urn:pulumi:dev::app::test:box:Box$aws:sqs/queue:Queue::old-queue",
        "urn:pulumi:dev::app::test:old:Box$aws:sqs/queue:Queue::old-queue",
        # Its own name under the parent's old type.
        "urn:pulumi:dev::app::test:old:Box$aws:sqs/queue:Queue::box-queue",
    }
    top = next(r for r in result.resources if r.name == "top")
    assert top.aliases == ()


def test_make_urn_of_a_grandchild_keeps_both_ancestors():
    parent = make_urn("prod", "p", None, "a:b:C", "c")
    child = make_urn("prod", "p", parent, "a:b:D", "d")
    assert make_urn("prod", "p", child, "aws:x/y:Z", "z") == (
        "urn:pulumi:prod::p::a:b:C$a:b:D$aws:x/y:Z::z"
    )
