"""The command line of a generated file: print it, `--write` it, or `--check` it is current.

`tools.config_reference` and `tools.policy_reference` each render one committed Markdown file
from the code; this is what they share (tests run `--check`, a stale file names the command
that regenerates it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path


def shown(path: Path, root: Path) -> str:
    """`path` relative to `root` when it is below it (how messages name a file)."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def generated_file_main(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str | None,
    output: Path,
    root: Path,
    render: Callable[[], str],
) -> int:
    """Exit 0 after printing or writing `render()`; with `--check`, 1 when `output` differs."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    shown_path = shown(output, root)
    if args.write:
        output.write_text(text)
        print(f"wrote {shown_path} ({text.count(chr(10))} lines)")
        return 0
    if args.check:
        if not output.exists() or output.read_text() != text:
            print(f"{shown_path} is stale: run `python -m {prog} --write`")
            return 1
        print(f"{shown_path} is current")
        return 0
    print(text, end="")
    return 0
