"""Inputs checked against the pinned SDKs' input types, nested keys included.

The mock engine (like the SDK itself) checks only top-level keyword arguments: a misspelled key
inside a dict input (`routing_polcy` inside a Cloud Map service's `dns_config`), a string where
a number goes, a missing required nested field, all pass offline and fail at `pulumi up`. This
module walks every recorded resource's inputs (camelCase, as the engine receives them) along the
annotations of the pinned `pulumi_aws`, `pulumi_awsx`, `pulumi_random` and `pulumi_github`
classes: property names, lists and maps, numbers, booleans, strings, the SDKs' enum types,
required fields, and a table of string choices taken from botocore's API models for fields
whose SDK type is plain text.

`problems(resources)` returns one sentence per problem; the engine raises `ProviderInputError`
with all of them after a run (tools/engine.py).
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import importlib
import inspect
import json
import sys
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_PACKAGES = {
    "aws": "pulumi_aws",
    "awsx": "pulumi_awsx",
    "random": "pulumi_random",
    "github": "pulumi_github",
}


class ProviderInputError(Exception):
    """A resource's inputs would be refused by the provider."""


# Plain-string fields whose values the AWS API restricts (botocore service model shapes).
# (resource type, input path with `[]` for list items) -> (botocore service, shape name).
BOTOCORE_CHOICES: dict[tuple[str, str], tuple[str, str]] = {
    ("aws:ecs/service:Service", "launchType"): ("ecs", "LaunchType"),
    ("aws:ecs/service:Service", "propagateTags"): ("ecs", "PropagateTags"),
    ("aws:ecs/service:Service", "schedulingStrategy"): ("ecs", "SchedulingStrategy"),
    ("aws:ecs/service:Service", "deploymentConfiguration.strategy"): (
        "ecs",
        "DeploymentStrategy",
    ),
    ("aws:ecs/taskDefinition:TaskDefinition", "networkMode"): ("ecs", "NetworkMode"),
    ("aws:ecs/taskDefinition:TaskDefinition", "requiresCompatibilities[]"): (
        "ecs",
        "Compatibility",
    ),
    ("aws:ecs/taskDefinition:TaskDefinition", "runtimePlatform.cpuArchitecture"): (
        "ecs",
        "CPUArchitecture",
    ),
    ("aws:ecs/taskDefinition:TaskDefinition", "runtimePlatform.operatingSystemFamily"): (
        "ecs",
        "OSFamily",
    ),
    ("aws:lb/loadBalancer:LoadBalancer", "loadBalancerType"): ("elbv2", "LoadBalancerTypeEnum"),
    ("aws:lb/loadBalancer:LoadBalancer", "ipAddressType"): ("elbv2", "IpAddressType"),
    ("aws:lb/targetGroup:TargetGroup", "targetType"): ("elbv2", "TargetTypeEnum"),
    ("aws:lb/targetGroup:TargetGroup", "protocol"): ("elbv2", "ProtocolEnum"),
    ("aws:lb/targetGroup:TargetGroup", "healthCheck.protocol"): ("elbv2", "ProtocolEnum"),
    ("aws:lb/listener:Listener", "protocol"): ("elbv2", "ProtocolEnum"),
    ("aws:lb/listener:Listener", "defaultActions[].type"): ("elbv2", "ActionTypeEnum"),
    ("aws:lb/listenerRule:ListenerRule", "actions[].type"): ("elbv2", "ActionTypeEnum"),
    ("aws:servicediscovery/service:Service", "dnsConfig.routingPolicy"): (
        "servicediscovery",
        "RoutingPolicy",
    ),
    ("aws:servicediscovery/service:Service", "dnsConfig.dnsRecords[].type"): (
        "servicediscovery",
        "RecordType",
    ),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "comparisonOperator"): (
        "cloudwatch",
        "ComparisonOperator",
    ),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "statistic"): ("cloudwatch", "Statistic"),
    ("aws:appautoscaling/target:Target", "serviceNamespace"): (
        "application-autoscaling",
        "ServiceNamespace",
    ),
    ("aws:appautoscaling/target:Target", "scalableDimension"): (
        "application-autoscaling",
        "ScalableDimension",
    ),
    ("aws:appautoscaling/policy:Policy", "policyType"): ("application-autoscaling", "PolicyType"),
    (
        "aws:appautoscaling/policy:Policy",
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification"
        ".predefinedMetricType",
    ): ("application-autoscaling", "MetricType"),
    ("aws:ec2/flowLog:FlowLog", "trafficType"): ("ec2", "TrafficType"),
    ("aws:ec2/flowLog:FlowLog", "logDestinationType"): ("ec2", "LogDestinationType"),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "vpcEndpointType"): ("ec2", "VpcEndpointType"),
    ("aws:ecr/repository:Repository", "imageTagMutability"): ("ecr", "ImageTagMutability"),
    ("aws:wafv2/webAcl:WebAcl", "scope"): ("wafv2", "Scope"),
}


