"""`python -m tools.release`: write, show and roll back a stack's release record.

The release record (`components/stack/release.py`) is what every preview, drift check and
`pulumi up` of a stack reads to know which image digests its services run. Only this tool
writes it, from the deploy job (`record`) or an operator (`rollback`):

* ``publish``  - put a release's images into the stack's repositories, by digest: from the OCI
  archives the build job made (dev), or copied from the previous stack's repositories
  (staging, prod); every digest in the registry must be the one built, or the job fails.
* ``record``   - write the images CI built (or promoted) for a commit: a JSON file of
  ``{"<service>": {"tag": ..., "digest": "sha256:..."}}`` (`--images`), checked against the
  stack's `cicd_deployment_config` output (every image the stack builds must be in it).
* ``show``     - the current record.
* ``history``  - the records the parameter kept (Parameter Store keeps 100 versions).
* ``rollback`` - write an earlier release again (`--to COMMIT`, default the previous one), with
  `rolledBackFrom`, then `pulumi up` the stack (unless `--no-up`): the next `pulumi up`, from
  CI or a laptop, keeps it, because it reads the same record.

The parameter is a String (digests are not secret) in the stack's own account and region, read
from the stack outputs (`cicd_deployment_config.release_parameter`, `region`) or given with
`--parameter` and `--region`. Exit codes: 0 done, 1 failed (AWS error, a `pulumi up` that
failed), 2 usage (bad arguments, a record that does not match the stack).

Offline, `example_record` gives the engine a stand-in release for the committed stacks (every
built image at a digest derived from its name), so a plan shows what a deployed stack runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXAMPLE_COMMIT = "0ff1e0ff1e0ff1e0ff1e0ff1e0ff1e0ff1e0ff1e"
"""The commit of the offline stand-in release (not a real one: hex spelling "offline")."""


class ReleaseError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# --------------------------------------------------------------------------------------------
# Records (pure)
# --------------------------------------------------------------------------------------------


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def record_document(
    commit: str,
    images: Mapping[str, Mapping[str, str]],
    *,
    recorded_by: str | None = None,
    rolled_back_from: str | None = None,
    replaces: Mapping[str, str] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str:
    """The parameter's value, validated by the program's own model (so CI never writes a
    record the next `pulumi up` would refuse)."""
    from accessweaver_components.stack.release import ReleaseRecord

    document: dict[str, Any] = {
        "commit": commit,
        "images": {name: dict(image) for name, image in sorted(images.items())},
        "recordedAt": now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if recorded_by:
        document["recordedBy"] = recorded_by
    if rolled_back_from:
        document["rolledBackFrom"] = rolled_back_from
    if replaces:
        document["replaces"] = dict(sorted(replaces.items()))
    ReleaseRecord.model_validate(document)
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def replaced_tags(previous: Mapping[str, Any] | None, commit: str) -> dict[str, str]:
    """`replaces` of a new record of `commit` over `previous` (components/stack/release.py)."""
    from accessweaver_components.stack.release import replaced_tags as replaced

    return replaced(previous, commit)


def expected_images(cicd: Mapping[str, Any]) -> dict[str, str | None]:
    """The images the stack builds into its repositories (`cicd_deployment_config.images`):
    name -> the tag it is pinned to (None: the commit's own images)."""
    return {name: spec.get("pinned_tag") for name, spec in (cicd.get("images") or {}).items()}


def check_images(
    images: Mapping[str, Mapping[str, str]], cicd: Mapping[str, Any], commit: str
) -> list[str]:
    """Problems of a release for this stack: an image missing, or under another tag than the
    one CI pushes (the commit for the application's, the pinned version for the others)."""
    problems = []
    for name, pinned in sorted(expected_images(cicd).items()):
        image = images.get(name)
        wanted = pinned or commit
        if image is None:
            problems.append(f"{name}: not in the release (every image the stack builds must be)")
        elif image.get("tag") != wanted:
            problems.append(f"{name}: tag {image.get('tag')!r}, the stack expects {wanted!r}")
    return problems


def example_record(settings: Any) -> str:
    """A stand-in release for an offline plan: every image the stack builds into its
    repositories (under the commit's tag, or its pinned version) at a digest derived from its
    name, the same in every stack as a promoted image is."""
    images = {
        service.name: {
            "tag": service.pinned_tag or EXAMPLE_COMMIT,
            "digest": digest_of(f"{service.name}@{EXAMPLE_COMMIT}"),
        }
        # a task built into a repository of its own is released with the services
        for service in (*settings.services, *getattr(settings, "tasks", ()))
        if service.built_image
    }
    return json.dumps({"commit": EXAMPLE_COMMIT, "images": images}, sort_keys=True)


# --------------------------------------------------------------------------------------------
# Parameter Store (each function takes a boto3 SSM client)
# --------------------------------------------------------------------------------------------


def read_current(ssm: Any, parameter: str) -> dict[str, Any] | None:
    try:
        found = ssm.get_parameter(Name=parameter)
    except ssm.exceptions.ParameterNotFound:
        return None
    return json.loads(found["Parameter"]["Value"])


def read_history(ssm: Any, parameter: str) -> list[dict[str, Any]]:
    """Every version the parameter kept, oldest first, each with its `version`."""
    versions: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = ssm.get_parameter_history(Name=parameter, **({"NextToken": token} if token else {}))
        for item in page["Parameters"]:
            versions.append({**json.loads(item["Value"]), "version": item["Version"]})
        token = page.get("NextToken")
        if not token:
            return sorted(versions, key=lambda v: v["version"])


def write(ssm: Any, parameter: str, value: str, tags: Mapping[str, str]) -> int:
    """Write a new version of the record; a new parameter gets the stack's tags."""
    created = False
    try:
        done = ssm.put_parameter(
            Name=parameter, Value=value, Type="String", Overwrite=True, Tier="Intelligent-Tiering"
        )
    except ssm.exceptions.ParameterNotFound:  # pragma: no cover - Overwrite creates it
        raise
    version = int(done["Version"])
    created = version == 1
    if created and tags:
        ssm.add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId=parameter,
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )
    return version


