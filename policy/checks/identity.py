"""Policy checks: Keycloak's admin console and master realm are not on the internet (KC.1*,
KC.2*), and the client address it records is the one the load balancer saw (KC.3*)."""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterator
from typing import Any

from .base import (
    LISTENER_RULES,
    LISTENERS,
    TASK,
    _stack,
    containers,
    get,
    items,
    linked,
    of_type,
    urn_of,
)
from .load_balancer import forwarders, keycloak_groups, path_patterns

LISTENER_RULE = LISTENER_RULES[0]
ADMIN_PATHS = ("/auth/admin/master/console/", "/admin/master/console/")
"""Where Keycloak serves its admin console: under the /auth relative path or at the root."""
MASTER_REALM_PATHS = (
    "/auth/realms/master",
    "/auth/realms/master/protocol/openid-connect/auth",
    "/auth/realms/master/protocol/openid-connect/token",
    "/realms/master/protocol/openid-connect/auth",
)
"""The administration realm's endpoints, under /auth or at the root."""
PROXY_TRUST_MIN_PREFIX = 8
"""A trusted block wider than /8 trusts nearly any sender of forwarded headers."""


def _forwarded(resource: Any, prop: str, groups: set[str]) -> bool:
    """`resource`'s input `prop` (its actions) forwards to one of `groups` (URNs)."""
    return any(urn_of(d) in groups for d in linked(resource, prop))


@_stack(
    "kc-admin-console-not-public", ("KC.1*",), "A",
    "no public listener rule forwards Keycloak's admin paths (/admin, /auth/admin)",
    "route only Keycloak's /realms/ and /resources/ paths (the program's default) and reach the "
    "admin console through its own host name (keycloak.adminUrl, port forwarding).",
)  # fmt: skip
def kc_admin_console_not_public(resources) -> Iterator[tuple[Any, str]]:
    groups = keycloak_groups(resources)
    if not groups:
        return
    for listener in of_type(resources, LISTENERS):
        if _forwarded(listener, "defaultActions", groups):
            yield (
                listener,
                "the listener's default action sends every path, the admin console's "
                "included, to Keycloak",
            )
    for rule in of_type(resources, LISTENER_RULES):
        if not _forwarded(rule, "actions", groups):
            continue
        patterns = path_patterns(rule)
        if patterns is None:
            yield rule, "the rule has no path condition: the admin console is public"
            continue
        for path in ADMIN_PATHS:
            hit = [p for p in patterns if fnmatch.fnmatchcase(path, p)]
            if hit:
                yield rule, f"path pattern {hit[0]} forwards {path} to Keycloak"
                break


@_stack(
    "kc-master-realm-not-public", ("KC.2*",), "A",
    "no public listener rule forwards Keycloak's master realm (/auth/realms/master*)",
    "keep the edge's guard rule (priority 2: /auth/realms/master and /auth/realms/master/* "
    "answer 404) in front of Keycloak's route; the admin console logs in through its own URL "
    "(README, \"Keycloak's admin console\").",
)  # fmt: skip
def kc_master_realm_not_public(resources) -> Iterator[tuple[Any, str]]:
    groups = keycloak_groups(resources)
    if not groups:
        return
    reported: set[str] = set()
    for path in MASTER_REALM_PATHS:
        for forwarder, targets in forwarders(resources, path):
            if any(t.urn in groups for t in targets) and forwarder.urn not in reported:
                reported.add(forwarder.urn)
                yield forwarder, f"forwards {path} to Keycloak: the master realm is public"


def _environment(container: Any) -> dict[str, str]:
    return {
        str(get(v, "name")): str(get(v, "value", default=""))
        for v in items(container.get("environment"))
    }


def trusted_proxy_problem(value: str) -> str:
    """Why KC_PROXY_TRUSTED_ADDRESSES does not restrict forwarded headers ('' = it does)."""
    blocks = [b.strip() for b in value.split(",") if b.strip()]
    if not blocks:
        return "KC_PROXY_TRUSTED_ADDRESSES is empty"
    for block in blocks:
        try:
            network = ipaddress.ip_network(block, strict=False)
        except ValueError:
            return f"KC_PROXY_TRUSTED_ADDRESSES holds {block!r}, not an address or CIDR block"
        if network.prefixlen < PROXY_TRUST_MIN_PREFIX:
            return f"KC_PROXY_TRUSTED_ADDRESSES trusts {block}: nearly any sender"
    return ""


@_stack(
    "kc-client-address-from-trusted-proxies", ("KC.3*",), "A",
    "Keycloak reads forwarded headers (KC_PROXY_HEADERS) only from its proxies' addresses "
    "(KC_PROXY_TRUSTED_ADDRESSES, no block wider than /8)",
    "set KC_PROXY_TRUSTED_ADDRESSES to the load balancer's subnets (the program's default; "
    "keycloak.proxyTrustedAddresses), and keep the edge's rule refusing a client's own "
    "X-Forwarded-For in front of Keycloak.",
)  # fmt: skip
def kc_client_address(resources) -> Iterator[tuple[Any, str]]:
    for task in of_type(resources, TASK):
        found, _error = containers(task.props)
        for container in found:
            env = _environment(container)
            if "KC_PROXY_HEADERS" not in env:
                continue
            trusted = env.get("KC_PROXY_TRUSTED_ADDRESSES")
            name = container.get("name")
            if trusted is None:
                yield (
                    task,
                    (
                        f"{name} parses {env['KC_PROXY_HEADERS']} headers from any sender (no "
                        "KC_PROXY_TRUSTED_ADDRESSES): clients choose the address Keycloak records"
                    ),
                )
                continue
            problem = trusted_proxy_problem(trusted)
            if problem:
                yield task, f"{name}: {problem}"