CHOICES_FILE = Path(__file__).with_name("provider_choices.json")
"""The values of `BOTOCORE_CHOICES`, read from botocore once (`python -m tools.provider_inputs
--refresh`) so a plan does not load botocore's models; a test keeps it equal to botocore."""


def botocore_choices() -> dict[str, list[str]]:
    """`<service>.<shape>` -> the values botocore's model allows (what the file holds)."""
    import botocore.session

    session = botocore.session.get_session()
    found: dict[str, list[str]] = {}
    for service, shape in sorted(set(BOTOCORE_CHOICES.values())):
        values = getattr(session.get_service_model(service).shape_for(shape), "enum", None)
        found[f"{service}.{shape}"] = sorted(values or [])
    return found


@functools.cache
def _choices() -> dict[str, frozenset[str]]:
    data = json.loads(CHOICES_FILE.read_text())
    return {key: frozenset(values) for key, values in data.items() if values}


@functools.cache
def _resource_class(type_: str) -> tuple[type, type] | None:
    """(resource class, its `...Args` class) of a type token, or None (components, unknown)."""
    package_key, _, rest = type_.partition(":")
    package = _PACKAGES.get(package_key)
    if package is None or rest.count(":") != 1:
        return None
    module_path, name = rest.split(":")
    module_name = module_path.split("/", 1)[0]
    module = package if module_name == "index" else f"{package}.{module_name}"
    try:
        imported = importlib.import_module(module)
    except ImportError:
        return None
    cls = getattr(imported, name, None)
    if cls is None:
        return None
    # The resource's own module names its arguments class in `__all__`: `<Name>Args`, or
    # `<Name>InitArgs` where an input type already has that name (s3's `BucketVersioningArgs`).
    own = importlib.import_module(cls.__module__)
    names = [n for n in getattr(own, "__all__", ()) if n.endswith("Args")]
    args = getattr(own, names[0], None) if names else None
    return (cls, args) if args is not None else None


@functools.cache
def _fields(args_class: type) -> dict[str, tuple[Any, bool]]:
    """camelCase property -> (annotation, required) of an `...Args` class."""
    signature = inspect.signature(args_class.__init__)
    module = importlib.import_module(args_class.__module__)
    namespace = {**vars(module), **_input_namespace(args_class.__module__)}
    fields: dict[str, tuple[Any, bool]] = {}
    for name, parameter in signature.parameters.items():
        if name in ("self", "__self__", "resource_name", "opts") or parameter.kind in (
            parameter.VAR_KEYWORD,
            parameter.VAR_POSITIONAL,
        ):
            continue
        prop = getattr(args_class, name, None)
        camel = getattr(getattr(prop, "fget", None), "_pulumi_name", None) or _camel(name)
        annotation = _resolve(parameter.annotation, namespace)
        fields[camel] = (annotation, parameter.default is inspect.Parameter.empty)
    return fields


@functools.cache
def _input_namespace(module: str) -> dict[str, Any]:
    """The `_inputs` and `_enums` modules beside `module`: where forward refs point."""
    package = module.rsplit(".", 1)[0]
    found: dict[str, Any] = {}
    for part in ("_enums", "_inputs"):
        try:
            found.update(vars(importlib.import_module(f"{package}.{part}")))
        except ImportError:
            continue
    return found


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.title() for word in rest)


def _resolve(annotation: Any, namespace: Mapping[str, Any]) -> Any:
    if isinstance(annotation, str):
        annotation = typing.ForwardRef(annotation)
    if isinstance(annotation, typing.ForwardRef):
        return namespace.get(annotation.__forward_arg__, Any)
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    args = tuple(_resolve(a, namespace) for a in typing.get_args(annotation))
    return (origin, args)


def _alternatives(annotation: Any) -> list[Any]:
    """The concrete types an input annotation admits (Input/Awaitable/Output/None unwrapped)."""
    if annotation is Any or annotation is None or annotation is type(None):
        return []
    if isinstance(annotation, tuple):
        origin, args = annotation
        if origin is typing.Union:
            return [alt for a in args for alt in _alternatives(a)]
        if origin is collections.abc.Awaitable:
            return []  # the same type, awaited: covered by its sibling alternative
        return [annotation]
    if getattr(annotation, "__name__", "") == "Output":
        return []
    return [annotation]


