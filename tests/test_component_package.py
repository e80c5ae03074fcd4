"""The component package (`package/`, `components/interop/package.py`): its schema, generated
offline the way `component_provider_host` does, describes every component's inputs and outputs
with types and descriptions; the components plan from the dicts the provider hands them."""

from __future__ import annotations

import ast
import inspect
import json
import re
import typing
from pathlib import Path

import pytest
import yaml

import accessweaver_components
from tests import sdk_examples
from tests.conftest import ROOT
from tools.engine import run_function

VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:1.4.2"


@pytest.fixture(scope="module")
def schema() -> dict:
    from pulumi.provider.experimental.component import ComponentProvider

    from accessweaver_components.interop.package import COMPONENTS, PACKAGE, VERSION

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
    from accessweaver_components.interop.package import COMPONENTS

    assert schema["name"] == "accessweaver"
    assert schema["version"] == accessweaver_components.__version__
    assert set(schema["resources"]) == {f"accessweaver:index:{c.__name__}" for c in COMPONENTS}
    assert {
        "Microservice", "EcsCluster", "LoadBalancer", "NetworkLoadBalancer", "Database", "Cache",
        "DocumentStore", "WorkQueue",
    } == {c.__name__ for c in COMPONENTS}  # fmt: skip
    for spec in schema["resources"].values():
        assert spec["isComponent"] is True and spec["description"]


