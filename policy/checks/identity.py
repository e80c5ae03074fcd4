"""Policy checks: Keycloak's admin console is not on the internet (KC.1*)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from .base import LISTENERS, TARGET_GROUPS, _stack, get, items, of_type

LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
ADMIN_PATHS = ("/auth/admin/master/console/", "/admin/master/console/")
"""Where Keycloak serves its admin console: under the /auth relative path or at the root."""


def _keycloak_groups(resources: Any) -> set[str]:
    return {
        g.urn
        for g in of_type(resources, TARGET_GROUPS)
        if get(g.props, "tags", "Service") == "keycloak" or "keycloak" in g.name
    }


def _forwarded(resource: Any, prop: str, groups: set[str]) -> bool:
    deps = (getattr(resource, "property_dependencies", None) or {}).get(prop) or []
    return any(d.urn in groups for d in deps)


def _patterns(rule: Any) -> list[str] | None:
    """The rule's path patterns; None when it has no path condition (it matches every path)."""
    found: list[str] = []
    for condition in items(get(rule.props, "conditions")):
        found += [str(v) for v in items(get(condition, "pathPattern", "values"))]
    return found or None


@_stack(
    "kc-admin-console-not-public", ("KC.1*",), "A",
    "no public listener rule forwards Keycloak's admin paths (/admin, /auth/admin)",
    "route only Keycloak's /realms/ and /resources/ paths (the program's default) and reach the "
    "admin console through its own host name (keycloak.adminUrl, port forwarding).",
)  # fmt: skip
def kc_admin_console_not_public(resources) -> Iterator[tuple[Any, str]]:
    groups = _keycloak_groups(resources)
    if not groups:
        return
    for listener in of_type(resources, LISTENERS):
        if _forwarded(listener, "defaultActions", groups):
            yield (
                listener,
                "the listener's default action sends every path, the admin console's "
                "included, to Keycloak",
            )
    for rule in of_type(resources, LISTENER_RULE):
        if not _forwarded(rule, "actions", groups):
            continue
        patterns = _patterns(rule)
        if patterns is None:
            yield rule, "the rule has no path condition: the admin console is public"
            continue
        for path in ADMIN_PATHS:
            hit = [p for p in patterns if fnmatch.fnmatchcase(path, p)]
            if hit:
                yield rule, f"path pattern {hit[0]} forwards {path} to Keycloak"
                break
