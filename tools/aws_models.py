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


def _ints(value: Any) -> Any:
    """The engine hands numbers over as floats; the AWS model wants integers where it says so."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def create_service_params(inputs: dict[str, Any], cluster: str) -> dict[str, Any]:
    """Map a recorded `aws:ecs/service:Service` to the ECS CreateService request."""
    inputs = _ints(inputs)
    network = inputs["networkConfiguration"]
    deployment: dict[str, Any] = {
        "maximumPercent": inputs["deploymentMaximumPercent"],
        "minimumHealthyPercent": inputs["deploymentMinimumHealthyPercent"],
    }
    if "deploymentCircuitBreaker" in inputs:
        deployment["deploymentCircuitBreaker"] = inputs["deploymentCircuitBreaker"]
    if "alarms" in inputs:
        deployment["alarms"] = inputs["alarms"]
    params: dict[str, Any] = {
        "cluster": cluster,
        "serviceName": inputs["name"],
        "taskDefinition": inputs["taskDefinition"],
        "desiredCount": inputs["desiredCount"],
        "capacityProviderStrategy": [
            {"capacityProvider": s["capacityProvider"], "weight": s["weight"], "base": s["base"]}
            for s in inputs.get("capacityProviderStrategies", [])
        ],
        "platformVersion": inputs["platformVersion"],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": network["subnets"],
                "securityGroups": network["securityGroups"],
                "assignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED",
            }
        },
        "deploymentConfiguration": deployment,
        "enableExecuteCommand": inputs["enableExecuteCommand"],
        "propagateTags": inputs["propagateTags"],
        "enableECSManagedTags": inputs["enableEcsManagedTags"],
    }
    if "serviceRegistries" in inputs:
        params["serviceRegistries"] = [inputs["serviceRegistries"]]
    if "loadBalancers" in inputs:
        params["loadBalancers"] = [
            {k: v for k, v in lb.items() if k != "advancedConfiguration"}
            for lb in inputs["loadBalancers"]
        ]
    if "healthCheckGracePeriodSeconds" in inputs:
        params["healthCheckGracePeriodSeconds"] = inputs["healthCheckGracePeriodSeconds"]
    return params


def put_scaling_policy_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """Map a recorded `aws:appautoscaling/policy:Policy` to PutScalingPolicy."""
    inputs = _ints(inputs)
    tracking = inputs["targetTrackingScalingPolicyConfiguration"]
    return {
        "PolicyName": inputs["name"],
        "ServiceNamespace": inputs["serviceNamespace"],
        "ResourceId": inputs["resourceId"],
        "ScalableDimension": inputs["scalableDimension"],
        "PolicyType": inputs["policyType"],
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": float(tracking["targetValue"]),
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": tracking["predefinedMetricSpecification"][
                    "predefinedMetricType"
                ]
            },
            "ScaleInCooldown": tracking["scaleInCooldown"],
            "ScaleOutCooldown": tracking["scaleOutCooldown"],
        },
    }
