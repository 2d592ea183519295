"""The orchestration CLI's harness, with a fresh fake engine per test."""

from __future__ import annotations

import pytest

from tests.support.cli_harness import Harness
from tests.support.fake_engine import FakeEngine


@pytest.fixture
def harness() -> Harness:
    return Harness(FakeEngine(), [], [])
