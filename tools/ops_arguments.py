"""The command line of `python -m tools.ops`: its arguments, help texts and exit codes."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .ops_aws import PORT_FORWARD_DOCUMENT, STATUS_EVENTS

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> int:
    """``30s``, ``10m``, ``2h``, ``1d`` -> seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid duration '{text}' (use e.g. 30s, 10m, 2h, 1d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value < 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


EPILOG = """\
names come from the stack outputs (cicd_deployment_config): the cluster, the region, each
service's ECS name and log group. SERVICE is a catalog key such as aw-pdp-service, or the same
without the aw- prefix (pdp-service).

exit codes: 0 success; 1 the operation failed (not stable, unhealthy, service missing, AWS
error); 2 usage or configuration error (bad arguments, unknown stack, service or task, missing
outputs file, missing or rejected AWS credentials); 130 interrupted. `run` exits with the
task container's own exit code once it ran (so 1 or 2 may be the container's), 124 when the
task was still running after --timeout (it is stopped), 125 when ECS ran no container.
"""

RUN_DESCRIPTION = """\
Run one of the stack's declared tasks (the `tasks` output: its task definition revision, the
cluster, the subnets and its own security group), optionally with another command, wait until
it stops, print its exit code, its log group and stream and the stream's last lines, and exit
with the container's exit code. The task runs with its own roles: it can reach only what its
`uses` and `calls` give it.
"""

DEPLOY_DESCRIPTION = """\
Force a new deployment of every service, one at a time, in the stack's deploy_order. For each
service: UpdateService --force-new-deployment, wait for the ECS services_stable condition
(bounded by --timeout), then require every running task to report healthStatus HEALTHY (the
containers' health checks, retried for up to --health-timeout). Stops at the first failure with
exit code 1.

No task definition is registered: tasks restart from the service's current task definition,
so a mutable image tag (e.g. :latest) is pulled again. Health is read from ECS only; the tool
does not curl the services' internal DNS names (*.accessweaver-<env>.local), which resolve only
inside the VPC and are not reachable from a CI runner.
"""


def _deploy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout",
        type=positive_number,
        default=900,
        metavar="SECONDS",
        help="max wait for each service to become stable (default: 900)",
    )
    p.add_argument(
        "--health-timeout",
        type=positive_number,
        default=120,
        metavar="SECONDS",
        help="max wait for each service's tasks to report HEALTHY (default: 120)",
    )
    p.add_argument(
        "--poll-interval",
        type=non_negative_int,
        default=15,
        metavar="SECONDS",
        help="seconds between stability/health checks (default: 15)",
    )


def _logs_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("service", metavar="SERVICE")
    p.add_argument(
        "--since",
        type=duration,
        default="10m",
        metavar="DURATION",
        help="how far back to start, e.g. 30s, 10m, 2h, 1d (default: 10m)",
    )
    p.add_argument("--follow", "-f", action="store_true", help="keep polling for new events")
    p.add_argument(
        "--poll-interval",
        type=positive_number,
        default=5,
        metavar="SECONDS",
        help="seconds between polls with --follow (default: 5)",
    )
    p.add_argument(
        "--max-polls",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="stop following after N polls (default: 0 = until interrupted)",
    )


def _run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK", help="a key of the stack's `tasks` output")
    p.add_argument(
        "--command",
        metavar="'CMD ARG...'",
        help="replace the container's command for this run (split like a shell, not run by one)",
    )
    p.add_argument(
        "--timeout",
        type=positive_number,
        default=3600,
        metavar="SECONDS",
        help="max wait for the task to stop; then it is stopped, exit 124 (default: 3600)",
    )
    p.add_argument(
        "--poll-interval",
        type=positive_number,
        default=10,
        metavar="SECONDS",
        help="seconds between DescribeTasks calls (default: 10)",
    )
    p.add_argument(
        "--tail",
        type=non_negative_int,
        default=50,
        metavar="N",
        help="print the last N lines of the run's log stream (default: 50; 0: none)",
    )


def _scale_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("service", metavar="SERVICE")
    p.add_argument("count", metavar="COUNT", type=non_negative_int, help="desired count (>= 0)")


