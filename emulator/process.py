"""The emulator's process: one server on 127.0.0.1 (emulator/server.py), recorded so later
runs reuse it; `nox -s emulator` (emulator/__main__.py) drives it by hand, `--target local` runs
start it. It keeps AWS's state in memory only: `started` in the record tells a caller which
state files were written before this emulator existed (orchestration/local_state.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The checkout's state directory, as orchestration/backend.py names it (this package imports
# nothing of the platform's: it stands in for AWS).
REPO_ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = REPO_ROOT / ".state"
EMULATOR_RECORD = STATE_DIR / "emulator.json"
EMULATOR_LOG = STATE_DIR / "emulator.log"
# What the emulator writes besides (the functions' unpacked packages).
WORK_DIR = STATE_DIR / "emulator"
# The local target's stacks' state (orchestration/backend.py's default_base("local"); a test
# holds them equal): a reset removes it, as it describes what the emulator forgot.
LOCAL_STATE = STATE_DIR / "local"


class EmulatorError(Exception):
    """The emulator could not start; the message says where to look."""


@dataclass(frozen=True)
class EmulatorRecord:
    pid: int
    port: int
    # When this emulator started (seconds since the epoch): its memory holds nothing older.
    started: float = 0.0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def running_emulator() -> EmulatorRecord | None:
    """The recorded emulator, if its process is alive and answering."""
    if not EMULATOR_RECORD.exists():
        return None
    try:
        data = json.loads(EMULATOR_RECORD.read_text())
        record = EmulatorRecord(int(data["pid"]), int(data["port"]), float(data.get("started", 0)))
    except (ValueError, KeyError, TypeError):
        return None
    return record if alive(record.pid) and answers(record.endpoint) else None


def start_emulator(log: Any = print) -> EmulatorRecord:
    """Reuse the recorded emulator, or start one and record its pid and port."""
    record = running_emulator()
    if record:
        log(f"emulator: reusing pid {record.pid} at {record.endpoint}")
        return record
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    started = time.time()
    with EMULATOR_LOG.open("ab") as output:
        process = subprocess.Popen(
            server_command(port, WORK_DIR),
            cwd=REPO_ROOT,
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this run, so a later destroy finds it
        )
    record = EmulatorRecord(process.pid, port, started)
    deadline = time.monotonic() + 30
    while not answers(record.endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            raise EmulatorError(
                f"the local emulator did not start; see {EMULATOR_LOG} "
                "(is moto[server] installed? nox installs it for --target local)"
            )
        time.sleep(0.2)
    EMULATOR_RECORD.write_text(
        json.dumps({"pid": record.pid, "port": record.port, "started": record.started})
    )
    log(f"emulator: started pid {record.pid} at {record.endpoint}")
    return record


def server_command(port: int, work_dir: Path) -> list[str]:
    """The emulator's server on `port`, functions unpacked under `work_dir` (run in REPO_ROOT)."""
    return [
        sys.executable,
        "-m",
        "emulator.server",
        "--port",
        str(port),
        "--work-dir",
        str(work_dir),
    ]


def stop_emulator(log: Any = print) -> bool:
    record = running_emulator()
    EMULATOR_RECORD.unlink(missing_ok=True)
    if record is None:
        log("emulator: not running")
        return False
    os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while alive(record.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # gone before this returns: nothing left running, no port held
    log(f"emulator: stopped pid {record.pid}")
    return True


def holds_resources(state_file: Path) -> bool:
    """Whether a stack's state file (a file:// backend's) records any resource."""
    try:
        latest = json.loads(state_file.read_text()).get("checkpoint", {}).get("latest") or {}
    except (OSError, ValueError, AttributeError):
        return True  # unreadable: assume it records something, and say so
    return bool(latest.get("resources"))


def local_stacks_with_resources() -> list[str]:
    """The local target's stacks (default backend) whose state records resources, as
    `project/stack`: `<base>/trading-analytics/<env>/.pulumi/stacks/<project>/<env>.json`."""
    found = sorted(LOCAL_STATE.glob("*/*/.pulumi/stacks/*/*.json"))
    return [f"{path.parent.name}/{path.stem}" for path in found if holds_resources(path)]


def reset_emulator(endpoint: str) -> None:
    """Forget every resource: moto's own reset API (what `nox -s emulator -- reset` calls)."""
    urllib.request.urlopen(
        urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10
    ).close()


def alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False  # this process's own child, exited: reaped here, not a zombie
    except ChildProcessError:
        pass  # not our child: ask the kernel
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
