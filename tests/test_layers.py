"""The package's one direction: flows -> warehouse -> (transform, extract), and nothing imports flows.

Every import statement counts, at module level or inside a function, so a lazy import cannot hide
a cycle. `ketamine_evidence.errors` (the shared error bases) sits below every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = "ketamine_evidence"
LAYERS = ("flows", "warehouse", "transform", "extract")
ALLOWED = {
    "flows": {"flows", "warehouse", "transform", "extract"},
    "warehouse": {"warehouse", "transform", "extract"},
    "transform": {"transform"},
    "extract": {"extract"},
}
SHARED = {f"{PACKAGE}.errors"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: relative import; import from {PACKAGE} instead")
            found.append((node.lineno, node.module or ""))
    return found


def layer_of(module: str) -> str | None:
    """The layer an imported module belongs to; old top-level names count as their layer too."""
    parts = module.split(".")
    if parts[0] == PACKAGE and len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    return parts[0] if parts[0] in LAYERS else None


def violations(layer: str, files: list[Path]) -> list[str]:
    bad = []
    for path in files:
        for line, module in imported_modules(path):
            target = layer_of(module)
            if module.split(".")[0] in LAYERS:
                bad.append(f"{path.relative_to(ROOT)}:{line}: `{module}` must be imported as {PACKAGE}.{module}")
            elif target is not None and target not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {layer} imports {module}")
            elif module.startswith(f"{PACKAGE}.") and target is None and module not in SHARED:
                bad.append(f"{path.relative_to(ROOT)}:{line}: unknown module {module}")
    return bad


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_what_it_may(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no Python files under {layer}/"
    assert violations(layer, files) == []


def test_the_shared_error_module_imports_no_layer() -> None:
    modules = [m for _, m in imported_modules(ROOT / PACKAGE / "errors.py")]
    assert [m for m in modules if layer_of(m) is not None] == []


def test_the_checker_catches_a_lazy_upward_import(tmp_path: Path) -> None:
    """A rule that cannot fail is no rule: an import inside a function is found and refused."""
    module = ROOT / "transform" / "_probe_for_layer_test.py"
    module.write_text("def f():\n    from ketamine_evidence.warehouse import db\n    return db\n", encoding="utf-8")
    try:
        assert violations("transform", [module]) == [
            "transform/_probe_for_layer_test.py:2: transform imports ketamine_evidence.warehouse"
        ]
    finally:
        module.unlink()


def test_package_links_point_at_the_layer_folders() -> None:
    """The installed package's subpackages are the top-level folders (symlinks), not copies."""
    for layer in LAYERS:
        link = ROOT / PACKAGE / layer
        assert link.is_symlink() and link.resolve() == (ROOT / layer).resolve(), link
    assert (ROOT / PACKAGE / "sample").resolve() == (ROOT / "examples" / "snapshot").resolve()
