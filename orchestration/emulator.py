"""The local target's AWS emulator: one moto_server on 127.0.0.1, recorded so later runs reuse it.

`nox -s emulator -- start|stop|status` drives it by hand; `--target local` runs start it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Any

from orchestration.backend import STATE_DIR
from shared.errors import PlatformError

EMULATOR_RECORD = STATE_DIR / "emulator.json"
EMULATOR_LOG = STATE_DIR / "emulator.log"


@dataclass(frozen=True)
class EmulatorRecord:
    pid: int
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def running_emulator() -> EmulatorRecord | None:
    """The recorded emulator, if its process is alive and answering."""
    if not EMULATOR_RECORD.exists():
        return None
    try:
        data = json.loads(EMULATOR_RECORD.read_text())
        record = EmulatorRecord(int(data["pid"]), int(data["port"]))
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
    with EMULATOR_LOG.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this run, so a later destroy finds it
        )
    record = EmulatorRecord(process.pid, port)
    deadline = time.monotonic() + 30
    while not answers(record.endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            raise PlatformError(
                f"the local emulator did not start; see {EMULATOR_LOG} "
                "(is moto[server] installed? nox installs it for --target local)"
            )
        time.sleep(0.2)
    EMULATOR_RECORD.write_text(json.dumps({"pid": record.pid, "port": record.port}))
    log(f"emulator: started pid {record.pid} at {record.endpoint}")
    return record


def stop_emulator(log: Any = print) -> bool:
    record = running_emulator()
    EMULATOR_RECORD.unlink(missing_ok=True)
    if record is None:
        log("emulator: not running")
        return False
    os.kill(record.pid, signal.SIGTERM)
    log(f"emulator: stopped pid {record.pid}")
    return True


def alive(pid: int) -> bool:
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


# ---- nox -s emulator -----------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="nox -s emulator --", description="The local target's AWS emulator (moto_server)."
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="status",
        choices=("start", "stop", "status"),
        help="start it (or reuse the running one), stop it, or say whether it runs (default)",
    )
    command = parser.parse_args(argv).command
    if command == "start":
        try:
            start_emulator()
        except PlatformError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    elif command == "stop":
        stop_emulator()
    else:
        record = running_emulator()
        print(
            f"emulator: pid {record.pid} at {record.endpoint}"
            if record
            else "emulator: not running"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
