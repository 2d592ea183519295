"""Dry runs touch nothing: no Pulumi CLI looked up or installed, no emulator, no credentials.

Each command's `--dry-run` runs as a user runs it, in a child process whose PATH has no pulumi,
and leaves no emulator process, record or installed CLI behind.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from emulator.process import EMULATOR_RECORD, WORK_DIR
from orchestration.toolchain import LOCAL_CLI_ROOT
from tests.support.processes import python

GIT = shutil.which("git") or "/usr/bin/git"


def _emulators() -> set[int]:
    """The checkout's emulators (the tests' own, in their own work directories, do not count)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            if b"emulator.server" in command and bytes(WORK_DIR) in command:
                found.add(int(entry.name))
        except OSError:
            continue  # gone meanwhile
    return found


@pytest.mark.parametrize(
    "argv",
    [
        ["deploy", "dev"],
        ["destroy", "production", "--confirm", "production"],
        ["rollback", "dev", "data", "--to", "HEAD"],
        ["promote", "staging", "production"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_dry_run_needs_no_cli_and_starts_nothing(argv: list[str], tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "PULUMI_")) and key != "TRADING_ANALYTICS_BACKEND"
    }
    # This interpreter and git (rollback resolves --to), and no pulumi.
    env["PATH"] = os.pathsep.join({os.path.dirname(sys.executable), os.path.dirname(GIT)})
    assert not any((Path(d) / "pulumi").exists() for d in env["PATH"].split(os.pathsep))
    env["TRADING_ANALYTICS_BACKEND"] = (tmp_path / "state").as_uri()
    before = (_emulators(), EMULATOR_RECORD.exists(), LOCAL_CLI_ROOT.exists())
    result = python("-m", "orchestration", *argv, "--dry-run", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "plan: " in result.stdout or "promote staging -> production" in result.stdout
    assert (_emulators(), EMULATOR_RECORD.exists(), LOCAL_CLI_ROOT.exists()) == before
    assert "Pulumi CLI" not in result.stdout + result.stderr
