"""Which Keycloak version changes may roll, as Keycloak documents it (pure, no resources).

Keycloak's "Checking if rolling updates are possible" guide (`kc.sh update-compatibility
check`): in its current version the check allows a rolling update only when the old and the
new Keycloak versions are the same; any other version change is a recreate (stop every old
node, then start the new ones). Rolling to the next patch release of the same major.minor
needs the feature `rolling-updates:v2`, which the guide marks preview ("not recommended for
production"), and even then is refused when the two patch releases embed different Infinispan
versions. The program does not enable a preview feature, so: same version, the configured
strategy; any other, a recreate. docs/DESIGN.md, "Keycloak version changes never run two
versions together".
"""

from __future__ import annotations

from collections.abc import Iterable


def keycloak_recreate_reason(planned: str, running: Iterable[str]) -> str | None:
    """Why a deployment of Keycloak `planned` must stop every old task first, given the
    versions (image tags) that may be running; None when none differs (a rolling update, or
    blue/green, keeps every node on one version)."""
    others = sorted({tag for tag in running if tag != planned})
    if not others:
        return None
    return (
        f"Keycloak {' and '.join(others)} may be running and {planned} is planned: Keycloak's "
        "update-compatibility check allows a rolling update only between identical versions, "
        "so every old task stops before a new one starts"
    )


def keycloak_recreate_tag(planned: str, running: Iterable[str]) -> str:
    """The ECS service's `Recreate` tag value for that recreate: short, and only characters
    AWS accepts in a tag value (letters, digits, spaces and `_ . : / = + - @`)."""
    others = " + ".join(sorted({tag for tag in running if tag != planned}))
    return f"Keycloak {others} to {planned} - update-compatibility check: recreate"[:256]
