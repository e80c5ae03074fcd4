"""`python -m tools.plan STACK`: what a stack would create, computed offline.

Runs the real `__main__.py` on the offline engine (the same one the tests use) with the stack's
`Pulumi.<STACK>.yaml` and prints, on one screen: the resources per component with their key
settings, each stack output by name with a short value, the estimated monthly cost, and the
policy pack's results grouped by control. `--verbose` lists every resource with its settings,
`--outputs` prints the outputs in full, `--json` everything as JSON (policy `violations` and
`waivers` included). Nothing is deployed and no AWS credentials are needed; what only a real
account can show (quotas, IAM evaluation, image pulls) is out of reach.

`--against FILE` compares the plan with a previous one (an earlier `--json` plan or a `pulumi
stack export` file) and prints what would be created, updated, replaced and deleted, by resource
(tools/plan_diff.py; `--json` adds it as `changes`).

Exit codes: 0 plan shown, 2 invalid configuration, unknown stack or unreadable `--against` file
(only the messages printed), 3 plan shown with mandatory policy violations (what `pulumi preview
--policy-pack` refuses), 4 with `--against`: a stateful resource or an ECS service would be
deleted or replaced (tools/stateful.GUARDED_TYPES; 3 wins when both apply).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accessweaver_components import __version__

from . import cost_report, plan_diff
from .engine import PlanResult, RecordedResource

if TYPE_CHECKING:
    from .policy_check import PolicyReport

ROOT = Path(__file__).resolve().parents[1]


def _strategy(inputs: dict[str, Any]) -> str:
    parts = []
    for item in inputs.get("capacityProviderStrategies") or inputs.get(
        "defaultCapacityProviderStrategies", []
    ):
        base = f" base {int(item['base'])}" if item.get("base") else ""
        parts.append(f"{item['capacityProvider']} w{int(item['weight'])}{base}")
    return " + ".join(parts)


def _containers(inputs: dict[str, Any]) -> str:
    containers = json.loads(inputs.get("containerDefinitions") or "[]")
    return ", ".join(f"{c['name']} ({c['image']})" for c in containers)


def _rule(inputs: dict[str, Any]) -> str:
    peer = (
        inputs.get("cidrIpv4") or inputs.get("cidrIpv6") or inputs.get("referencedSecurityGroupId")
    )
    ports = f"{int(inputs['fromPort'])}" if "fromPort" in inputs else "all"
    if inputs.get("toPort") not in (None, inputs.get("fromPort")):
        ports += f"-{int(inputs['toPort'])}"
    return f"{inputs.get('ipProtocol')} {ports} {peer}"


SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "aws:ecs/cluster:Cluster": lambda i: (
        f"{i['name']}, Container Insights " + ",".join(s["value"] for s in i.get("settings", []))
    ),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": lambda i: _strategy(i),
    "aws:ecs/taskDefinition:TaskDefinition": lambda i: (
        f"{i['family']}: {i['cpu']} CPU / {i['memory']} MiB, "
        f"{i['runtimePlatform']['cpuArchitecture']}; {_containers(i)}"
    ),
    "aws:ecs/service:Service": lambda i: (
        f"{i['name']}: {int(i['desiredCount'])} task(s), {_strategy(i)}, "
        f"exec {'on' if i.get('enableExecuteCommand') else 'off'}, "
        f"deploy {int(i['deploymentMinimumHealthyPercent'])}-{int(i['deploymentMaximumPercent'])}%"
        + (", load balancer" if i.get("loadBalancers") else "")
        + (", alarm rollback" if i.get("alarms") else "")
    ),
    "aws:appautoscaling/target:Target": lambda i: (
        f"min {int(i['minCapacity'])} / max {int(i['maxCapacity'])}"
    ),
    "aws:appautoscaling/policy:Policy": lambda i: (
        f"{i['targetTrackingScalingPolicyConfiguration']['predefinedMetricSpecification']['predefinedMetricType']}"
        f" -> {i['targetTrackingScalingPolicyConfiguration']['targetValue']:g}%"
    ),
    "aws:cloudwatch/logGroup:LogGroup": lambda i: f"{i['name']}, {int(i['retentionInDays'])} days",
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda i: (
        f"{i.get('metricName', 'metric math')} > {i.get('threshold', 0):g}"
    ),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": lambda i: i["name"],
    "aws:servicediscovery/service:Service": lambda i: i["name"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": lambda i: "in " + _rule(i),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": lambda i: "out " + _rule(i),
    "aws:iam/role:Role": lambda i: i.get("description", ""),
    "awsx:ec2:Vpc": lambda i: (
        f"{i['cidrBlock']}, {int(i['numberOfAvailabilityZones'])} AZs, "
        f"NAT {i['natGateways']['strategy']}"
    ),
    "aws:lb/loadBalancer:LoadBalancer": lambda i: (
        f"{i['name']}, deletion protection {'on' if i['enableDeletionProtection'] else 'off'}, "
        f"access logs {'on' if i.get('accessLogs') else 'off'}"
    ),
    "aws:lb/listener:Listener": lambda i: (
        f"{i['protocol']} {int(i['port'])} {i.get('sslPolicy', '')} -> "
        f"{i['defaultActions'][0]['type']}"
    ),
    "aws:lb/listenerRule:ListenerRule": lambda i: (
        f"priority {int(i['priority'])}: {', '.join(i['conditions'][0]['pathPattern']['values'])}"
    ),
    "aws:lb/targetGroup:TargetGroup": lambda i: (
        f"{i['name']}, port {int(i['port'])}, health {i['healthCheck']['path']}"
    ),
    "aws:wafv2/webAcl:WebAcl": lambda i: ", ".join(rule["name"] for rule in i["rules"]),
}


def summarize(resource: RecordedResource) -> str:
    summary = SUMMARIES.get(resource.type)
    if summary is None:
        return ""
    try:
        return summary(resource.inputs)
    except (KeyError, TypeError, ValueError):
        return ""


def _children(result: PlanResult) -> dict[str | None, list[RecordedResource]]:
    """Each resource's children by name: the same plan prints the same lines whatever order
    the mock engine registered them in (it varies from run to run)."""
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in sorted(result.resources, key=lambda r: (r.type, r.name)):
        children.setdefault(resource.parent, []).append(resource)
    return children


def _release_line(result: PlanResult) -> list[str]:
    """Which release the plan read: the stand-in, a record given with --release, or none."""
    release = result.outputs.get("release")
    if not isinstance(release, dict):
        return []
    if release.get("pinned_image_tag"):
        return [f"Images pinned to imageTag {release['pinned_image_tag']} (no release record)."]
    commit = release.get("commit")
    if commit is None:
        return [
            f"No release recorded ({release['parameter']}): "
            f"{len(release.get('unreleased') or [])} service(s) would run no task yet."
        ]
    from .release import EXAMPLE_COMMIT

    stand_in = ": an offline stand-in (--release FILE for a real one)"
    what = stand_in if commit == EXAMPLE_COMMIT else ""
    return [
        f"Release {commit[:12]}{what}, read from {release['parameter']}.",
        *(
            f"{name} recreates (every old task stops before a new one starts): {why}."
            for name, why in sorted((release.get("recreates") or {}).items())
        ),
    ]


def _header(result: PlanResult) -> list[str]:
    return [
        f"Offline plan of stack '{result.stack}' ({result.stack_file}), "
        f"accessweaver-components {__version__}: "
        f"{len(result.resources)} resources would be created.",
        "Computed by the Pulumi SDK's mock engine: no AWS call was made.",
        *_release_line(result),
        "",
    ]


def render_text(result: PlanResult) -> str:
    """Every resource, indented under its component, with its settings (`--verbose`), then the
    outputs in full."""
    lines = _header(result)
    children = _children(result)

    def walk(resource: RecordedResource, depth: int) -> None:
        summary = summarize(resource)
        indent = "  " * depth
        lines.append(
            f"{indent}{resource.type}  {resource.name}" + (f"  [{summary}]" if summary else "")
        )
        for child in children.get(resource.key, []):
            walk(child, depth + 1)

    for top in children.get(None, []):
        walk(top, 0)
        lines.append("")
    lines.append(render_outputs(result, full=True))
    return "\n".join(lines)


def _of(resources: list[RecordedResource], type_: str) -> list[RecordedResource]:
    return [r for r in resources if r.type == type_]


def _service_line(resources: list[RecordedResource]) -> str:
    """A service: size and platform, tasks and capacity, scaling bounds, exec, load balancer."""
    parts = []
    for task in _of(resources, "aws:ecs/taskDefinition:TaskDefinition")[:1]:
        i = task.inputs
        arch = (i.get("runtimePlatform") or {}).get("cpuArchitecture", "")
        parts.append(f"{i.get('cpu')} CPU / {i.get('memory')} MiB {arch}".strip())
    for service in _of(resources, "aws:ecs/service:Service")[:1]:
        i = service.inputs
        parts.append(f"{_number(i.get('desiredCount'))} task(s) {_strategy(i)}".strip())
        if i.get("enableExecuteCommand"):
            parts.append("exec")
        if i.get("loadBalancers"):
            parts.append("behind the ALB")
    for target in _of(resources, "aws:appautoscaling/target:Target")[:1]:
        parts.append(f"scales {summarize(target)}")
    return ", ".join(parts)


def _component_summary(top: RecordedResource, resources: list[RecordedResource]) -> str:
    kind = top.type.split(":")[-1]
    if kind in ("Microservice", "Keycloak"):
        return _service_line(resources)
    first = {}
    for resource in resources:
        first.setdefault(resource.type, resource)
    if kind == "Network":
        vpc = first.get("awsx:ec2:Vpc")
        return summarize(vpc) if vpc else "existing VPC"
    if kind == "Database" and "aws:rds/instance:Instance" in first:
        i = first["aws:rds/instance:Instance"].inputs
        return (
            f"PostgreSQL {i.get('engineVersion')} {i.get('instanceClass')}"
            f"{' Multi-AZ' if i.get('multiAz') else ' single-AZ'}, "
            f"{_number(i.get('allocatedStorage'))} GB"
        )
    if kind == "Cache":
        serverless = first.get("aws:elasticache/serverlessCache:ServerlessCache")
        if serverless is not None:
            i = serverless.inputs
            limit = (i.get("cacheUsageLimits") or {}).get("dataStorage", {}).get("maximum")
            return (
                f"serverless {i.get('engine')} {i.get('majorEngineVersion')}, ≤ {_number(limit)} GB"
            )
        group = first.get("aws:elasticache/replicationGroup:ReplicationGroup")
        i = group.inputs if group is not None else {}
        return (
            f"{_number(i.get('numCacheClusters'))} x {i.get('nodeType')} {i.get('engine')} "
            f"{i.get('engineVersion')}"
        )
    if kind == "Cluster" and "aws:ecs/cluster:Cluster" in first:
        return summarize(first["aws:ecs/cluster:Cluster"])
    if kind == "LoadBalancer" and "aws:lb/loadBalancer:LoadBalancer" in first:
        listeners = ", ".join(summarize(r) for r in _of(resources, "aws:lb/listener:Listener"))
        waf = "WAF" if "aws:wafv2/webAcl:WebAcl" in first else "no WAF"
        return f"{summarize(first['aws:lb/loadBalancer:LoadBalancer'])}; {listeners}; {waf}"
    counts: dict[str, int] = {}
    for resource in resources:
        name = resource.type.split(":")[-1]
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(
        f"{n} {name}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _descendants(children: dict[str | None, list[RecordedResource]], top: RecordedResource):
    found = []
    stack = list(children.get(top.key, []))
    while stack:
        resource = stack.pop(0)
        found.append(resource)
        stack[:0] = children.get(resource.key, [])
    return found


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_ORDER = ("Network", "Cluster", "LoadBalancer", "PlatformSecrets", "Database", "Cache",
          "DocumentStore", "ImageRegistry", "AlertTopic", "Keycloak", "Microservice")  # fmt: skip


def render_summary(result: PlanResult) -> str:
    """The one-screen view: a line per component (how many resources, its key settings)."""
    lines = _header(result)
    children = _children(result)

    def rank(top: RecordedResource) -> tuple[int, str]:
        kind = top.type.split(":")[-1]
        return (_ORDER.index(kind) if kind in _ORDER else len(_ORDER), top.name)

    tops = sorted(children.get(None, []), key=rank)
    lines.append(f"Components ({len(tops)}):")
    for top in tops:
        if top.type.startswith("pulumi:providers:"):  # an explicit provider (bootstrap's GitHub)
            lines.append(f"  Provider {top.type.rsplit(':', 1)[1]} {top.name}")
            continue
        inner = _descendants(children, top)
        summary = summarize(top) or _component_summary(top, inner)
        head = f"  {top.type.split(':')[-1]} {top.name} ({len(inner)})"
        lines.append(_clip(head + (f": {summary}" if summary else ""), 150))
    lines.append("")
    lines.append(render_outputs(result, full=False))
    return "\n".join(lines)


def _short(value: Any, width: int = 90) -> str:
    if isinstance(value, dict):
        keys = ", ".join(str(k) for k in value)
        return _clip(f"{{{len(value)}: {keys}}}", width)
    if isinstance(value, list):
        return _clip(f"[{len(value)}: {', '.join(str(v) for v in value)}]", width)
    return _clip(str(value), width)


def render_outputs(result: PlanResult, *, full: bool) -> str:
    if full:
        lines = ["Outputs:"]
        for name, value in result.outputs.items():
            rendered = json.dumps(value, indent=2, sort_keys=True)
            lines.append(f"  {name}: " + rendered.replace("\n", "\n  "))
        return "\n".join(lines)
    width = max((len(name) for name in result.outputs), default=0)
    lines = [f"Outputs ({len(result.outputs)}; in full with --outputs):"]
    lines += [
        f"  {name.ljust(width)}  {_short(value)}"
        for name, value in result.outputs.items()
        if name != cost_report.OUTPUT
    ]
    return "\n".join(lines)


def _stack_file(args: argparse.Namespace, stack: str) -> Path | None:
    """`--config-file`, else the stack file of another project named by its path (messages then
    say `examples/ca-a2a/Pulumi.dev.yaml`, not a bare `Pulumi.dev.yaml` of unclear project)."""
    if args.config_file is not None or Path(args.project).resolve() == ROOT:
        return args.config_file
    return Path(args.project) / f"Pulumi.{stack}.yaml"


def _parser() -> argparse.ArgumentParser:
    """The command line: one stack, or `--compare` of several, and how to print it."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.plan",
        description="Show what a stack would create, offline (no Pulumi CLI, no AWS account).",
    )
    parser.add_argument(
        "stack", nargs="?", help="stack name: dev, staging, prod (reads Pulumi.<stack>.yaml)"
    )
    parser.add_argument("--config-file", type=Path, help="read this stack file instead")
    parser.add_argument(
        "--project", type=Path, default=ROOT, help="Pulumi project directory (default: this repo)"
    )
    parser.add_argument(
        "--release",
        metavar="FILE|none",
        help="the stack's release record as the deploy wrote it (`python -m tools.release show`), "
        "or `none` for a stack never deployed; default: an offline stand-in release",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (secrets masked)")
    parser.add_argument(
        "--verbose", action="store_true", help="every resource with its settings, outputs in full"
    )
    parser.add_argument("--outputs", action="store_true", help="the stack outputs in full")
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="with --compare: the line items as the Markdown table README and docs/COSTS.md show",
    )
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar="STACK",
        help="instead of one plan: capacity and estimated monthly cost of these stacks side by "
        "side (e.g. --compare dev staging prod)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="compare with a previous plan (`--json` output) or a `pulumi stack export` file: "
        f"what would be created, updated, replaced, deleted; exit {plan_diff.EXIT_DESTRUCTIVE} "
        "when a stateful resource or a service would be deleted or replaced",
    )
    return parser


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """The arguments, with the combinations the command refuses refused (exit 2)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if (args.stack is None) == (args.compare is None):
        parser.error("give one stack, or --compare STACK [STACK ...]")
    if args.compare and args.config_file:
        parser.error("--config-file plans one stack file; it cannot be combined with --compare")
    if args.compare and args.against:
        parser.error("--against compares one stack; it cannot be combined with --compare")
    return args


class _Refused(Exception):
    """An input the command cannot use: its message goes to stderr and the command exits 2."""


def _previous(args: argparse.Namespace) -> plan_diff.Previous | None:
    """The plan or stack export `--against` names (None without it)."""
    if args.against is None:
        return None
    try:
        return plan_diff.load_previous(json.loads(args.against.read_text()))
    except (OSError, ValueError) as error:
        raise _Refused(f"--against {args.against}: {error}") from error


def _release(args: argparse.Namespace) -> str | None:
    """The release record the plan reads: `--release FILE`'s text, None for `none`, else the
    offline stand-in."""
    from .engine import EXAMPLE_RELEASE

    if args.release == "none":
        return None
    if args.release is None:
        return EXAMPLE_RELEASE
    try:
        return Path(args.release).read_text()
    except OSError as error:
        raise _Refused(f"--release: {error}") from error


def _run_stacks(args: argparse.Namespace, release: str | None) -> dict[str, PlanResult]:
    """Each stack asked for, run offline; a stack the program refuses or cannot find refuses
    the command."""
    from accessweaver_components.stack import ConfigError

    from .engine import run_program

    results = {}
    for stack in args.compare or [args.stack]:
        try:
            results[stack] = run_program(
                args.project, stack, _stack_file(args, stack), release=release
            )
        except ConfigError as error:
            raise _Refused(str(error)) from error
        except FileNotFoundError as error:
            stacks = sorted(p.name[7:-5] for p in Path(args.project).glob("Pulumi.*.yaml"))
            raise _Refused(f"{error}; stacks here: {', '.join(stacks) or 'none'}") from error
    return results


def _print_comparison(args: argparse.Namespace, results: dict[str, PlanResult]) -> None:
    """`--compare`: the stacks' capacity and estimated cost side by side."""
    from .cheapest import cheapest

    estimates = {stack: cost_report.estimate_of(r) for stack, r in results.items()}
    # The levers are AccessWeaver's stack keys: a program of one's own has none to pull.
    headroom = {
        stack: cheapest(args.project, stack)
        for stack, r in results.items()
        if cost_report.OUTPUT in r.outputs
    }
    if args.json:
        combined = {
            stack: {**estimate, "cheapest_accepted": headroom[stack].to_json()}
            for stack, estimate in estimates.items()
        }
        print(json.dumps(combined, indent=2, sort_keys=True))
    elif args.markdown:
        print(cost_report.markdown(estimates, headroom))
    else:
        print(cost_report.side_by_side(estimates, headroom))


