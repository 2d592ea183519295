"""Configuration is read once and fails loudly; the deployed package is this code."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from trade_analytics.config import ConfigurationError, Settings

from shared.packaging import build_package
from tests.support.processes import python


def test_settings_from_environment() -> None:
    settings = Settings.from_environ({"TABLE_NAME": "t", "BUCKET_NAME": "b", "ENVIRONMENT": "dev"})
    assert (settings.table_name, settings.bucket_name, settings.environment) == ("t", "b", "dev")


@pytest.mark.parametrize("missing", ["TABLE_NAME", "BUCKET_NAME", "ENVIRONMENT"])
def test_a_missing_variable_is_named(missing: str) -> None:
    environ = {"TABLE_NAME": "t", "BUCKET_NAME": "b", "ENVIRONMENT": "dev", missing: " "}
    with pytest.raises(ConfigurationError, match=f"missing environment variable {missing};"):
        Settings.from_environ(environ)


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
