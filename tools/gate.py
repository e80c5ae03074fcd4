"""`python -m tools.gate --stack STACK --release COMMIT`: may the release go to the next stack?

Run by the deploy after each stack's `pulumi up` (`deploy-stack.yml`); a failure stops the
pipeline before the next environment is touched. It passes when, within `--timeout`:

1. **the stack planned the release**: its `release` output names COMMIT, and no service is
   unreleased;
2. **ECS finished the deployment**: every service has one deployment, COMPLETED, as many tasks
   running as desired (at least one), on the task definition the stack output names, whose
   containers run the release's images;
3. **the load balancer sees healthy targets**: every registered target of each public service's
   target groups (blue/green: both) is healthy, and there are as many as tasks;
4. **the public URLs answer**: each of `public_urls` answers without a 5xx (no healthy target
   is a 502/503 at the ALB);
5. **every task answers its health URL from inside the VPC**: the stack's health probe task
   (`healthProbe`, `components/stack/probe.py`) runs once, pointed at every running task of
   every service (`http://<task ip>:<health port><health path>`, so a blue/green or Service
   Connect service is asked task by task, not through a name), and exits 0.

Names come from the stack outputs (`pulumi stack output --json`, or `--outputs-file`). Exit
codes: 0 the gate passes, 1 it does not (each failure listed), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


# --------------------------------------------------------------------------------------------
# The checks: each returns the problems it found (none: it passes)
# --------------------------------------------------------------------------------------------


def release_problems(outputs: Mapping[str, Any], commit: str) -> list[str]:
    release = outputs.get("release") or {}
    problems = []
    if release.get("commit") != commit:
        problems.append(
            f"the stack planned release {release.get('commit')}, not {commit} (an imageTag pin, "
            "or a record written by someone else since)"
        )
    if release.get("unreleased"):
        problems.append(f"unreleased services: {', '.join(release['unreleased'])}")
    return problems


def deployment_problems(
    ecs: Any, outputs: Mapping[str, Any], describe_images: Callable[[str], list[str]]
) -> list[str]:
    """Every ECS service finished rolling out the release (ECS's own view)."""
    cicd = outputs["cicd_deployment_config"]
    cluster = cicd["cluster_name"]
    expected_task = outputs.get("task_definition_arns") or {}
    images = (outputs.get("release") or {}).get("images") or {}
    names = {key: spec["service_name"] for key, spec in cicd["services"].items()}
    described: dict[str, dict] = {}
    wanted = list(names.values())
    for start in range(0, len(wanted), 10):  # DescribeServices takes 10 at most
        for service in ecs.describe_services(cluster=cluster, services=wanted[start : start + 10])[
            "services"
        ]:
            described[service["serviceName"]] = service
    problems = []
    for key, name in sorted(names.items()):
        service = described.get(name)
        if service is None or service.get("status") != "ACTIVE":
            problems.append(f"{key}: service {name} is not active")
            continue
        deployments = service.get("deployments") or []
        states = [f"{d.get('status')}/{d.get('rolloutState')}" for d in deployments]
        if len(deployments) != 1 or deployments[0].get("rolloutState") != "COMPLETED":
            problems.append(f"{key}: deployments not settled ({', '.join(states) or 'none'})")
        running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
        if desired < 1 or running != desired:
            problems.append(f"{key}: {running} of {desired} desired task(s) running")
        task = service.get("taskDefinition")
        if key in expected_task and task != expected_task[key]:
            problems.append(f"{key}: runs {task}, the stack deployed {expected_task[key]}")
        if key in images and task and images[key] not in describe_images(task):
            problems.append(f"{key}: {task} does not run the release's image {images[key]}")
    return problems


def target_problems(elbv2: Any, outputs: Mapping[str, Any]) -> list[str]:
    """Every target the ALB has for a public service is healthy (the readiness ECS waits on)."""
    services = (outputs.get("alb_integration_config") or {}).get("services") or {}
    problems = []
    for key, spec in sorted(services.items()):
        for arn in [spec.get("target_group_arn"), spec.get("alternate_target_group_arn")]:
            if not arn:
                continue
            health = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            states = [h["TargetHealth"]["State"] for h in health]
            bad = [s for s in states if s not in ("healthy", "unused")]
            if bad:
                problems.append(f"{key}: targets of {arn.rsplit('/', 2)[-2]} are {', '.join(bad)}")
    return problems


def public_url_problems(outputs: Mapping[str, Any], get: Callable[[str], int]) -> list[str]:
    """Each public URL answers below 500 (a 502/503 means the ALB has no healthy target)."""
    problems = []
    for key, urls in sorted((outputs.get("public_urls") or {}).items()):
        for url in urls:
            status = get(url)
            if status >= 500 or status == 0:
                problems.append(f"{key}: {url} answered {status or 'nothing'}")
    return problems


def http_status(url: str, timeout: float = 10) -> int:
    """The HTTP status of a GET (0 when nothing answered)."""
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "tools.gate"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, TimeoutError, OSError):
        return 0


# --------------------------------------------------------------------------------------------
# Running the gate
# --------------------------------------------------------------------------------------------


