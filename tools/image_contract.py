"""Check an application image against the image contract before it is pushed
(``python -m tools.image_contract IMAGE --name NAME --plan-json PLAN``; docs/IMAGE-CONTRACT.md).

What the task definition of the offline plan asks of the image, checked with the local Docker
engine and nothing else (no registry, no cloud credential):

1. **Writable paths as Fargate mounts them.** Every `mountPoints` path of the container is a
   bind mount on Fargate: empty, owned by root, mode 0755, unless the image declares a
   `VOLUME` at that path, whose content, owner and mode are copied into the mount. So a path
   without a `VOLUME`, or whose directory the task's user cannot write, is a problem (the
   paths ECS Exec's agent writes are root's, and left alone).
2. **The health command exists in the image**: its program (`CMD`: the first argument;
   `CMD-SHELL`: /bin/sh and the first word of the command, e.g. `curl`), found at its path or
   through the image's `PATH`.
3. **A run as Fargate runs it**: `docker run --read-only --user <uid> --network none` with each
   writable path mounted as Fargate does (`--mount type=volume` where the image declares a
   VOLUME, which Docker fills from the image like Fargate; `type=tmpfs,tmpfs-mode=0755`, root's
   and empty, elsewhere), running the health command's program: exit 126 or 127 (cannot be
   run, not found) fails. Nothing listens, so any other exit passes: the run proves the
   command can start as that user on that filesystem, not that the application is healthy.

Exit codes: 0 the image meets the contract, 1 it does not (each problem on its own line),
2 usage (no such image, no such container in the plan, no docker).
"""

from __future__ import annotations

import argparse
import io
import json
import posixpath
import shlex
import subprocess
import sys
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessweaver_components.compute.containers import EXEC_AGENT_PATHS

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
NOT_RUNNABLE = (126, 127)
"""`docker run`'s exit codes when the command cannot be invoked or is not found."""
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: bytes = b""
    stderr: bytes = b""


Docker = Callable[[Sequence[str]], Result]
"""Runs `docker <args>`; tests give a fake."""


def run_docker(args: Sequence[str]) -> Result:
    try:
        done = subprocess.run(["docker", *args], capture_output=True, check=False)
    except FileNotFoundError as error:
        raise ContractError(f"docker is not installed: {error}", 2) from None
    return Result(done.returncode, done.stdout, done.stderr)


