"""Validate request parameters against the AWS API models that botocore ships (offline).

botocore's ParamValidator checks required members, types, lengths and ranges; it does not check
enum values, so `validate` also walks the shapes for those. Used by the tests to prove that what
the program writes (container definitions, listener actions...) is what the AWS API accepts.
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.session import get_session
from botocore.validate import ParamValidator


@functools.cache
def _operation(service: str, operation: str):
    return get_session().get_service_model(service).operation_model(operation)


def _enum_errors(value: Any, shape: Shape, path: str) -> list[str]:
    errors: list[str] = []
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for key, member in shape.members.items():
            if key in value:
                errors += _enum_errors(value[key], member, f"{path}.{key}")
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value):
            errors += _enum_errors(item, shape.member, f"{path}[{index}]")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            errors += _enum_errors(item, shape.value, f"{path}.{key}")
    elif getattr(shape, "enum", None) and isinstance(value, str) and value not in shape.enum:
        errors.append(f"{path}: {value!r} is not one of {', '.join(shape.enum)}")
    return errors


def validate(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    """Problems AWS's model finds in `params` for `service.operation`; empty when valid."""
    shape = _operation(service, operation).input_shape
    report = ParamValidator().validate(params, shape)
    problems = [line for line in report.generate_report().splitlines() if line.strip()]
    problems = [p for p in problems if not p.startswith("Parameter validation failed")]
    return problems + _enum_errors(params, shape, operation)


def register_task_definition_params(inputs: dict[str, Any], containers: list[dict]) -> dict:
    """Map a recorded `aws:ecs/taskDefinition` (camelCase inputs) to RegisterTaskDefinition."""
    params: dict[str, Any] = {"family": inputs["family"], "containerDefinitions": containers}
    for key in ("cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn",
                "taskRoleArn", "pidMode", "ipcMode", "runtimePlatform", "volumes"):  # fmt: skip
        if inputs.get(key) is not None:
            params[key] = inputs[key]
    return params
