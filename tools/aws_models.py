"""Validate request parameters against the AWS API models that botocore ships (offline).

botocore's ParamValidator checks required members, types, lengths and ranges; it does not check
enum values nor string patterns, so `validate` also walks the shapes for those (a pattern written
in a regex dialect Python's `re` does not read is skipped). Used by the tests to prove that what
the program writes (container definitions, listener actions...) is what the AWS API accepts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
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
    elif (
        isinstance(value, str)
        and (pattern := _pattern(shape.metadata.get("pattern")))
        and not pattern.fullmatch(value)
    ):
        errors.append(f"{path}: {value[:80]!r} does not match {pattern.pattern}")
    return errors


@functools.cache
def _pattern(text: str | None) -> re.Pattern[str] | None:
    if not text:
        return None
    try:
        return re.compile(text, re.DOTALL)
    except re.error:
        return None


def validate(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    """Problems AWS's model finds in `params` for `service.operation`; empty when valid."""
    shape = _operation(service, operation).input_shape
    report = ParamValidator().validate(params, shape)
    problems = [line for line in report.generate_report().splitlines() if line.strip()]
    problems = [p for p in problems if not p.startswith("Parameter validation failed")]
    return problems + _enum_errors(params, shape, operation)


def _copy_set(
    params: dict[str, Any],
    inputs: Mapping[str, Any],
    names: Iterable[tuple[str, str]],
    *,
    skip_empty: bool = False,
) -> dict[str, Any]:
    """Copy each input of `names` (`(input, API name)` pairs, in order) that is set into
    `params` under its API name: not None, or with `skip_empty` not empty or false either (the
    provider leaves such an input out of the call). Returns `params`."""
    for key, api in names:
        value = inputs.get(key)
        if value if skip_empty else value is not None:
            params[api] = value
    return params


def _same(*keys: str) -> tuple[tuple[str, str], ...]:
    """`(input, API name)` pairs for inputs the API names alike."""
    return tuple((key, key) for key in keys)


def _capitalized(*keys: str | tuple[str, str]) -> tuple[tuple[str, str], ...]:
    """`(input, API name)` pairs for an API that capitalizes the inputs' names (`kmsKeyId` ->
    `KmsKeyId`); a pair names an input the API calls otherwise (`nodeType`, `CacheNodeType`)."""
    return tuple(
        key if isinstance(key, tuple) else (key, key[:1].upper() + key[1:]) for key in keys
    )


_TASK_DEFINITION_INPUTS = _same(
    "cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn", "taskRoleArn",
    "pidMode", "ipcMode", "runtimePlatform", "volumes",
)  # fmt: skip
"""RegisterTaskDefinition's optional parameters (the inputs' names)."""


def register_task_definition_params(inputs: dict[str, Any], containers: list[dict]) -> dict:
    """Map a recorded `aws:ecs/taskDefinition` (camelCase inputs) to RegisterTaskDefinition."""
    params: dict[str, Any] = {"family": inputs["family"], "containerDefinitions": containers}
    _copy_set(params, inputs, _TASK_DEFINITION_INPUTS)
    if inputs.get("ephemeralStorage") is not None:
        # pulumi_aws's `size_in_gib` is the API's `sizeInGiB`.
        params["ephemeralStorage"] = {"sizeInGiB": int(inputs["ephemeralStorage"]["sizeInGib"])}
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
    deployment: dict[str, Any] = {}
    # Rolling deployments only: a traffic-shifting one runs its green revision at full count.
    if "deploymentMaximumPercent" in inputs:
        deployment["maximumPercent"] = inputs["deploymentMaximumPercent"]
    if "deploymentMinimumHealthyPercent" in inputs:
        deployment["minimumHealthyPercent"] = inputs["deploymentMinimumHealthyPercent"]
    if "deploymentCircuitBreaker" in inputs:
        deployment["deploymentCircuitBreaker"] = inputs["deploymentCircuitBreaker"]
    if "alarms" in inputs:
        deployment["alarms"] = inputs["alarms"]
    configuration = inputs.get("deploymentConfiguration") or {}
    if "strategy" in configuration:
        deployment["strategy"] = configuration["strategy"]
    if "bakeTimeInMinutes" in configuration:
        deployment["bakeTimeInMinutes"] = int(configuration["bakeTimeInMinutes"])
    for key, step in (
        ("linearConfiguration", "stepBakeTimeInMinutes"),
        ("canaryConfiguration", "canaryBakeTimeInMinutes"),
    ):
        if key in configuration:
            deployment[key] = {k: int(v) if k == step else v for k, v in configuration[key].items()}
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
            {
                k: (
                    {
                        "alternateTargetGroupArn": v["alternateTargetGroupArn"],
                        "productionListenerRule": v["productionListenerRule"],
                        "roleArn": v["roleArn"],
                    }
                    if k == "advancedConfiguration"
                    else v
                )
                for k, v in lb.items()
            }
            for lb in inputs["loadBalancers"]
        ]
    if "serviceConnectConfiguration" in inputs:
        params["serviceConnectConfiguration"] = service_connect_params(
            inputs["serviceConnectConfiguration"]
        )
    if "healthCheckGracePeriodSeconds" in inputs:
        params["healthCheckGracePeriodSeconds"] = inputs["healthCheckGracePeriodSeconds"]
    return params


