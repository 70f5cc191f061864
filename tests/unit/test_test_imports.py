"""One import style in tests/: helpers are imported as packages from the repository root (``tests.fakes.x``,
``tests.unit.webhook.wh_helpers``, ``scripts.benchmarks_md``; pyproject sets ``pythonpath = ["."]``), never by a
bare module name that only resolves because pytest or a ``sys.path`` edit put the helper's folder on the path."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_FILES = sorted((ROOT / "tests").rglob("*.py"))
# Module names that would only import by their folder being on sys.path: every file of tests/ and scripts/.
BARE_NAMES = {path.stem for path in TEST_FILES} | {path.stem for path in (ROOT / "scripts").glob("*.py")}


def _bare_imports(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.extend(f"line {node.lineno}: {name}" for name in names if name.split(".")[0] in BARE_NAMES)
    return found


def _path_edits(tree: ast.AST) -> list[str]:
    return [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "path"
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    ]


def test_the_checks_see_a_bare_helper_import_and_a_path_edit() -> None:
    tree = ast.parse("import sys\nsys.path.insert(0, 'x')\nfrom wh_helpers import SECRET\nfrom tests.fakes import x\n")
    assert _bare_imports(tree) == ["line 3: wh_helpers"]
    assert _path_edits(tree) == ["line 2"]


def test_tests_import_helpers_as_packages_and_never_edit_sys_path() -> None:
    problems = {}
    for path in TEST_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if found := _bare_imports(tree) + [f"{line}: sys.path" for line in _path_edits(tree)]:
            problems[str(path.relative_to(ROOT))] = found
    assert problems == {}, "import helpers as tests.<path>.<module> (or scripts.<module>):\n" + "\n".join(
        f"{name}: {', '.join(found)}" for name, found in sorted(problems.items())
    )
