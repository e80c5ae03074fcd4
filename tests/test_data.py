"""PostgreSQL and Redis: the controls of CONTROLS.md on the recorded runs, how the services reach
them, and the config rules of the `database`/`cache` keys (pure loader, no engine)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accessweaver_components.stack import ConfigError
from tests.config_support import existing_vpc_config, existing_vpc_stack, loader
from tests.conftest import STACKS, container_definitions
from tests.resource_types import SG, SG_IN, SG_OUT, TASK

RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"
CACHE_USER = "aws:elasticache/user:User"
CACHE_USERS = "aws:elasticache/userGroup:UserGroup"


def database(result) -> dict[str, Any]:
    (instance,) = result.of_type(RDS)
    return instance.inputs


def redis(result) -> dict[str, Any]:
    (group,) = result.of_type(REDIS)
    return group.inputs


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_rds_is_private_encrypted_iam_auth_logged_and_backed_up_in_every_stack(plan, stack):
    db = database(plan(stack))
    assert db["publiclyAccessible"] is False
    assert db["storageEncrypted"] is True
    assert db["iamDatabaseAuthenticationEnabled"] is True
    assert db["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert db["backupRetentionPeriod"] >= 7
    assert db["autoMinorVersionUpgrade"] is True and db["copyTagsToSnapshot"] is True
    assert db["skipFinalSnapshot"] is False
    assert db["finalSnapshotIdentifier"] == f"accessweaver-{stack}-postgres-final"


@pytest.mark.parametrize("stack", STACKS)
def test_rds_password_is_aws_managed_and_never_an_input(plan, stack):
    db = database(plan(stack))
    assert db["manageMasterUserPassword"] is True
    assert "password" not in db and "passwordWo" not in db


@pytest.mark.parametrize("stack", STACKS)
def test_rds_avoids_the_default_port_and_admin_name(plan, stack):
    db = database(plan(stack))
    assert db["port"] != 5432
    assert db["username"].lower() not in {"postgres", "admin"}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_rds_is_multi_az_deletion_protected_and_monitored(plan, stack):
    result = plan(stack)
    db = database(result)
    assert db["multiAz"] is True and db["deletionProtection"] is True
    assert db["monitoringInterval"] > 0
    role = result.one("aws:iam/role:Role", f"accessweaver-{stack}-database-monitoring-role")
    assert "monitoring.rds.amazonaws.com" in role.inputs["assumeRolePolicy"]
    assert db["monitoringRoleArn"].startswith(
        f"arn:aws:iam::123456789012:role/accessweaver/{stack}/accessweaver-{stack}-database-monitoring-role"
    )


def test_dev_rds_takes_the_documented_waiver_single_az_unprotected_unmonitored(plan):
    db = database(plan("dev"))
    assert (db["multiAz"], db["deletionProtection"], db["monitoringInterval"]) == (False, False, 0)
    assert "monitoringRoleArn" not in db


def test_rds_parameter_group_forces_tls_for_the_configured_major_version(plan):
    result = plan("prod")
    (group,) = result.of_type("aws:rds/parameterGroup:ParameterGroup")
    assert group.inputs["family"] == "postgres16"
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in group.inputs[
        "parameters"
    ]
    assert database(result)["parameterGroupName"].startswith("accessweaver-prod-database-params")


def test_rds_subnet_group_is_the_private_subnets_the_services_use(plan):
    result = plan("prod")
    (subnets,) = result.of_type("aws:rds/subnetGroup:SubnetGroup")
    service = result.one("aws:ecs/service:Service", "aw-pdp-service-service")
    private = service.inputs["networkConfiguration"]["subnets"]
    assert subnets.inputs["subnetIds"] == private and len(private) == 3


@pytest.mark.parametrize(("role", "port"), [("database", 5433), ("cache", 6379)])
def test_data_store_group_admits_only_its_users_on_its_port(plan, role, port):
    result = plan("prod")
    store_group = result.one(SG, f"accessweaver-prod-{role}-sg")
    store = "postgres" if role == "database" else "redis"
    on_store = [r.inputs for r in result.of_type(SG_IN) if r.name.startswith(f"{store}-from-")]
    users = {r.name.removeprefix(f"{store}-from-").rsplit("-", 1)[0] for r in result.of_type(SG_IN)
             if r.name.startswith(f"{store}-from-")}  # fmt: skip
    expected = (
        # the services and Keycloak, and the platform tasks that create and rotate their logins
        {
            "aw-pdp-service",
            "aw-pap-service",
            "aw-tenant-service",
            "aw-audit-service",
            "keycloak",
            "platform-setup",
            "platform-rotate",
        }
        if role == "database"
        else {"aw-api-gateway", "aw-pdp-service", "aw-pap-service"}
    )
    assert users == expected
    store_id = on_store[0]["securityGroupId"]
    # every rule on the store's group is one of these, on the store's port, from a group
    on_group = [r.inputs for r in result.of_type(SG_IN) if r.inputs["securityGroupId"] == store_id]
    assert on_group == on_store
    for rule in on_store:
        assert (rule["fromPort"], rule["toPort"]) == (port, port)
        assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    assert store_group.inputs["vpcId"] == result.outputs["vpc_id"]


def test_rds_log_groups_exist_first_with_the_audit_retention(plan):
    result = plan("prod")
    for log in ("postgresql", "upgrade"):
        group = result.one(
            "aws:cloudwatch/logGroup:LogGroup", f"accessweaver-prod-database-{log}-logs"
        )
        assert group.inputs["name"] == f"/aws/rds/instance/accessweaver-prod-postgres/{log}"
        # auditLogRetentionDays (365 in prod), not the applications' logRetentionDays (30).
        assert group.inputs["retentionInDays"] == 365
    (instance,) = result.of_type(RDS)
    assert {"aws:cloudwatch/logGroup:LogGroup::accessweaver-prod-database-postgresql-logs"} <= set(
        instance.depends_on
    )


# -- Redis ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_redis_is_encrypted_and_reached_through_its_user_group_in_its_own_subnet_group(plan, stack):
    result = plan(stack)
    group = redis(result)
    assert (group["engine"], group["parameterGroupName"]) == ("valkey", "default.valkey8")
    assert group["atRestEncryptionEnabled"] is True and group["transitEncryptionEnabled"] is True
    # no AUTH token (it would be a value in the state): RBAC with an IAM user instead
    assert "authToken" not in group and group["authTokenUpdateStrategy"] == "DELETE"
    (users,) = result.of_type(CACHE_USERS)
    assert group["userGroupIds"] == [users.inputs["userGroupId"]]
    (subnets,) = result.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    assert group["subnetGroupName"] == subnets.inputs.get("name", group["subnetGroupName"])
    assert group["subnetGroupName"] != "default"
    assert group["autoMinorVersionUpgrade"] is True


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_redis_fails_over_across_two_nodes_and_keeps_snapshots(plan, stack):
    group = redis(plan(stack))
    assert group["numCacheClusters"] >= 2
    assert group["automaticFailoverEnabled"] is True and group["multiAzEnabled"] is True
    assert group["snapshotRetentionLimit"] >= 1
    assert group["finalSnapshotIdentifier"] == f"accessweaver-{stack}-redis-final"


def test_dev_cache_is_serverless_valkey_behind_a_user_group_with_default_switched_off(plan):
    result = plan("dev")
    # GIVEN dev's default cache: no node, so no replication group and no subnet group
    assert not result.of_type(REDIS)
    assert not result.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    (cache,) = result.of_type(SERVERLESS)
    inputs = cache.inputs
    assert (inputs["engine"], inputs["majorEngineVersion"]) == ("valkey", "8")
    assert inputs["name"] == "accessweaver-dev-redis" and inputs["snapshotRetentionLimit"] == 0
    assert inputs["cacheUsageLimits"]["dataStorage"] == {"maximum": 1, "unit": "GB"}
    (subnets,) = result.of_type("aws:rds/subnetGroup:SubnetGroup")
    assert inputs["subnetIds"] == subnets.inputs["subnetIds"]  # the private subnets
    assert cache.property_dependencies["securityGroupIds"] == (f"{SG}::accessweaver-dev-cache-sg",)
    # THEN access goes through a Valkey user group: `default` off, the services' user by IAM
    (users,) = result.of_type(CACHE_USERS)
    assert inputs["userGroupId"] == users.inputs["userGroupId"]
    assert users.inputs["engine"] == "valkey"
    by_name = {u.inputs["userName"]: u.inputs for u in result.of_type(CACHE_USER)}
    services = "accessweaver-dev-redis-iam"
    assert set(by_name) == {"default", services}
    assert sorted(users.inputs["userIds"]) == sorted(u["userId"] for u in by_name.values())
    assert by_name["default"]["accessString"].startswith("off ")
    assert by_name[services]["accessString"].startswith("on ")
    # IAM authentication: the user id is its name, no password anywhere
    assert by_name[services]["userId"] == services
    assert by_name[services]["authenticationMode"] == {"type": "iam"}
    # `default` cannot authenticate at all (`off`); its password is a fixed derivation
    from accessweaver_components.data.cache import disabled_user_password

    mode = by_name["default"]["authenticationMode"]
    assert mode["passwords"] == [disabled_user_password(by_name["default"]["userId"])]
    for user in by_name.values():
        assert user["engine"] == "valkey"


def test_services_of_a_serverless_cache_connect_in_cluster_mode_as_the_iam_user(plan):
    result = plan("dev")
    container = app(result, "aw-pdp-service")
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["REDIS_CLUSTER_MODE"] == "true"
    assert (environment["REDIS_USERNAME"], environment["REDIS_PORT"]) == (
        "accessweaver-dev-redis-iam",
        "6379",
    )
    assert (environment["REDIS_AUTH_MODE"], environment["REDIS_REGION"]) == ("iam", "eu-west-1")
    assert environment["REDIS_CACHE_NAME"] == "accessweaver-dev-redis"
    assert not container.get("secrets") or "REDIS_AUTH_TOKEN" not in {
        s["name"] for s in container["secrets"]
    }
    assert environment["REDIS_HOST"] == result.outputs["redis_endpoint"].rsplit(":", 1)[0]
    assert ".serverless." in environment["REDIS_HOST"]
    spring = result.outputs["spring_application_config"]["aw-pdp-service"]
    assert "cluster:\n        nodes: ${REDIS_HOST}:${REDIS_PORT:6379}" in spring
    assert "username: ${REDIS_USERNAME}" in spring and "enabled: true" in spring


def test_dev_may_still_run_one_node_without_failover_or_snapshots(run_stack):
    result = run_stack("dev", {"accessweaver:cache": {"serverless": False}})
    assert not result.of_type(SERVERLESS) and len(result.of_type(CACHE_USER)) == 2
    group = redis(result)
    assert (group["numCacheClusters"], group["automaticFailoverEnabled"]) == (1, False)
    assert group["snapshotRetentionLimit"] == 0 and "finalSnapshotIdentifier" not in group
    environment = {e["name"]: e["value"] for e in app(result, "aw-pdp-service")["environment"]}
    assert environment["REDIS_CLUSTER_MODE"] == "false"
    assert environment["REDIS_USERNAME"] == "accessweaver-dev-redis-iam"


# -- State protection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "protected"), [("dev", False), ("staging", True), ("prod", True)]
)
def test_database_and_cache_are_protected_where_state_must_survive(plan, stack, protected):
    result = plan(stack)
    for type_ in (RDS, SERVERLESS if stack == "dev" else REDIS):
        (resource,) = result.of_type(type_)
        assert resource.protect is protected, type_


def test_data_store_names_are_stable_per_stack(plan):
    result = plan("staging")
    assert database(result)["identifier"] == "accessweaver-staging-postgres"
    assert redis(result)["replicationGroupId"] == "accessweaver-staging-redis"


# -- What the services receive -------------------------------------------------------------


def app(result, service: str) -> dict[str, Any]:
    return container_definitions(result.one(TASK, f"{service}-task"))[0]


def test_services_get_endpoints_as_environment_and_credentials_as_secret_references(plan):
    result = plan("prod")
    container = app(result, "aw-pdp-service")
    environment = {e["name"]: e["value"] for e in container["environment"]}
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    endpoint = result.outputs["database_endpoint"]
    assert environment["DATABASE_URL"] == (
        f"jdbc:postgresql://{endpoint}/accessweaver?sslmode=require"
    )
    # its own login and schema, its own secret; never the master's
    assert environment["DATABASE_USERNAME"] == environment["DATABASE_SCHEMA"] == "aw_pdp_service"
    assert environment["REDIS_HOST"] == result.outputs["redis_endpoint"].rsplit(":", 1)[0]
    assert environment["REDIS_PORT"] == "6379"
    arns = result.outputs["secret_arns"]
    assert secrets["DATABASE_PASSWORD"] == f"{arns['database/aw_pdp_service']}:password::"
    assert arns["database-master"] not in json.dumps(container)
    assert "REDIS_AUTH_TOKEN" not in secrets and "DATABASE_PASSWORD" not in environment
    # the decision point does not sign tokens: the JWT key is the gateway's alone
    assert "JWT_SECRET" not in secrets
    gateway = {s["name"]: s["valueFrom"] for s in app(result, "aw-api-gateway")["secrets"]}
    assert gateway["JWT_SECRET"] == arns["jwt-signing-key"]


def test_every_service_that_uses_the_database_gets_the_same_url(plan):
    result = plan("staging")
    wired = {
        service: {e["name"]: e["value"] for e in app(result, service)["environment"]}
        for service in ("aw-pdp-service", "aw-tenant-service", "aw-audit-service")
    }
    urls = {env["DATABASE_URL"] for env in wired.values()}
    assert len(urls) == 1 and ":5433/" in urls.pop()
    gateway = {e["name"] for e in app(result, "aw-api-gateway")["environment"]}
    assert "DATABASE_URL" not in gateway


def test_existing_data_stores_keep_the_configured_groups_and_default_ports(run_stack):
    # GIVEN dev in an existing VPC, using a database and Redis built elsewhere (the seed's set-up)
    result = run_stack(
        "dev",
        {
            **existing_vpc_config(),
            "accessweaver:database": {"enabled": False},
            "accessweaver:cache": {"enabled": False},
            "accessweaver:keycloak": {"enabled": False},
            "accessweaver:rdsSecurityGroupId": "sg-0a1b2c3d4e5f60744",
            "accessweaver:redisSecurityGroupId": "sg-0a1b2c3d4e5f60755",
        },
    )
    # THEN nothing of the data layer is created, the services reach the configured groups
    assert not result.of_type(RDS) and not result.of_type(REDIS)
    egress = {
        (r.inputs.get("referencedSecurityGroupId"), r.inputs["fromPort"])
        for r in result.of_type(SG_OUT)
    }
    assert {("sg-0a1b2c3d4e5f60744", 5432), ("sg-0a1b2c3d4e5f60755", 6379)} <= egress
    environment = {e["name"] for e in app(result, "aw-pdp-service")["environment"]}
    assert not {"DATABASE_URL", "REDIS_HOST"} & environment


# -- Config rules (pure) -------------------------------------------------------------------

BASE = existing_vpc_stack("staging")


load, problems = loader(BASE)


def test_the_default_postgres_port_is_refused_naming_the_control():
    text = problems(database={"port": 5432})["database.port"]
    assert "RDS.23" in text and "except 5432" in text


@pytest.mark.parametrize("name", ["postgres", "admin", "rdsadmin"])
def test_default_or_reserved_admin_names_are_refused(name):
    assert "RDS.25" in problems(database={"username": name})["database.username"]


def test_staging_refuses_every_switched_off_p_control_at_once():
    found = problems(
        database={"multiAz": False, "deletionProtection": False, "monitoringInterval": 0},
        cache={"nodes": 1, "snapshotRetentionDays": 0},
        protectStatefulResources=False,
    )
    assert {
        "database.multiAz",
        "database.deletionProtection",
        "database.monitoringInterval",
        "cache.nodes",
        "cache.snapshotRetentionDays",
        "protectStatefulResources",
    } <= set(found)
    assert "(required in staging)" in found["cache.nodes"]


def test_dev_may_switch_the_p_controls_off():
    settings = load(
        environment="dev", database={"multiAz": False}, cache={"nodes": 1, "serverless": False}
    )
    assert settings.platform.database.multi_az is False
    assert settings.platform.cache.failover is False


def test_cache_engine_rules_are_refused_together_naming_what_is_allowed():
    found = problems(cache={"engine": "redis", "engineVersion": "8.0", "serverless": True,
                            "port": 6380})  # fmt: skip
    assert "not a redis version" in found["cache.engineVersion"]
    assert "7.0, 7.1" in found["cache.engineVersion"] and "IAM" in found["cache.engineVersion"]
    assert "engine: valkey" in found["cache.serverless"]
    assert "6379" in found["cache.port"]


def test_a_serverless_cache_needs_no_second_node_but_keeps_its_snapshots_in_staging():
    found = problems(cache={"serverless": True, "nodes": 1, "snapshotRetentionDays": 0})
    assert "cache.nodes" not in found and "cache.snapshotRetentionDays" in found
    settings = load(cache={"serverless": True, "snapshotRetentionDays": 1})
    assert settings.platform.cache.serverless and settings.platform.cache.failover


def test_an_existing_database_group_and_a_created_database_exclude_each_other():
    text = problems(rdsSecurityGroupId="sg-0123456789abcdef0")["rdsSecurityGroupId"]
    assert "database.enabled false" in text


def test_storage_ceiling_below_the_allocation_is_refused():
    found = problems(database={"allocatedStorage": 100, "maxAllocatedStorage": 50})
    assert "at least 100" in found["database.maxAllocatedStorage"]


def test_wired_variable_set_by_hand_is_refused_once_for_common_keys():
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
    found = problems(commonSecrets={"DATABASE_PASSWORD": arn})
    assert "wired by the program" in found["commonSecrets.DATABASE_PASSWORD"]
    with pytest.raises(ConfigError) as caught:
        load(commonSecrets={"DATABASE_PASSWORD": arn})
    assert len(caught.value.issues) == 1
