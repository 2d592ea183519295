"""The environment matrix: profiles within AWS's limits, unknown environments named."""

from __future__ import annotations

import dataclasses

import pytest

from shared.environments import LOG_RETENTION_DAYS, PROFILES, MarketHours, ThroughputQuotas
from shared.errors import ConfigError
from shared.settings import parse_compute


def test_unknown_environment_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match=r"environment = 'qa'.*dev, staging, production"):
        parse_compute("qa", "us-east-1", {})


def test_profiles_only_use_retentions_cloudwatch_accepts() -> None:
    assert all(p.log_retention_days in LOG_RETENTION_DAYS for p in PROFILES.values())


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"period_seconds": 120}, "alarms.period_seconds"),
        ({"evaluation_periods": 0}, "alarms.evaluation_periods"),
        ({"duration_percent_of_timeout": 101}, "alarms.duration_percent_of_timeout"),
        ({"failed_messages": 0}, "alarms.failed_messages"),
    ],
)
def test_alarm_thresholds_outside_what_cloudwatch_takes_are_refused(
    change: dict[str, int], key: str
) -> None:
    with pytest.raises(ConfigError, match=key):
        dataclasses.replace(PROFILES["production"].alarms, **change)


NEW_YORK = {
    "timezone": "America/New_York",
    "open": "09:30",
    "close": "16:00",
    "floor_capacity": 100,
}


def test_market_hours_raise_before_the_open_and_lower_after_the_close() -> None:
    hours = MarketHours(**NEW_YORK)  # type: ignore[arg-type]
    assert (hours.raise_at, hours.lower_at) == ((9, 0), (16, 15))
    late = MarketHours(**{**NEW_YORK, "lead_minutes": 45, "after_minutes": 0})  # type: ignore[arg-type]
    assert (late.raise_at, late.lower_at) == ((8, 45), (16, 0))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"timezone": "Eastern"}, "market_hours.timezone = 'Eastern' .*an IANA time zone"),
        ({"open": "9:30"}, "market_hours.open = '9:30' .*HH:MM"),
        ({"close": "24:00"}, "market_hours.close = '24:00' .*HH:MM"),
        ({"close": "09:30"}, "market_hours.close = '09:30' .*later than the open"),
        ({"open": "00:10"}, "market_hours = '00:10-16:00' .*within one day"),
        ({"close": "23:50"}, "market_hours = '09:30-23:50' .*within one day"),
        ({"days": "WEEKDAYS"}, "market_hours.days = 'WEEKDAYS' .*one of MON-FRI"),
        ({"floor_capacity": 0}, "market_hours.floor_capacity = 0"),
        ({"lead_minutes": -1}, "market_hours.lead_minutes = -1"),
    ],
)
def test_market_hours_that_could_not_be_scheduled_are_refused(
    change: dict[str, object], words: str
) -> None:
    with pytest.raises(ConfigError, match=words):
        MarketHours(**{**NEW_YORK, **change})  # type: ignore[arg-type]


def test_a_matrix_maximum_above_its_declared_quotas_is_refused() -> None:
    production = PROFILES["production"]
    with pytest.raises(ConfigError, match=r"dynamodb_max_capacity = 110000 .*at most 40,000"):
        dataclasses.replace(production, dynamodb_quotas=ThroughputQuotas())
    with pytest.raises(
        ConfigError, match=r"market_hours.floor_capacity = 20000 .*from 25 to 10000"
    ):
        dataclasses.replace(production, dynamodb_max_capacity=10_000)
