"""`nox -s synth`: one file and a table per environment; bad config is one line, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from shared.environments import PROFILES
from shared.layers import REPO_ROOT
from synth.cli import matrix_values
from tests.support.documents import Document
from tests.support.processes import python


def _run_synth(tmp_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return python("-m", "synth", *args, env=tmp_env)


def test_cli_prints_one_line_and_writes_nothing_on_bad_config(tmp_path: Path) -> None:
    target = REPO_ROOT / "build" / "synth" / "staging.json"
    before = target.read_bytes() if target.exists() else None
    env: dict[str, Any] = {
        **os.environ,
        "PULUMI_CONFIG": json.dumps({"trading-data:billing_mode": "ONDEMAND"}),
    }
    result = _run_synth(env, "staging")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "trading-data:billing_mode = 'ONDEMAND'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert (target.read_bytes() if target.exists() else None) == before


def test_cli_rejects_unknown_environment() -> None:
    result = _run_synth(dict(os.environ), "qa")
    assert result.returncode == 2
    assert (
        "environment = 'qa' is not allowed; expected one of dev, staging, production"
        in result.stderr
        and "Traceback" not in result.stderr
    )


def test_matrix_values_read_back_from_the_synth(doc: Document, environment: str) -> None:
    profile = PROFILES[environment]
    assert matrix_values(doc) == {
        "lambda_memory_mb": profile.lambda_memory_mb,
        "architecture": "arm64",
        "billing_mode": profile.dynamodb_billing_mode.value,
        "s3_versioning": "Enabled" if profile.s3_versioning else "Disabled",
        "log_retention_days": profile.log_retention_days,
        "vpc_cidr": profile.vpc_cidr,
    }