# What the engine records in place of a secret value (tools/engine.SECRET_PLACEHOLDER): its
# contents are not readable here, so a secret input (a cache user's passwords, wrapped as a whole
# by the SDK) is taken as it is.
_SECRET = "[secret]"


def _check(value: Any, annotation: Any, path: str, found: list[str]) -> None:
    alternatives = _alternatives(annotation)
    if not alternatives or value is None or value == _SECRET:
        return
    errors: list[list[str]] = []
    for alternative in alternatives:
        attempt: list[str] = []
        _check_one(value, alternative, path, attempt)
        if not attempt:
            return
        errors.append(attempt)
    found.extend(min(errors, key=len))


def _check_one(value: Any, kind: Any, path: str, found: list[str]) -> None:
    if isinstance(kind, tuple):
        origin, args = kind
        if origin in (collections.abc.Sequence, list, tuple):
            if not isinstance(value, list):
                found.append(f"{path}: {value!r} is not a list")
                return
            for index, item in enumerate(value):
                _check(item, args[0] if args else Any, f"{path}[{index}]", found)
            return
        if origin in (collections.abc.Mapping, dict):
            if not isinstance(value, dict):
                found.append(f"{path}: {value!r} is not a map")
                return
            for key, item in value.items():
                _check(item, args[1] if len(args) > 1 else Any, f"{path}.{key}", found)
            return
        return
    if kind is Any:
        return
    if kind is bool:
        if not isinstance(value, bool):
            found.append(f"{path}: {value!r} is not true or false")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            found.append(f"{path}: {value!r} is not a whole number")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append(f"{path}: {value!r} is not a number")
    elif kind is str:
        if not isinstance(value, str):
            found.append(f"{path}: {value!r} is not text")
    elif isinstance(kind, type) and issubclass(kind, enum.Enum):
        allowed = {str(member.value) for member in kind}
        if str(value) not in allowed:
            found.append(f"{path}: {value!r} is not one of {', '.join(sorted(allowed))}")
    elif isinstance(kind, type) and kind.__name__.endswith("Args"):
        if not isinstance(value, dict):
            found.append(f"{path}: {value!r} is not a map of {kind.__name__}")
            return
        _check_fields(value, _fields(kind), path, found)


def _check_fields(
    values: Mapping[str, Any], fields: Mapping[str, tuple[Any, bool]], path: str, found: list[str]
) -> None:
    prefix = f"{path}." if path else ""
    for key, value in values.items():
        if key not in fields:
            found.append(f"{prefix}{key}: unknown property; allowed: {', '.join(sorted(fields))}")
            continue
        _check(value, fields[key][0], f"{prefix}{key}", found)
    for key, (_, required) in fields.items():
        if required and key not in values and path:
            found.append(f"{prefix}{key}: required property is missing")


def _value_at(inputs: Any, path: str) -> list[Any]:
    """Every value at a dotted path where `x[]` walks the items of list `x`."""
    values = [inputs]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part.removesuffix("[]")
        step = []
        for value in values:
            if not isinstance(value, dict) or key not in value:
                continue
            inner = value[key]
            if many:
                step.extend(inner if isinstance(inner, list) else [])
            else:
                step.append(inner)
        values = step
    return [v for v in values if v is not None]


def resource_problems(type_: str, inputs: Mapping[str, Any]) -> list[str]:
    """Why the provider would refuse these inputs (empty when it would not)."""
    classes = _resource_class(type_)
    if classes is None:
        return []
    _, args_class = classes
    found: list[str] = []
    _check_fields(inputs, _fields(args_class), "", found)
    for (choice_type, path), (service, shape) in BOTOCORE_CHOICES.items():
        if choice_type != type_:
            continue
        allowed = _choices().get(f"{service}.{shape}")
        if allowed is None:
            continue
        for value in _value_at(inputs, path):
            if str(value) not in allowed:
                found.append(f"{path}: {value!r} is not one of {', '.join(sorted(allowed))}")
    return found


def problems(resources: Iterable[Any]) -> list[str]:
    """`<type> <name>: <problem>` for every recorded resource whose inputs are refused."""
    return [
        f"{resource.type} {resource.name}: {problem}"
        for resource in resources
        if resource.custom or resource.type.startswith("awsx:")
        for problem in resource_problems(resource.type, resource.inputs)
    ]


if __name__ == "__main__":
    if sys.argv[1:] != ["--refresh"]:
        sys.exit("usage: python -m tools.provider_inputs --refresh")
    CHOICES_FILE.write_text(json.dumps(botocore_choices(), indent=2, sort_keys=True) + "\n")
