"""Stack-config models of identity: the secrets the program generates (`secrets`) and Keycloak
(`keycloak`), their resolved settings, Keycloak as a catalog entry (so routing, sizing,
overrides and checks treat it like any service), and the edge's guard rules in front of it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from ..compute.config import MAX_QUERY_STRING_KB, MAX_REQUEST_BODY_KB
from ..data.config import DatabaseConfig, DatabaseSettings, DbName
from ..edge.config import Guard
from ..errors import ConfigIssue, Rules
from ..formats import IMAGE_PATTERN, ConfigModel, Environment, Flag, Hostname
from .sizing import KeycloakLoad, keycloak_floor

KEYCLOAK_VERSION = "26.7.0"
"""Default release (2026-07-09): the image tag images/keycloak/Dockerfile builds."""
KEYCLOAK_MIN_VERSION = (26, 1)
"""The jdbc-ping cluster stack exists from 26.1; 26.0 offers tcp, udp, kubernetes, ec2, azure
and google, none of which finds the other tasks on ECS without more configuration."""
KEYCLOAK_CACHE_STACK = "jdbc-ping"
KEYCLOAK_PUBLIC_PATHS = ("realms", "resources")
"""Keycloak's reverse-proxy guide ("Exposed path recommendations"): expose /realms/ (OIDC
endpoints) and /resources/ (assets); never /admin/, /metrics, /health or /."""
KEYCLOAK_MANAGEMENT_PORT = 9000
KEYCLOAK_SERVICE = "keycloak"
KEYCLOAK_PATH = "/auth"
KEYCLOAK_ADMIN_REALM = "master"
"""The administration realm (Keycloak's default name): the 26.7 reverse-proxy guide keeps
`/realms/master/` off the public listener; the admin console logs in through it on its own URL."""
FORWARDED_FOR = "X-Forwarded-For"
KEYCLOAK_MAX_BODY_KB = 128
"""Keycloak's own `quarkus.http.limits.max-form-attribute-size` (131,072 bytes), the form field a
SAML POST binding's assertion arrives in; AWS's own SAML sign-in takes responses up to 128 KB."""
KEYCLOAK_MAX_QUERY_KB = 8
"""Four times the core rule set's 2 KiB: an ID token with many claims as `id_token_hint`, a
signed SAML redirect; Keycloak itself reads request lines up to 32 KiB, the ALB up to 16 KiB."""


def keycloak_guards() -> tuple[Guard, ...]:
    """The edge's rules in front of Keycloak (evaluated before its route, priorities 2 and 3):
    the master realm answers 404 on the public listener, and a request that already carries
    `X-Forwarded-For` is refused, so the only entry Keycloak reads is the one the ALB appends
    (the address it saw). docs/DESIGN.md, "Platform"."""
    realm = f"{KEYCLOAK_PATH}/realms/{KEYCLOAK_ADMIN_REALM}"
    return (
        Guard(
            name="admin-realm",
            priority=2,
            path_patterns=(realm, f"{realm}/*"),
            waf_paths=(
                (f"/realms/{KEYCLOAK_ADMIN_REALM}/", "CONTAINS"),
                (f"/realms/{KEYCLOAK_ADMIN_REALM}", "ENDS_WITH"),
            ),
        ),
        Guard(
            name="forwarded-for",
            priority=3,
            path_patterns=(f"{KEYCLOAK_PATH}/*",),
            status_code=400,
            header=(FORWARDED_FOR, "*"),
        ),
    )


def _check_trusted_proxy(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError as error:
        raise ValueError(
            f"not an IPv4 CIDR block ({error}); allowed: a block such as 10.30.32.0/21"
        ) from None
    if network.prefixlen < 8:
        raise ValueError(
            "wider than /8: Keycloak would take the client address from a header nearly any "
            "client can write; allowed: the blocks of the load balancer's subnets (/8 to /32)"
        )
    return str(network)


TrustedProxy = Annotated[str, AfterValidator(_check_trusted_proxy)]
KEYCLOAK_DATABASE = "keycloak"
"""Keycloak's own database (and login) on the stack's instance, apart from the services'."""

AdminUrl = Annotated[
    str,
    Field(
        max_length=300,
        pattern=r"^https?://([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$",
    ),
]


class SecretsConfig(ConfigModel):
    """Secrets the program generates (`secrets:` key)."""

    jwt_secret: Flag = Field(
        True, description="Generate the JWT signing key and give it to the services as JWT_SECRET."
    )
    recovery_window_days: int | None = Field(
        None, ge=7, le=30, description="Days a deleted secret can be restored."
    )
    store: Literal["secretsManager", "parameterStore"] | None = Field(
        None,
        description="Where the generated values live: Secrets Manager ($0.40 a secret a month) "
        "or SSM Parameter Store SecureString parameters (standard tier: free; no rotation "
        "support, no resource policy); unset = parameterStore in dev, secretsManager in "
        "staging and prod.",
    )


class KeycloakLoadConfig(ConfigModel):
    """The peak Keycloak is sized for (`keycloak.expectedLoad`): each unset field takes the
    environment's value (`KEYCLOAK_LOAD_DEFAULTS`)."""

    logins_per_second: float | None = Field(
        None, ge=0, le=10000, description="Password logins a second at peak."
    )
    client_credentials_per_second: float | None = Field(
        None, ge=0, le=100000, description="Client-credential grants a second at peak."
    )
    refreshes_per_second: float | None = Field(
        None, ge=0, le=100000, description="Refresh-token requests a second at peak."
    )


KEYCLOAK_LOAD_DEFAULTS: dict[Environment, KeycloakLoad] = {
    # A team's logins and its services' tokens: a tenth of a vCPU before head-room.
    "dev": KeycloakLoad(1, 2, 2),
    "staging": KeycloakLoad(3, 12, 12),
    # 6 logins, 24 client-credential grants and 24 refreshes a second: 0.8 vCPU, 2 vCPU with
    # the guide's head-room, i.e. the prod default of two 1-vCPU tasks (docs/DESIGN.md).
    "prod": KeycloakLoad(6, 24, 24),
}
"""The peak each environment's Keycloak is sized for unless `keycloak.expectedLoad` says."""

_REALM = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class KeycloakConfig(ConfigModel):
    """Keycloak in production mode on ECS (`keycloak:` key)."""

    enabled: Flag | None = Field(None, description="Run Keycloak; unset = per environment.")
    version: str = Field(
        KEYCLOAK_VERSION,
        pattern=r"^\d+\.\d+(\.\d+)?$",
        description="Keycloak version: the default image tag; 26.1 or later (jdbc-ping).",
    )
    image: str | None = Field(
        None,
        pattern=IMAGE_PATTERN,
        description="Optimized Keycloak image (built by images/keycloak/Dockerfile); default "
        "<containerRegistry>/keycloak:<version>.",
    )
    hostname: Hostname | None = Field(
        None, description="Public host name (KC_HOSTNAME); default: the ALB's when known."
    )
    admin_url: AdminUrl | None = Field(
        None,
        description="URL of the admin console (KC_HOSTNAME_ADMIN), never routed by the public "
        "listener; default http://localhost:<port>/auth, reached through ECS Exec port "
        "forwarding (adminPortForward).",
    )
    admin_port_forward: Flag | None = Field(
        None,
        description="ECS Exec on Keycloak's tasks alone so an operator can port-forward to the "
        "admin console (python -m tools.ops admin-console); unset = on in every environment. "
        "false is refused unless adminUrl names another way in.",
    )
    proxy_trusted_addresses: list[TrustedProxy] | None = Field(
        None,
        min_length=1,
        max_length=16,
        description="KC_PROXY_TRUSTED_ADDRESSES: the only sources whose X-Forwarded-* headers "
        "Keycloak believes (IPv4 CIDR blocks); unset = the subnets of the stack's ALB (the "
        "created VPC's public subnets, or publicSubnetIds looked up), or the VPC's block when "
        "the ALB is managed elsewhere.",
    )
    port: int = Field(8180, ge=1024, le=65535, description="HTTP port behind the ALB.")
    priority: int | None = Field(
        None,
        ge=1,
        le=49999,
        description="Listener-rule priority of /auth (lower is evaluated first), 10 to 49999; "
        "unset = the automatic 1000, 1010, ... like any catalog service.",
    )
    cpu: int | None = Field(None, description="Fargate CPU units.")
    memory: int | None = Field(None, description="Task memory in MiB.")
    desired_count: int | None = Field(None, ge=0, le=100, description="Tasks to run.")
    database_name: DbName | None = Field(
        None,
        description="Keycloak's own database on the instance, owned by its own login (created "
        "by the platform setup task); default keycloak. Not the services' database.",
    )
    admin_username: str = Field(
        "bootstrap-admin",
        pattern=r"^[a-z][a-z0-9._-]{2,63}$",
        description="Temporary bootstrap admin created at first start (password generated).",
    )
    max_request_body_kb: int = Field(
        KEYCLOAK_MAX_BODY_KB,
        ge=1,
        le=MAX_REQUEST_BODY_KB,
        description="The largest request body (KiB) the web ACL lets through to Keycloak's "
        "paths (services.<name>.maxRequestBodyKb): SAML POST bindings carry whole signed "
        "assertions; default 128, the size of the form field Keycloak itself accepts.",
    )
    max_query_string_kb: int = Field(
        KEYCLOAK_MAX_QUERY_KB,
        ge=1,
        le=MAX_QUERY_STRING_KB,
        description="The longest query string (KiB) the web ACL lets through to Keycloak's "
        "paths: RP-initiated logout carries a whole ID token (id_token_hint), SAML's redirect "
        "binding a signed request; default 8 (the ALB refuses request lines over 16 KiB).",
    )
    expected_load: KeycloakLoadConfig | None = Field(
        None,
        description="The peak the tasks are sized for (logins, client-credential grants and "
        "refreshes a second); a size below Keycloak's sizing guide for it is refused.",
    )
    realm: str | None = Field(
        None,
        pattern=_REALM,
        description="The realm whose tokens the services validate (their issuer and JWK set); "
        "default: the project's name. Never master (the administration realm is not public).",
    )


@dataclass(frozen=True)
class SecretsSettings:
    prefix: str
    """Secrets Manager names are `<project>/<env>/<secret>`."""
    jwt_secret: bool
    recovery_window_days: int
    store: str = "secretsManager"
    """`secretsManager` or `parameterStore` (SecureString parameters `/<prefix>/<secret>`)."""


@dataclass(frozen=True)
class KeycloakSettings:
    version: str
    image: str
    hostname: str | None
    port: int
    database_name: str
    admin_username: str
    cpu: int
    memory: int
    desired_count: int
    admin_url: str | None = None
    """KC_HOSTNAME_ADMIN (a full URL); None = the admin console's own default."""
    admin_port_forward: bool = False
    """ECS Exec on Keycloak alone, for port forwarding to the admin console."""
    proxy_trusted_addresses: tuple[str, ...] | None = None
    """`keycloak.proxyTrustedAddresses`; None = derived from the network (stack layer)."""
    management_port: int = KEYCLOAK_MANAGEMENT_PORT
    priority: int | None = None
    """Listener-rule priority of its routes; None = automatic."""
    max_request_body_kb: int = KEYCLOAK_MAX_BODY_KB
    """The web ACL's body limit on its routes."""
    max_query_string_kb: int = KEYCLOAK_MAX_QUERY_KB
    """The web ACL's query-string limit on its routes."""
    load: KeycloakLoad = field(default_factory=lambda: KEYCLOAK_LOAD_DEFAULTS["dev"])
    """The peak it is sized for (`keycloak.expectedLoad` over the environment's default)."""
    realm: str = "accessweaver"
    """The realm whose tokens the services validate."""


JWT_ENV = ("JWT_SECRET",)
KEYCLOAK_ENV = (
    "KEYCLOAK_URL",
    "KEYCLOAK_ISSUER_URI",
    "KEYCLOAK_JWK_SET_URI",
    "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUERURI",
    "SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_JWKSETURI",
)
"""What the JWT key and Keycloak give the services that use them."""


def expected_load(value: KeycloakLoadConfig | dict | None, env: Environment) -> KeycloakLoad:
    """`keycloak.expectedLoad` over the environment's default, field by field."""
    base = KEYCLOAK_LOAD_DEFAULTS[env]
    given = value.model_dump() if isinstance(value, KeycloakLoadConfig) else dict(value or {})
    return KeycloakLoad(
        **{
            name: float(given[name]) if given.get(name) is not None else getattr(base, name)
            for name in ("logins_per_second", "client_credentials_per_second",
                         "refreshes_per_second")
        }
    )  # fmt: skip


def keycloak_size_issues(
    keycloak: KeycloakSettings,
    *,
    cpu: int,
    container_memory: int,
    tasks: int,
    cpu_path: str,
    memory_path: str,
) -> list[ConfigIssue]:
    """A Keycloak task below its sizing guide's floor for the stack's expected load
    (`identity/sizing.py`): each key named with the smallest value the guide allows."""
    floor = keycloak_floor(keycloak.load, tasks)
    load = keycloak.load
    found = []
    if container_memory < floor.container_memory_mib:
        found.append(
            ConfigIssue(
                memory_path,
                container_memory,
                f"Keycloak's container gets {container_memory} MiB; its sizing guide puts the "
                f"memory limit at {floor.container_memory_mib} MiB ((1250 MB base - 300 MB "
                "non-heap) / 0.7 heap share), whatever the load",
                f"a task memory leaving the Keycloak container at least "
                f"{floor.container_memory_mib} MiB (2048 on Fargate)",
            )
        )
    if cpu < floor.cpu_units:
        found.append(
            ConfigIssue(
                cpu_path,
                cpu,
                f"Keycloak's sizing guide needs {floor.needed_vcpu:.2f} vCPU per task for "
                f"keycloak.expectedLoad ({load.logins_per_second:g} logins, "
                f"{load.client_credentials_per_second:g} client-credential grants and "
                f"{load.refreshes_per_second:g} refreshes a second over {tasks} task(s), "
                "with its 150 % head-room)",
                f"{floor.cpu_units} or more, more tasks, or a lower keycloak.expectedLoad",
            )
        )
    return found


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def resolve_keycloak(
    config: KeycloakConfig,
    database_config: DatabaseConfig,
    database: DatabaseSettings | None,
    container_registry: str | None,
    ctx: Rules,
) -> KeycloakSettings | None:
    if not config.enabled:
        return None
    if version_tuple(config.version)[:2] < KEYCLOAK_MIN_VERSION:
        minimum = ".".join(map(str, KEYCLOAK_MIN_VERSION))
        ctx.issues.append(
            ConfigIssue(
                "keycloak.version",
                config.version,
                f"the tasks form a cluster with the {KEYCLOAK_CACHE_STACK} stack, which Keycloak "
                f"has from {minimum} (26.0 offers tcp, udp, kubernetes, ec2, azure and google, "
                "none of which finds the other tasks on ECS); the program also relies on 26's "
                "KC_BOOTSTRAP_ADMIN_* variables",
                f"{minimum} or later, e.g. {KEYCLOAK_VERSION}",
            )
        )
    if database is None:
        ctx.issues.append(
            ConfigIssue(
                "keycloak.enabled",
                True,
                "Keycloak in production mode needs the PostgreSQL database, which "
                "database.enabled switches off (H2 loses every realm on restart)",
                "database.enabled true, or keycloak.enabled false",
            )
        )
    image = config.image
    if image is None:
        registry = container_registry or "registry.invalid"  # already reported if missing
        image = f"{registry}/{KEYCLOAK_SERVICE}:{config.version}"
    port_forward = config.admin_port_forward if config.admin_port_forward is not None else True
    if not port_forward and config.admin_url is None:
        ctx.issues.append(
            ConfigIssue(
                "keycloak.adminPortForward",
                False,
                "no way in for an administrator: the admin console is never on the public "
                "listener, so without port forwarding and without an admin URL of its own "
                "nobody can reach it",
                "true (ECS Exec on Keycloak's tasks alone, `python -m tools.ops admin-console`), "
                "or keycloak.adminUrl on a private network",
            )
        )
    realm = config.realm or ctx.prefix.removesuffix(f"-{ctx.env}")
    if realm.lower() == KEYCLOAK_ADMIN_REALM:
        ctx.issues.append(
            ConfigIssue(
                "keycloak.realm",
                realm,
                "the administration realm answers 404 on the public listener: no client can "
                "sign in there, and its tokens must not open the services",
                "the realm of your applications, e.g. the project's name",
            )
        )
    return KeycloakSettings(
        version=config.version,
        image=image,
        hostname=config.hostname,
        port=config.port,
        database_name=config.database_name or KEYCLOAK_DATABASE,
        admin_username=config.admin_username,
        cpu=int(config.cpu or 1024),
        memory=int(config.memory or 2048),
        desired_count=int(config.desired_count if config.desired_count is not None else 1),
        priority=config.priority,
        max_request_body_kb=config.max_request_body_kb,
        max_query_string_kb=config.max_query_string_kb,
        admin_url=config.admin_url,
        admin_port_forward=port_forward,
        load=expected_load(config.expected_load, ctx.env),
        realm=realm,
        proxy_trusted_addresses=(
            tuple(config.proxy_trusted_addresses) if config.proxy_trusted_addresses else None
        ),
    )


# -------------------------------------------------------------------------------------------
# Keycloak as a catalog entry (so routing, sizing, overrides and checks treat it like any service)
# -------------------------------------------------------------------------------------------

# The official image has bash but neither curl nor wget: probe the liveness endpoint over
# bash's /dev/tcp. Keycloak serves health on the management port (9000) since version 25.
_KEYCLOAK_PROBE = (
    "exec 3<>/dev/tcp/127.0.0.1/{port} && "
    "printf 'GET {path} HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && "
    "grep -q 'HTTP/1.1 200' <&3"
)


def keycloak_environment(keycloak: KeycloakSettings, database: DatabaseSettings | None) -> dict:
    """Plain settings of the Keycloak container (credentials travel as secrets, never here)."""
    environment = {
        "KC_DB": "postgres",
        "KC_HTTP_ENABLED": "true",  # TLS ends at the ALB
        "KC_HTTP_PORT": str(keycloak.port),
        "KC_HTTP_RELATIVE_PATH": KEYCLOAK_PATH,
        "KC_HTTP_MANAGEMENT_PORT": str(keycloak.management_port),
        "KC_HEALTH_ENABLED": "true",
        "KC_PROXY_HEADERS": "xforwarded",
        # Tasks find each other through the database (JDBC_PING): no multicast on AWS.
        "KC_CACHE": "ispn",
        "KC_CACHE_STACK": KEYCLOAK_CACHE_STACK,
    }
    return environment


def keycloak_catalog_entry(
    keycloak: KeycloakSettings, database: DatabaseSettings | None, env: Environment
) -> dict[str, Any]:
    """Keycloak shaped like a `services` catalog entry (camelCase, as in the YAML)."""
    # The load balancer and the probe ask readiness, the container check liveness (which holds
    # no database check: a failover must not restart the tasks; docs/DESIGN.md).
    health_path = f"{KEYCLOAK_PATH}/health/ready"
    live_path = f"{KEYCLOAK_PATH}/health/live"
    return {
        "description": "Identity provider (Keycloak, production mode)",
        "port": keycloak.port,
        "public": True,
        # Only the realm and resource paths are public; the admin console is not routed.
        "pathPatterns": [f"{KEYCLOAK_PATH}/{path}/*" for path in KEYCLOAK_PUBLIC_PATHS],
        "priority": keycloak.priority,
        "maxRequestBodyKb": keycloak.max_request_body_kb,
        "maxQueryStringKb": keycloak.max_query_string_kb,
        "healthCheckPath": health_path,
        "healthCheckPort": keycloak.management_port,
        "healthCheckCommand": [
            "CMD",
            "bash",
            "-c",
            _KEYCLOAK_PROBE.format(port=keycloak.management_port, path=live_path),
        ],
        "criticality": "critical",
        "deployOrder": 5,
        "image": keycloak.image,
        # An optimized image (built for postgres, health and /auth) never rebuilds itself at
        # start, so the root filesystem stays read-only (ECS.5); see docs/DESIGN.md.
        "command": ["start", "--optimized"],
        "user": "1000",
        "writablePaths": ["/opt/keycloak/data"],
        "environment": keycloak_environment(keycloak, database),
        "sizes": {
            env: {
                "cpu": keycloak.cpu,
                "memory": keycloak.memory,
                "desiredCount": keycloak.desired_count,
            }
        },
    }
