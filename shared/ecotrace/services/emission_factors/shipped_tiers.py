"""The shipped tiers of the hierarchy, best first: cloud-region factors, US EPA eGRID subregions (US states by
their dominant subregion), annual zone and country averages, and the world average. Offline and never failing:
every region gets an answer, with the reason it was chosen."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ...adapters.shipped_factors import ShippedFactor, ShippedFactors
from ...clock import Clock
from ...domain.models import Confidence, EmissionFactor
from ...domain.regions import Region, RegionKind
from .sources import FactorSource, join_reasons

OLD_DATA_YEARS = 4  # an annual value older than this is low confidence

# (zone, source, shipped factor, confidence, why this one)
Candidate = tuple[str, FactorSource, ShippedFactor, Confidence, str]


class ShippedTiers:
    def __init__(self, shipped: ShippedFactors, clock: Clock) -> None:
        self.shipped = shipped
        self._clock = clock

    def resolve(self, region: Region, notes: list[str]) -> EmissionFactor:
        """The best shipped factor for ``region``; ``notes`` (reasons gathered so far) end its reason."""
        for zone_name, source, factor, confidence, why in self._candidates(region, notes):
            return self._answer(region, zone_name, source, factor, confidence, why, notes)
        world = self.shipped.world()
        why = "world average: no regional data" if region.known else "world average: region not recognised"
        if region.kind is RegionKind.WORLD:
            why = "world average, as asked"
        return self._answer(region, "WORLD", FactorSource.WORLD_AVERAGE, world, Confidence.LOW, why, notes)

    def _candidates(self, region: Region, notes: list[str]) -> Iterable[Candidate]:
        shipped = self.shipped
        kind = region.kind
        if kind is RegionKind.CLOUD:
            info = shipped.cloud_region(region.key)
            if info is not None and info.factor is not None:
                yield (
                    region.key,
                    FactorSource.CLOUD_REGION,
                    info.factor,
                    Confidence.MEDIUM,
                    f"annual grid factor for the grid of {info.provider} region {info.name}",
                )
                return
            notes.append(f"no usable cloud-region factor for {region.key}; using its location")
            if info is None or not info.location:
                return
            location = info.location
            if location.startswith("US-") and shipped.us_state(location[3:]) is not None:
                yield from self._state_candidates(location[3:], via=f"{region.key} is in {location}")
            elif location in shipped.catalogue.zones and "-" in location:
                yield from self._zone_candidates(location, via=f"{region.key} is in {location}")
            if info.country:
                yield from self._country_candidates(info.country, fallback=True)
            return
        if kind is RegionKind.EGRID:
            subregion = region.key.split(":", 1)[1]
            factor = shipped.egrid(subregion)
            if factor is not None:
                yield (
                    subregion,
                    FactorSource.EGRID,
                    factor,
                    Confidence.MEDIUM,
                    f"eGRID annual output rate of subregion {subregion}",
                )
            yield from self._country_candidates("US", fallback=True)
            return
        if kind is RegionKind.US_STATE:
            yield from self._state_candidates(region.key[3:], via="")
            yield from self._country_candidates("US", fallback=True)
            return
        if kind is RegionKind.CA_PROVINCE:
            zone = shipped.ca_province_zone(region.key[3:])
            if zone:
                yield from self._zone_candidates(zone, via="")
            yield from self._country_candidates("CA", fallback=True)
            return
        if kind is RegionKind.ZONE:
            if "-" in region.key:
                yield from self._zone_candidates(region.key, via="")
                if region.country:
                    yield from self._country_candidates(region.country, fallback=True)
            else:
                yield from self._country_candidates(region.key, fallback=False)
            return
        if kind is RegionKind.COUNTRY:
            yield from self._country_candidates(region.key, fallback=bool(region.reason))
            return
        if kind is RegionKind.COORDINATES and region.country:
            notes.append("a point cannot be resolved offline; using its country's average")
            yield from self._country_candidates(region.country, fallback=True)

    def _state_candidates(self, code: str, *, via: str) -> Iterable[Candidate]:
        state = self.shipped.us_state(code)
        if state is None:
            return
        factor = self.shipped.egrid(state.egrid)
        if factor is not None:
            prefix = f"{via}; " if via else ""
            if state.split:
                yield (
                    state.egrid,
                    FactorSource.EGRID,
                    factor,
                    Confidence.LOW,
                    f"{prefix}{state.name} is split between eGRID subregions; its dominant one, {state.egrid}, is used",
                )
            else:
                yield (
                    state.egrid,
                    FactorSource.EGRID,
                    factor,
                    Confidence.MEDIUM,
                    f"{prefix}eGRID annual output rate of {state.egrid}, the subregion serving {state.name}",
                )

    def _zone_candidates(self, zone: str, *, via: str) -> Iterable[Candidate]:
        factor = self.shipped.zone(zone)
        if factor is not None:
            prefix = f"{via}; " if via else ""
            yield (
                zone,
                FactorSource.ZONE_ANNUAL,
                factor,
                Confidence.MEDIUM,
                f"{prefix}annual average of zone {zone} ({factor.name})",
            )

    def _country_candidates(self, code: str, *, fallback: bool) -> Iterable[Candidate]:
        factor = self.shipped.country(code)
        if factor is None:
            return
        source = FactorSource.ZONE_ANNUAL if factor.source == "electricity_maps_yearly" else FactorSource.COUNTRY_ANNUAL
        if fallback:
            yield (
                code,
                source,
                factor,
                Confidence.LOW,
                f"national annual average of {code}: no finer data for the region",
            )
        else:
            yield code, source, factor, Confidence.MEDIUM, f"national annual average of {code}"

    def _answer(
        self,
        region: Region,
        zone: str,
        source: FactorSource,
        factor: ShippedFactor,
        confidence: Confidence,
        why: str,
        notes: Sequence[str],
    ) -> EmissionFactor:
        now = self._clock()
        if factor.year is not None and now.year - factor.year > OLD_DATA_YEARS and confidence is not Confidence.LOW:
            confidence = Confidence.LOW
            why += f"; data year {factor.year} is old"
        return EmissionFactor(
            region=region.key,
            zone=zone,
            g_co2e_per_kwh=factor.g_co2e_per_kwh,
            renewable_percentage=factor.renewable_percentage,
            source=source,
            source_detail=factor.source_detail,
            year=factor.year,
            fetched_at=now,
            confidence=confidence,
            confidence_reason=join_reasons([why, *notes]),
        )
