"""Region input: every accepted form normalises to one key; anything else falls back with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecotrace.adapters.shipped_factors import ShippedFactors
from ecotrace.domain.regions import RegionKind, parse_region, row_id_for
from ecotrace.ports import ROW_ID

CAT = ShippedFactors.load().catalogue


@pytest.mark.parametrize(
    ("given_input", "key", "kind"),
    [
        ("DE", "DE", RegionKind.COUNTRY),
        (" de ", "DE", RegionKind.COUNTRY),
        ("DEU", "DE", RegionKind.COUNTRY),
        ("gbr", "GB", RegionKind.COUNTRY),
        ("US-CA", "US-CA", RegionKind.US_STATE),
        ("us_ca", "US-CA", RegionKind.US_STATE),
        ("USA-TX", "US-TX", RegionKind.US_STATE),
        ("CA-ON", "CA-ON", RegionKind.CA_PROVINCE),
        ("CA", "CA", RegionKind.COUNTRY),  # Canada; California is US-CA
        ("US-CAL-CISO", "US-CAL-CISO", RegionKind.ZONE),
        ("dk-dk1", "DK-DK1", RegionKind.ZONE),
        ("CAMX", "egrid:CAMX", RegionKind.EGRID),
        ("egrid:rfcw", "egrid:RFCW", RegionKind.EGRID),
        ("aws:eu-west-1", "aws:eu-west-1", RegionKind.CLOUD),
        ("AWS:EU-WEST-1", "aws:eu-west-1", RegionKind.CLOUD),
        ("azure:eastus", "azure:eastus", RegionKind.CLOUD),
        ("azure:East US 2", "azure:eastus2", RegionKind.CLOUD),
        ("google:europe-west1", "gcp:europe-west1", RegionKind.CLOUD),
        ("world", "WORLD", RegionKind.WORLD),
        ({"country": "US", "state_province": "CA"}, "US-CA", RegionKind.US_STATE),
        ({"country": "CA", "state_province": "QC"}, "CA-QC", RegionKind.CA_PROVINCE),
        ({"country": "FR"}, "FR", RegionKind.COUNTRY),
        ({"country": "US", "state_province": ""}, "US", RegionKind.COUNTRY),
        ({"zone": "US-MIDA-PJM"}, "US-MIDA-PJM", RegionKind.ZONE),
        ({"cloud_provider": "aws", "cloud_region": "us-east-1"}, "aws:us-east-1", RegionKind.CLOUD),
        ({"lat": 52.52, "lon": 13.405, "country": "DE"}, "geo:52.52,13.40", RegionKind.COORDINATES),
    ],
)
def test_accepted_forms_normalise(given_input: object, key: str, kind: RegionKind) -> None:
    region = parse_region(given_input, CAT)
    assert (region.key, region.kind, region.reason) == (key, kind, "")


@pytest.mark.parametrize(
    ("given_input", "key", "reason_part"),
    [
        (None, "WORLD", "no region given"),
        ("", "WORLD", "no region given"),
        ("XX", "WORLD", "unknown country code"),
        ("aws:mars-north-1", "WORLD", "unknown aws region"),
        ("oracle:eu-1", "WORLD", "unknown cloud provider"),
        ("DE-BY", "DE", "unknown sub-national region"),
        ({"country": "US", "state_province": "ZZ"}, "US", "unknown sub-national region"),
        ({"state_province": "CA"}, "WORLD", "needs a country"),
        ({"lat": 200, "lon": 0}, "WORLD", "lat/lon"),
        ({"lat": "52", "lon": 13, "country": "DE"}, "DE", "lat/lon"),
        ("egrid:XXXX", "US", "unknown eGRID subregion"),
        ("x" * 65, "WORLD", "at most 64"),
        ("<script>", "WORLD", "not a region code"),
        (3.5, "WORLD", "string or an object"),
        (["DE"], "WORLD", "string or an object"),
    ],
)
def test_unknown_input_falls_back_with_a_reason(given_input: object, key: str, reason_part: str) -> None:
    region = parse_region(given_input, CAT)
    assert region.key == key
    assert reason_part in region.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_any_json_input_gives_a_region_and_a_valid_row_id(value: object) -> None:
    region = parse_region(value, CAT)
    assert region.key
    assert ROW_ID.match(row_id_for(region.key))
    assert region.known or region.reason


@given(st.text(max_size=100))
def test_any_text_gives_a_region(text: str) -> None:
    region = parse_region(text, CAT)
    assert region.known or region.reason


@given(st.sets(st.sampled_from(sorted(CAT.cloud_regions | CAT.zones)), min_size=2, max_size=30))
def test_row_ids_are_distinct_for_distinct_keys(keys: set[str]) -> None:
    ids = {row_id_for(k) for k in keys}
    assert len(ids) == len(keys)
    assert all(ROW_ID.match(i) and ":" not in i for i in ids)


def test_row_id_examples() -> None:
    assert row_id_for("aws:eu-west-1") == "aws.eu-west-1"
    assert row_id_for("geo:-33.87,151.21") == "geo.-33.87_151.21"
    long_key = "azure:" + "a" * 40
    assert ROW_ID.match(row_id_for(long_key))
    assert row_id_for(long_key) != row_id_for(long_key + "b")


@pytest.mark.parametrize(
    ("given_input", "key", "reason_part"),
    [
        ("UK", "GB", "ISO 3166 reserves UK for GB"),
        ("el", "GR", "ISO 3166 reserves EL for GR"),
        ("US-PR", "PR", "US-PR is PR"),
        ({"country": "US", "state_province": "GU"}, "GU", "US-GU is GU"),
    ],
)
def test_reserved_codes_and_us_territories_become_their_own_country(
    given_input: object, key: str, reason_part: str
) -> None:
    region = parse_region(given_input, CAT)
    assert (region.key, region.kind, region.country, region.reason) == (key, RegionKind.COUNTRY, key, "")
    assert reason_part in region.note  # said, but not a fallback: the code is as good as the ISO one


@pytest.mark.parametrize(
    ("given_input", "key", "kind"),
    [
        ({"country": "US", "state_province": "California"}, "US-CA", RegionKind.US_STATE),
        ({"country": "USA", "state_province": "new york"}, "US-NY", RegionKind.US_STATE),
        ({"country": "US", "state_province": "District of Columbia"}, "US-DC", RegionKind.US_STATE),
        ({"country": "CA", "state_province": "Québec"}, "CA-QC", RegionKind.CA_PROVINCE),
        ({"country": "CA", "state_province": "british_columbia"}, "CA-BC", RegionKind.CA_PROVINCE),
    ],
)
def test_state_and_province_names_are_read_in_the_seed_shape(given_input: object, key: str, kind: RegionKind) -> None:
    region = parse_region(given_input, CAT)
    assert (region.key, region.kind, region.reason) == (key, kind, "")
    assert f"read as {key}" in region.note
