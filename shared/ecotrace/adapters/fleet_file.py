"""Reads the runner fleet file named by ``ECOTRACE_RUNNER_FLEET``: JSON text, a path to a JSON file inside the
deployed function, or ``ecotrace:fleets/<name>.json`` for a file shipped in the package (the documented example
``ecotrace:fleets/pytorch-scale-config.json``). Validation is the domain's (:class:`ecotrace.domain.carbon.Fleet`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pydantic

from ..domain.carbon import Fleet

FLEET_ENV = "ECOTRACE_RUNNER_FLEET"
SHIPPED_PREFIX = "ecotrace:"
MAX_FLEET_BYTES = 1_000_000


def _text(value: str) -> str:
    if value.lstrip().startswith("{"):
        return value
    if value.startswith(SHIPPED_PREFIX):
        name = value[len(SHIPPED_PREFIX) :]
        if not name.startswith("fleets/") or ".." in name:
            raise ValueError(f"{FLEET_ENV}: shipped fleets are ecotrace:fleets/<name>.json, got {value!r}")
        try:
            return resources.files("ecotrace").joinpath("data", name).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ValueError(f"{FLEET_ENV}: no shipped fleet {name!r}") from exc
    path = Path(value)
    try:
        if path.stat().st_size > MAX_FLEET_BYTES:
            raise ValueError(f"{FLEET_ENV}: {value!r} is over {MAX_FLEET_BYTES} bytes")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{FLEET_ENV}: cannot read {value!r}: {exc}") from exc


def load_fleet(value: str | None) -> Fleet | None:
    """The fleet the variable names, or None when it is unset. ValueError names the variable and the problem."""
    if value is None or not value.strip():
        return None
    text = _text(value.strip())
    try:
        return Fleet.from_json(text)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "fleet"
        raise ValueError(f"{FLEET_ENV}: {where}: {first['msg']} ({exc.error_count()} problem(s))") from exc
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{FLEET_ENV}: not valid JSON: {exc}") from exc
