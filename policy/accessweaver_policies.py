"""The CrossGuard policies of the pack, built from `policy.checks`' specs.

Enforcement: every policy is mandatory by default. Policies of scope P (CONTROLS.md "prod and
staging enforced, dev advisory") are advisory when the stack's `<project>:environment` is
`dev`; policies of scope R (CONTROLS.md "prod") do not run in dev and staging, whose
retentions are their own. `initial_config()` says so to the engine, which applies it under any
`--policy-pack-config` or Pulumi Cloud policy-group setting. A policy pack reads the stack's
config like a program does (`pulumi.Config`); when it cannot (`pulumi policy publish`), every
policy stays mandatory.

Waivers: `<project>:policyWaivers: [{control, resource, reason}]` in the stack file (validated
by the program: the control exists, the reason is not empty), and the program's own waivers of
its defaults in effect (`components/stack/default_waivers.py`, read from the settings the pack
rebuilds from the stack's config: a minimal stack file needs none of its own). A waived finding
is not reported by its policy; the advisory policy `policy-waivers` reports every waiver
applied, and every stack-file waiver that matched nothing, so a waiver is never silent.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from accessweaver_components.controls import canonical_control
from policy.checks import Spec, specs

PACK_NAME = "accessweaver-controls"
DEFAULT_PROJECT = "accessweaver"
WAIVERS_KEY = "policyWaivers"
WAIVER_POLICY = "policy-waivers"


@dataclass(frozen=True)
class Waiver:
    control: str
    """Canonical control ID (`REL.3`)."""
    resource: str
    """Logical resource name, or a glob over names (`aw-pap-service-*`)."""
    reason: str
    source: str = "stack file"
    """`stack file`, or `program default` for a waiver the program's defaults carry."""

    def covers(self, spec: Spec, resource_name: str) -> bool:
        return self.control in spec.controls and fnmatch.fnmatchcase(resource_name, self.resource)


@dataclass(frozen=True)
class StackContext:
    """What the pack reads from the stack's config."""

    environment: str | None
    waivers: tuple[Waiver, ...]


def parse_waivers(raw: Any) -> tuple[Waiver, ...]:
    """Waivers from the stack config value; entries the program would refuse are dropped (the
    program's own validation fails the preview before any policy runs)."""
    found = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, Mapping):
            continue
        control = canonical_control(str(entry.get("control", "")))
        resource, reason = entry.get("resource"), str(entry.get("reason") or "").strip()
        if control and isinstance(resource, str) and resource and reason:
            found.append(Waiver(control, resource, reason))
    return tuple(found)


def _namespace() -> str:
    # The engine starts the analyzer with PULUMI_PROJECT (pulumi_policy configures its runtime
    # from it); `pulumi policy publish` and unit tests have none: this pack's project then.
    return os.environ.get("PULUMI_PROJECT") or DEFAULT_PROJECT


PROGRAM_DEFAULT = "program default"


def stack_context() -> StackContext:
    """The stack's environment and waivers (the stack file's, then the program's defaults'),
    from the config the engine hands the pack."""
    config = pulumi.Config(_namespace())
    context = _context(config.get("environment"), config.get(WAIVERS_KEY))
    defaults = default_waivers()
    if not defaults:
        return context
    return StackContext(context.environment, (*context.waivers, *defaults))


def default_waivers() -> tuple[Waiver, ...]:
    """The waivers the program's defaults in effect carry, for the stack under validation (a
    stack of the main program, or of the bootstrap project)."""
    from policy.stack_config import bootstrap_settings, stack_settings

    settings = stack_settings() or bootstrap_settings()
    return tuple(
        Waiver(w.control, w.resource, w.reason, PROGRAM_DEFAULT)
        for w in getattr(settings, "default_waivers", ())
    )


@functools.lru_cache(maxsize=8)
def _context(environment: str | None, raw_waivers: str | None) -> StackContext:
    try:
        raw = json.loads(raw_waivers) if raw_waivers else None
    except ValueError:
        raw = None  # malformed: the program rejects the stack before policies run
    return StackContext(environment, parse_waivers(raw))


def enforcement_for(spec: Spec, environment: str | None) -> EnforcementLevel:
    if spec.scope == "P" and environment == "dev":
        return EnforcementLevel.ADVISORY
    if spec.scope == "R" and environment in ("dev", "staging"):
        return EnforcementLevel.DISABLED
    return EnforcementLevel.MANDATORY


