"""The image contract (docs/IMAGE-CONTRACT.md) checked before a push, offline:
`tools.image_contract` against the committed plans with a stand-in `docker` that holds an
image's config and files and answers `image inspect`, `create`, `cp`, `rm` and `run` as the
engine would.

GIVEN the images the issue describes (a Dockerfile image with curl and `VOLUME /tmp`, Spring
Boot's build-image output without shell, curl or VOLUME), WHEN checked against the task
definition the plan runs them with, THEN the first passes and the second fails with each reason;
the run the tool makes reproduces Fargate (read-only root, uid 1000, /tmp as Fargate mounts it).
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass, field
from typing import Any

import pytest

from tools import image_contract
from tools.image_contract import Result

CURL_IMAGE = {
    "Config": {"User": "1000", "Volumes": {"/tmp": {}}, "Env": ["PATH=/usr/bin:/bin"]},
    "files": {"/tmp": (1000, 0o755, True), "/bin/sh": (0, 0o755, False),
              "/usr/bin/curl": (0, 0o755, False)},
}  # fmt: skip
BUILD_IMAGE = {  # Paketo's output: no shell, no curl, no VOLUME; thc only when asked for
    "Config": {"User": "1002:1000", "Volumes": None, "Env": ["PATH=/cnb/process:/cnb/lifecycle"]},
    "files": {"/tmp": (0, 0o1777, True), "/workspace/health-check": (1002, 0o755, False)},
}
KEYCLOAK_IMAGE = {
    "Config": {
        "User": "1000",
        "Volumes": {"/opt/keycloak/data": {}, "/tmp": {}},
        "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
    },
    "files": {"/opt/keycloak/data": (1000, 0o755, True), "/tmp": (0, 0o1777, True),
              "/usr/bin/bash": (0, 0o755, False), "/bin/sh": (0, 0o755, False)},
}  # fmt: skip


def _tar(path: str, uid: int, mode: int, is_dir: bool) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(path.rsplit("/", 1)[-1])
        info.uid, info.mode = uid, mode
        info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
        archive.addfile(info)
    return buffer.getvalue()


@dataclass
class FakeDocker:
    image: dict[str, Any] | None
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, args):
        args = list(args)
        self.calls.append(args)
        files = self.image["files"] if self.image else {}
        if args[:2] == ["image", "inspect"]:
            if self.image is None:
                return Result(1, b"", b"Error: No such image")
            return Result(0, json.dumps([{"Config": self.image["Config"]}]).encode())
        if args[0] == "create":
            return Result(0, b"cid\n")
        if args[0] == "rm":
            return Result(0)
        if args[0] == "cp":
            path = args[1].split(":", 1)[1]
            if path not in files:
                return Result(1, b"", b"Error: Could not find the file")
            return Result(0, _tar(path, *files[path]))
        if args[0] == "run":
            program = args[args.index("--entrypoint") + 1]
            rest = args[args.index("--entrypoint") + 3 :]
            if program not in files and not any(p.endswith(f"/{program}") for p in files):
                return Result(127, b"", b"exec: not found")
            if rest[:1] == ["-c"] and rest[1].startswith("command -v "):
                word = rest[1].split()[-1]
                return Result(0 if any(p.endswith(f"/{word}") for p in files) else 1)
            return Result(1)  # nothing listens: the probe itself fails, as expected
        raise AssertionError(args)


@pytest.fixture(scope="module")
def plan_files(tmp_path_factory, plan):
    def write(stack: str, result=None) -> str:
        result = result or plan(stack)
        path = tmp_path_factory.mktemp("plans") / f"{stack}.json"
        resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in result.resources]
        path.write_text(json.dumps({"resources": resources}))
        return str(path)

    return write


def check(plan_file: str, name: str, image: dict | None, capsys) -> tuple[int, str, FakeDocker]:
    docker = FakeDocker(image)
    code = image_contract.main(["img:1", "--name", name, "--plan-json", plan_file], docker)
    captured = capsys.readouterr()
    return code, captured.out + captured.err, docker


def test_an_image_with_curl_and_a_tmp_volume_meets_the_contract(plan_files, capsys):
    code, text, docker = check(plan_files("dev"), "aw-pdp-service", CURL_IMAGE, capsys)
    assert code == 0, text
    runs = [c for c in docker.calls if c[0] == "run"]
    assert runs, "the tool runs the image"
    for run in runs:  # as Fargate runs it
        assert "--read-only" in run and run[run.index("--user") + 1] == "1000"
        assert "type=volume,dst=/tmp" in run and run[run.index("--network") + 1] == "none"
    # curl looked up by the shell, not hidden behind `|| exit 1`
    assert any(c[-1] == "command -v curl" for c in runs)


def test_a_build_image_output_fails_with_each_reason(plan_files, capsys):
    code, text, _ = check(plan_files("dev"), "aw-pdp-service", BUILD_IMAGE, capsys)
    assert code == 1
    assert "/tmp: Fargate mounts an empty directory owned by root, mode 0755" in text
    assert "needs /bin/sh" in text


def test_thc_checks_need_no_shell_but_still_a_writable_tmp(plan_files, run_stack, capsys):
    thc = run_stack("dev", {"accessweaver:containerHealthCheck": "thc"})
    code, text, _ = check(plan_files("dev-thc", thc), "aw-pdp-service", BUILD_IMAGE, capsys)
    assert code == 1 and "needs" not in text and "/tmp: Fargate mounts" in text
    wrapped = {**BUILD_IMAGE, "Config": {**BUILD_IMAGE["Config"], "Volumes": {"/tmp": {}}}}
    code, text, docker = check(plan_files("dev-thc", thc), "aw-pdp-service", wrapped, capsys)
    assert code == 0, text
    (run,) = [c for c in docker.calls if c[0] == "run"]
    assert run[run.index("--entrypoint") + 1] == "/workspace/health-check"


def test_a_tmp_volume_the_user_cannot_write_is_refused(plan_files, capsys):
    root_tmp = {**CURL_IMAGE, "files": {**CURL_IMAGE["files"], "/tmp": (0, 0o755, True)}}
    code, text, _ = check(plan_files("dev"), "aw-pdp-service", root_tmp, capsys)
    assert code == 1 and "owned by uid 0, mode 0755" in text


def test_the_keycloak_image_meets_the_contract_of_its_task(plan_files, capsys):
    code, text, docker = check(plan_files("prod"), "keycloak", KEYCLOAK_IMAGE, capsys)
    assert code == 0, text
    (run,) = [c for c in docker.calls if c[0] == "run"]
    assert "type=volume,dst=/opt/keycloak/data" in run and run[-2] == "-c"
    # ECS Exec's agent paths are root's: not part of the image's contract
    assert not [c for c in docker.calls if "managed-agents" in " ".join(c)]


def test_a_missing_image_or_name_is_a_usage_error(plan_files, capsys):
    assert check(plan_files("dev"), "aw-pdp-service", None, capsys)[0] == 2
    assert check(plan_files("dev"), "no-such-image", CURL_IMAGE, capsys)[0] == 2


def test_the_build_job_checks_every_image_before_the_archives_leave_it():
    from tests.test_workflows import workflow

    steps = workflow("deploy.yml")["jobs"]["build"]["steps"]
    names = [s.get("name") or s.get("uses", "") for s in steps]
    check = next(i for i, n in enumerate(names) if n.startswith("Check each image"))
    build = next(i for i, n in enumerate(names) if n.startswith("Build every image"))
    upload = next(i for i, n in enumerate(names) if n.startswith("actions/upload-artifact"))
    assert build < check < upload  # deploy-stack.yml pushes what the upload hands on
    script = steps[check]["run"]
    assert "python -m tools.image_contract" in script and "plan.json" in script
    assert "oci-archive:" in script  # the archive that will be pushed, not a rebuild
    assert not ({"AWS", "aws-actions", "id-token"} & set(json.dumps(steps[check]).split('"')))


@pytest.mark.parametrize("name", ["keycloak", "health-probe", "platform-setup"])
def test_this_repositorys_own_images_declare_their_writable_paths(plan, name):
    from tests.conftest import ROOT

    plan_dict = {
        "resources": [
            {"type": r.type, "name": r.name, "inputs": r.inputs} for r in plan("prod").resources
        ]
    }
    expected = image_contract.expectation(plan_dict, name)
    dockerfile = (ROOT / "images" / name / "Dockerfile").read_text()
    (volume,) = [line for line in dockerfile.splitlines() if line.startswith("VOLUME")]
    declared = json.loads(volume.removeprefix("VOLUME").strip())
    assert set(expected.writable_paths) <= set(declared)
    assert expected.user == "1000" and "USER 1000" in dockerfile
