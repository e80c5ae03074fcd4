"""The components install as a Python package, and other projects import them that way."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_checkout_builds_a_wheel_of_the_components_that_imports_on_its_own(tmp_path):
    # GIVEN a copy of the checkout's package files (setuptools builds in the source tree)
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "components", source / "components",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    # WHEN pip builds its wheel (what `pip install <checkout>` installs)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(source)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("accessweaver_components-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # THEN it holds every module of the components and nothing of the tests or tools
    modules = {str(path.relative_to(ROOT)) for path in (ROOT / "components").rglob("*.py")}
    assert modules <= names
    assert not [n for n in names if n.startswith(("tests/", "tools/", "policy/"))]
    metadata = next(n for n in names if n.endswith("METADATA"))
    requires = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Dist: pulumi-aws" in requires and "Requires-Dist: pydantic" in requires
    # AND its version is the one components/_version.py writes (pyproject.toml has none)
    from components import __version__

    assert f"\nVersion: {__version__}\n" in requires
    assert wheel.name.startswith(f"accessweaver_components-{__version__}-")
    # AND a Python that sees only the wheel (isolated, no checkout on its path) imports them
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    probe = (
        f"import sys; sys.path.insert(0, {str(target)!r}); "
        "import components.compute.microservice as m, components.stack.program; "
        "print(m.__file__)"
    )
    shown = subprocess.run(
        [sys.executable, "-I", "-c", probe], check=True, capture_output=True, text=True,
        cwd=tmp_path,
    ).stdout  # fmt: skip
    assert Path(shown.strip()).is_relative_to(target)


def test_no_program_reaches_the_components_through_a_sys_path_edit():
    for main in (ROOT / "__main__.py", ROOT / "examples" / "ca-a2a" / "__main__.py"):
        assert "sys.path" not in main.read_text(), main
