"""The sessions share two virtualenvs: one for the operational sessions, one for the tests."""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import nox

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
