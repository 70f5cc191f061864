"""What a person may change about their own profile, validated. Pure: no I/O.

Fields (all optional, at least one): ``display_name`` (text, or null to clear), ``leaderboard_visible``
(false: not ranked, not in the global feed), ``feed_show_login`` (true: the feed may show their GitHub login),
``onboarding_completed``, ``preferences`` (a JSON object, replaced whole), and ``location``: where they work,
as a region EcoTrace knows (``domain.regions``): a country (``"DE"``, ``{"country": "DE"}``), a US state or
Canadian province (``"US-CA"``, ``{"country": "US", "region": "CA"}``), an Electricity Maps zone or an eGRID
subregion; null clears it. Coordinates and cloud regions are refused: a person's location is not a data centre,
and coordinates say more about where someone is than a grid region needs to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from .regions import Region, RegionCatalogue, RegionKind, parse_region

FIELDS = ("display_name", "leaderboard_visible", "feed_show_login", "onboarding_completed", "preferences", "location")
BOOLEANS = ("leaderboard_visible", "feed_show_login", "onboarding_completed")
MAX_DISPLAY_NAME = 100
MAX_PREFERENCES_CHARS = 4096  # users.preferences
MAX_PREFERENCES_DEPTH = 4
LOCATION_KINDS = frozenset(
    {RegionKind.COUNTRY, RegionKind.US_STATE, RegionKind.CA_PROVINCE, RegionKind.ZONE, RegionKind.EGRID}
)
_UNSET = object()


@dataclass(frozen=True)
class Location:
    country: str | None  # ISO 3166-1 alpha-2, when the region lies in one country
    region: str  # the region key the emission factors use


@dataclass(frozen=True)
class ProfileChange:
    """Only the fields given are changed; ``location`` and ``display_name`` may be given as None (cleared)."""

    values: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.values


def parse_change(body: Mapping[str, Any], catalogue: RegionCatalogue) -> ProfileChange:
    """The profile fields of a request body (``action`` ignored); ValidationError naming the first bad one."""
    given = {key: value for key, value in body.items() if key != "action"}
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise ValidationError(f"unknown profile field(s): {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
    if not given:
        raise ValidationError(f"update_profile needs at least one of: {', '.join(FIELDS)}")
    values: dict[str, Any] = {}
    for name in BOOLEANS:
        if name in given:
            if not isinstance(given[name], bool):
                raise ValidationError(f"{name} must be true or false", details={"field": name})
            values[name] = given[name]
    if "display_name" in given:
        values["display_name"] = _display_name(given["display_name"])
    if "preferences" in given:
        values["preferences"] = _preferences(given["preferences"])
    if "location" in given:
        values["location"] = None if given["location"] is None else location(given["location"], catalogue)
    return ProfileChange(values)


def _display_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("display_name must be text or null", details={"field": "display_name"})
    name = " ".join(value.split())
    if not name:
        return None
    if len(name) > MAX_DISPLAY_NAME or any(not ch.isprintable() for ch in name):
        raise ValidationError(
            f"display_name must be at most {MAX_DISPLAY_NAME} printable characters", details={"field": "display_name"}
        )
    return name


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _preferences(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError("preferences must be a JSON object", details={"field": "preferences"})
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_PREFERENCES_CHARS:
        raise ValidationError(
            f"preferences are {len(text)} characters of JSON; at most {MAX_PREFERENCES_CHARS}",
            details={"field": "preferences"},
        )
    if _depth(value) > MAX_PREFERENCES_DEPTH:
        raise ValidationError(
            f"preferences nest at most {MAX_PREFERENCES_DEPTH} levels deep", details={"field": "preferences"}
        )
    return value


def location(value: Any, catalogue: RegionCatalogue) -> Location:
    """A location from a region key or ``{"country", "region" | "state_province"}``; only regions EcoTrace knows,
    taken as given (no fallback: a typo is an error, not the world average)."""
    if isinstance(value, Mapping):
        if set(value) - {"country", "region", "state_province"}:
            raise ValidationError('location takes "country" and optionally "region"', details={"field": "location"})
        sub = value.get("region", value.get("state_province"))
        country = value.get("country")
        if not isinstance(country, str) or (sub is not None and not isinstance(sub, str)):
            raise ValidationError("location needs a country code (and a region code)", details={"field": "location"})
        parsed: Region = parse_region({"country": country, "state_province": sub}, catalogue)
    elif isinstance(value, str):
        parsed = parse_region(value, catalogue)
    else:
        raise ValidationError("location must be a region code, an object or null", details={"field": "location"})
    if not parsed.known or parsed.reason or parsed.kind not in LOCATION_KINDS:
        why = parsed.reason or f"a {parsed.kind.value} is not a place where a person works"
        raise ValidationError(f"location not accepted: {why}", details={"field": "location"})
    return Location(country=parsed.country, region=parsed.key)
