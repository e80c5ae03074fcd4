"""Run the policy pack offline against a recorded plan, the way Pulumi's analyzer runs it.

`run_policies(result)` mirrors pulumi_policy's `_PolicyAnalyzerServicer` (version pinned in
requirements.txt): the stack's config is made visible to `pulumi.Config` (the analyzer does this
from PULUMI_CONFIG), each resource's inputs go through a protobuf `Struct` and
`deserialize_properties` and are wrapped in `unknown_checking_proxy`, so numbers, secrets and
unknown values behave as in `pulumi preview`; every policy sees every resource
(`ResourceValidationArgs`) and then the whole stack (`StackValidationArgs`, with parents and
dependencies linked); enforcement comes from the pack's initial config over the policy's
default; an unknown value makes an advisory "can't run during preview" diagnostic.

pulumi_policy is imported here only when policies run, never by `tools.plan` on bad config.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from inspect import isawaitable
from typing import Any

from accessweaver_components.controls import CONTROLS

from .engine import PlanResult, RecordedResource, _environment


@dataclass
class PolicyReport:
    environment: str | None
    policies: int
    violations: list[dict[str, str]] = field(default_factory=list)
    """`{"policy", "control", "resource", "message", "enforcement"}`, waived findings excluded."""
    waivers: list[dict[str, str]] = field(default_factory=list)
    """Each finding a waiver hides: `{"control", "resource", "policy", "message", "reason"}`."""
    unused_waivers: list[dict[str, str]] = field(default_factory=list)
    stack_keys: bool = True
    """The stack is one of AccessWeaver's stack layer (its config resolves to settings): the
    fixes name its stack keys; otherwise the components' arguments (policy/checks/arguments.py)."""

    def of_level(self, level: str) -> list[dict[str, str]]:
        return [v for v in self.violations if v["enforcement"] == level]

    @property
    def mandatory(self) -> list[dict[str, str]]:
        return self.of_level("mandatory")

    def to_json(self) -> dict[str, Any]:
        """Findings in a stable order (the engine's registration order varies run to run)."""

        def key(finding: dict[str, str]) -> tuple[str, ...]:
            return tuple(str(value) for _, value in sorted(finding.items()))

        return {
            "violations": sorted(self.violations, key=key),
            "waivers": sorted(self.waivers, key=key),
        }


def _urns(result: PlanResult) -> dict[str, str]:
    """`<type>::<name>` -> URN, with the parent chain in the type part as the engine builds it."""
    by_key = {r.key: r for r in result.resources}
    urns: dict[str, str] = {}

    def qualified_type(resource: RecordedResource) -> str:
        parent = by_key.get(resource.parent) if resource.parent else None
        return f"{qualified_type(parent)}${resource.type}" if parent else resource.type

    for resource in result.resources:
        urns[resource.key] = (
            f"urn:pulumi:{result.stack}::{result.project}::{qualified_type(resource)}::"
            f"{resource.name}"
        )
    return urns


