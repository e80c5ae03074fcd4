"""The components are a product: a wheel and an sdist that build and pass `twine check`, under an
import name of their own, with a LICENSE, the CHANGELOG, one version and runtime dependencies
only; other projects import them from the wheel alone."""

from __future__ import annotations

import ast
import email
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE_FILES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "LICENSE",
    "MANIFEST.in",
    "CHANGELOG.md",
)
TEST_TOOLS = {
    "pytest", "pytest-xdist", "hypothesis", "ruff", "moto", "zizmor", "check-jsonschema",
    "jsonschema", "parliament", "pg8000", "twine", "botocore-stubs",
}  # fmt: skip


def _setup_constant(name: str) -> str:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"setup.py sets no {name}")


IMPORT_NAME = _setup_constant("IMPORT_NAME")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(wheel, sdist) built from a copy of the package's files, as `python -m build` would."""
    tmp = tmp_path_factory.mktemp("package")
    source = tmp / "source"
    source.mkdir()
    for name in PACKAGE_FILES:
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "components", source / "components",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    build = (
        "from setuptools import build_meta as b; "
        f"b.build_sdist({str(tmp)!r}); b.build_wheel({str(tmp)!r})"
    )
    subprocess.run([sys.executable, "-c", build], check=True, capture_output=True, cwd=source)
    (wheel,) = tmp.glob("accessweaver_components-*.whl")
    (sdist,) = tmp.glob("accessweaver_components-*.tar.gz")
    return wheel, sdist


def test_the_wheel_and_the_sdist_pass_twine_check(built):
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, built)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_the_wheel_installs_one_top_level_package_of_its_own_name(built):
    wheel, _ = built
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    # Never `components`: the folder name of many Pulumi projects (issue 21).
    assert top_level == {IMPORT_NAME} and "components" not in top_level
    # every module of the components' folder, under the import name, and nothing else
    modules = {
        f"{IMPORT_NAME}/{path.relative_to(ROOT / 'components')}"
        for path in (ROOT / "components").rglob("*.py")
    }
    assert modules <= set(names)
    assert f"{IMPORT_NAME}/py.typed" in names


def test_the_wheel_carries_the_license_one_version_and_runtime_dependencies_only(built):
    from accessweaver_components import __version__

    wheel, _ = built
    archive = zipfile.ZipFile(wheel)
    metadata = email.message_from_bytes(
        archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA")))
    )
    assert metadata["Version"] == __version__
    assert wheel.name.startswith(f"accessweaver_components-{__version__}-")
    assert metadata["License-Expression"] == "Apache-2.0"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())
    requires = metadata.get_all("Requires-Dist")
    runtime = {r.split(";")[0].split("<")[0].split(">")[0].strip().lower() for r in requires
               if "extra ==" not in r}  # fmt: skip
    assert {"pulumi", "pulumi-aws", "pydantic"} <= runtime
    assert runtime & TEST_TOOLS == set()


def test_the_sdist_holds_the_license_and_the_changelog(built):
    _, sdist = built
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "setup.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "tools/", "policy/", ".github/"))]


def test_the_license_is_apache_2_0_in_full():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX" in text


def test_a_python_that_sees_only_the_wheel_imports_the_components(built, tmp_path):
    wheel, _ = built
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)  # what pip installs of a pure-Python wheel
    probe = (
        f"import sys; sys.path.insert(0, {str(target)!r}); "
        f"import {IMPORT_NAME}.compute.microservice as m, {IMPORT_NAME}.stack.program; "
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


def _python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def _folder_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        found += [n for n in names if n == "components" or n.startswith("components.")]
    return found


def test_nothing_in_the_checkout_imports_the_folder_name():
    # One import name per process: `components` beside it would load every module twice.
    folder = "components"
    assert _folder_imports(f"import {folder}.stack\nfrom {folder} import errors\n") == [
        f"{folder}.stack",
        folder,
    ]
    found = {
        str(path.relative_to(ROOT)): hits
        for path in _python_files()
        if (hits := _folder_imports(path.read_text()))
    }
    assert found == {}
    # and the rename script finds nothing left to rewrite (re-run it after a rebase)
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "rename_import.py"), "--check"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout
