""".env.example lists every environment variable the product, the local stack and the scripts read, and copying
it to .env changes nothing (every line is a commented-out default)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"^(ECOTRACE|APPWRITE|GITHUB|ELECTRICITY_MAPS|AWS|LEADERBOARD|RATE_LIMIT)_[A-Z0-9_]+$")
LISTED = re.compile(r"^#\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def names_in_source() -> dict[str, str]:
    """Variable-shaped string literals in shared/, scripts/ and functions/, with one file that uses each."""
    found: dict[str, str] = {}
    for folder in ("shared", "scripts", "functions"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.match(node.value):
                    found.setdefault(node.value, str(path.relative_to(ROOT)))
    return found


def test_every_variable_the_code_reads_is_listed() -> None:
    listed = set(LISTED.findall(EXAMPLE))
    missing = {name: where for name, where in names_in_source().items() if name not in listed}
    assert missing == {}, f"add these to .env.example (name: a file that reads it): {missing}"


def test_the_design_variables_are_listed() -> None:
    listed = set(LISTED.findall(EXAMPLE))
    assert {"APPWRITE_DATABASE_ID", "GITHUB_WEBHOOK_SECRET", "ELECTRICITY_MAPS_API_KEY"} <= listed


def test_copying_it_to_dot_env_sets_nothing() -> None:
    active = [line for line in EXAMPLE.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert active == []
