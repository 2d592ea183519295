"""The sessions share two virtualenvs: one for the operational sessions, one for the tests."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from types import ModuleType

import nox
import pytest

from shared.layers import REPO_ROOT

SOURCE = (REPO_ROOT / "noxfile.py").read_text()


def _noxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("noxfile_under_test", REPO_ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_session_but_lock_runs_in_a_shared_virtualenv_not_one_of_its_own() -> None:
    module = _noxfile()
    sessions = nox.registry.get()
    own = sorted(name for name, func in sessions.items() if func.venv_backend != "none")
    assert own == ["lock"], "a session with a virtualenv of its own builds another 600 MB"
    used = set(re.findall(r'_run\(\s*session,\s*"(\w+)"', SOURCE))
    assert used == set(module.VENVS) and len(module.VENVS) == 2


def test_every_orchestration_command_has_an_on_demand_session_of_its_name() -> None:
    from orchestration.cli import COMMANDS

    _noxfile()
    sessions = nox.registry.get()
    for command in COMMANDS:
        assert f'_orchestrate(session, "{command}")' in SOURCE, command
        assert command in sessions and sessions[command].python is None, command


def test_the_emulator_session_names_reset() -> None:
    assert "start|stop|status|reset" in (_noxfile().emulator.__doc__ or "")


@pytest.mark.parametrize("session", ["guardrails", "scan", "synth"])
def test_each_sessions_help_and_usage_errors_are_its_own(session: str) -> None:
    # (scan's usage error is not tried: checkov's own tests run before the scan, a minute.)
    # Through nox, as a user types it: no other tool's help first, and its exit code kept.
    def nox_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "nox", "-s", session, "--", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    helped = nox_run("--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith(f"usage: nox -s {session} -- "), helped.stdout
    assert "installing checkov" not in helped.stderr, "help builds nothing"
    assert helped.stdout.count("usage:") == 1
    if session == "scan":
        return
    wrong = nox_run("devv")
    assert wrong.returncode != 0 and "usage:" in wrong.stderr
    assert f"nox -s {session} --: error: argument ENV: environment = 'devv'" in wrong.stderr