def test_each_component_input_and_output_is_in_the_schema_with_type_and_description(schema):
    from accessweaver_components.interop.package import COMPONENTS

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
    # the plugin installs the checkout as a package, at the program's pins (constraints only)
    lines = [
        line.strip()
        for line in (ROOT / "package" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["-c ../requirements.txt", ".."]


def shop_from_dicts() -> None:
    """What the provider does for a YAML program: the components built from plain dicts
    (snake_case keys, numbers as floats)."""
    import pulumi

    from accessweaver_components.interop.package import Cache, Database, EcsCluster, Microservice

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
    from tests.test_readme import README as readme

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


# -- what a TypeScript or Go team needs to deploy an api and its worker ---------------------


def _resource(schema: dict, name: str) -> dict:
    return schema["resources"][f"accessweaver:index:{name}"]


def test_the_outputs_a_program_wires_are_in_the_schema(schema):
    service = _resource(schema, "Microservice")["properties"]
    for output in ("serviceName", "securityGroupId", "taskRoleArn", "executionRoleArn",
                   "internalDnsName", "internalUrl"):  # fmt: skip
        assert service[output]["type"] == "string", output
    balancer = _resource(schema, "LoadBalancer")["properties"]
    assert balancer["dnsName"]["type"] == "string"
    assert balancer["securityGroupId"]["type"] == "string"
    assert balancer["targetGroupArns"]["additionalProperties"]["type"] == "string"
    urls = balancer["urls"]["additionalProperties"]
    assert (urls["type"], urls["items"]["type"]) == ("array", "string")
    database = _resource(schema, "Database")["properties"]
    assert {"address", "databaseName", "username", "masterSecretArn", "securityGroupId"} <= set(
        database
    )
    assert {"bucketName", "bucketArn", "kmsKeyArn"} <= set(_resource(schema, "DocumentStore")[
        "properties"])  # fmt: skip


def test_images_cluster_names_and_arns_take_outputs_and_grants_are_typed(schema):
    """`plain: true` in the schema is a value the generated SDKs refuse an Output for."""
    service = _resource(schema, "Microservice")
    inputs = service["inputProperties"]
    for name in ("image", "clusterName", "clusterArn", "vpcId", "targetGroupArn"):
        assert inputs[name]["type"] == "string" and not inputs[name].get("plain"), name
    assert not inputs["subnetIds"].get("plain")
    assert {"clusterArn", "clusterName", "vpcId", "subnetIds", "image"} == set(
        service["requiredInputs"]
    )
    types = schema["types"]
    assert inputs["queues"]["items"]["$ref"] == "#/types/accessweaver:index:QueueGrant"
    assert inputs["buckets"]["items"]["$ref"] == "#/types/accessweaver:index:BucketGrant"
    assert inputs["database"]["$ref"] == "#/types/accessweaver:index:DatabaseGrant"
    queue = types["accessweaver:index:QueueGrant"]
    assert set(queue["required"]) == {"name", "queueUrl", "queueArn"}
    assert not queue["properties"]["queueArn"].get("plain")
    assert [e["value"] for e in types["accessweaver:index:QueueAccess"]["enum"]] == [
        "consume", "send", "consumeAndSend"
    ]  # fmt: skip
    assert set(types["accessweaver:index:BucketGrant"]["required"]) == {
        "name", "bucketName", "bucketArn"
    }  # fmt: skip
    database = types["accessweaver:index:DatabaseGrant"]
    assert set(database["required"]) == {
        "address", "databaseName", "username", "passwordSecretArn", "securityGroupId"
    }  # fmt: skip
    balancer = _resource(schema, "LoadBalancer")
    assert set(balancer["requiredInputs"]) == {"vpcId", "subnetIds", "routes"}
    assert balancer["inputProperties"]["internal"]["type"] == "boolean"
    route = types["accessweaver:index:LoadBalancerRoute"]
    assert set(route["required"]) == {"service", "port"}
    assert route["properties"]["hostHeaders"]["items"]["type"] == "string"
    tcp = _resource(schema, "NetworkLoadBalancer")
    assert set(tcp["requiredInputs"]) == {"name", "vpcId", "subnetIds", "listeners"}
    assert {"dnsName", "securityGroupId", "targetGroupArns", "endpoints"} <= set(tcp["properties"])
    assert [e["value"] for e in types["accessweaver:index:TcpProtocol"]["enum"]] == ["TCP", "TLS"]
    assert not balancer["inputProperties"]["certificateArn"].get("plain")


ECR_REPOSITORY = "aws:ecr/repository:Repository"


def api_and_worker_from_dicts() -> None:
    """An api behind the package's LoadBalancer and a worker granted its queue, a bucket and a
    database, every wire an output of another resource, as a TypeScript or Go program does."""
    import pulumi
    import pulumi_aws as aws

    from accessweaver_components.interop.package import (
        Database,
        DocumentStore,
        LoadBalancer,
        Microservice,
        NetworkLoadBalancer,
        WorkQueue,
    )

    cluster_arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/shop-dev"
    # the worker's image and cluster name are Outputs, as a TypeScript program's would be
    repository = aws.ecr.Repository(
        "worker-images", name="shop/worker", image_tag_mutability="IMMUTABLE"
    )
    worker_image = repository.repository_url.apply(lambda url: f"{url}:2.0.1")
    cluster_name = pulumi.Output.from_input(cluster_arn).apply(lambda arn: arn.rsplit("/", 1)[1])
    balancer = LoadBalancer(
        "edge",
        {"name": "shop-dev", "vpc_id": VPC, "subnet_ids": SUBNETS, "internal": True,
         "routes": [{"service": "api", "port": 8080.0, "path_patterns": ["/api/*"],
                     "host_headers": ["api.shop.internal"]}]},
    )  # fmt: skip
    tcp = NetworkLoadBalancer(
        "tcp", {"name": "shop-dev-tcp", "vpc_id": VPC, "subnet_ids": SUBNETS,
                "listeners": [{"service": "ledger", "port": 5000.0, "listener_port": 443.0,
                               "protocol": "TLS"}],
                "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
                                   "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"},
    )  # fmt: skip
    jobs = WorkQueue("jobs", {"name": "shop-dev-jobs"})
    files = DocumentStore("files", {"bucket_prefix": "shop-dev-files"})
    database = Database(
        "db", {"identifier": "shop-dev", "vpc_id": VPC, "subnet_ids": SUBNETS, "multi_az": False}
    )
    common = {"cluster_arn": cluster_arn, "cluster_name": "shop-dev", "vpc_id": VPC,
              "subnet_ids": SUBNETS}  # fmt: skip
    api = Microservice(
        "api",
        {**common, "image": IMAGE, "port": 8080.0,
         "target_group_arn": balancer.target_group_arns.apply(lambda groups: groups["api"]),
         "load_balancer_security_group_ids": [balancer.security_group_id],
         "queues": [{"name": "jobs", "queue_url": jobs.queue_url, "queue_arn": jobs.queue_arn,
                     "access": "send"}]},
    )  # fmt: skip
    worker = Microservice(
        "worker",
        {**common, "image": worker_image, "cluster_name": cluster_name,
         "min_capacity": 1.0, "max_capacity": 3.0,
         "health_check_command": ["CMD-SHELL", "test -f /tmp/ok"],
         "queues": [{"name": "jobs", "queue_url": jobs.queue_url, "queue_arn": jobs.queue_arn}],
         "buckets": [{"name": "files", "bucket_name": files.bucket_name,
                      "bucket_arn": files.bucket_arn, "kms_key_arn": files.kms_key_arn,
                      "access": "readWrite"}],
         "database": {"address": database.address, "database_name": database.database_name,
                      "username": database.username,
                      "password_secret_arn": database.master_secret_arn,
                      "security_group_id": database.security_group_id}},
    )  # fmt: skip
    Microservice(
        "ledger",
        {**common, "image": IMAGE, "port": 5000.0,
         "target_group_arn": tcp.target_group_arns.apply(lambda groups: groups["ledger"]),
         "load_balancer_security_group_ids": [tcp.security_group_id]},
    )  # fmt: skip
    pulumi.export("endpoints", tcp.endpoints)
    pulumi.export("api_service", api.service_name)
    pulumi.export("api_task_role", api.task_role_arn)
    pulumi.export("worker_execution_role", worker.execution_role_arn)
    pulumi.export("worker_group", worker.security_group_id)
    pulumi.export("urls", balancer.urls)
    pulumi.export("dns", balancer.dns_name)


@pytest.fixture(scope="module")
def api_and_worker():
    return run_function(api_and_worker_from_dicts, project="shop")


def test_an_output_image_and_cluster_name_plan(api_and_worker):
    result = api_and_worker
    (container,) = json.loads(
        result.one("aws:ecs/taskDefinition:TaskDefinition", "worker-task").inputs[
            "containerDefinitions"]
    )  # fmt: skip
    assert container["image"].endswith(":2.0.1") and ".dkr.ecr." in container["image"]
    repository = container["image"].split("/", 1)[1].rsplit(":", 1)[0]
    (pull,) = [s for s in _policy(result, "worker-exec-policy") if s["Sid"] == "EcrPull"]
    assert pull["Resource"] == f"arn:aws:ecr:eu-west-1:123456789012:repository/{repository}"
    service = result.one("aws:ecs/service:Service", "worker-service").inputs["name"]
    (target,) = result.of_type("aws:appautoscaling/target:Target")
    assert target.inputs["resourceId"] == f"service/shop-dev/{service}"


def _policy(result, name: str) -> list[dict]:
    return json.loads(result.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])[
        "Statement"
    ]


def test_the_api_sits_behind_the_package_load_balancer(api_and_worker):
    result = api_and_worker
    (rule,) = [r for r in result.of_type("aws:lb/listenerRule:ListenerRule")
               if r.name == "edge-api-rule"]  # fmt: skip
    assert {"pathPattern": {"values": ["/api/*"]}} in rule.inputs["conditions"]
    assert {"hostHeader": {"values": ["api.shop.internal"]}} in rule.inputs["conditions"]
    (alb,) = [r for r in result.of_type("aws:lb/loadBalancer:LoadBalancer")
              if r.inputs["loadBalancerType"] == "application"]  # fmt: skip
    assert alb.inputs["internal"] is True
    assert not result.of_type("aws:wafv2/webAcl:WebAcl")  # internal: no WAF unless asked
    target_group = result.one("aws:lb/targetGroup:TargetGroup", "edge-api-tg-a")
    assert target_group.inputs["port"] == 8080
    (attached,) = result.one("aws:ecs/service:Service", "api-service").inputs["loadBalancers"]
    assert attached["targetGroupArn"] == rule.inputs["actions"][0]["targetGroupArn"]
    assert attached["containerPort"] == 8080
    assert result.outputs["urls"] == {"api": ["http://api.shop.internal/api/"]}
    assert result.outputs["api_service"] == "shop-dev-api"  # stack-scoped by default


def test_a_tcp_service_sits_behind_the_package_network_load_balancer(api_and_worker):
    result = api_and_worker
    (nlb,) = [r for r in result.of_type("aws:lb/loadBalancer:LoadBalancer")
              if r.inputs["loadBalancerType"] == "network"]  # fmt: skip
    assert nlb.inputs["internal"] is True
    (listener,) = [r for r in result.of_type("aws:lb/listener:Listener")
                   if r.inputs["protocol"] == "TLS"]  # fmt: skip
    assert listener.inputs["port"] == 443
    (attached,) = result.one("aws:ecs/service:Service", "ledger-service").inputs["loadBalancers"]
    assert attached["containerPort"] == 5000
    (endpoint,) = result.outputs["endpoints"].items()
    assert endpoint[0] == "ledger" and endpoint[1].endswith(":443")


def test_the_worker_is_granted_its_queue_bucket_and_database_and_nothing_else(api_and_worker):
    result = api_and_worker
    worker = {s["Sid"]: s for s in _policy(result, "worker-task-policy")}
    assert worker["QueueConsumeJobs"]["Action"] == [
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
    ]  # fmt: skip
    assert worker["QueueConsumeJobs"]["Resource"] == (
        "arn:aws:sqs:eu-west-1:123456789012:shop-dev-jobs"
    )
    assert set(worker) == {"QueueConsumeJobs", "FilesList", "FilesReadWrite", "FilesKey"}
    api = {s["Sid"]: s for s in _policy(result, "api-task-policy")}
    assert set(api) == {"QueueSendJobs"} and "sqs:ReceiveMessage" not in api["QueueSendJobs"][
        "Action"]  # fmt: skip
    (container,) = json.loads(
        result.one("aws:ecs/taskDefinition:TaskDefinition", "worker-task").inputs[
            "containerDefinitions"]
    )  # fmt: skip
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["JOBS_QUEUE_URL"].startswith("https://sqs.")
    assert env["FILES_BUCKET"].startswith("shop-dev-files-")
    assert env["DATABASE_URL"].startswith("postgresql://") and env["DATABASE_NAME"] == "app"
    (password,) = [s for s in container["secrets"] if s["name"] == "DATABASE_PASSWORD"]
    assert password["valueFrom"].endswith(":password::")
    execution = _policy(result, "worker-exec-policy")
    # the execution role reads that secret and no other
    (readable,) = [s for s in execution if "secretsmanager:GetSecretValue" in s["Action"]]
    assert readable["Resource"] == [password["valueFrom"].removesuffix(":password::")]
    # and the worker's group reaches the database's on its port, the database admits it
    paths = {
        (r.type.rsplit(":", 1)[1], r.inputs["fromPort"],
         r.property_dependencies["securityGroupId"], r.property_dependencies[
             "referencedSecurityGroupId"])
        for r in result.resources
        if r.type.endswith(("EgressRule", "IngressRule"))
        and r.property_dependencies.get("referencedSecurityGroupId")
    }  # fmt: skip
    worker_group = ("aws:ec2/securityGroup:SecurityGroup::worker-sg",)
    database_group = ("aws:ec2/securityGroup:SecurityGroup::db-sg",)
    assert ("SecurityGroupEgressRule", 5432, worker_group, database_group) in paths
    assert ("SecurityGroupIngressRule", 5432, database_group, worker_group) in paths


# -- the README's TypeScript and Go programs against the schema -----------------------------


def _readme_block(marker: str, fence: str) -> str:
    from tests.test_readme import README as readme

    block = readme.split(f"<!-- {marker}:start -->")[1].split(f"<!-- {marker}:end -->")[0]
    return block.split(f"```{fence}")[1].split("```")[0]


@pytest.mark.parametrize(
    ("marker", "fence", "language", "constructed"),
    [
        ("typescript-example", "typescript", "typescript",
         ["LoadBalancer", "WorkQueue", "Microservice", "Microservice"]),
        ("go-example", "go", "go", ["WorkQueue", "Microservice"]),
    ],
)  # fmt: skip
def test_the_readme_typescript_and_go_programs_match_the_schema(
    schema, marker, fence, language, constructed
):
    source = _readme_block(marker, fence)
    program = sdk_examples.check(source, language, schema)
    assert program.constructed == constructed
    assert program.problems == []
    assert sdk_examples.outputs_read(program, source, schema) == []
    # the worker is granted its queue, from the queue's outputs
    assert re.search(r"[qQ]ueueUrl\s*:\s*jobs\.[qQ]ueueUrl", source)


SCHEMA_BREAKS = [
    # (language, what the README would say, the problem the checker must name)
    ("typescript", ("port: 8080,", 'port: "8080",'), "integer expected, got a string"),
    ("typescript", ('access: "send"', 'access: "write"'), "'write' is not one of"),
    ("typescript", ("pathPatterns:", "paths:"), "routes[0].paths: no such input"),
    (
        "typescript",
        (
            "clusterArn, clusterName, vpcId, subnetIds, image,\n    port",
            "clusterArn, vpcId, subnetIds, image,\n    port",
        ),
        "required input clusterName is missing",
    ),
    (
        "typescript",
        ("visibilityTimeoutSeconds: 600", "visibilityTimeoutSeconds: api.serviceName"),
        "is an Output",
    ),
    ("typescript", ("api.taskRoleArn", "api.taskRole"), "has no output taskRole"),
    (
        "go",
        ("Cpu:                pulumi.IntRef(512)", "Cpu:                pulumi.Int(512)"),
        "a plain integer, not pulumi.Int",
    ),
    (
        "go",
        ("VisibilityTimeoutSeconds: pulumi.IntRef(600)", "VisibilityTimeoutSeconds: 600"),
        "an optional plain value is a pointer",
    ),
    (
        "go",
        ("HealthCheckCommand: []string{", "HealthCheckCommand: pulumi.StringArray{"),
        "[]string{...} expected",
    ),
    (
        "go",
        ("[]accessweaver.QueueGrantArgs", "accessweaver.QueueGrantArray"),
        "[]accessweaver.QueueGrantArgs{...} expected",
    ),
    (
        "go",
        ("Image:              pulumi.Sprintf", "Images:             pulumi.Sprintf"),
        "Images: no such input",
    ),
    ("go", ("worker.TaskRoleArn", "worker.RoleArn"), "has no output roleArn"),
]


@pytest.mark.parametrize(("language", "edit", "problem"), SCHEMA_BREAKS)
def test_the_program_checker_names_each_mismatch(schema, language, edit, problem):
    """Each break of a README program is caught: the test above cannot pass by reading
    nothing."""
    marker, fence = ("typescript-example", "typescript") if language == "typescript" else (
        "go-example", "go")  # fmt: skip
    source = _readme_block(marker, fence)
    assert edit[0] in source
    broken = source.replace(edit[0], edit[1], 1)
    program = sdk_examples.check(broken, language, schema)
    found = program.problems + sdk_examples.outputs_read(program, broken, schema)
    assert any(problem in p for p in found), found
