"""The component package (`package/`, `components/interop/package.py`): its schema, generated
offline the way `component_provider_host` does, describes every component's inputs and outputs
with types and descriptions; the components plan from the dicts the provider hands them."""

from __future__ import annotations

import ast
import inspect
import json
import typing
from pathlib import Path

import pytest
import yaml

import components
from tests.conftest import ROOT
from tools.engine import run_function

VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:1.4.2"


@pytest.fixture(scope="module")
def schema() -> dict:
    from pulumi.provider.experimental.component import ComponentProvider

    from components.interop.package import COMPONENTS, PACKAGE, VERSION

    # as package/__main__.py hands them to component_provider_host
    return json.loads(ComponentProvider(list(COMPONENTS), PACKAGE, version=VERSION).schema)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _expected(component: type) -> tuple[dict[str, object], dict[str, object]]:
    """(inputs, outputs) as the Python classes declare them: name -> annotation."""
    args = inspect.signature(component.__init__).parameters["args"].annotation
    # The module keeps run-time annotations (see the last test): read them as they are.
    return (
        {_camel(k): v for k, v in args.__annotations__.items()},
        {_camel(k): v for k, v in component.__annotations__.items() if not k.startswith("_")},
    )


SCALAR = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _schema_type(annotation: object) -> str | None:
    """The schema type a field's annotation must map to (None: a $ref or a container)."""
    while typing.get_origin(annotation) in (typing.NotRequired, typing.Union) or (
        getattr(annotation, "__name__", "") in ("Output", "Input")
    ):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if not args:
            break
        annotation = args[0]
    if str(typing.get_origin(annotation)) == "typing.Awaitable":
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (list, tuple) or str(origin).endswith("Sequence'>"):
        return "array"
    if origin is dict or str(origin).endswith("Mapping'>"):
        return "object"
    return SCALAR.get(annotation)  # type: ignore[arg-type]


def test_the_package_names_every_component_once(schema):
    from components.interop.package import COMPONENTS

    assert schema["name"] == "accessweaver"
    assert schema["version"] == components.__version__
    assert set(schema["resources"]) == {f"accessweaver:index:{c.__name__}" for c in COMPONENTS}
    assert {"Microservice", "EcsCluster", "Database", "Cache", "DocumentStore", "WorkQueue"} == {
        c.__name__ for c in COMPONENTS
    }
    for spec in schema["resources"].values():
        assert spec["isComponent"] is True and spec["description"]


def test_each_component_input_and_output_is_in_the_schema_with_type_and_description(schema):
    from components.interop.package import COMPONENTS

    for component in COMPONENTS:
        spec = schema["resources"][f"accessweaver:index:{component.__name__}"]
        inputs, outputs = _expected(component)
        assert set(spec["inputProperties"]) == set(inputs), component.__name__
        assert set(spec["properties"]) == set(outputs), component.__name__
        for table, declared in ((spec["inputProperties"], inputs), (spec["properties"], outputs)):
            for name, annotation in declared.items():
                prop = table[name]
                assert prop.get("description"), (component.__name__, name)
                assert "\n" not in prop["description"], (component.__name__, name)
                expected = _schema_type(annotation)
                if expected is not None:
                    assert prop.get("type") == expected, (component.__name__, name, prop)
                else:
                    assert "$ref" in prop or "type" in prop, (component.__name__, name, prop)
        # required inputs are exactly the fields without NotRequired
        args = inspect.signature(component.__init__).parameters["args"].annotation
        assert set(spec.get("requiredInputs", [])) == {_camel(k) for k in args.__required_keys__}


def test_enums_and_nested_types_carry_their_values_and_descriptions(schema):
    types = schema["types"]
    architecture = types["accessweaver:index:CpuArchitecture"]
    assert [e["value"] for e in architecture["enum"]] == ["X86_64", "ARM64"]
    peer = types["accessweaver:index:ServicePeer"]
    assert set(peer["properties"]) == {"name", "securityGroupId", "port"}
    assert set(peer["required"]) == {"name", "securityGroupId", "port"}
    microservice = schema["resources"]["accessweaver:index:Microservice"]["inputProperties"]
    assert microservice["cpuArchitecture"]["$ref"] == "#/types/accessweaver:index:CpuArchitecture"
    assert microservice["connectsTo"]["items"]["$ref"] == "#/types/accessweaver:index:ServicePeer"