def service_connect_params(config: dict[str, Any]) -> dict[str, Any]:
    """A recorded `service_connect_configuration` in the API's shape (the provider's
    `client_alias` is the API's `clientAliases`)."""
    params = {
        key: config[key]
        for key in ("enabled", "namespace", "logConfiguration", "accessLogConfiguration")
        if key in config
    }
    if "services" in config:
        params["services"] = [
            {
                **{k: v for k, v in service.items() if k != "clientAlias"},
                "clientAliases": [
                    {
                        "port": alias["port"],
                        "dnsName": alias["dnsName"],
                        **(
                            {"testTrafficRules": alias["testTrafficRules"][0]}
                            if alias.get("testTrafficRules")
                            else {}
                        ),
                    }
                    for alias in service["clientAlias"]
                ],
            }
            for service in config["services"]
        ]
    return params


def _metric_queries(queries: list[dict[str, Any]], stat_key: str = "MetricStat") -> list[dict]:
    """Metric-math queries of a scaling policy, in the API's PascalCase (dimensions as lists)."""
    out = []
    for query in queries:
        item: dict[str, Any] = {"Id": query["id"]}
        for key in ("expression", "label", "returnData"):
            if key in query:
                item[key[:1].upper() + key[1:]] = query[key]
        if "metricStat" in query:
            stat = query["metricStat"]
            metric = stat["metric"]
            item[stat_key] = {
                "Metric": {
                    "Namespace": metric["namespace"],
                    "MetricName": metric["metricName"],
                    "Dimensions": _pascal(metric.get("dimensions", [])),
                },
                "Stat": stat["stat"],
            }
        out.append(item)
    return out


def put_scaling_policy_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """Map a recorded `aws:appautoscaling/policy:Policy` to PutScalingPolicy (target tracking
    on predefined or metric-math metrics, and predictive scaling)."""
    inputs = _ints(inputs)
    params: dict[str, Any] = {
        "PolicyName": inputs["name"],
        "ServiceNamespace": inputs["serviceNamespace"],
        "ResourceId": inputs["resourceId"],
        "ScalableDimension": inputs["scalableDimension"],
        "PolicyType": inputs["policyType"],
    }
    if "targetTrackingScalingPolicyConfiguration" in inputs:
        tracking = inputs["targetTrackingScalingPolicyConfiguration"]
        config: dict[str, Any] = {
            "TargetValue": float(tracking["targetValue"]),
            "ScaleInCooldown": tracking["scaleInCooldown"],
            "ScaleOutCooldown": tracking["scaleOutCooldown"],
        }
        if "predefinedMetricSpecification" in tracking:
            config["PredefinedMetricSpecification"] = _pascal(
                tracking["predefinedMetricSpecification"]
            )
        if "customizedMetricSpecification" in tracking:
            custom = tracking["customizedMetricSpecification"]
            config["CustomizedMetricSpecification"] = {
                "Metrics": _metric_queries(custom["metrics"])
            }
        params["TargetTrackingScalingPolicyConfiguration"] = config
    if "predictiveScalingPolicyConfiguration" in inputs:
        predictive = inputs["predictiveScalingPolicyConfiguration"]
        params["PredictiveScalingPolicyConfiguration"] = {
            "Mode": predictive["mode"],
            "SchedulingBufferTime": predictive["schedulingBufferTime"],
            "MaxCapacityBreachBehavior": predictive["maxCapacityBreachBehavior"],
            "MetricSpecifications": [
                {
                    "TargetValue": float(spec["targetValue"]),
                    **{
                        key[:1].upper() + key[1:]: _pascal(value)
                        for key, value in spec.items()
                        if key != "targetValue"
                    },
                }
                for spec in predictive["metricSpecifications"]
            ],
        }
    return params


