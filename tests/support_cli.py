"""Running the offline plan CLI in a subprocess, the way a user runs it on a bad stack file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def refused_offline_plan(stack_file: Path) -> str:
    """Run `python -m tools.plan prod --config-file stack_file` in a fresh interpreter and check
    that it refuses the file cleanly: exit 2, nothing on stdout, no traceback, the file named in
    the messages. Return those messages (stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.plan", "prod", "--config-file", str(stack_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert str(stack_file) in done.stderr
    return done.stderr
