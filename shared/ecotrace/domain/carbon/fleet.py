"""A runner fleet file: the operator's description of their self-hosted (or custom) CI machines.

It maps runner label sets, runner-name patterns and runner groups to machines (vCPU, memory, CPU model, GPUs,
cloud, region, PUE). The first rule whose every given criterion matches a job wins. Pure: the text is parsed
here; reading it from a file or an environment variable is the caller's (``ecotrace.adapters.fleet_file``).

Example (JSON; see ``ecotrace/data/fleets/`` for a documented one)::

    {"name": "our fleet", "source": "our infrastructure repo",
     "machines": {"c5.2xlarge": {"vcpu": 8, "memory_gb": 16, "cpu": {"model": "Xeon Platinum 8124M",
                  "family": "skylake"}, "cloud": "aws", "region": "aws:us-east-1"}},
     "runners": [{"labels": ["linux.2xlarge"], "machine": "c5.2xlarge"}]}
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .hardware import cpu_tdp_w_per_core, gpu_tdp_w

# CPU families whose per-vCPU watts the method ships (cpu.<family>.* in methodology.json, all from CCF).
CpuFamily = Literal["azure_epyc_3rd_gen", "epyc_2nd_gen", "arm_neoverse_n1", "skylake", "cascade_lake", "unknown"]
CPU_FAMILIES: tuple[str, ...] = get_args(CpuFamily)
CLOUD_PUE = {"aws": "pue.aws", "azure": "pue.azure", "gcp": "pue.gcp"}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FleetCpu(_Strict):
    model: str = Field(min_length=1, max_length=100)
    # CCF micro-architecture: its SPECpower-derived watts are used; without one, the model's TDP per core is.
    family: CpuFamily | None = None
    tdp_w_per_core: float | None = Field(default=None, gt=0, le=1000, allow_inf_nan=False)

    @model_validator(mode="after")
    def _power_known(self) -> FleetCpu:
        if self.family is None and self.tdp_w_per_core is None and cpu_tdp_w_per_core(self.model) is None:
            raise ValueError(
                f"cpu model {self.model!r} is not in the Green Algorithms TDP table: give its family "
                f"({', '.join(CPU_FAMILIES)}) or tdp_w_per_core"
            )
        return self

    @property
    def tdp(self) -> float | None:
        return self.tdp_w_per_core if self.tdp_w_per_core is not None else cpu_tdp_w_per_core(self.model)


class FleetGpu(_Strict):
    model: str = Field(min_length=1, max_length=100)
    count: int = Field(default=1, ge=1, le=64)
    tdp_w: float | None = Field(default=None, gt=0, le=5000, allow_inf_nan=False)

    @property
    def watts(self) -> float | None:
        """TDP per GPU: the file's, else Green Algorithms' for the model, else None (unknown: a wide range)."""
        return self.tdp_w if self.tdp_w is not None else gpu_tdp_w(self.model)


class FleetMachine(_Strict):
    vcpu: float = Field(gt=0, le=1024, allow_inf_nan=False)
    memory_gb: float = Field(ge=0, le=65536, allow_inf_nan=False)
    cpu: FleetCpu
    gpu: FleetGpu | None = None
    cloud: Literal["aws", "azure", "gcp", "on_premises", "other"] = "other"
    region: str | None = Field(default=None, min_length=1, max_length=64)  # an emission-factor region key
    pue: float | None = Field(default=None, ge=1, le=5, allow_inf_nan=False)
    arch: Literal["x64", "arm64"] = "x64"
    source: str = Field(default="", max_length=500)

    @property
    def pue_key(self) -> str:
        return CLOUD_PUE.get(self.cloud, "pue.unknown")


class FleetRule(_Strict):
    machine: str = Field(min_length=1, max_length=100)
    labels: tuple[str, ...] = Field(default=(), max_length=20)  # all of them, case-insensitive
    runner_name: str | None = Field(default=None, min_length=1, max_length=255)  # a glob: "i-*"
    runner_group: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _has_a_criterion(self) -> FleetRule:
        if not (self.labels or self.runner_name or self.runner_group):
            raise ValueError(f"a runner rule for {self.machine!r} needs labels, runner_name or runner_group")
        return self

    def matches(self, labels: Sequence[str], runner_name: str | None, runner_group: str | None) -> bool:
        wanted = {label.strip().lower() for label in self.labels}
        if wanted and not wanted <= set(labels):
            return False
        if self.runner_name is not None and not (
            runner_name and fnmatch.fnmatchcase(runner_name.lower(), self.runner_name.lower())
        ):
            return False
        return self.runner_group is None or (runner_group or "").lower() == self.runner_group.lower()


class Fleet(_Strict):
    name: str = Field(min_length=1, max_length=100)
    source: str = Field(default="", max_length=1000)
    machines: dict[str, FleetMachine] = Field(min_length=1, max_length=500)
    runners: tuple[FleetRule, ...] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _rules_name_machines(self) -> Fleet:
        for rule in self.runners:
            if rule.machine not in self.machines:
                raise ValueError(f"runner rule names an unknown machine {rule.machine!r}")
        return self

    def match(
        self, labels: Sequence[str], runner_name: str | None, runner_group: str | None
    ) -> tuple[str, FleetMachine, FleetRule] | None:
        """The first rule that matches the job (labels already lower-cased), with its machine, or None."""
        for rule in self.runners:
            if rule.matches(labels, runner_name, runner_group):
                return rule.machine, self.machines[rule.machine], rule
        return None

    @classmethod
    def from_json(cls, text: str | bytes) -> Fleet:
        """Parse and validate a fleet file; ValueError (pydantic's, or a JSON error) names what is wrong."""
        data: Any = json.loads(text)
        return cls.model_validate(data)