def _pascal(value: Any) -> Any:
    """camelCase keys (the provider's) -> PascalCase (most AWS JSON APIs)."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


def _dimensions(dimensions: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in sorted((dimensions or {}).items())]


_ALARM_INPUTS = _capitalized(
    "alarmDescription", "alarmActions", ("okActions", "OKActions"), "treatMissingData",
    "namespace", "metricName", "statistic", "extendedStatistic", "period", "datapointsToAlarm",
)  # fmt: skip
"""PutMetricAlarm's optional parameters."""


def put_metric_alarm_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """Map a recorded `aws:cloudwatch/metricAlarm:MetricAlarm` to CloudWatch PutMetricAlarm."""
    inputs = _ints(inputs)
    params: dict[str, Any] = {
        "AlarmName": inputs["name"],
        "EvaluationPeriods": inputs["evaluationPeriods"],
        "ComparisonOperator": inputs["comparisonOperator"],
    }
    _copy_set(params, inputs, _ALARM_INPUTS)
    if "threshold" in inputs:
        params["Threshold"] = float(inputs["threshold"])
    if inputs.get("dimensions"):
        params["Dimensions"] = _dimensions(inputs["dimensions"])
    queries = []
    for query in inputs.get("metricQueries", []):
        item: dict[str, Any] = {"Id": query["id"]}
        for key in ("expression", "label", "returnData"):
            if key in query:
                item[key[:1].upper() + key[1:]] = query[key]
        if "metric" in query:
            metric = query["metric"]
            item["MetricStat"] = {
                "Metric": {
                    "Namespace": metric["namespace"],
                    "MetricName": metric["metricName"],
                    "Dimensions": _dimensions(metric.get("dimensions")),
                },
                "Period": metric["period"],
                "Stat": metric["stat"],
            }
        queries.append(item)
    if queries:
        params["Metrics"] = queries
    return params


def create_log_group_params(inputs: dict[str, Any]) -> dict[str, Any]:
    params = {"logGroupName": inputs["name"]}
    return _copy_set(params, inputs, _same("kmsKeyId"), skip_empty=True)


def put_rule_params(inputs: dict[str, Any]) -> dict[str, Any]:
    params = {"Name": inputs["name"], "EventPattern": inputs["eventPattern"]}
    return _copy_set(params, inputs, _capitalized("description"), skip_empty=True)


def put_targets_params(inputs: dict[str, Any]) -> dict[str, Any]:
    inputs = _ints(inputs)
    target: dict[str, Any] = {"Id": inputs.get("targetId", "target"), "Arn": inputs["arn"]}
    _copy_set(target, inputs, _capitalized("roleArn", "input"), skip_empty=True)
    if inputs.get("retryPolicy"):
        target["RetryPolicy"] = _pascal(inputs["retryPolicy"])
    return {"Rule": inputs["rule"], "Targets": [target]}


def create_state_machine_params(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": inputs["name"],
        "definition": inputs["definition"],
        "roleArn": inputs["roleArn"],
        "type": inputs.get("type", "STANDARD"),
    }


def put_logging_configuration_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """Map a recorded `aws:wafv2/webAclLoggingConfiguration` to WAFv2 PutLoggingConfiguration."""
    config: dict[str, Any] = {
        "ResourceArn": inputs["resourceArn"],
        "LogDestinationConfigs": inputs["logDestinationConfigs"],
    }
    if inputs.get("redactedFields"):
        config["RedactedFields"] = _pascal(inputs["redactedFields"])
    return {"LoggingConfiguration": config}