def rollback_target(history: Sequence[Mapping[str, Any]], to: str | None) -> Mapping[str, Any]:
    """The release to go back to: the newest earlier record of commit `to` (a prefix is
    enough), or the newest one whose commit differs from the current one."""
    if not history:
        raise ReleaseError("no release was ever recorded for this stack", EXIT_USAGE)
    current = history[-1]
    earlier = list(reversed(history[:-1]))
    if to is None:
        for item in earlier:
            if item["commit"] != current["commit"]:
                return item
        raise ReleaseError("no earlier release than the current one", EXIT_USAGE)
    matches = [item for item in earlier if item["commit"].startswith(to)]
    if not matches:
        known = ", ".join(dict.fromkeys(i["commit"][:12] for i in earlier)) or "none"
        raise ReleaseError(f"no earlier release of commit {to}; earlier releases: {known}", 2)
    return matches[0]


# --------------------------------------------------------------------------------------------
# Publishing images by digest (skopeo: `--preserve-digests` fails rather than re-encode)
# --------------------------------------------------------------------------------------------


def _skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, check=False)


def registry_digest(reference: str) -> str | None:
    """The manifest digest `reference` names in its registry, None when it does not exist."""
    done = _skopeo("inspect", "--format", "{{.Digest}}", f"docker://{reference}")
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def platform_of(reference: str) -> str:
    done = _skopeo("inspect", "--format", "{{.Os}}/{{.Architecture}}", f"docker://{reference}")
    if done.returncode != 0:
        raise ReleaseError(f"cannot inspect {reference}: {done.stderr.strip()}")
    return done.stdout.strip()


def _copy(source: str, target: str) -> None:
    done = _skopeo("copy", "--preserve-digests", source, f"docker://{target}")
    if done.returncode != 0:
        raise ReleaseError(f"copying {source} to {target} failed: {done.stderr.strip()}")