def _print_plan(
    args: argparse.Namespace,
    result: PlanResult,
    policies: PolicyReport,
    diff: plan_diff.Diff | None,
) -> None:
    """One stack's plan: JSON, the changes against `--against`, the outputs, or the summary
    (every resource with `--verbose`), each with the policy report."""
    from .policy_check import render_report

    if args.json:
        document = {**result.to_json(), **policies.to_json()}
        if cost_report.OUTPUT not in result.outputs:
            document[cost_report.OUTPUT] = cost_report.estimate_of(result)
        if diff is not None:
            document["changes"] = diff.to_json()
        print(json.dumps(document, indent=2, sort_keys=True))
    elif diff is not None:
        print(plan_diff.render(diff))
        print(
            "\n"
            + render_report(policies, result.stack_file, namespace=result.project, grouped=True)
        )
    elif args.outputs and not args.verbose:
        print(render_outputs(result, full=True))
    else:
        print(render_text(result) if args.verbose else render_summary(result))
        exported = cost_report.OUTPUT in result.outputs
        print("\n" + cost_report.summary(cost_report.estimate_of(result), exported=exported))
        print(
            "\n"
            + render_report(
                policies, result.stack_file, namespace=result.project, grouped=not args.verbose
            )
        )
        if not args.verbose:
            print("\nEvery resource and its settings: --verbose; outputs in full: --outputs; "
                  "all of it as JSON: --json.")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        previous = _previous(args)
        results = _run_stacks(args, _release(args))
    except _Refused as refused:
        print(str(refused), file=sys.stderr)
        return 2
    if args.compare:
        _print_comparison(args, results)
        return 0
    result = results[args.stack]
    from .policy_check import run_policies

    policies = run_policies(result)
    diff = None
    if previous is not None:
        diff, problem = _diff(previous, result, args.against)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    _print_plan(args, result, policies, diff)
    # Like `pulumi preview --policy-pack policy`, a mandatory violation fails the plan.
    if policies.mandatory:
        return 3
    return plan_diff.EXIT_DESTRUCTIVE if diff is not None and diff.destructive else 0


def _diff(
    previous: plan_diff.Previous, result: PlanResult, path: Path
) -> tuple[plan_diff.Diff | None, str]:
    """The changes against `previous`, or why they cannot be computed (another stack)."""
    current = plan_diff.from_recorded(result.resources)
    if current:
        stack, project = plan_diff.stack_and_project(current[0].urn)
        if (previous.stack, previous.project) != (stack, project):
            return None, (
                f"--against {path}: a {previous.kind} of stack {previous.stack!r} of project "
                f"{previous.project!r}; this plan is stack {stack!r} of project {project!r}"
            )
    return plan_diff.compare(previous, current), ""


if __name__ == "__main__":
    # A one-shot process: the cyclic collector only rescans the SDK's many long-lived objects
    # (see engine._cyclic_gc_paused); memory is returned when the process exits.
    import gc

    gc.disable()
    sys.exit(main())