def _as_analyzer_sees(inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs after the gRPC round trip the analyzer receives them through."""
    from google.protobuf import json_format, struct_pb2
    from pulumi_policy.deserialize import deserialize_properties

    message = struct_pb2.Struct()
    try:
        message.update(inputs)
    except (TypeError, ValueError):
        return deserialize_properties(inputs)
    return deserialize_properties(json_format.MessageToDict(message))


@dataclass
class _Sink:
    """Collects one policy's diagnostics like the analyzer's `report_violation` does."""

    report: PolicyReport
    names: dict[str, str]
    policy: str
    control: str
    level: str

    def add(self, message: str, urn: str, level: str | None = None) -> None:
        self.report.violations.append(
            {
                "policy": self.policy,
                "control": self.control,
                "resource": self.names.get(urn, "(stack)"),
                "message": message,
                "enforcement": level or self.level,
            }
        )

    def for_resource(self, urn: str) -> Any:
        # The analyzer ignores the urn a resource policy passes: the finding is the resource's.
        return lambda message, _urn=None: self.add(message, urn)

    def for_stack(self) -> Any:
        return lambda message, urn=None: self.add(message, urn or "")


def _call(validate: Any, sink: _Sink, urn: str) -> None:
    from pulumi_policy.policy import _NotApplicableError
    from pulumi_policy.proxy import UnknownValueError

    try:
        outcome = validate()
        if isawaitable(outcome):
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(outcome)
            finally:
                loop.close()
    except UnknownValueError as error:
        sink.add(f"can't run policy during preview: {error.message}", urn, "advisory")
    except _NotApplicableError:
        pass


def run_policies(result: PlanResult) -> PolicyReport:
    """Every policy of the pack against `result`; waived findings are listed apart."""
    from pulumi.runtime.config import set_all_config
    from pulumi_policy import (
        EnforcementLevel,
        PolicyCustomTimeouts,
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        ResourceValidationPolicy,
        StackValidationArgs,
    )
    from pulumi_policy.proxy import unknown_checking_proxy

    from policy import accessweaver_policies as pack
    from policy.stack_config import stack_settings

    urns = _urns(result)
    names = {urn: key.split("::", 1)[1] for key, urn in urns.items()}
    plain = {r.key: _as_analyzer_sees(r.inputs) for r in result.resources}

    def options(resource: RecordedResource) -> Any:
        parent = urns.get(resource.parent) if resource.parent else None
        timeouts = PolicyCustomTimeouts(0, 0, 0)
        return PolicyResourceOptions(
            resource.protect, list(resource.ignore_changes), None, [], timeouts, [], parent
        )

    # The analyzer gets the project from PULUMI_PROJECT and makes the stack's config visible to
    # pulumi.Config (from PULUMI_CONFIG).
    set_all_config(dict(result.config), [])
    try:
        with _environment("PULUMI_PROJECT", result.project):
            context = pack.stack_context()
            configured = pack.initial_config(context.environment) or {}
            policies = pack.policies()
            report = PolicyReport(context.environment, len(policies))
            report.stack_keys = stack_settings(result.project) is not None
            linked = {
                r.key: PolicyResource(
                    r.type, unknown_checking_proxy(plain[r.key]), urns[r.key], r.name, options(r),
                    None, None, [], {},
                )
                for r in result.resources
            }  # fmt: skip
            for resource in result.resources:
                node = linked[resource.key]
                node.parent = linked.get(resource.parent) if resource.parent else None
                node.dependencies = [linked[d] for d in resource.depends_on if d in linked]
                node.property_dependencies = {
                    key: [linked[d] for d in deps if d in linked]
                    for key, deps in resource.property_dependencies.items()
                }
            stack_args = StackValidationArgs(list(linked.values()), None, {})

            for policy in policies:
                level = configured.get(policy.name) or policy.enforcement_level
                if level == EnforcementLevel.DISABLED or policy.name == pack.WAIVER_POLICY:
                    continue  # the waiver policy's findings are structured below
                if level == EnforcementLevel.REMEDIATE:
                    level = EnforcementLevel.MANDATORY
                spec = pack.spec_of(policy.name)
                sink = _Sink(report, names, policy.name, spec.control if spec else "", level.value)
                if isinstance(policy, ResourceValidationPolicy):
                    # The analyzer asks every policy about every resource; ours return at once for
                    # types they do not check, so only those are asked (same result, 10x faster).
                    types = set(spec.types) if spec else None
                    for resource in result.resources:
                        if types is not None and resource.type not in types:
                            continue
                        urn = urns[resource.key]
                        args = ResourceValidationArgs(
                            resource.type, unknown_checking_proxy(plain[resource.key]), urn,
                            resource.name, options(resource), None, None, {},
                        )  # fmt: skip
                        report_violation = sink.for_resource(urn)
                        _call(partial(policy.validate, args, report_violation), sink, urn)
                else:
                    _call(partial(policy.validate, stack_args, sink.for_stack()), sink, "")

            applied, unused = pack.applied_waivers(stack_args.resources, context.waivers)
    finally:
        set_all_config({}, [])
    report.waivers = [
        {
            "control": a.waiver.control,
            "resource": a.resource.name,
            "policy": a.policy,
            "message": a.message,
            "reason": a.waiver.reason,
            "source": a.waiver.source,
        }
        for a in applied
    ]
    report.unused_waivers = [
        {"control": w.control, "resource": w.resource, "reason": w.reason} for w in unused
    ]
    return report


def _waiver_sources(stack_file: str, namespace: str | None) -> list[tuple[str, str]]:
    """(source, how the report names it) of the two kinds of waivers."""
    from policy import accessweaver_policies as pack

    return [
        ("stack file", f"{stack_file}, {namespace or pack.DEFAULT_PROJECT}:{pack.WAIVERS_KEY}"),
        (pack.PROGRAM_DEFAULT, "the program's defaults, components/stack/default_waivers.py"),
    ]


def _grouped(report: PolicyReport, stack_file: str, namespace: str | None) -> list[str]:
    from policy import accessweaver_policies as pack
    from policy.checks.arguments import fix

    lines: list[str] = []
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    for violation in report.mandatory + report.of_level("advisory"):
        groups.setdefault((violation["enforcement"], violation["control"]), []).append(violation)
    # The same plan prints the same lines: the mock engine's registration order varies from run
    # to run, so groups follow the controls list and each shows its first resource by name.
    order = {control: index for index, control in enumerate(CONTROLS)}
    for (level, control), found in sorted(
        groups.items(), key=lambda item: (item[0][0] != "mandatory", order.get(item[0][1], -1))
    ):
        first = min(found, key=lambda violation: (violation["resource"], violation["message"]))
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        lines.append(
            f"  {level:9} {control:<14} {len(found):>3} x {first['resource']}: "
            f"{first['message']}{more}"[:160]
        )
        spec = pack.spec_of(first["policy"])
        if level == "mandatory" and spec is not None:
            lines.append(f"      fix: {fix(spec.name, spec.remedy, stack_keys=report.stack_keys)}")
    for source, where in _waiver_sources(stack_file, namespace):
        waived: dict[str, int] = {}
        for waiver in report.waivers:
            if waiver.get("source", "stack file") == source:
                waived[waiver["control"]] = waived.get(waiver["control"], 0) + 1
        if waived:
            lines.append(
                f"  waived ({where}): "
                + ", ".join(f"{control} x {n}" for control, n in waived.items())
            )
    for waiver in report.unused_waivers:
        lines.append(
            f"  ! waiver of {waiver['control']} for {waiver['resource']!r} matches no violation: "
            "remove it"
        )
    return lines


def render_report(
    report: PolicyReport, stack_file: str, namespace: str | None = None, *, grouped: bool = False
) -> str:
    """The policy section of the offline plan's text output; `namespace` is the stack's project
    (the pack's own project when not given). `grouped`: one line per control and level (count,
    one example, the fix) and one per waived control, instead of every finding."""
    from policy import accessweaver_policies as pack
    from policy.checks.arguments import fix

    mandatory, advisory = report.mandatory, report.of_level("advisory")
    lines = [
        f"Policy pack {pack.PACK_NAME} (environment {report.environment or 'unknown'}): "
        f"{report.policies} policies, {len(mandatory)} mandatory and {len(advisory)} advisory "
        f"violation(s), {len(report.waivers)} waived finding(s).",
    ]
    if grouped:
        return "\n".join(lines + _grouped(report, stack_file, namespace))
    for violation in mandatory + advisory:
        spec = pack.spec_of(violation["policy"])
        lines.append(
            f"  [{violation['enforcement']}] {violation['control']} {violation['policy']}  "
            f"{violation['resource']}: {violation['message']}"
        )
        if spec is not None:
            lines.append(f"      fix: {fix(spec.name, spec.remedy, stack_keys=report.stack_keys)}")
    for source, where in _waiver_sources(stack_file, namespace):
        applied = [w for w in report.waivers if w.get("source", "stack file") == source]
        if applied:
            lines.append(f"Waivers applied ({where}):")
            lines += [
                f"  - {w['control']} on {w['resource']} ({w['message']}); reason: {w['reason']}"
                for w in applied
            ]
    for waiver in report.unused_waivers:
        lines.append(
            f"  ! waiver of {waiver['control']} for {waiver['resource']!r} matches no violation: "
            "remove it"
        )
    return "\n".join(lines)
