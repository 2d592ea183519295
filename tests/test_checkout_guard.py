"""The suite never touches the checkout's own state: a write into `.state/` or `build/runs/`, by a
test or by a process it starts, is refused before it happens and fails the test that made it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.layers import REPO_ROOT
from tests.support.processes import python

PROBE = REPO_ROOT / ".state" / "guard-probe"


@pytest.fixture
def caught(checkout_guard: Path) -> Iterator[list[str]]:
    """What the guard recorded during the test, taken so that the test itself does not fail."""
    taken: list[str] = []
    yield taken
    taken.extend(checkout_guard.read_text().splitlines())
    checkout_guard.write_text("")
    assert taken, "the guard recorded nothing"


def _recorded(checkout_guard: Path) -> list[str]:
    return checkout_guard.read_text().splitlines()


def test_a_write_in_the_suite_is_refused_before_it_happens(
    checkout_guard: Path, caught: list[str]
) -> None:
    existed = PROBE.parent.exists()
    with pytest.raises(PermissionError, match="wrote into the checkout's own state"):
        (PROBE.parent / "made-by-a-test").mkdir(parents=True)
    with pytest.raises(PermissionError, match="wrote into the checkout's own state"):
        PROBE.write_text("x")
    assert PROBE.parent.exists() == existed and not PROBE.exists()
    runs = REPO_ROOT / "build" / "runs" / "guard-probe.json"
    with pytest.raises(PermissionError):
        os.close(os.open(runs, os.O_CREAT | os.O_WRONLY))
    assert not runs.exists()
    assert any(f"os.mkdir {PROBE.parent}" in line for line in _recorded(checkout_guard))
    assert any(f"open {runs}" in line for line in _recorded(checkout_guard))


def test_reading_and_writing_elsewhere_pass(tmp_path: Path, checkout_guard: Path) -> None:
    (tmp_path / ".state").mkdir()
    (tmp_path / ".state" / "x").write_text("mine")
    assert (REPO_ROOT / "pyproject.toml").read_text()
    assert _recorded(checkout_guard) == []


def test_a_process_the_suite_starts_is_refused_too(checkout_guard: Path, caught: list[str]) -> None:
    result = python("-c", f"open({str(PROBE)!r}, 'w')")
    assert result.returncode == 1 and "CheckoutWriteError: a test wrote" in result.stderr
    assert not PROBE.exists()
    assert any(f"open {PROBE}" in line for line in _recorded(checkout_guard))


def test_the_guard_catches_the_test_that_took_the_real_dev_lock(
    checkout_guard: Path, caught: list[str]
) -> None:
    # What tests/orchestration/test_toolchain.py ran before it had a backend of its own: the
    # checkout's default backend, where a user's dev stacks and lock live.
    dev = REPO_ROOT / ".state" / "local" / "trading-analytics" / "dev"
    before = sorted(dev.rglob("*")) if dev.exists() else None
    env = {k: v for k, v in os.environ.items() if k != "TRADING_ANALYTICS_BACKEND"}
    env["PATH"] = os.path.dirname(sys.executable)
    python("-m", "orchestration", "deploy", "dev", "--no-install-cli", env=env)
    written = _recorded(checkout_guard)
    assert any(str(REPO_ROOT / ".state" / "local") in line for line in written), written
    assert (sorted(dev.rglob("*")) if dev.exists() else None) == before, "left as it was"
