"""Run one of a stack's fault experiments and report what it did (``python -m tools.faults``).

``run --stack staging --experiment stop-tasks`` (what `.github/workflows/faults.yml` runs, with
the stack's faults role):

1. finds the stack's template by its tags (`Project`, `Environment`, `Experiment`: the program
   tags each template it builds, `components/resilience/fault_injection.py`), and the services
   to watch from the task experiment's targets (`cluster`, `service` parameters);
2. checks the steady state first: every service runs its desired count with one deployment
   (an experiment during a deploy measures the deploy), and the guard alarm is OK;
3. starts the experiment, follows it to its end (completed, stopped by the guard, failed);
4. measures the recovery: seconds from the experiment's end until every service runs its
   desired count again, and writes a Markdown report (`--summary`, the job summary) to compare
   with what docs/DESIGN.md ("Faults as code") says each experiment should show.

Exit codes: 0 completed and recovered in time; 1 stopped, failed or not recovered; 2 nothing
run (no such template, no steady state, AWS refused). AWS calls take boto3 clients; tests pass
fakes and a fake clock.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from accessweaver_components.resilience.experiments import EXPERIMENTS, STOP_TASKS

EXIT_OK, EXIT_FAILED, EXIT_NOT_RUN = 0, 1, 2
ENDED = ("completed", "stopped", "failed", "cancelled")
DESCRIBE_SERVICES_BATCH = 10


class NotRun(Exception):
    """Nothing was started: the reason says what to fix."""


@dataclass
class Clock:
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class Report:
    experiment: str
    template_ids: list[str]
    experiment_ids: list[str] = field(default_factory=list)
    state: str = ""
    reason: str = ""
    ran_seconds: float = 0.0
    recovery_seconds: float | None = None
    """From the experiment's end until every service ran its desired count; None: not seen."""
    lowest_running: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Service -> (the fewest tasks seen running, its desired count)."""
    guard: str = ""

    def markdown(self) -> str:
        recovered = (
            f"{self.recovery_seconds:.0f} s after the experiment ended"
            if self.recovery_seconds is not None
            else "not within the timeout"
        )
        lines = [
            f"### Fault experiment `{self.experiment}`",
            "",
            f"- template(s) `{'`, `'.join(self.template_ids)}`, experiment(s) "
            f"`{'`, `'.join(self.experiment_ids)}`",
            f"- state: **{self.state}**{f' ({self.reason})' if self.reason else ''}, "
            f"ran {self.ran_seconds:.0f} s",
            f"- guard alarm: {self.guard or 'not read'}",
            f"- services back at their desired count: {recovered}",
            "",
            "| Service | Fewest tasks running | Desired |",
            "|---|---|---|",
            *(
                f"| {name} | {low} | {desired} |"
                for name, (low, desired) in sorted(self.lowest_running.items())
            ),
            "",
            'Compare with docs/DESIGN.md, "Faults as code": what this experiment should show.',
        ]
        return "\n".join(lines) + "\n"


def _tags(template: dict[str, Any]) -> dict[str, str]:
    return dict(template.get("tags") or {})


def _part(template: dict[str, Any]) -> int:
    return int(str(_tags(template).get("Part", "1/1")).split("/", 1)[0])


def find_templates(fis: Any, project: str, stack: str, experiment: str) -> list[dict[str, Any]]:
    """The templates of this stack and experiment (their tags), in the order of their parts
    (an experiment larger than one template is several), or NotRun."""
    found = []
    token = None
    while True:
        page = fis.list_experiment_templates(**({"nextToken": token} if token else {}))
        for template in page.get("experimentTemplates", []):
            tags = _tags(template)
            if (tags.get("Project"), tags.get("Environment"), tags.get("Experiment")) == (
                project,
                stack,
                experiment,
            ):
                found.append(template)
        token = page.get("nextToken")
        if not token:
            break
    parts = sorted(_part(t) for t in found)
    if not found or parts != list(range(1, len(found) + 1)):
        raise NotRun(
            f"{len(found)} experiment template(s) tagged Project={project}, Environment="
            f"{stack}, Experiment={experiment}, parts {parts}; expected one per part (is "
            "faultInjection on in the stack, and deployed?)"
        )
    return sorted(found, key=_part)


def watched_services(fis: Any, project: str, stack: str) -> tuple[str, list[str]]:
    """(cluster, ECS services) from the stack's task experiment's targets."""
    targets = []
    for summary in find_templates(fis, project, stack, STOP_TASKS):
        template = fis.get_experiment_template(id=summary["id"])["experimentTemplate"]
        targets += [t.get("parameters") or {} for t in (template.get("targets") or {}).values()]
    clusters = {t["cluster"] for t in targets if "cluster" in t}
    if len(clusters) != 1:
        raise NotRun(f"the task experiment names clusters {sorted(clusters)}; expected one")
    return clusters.pop(), sorted(t["service"] for t in targets if "service" in t)


def running(ecs: Any, cluster: str, services: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each service's running and desired counts and its number of deployments."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(services), DESCRIBE_SERVICES_BATCH):
        batch = list(services[start : start + DESCRIBE_SERVICES_BATCH])
        for service in ecs.describe_services(cluster=cluster, services=batch)["services"]:
            found[service["serviceName"]] = {
                "running": service["runningCount"],
                "desired": service["desiredCount"],
                "deployments": len(service.get("deployments") or []),
            }
    missing = sorted(set(services) - set(found))
    if missing:
        raise NotRun(f"services not found in {cluster}: {', '.join(missing)}")
    return found


def steady(counts: dict[str, dict[str, Any]]) -> list[str]:
    """Why the services are not in their steady state (empty: they are)."""
    return [
        f"{name}: {c['running']} of {c['desired']} task(s) running, {c['deployments']} "
        "deployment(s)"
        for name, c in sorted(counts.items())
        if c["running"] != c["desired"] or c["deployments"] != 1
    ]


def guard_state(cloudwatch: Any, project: str, stack: str) -> str:
    name = f"{project}-{stack}-fault-guard"
    alarms = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])
    found = alarms.get("CompositeAlarms") or []
    return f"{name} {found[0]['StateValue']}" if found else f"{name} not found"


def run(
    clients: Callable[[str], Any],
    *,
    project: str,
    stack: str,
    experiment: str,
    timeout: float,
    poll: float,
    clock: Clock,
) -> Report:
    """Start one experiment of the stack, follow it, measure the recovery (NotRun: nothing
    started)."""
    fis, ecs, cloudwatch = clients("fis"), clients("ecs"), clients("cloudwatch")
    templates = find_templates(fis, project, stack, experiment)
    cluster, services = watched_services(fis, project, stack)
    before = running(ecs, cluster, services)
    if steady(before):
        raise NotRun("not in steady state: " + "; ".join(steady(before)))
    guard = guard_state(cloudwatch, project, stack)
    if not guard.endswith(" OK"):
        raise NotRun(f"the guard alarm is not OK ({guard}): the experiment would stop at once")
    report = Report(experiment, [t["id"] for t in templates], guard=guard)
    report.lowest_running = {n: (c["running"], c["desired"]) for n, c in before.items()}

    def observe() -> dict[str, dict[str, Any]]:
        counts = running(ecs, cluster, services)
        for name, c in counts.items():
            low, _ = report.lowest_running.get(name, (c["running"], c["desired"]))
            report.lowest_running[name] = (min(low, c["running"]), c["desired"])
        return counts

    begin = clock.now()
    for template in templates:  # the parts of one experiment, one after the other
        started = fis.start_experiment(
            experimentTemplateId=template["id"], clientToken=str(uuid.uuid4())
        )["experiment"]
        report.experiment_ids.append(started["id"])
        state: dict[str, Any] = started.get("state") or {}
        while state.get("status") not in ENDED and clock.now() - begin < timeout:
            clock.sleep(poll)
            observe()
            state = fis.get_experiment(id=started["id"])["experiment"].get("state") or {}
        report.state = str(state.get("status") or "running")
        report.reason = str(state.get("reason") or "")
        if report.state not in ENDED:
            fis.stop_experiment(id=started["id"])
            report.reason = f"still running after {timeout:.0f} s: stopped"
        if report.state != "completed":
            break
    ended = clock.now()
    report.ran_seconds = ended - begin
    while clock.now() - begin < timeout:
        if not steady(observe()):
            report.recovery_seconds = clock.now() - ended
            break
        clock.sleep(poll)
    report.guard = guard_state(cloudwatch, project, stack)
    return report


def project_name(root: Path = Path(".")) -> str:
    return str(yaml.safe_load((root / "Pulumi.yaml").read_text())["name"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.faults", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="run one experiment of a stack and report it")
    start.add_argument("--stack", required=True)
    start.add_argument("--experiment", required=True, choices=EXPERIMENTS)
    start.add_argument("--project", help="the project (default: Pulumi.yaml's name)")
    start.add_argument("--region", help="default: the AWS SDK's (AWS_REGION)")
    start.add_argument("--timeout", type=float, default=1800, help="seconds (default 1800)")
    start.add_argument("--poll", type=float, default=10, help="seconds between reads")
    start.add_argument("--summary", help="append the Markdown report to this file")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    clients: Callable[[str], Any] | None = None,
    clock: Clock | None = None,
) -> int:
    args = build_parser().parse_args(argv)
    if clients is None:
        import boto3

        session = boto3.session.Session(region_name=args.region)
        clients = session.client
    try:
        report = run(
            clients,
            project=args.project or project_name(),
            stack=args.stack,
            experiment=args.experiment,
            timeout=args.timeout,
            poll=args.poll,
            clock=clock or Clock(),
        )
    except NotRun as error:
        print(f"nothing run: {error}", file=sys.stderr)
        return EXIT_NOT_RUN
    except Exception as error:  # botocore's errors: refused, throttled, not authorized
        if type(error).__module__.startswith("botocore"):
            print(f"AWS refused a call: {error}", file=sys.stderr)
            return EXIT_NOT_RUN
        raise
    text = report.markdown()
    print(text)
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as summary:
            summary.write(text)
    ok = report.state == "completed" and report.recovery_seconds is not None
    return EXIT_OK if ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
