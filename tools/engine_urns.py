"""URNs as the Pulumi engine builds them, and the alias URNs a registration answers to."""

from __future__ import annotations

from typing import Any

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(urn: str) -> str:
    """The `parent$child` type chain of a URN ("" for the root stack)."""
    chain = urn.split("::")[2]
    return "" if chain == ROOT_STACK_TYPE else chain


def make_urn(stack: str, project: str, parent_urn: str | None, type_: str, name: str) -> str:
    """A URN as the Pulumi engine builds it: the parent's full type chain, `$`, the type; the
    root stack's type is left out of its children's."""
    parent_chain = qualified_type(parent_urn) if parent_urn else ""
    chain = f"{parent_chain}${type_}" if parent_chain else type_
    return f"urn:pulumi:{stack}::{project}::{chain}::{name}"


def alias_urns(
    request: Any, *, urn: str, parent_urn: str | None, parent_aliases: tuple[str, ...]
) -> tuple[str, ...]:
    """Every URN a registration answers to besides its own: its alias specs resolved the way
    the engine resolves them (unset name, type, stack, project and parent default to the
    resource's own), plus the same URNs under each alias of its parent (the engine gives a
    child of an aliased component those too)."""
    stack, project = urn.split("::")[0].split(":")[2], urn.split("::")[1]
    found: list[str] = []
    parents = [parent_urn, *parent_aliases]
    for alias in request.aliases:
        if alias.urn:
            found.append(alias.urn)
            continue
        spec = alias.spec
        if spec.noParent:
            candidates: list[str | None] = [None]
        elif spec.parentUrn:
            candidates = [spec.parentUrn]
        else:
            candidates = parents
        for parent in candidates:
            found.append(
                make_urn(
                    spec.stack or stack,
                    spec.project or project,
                    parent,
                    spec.type or request.type,
                    spec.name or request.name,
                )
            )
    for parent in parent_aliases:
        found.append(make_urn(stack, project, parent, request.type, request.name))
    return tuple(dict.fromkeys(u for u in found if u != urn))
