"""Jobs that can mint OIDC tokens install Python packages by hash: `requirements.lock` (made by
`./scripts/lock` from `requirements.txt`) pins every package with its hashes, and
`scripts/bootstrap.sh` installs it with `--require-hashes` when `CI=true`."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", re.M)


def _pins(text: str) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(text)}


def _entries(lock: str) -> dict[str, list[str]]:
    """package -> its hashes, from pip-compile's `name==version \\ --hash=...` blocks."""
    found: dict[str, list[str]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", lock):
        match = PIN.match(block)
        if match:
            found[match[1].lower()] = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
    return found


def stale_pins(requirements: str, lock: str) -> list[str]:
    """Pins of requirements.txt the lock does not hold at the same version."""
    locked = _pins(lock)
    return sorted(
        f"{name}=={version} (lock: {locked.get(name, 'missing')})"
        for name, version in _pins(requirements).items()
        if locked.get(name) != version
    )


def test_the_lock_holds_every_pin_of_requirements_txt_with_hashes():
    lock = (ROOT / "requirements.lock").read_text()
    assert stale_pins((ROOT / "requirements.txt").read_text(), lock) == []
    entries = _entries(lock)
    assert len(entries) > len(_pins((ROOT / "requirements.txt").read_text()))
    assert [name for name, hashes in entries.items() if not hashes] == []
    # no machine's own package source leaks into the lock
    assert "--find-links" not in lock and "--index-url" not in lock


def test_a_stale_lock_is_detected():
    requirements = "pulumi==3.272.0\nruff==0.17.6\n"
    lock = "pulumi==3.272.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    assert stale_pins(requirements, lock) == ["ruff==0.17.6 (lock: missing)"]
    assert stale_pins("pulumi==3.273.0\n", lock) == ["pulumi==3.273.0 (lock: 3.272.0)"]


def test_ci_installs_from_the_lock_by_hash():
    script = (ROOT / "scripts" / "bootstrap.sh").read_text()
    ci = script.split('"${CI:-}" = "true"', 1)[1].split("\n  else\n", 1)[0]
    assert "--require-hashes" in ci and "-r requirements.lock" in ci
    assert "--upgrade pip" not in ci
    assert "requirements.lock" in script.split("want=")[1].splitlines()[0]


def test_every_job_that_can_mint_a_token_installs_through_the_bootstrap_script():
    """A job with `id-token: write` runs pip only through scripts/bootstrap.sh (which GitHub
    runs with CI=true): no `pip install` of its own."""
    checked = 0
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        document = yaml.safe_load(path.read_text())
        for name, job in document["jobs"].items():
            if (job.get("permissions") or {}).get("id-token") != "write":
                continue
            runs = "\n".join(step.get("run", "") for step in job.get("steps", []))
            assert not re.search(r"\bpip3?\s+install\b", runs), (path.name, name)
            checked += 1
    assert checked >= 3
