"""The environment matrix: profiles within AWS's limits, unknown environments named."""

from __future__ import annotations

import dataclasses

import pytest

from shared.environments import LOG_RETENTION_DAYS, PROFILES
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