@dataclass
class Runtime:
    """What the gate touches outside itself; tests swap these."""

    client: Callable[[str, str], Any] = field(
        default_factory=lambda: lambda service, region: __import__("boto3").client(service, region)
    )
    http_status: Callable[[str], int] = http_status
    probe: Callable[[Mapping[str, Any], str], list[str]] | None = None
    """Runs the stack's health probe (default `probe_every_task` with this runtime)."""
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.monotonic
    out: Any = sys.stdout


PROBE = "health-probe"


def task_health_urls(ecs: Any, outputs: Mapping[str, Any]) -> dict[str, str]:
    """`<service> <task id>` -> `http://<private ip>:<health port><health path>` of every
    running task of every service with an HTTP health check."""
    cicd = outputs["cicd_deployment_config"]
    cluster = cicd["cluster_name"]
    urls: dict[str, str] = {}
    for key, spec in sorted(cicd["services"].items()):
        path, port = spec.get("health_check_path"), spec.get("health_check_port")
        if not path or not port:
            continue
        arns = ecs.list_tasks(
            cluster=cluster, serviceName=spec["service_name"], desiredStatus="RUNNING"
        )["taskArns"]
        for start in range(0, len(arns), 100):  # DescribeTasks takes 100 at most
            for task in ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100])[
                "tasks"
            ]:
                ip = next(
                    (
                        detail["value"]
                        for attachment in task.get("attachments") or []
                        for detail in attachment.get("details") or []
                        if detail.get("name") == "privateIPv4Address"
                    ),
                    None,
                )
                if ip:
                    task_id = task["taskArn"].rsplit("/", 1)[-1]
                    urls[f"{key} {task_id}"] = f"http://{ip}:{port}{path}"
    return urls


def probe_every_task(
    outputs: Mapping[str, Any], region: str, runtime: Runtime, *, timeout: float = 600
) -> list[str]:
    """Run the stack's health probe once, pointed at every running task of every service."""
    from accessweaver_components.compute.task_run import (
        Clock,
        RunError,
        run_to_completion,
    )

    from .ops_stack import OpsError, parse_task

    try:
        probe = parse_task(dict(outputs), PROBE)
    except OpsError:
        return [
            "the stack has no health probe (healthProbe.enabled): its tasks cannot be asked "
            "from inside the VPC"
        ]
    ecs = runtime.client("ecs", region)
    urls = task_health_urls(ecs, outputs)
    target = probe.run_target(
        environment={"HEALTH_CHECK_URLS": json.dumps(urls, sort_keys=True)},
        started_by="tools.gate",
    )
    print(f"health probe: asking {len(urls)} task(s) from inside the VPC", file=runtime.out)
    try:
        result = run_to_completion(
            ecs, target, timeout=timeout, poll=10, clock=Clock(runtime.sleep, runtime.now)
        )
    except RunError as error:
        return [f"health probe: {error}"]
    return [] if result.succeeded else [f"health probe: {result.describe()}"]


def _images_of(ecs: Any) -> Callable[[str], list[str]]:
    def images(task_definition: str) -> list[str]:
        found = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
        return [c["image"] for c in found["containerDefinitions"]]

    return images


def check(
    outputs: Mapping[str, Any], commit: str, runtime: Runtime, *, timeout: float, delay: float
) -> list[str]:
    """Every problem left when the checks pass or the timeout runs out (polling the ones that
    converge: a deployment settling, targets turning healthy)."""
    region = outputs["cicd_deployment_config"]["region"]
    problems = release_problems(outputs, commit)
    if problems:
        return problems  # another release: nothing else would be meaningful
    ecs, elbv2 = runtime.client("ecs", region), runtime.client("elbv2", region)
    deadline = runtime.now() + timeout
    while True:
        problems = deployment_problems(ecs, outputs, _images_of(ecs))
        problems += target_problems(elbv2, outputs)
        problems += public_url_problems(outputs, runtime.http_status)
        if not problems or runtime.now() >= deadline:
            break
        print(f"waiting: {len(problems)} check(s) not passing yet", file=runtime.out)
        runtime.sleep(delay)
    if not problems:
        probe = runtime.probe or (lambda o, r: probe_every_task(o, r, runtime))
        problems += probe(outputs, region)
    return problems


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.gate",
        description="Check that a stack runs a release healthily before the next stack gets it.",
    )
    parser.add_argument("--stack", required=True)
    parser.add_argument("--release", required=True, help="the commit the deploy recorded")
    parser.add_argument("--outputs-file", help="saved `pulumi stack output --json`")
    parser.add_argument("--timeout", type=float, default=900, help="seconds (default 900)")
    parser.add_argument("--delay", type=float, default=15, help="seconds between polls")
    args = parser.parse_args(argv)
    runtime = runtime or Runtime()
    if args.outputs_file:
        outputs = json.loads(Path(args.outputs_file).read_text())
    else:
        from .release import _stack_outputs

        outputs = _stack_outputs(args.stack)
    if "cicd_deployment_config" not in outputs:
        print("error: the stack outputs have no cicd_deployment_config", file=sys.stderr)
        return EXIT_USAGE
    problems = check(outputs, args.release, runtime, timeout=args.timeout, delay=args.delay)
    if problems:
        print(f"gate of {args.stack} FAILED for {args.release}:", file=runtime.out)
        for problem in problems:
            print(f"  - {problem}", file=runtime.out)
        return EXIT_FAILED
    print(f"gate of {args.stack} passed for {args.release}", file=runtime.out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
