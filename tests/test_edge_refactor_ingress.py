"""The callers a load balancer's security group admits (`ingress.given_callers`): the resource
name parts and descriptions both load balancers build their ingress rules from."""

from __future__ import annotations

from accessweaver_components.edge.ingress import Caller, given_callers


def test_ranges_then_security_groups_each_numbered_in_their_own_kind() -> None:
    callers = given_callers(("10.1.0.0/16", "10.2.0.0/16"), ("sg-0123456789abcdef0",))
    assert callers == [
        Caller("cidr-0", {"cidr_ipv4": "10.1.0.0/16"}, "10.1.0.0/16"),
        Caller("cidr-1", {"cidr_ipv4": "10.2.0.0/16"}, "10.2.0.0/16"),
        Caller(
            "peer-0",
            {"referenced_security_group_id": "sg-0123456789abcdef0"},
            "a peer security group",
        ),
    ]


def test_no_range_and_no_group_is_no_caller() -> None:
    assert given_callers((), ()) == []
