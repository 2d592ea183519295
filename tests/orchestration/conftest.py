"""The orchestration CLI in-process, against the fake engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import report
from tests.support.cli_harness import Harness
from tests.support.fake_engine import FakeEngine


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    # The environment lock lives in the state backend: a throwaway one, not the repo's .state/.
    monkeypatch.setenv("TRADING_ANALYTICS_BACKEND", (tmp_path / "state").as_uri())
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not prompted")  # that backend needs one
    # ... and its run reports in the test's directory, not the repo's build/.
    monkeypatch.setattr(report, "RUNS_DIR", tmp_path / "runs")
    return Harness(FakeEngine(), [], [])
