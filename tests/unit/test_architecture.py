"""The shape of ``shared/``: no import cycles, imports that point one way between layers, modules of a
readable size. Built from the source with ``ast``, so imports inside functions and under ``TYPE_CHECKING``
count too (a cycle hidden behind a function-level import is still a cycle in the design)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
PACKAGES = ("ecotrace", "ecotrace_local")
MAX_LINES = 420  # "a module that passes ~400 lines is a sign to split it"

# Layers, lowest first: a module may import its own layer and the layers before it, never one after it.
LAYERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ecotrace": (
        ("ecotrace.errors", "ecotrace.clock"),
        ("ecotrace.domain",),
        ("ecotrace.ports", "ecotrace.resilience", "ecotrace.settings", "ecotrace.tables"),
        ("ecotrace.adapters",),
        ("ecotrace.services",),
        ("ecotrace.entrypoints",),
    ),
    "ecotrace_local": (
        ("ecotrace_local.errors", "ecotrace_local.events"),
        ("ecotrace_local.storage",),
        ("ecotrace_local.runtime",),
        ("ecotrace_local.http",),
        ("ecotrace_local.stack", "ecotrace_local.testing", "ecotrace_local.__main__"),  # composition roots
    ),
}


def _modules(package: str) -> dict[str, Path]:
    root = SHARED / package
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(SHARED).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


ALL_MODULES: dict[str, Path] = {name: path for package in PACKAGES for name, path in _modules(package).items()}


def _is_package(module: str) -> bool:
    return ALL_MODULES[module].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> Iterator[str]:
    if node.level:
        base = module.split(".") if _is_package(module) else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        if sub in ALL_MODULES:
            yield sub
        elif target in ALL_MODULES:
            yield target


def imports_of(module: str) -> set[str]:
    """Modules of ``shared/`` that ``module`` imports anywhere in its source."""
    tree = ast.parse(ALL_MODULES[module].read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in ALL_MODULES:
                    name = name.rpartition(".")[0]
                if name:
                    out.add(name)
        elif isinstance(node, ast.ImportFrom):
            out.update(_resolve(module, node))
    out.discard(module)
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first == last), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def layer_of(package: str, module: str) -> int | None:
    for index, prefixes in enumerate(LAYERS[package]):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def test_the_cycle_finder_finds_a_cycle_through_three_modules() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(package: str) -> None:
    graph = {m: {i for i in imports_of(m) if i.split(".")[0] == package} for m in ALL_MODULES if m.startswith(package)}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_down_the_layers(package: str) -> None:
    upward: list[str] = []
    for module in (m for m in ALL_MODULES if m.split(".")[0] == package):
        own = layer_of(package, module)
        if own is None:
            continue
        for imported in imports_of(module):
            theirs = layer_of(package, imported)
            if theirs is not None and theirs > own:
                upward.append(f"{module} -> {imported}")
    assert upward == [], "imports pointing up a layer:\n" + "\n".join(sorted(upward))


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_belongs_to_a_layer(package: str) -> None:
    loose = [m for m in ALL_MODULES if m.split(".")[0] == package and m != package and layer_of(package, m) is None]
    assert loose == [], f"modules outside the layers of {package}: {loose}"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_too_long(package: str) -> None:
    long = {
        m: n
        for m, path in ALL_MODULES.items()
        if m.split(".")[0] == package and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines (split them): {long}"
