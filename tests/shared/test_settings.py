"""Bad stack config fails early, in one line naming the key, the value and what is allowed."""

from __future__ import annotations

import pytest

from shared import naming
from shared.environments import ENVIRONMENTS, BillingMode
from shared.errors import ConfigError
from shared.layers import REPO_ROOT
from shared.settings import parse_compute, parse_data, parse_network
from synth.synthesize import SynthError, synth_environment

BAD_VALUES = [
    # (layer, key, value, words the message must contain)
    ("compute", "lambda_memory_mb", "99999", "from 128 to 10240"),
    ("compute", "lambda_memory_mb", "127", "from 128 to 10240"),
    ("compute", "lambda_memory_mb", "lots", "a whole number"),
    ("compute", "lambda_memory_mb", "512.5", "a whole number"),
    ("compute", "log_retention_days", "8", "retention periods 1, 3, 5, 7"),
    ("compute", "lambda_timeout_seconds", "901", "from 1 to 900"),
    ("compute", "upstream_org", "acme/corp", "without '/'"),
    ("compute", "lambda_reserved_concurrency", "0", "from 1 to 1000, or none (none reserved)"),
    ("compute", "lambda_reserved_concurrency", "unlimited", "or none (none reserved)"),
    ("compute", "lamda_memory_mb", "1024", "a known key: lambda_memory_mb"),
    ("data", "billing_mode", "ON_DEMAND", "PAY_PER_REQUEST or PROVISIONED"),
    ("data", "billing_mode", "pay_per_request", "PAY_PER_REQUEST or PROVISIONED"),
    ("data", "bucket_name", "My_Bucket", "s3 bucket name of 3 to 63"),
    ("data", "bucket_suffix", "Acme", "1 to 24 lowercase letters, digits and -"),
    ("data", "bucket_suffix", "acme-", "such as your organisation's name"),
    ("data", "min_capacity", "0", "from 1 to 40000"),
    ("data", "max_capacity", "1", "at least min_capacity"),
    # staging's table is on-demand: a capacity would have no effect there.
    ("data", "min_capacity", "50", "capacities and their quotas apply to PROVISIONED tables"),
    ("data", "max_capacity", "500", "staging's is PAY_PER_REQUEST"),
    ("network", "vpc_cidr", "10.0.0.0/33", "private IPv4 CIDR"),
    ("network", "vpc_cidr", "10.0.0.1/16", "private IPv4 CIDR"),
    ("network", "vpc_cidr", "8.8.0.0/16", "private IPv4 CIDR"),
    ("network", "vpc_cidr", "10.0.0.0/8", "from /16 to /24"),
    ("network", "az_count", "1", "from 2 to 6"),
    ("network", "log_retention_days", "0", "retention periods"),
]
PROJECTS = {"network": "trading-network", "data": "trading-data", "compute": "trading-compute"}


@pytest.mark.parametrize(("layer", "key", "value", "allowed"), BAD_VALUES)
def test_bad_value_fails_before_any_resource_with_key_value_and_allowed(
    layer: str, key: str, value: str, allowed: str
) -> None:
    full_key = f"{PROJECTS[layer]}:{key}"
    with pytest.raises(SynthError) as caught:
        synth_environment("staging", {layer: {full_key: value}})
    message = str(caught.value)
    assert full_key in message and value in message and allowed in message
    assert "\n" not in message
    assert caught.value.registered == 0


def test_overrides_replace_profile_values() -> None:
    compute = parse_compute(
        "dev", "eu-west-1", {"lambda_memory_mb": "1536", "log_retention_days": 14.0}
    )
    assert (compute.memory_mb, compute.log_retention_days) == (1536, 14)
    data = parse_data(
        "production", None, {"billing_mode": "PAY_PER_REQUEST", "bucket_name": "acme-archive"}
    )
    assert data.billing_mode is BillingMode.PAY_PER_REQUEST and data.bucket_name == "acme-archive"
    network = parse_network("dev", None, {"vpc_cidr": "172.16.0.0/20", "az_count": "3"})
    assert (network.vpc_cidr, network.az_count) == ("172.16.0.0/20", 3)


@pytest.mark.parametrize(
    ("environment", "raw", "reserved"),
    [
        ("dev", None, None),
        ("dev", "40", 40),
        ("production", None, 100),
        ("production", "None", None),
    ],
)
def test_reserved_concurrency_is_optional_per_environment(
    environment: str, raw: str | None, reserved: int | None
) -> None:
    values = {} if raw is None else {"lambda_reserved_concurrency": raw}
    assert parse_compute(environment, None, values).reserved_concurrency == reserved


