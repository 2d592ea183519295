"""Names follow `{resource-type}-{environment}-{region}` within AWS limits; tags are complete."""

from __future__ import annotations

import botocore.session
import pytest

from guardrails.inventory import is_taggable
from shared import naming
from shared.environments import ENVIRONMENTS
from shared.errors import ConfigError
from shared.naming import REQUIRED_TAG_KEYS, NameKind, Naming, check_name, tags
from shared.settings import parse_compute, parse_data, parse_network
from tests.support.documents import Document


def _all_regions() -> list[str]:
    """Every region botocore knows, across partitions (commercial, China, GovCloud, ...)."""
    session = botocore.session.get_session()
    regions = {
        region
        for partition in session.get_available_partitions()
        for service in ("ec2", "lambda", "s3")
        for region in session.get_available_regions(service, partition_name=partition)
    }
    assert len(regions) > 20
    return sorted(regions)


@pytest.mark.parametrize("region", _all_regions())
def test_every_name_fits_aws_limits_in_every_region(region: str) -> None:
    for environment in ENVIRONMENTS:
        # Parsing builds (and checks) every physical name a stack uses.
        compute = parse_compute(environment, region, {})
        data = parse_data(environment, region, {})
        parse_network(environment, region, {})
        assert compute.function_name == f"data-processor-{environment}-{region}"
        assert len(compute.function_name) <= 64 and len(compute.role_name) <= 64
        assert 3 <= len(data.bucket_name) <= 63 and data.bucket_name == data.bucket_name.lower()
        assert data.table_name == f"analytics-table-{environment}-{region}"


def test_names_come_from_the_convention() -> None:
    naming = Naming("staging", "eu-west-1")
    assert naming.name("data-archive", NameKind.S3_BUCKET) == "data-archive-staging-eu-west-1"
    assert naming.log_group("/aws/lambda", "data-processor") == (
        "/aws/lambda/data-processor-staging-eu-west-1"
    )


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (NameKind.S3_BUCKET, "Data-Archive"),
        (NameKind.S3_BUCKET, "ab"),
        (NameKind.S3_BUCKET, "a" * 64),
        (NameKind.S3_BUCKET, "archive..bucket"),
        (NameKind.S3_BUCKET, "192.168.1.1"),
        (NameKind.S3_BUCKET, "xn--archive"),
        (NameKind.S3_BUCKET, "archive-"),
        (NameKind.LAMBDA_FUNCTION, "f" * 65),
        (NameKind.LAMBDA_FUNCTION, "has space"),
        (NameKind.IAM_ROLE, "r" * 65),
    ],
)
def test_names_aws_would_reject_are_refused(kind: NameKind, name: str) -> None:
    with pytest.raises(ConfigError, match="is not allowed; expected"):
        check_name(kind, name)


def test_an_overlong_region_is_refused_not_truncated(monkeypatch: pytest.MonkeyPatch) -> None:
    # A region AWS may add, with a longer name than any today: names are refused, never cut.
    long = "us-" + "x" * 60 + "-1"
    monkeypatch.setattr(naming, "_known_regions", lambda: (long,))
    with pytest.raises(ConfigError, match="lambda function name of 1 to 64"):
        Naming("production", long).name("data-processor", NameKind.LAMBDA_FUNCTION)


@pytest.mark.parametrize("region", ["mars-east-1", "us-east-9"])
def test_well_formed_regions_the_provider_does_not_know_are_refused(region: str) -> None:
    with pytest.raises(ConfigError, match="a region the AWS provider knows") as refused:
        Naming("dev", region)
    assert refused.value.key == "aws:region"
    assert "(did you mean us-east-" in str(refused.value) or region == "mars-east-1"


@pytest.mark.parametrize("region", ["useast1", "US-EAST-1", "us-east", "us_east_1", ""])
def test_malformed_regions_are_refused(region: str) -> None:
    with pytest.raises(ConfigError, match="aws:region"):
        Naming("dev", region)


def test_tags_helper_returns_the_four_required_tags() -> None:
    assert tags("dev", "data") == {
        "Environment": "dev",
        "Project": "trading-analytics",
        "Layer": "data",
        "ManagedBy": "pulumi",
    }
    assert tuple(tags("dev", "data")) == REQUIRED_TAG_KEYS


def test_every_taggable_resource_carries_the_required_tags(doc: Document, environment: str) -> None:
    checked = 0
    for entry in doc["layers"]:
        for resource in entry["resources"]:
            if not is_taggable(resource["type"]):
                continue
            resource_tags = resource["inputs"].get("tags") or {}
            expected = {
                "Environment": environment,
                "Project": "trading-analytics",
                "Layer": entry["layer"],
                "ManagedBy": "pulumi",
            }
            assert expected.items() <= resource_tags.items(), (resource["type"], resource["name"])
            checked += 1
    assert checked >= 15


def test_name_tags_follow_the_convention(doc: Document, environment: str) -> None:
    for entry in doc["layers"]:
        for resource in entry["resources"]:
            name = (resource["inputs"].get("tags") or {}).get("Name")
            if name is not None:
                assert name.endswith(f"-{environment}-us-east-1"), name
