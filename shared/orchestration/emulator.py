"""`nox -s emulator -- start|stop|status`: the local target's AWS emulator by hand."""

from __future__ import annotations

import sys

from shared.orchestration import targets


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "start":
        targets.start_emulator()
    elif command == "stop":
        targets.stop_emulator()
    elif command == "status":
        record = targets.running_emulator()
        print(
            f"emulator: pid {record.pid} at {record.endpoint}"
            if record
            else "emulator: not running"
        )
    else:
        print(
            f"error: unknown emulator command {command!r}; expected start, stop or status",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
