#!/usr/bin/env python3
"""Rewrite every import of the components in the checkout to one import name.

    python3 scripts/rename_import.py [--check]

The components live in the `components/` folder (the design card's layout) and install under the
import name `accessweaver_components` (setup.py maps it onto the folder): a wheel holding a
top-level `components` would clash with the `components/` folder of many Pulumi projects. Every
program, tool, test, policy and example of the checkout imports that one name, never both: two
names would load two copies of each module (two `ConfigError` classes, an `except` that misses).

Idempotent and mechanical, so it can be re-run after a rebase brings new files or imports:
- `from components[.x] import ...` and `import components[.x]` statements (Python files, and the
  code blocks of Markdown files, which quote them alike);
- dotted references `components.<submodule or dunder>` (`components.stack.loader` in a
  `monkeypatch.setattr` string, `components.__version__`, `components._version.__version__` in
  pyproject.toml), only where `<submodule>` is a module of the folder: prose such as "the
  components." and paths such as `components/stack/` stay as they are;
- `IMPORT_NAME` in setup.py.
CHANGELOG.md keeps its history as written. `--check` changes nothing and exits 1 when a file
would change (what tests/test_package.py runs).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = "components"
NEW = "accessweaver_components"
# .json: the generated stack-file schemas quote the models' module (`components.stack.model`).
SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".sh", ".in", ".json"}
KEEP = {"CHANGELOG.md", "scripts/rename_import.py"}
DUNDERS = ("__version__", "__path__", "__name__", "__file__", "__all__")


def _names() -> list[str]:
    """The submodules of the folder (what may follow `components.`), longest first."""
    found = {p.stem for p in (ROOT / FOLDER).glob("*.py") if p.stem != "__init__"}
    found |= {p.parent.name for p in (ROOT / FOLDER).glob("*/__init__.py")}
    return sorted(found | set(DUNDERS), key=len, reverse=True)


def _patterns() -> list[tuple[re.Pattern[str], str]]:
    names = "|".join(re.escape(n) for n in _names())
    return [
        # `from components import x`, `from components.compute.cluster import x`
        (re.compile(rf"(?m)^(\s*)from {FOLDER}(?=(?:\.\w+)* import )"), rf"\1from {NEW}"),
        # `import components`, `import components.stack.program as p`
        (
            re.compile(rf"(?m)^(\s*)import {FOLDER}(?=(?:\.\w+)*\s*(?:$|,|;| as ))"),
            rf"\1import {NEW}",
        ),
        # `import x, components.y` and one-line probes: `...; import components.compute as m`
        (re.compile(rf"(?<=; import ){FOLDER}(?=\.)"), NEW),
        # dotted references to a module of the folder
        (re.compile(rf"(?<![\w./-]){FOLDER}\.(?=(?:{names})\b)"), f"{NEW}."),
    ]


def rewrite(text: str, patterns: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    return text


def files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.splitlines()  # fmt: skip
    return [
        ROOT / name
        for name in listed
        if Path(name).suffix in SUFFIXES and name not in KEEP and (ROOT / name).is_file()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    args = parser.parse_args(argv)
    patterns = _patterns()
    changed = []
    for path in files():
        text = path.read_text()
        new = rewrite(text, patterns)
        if path.relative_to(ROOT).as_posix() == "setup.py":
            new = re.sub(r'(?m)^IMPORT_NAME = "\w+"', f'IMPORT_NAME = "{NEW}"', new)
        if new != text:
            changed.append(path.relative_to(ROOT).as_posix())
            if not args.check:
                path.write_text(new)
    for name in changed:
        print(("would rewrite " if args.check else "rewrote ") + name)
    if changed and not args.check:
        _tidy([name for name in changed if name.endswith(".py")])
    return 1 if args.check and changed else 0


def _tidy(python_files: list[str]) -> None:
    """The longer name moves imports past the line length and out of their sorted place: ruff
    (the checkout's venv's) sorts them again and wraps the long ones, as `ruff format` would."""
    ruff = ROOT / ".venv" / "bin" / "ruff"
    command = [str(ruff)] if ruff.exists() else [sys.executable, "-m", "ruff"]
    if python_files:
        subprocess.run([*command, "check", "--fix", "--select", "I001", "--quiet", *python_files],
                       cwd=ROOT, check=False)  # fmt: skip
        subprocess.run([*command, "format", "--quiet", *python_files], cwd=ROOT, check=True)


if __name__ == "__main__":
    sys.exit(main())
