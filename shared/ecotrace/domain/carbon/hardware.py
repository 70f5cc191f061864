"""CPU and GPU thermal design power by model, from the Green Algorithms tables shipped in ``ecotrace/data``.

Green Algorithms (Lannelongue et al. 2021, CC BY 4.0) ``TDP_cpu.csv`` gives a CPU model's TDP per core and
``TDP_gpu.csv`` a GPU's TDP. The files are part of the package and parsed once per process, like the method's
own data file. Look-ups are exact on the model name after trimming and case folding.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources


def _table(name: str, column: str) -> dict[str, float]:
    text = resources.files("ecotrace").joinpath(f"data/green-algorithms/{name}").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[1]  # row 0 holds units ("index,in Watt,...")
    at = header.index(column)
    out: dict[str, float] = {}
    for row in rows[2:]:
        if len(row) > at and row[0].strip() and row[at].strip():
            out[row[0].strip().casefold()] = float(row[at])
    return out


@cache
def _cpu_table() -> dict[str, float]:
    return _table("TDP_cpu.csv", "TDP_per_core")


@cache
def _gpu_table() -> dict[str, float]:
    return _table("TDP_gpu.csv", "TDP_per_core")  # the TDP column is empty for "Any" (200 W)


def cpu_tdp_w_per_core(model: str) -> float | None:
    """TDP per core (W) of a CPU model in Green Algorithms' table, or None when it is not listed."""
    return _cpu_table().get(model.strip().casefold())


def gpu_tdp_w(model: str) -> float | None:
    """TDP (W) of a GPU model in Green Algorithms' table, or None when it is not listed."""
    return _gpu_table().get(model.strip().casefold())