def test_the_plugin_directory_hosts_the_same_components():
    plugin = yaml.safe_load((ROOT / "package" / "PulumiPlugin.yaml").read_text())
    assert plugin == {"runtime": "python"}
    entry = ast.parse((ROOT / "package" / "__main__.py").read_text())
    calls = [
        n for n in ast.walk(entry)
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "component_provider_host"
    ]  # fmt: skip
    assert len(calls) == 1
    # the schema the fixture above reads: same components, same name, the components' version
    assert ast.unparse(calls[0]) == (
        "component_provider_host(list(COMPONENTS), PACKAGE, version=VERSION)"
    )
    assert (
        (ROOT / "package" / "requirements.txt")
        .read_text()
        .strip()
        .endswith("-r ../requirements.txt")
    )


def shop_from_dicts() -> None:
    """What the provider does for a YAML program: the components built from plain dicts
    (snake_case keys, numbers as floats)."""
    import pulumi

    from components.interop.package import Cache, Database, EcsCluster, Microservice

    cluster = EcsCluster("shop", {"cluster_name": "shop-dev", "exec_log_retention_days": 30.0})
    database = Database(
        "orders-db",
        {"identifier": "shop-orders", "vpc_id": VPC, "subnet_ids": SUBNETS, "multi_az": False},
    )
    cache = Cache(
        "sessions", {"name": "shop-sessions", "vpc_id": VPC, "subnet_ids": SUBNETS,
                     "serverless": True, "snapshot_retention_days": 1.0}
    )  # fmt: skip
    orders = Microservice(
        "orders",
        {
            "cluster_arn": cluster.cluster_arn,
            "cluster_name": "shop-dev",
            "vpc_id": VPC,
            "subnet_ids": SUBNETS,
            "image": IMAGE,
            "port": 8080.0,
            "cpu": 512.0,
            "memory": 1024.0,
            "cpu_architecture": "ARM64",
            "min_capacity": 2.0,
            "max_capacity": 4.0,
            "connects_to": [
                {"name": "postgres", "security_group_id": database.security_group_id,
                 "port": 5433.0},
                {"name": "redis", "security_group_id": cache.security_group_id, "port": 6379.0},
            ],
        },
    )  # fmt: skip
    pulumi.export("service", orders.service_name)


def test_the_package_components_plan_from_the_dicts_the_provider_passes():
    result = run_function(shop_from_dicts, project="shop")
    wrappers = {r.type for r in result.resources if r.type.startswith("accessweaver:index:")}
    assert wrappers == {f"accessweaver:index:{n}" for n in ("EcsCluster", "Database", "Cache",
                                                            "Microservice")}  # fmt: skip
    (task,) = [r for r in result.of_type("aws:ecs/taskDefinition:TaskDefinition")]
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "1024")
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"
    (target,) = result.of_type("aws:appautoscaling/target:Target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 4)
    egress = {int(r.inputs["fromPort"]) for r in
              result.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
              if r.name.startswith("orders-to-")}  # fmt: skip
    assert {5433, 6379} <= egress
    assert result.outputs["service"]


def test_the_readme_yaml_program_uses_the_package_types_and_inputs(schema):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- yaml-example:start -->")[1].split("<!-- yaml-example:end -->")[0]
    program = yaml.safe_load(block.split("```yaml")[1].split("```")[0])
    assert program["runtime"] == "yaml" and "accessweaver" in program["packages"]
    for resource in program["resources"].values():
        spec = schema["resources"][resource["type"]]
        assert set(resource["properties"]) <= set(spec["inputProperties"])
        assert set(spec.get("requiredInputs", [])) <= set(resource["properties"])


def test_package_module_keeps_runtime_annotations():
    """`from __future__ import annotations` would hand the analyzer strings: it must not."""
    tree = ast.parse(Path(ROOT / "components" / "interop" / "package.py").read_text())
    assert not [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
