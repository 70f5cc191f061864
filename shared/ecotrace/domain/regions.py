"""Region input: validate and normalise what callers send into one region key. Pure: no I/O.

Accepted forms (case-insensitive, surrounding spaces ignored):

- ISO 3166 countries, alpha-2 or alpha-3: ``"DE"``, ``"deu"`` -> ``DE``
- US states and Canadian provinces: ``"US-CA"``, ``"CA-ON"``, or the seed's request shape
  ``{"country": "US", "state_province": "CA"}`` -> ``US-CA``
- Electricity Maps zones: ``"US-CAL-CISO"``, ``"DK-DK1"``
- US EPA eGRID subregions: ``"CAMX"`` or ``"egrid:CAMX"`` -> ``egrid:CAMX``
- cloud regions: ``"aws:eu-west-1"``, ``"azure:eastus"`` (also ``"azure:East US"``), ``"gcp:europe-west1"``
- coordinates: ``{"lat": 52.5, "lon": 13.4}`` (optionally with ``"country"`` as the fallback) -> ``geo:52.50,13.40``
- ``"WORLD"`` for the world average

Anything else never raises: it becomes a :class:`Region` of kind ``unknown`` with a reason, and a fallback
(the country, when one can be read from the input, else the world).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

MAX_REGION_CHARS = 64
CLOUD_PROVIDERS = {"aws": "aws", "amazon": "aws", "azure": "azure", "microsoft": "azure", "gcp": "gcp", "google": "gcp"}
_CODE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
_CLOUD_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_ROW_ID_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$")
# ISO 3166 "exceptionally reserved" codes in common use for a country with another official code.
RESERVED_ALIASES = {"UK": "GB", "EL": "GR"}
# US territories: ISO 3166-2:US subdivisions that are also ISO 3166 countries with their own data.
US_TERRITORIES = frozenset({"AS", "GU", "MP", "PR", "UM", "VI"})


class RegionKind(StrEnum):
    COUNTRY = "country"
    US_STATE = "us_state"
    CA_PROVINCE = "ca_province"
    ZONE = "zone"  # an Electricity Maps zone (sub-national or a country)
    EGRID = "egrid_subregion"
    CLOUD = "cloud_region"
    COORDINATES = "coordinates"
    WORLD = "world"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RegionCatalogue:
    """The codes the shipped dataset knows; built by ``ecotrace.adapters.shipped_factors``."""

    countries: frozenset[str]  # alpha-2
    alpha3: Mapping[str, str]  # alpha-3 -> alpha-2
    zones: frozenset[str]  # Electricity Maps zone ids, upper case
    egrid_subregions: frozenset[str]
    us_states: frozenset[str]  # two-letter codes
    ca_provinces: frozenset[str]
    cloud_regions: frozenset[str]  # "aws:eu-west-1", "azure:eastus", "gcp:europe-west1"
    subdivision_names: Mapping[str, str] = field(default_factory=dict)  # "US:NEW YORK" -> "NY" (see name_key)


@dataclass(frozen=True)
class Region:
    key: str  # normalised key; "WORLD" for the world and for unknown input
    kind: RegionKind
    country: str | None = None  # alpha-2, when known
    lat: float | None = None
    lon: float | None = None
    reason: str = ""  # why the input was not taken as given (unknown, partly known ...): a fallback
    raw: str = field(default="", compare=False)
    note: str = field(default="", compare=False)  # how the input was read, when not literally (UK -> GB)

    @property
    def known(self) -> bool:
        return self.kind is not RegionKind.UNKNOWN


WORLD = Region(key="WORLD", kind=RegionKind.WORLD)


def _unknown(raw: str, reason: str, country: str | None = None) -> Region:
    if country:
        return Region(key=country, kind=RegionKind.COUNTRY, country=country, reason=reason, raw=raw)
    return Region(key="WORLD", kind=RegionKind.UNKNOWN, reason=reason, raw=raw)


def _short(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 40 else text[:37] + "..."


def name_key(country: str, name: str) -> str:
    """Lookup key of a state or province name: "US", "Québec" -> "US:QUEBEC" (accents, case, '_' ignored)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return f"{country}:{' '.join(plain.replace('_', ' ').upper().split())}"


def azure_region_name(name: str) -> str:
    """Azure's programmatic name: "East US 2" -> "eastus2" (notes in parentheses dropped)."""
    return "".join(ch for ch in name.split("(")[0].lower() if ch.isalnum())


def _cloud(raw: str, provider_text: str, name_text: str, cat: RegionCatalogue) -> Region:
    provider = CLOUD_PROVIDERS.get(provider_text.strip().lower())
    if provider is None:
        return _unknown(raw, f"unknown cloud provider {_short(provider_text)!r}: use aws, azure or gcp")
    name = azure_region_name(name_text) if provider == "azure" else name_text.strip().lower()
    if not name or not _CLOUD_NAME.match(name):
        return _unknown(raw, f"{provider} region name {_short(name_text)!r} is not a valid region name")
    key = f"{provider}:{name}"
    if key not in cat.cloud_regions:
        return _unknown(raw, f"unknown {provider} region {name!r}")
    return Region(key=key, kind=RegionKind.CLOUD, raw=raw)


def _country(code: str, cat: RegionCatalogue) -> str | None:
    if len(code) == 2 and code in cat.countries:
        return code
    if len(code) == 3:
        return cat.alpha3.get(code)
    return None


