"""Programs of one's own for the component tests: one Microservice on a cluster that exists
already, in a VPC that exists already, and running a program that must be refused before it
registers anything. Built with the components' own typed arguments, no stack config."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from tools.engine import run_function

VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/c"


def microservice_program(
    name: str,
    *,
    image: str,
    port: int | None = None,
    command_check: Sequence[str] | None = None,
    **args: Any,
) -> Callable[[], None]:
    """A program of one Microservice `name` on the existing cluster `c` in VPC/SUBNETS, its
    container from `image` on `port` (none: a worker) with `command_check` as its
    CommandHealthCheck when given; `args` are the other MicroserviceArgs."""

    def program() -> None:
        from accessweaver_components.compute.cluster import ClusterRef
        from accessweaver_components.compute.containers import CommandHealthCheck, ContainerArgs
        from accessweaver_components.compute.microservice import Microservice, MicroserviceArgs

        check = CommandHealthCheck(list(command_check)) if command_check is not None else None
        Microservice(
            name,
            MicroserviceArgs(
                cluster=ClusterRef(CLUSTER_ARN, "c"),
                vpc_id=VPC,
                subnet_ids=SUBNETS,
                container=ContainerArgs(image=image, port=port, health_check=check),
                **args,
            ),
        )

    return program


@contextlib.contextmanager
def registrations() -> Iterator[list[str]]:
    """The types of the resources registered meanwhile with the SDK's mock monitor (the stack
    itself excluded): a refused configuration must leave this list empty."""
    from pulumi.runtime import mocks

    seen: list[str] = []
    original = mocks.MockMonitor.RegisterResource

    def spy(self, request):
        if request.type != "pulumi:pulumi:Stack":
            seen.append(request.type)
        return original(self, request)

    mocks.MockMonitor.RegisterResource = spy
    try:
        yield seen
    finally:
        mocks.MockMonitor.RegisterResource = original


def refusal(program: Callable[[], None]) -> str:
    """Run `program` offline, expecting it to be refused before any resource is registered;
    the refusal's message."""
    with pytest.raises(Exception) as caught:
        run_function(program)
    assert caught.value.recorded == []
    return str(caught.value)
