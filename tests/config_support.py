"""Loading a stack mapping with the pure loader, for the config-rule tests (no engine)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from accessweaver_components.stack import ConfigError, StackSettings, settings_from_mapping

STACK_FILE = "Pulumi.test.yaml"
NAMESPACE = "accessweaver"
OPT_OUT = "a test stack: no bootstrap deploys it"
PUBLIC_SUBNETS = ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"]
REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/accessweaver"
EDGE_WITH_CERTIFICATE = {
    "enabled": True,
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
    "75f027a4-27dc-46c5-894e-e6a40b772e67",
}


def services_only_stack_file(boundary: str, registry: str, more: dict[str, Any]) -> dict[str, Any]:
    """The `config` of a dev stack file in eu-west-1 on an existing VPC that runs only its own
    catalog: no base catalog, Keycloak, database, cache, documents bucket nor health probe;
    `boundary` the permissions boundary, `registry` the container registry, then the
    (namespaced) keys in `more`."""
    return {
        "aws:region": "eu-west-1",
        f"{NAMESPACE}:environment": "dev",
        f"{NAMESPACE}:permissionsBoundaryArn": boundary,
        f"{NAMESPACE}:baseCatalog": "none",
        f"{NAMESPACE}:vpcId": "vpc-0c1b2c3d4e5f60718",
        f"{NAMESPACE}:privateSubnetIds": ["subnet-0c1b2c3d4e5f60711", "subnet-0c1b2c3d4e5f60722"],
        f"{NAMESPACE}:containerRegistry": registry,
        f"{NAMESPACE}:keycloak": {"enabled": False},
        f"{NAMESPACE}:database": {"enabled": False},
        f"{NAMESPACE}:cache": {"enabled": False},
        f"{NAMESPACE}:documents": {"enabled": False},
        f"{NAMESPACE}:healthProbe": {"enabled": False},
        **more,
    }


def existing_vpc_config(
    private: Sequence[str] = ("subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"),
    public: Sequence[str] = ("subnet-0a1b2c3d4e5f60733", "subnet-0a1b2c3d4e5f60744"),
) -> dict[str, Any]:
    """Config (namespaced, for `run_stack`) moving a committed stack into the existing VPC
    vpc-0a1b2c3d4e5f60718 with these private and public subnets."""
    return {
        f"{NAMESPACE}:network": {"createVpc": False},
        f"{NAMESPACE}:vpcId": "vpc-0a1b2c3d4e5f60718",
        f"{NAMESPACE}:privateSubnetIds": list(private),
        f"{NAMESPACE}:publicSubnetIds": list(public),
    }


# The services of the default catalog, as literals (a test must not read them from the code
# it checks), and with Keycloak, which a stack runs by default too.
DEFAULT_SERVICES = frozenset(
    {
        "aw-api-gateway",
        "aw-pdp-service",
        "aw-pap-service",
        "aw-tenant-service",
        "aw-audit-service",
    }
)
DEFAULT_SERVICES_AND_KEYCLOAK = DEFAULT_SERVICES | {"keycloak"}


def existing_vpc_stack(environment: str, **keys: Any) -> dict[str, Any]:
    """A stack mapping for `environment` on an existing VPC with two private subnets, opted out
    of the permissions boundary (no bootstrap deploys a test stack), then `keys`."""
    return {
        "environment": environment,
        "permissionsBoundaryOptOut": OPT_OUT,
        "vpcId": "vpc-0123456789abcdef0",
        "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        **keys,
    }


# The smallest prod stack with the AccessWeaver catalog: an existing VPC and the registry.
MINIMAL_PROD = existing_vpc_stack("prod", containerRegistry=REGISTRY)


def loader(
    base: dict[str, Any], *, account_id: str | None = "123456789012"
) -> tuple[Callable[..., StackSettings], Callable[..., dict[str, str]]]:
    """`load(**changes)` resolves `base` updated with `changes`; `problems(**changes)` expects a
    ConfigError for the same file and returns its issues rendered, keyed by key path."""

    def load(region: str | None = "eu-west-1", **changes: Any) -> StackSettings:
        return settings_from_mapping(
            {**base, **changes},
            namespace=NAMESPACE,
            stack_file=STACK_FILE,
            region=region,
            account_id=account_id,
        )

    def problems(**changes: Any) -> dict[str, str]:
        with pytest.raises(ConfigError) as caught:
            load(**changes)
        assert str(caught.value).startswith(f"{STACK_FILE}: invalid stack configuration")
        return {issue.path: issue.render(NAMESPACE) for issue in caught.value.issues}

    return load, problems