_WAF_NAMES = {
    "Ip": "IP",
    "ForwardedIp": "ForwardedIP",
    "ForwardedIpConfig": "ForwardedIPConfig",
    "IpSetReferenceStatement": "IPSetReferenceStatement",
    "IpSetForwardedIpConfig": "IPSetForwardedIPConfig",
    "HttpMethod": "HTTPMethod",
    "CloudwatchMetricsEnabled": "CloudWatchMetricsEnabled",
    "Ja3Fingerprint": "JA3Fingerprint",
    "Ja4Fingerprint": "JA4Fingerprint",
    "Asn": "ASN",
}
"""Where WAF's API spells a member other than the provider's camelCase capitalised."""


def _waf(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = key[:1].upper() + key[1:]
            out[_WAF_NAMES.get(name, name)] = _waf(item)
        return out
    if isinstance(value, list):
        return [_waf(v) for v in value]
    return value


def create_web_acl_params(inputs: dict[str, Any], name: str = "web-acl") -> dict[str, Any]:
    """Map a recorded `aws:wafv2/webAcl:WebAcl` to WAFv2 CreateWebACL (the rules, their
    statements and the data protection, whole); `name` stands in for the auto-name."""
    inputs = _ints(inputs)
    params: dict[str, Any] = {
        "Name": inputs.get("name") or name,
        "Scope": inputs["scope"],
        "DefaultAction": _waf(inputs["defaultAction"]),
        "VisibilityConfig": _waf(inputs["visibilityConfig"]),
        "Rules": _waf(inputs.get("rules", [])),
    }
    for key in ("description", "dataProtectionConfig", "associationConfig"):
        if inputs.get(key) is not None:
            params[key[:1].upper() + key[1:]] = _waf(inputs[key])
    if inputs.get("tags"):
        params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(inputs["tags"].items())]
    return params


def put_bucket_logging_params(inputs: dict[str, Any]) -> dict[str, Any]:
    enabled: dict[str, Any] = {
        "TargetBucket": inputs["targetBucket"],
        "TargetPrefix": inputs["targetPrefix"],
    }
    if inputs.get("targetObjectKeyFormat"):
        key_format = _pascal(inputs["targetObjectKeyFormat"])
        if "SimplePrefix" in key_format:
            key_format["SimplePrefix"] = {}
        enabled["TargetObjectKeyFormat"] = key_format
    return {"Bucket": inputs["bucket"], "BucketLoggingStatus": {"LoggingEnabled": enabled}}


def create_cluster_params(inputs: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"clusterName": inputs["name"]}
    return _copy_set(params, inputs, _same("settings", "configuration"), skip_empty=True)


def request_certificate_params(inputs: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "DomainName": inputs["domainName"],
        "ValidationMethod": inputs["validationMethod"],
    }
    names = _capitalized("subjectAlternativeNames")
    return _copy_set(params, inputs, names, skip_empty=True)


_QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
}


def create_queue_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """SQS takes every attribute as text; the values are checked against its documented
    ranges here (the model has no ranges for a map of strings)."""
    attributes = {
        api: str(_ints(inputs[key])).lower()
        if isinstance(inputs[key], bool)
        else str(_ints(inputs[key]))
        for key, api in _QUEUE_ATTRIBUTES.items()
        if key in inputs
    }
    return {"QueueName": inputs["name"], "Attributes": attributes}


_SERVERLESS_CACHE_INPUTS = _capitalized(
    "description", "majorEngineVersion", "securityGroupIds", "subnetIds", "userGroupId",
    "kmsKeyId", "snapshotRetentionLimit", "dailySnapshotTime",
)  # fmt: skip
"""CreateServerlessCache's optional parameters."""


def create_serverless_cache_params(inputs: dict[str, Any]) -> dict[str, Any]:
    inputs = _ints(inputs)
    params: dict[str, Any] = {"ServerlessCacheName": inputs["name"], "Engine": inputs["engine"]}
    _copy_set(params, inputs, _SERVERLESS_CACHE_INPUTS)
    limits = inputs.get("cacheUsageLimits") or {}
    usage: dict[str, Any] = {}
    if limits.get("dataStorage"):
        usage["DataStorage"] = _pascal(limits["dataStorage"])
    if limits.get("ecpuPerSeconds"):
        usage["ECPUPerSecond"] = _pascal(limits["ecpuPerSeconds"][0])
    if usage:
        params["CacheUsageLimits"] = usage
    return params