class ContractError(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Expectation:
    """What the plan's container definition asks of the image."""

    container: str
    user: str
    writable_paths: tuple[str, ...]
    health_command: tuple[str, ...] | None


def _repository(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[0] if ":" in last else name


def expectation(plan: dict[str, Any], name: str) -> Expectation:
    """The container of the plan whose image is the repository `.../<name>` (a service's own
    task definition first, `<name>-task`)."""
    found: list[tuple[bool, dict[str, Any]]] = []
    for resource in plan.get("resources", []):
        if resource.get("type") != TASK_DEFINITION:
            continue
        definitions = resource["inputs"].get("containerDefinitions", [])
        if isinstance(definitions, str):
            definitions = json.loads(definitions)
        for container in definitions:
            if _repository(str(container.get("image", ""))).endswith(f"/{name}"):
                found.append((resource.get("name") == f"{name}-task", container))
    if not found:
        raise ContractError(f"no container of the plan runs an image named {name}")
    container = sorted(found, key=lambda pair: not pair[0])[0][1]
    check = container.get("healthCheck", {}).get("command")
    return Expectation(
        container=container["name"],
        user=str(container.get("user") or "root"),
        writable_paths=tuple(
            m["containerPath"]
            for m in container.get("mountPoints", [])
            if not m.get("readOnly") and m["containerPath"] not in EXEC_AGENT_PATHS
        ),
        health_command=tuple(check) if check else None,
    )


def health_programs(command: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(program, run arguments) the health command needs: for `CMD`, its program run with its
    own arguments; for `CMD-SHELL`, /bin/sh, and the command's first word looked up by the
    shell (`command -v`), since `|| exit 1` would hide a missing one."""
    kind, *rest = command
    if kind == "CMD":
        return [(rest[0], rest[1:])]
    if kind == "CMD-SHELL":
        words = shlex.split(rest[0]) if rest else []
        first = next((w for w in words if "=" not in w), None)
        programs: list[tuple[str, list[str]]] = [("/bin/sh", ["-c", "true"])]
        if first and first not in ("exec", "test", "["):
            programs.append(("/bin/sh", ["-c", f"command -v {shlex.quote(first)}"]))
        return programs
    raise ContractError(f"health command kind {kind!r} is neither CMD nor CMD-SHELL")


def _uid(user: str) -> int | None:
    head = user.split(":", 1)[0]
    return int(head) if head.isdigit() else None


class Checker:
    def __init__(self, image: str, expected: Expectation, docker: Docker = run_docker):
        self.image, self.expected, self.docker = image, expected, docker

    def inspect(self) -> dict[str, Any]:
        done = self.docker(["image", "inspect", self.image])
        if done.returncode != 0:
            raise ContractError(f"no image {self.image} in the local engine: {_text(done)}")
        return json.loads(done.stdout)[0]

    def _stat(self, container_id: str, path: str) -> tarfile.TarInfo | None:
        """Owner and mode of `path` in the image (`docker cp` of a created, never started,
        container), None when it does not exist."""
        done = self.docker(["cp", f"{container_id}:{path}", "-"])
        if done.returncode != 0:
            return None
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
            first = archive.next()
        return first

    def mounts(self, volumes: set[str]) -> list[str]:
        """`--mount` arguments reproducing Fargate's bind mounts of the writable paths."""
        args = []
        for path in self.expected.writable_paths:
            if path in volumes:
                args += ["--mount", f"type=volume,dst={path}"]
            else:
                args += ["--mount", f"type=tmpfs,dst={path},tmpfs-mode=0755"]
        return args

    def check(self) -> list[str]:
        expected = self.expected
        config = self.inspect().get("Config") or {}
        volumes = set((config.get("Volumes") or {}).keys())
        env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
        uid = _uid(expected.user)
        problems: list[str] = []
        if uid is None or uid == 0:
            problems.append(
                f"the task runs the container as {expected.user!r}: the contract is a numeric "
                "non-root uid (1000)"
            )
        created = self.docker(["create", self.image])
        if created.returncode != 0:
            raise ContractError(f"docker create {self.image} failed: {_text(created)}")
        container_id = created.stdout.decode().strip()
        try:
            for path in expected.writable_paths:
                if path not in volumes:
                    problems.append(
                        f"{path}: Fargate mounts an empty directory owned by root, mode 0755, "
                        f"which uid {expected.user} cannot write; declare VOLUME {path} in the "
                        f"image with the directory owned by {expected.user}"
                    )
                    continue
                info = self._stat(container_id, path)
                if info is None or not info.isdir():
                    problems.append(f"{path}: declared as a VOLUME but not a directory")
                elif not (info.uid == uid or info.mode & 0o002):
                    problems.append(
                        f"{path}: owned by uid {info.uid}, mode {info.mode:04o}; Fargate copies "
                        f"that into the mount, and uid {expected.user} cannot write it (chown "
                        f"{expected.user} or chmod 1777 before the VOLUME line)"
                    )
            if expected.health_command is None:
                return problems
            for program, _ in health_programs(expected.health_command):
                if not self._exists(container_id, program, env.get("PATH", DEFAULT_PATH)):
                    problems.append(
                        f"the health command {list(expected.health_command)} needs {program}, "
                        "which the image does not have: the task would never become healthy"
                    )
        finally:
            self.docker(["rm", "--force", container_id])
        if problems:
            return problems
        return self._run(volumes)

    def _exists(self, container_id: str, program: str, path: str) -> bool:
        candidates = (
            [program]
            if program.startswith("/")
            else [posixpath.join(d, program) for d in path.split(":") if d]
        )
        return any(self._stat(container_id, c) is not None for c in candidates)

    def _run(self, volumes: set[str]) -> list[str]:
        expected = self.expected
        assert expected.health_command is not None
        problems = []
        for program, args in health_programs(expected.health_command):
            run = [
                "run", "--rm", "--read-only", "--network", "none",
                "--user", expected.user, *self.mounts(volumes),
                "--entrypoint", program, self.image, *args,
            ]  # fmt: skip
            done = self.docker(run)
            failed = done.returncode in NOT_RUNNABLE or (
                args[:1] == ["-c"] and args[1].startswith("command -v") and done.returncode != 0
            )
            if failed:
                problems.append(
                    f"`docker {shlex.join(run)}` exited {done.returncode}: the health "
                    f"command cannot run as uid {expected.user} on a read-only root "
                    f"({_text(done)})"
                )
        return problems


def _text(done: Result) -> str:
    lines = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def main(argv: Sequence[str] | None = None, docker: Docker = run_docker) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.image_contract",
        description="Check an image against the image contract (docs/IMAGE-CONTRACT.md) "
        "with a run that reproduces Fargate's mounts.",
    )
    parser.add_argument("image", help="a local image reference")
    parser.add_argument("--name", required=True, help="the image's name (its repository)")
    parser.add_argument(
        "--plan-json",
        required=True,
        type=Path,
        help="`python -m tools.plan STACK --json` of the stack the image is for",
    )
    args = parser.parse_args(argv)
    try:
        plan = json.loads(args.plan_json.read_text())
        expected = expectation(plan, args.name)
        problems = Checker(args.image, expected, docker).check()
    except (OSError, json.JSONDecodeError) as error:
        print(f"error: {args.plan_json}: {error}", file=sys.stderr)
        return 2
    except ContractError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.code
    for problem in problems:
        print(f"{args.name}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{args.name}: {args.image} meets the image contract of {expected.container}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