def publish(
    cicd: Mapping[str, Any],
    images: Mapping[str, Mapping[str, str]],
    *,
    archives: Path | None,
    out: Any,
) -> dict[str, dict[str, str]]:
    """Put each image of the release into the stack's repository under its tag and return the
    release as the registry holds it. `archives` (dev): push `<name>.tar` (OCI) built by the
    build job; else (staging, prod): copy `<promote_from>@<digest>` from the previous stack's
    repository. A tag the registry already holds is kept (tags are immutable): a re-run of the
    same commit, or Keycloak's version built earlier; promoted, it must hold the same digest."""
    published: dict[str, dict[str, str]] = {}
    wanted_platform = cicd.get("image_platform")
    for name, spec in sorted((cicd.get("images") or {}).items()):
        built = images.get(name)
        if built is None:
            raise ReleaseError(f"{name}: not in the release's images", EXIT_USAGE)
        tag, digest = built["tag"], built["digest"]
        target = f"{spec['repository']}:{tag}"
        existing = registry_digest(target)
        if archives is not None:
            if existing is not None:
                print(f"{target} is already in the registry ({existing}): kept", file=out)
                published[name] = {"tag": tag, "digest": existing}
                continue
            _copy(f"oci-archive:{archives / f'{name}.tar'}", target)
        else:
            source = spec.get("promote_from")
            if not source:
                raise ReleaseError(f"{name}: the stack promotes from no repository", EXIT_USAGE)
            if existing is not None and existing != digest:
                raise ReleaseError(
                    f"{target} already holds {existing}, not the release's {digest}: a tag "
                    "pushed outside the pipeline; delete it or release another commit"
                )
            if existing is None:
                platform = platform_of(f"{source}@{digest}")
                if wanted_platform and platform != wanted_platform:
                    raise ReleaseError(
                        f"{source}@{digest} is built for {platform}, the stack's tasks need "
                        f"{wanted_platform}: set the same cpuArchitecture in every stack file"
                    )
                _copy(f"docker://{source}@{digest}", target)
        now = registry_digest(target)
        if now != digest:
            raise ReleaseError(
                f"{target} holds {now}, not the digest the build made ({digest}): refused"
            )
        print(f"{target} = {digest}", file=out)
        published[name] = {"tag": tag, "digest": digest}
    return published


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


@dataclass
class Runtime:
    """What the CLI touches outside itself; tests swap these."""

    ssm_client: Callable[[str], Any] = field(
        default_factory=lambda: lambda region: __import__("boto3").client("ssm", region)
    )
    outputs: Callable[[str], dict[str, Any]] = field(
        default_factory=lambda: _stack_outputs  # type: ignore[return-value]
    )
    pulumi_up: Callable[[str], int] = field(
        default_factory=lambda: _pulumi_up  # type: ignore[return-value]
    )
    out: Any = sys.stdout