def create_user_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """The passwords are secrets (masked in the record): the mode's type is checked alone."""
    params: dict[str, Any] = {
        "UserId": inputs["userId"],
        "UserName": inputs["userName"],
        "Engine": inputs["engine"],
        "AccessString": inputs["accessString"],
    }
    mode = inputs.get("authenticationMode")
    if isinstance(mode, dict):
        params["AuthenticationMode"] = {"Type": mode["type"]}
    return params


def create_user_group_params(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "UserGroupId": inputs["userGroupId"],
        "Engine": inputs["engine"],
        "UserIds": inputs.get("userIds", []),
    }


_REPLICATION_GROUP_INPUTS = _capitalized(
    "engine", "engineVersion", ("nodeType", "CacheNodeType"), "numCacheClusters",
    ("parameterGroupName", "CacheParameterGroupName"), "port", "automaticFailoverEnabled",
    ("multiAzEnabled", "MultiAZEnabled"), "atRestEncryptionEnabled", "transitEncryptionEnabled",
    "snapshotRetentionLimit", "snapshotWindow",
    ("maintenanceWindow", "PreferredMaintenanceWindow"), "autoMinorVersionUpgrade",
)  # fmt: skip
"""CreateReplicationGroup's optional parameters."""


def create_replication_group_params(inputs: dict[str, Any]) -> dict[str, Any]:
    inputs = _ints(inputs)
    params: dict[str, Any] = {
        "ReplicationGroupId": inputs["replicationGroupId"],
        "ReplicationGroupDescription": inputs["description"],
    }
    _copy_set(params, inputs, _REPLICATION_GROUP_INPUTS)
    return params


def put_parameter_params(inputs: dict[str, Any]) -> dict[str, Any]:
    """The value is a secret (masked in the record): its placeholder stands in for it."""
    params = {"Name": inputs["name"], "Type": inputs["type"], "Value": inputs["value"]}
    _copy_set(params, inputs, _capitalized("tier", "description", "keyId"))
    return params


# (provider type, AWS service, operation, mapper): what `tests/test_aws_models.py` checks on
# every committed stack besides task definitions, services and scaling policies.
RESOURCE_OPERATIONS: tuple[tuple[str, str, str, Any], ...] = (
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "cloudwatch", "PutMetricAlarm",
     put_metric_alarm_params),
    ("aws:cloudwatch/logGroup:LogGroup", "logs", "CreateLogGroup", create_log_group_params),
    ("aws:cloudwatch/eventRule:EventRule", "events", "PutRule", put_rule_params),
    ("aws:cloudwatch/eventTarget:EventTarget", "events", "PutTargets", put_targets_params),
    ("aws:sfn/stateMachine:StateMachine", "stepfunctions", "CreateStateMachine",
     create_state_machine_params),
    ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "wafv2",
     "PutLoggingConfiguration", put_logging_configuration_params),
    ("aws:wafv2/webAcl:WebAcl", "wafv2", "CreateWebACL", create_web_acl_params),
    ("aws:s3/bucketLogging:BucketLogging", "s3", "PutBucketLogging", put_bucket_logging_params),
    ("aws:ecs/cluster:Cluster", "ecs", "CreateCluster", create_cluster_params),
    ("aws:acm/certificate:Certificate", "acm", "RequestCertificate", request_certificate_params),
    ("aws:sqs/queue:Queue", "sqs", "CreateQueue", create_queue_params),
    ("aws:elasticache/serverlessCache:ServerlessCache", "elasticache", "CreateServerlessCache",
     create_serverless_cache_params),
    ("aws:elasticache/user:User", "elasticache", "CreateUser", create_user_params),
    ("aws:ssm/parameter:Parameter", "ssm", "PutParameter", put_parameter_params),
    ("aws:elasticache/userGroup:UserGroup", "elasticache", "CreateUserGroup",
     create_user_group_params),
    ("aws:elasticache/replicationGroup:ReplicationGroup", "elasticache",
     "CreateReplicationGroup", create_replication_group_params),
)  # fmt: skip
