"""The functions of appwrite.json (``functions[]``) and where their code is found locally."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FunctionSpec:
    id: str
    name: str
    runtime: str
    entrypoint: str
    path: str
    timeout_s: int = 15
    execute: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    schedule: str = ""
    scopes: tuple[str, ...] = ()
    enabled: bool = True
    logging: bool = True
    commands: str = ""
    specification: str = ""

    @classmethod
    def from_appwrite_json(cls, data: Mapping[str, Any]) -> FunctionSpec:
        function_id = str(data["$id"])
        return cls(
            id=function_id,
            name=str(data.get("name") or function_id),
            runtime=str(data.get("runtime", "python-3.12")),
            entrypoint=str(data.get("entrypoint", "src/main.py")),
            path=str(data.get("path") or f"functions/{function_id}"),
            timeout_s=max(1, int(data.get("timeout", 15))),
            execute=tuple(str(r) for r in data.get("execute", [])),
            events=tuple(str(e) for e in data.get("events", [])),
            schedule=str(data.get("schedule") or ""),
            scopes=tuple(str(s) for s in data.get("scopes", [])),
            enabled=bool(data.get("enabled", True)),
            logging=bool(data.get("logging", True)),
            commands=str(data.get("commands") or ""),
            specification=str(data.get("specification") or ""),
        )


def load_specs(appwrite_json: Mapping[str, Any]) -> dict[str, FunctionSpec]:
    specs = [FunctionSpec.from_appwrite_json(f) for f in appwrite_json.get("functions", [])]
    return {spec.id: spec for spec in specs}


def source_dir(root: Path, spec: FunctionSpec) -> Path:
    """The folder to import from. appwrite.json points at the built ``dist/functions/<id>``; locally the source
    folder ``functions/<id>`` is preferred (edits apply without a build) and used whenever it exists."""
    declared = root / spec.path
    parts = Path(spec.path).parts
    if len(parts) >= 3 and parts[0] == "dist" and parts[1] == "functions":
        source = root.joinpath(*parts[1:])
        if source.is_dir():
            return source
    return declared
