"""The method's coefficients and runner profiles, as data (``ecotrace/data/methodology.json``).

Every coefficient carries a value, the values used for the low and the high carbon bound, a unit, a source
and a note. The file ships inside the package and is parsed once per process (:func:`default_methodology`);
reading a file that is part of the package is the only I/O here, as with importing a module.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Case = Literal["low", "central", "high"]
CASES: tuple[Case, Case, Case] = ("low", "central", "high")


class Coefficient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float = Field(ge=0)
    low: float = Field(ge=0)  # the value that gives the LOW carbon bound (for a divisor: the larger one)
    high: float = Field(ge=0)  # the value that gives the HIGH carbon bound
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    note: str = Field(min_length=1)

    def at(self, case: Case) -> float:
        if case == "central":
            return self.value
        return self.low if case == "low" else self.high


class RunnerProfileSpec(BaseModel):
    """A GitHub-hosted runner size, matched by label."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    hosting: Literal["github", "self_hosted"]
    os: str
    arch: Literal["x64", "arm64"]
    visibility: Literal["public", "private", "any"]
    labels: tuple[str, ...]
    vcpu: float = Field(gt=0)
    memory_gb: float = Field(ge=0)
    cpu: str
    gpus: int = Field(default=0, ge=0)
    gpu: str | None = None
    pue: str
    source: str


class LargerRunners(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    vcpu_sizes: tuple[int, ...]
    x64_memory_gb_per_vcpu: float
    arm64_memory_gb: dict[str, float]
    source: str
    note: str


class SelfHostedDefault(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    vcpu: float = Field(gt=0)
    memory_gb: float = Field(ge=0)
    cpu: str
    pue: str
    source: str


Triple = tuple[float, float, float]  # (low bound, central, high bound)


class UnknownSize(BaseModel):
    """A machine the payload and the operator do not describe: a range wide enough to hold the plausible ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vcpu: Triple
    memory_gb: Triple
    cpu: str
    pue: str
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> UnknownSize:
        for name in ("vcpu", "memory_gb"):
            low, central, high = getattr(self, name)
            if not 0 < low <= central <= high:
                raise ValueError(f"unknown machine {name} must be 0 < low <= central <= high")
        return self


class UnknownGpu(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    gpus: tuple[int, int, int]
    gpu: str
    source: str


class UnknownMachines(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    self_hosted: UnknownSize
    larger_runner: UnknownSize
    gpu: UnknownGpu


class Methodology(BaseModel):
    """One version of the method: what every result stores as ``methodology_version``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d{1,3}$", max_length=16)
    published: str
    title: str
    conventions: dict[str, str]
    coefficients: dict[str, Coefficient]
    runner_profiles: tuple[RunnerProfileSpec, ...]
    larger_runners: LargerRunners
    self_hosted_default: SelfHostedDefault
    unknown_machines: UnknownMachines

    @model_validator(mode="after")
    def _references_resolve(self) -> Methodology:
        cpus = {key.split(".")[1] for key in self.coefficients if key.startswith("cpu.") and key.count(".") == 2}
        refs = [(p.cpu, p.pue) for p in self.runner_profiles]
        refs.append((self.self_hosted_default.cpu, self.self_hosted_default.pue))
        refs += [(u.cpu, u.pue) for u in (self.unknown_machines.self_hosted, self.unknown_machines.larger_runner)]
        for cpu, pue in refs:
            if cpu not in cpus:
                raise ValueError(f"runner profile names unknown cpu {cpu!r}")
            if pue not in self.coefficients:
                raise ValueError(f"runner profile names unknown pue {pue!r}")
        for profile in self.runner_profiles:
            if profile.gpus and (profile.gpu is None or profile.gpu not in self.coefficients):
                raise ValueError(f"runner profile {profile.id} names no known gpu coefficient")
        if self.unknown_machines.gpu.gpu not in self.coefficients:
            raise ValueError("unknown_machines.gpu names no known gpu coefficient")
        for cpu in cpus - {"tdp"}:
            if f"cpu.{cpu}.included_memory_gb_per_vcpu" not in self.coefficients:
                raise ValueError(f"cpu {cpu!r} has no included_memory_gb_per_vcpu (memory inside its watts)")
        return self

    def c(self, key: str) -> Coefficient:
        try:
            return self.coefficients[key]
        except KeyError:
            raise KeyError(f"methodology {self.version} has no coefficient {key!r}") from None

    def v(self, key: str, case: Case = "central") -> float:
        return self.c(key).at(case)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Methodology:
        return cls.model_validate(data)


@cache
def default_methodology() -> Methodology:
    """The shipped method, parsed once per process."""
    text = resources.files("ecotrace").joinpath("data/methodology.json").read_text(encoding="utf-8")
    return Methodology.from_json(json.loads(text))


METHODOLOGY_VERSION = "2026.12.2"  # must equal methodology.json's "version" (a unit test checks)