def _stack_outputs(stack: str) -> dict[str, Any]:
    exe = shutil.which("pulumi")
    if exe is None:
        raise ReleaseError("the pulumi CLI is not on PATH: pass --outputs-file", EXIT_USAGE)
    done = subprocess.run(
        [exe, "stack", "output", "--json", "--stack", stack],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ReleaseError(f"pulumi stack output failed: {done.stderr.strip()}", EXIT_USAGE)
    return json.loads(done.stdout)


def _pulumi_up(stack: str) -> int:
    exe = shutil.which("pulumi")
    if exe is None:
        raise ReleaseError("the pulumi CLI is not on PATH: run `pulumi up` yourself", EXIT_USAGE)
    return subprocess.run(
        [exe, "up", "--yes", "--stack", stack, "--policy-pack", "policy"], check=False
    ).returncode


def _cicd(args: argparse.Namespace, runtime: Runtime) -> dict[str, Any]:
    if args.outputs_file:
        outputs = json.loads(Path(args.outputs_file).read_text())
    else:
        outputs = runtime.outputs(args.stack)
    cicd = outputs.get("cicd_deployment_config")
    if not isinstance(cicd, dict) or "release_parameter" not in cicd:
        raise ReleaseError(
            "the stack outputs have no cicd_deployment_config.release_parameter (deployed "
            "with a version before release records?)",
            EXIT_USAGE,
        )
    return cicd


def _write_record(
    ssm: Any,
    cicd: dict[str, Any],
    value: str,
    tags: Mapping[str, str],
    summary: str,
    runtime: Runtime,
) -> None:
    """Write `value` as the stack's release record and say which version it became."""
    version = write(ssm, cicd["release_parameter"], value, tags)
    print(f"{cicd['release_parameter']} version {version}: {summary}", file=runtime.out)


def cmd_record(args: argparse.Namespace, runtime: Runtime) -> int:
    cicd = _cicd(args, runtime)
    images = json.loads(Path(args.images).read_text())
    problems = check_images(images, cicd, args.commit)
    if problems:
        raise ReleaseError(
            "the release does not match the stack:\n  - " + "\n  - ".join(problems), EXIT_USAGE
        )
    ssm = runtime.ssm_client(cicd["region"])
    # What the stack ran before this release: its `up` replaces those versions (Keycloak's
    # deployment recreates on a version change, components/identity/updates.py).
    previous = read_current(ssm, cicd["release_parameter"])
    value = record_document(
        args.commit,
        images,
        recorded_by=args.recorded_by,
        replaces=replaced_tags(previous, args.commit),
    )
    summary = f"commit {args.commit}, {len(images)} image(s)"
    _write_record(ssm, cicd, value, cicd.get("release_tags") or {}, summary, runtime)
    return EXIT_OK


def cmd_publish(args: argparse.Namespace, runtime: Runtime) -> int:
    cicd = _cicd(args, runtime)
    images = json.loads(Path(args.images).read_text())
    archives = Path(args.archives) if args.archives else None
    published = publish(cicd, images, archives=archives, out=runtime.out)
    Path(args.out).write_text(json.dumps(published, indent=2, sort_keys=True))
    return EXIT_OK


def cmd_show(args: argparse.Namespace, runtime: Runtime) -> int:
    cicd = _cicd(args, runtime)
    current = read_current(runtime.ssm_client(cicd["region"]), cicd["release_parameter"])
    print(json.dumps(current, indent=2, sort_keys=True), file=runtime.out)
    return EXIT_OK


def cmd_history(args: argparse.Namespace, runtime: Runtime) -> int:
    cicd = _cicd(args, runtime)
    for item in read_history(runtime.ssm_client(cicd["region"]), cicd["release_parameter"]):
        note = f" (rollback from {item['rolledBackFrom'][:12]})" if "rolledBackFrom" in item else ""
        print(
            f"v{item['version']:<4} {item['commit'][:12]}  {item.get('recordedAt', '?')}  "
            f"{item.get('recordedBy', '')}{note}",
            file=runtime.out,
        )
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace, runtime: Runtime) -> int:
    cicd = _cicd(args, runtime)
    ssm = runtime.ssm_client(cicd["region"])
    history = read_history(ssm, cicd["release_parameter"])
    target = rollback_target(history, args.to)
    current = history[-1]
    value = record_document(
        target["commit"],
        target["images"],
        recorded_by=args.recorded_by,
        rolled_back_from=current["commit"],
        replaces=replaced_tags(current, target["commit"]),
    )
    summary = f"back to {target['commit'][:12]} (was {current['commit'][:12]})"
    _write_record(ssm, cicd, value, {}, summary, runtime)
    if args.no_up:
        print(f"now run: pulumi up --stack {args.stack}", file=runtime.out)
        return EXIT_OK
    return EXIT_OK if runtime.pulumi_up(args.stack) == 0 else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.release",
        description="Write, show and roll back a stack's release record (the image digests "
        "every preview, drift check and pulumi up of the stack runs).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--stack", required=True, help="the stack (dev, staging, prod)")
        p.add_argument(
            "--outputs-file", help="saved `pulumi stack output --json` instead of the CLI"
        )
        p.add_argument("--recorded-by", default=None, help="who writes it (a run URL, a user)")
        return p

    record = command("record", "write the images of a commit as the stack's release")
    record.add_argument("--commit", required=True, help="the commit the images were built from")
    record.add_argument(
        "--images", required=True, help='JSON file: {"<service>": {"tag", "digest"}}'
    )
    publish_ = command("publish", "put a release's images into the stack's repositories")
    publish_.add_argument("--images", required=True, help="the release's images (JSON)")
    publish_.add_argument("--out", required=True, help="where to write the release as pushed")
    publish_.add_argument(
        "--archives", help="folder of <name>.tar OCI archives to push (dev); else promote"
    )
    command("show", "print the current release record")
    command("history", "list the releases the record kept")
    rollback = command("rollback", "write an earlier release again, then pulumi up")
    rollback.add_argument("--to", help="commit (or prefix) to go back to; default: the previous")
    rollback.add_argument(
        "--no-up", action="store_true", help="only write the record (CI runs the up)"
    )
    return parser


COMMANDS = {
    "publish": cmd_publish,
    "record": cmd_record,
    "show": cmd_show,
    "history": cmd_history,
    "rollback": cmd_rollback,
}


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    args = build_parser().parse_args(argv)
    runtime = runtime or Runtime()
    try:
        return COMMANDS[args.command](args, runtime)
    except ReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except Exception as error:  # botocore's errors: one line, no traceback
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(error, ClientError | BotoCoreError):
            print(f"error: {error}", file=sys.stderr)
            return EXIT_FAILED
        raise


if __name__ == "__main__":
    sys.exit(main())