def initial_config(environment: str | None = None) -> dict[str, EnforcementLevel] | None:
    """Per-policy enforcement for this stack's environment (None: the policies' defaults)."""
    if environment is None:
        environment = stack_context().environment
    levels = {
        spec.name: level
        for spec in specs()
        if (level := enforcement_for(spec, environment)) != EnforcementLevel.MANDATORY
    }
    return levels or None


def _waived(waivers: Sequence[Waiver], spec: Spec, name: str) -> bool:
    return any(w.covers(spec, name) for w in waivers)


def _policy_fields(spec: Spec) -> dict[str, Any]:
    """What a CrossGuard policy says of its spec, resource or stack policy alike: its name,
    description and remedy, mandatory by default (`initial_config` lowers it per stack), and
    its controls and scope as tags."""
    return {
        "name": spec.name,
        "description": spec.description,
        "enforcement_level": EnforcementLevel.MANDATORY,
        "remediation_steps": spec.remedy,
        "tags": [*spec.controls, f"scope-{spec.scope}"],
    }


def _resource_policy(spec: Spec) -> ResourceValidationPolicy:
    types = frozenset(spec.types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        assert spec.check_resource is not None
        waivers = stack_context().waivers
        for message in spec.check_resource(args):
            if not _waived(waivers, spec, args.name):
                report_violation(message)

    return ResourceValidationPolicy(validate=validate, **_policy_fields(spec))


def _stack_policy(spec: Spec) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        assert spec.check_stack is not None
        waivers = stack_context().waivers
        for resource, message in spec.check_stack(args.resources):
            if resource is not None and _waived(waivers, spec, resource.name):
                continue
            report_violation(message, resource.urn if resource is not None else None)

    return StackValidationPolicy(validate=validate, **_policy_fields(spec))


@dataclass(frozen=True)
class AppliedWaiver:
    waiver: Waiver
    policy: str
    resource: Any
    """The PolicyResource whose finding the waiver hides."""
    message: str


def applied_waivers(
    resources: Sequence[Any], waivers: Sequence[Waiver]
) -> tuple[list[AppliedWaiver], list[Waiver]]:
    """Every finding a waiver hides, and the waivers that hide nothing (stale or mistyped)."""
    applied: list[AppliedWaiver] = []
    used: set[Waiver] = set()
    unsure: set[str] = set()
    for spec in specs():
        try:
            findings = list(spec.findings(resources))
        except UnknownValueError:
            unsure.update(spec.controls)  # unknown during preview: cannot tell what it hides
            continue
        for resource, message in findings:
            # The program's waiver first: a stack file repeating it hides nothing of its own.
            covering = sorted(
                (w for w in waivers if resource is not None and w.covers(spec, resource.name)),
                key=lambda w: w.source != PROGRAM_DEFAULT,
            )
            if covering:
                applied.append(AppliedWaiver(covering[0], spec.name, resource, message))
                # Every stack-file waiver that hides it counts, unless the program's does.
                used |= {w for w in covering if w.source == covering[0].source}
    unused = [
        w
        for w in waivers
        if w not in used and w.control not in unsure and w.source != PROGRAM_DEFAULT
    ]
    return applied, unused


def _waiver_policy() -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        applied, unused = applied_waivers(args.resources, stack_context().waivers)
        for item in applied:
            report_violation(
                f"waived {item.waiver.control} on {item.resource.name} ({item.policy}: "
                f"{item.message}) by the {item.waiver.source}; reason: {item.waiver.reason}",
                item.resource.urn,
            )
        for waiver in unused:
            report_violation(
                f"waiver of {waiver.control} for {waiver.resource!r} matches no violation: "
                "remove it from the stack's policyWaivers key"
            )

    return StackValidationPolicy(
        name=WAIVER_POLICY,
        description="Waivers listed in the stack's policyWaivers key, shown on every "
        "preview: each finding a waiver hides, with its reason.",
        validate=validate,
        enforcement_level=EnforcementLevel.ADVISORY,
        remediation_steps="Fix the resource and remove the waiver, or keep the reason current.",
    )


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    built: list[Any] = [
        _resource_policy(spec) if spec.check_resource is not None else _stack_policy(spec)
        for spec in specs()
    ]
    return [*built, _waiver_policy()]


def spec_of(policy_name: str) -> Spec | None:
    return next((s for s in specs() if s.name == policy_name), None)