def test_without_a_reservation_there_is_no_concurrency_alarm_and_the_input_is_left_out() -> None:
    document = synth_environment(
        "production", {"compute": {"trading-compute:lambda_reserved_concurrency": "none"}}
    )
    compute = next(layer for layer in document["layers"] if layer["layer"] == "compute")
    [function] = [r for r in compute["resources"] if r["type"] == "aws:lambda/function:Function"]
    assert "reservedConcurrentExecutions" not in function["inputs"]
    alarms = {
        r["name"] for r in compute["resources"] if r["type"].endswith("metricAlarm:MetricAlarm")
    }
    assert alarms and not any("concurrency" in name for name in alarms)
    assert any("throttles" in name for name in alarms)


def test_an_organisation_suffix_keeps_the_convention_s_bucket_name_and_makes_it_its_own() -> None:
    assert parse_data("dev", None, {}).bucket_name == "data-archive-dev-us-east-1"
    suffixed = parse_data("production", None, {"bucket_suffix": "acme"})
    assert suffixed.bucket_name == "data-archive-production-us-east-1-acme"
    # A whole name, where given, wins.
    named = parse_data("dev", None, {"bucket_suffix": "acme", "bucket_name": "acme-archive"})
    assert named.bucket_name == "acme-archive"


def test_a_suffix_too_long_for_the_region_s_name_is_refused_naming_the_suffix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(naming, "_known_regions", lambda: ("eusc-northeast-12",))  # a long one
    with pytest.raises(ConfigError) as refused:
        parse_data("production", "eusc-northeast-12", {"bucket_suffix": "a" * 24})
    assert refused.value.key == "trading-data:bucket_suffix"
    assert "a shorter suffix: a s3 bucket name of 3 to 63 characters" in str(refused.value)


def test_stack_files_set_only_known_keys() -> None:
    for layer in PROJECTS:
        for environment in ENVIRONMENTS:
            path = REPO_ROOT / "stacks" / layer / f"Pulumi.{environment}.yaml"
            text = path.read_text()
            assert "aws:region: us-east-1" in text, path


def test_more_zones_than_the_region_has_is_refused() -> None:
    with pytest.raises(SynthError, match=r"az_count = 4 .*has 3 zones that support Lambda"):
        synth_environment("dev", {"network": {"trading-network:az_count": "4"}}, zone_count=3)


def test_capacities_are_taken_where_the_table_is_provisioned() -> None:
    data = parse_data("dev", None, {"billing_mode": "PROVISIONED", "min_capacity": "50"})
    assert data.billing_mode is BillingMode.PROVISIONED and data.min_capacity == 50


PROVISIONED_DEV = {"billing_mode": "PROVISIONED"}


def test_a_maximum_above_the_default_table_quota_is_refused_naming_the_quota_to_declare() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_data("dev", None, {**PROVISIONED_DEV, "max_capacity": "50000"})
    message = str(caught.value)
    assert "trading-data:max_capacity = 50000" in message
    assert "at most 40,000, the DynamoDB table-level throughput quota" in message
    assert "trading-data:table_quota" in message and "\n" not in message


def test_the_account_quota_binds_when_it_is_the_smaller() -> None:
    with pytest.raises(ConfigError, match=r"at most 60,000, the DynamoDB account-level"):
        parse_data(
            "dev",
            None,
            {**PROVISIONED_DEV, "max_capacity": "70000", "table_quota": "100000",
             "account_quota": "60000"},
        )  # fmt: skip


def test_declared_quotas_allow_a_maximum_above_the_defaults() -> None:
    data = parse_data(
        "dev",
        None,
        {**PROVISIONED_DEV, "max_capacity": "90000", "table_quota": "90000",
         "account_quota": "120000"},
    )  # fmt: skip
    assert data.max_capacity == 90_000
    assert (data.quotas.table, data.quotas.account) == (90_000, 120_000)


def test_production_s_maximum_rests_on_its_declared_quotas() -> None:
    data = parse_data("production", None, {})
    assert data.max_capacity == 110_000 and data.quotas.ceiling == 110_000
    with pytest.raises(ConfigError, match=r"table_quota = 0 .*from 1 to 10000000"):
        parse_data("production", None, {"table_quota": "0"})
    # Declaring a lower quota than the maximum needs is refused, not silently capped.
    with pytest.raises(ConfigError, match=r"max_capacity = 110000 .*declared in the stack's"):
        parse_data("production", None, {"table_quota": "40000"})


def test_quotas_on_an_on_demand_table_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"table_quota = .*apply to PROVISIONED tables"):
        parse_data("dev", None, {"table_quota": "80000"})


def test_a_maximum_below_the_market_hours_floor_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"max_capacity = 10000 .*at least the market-hours"):
        parse_data("production", None, {"max_capacity": "10000"})
    with pytest.raises(ConfigError, match=r"min_capacity = 30000 .*at most the market-hours"):
        parse_data("production", None, {"min_capacity": "30000"})


def test_only_a_provisioned_table_follows_the_market_hours() -> None:
    assert parse_data("production", None, {}).market_hours is not None
    assert parse_data("production", None, {"billing_mode": "PAY_PER_REQUEST"}).market_hours is None
    assert parse_data("dev", None, PROVISIONED_DEV).market_hours is None
