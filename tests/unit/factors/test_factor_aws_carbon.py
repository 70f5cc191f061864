"""AWS's carbon figures: the sustainability API (botocore Stubber) and the S3 data export (moto)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ecotrace.adapters.aws_carbon import AwsCarbonError, AwsCarbonSource, summarise

HEADER = (
    "usage_period_start,usage_period_end,region_code,product_code,total_lbm_emissions_value,"
    "total_lbm_emissions_unit,total_mbm_emissions_value,total_mbm_emissions_unit,model_version\n"
)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="carbon-exports")
        yield client


def api_result(region: str, lbm: float, mbm: float, month: int = 1) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": datetime(2026, month, 1, tzinfo=UTC), "End": datetime(2026, month + 1, 1, tzinfo=UTC)},
        "DimensionsValues": {"REGION": region},
        "ModelVersion": "v3.0.0",
        "EmissionsValues": {
            "TOTAL_LBM_CARBON_EMISSIONS": {"Value": lbm, "Unit": "MTCO2e"},
            "TOTAL_MBM_CARBON_EMISSIONS": {"Value": mbm, "Unit": "MTCO2e"},
        },
    }


def stubbed() -> tuple[AwsCarbonSource, Stubber]:
    client = boto3.client("sustainability", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    return AwsCarbonSource(sustainability_client=client), Stubber(client)


def test_the_api_is_read_page_by_page_per_region() -> None:
    source, stub = stubbed()
    expected = {
        "TimePeriod": {"Start": datetime(2026, 1, 1, tzinfo=UTC), "End": datetime(2026, 3, 1, tzinfo=UTC)},
        "GroupBy": ["REGION"],
        "EmissionsTypes": ["TOTAL_LBM_CARBON_EMISSIONS", "TOTAL_MBM_CARBON_EMISSIONS"],
        "Granularity": "MONTHLY",
    }
    stub.add_response(
        "get_estimated_carbon_emissions", {"Results": [api_result("us-east-1", 1.5, 0.2)], "NextToken": "t2"}, expected
    )
    stub.add_response(
        "get_estimated_carbon_emissions",
        {"Results": [api_result("eu-west-1", 0.4, 0.0, month=2)]},
        {**expected, "NextToken": "t2"},
    )
    with stub:
        rows = source.from_api(date(2026, 1, 1), date(2026, 3, 1))
    stub.assert_no_pending_responses()
    assert [(r.region_code, r.location_based_mtco2e, r.market_based_mtco2e) for r in rows] == [
        ("us-east-1", 1.5, 0.2),
        ("eu-west-1", 0.4, 0.0),
    ]
    assert rows[1].period_start == date(2026, 2, 1)
    assert summarise(rows)["regions"]["us-east-1"] == {"location_based_mtco2e": 1.5, "market_based_mtco2e": 0.2}


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [("ThrottlingException", 429, True), ("InternalServerException", 500, True), ("AccessDeniedException", 403, False)],
)
def test_api_errors_are_named_and_classified(code: str, status: int, transient: bool) -> None:
    source, stub = stubbed()
    stub.add_client_error("get_estimated_carbon_emissions", service_error_code=code, http_status_code=status)
    with stub, pytest.raises(AwsCarbonError) as caught:
        source.from_api(date(2026, 1, 1), date(2026, 2, 1))
    assert (caught.value.kind, caught.value.transient) == (code, transient)


def test_a_missing_market_based_value_stays_missing() -> None:
    source, stub = stubbed()
    odd = api_result("us-east-1", 1.0, 1.0)
    odd["EmissionsValues"].pop("TOTAL_MBM_CARBON_EMISSIONS")
    stub.add_response("get_estimated_carbon_emissions", {"Results": [odd]})
    with stub:
        rows = source.from_api(date(2026, 1, 1), date(2026, 2, 1))
    assert rows[0].market_based_mtco2e is None


def test_the_s3_export_is_summed_per_region_and_period(s3: Any) -> None:
    body = HEADER + (
        "2026-01-01,2026-02-01,us-east-1,AmazonEC2,1.25,MTCO2e,0.5,MTCO2e,v3.0.0\n"
        "2026-01-01,2026-02-01,us-east-1,AmazonS3,0.25,MTCO2e,0.0,MTCO2e,v3.0.0\n"
        "2026-01-01,2026-02-01,eu-north-1,AmazonEC2,0.01,MTCO2e,0.0,MTCO2e,v3.0.0\n"
    )
    s3.put_object(Bucket="carbon-exports", Key="export/2026-01/part-0.csv.gz", Body=gzip.compress(body.encode()))
    s3.put_object(Bucket="carbon-exports", Key="export/2026-01/manifest.json", Body=b"{}")
    rows = AwsCarbonSource(s3_client=s3).from_s3_export("carbon-exports", "export/")
    by_region = {r.region_code: r for r in rows}
    assert by_region["us-east-1"].location_based_mtco2e == pytest.approx(1.5)
    assert by_region["us-east-1"].market_based_mtco2e == pytest.approx(0.5)
    assert by_region["eu-north-1"].origin == "s3_export"


@pytest.mark.parametrize(
    ("key", "body", "kind"),
    [
        ("export/a.csv", b"region,value\nus-east-1,1\n", "malformed"),
        (
            "export/b.csv",
            (HEADER + "2026-01-01,2026-02-01,us-east-1,EC2,-3,MTCO2e,0,MTCO2e,v3\n").encode(),
            "malformed",
        ),
        ("export/c.csv", (HEADER + "2026-01-01,2026-02-01,us-east-1,EC2,3,kgCO2e,0,MTCO2e,v3\n").encode(), "malformed"),
        ("export/d.csv.gz", b"not gzip", "malformed"),
    ],
)
def test_unreadable_exports_are_refused(s3: Any, key: str, body: bytes, kind: str) -> None:
    s3.put_object(Bucket="carbon-exports", Key=key, Body=body)
    with pytest.raises(AwsCarbonError) as caught:
        AwsCarbonSource(s3_client=s3).from_s3_export("carbon-exports", "export/")
    assert caught.value.kind == kind


def test_a_missing_bucket_is_a_named_error(s3: Any) -> None:
    with pytest.raises(AwsCarbonError) as caught:
        AwsCarbonSource(s3_client=s3).from_s3_export("no-such-bucket", "")
    assert caught.value.kind == "NoSuchBucket"
    assert caught.value.transient is False


def test_repr_holds_no_credentials() -> None:
    assert "testing" not in repr(AwsCarbonSource(region_name="eu-west-1"))