def _rollback_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("service", metavar="SERVICE", nargs="?")
    p.add_argument("--to", metavar="COMMIT", help="the release to go back to (default: previous)")
    p.add_argument("--no-up", action="store_true", help="only write the record (CI runs the up)")


def _admin_console_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--local-port",
        type=non_negative_int,
        metavar="PORT",
        help="local port (default: Keycloak's own port, 8180 unless keycloak.port says)",
    )
    p.add_argument(
        "--print", dest="print_only", action="store_true", help="print the command, run nothing"
    )


@dataclass(frozen=True)
class Subcommand:
    """One subcommand of `python -m tools.ops`: its name, help line, description (its help
    line when None) and the arguments of its own (besides the stack selection every one has)."""

    name: str
    help: str
    description: str | None = None
    arguments: Callable[[argparse.ArgumentParser], None] | None = None


SUBCOMMANDS = (
    Subcommand(
        "status",
        "show every service: running/desired count, rollout state, last events",
        "Show every service of the stack: running vs desired count, rollout state of the "
        f"primary deployment, task definition and the last {STATUS_EVENTS} ECS events.",
    ),
    Subcommand(
        "deploy",
        "force a new deployment of each service in deploy order",
        DEPLOY_DESCRIPTION,
        _deploy_arguments,
    ),
    Subcommand(
        "scale",
        "set the desired count of a service",
        "Set a service's desired count. Application Auto Scaling, when configured, may change "
        "it again within its min/max capacity.",
        _scale_arguments,
    ),
    Subcommand(
        "rollback",
        "go back to an earlier release (or, now, one service's previous revision)",
        "Without SERVICE: write the stack's previous release (or --to COMMIT) to its release "
        "record and run `pulumi up` (python -m tools.release rollback): it sticks, every later "
        "`pulumi up` reads the same record. With SERVICE, an emergency: point that service at "
        "its previous task definition (the previous deployment's when one is in progress, "
        "otherwise the newest older ACTIVE revision); the next `pulumi up` undoes it.",
        _rollback_arguments,
    ),
    Subcommand(
        "logs",
        "print a service's log events",
        "Print the CloudWatch log events of a service's log group (all streams).",
        _logs_arguments,
    ),
    Subcommand(
        "run",
        "run a declared task once and exit with its exit code",
        RUN_DESCRIPTION,
        _run_arguments,
    ),
    Subcommand(
        "admin-console",
        "port-forward to Keycloak's admin console in one running task",
        "Find a running Keycloak task with ECS Exec on, then run `aws ssm start-session` with "
        f"{PORT_FORWARD_DOCUMENT} to its container port (needs the AWS CLI and its Session "
        "Manager plugin, and ecs:ListTasks, ecs:DescribeTasks, ecs:DescribeTaskDefinition and "
        "ssm:StartSession on the cluster's tasks and that document). The console is never on "
        "the public listener; open http://localhost:PORT/auth/admin/ while it runs.",
        _admin_console_arguments,
    ),
)
"""Every subcommand, in the order `--help` lists them."""


def _common_arguments() -> argparse.ArgumentParser:
    """The stack selection and AWS arguments every subcommand takes (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    src = common.add_argument_group("stack selection and AWS")
    src.add_argument(
        "--stack",
        help="Pulumi stack whose outputs to read (default: the selected stack)",
    )
    src.add_argument(
        "--outputs-file",
        metavar="PATH",
        help="JSON file with the stack outputs (`pulumi stack output --json > PATH`); "
        "use it where the pulumi CLI is not available",
    )
    src.add_argument(
        "--region", help="AWS region (default: cicd_deployment_config.region of the outputs)"
    )
    src.add_argument("--profile", help="AWS named profile (default: the usual boto3 chain)")
    return common


def build_parser(handlers: Mapping[str, Callable[[Any], int]]) -> argparse.ArgumentParser:
    """The parser; each subcommand's `handler` is `handlers[<its name>]`."""
    common = _common_arguments()
    parser = argparse.ArgumentParser(
        prog="python -m tools.ops",
        description="Operate the AccessWeaver ECS Fargate services of a Pulumi stack.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in SUBCOMMANDS:
        p = sub.add_parser(
            command.name,
            parents=[common],
            help=command.help,
            description=command.description or command.help,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command.arguments is not None:
            command.arguments(p)
        p.set_defaults(handler=handlers[command.name])
    return parser
