"""The offline engine's mocks: the ids and computed outputs a real provider would return for
each resource (tools/engine_states.py, one function per group of resource types), the data
sources' answers, and the mocked Parameter Store holding a stack's release record. Secret
values are never produced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The resource types' ids and outputs have their own module; importers read them here too.
from .engine_states import ACCOUNT_ID, _hex, mock_state, platform_state  # noqa: F401
from .stack_file import read_stack_config

GITHUB_LOOKUPS = {
    "github:index/getTeam:getTeam": "slug",
    "github:index/getUser:getUser": "username",
}
"""The GitHub provider's look-ups the bootstrap makes (reviewers by name) -> the name's key."""


def offline_mocks(region: str, parameters: ParameterStore | None = None):
    import pulumi

    class OfflineMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            if not args.custom:
                # Multi-language components (awsx) are registered once; their children live in
                # the plugin. Return their outputs, never the inputs (type clashes).
                return f"{args.name}-id", component_outputs(args.typ, args.name, args.inputs)
            return mock_state(args.typ, args.name, dict(args.inputs), region)

        def call(self, args: pulumi.runtime.MockCallArgs):
            token = args.token
            if token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    "accountId": ACCOUNT_ID,
                    "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/offline",
                    "userId": "AIDAOFFLINE",
                    "id": ACCOUNT_ID,
                }
            if token == "aws:index/getRegion:getRegion":
                return {"name": region, "region": region, "id": region}
            if token == "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
            if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
                names = [f"{region}{s}" for s in "abc"]
                return {"names": names, "zoneIds": [f"euw1-az{i}" for i in (1, 2, 3)]}
            if token in GITHUB_LOOKUPS:
                # A team's or user's numeric id (as text, like the provider), from its name.
                key = GITHUB_LOOKUPS[token]
                value = str(args.args.get(key))
                return {key: value, "id": str(int(_hex(value, 7), 16)), "nodeId": _hex(value, 12)}
            if token == "aws:ssm/getParametersByPath:getParametersByPath":
                path = str(args.args["path"]).rstrip("/")
                found = parameters(path) if parameters is not None else {}
                names = sorted(n for n in found if n.rsplit("/", 1)[0] == path)
                return {
                    "id": path,
                    "path": path,
                    "names": names,
                    "values": [found[n] for n in names],
                    "types": ["String"] * len(names),
                    "arns": [f"arn:aws:ssm:{region}:{ACCOUNT_ID}:parameter{n}" for n in names],
                    "recursive": False,
                    "withDecryption": False,
                }
            if token in ("aws:ec2/getSubnet:getSubnet", "aws:ec2/getVpc:getVpc"):
                # An existing VPC's block (/16) or subnet's (/24), derived from its id.
                ident = str(args.args.get("id"))
                octet, third = int(_hex(ident, 2), 16), int(_hex(ident + "/", 2), 16)
                vpc = token.endswith("getVpc")
                cidr = f"10.{octet}.0.0/16" if vpc else f"10.{octet}.{third}.0/24"
                return {"id": ident, "cidrBlock": cidr, "vpcId": ident if vpc else "vpc-offline"}
            return {}

    return OfflineMocks()


ParameterStore = Any
"""`path -> {parameter name: value}`: what the mocked Parameter Store holds under a path."""

EXAMPLE_RELEASE = "example"
"""`run_program(release=...)` default: every built image at a stand-in digest (tools/release)."""


def release_store(release: str | None, values: dict[str, str], project: str) -> ParameterStore:
    """The mocked Parameter Store for a stack's release record: `release` is the record's JSON,
    None for a stack no deploy ever recorded, or EXAMPLE_RELEASE for a stand-in built from the
    stack's own settings (what the offline plan shows by default)."""

    def store(path: str) -> dict[str, str]:
        if not path.endswith("/release") or release is None:
            return {}
        text = release
        if release == EXAMPLE_RELEASE:
            text = _example_release(values, project)
            if text is None:
                return {}
        return {f"{path}/current": text}

    return store


def example_release(project_dir: Path | str, stack: str) -> str | None:
    """The stand-in release record the offline plan of a committed stack reads (JSON)."""
    stack_config = read_stack_config(Path(project_dir).resolve(), stack)
    return _example_release(stack_config.values, stack_config.project)


def _example_release(values: dict[str, str], project: str) -> str | None:
    from accessweaver_components.stack import ConfigError, settings_from_mapping
    from accessweaver_components.stack.loader import parse_raw_value

    from .release import example_record

    prefix = f"{project}:"
    raw = {
        key[len(prefix) :]: parse_raw_value(key[len(prefix) :], value)
        for key, value in values.items()
        if key.startswith(prefix)
    }
    try:
        settings = settings_from_mapping(
            raw,
            namespace=project,
            stack_file="(example release)",
            region=values.get("aws:region", "eu-west-1"),
            account_id=ACCOUNT_ID,
        )
    except ConfigError:
        return None  # the program refuses this config itself
    return example_record(settings)


def component_outputs(type_: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs of multi-language components whose children the mocks cannot see."""
    if type_ == "awsx:ec2:Vpc":
        azs = int(inputs.get("numberOfAvailabilityZones") or 2)
        return {
            "vpcId": f"vpc-{_hex(name, 17)}",
            "publicSubnetIds": [f"subnet-{_hex(name + 'pub' + str(i), 17)}" for i in range(azs)],
            "privateSubnetIds": [f"subnet-{_hex(name + 'prv' + str(i), 17)}" for i in range(azs)],
            "isolatedSubnetIds": [],
            "natGateways": [],
        }
    return {}
