"""Configuration is read once and fails loudly; the deployed package is this code."""

from __future__ import annotations

import os
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from trade_analytics.config import ConfigurationError, Settings
from trade_analytics.validation import TradeWindow

from shared.packaging import build_package
from tests.support.processes import python

COMPLETE = {
    "TABLE_NAME": "t",
    "BUCKET_NAME": "b",
    "ENVIRONMENT": "dev",
    "FAILURE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
    "TRADE_MAX_AGE_HOURS": "168",
    "TRADE_MAX_AHEAD_SECONDS": "300",
}


def test_settings_from_environment() -> None:
    settings = Settings.from_environ(COMPLETE)
    assert (settings.table_name, settings.bucket_name, settings.environment) == ("t", "b", "dev")
    assert settings.failure_queue_url == COMPLETE["FAILURE_QUEUE_URL"]
    assert settings.window == TradeWindow(timedelta(hours=168), timedelta(seconds=300))


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_a_missing_variable_is_named(missing: str) -> None:
    environ = {**COMPLETE, missing: " "}
    with pytest.raises(ConfigurationError, match=f"missing environment variable {missing};"):
        Settings.from_environ(environ)


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "a week"])
@pytest.mark.parametrize("name", ["TRADE_MAX_AGE_HOURS", "TRADE_MAX_AHEAD_SECONDS"])
def test_a_window_bound_must_be_a_positive_whole_number(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{name} must be a whole number greater than 0"):
        Settings.from_environ({**COMPLETE, name: value})


def _extract_package(tmp_path: Path) -> Path:
    package = build_package("data_processor", tmp_path / "build")
    target = tmp_path / "task"
    with zipfile.ZipFile(package.path) as archive:
        archive.extractall(target)
    return target


def test_the_deployed_package_starts_and_handles_the_description_payload(tmp_path: Path) -> None:
    # As Lambda would: the zip's root on sys.path, `handler.handler` as the entry point.
    task = _extract_package(tmp_path)
    script = (
        "import handler, json; "
        "r = handler.handler({'trade_data': {'trade_id': 'TEST123', 'amount': 1000}}, None); "
        "print(json.dumps(r))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # No AWS here: the run stops at the first AWS call, which proves it got past validation.
    env.update({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"})
    result = python("-c", script, cwd=task, env=env)
    assert "EndpointConnectionError" in result.stdout + result.stderr, result.stderr[-2000:]


def test_cold_start_without_configuration_names_the_variable(tmp_path: Path) -> None:
    task = _extract_package(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME", "PYTHONPATH"}}
    result = python("-c", "import handler", cwd=task, env=env)
    assert result.returncode != 0
    assert "ConfigurationError: missing environment variable TABLE_NAME" in result.stderr