def parse_region(value: object, cat: RegionCatalogue) -> Region:
    """Normalise any input to a :class:`Region`; never raises."""
    if value is None:
        return _unknown("", "no region given")
    if isinstance(value, Mapping):
        return _parse_mapping(value, cat)
    if not isinstance(value, str):
        return _unknown(_short(repr(value)), f"region must be a string or an object, not {type(value).__name__}")
    raw = value.strip()
    if not raw:
        return _unknown(raw, "no region given")
    if len(raw) > MAX_REGION_CHARS:
        return _unknown(_short(raw), f"region is {len(raw)} characters; at most {MAX_REGION_CHARS} allowed")
    if ":" in raw:
        prefix, _, rest = raw.partition(":")
        if prefix.strip().lower() == "egrid":
            sub = rest.strip().upper()
            if sub in cat.egrid_subregions:
                return Region(key=f"egrid:{sub}", kind=RegionKind.EGRID, country="US", raw=raw)
            return _unknown(raw, f"unknown eGRID subregion {_short(rest)!r}", "US")
        return _cloud(raw, prefix, rest, cat)
    code = raw.upper().replace("_", "-").replace(" ", "-")
    if not _CODE.match(code):
        return _unknown(_short(raw), f"{_short(raw)!r} is not a region code")
    if code == "WORLD":
        return Region(key="WORLD", kind=RegionKind.WORLD, raw=raw)
    if code in cat.egrid_subregions:
        return Region(key=f"egrid:{code}", kind=RegionKind.EGRID, country="US", raw=raw)
    if "-" not in code:
        if code in RESERVED_ALIASES and RESERVED_ALIASES[code] in cat.countries:
            alias = RESERVED_ALIASES[code]
            note = f"ISO 3166 reserves {code} for {alias}"
            return Region(key=alias, kind=RegionKind.COUNTRY, country=alias, raw=raw, note=note)
        country = _country(code, cat)
        if country is None:
            return _unknown(raw, f"unknown country code {code!r}")
        return Region(key=country, kind=RegionKind.COUNTRY, country=country, raw=raw)
    head, _, tail = code.partition("-")
    country = _country(head, cat)
    if country == "US" and tail in cat.us_states:
        return Region(key=f"US-{tail}", kind=RegionKind.US_STATE, country="US", raw=raw)
    if country == "US" and tail in US_TERRITORIES and tail in cat.countries:
        return Region(key=tail, kind=RegionKind.COUNTRY, country=tail, raw=raw, note=f"US-{tail} is {tail}")
    if country == "CA" and tail in cat.ca_provinces:
        return Region(key=f"CA-{tail}", kind=RegionKind.CA_PROVINCE, country="CA", raw=raw)
    if code in cat.zones:
        return Region(key=code, kind=RegionKind.ZONE, country=country, raw=raw)
    if country is not None:
        return _unknown(raw, f"unknown sub-national region {code!r}; using country {country}", country)
    return _unknown(raw, f"unknown region {code!r}")


def _parse_mapping(value: Mapping[object, object], cat: RegionCatalogue) -> Region:
    lat, lon = value.get("lat", value.get("latitude")), value.get("lon", value.get("longitude"))
    country_in = value.get("country")
    fallback: Region | None = parse_region(country_in, cat) if isinstance(country_in, str) else None
    if lat is not None or lon is not None:
        return _coordinates(lat, lon, fallback)
    for key in ("region", "zone", "cloud_region"):
        inner = value.get(key)
        if isinstance(inner, str) and inner.strip():
            provider = value.get("cloud_provider") or value.get("provider")
            if key == "cloud_region" and isinstance(provider, str):
                return parse_region(f"{provider}:{inner}", cat)
            return parse_region(inner, cat)
    if not isinstance(country_in, str) or not country_in.strip():
        return _unknown("{...}", "region object needs a country (or lat/lon, zone, region)")
    state = value.get("state_province", value.get("state"))
    if state is None or (isinstance(state, str) and not state.strip()):
        return parse_region(country_in, cat)
    if not isinstance(state, str):
        return parse_region(country_in, cat)
    assert fallback is not None
    if not fallback.known or fallback.kind is not RegionKind.COUNTRY or fallback.reason:
        return fallback
    named = cat.subdivision_names.get(name_key(fallback.key, state)) if len(state.strip()) > 3 else None
    if named is not None:
        region = parse_region(f"{fallback.key}-{named}", cat)
        return replace(region, note=f"{_short(state.strip())!r} read as {region.key}")
    combined = parse_region(f"{fallback.key}-{state.strip()}", cat)
    return combined


def _coordinates(lat: object, lon: object, fallback: Region | None) -> Region:
    ok = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon))
    if not ok or not (-90 <= float(lat) <= 90) or not (-180 <= float(lon) <= 180):  # type: ignore[arg-type]
        reason = "lat/lon must be numbers within -90..90 and -180..180"
        if fallback is not None and fallback.known:
            return Region(
                key=fallback.key, kind=fallback.kind, country=fallback.country, reason=reason, raw=fallback.raw
            )
        return _unknown("{lat, lon}", reason)
    lat_f, lon_f = round(float(lat), 2), round(float(lon), 2)  # type: ignore[arg-type]
    country = fallback.country if fallback is not None else None
    return Region(
        key=f"geo:{lat_f:.2f},{lon_f:.2f}", kind=RegionKind.COORDINATES, country=country, lat=lat_f, lon=lon_f
    )


def row_id_for(key: str) -> str:
    """A valid Appwrite row id (<= 36 chars of [A-Za-z0-9._-]) for a region key: "aws:eu-west-1" -> "aws.eu-west-1".

    Distinct keys give distinct ids: ':' becomes '.', ',' becomes '_' (neither occurs otherwise in keys);
    anything longer or odder is hashed.
    """
    candidate = key.replace(":", ".").replace(",", "_")
    if _ROW_ID_SAFE.match(candidate):
        return candidate
    return "r." + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
