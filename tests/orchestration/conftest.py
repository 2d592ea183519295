"""The orchestration CLI's harnesses: a fake engine in-process, or a checkout and the CLI double."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration import report
from tests.support.checkout import Checkout, make_checkout
from tests.support.cli_harness import Harness
from tests.support.fake_engine import FakeEngine


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    # The environment lock lives in the state backend: a throwaway one, not the repo's .state/.
    monkeypatch.setenv("TRADING_ANALYTICS_BACKEND", (tmp_path / "state").as_uri())
    # ... and its run reports in the test's directory, not the repo's build/.
    monkeypatch.setattr(report, "RUNS_DIR", tmp_path / "runs")
    return Harness(FakeEngine(), [], [])


@pytest.fixture
def checkout(tmp_path: Path) -> Iterator[Checkout]:
    """A copy of the working tree whose sessions reach the Pulumi CLI double."""
    made = make_checkout(tmp_path)
    yield made
    made.stop_emulator()
