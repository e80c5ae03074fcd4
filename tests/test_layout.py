"""The folders are the architecture: a lower layer never imports a higher one, and no module
imports itself back through others (no import cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import accessweaver_components
from tests.conftest import ROOT

PACKAGE = accessweaver_components.__name__
"""The components' import name (setup.py maps it onto the `components/` folder)."""

# Bottom to top. A package may import its own modules, the core and every package of a lower
# layer; packages of one layer do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "accessweaver_components.errors",
        "accessweaver_components.naming",
        "accessweaver_components.formats",
        "accessweaver_components.controls",
        "accessweaver_components.bindings",
        "accessweaver_components.iam_path",
        "accessweaver_components._version",
        "accessweaver_components.service_trust",
    ),
    (PACKAGE, "accessweaver_components.log_archive", "accessweaver_components.secure_queue"),
    ("accessweaver_components.network",),
    (
        "accessweaver_components.compute",
        "accessweaver_components.data",
        "accessweaver_components.observability",
        "accessweaver_components.resilience",
    ),
    ("accessweaver_components.edge",),
    ("accessweaver_components.identity",),
    ("accessweaver_components.cost",),
    ("accessweaver_components.stack",),
    ("accessweaver_components.interop", "accessweaver_components.bootstrap"),
)
CORE = LAYERS[0]


def _module(path: Path, root: Path = ROOT) -> str:
    folder, *parts = path.relative_to(root).with_suffix("").parts
    assert folder == "components", path
    return ".".join([PACKAGE, *(parts[:-1] if parts and parts[-1] == "__init__" else parts)])


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in ast.walk(node):
                if hasattr(child, "lineno"):
                    lines.add(child.lineno)
    return lines


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Modules of this repository `path` imports at run time (typing-only imports excluded)."""
    tree = ast.parse(path.read_text())
    module = _module(path, root)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    skipped = _type_checking_lines(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
    return {name for name in found if name == PACKAGE or name.startswith(f"{PACKAGE}.")}


def graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in (ROOT / "components").rglob("*.py")}
    return {
        name: {target for target in imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def layer_of(module: str) -> tuple[int, str]:
    for index, layer in enumerate(LAYERS):
        for package in layer:
            # the package itself is only its __init__; every other entry is a package.
            if module == package or (package != PACKAGE and module.startswith(f"{package}.")):
                return index, package
    raise AssertionError(f"{module} is in no layer of tests/test_layout.py")


def test_every_import_goes_down_the_layers_or_stays_in_its_package():
    wrong = []
    for module, targets in graph().items():
        level, package = layer_of(module)
        for target in targets:
            target_level, target_package = layer_of(target)
            same = target_package == package or target_package in CORE
            if target_level > level or (target_level == level and not same):
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_no_module_imports_itself_back():
    edges = graph()
    cycles = []

    def visit(node: str, path: list[str], seen: set[str]) -> None:
        for target in edges[node]:
            if target == path[0]:
                cycles.append(" -> ".join([*path, target]))
            elif target not in seen:
                seen.add(target)
                visit(target, [*path, target], seen)

    for start in edges:
        visit(start, [start], {start})
    assert cycles == []


def test_the_checker_sees_an_upward_import(tmp_path):
    # GIVEN a network module that imports the stack layer
    broken = tmp_path / "components" / "network" / "bad.py"
    broken.parent.mkdir(parents=True)
    broken.write_text("from ..stack.settings import StackSettings\n")
    # THEN its import is read, and it points up the layers
    assert "accessweaver_components.stack.settings" in imports(broken, tmp_path)
    assert (
        layer_of("accessweaver_components.stack.settings")[0]
        > layer_of("accessweaver_components.network.bad")[0]
    )
