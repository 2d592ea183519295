"""`nox -s emulator -- start|stop|status|reset`: the local emulator by hand."""

from __future__ import annotations

import argparse
import shutil
import sys

from emulator.process import (
    LOCAL_STATE,
    EmulatorError,
    local_stacks_with_resources,
    reset_emulator,
    running_emulator,
    start_emulator,
    stop_emulator,
)

COMMANDS = {
    "start": "start it (or reuse the running one)",
    "stop": "stop it; it keeps AWS's state in memory, so the local resources go with it",
    "status": "say whether it runs (the default)",
    "reset": "forget every local resource: the emulator's and the local stacks' state "
    f"({LOCAL_STATE}), so the next deploy starts clean",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="nox -s emulator --",
        description="The local target's AWS emulator (moto, with functions and streams run).",
        epilog="; ".join(f"{name}: {what}" for name, what in COMMANDS.items()),
    )
    parser.add_argument("command", nargs="?", default="status", choices=tuple(COMMANDS))
    command = parser.parse_args(argv).command
    if command == "start":
        try:
            start_emulator()
        except EmulatorError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    elif command == "stop":
        if stop_emulator():
            left = local_stacks_with_resources()
            if left:
                print(
                    f"emulator: the local stacks {', '.join(left)} describe resources that went "
                    "with it (it keeps AWS's state in memory); `nox -s emulator -- reset`, then "
                    "deploy again"
                )
    elif command == "reset":
        record = running_emulator()
        if record:
            reset_emulator(record.endpoint)
        # The stacks' state describes resources the emulator no longer has: gone with them.
        shutil.rmtree(LOCAL_STATE, ignore_errors=True)
        print(f"emulator: reset; local stacks' state removed ({LOCAL_STATE})")
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
