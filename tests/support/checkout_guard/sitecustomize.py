"""The suite's guard on the checkout's own state: no test, and no process a test starts, writes
into `.state/` or `build/runs/` of the checkout (a user's backend, emulator, locks and run reports).

An audit hook (PEP 578) refuses every write there with PermissionError, before it happens, and
records it in the log the suite reads after each test (tests/conftest.py fails the test naming
the path). The suite installs it in its own process; Python processes it starts (the command
line, the emulator, the CLI double) load this file as `sitecustomize` (site.py imports it at
start-up from sys.path), because the suite puts this directory first on their PYTHONPATH.

Self-contained on purpose: it runs in every child before anything else is importable.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

ROOTS_VARIABLE = "TRADING_ANALYTICS_GUARDED_ROOTS"
LOG_VARIABLE = "TRADING_ANALYTICS_GUARD_LOG"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# Audit events that change the file system, and which of their arguments are the paths changed
# (CPython's audit events table: docs.python.org/3/library/audit_events.html).
_CHANGES = {
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.replace": (0, 1),
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.symlink": (1,),
    "os.link": (1,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
    "shutil.move": (0, 1),
}
_state = threading.local()


class CheckoutWriteError(PermissionError):
    """A test wrote into the checkout's own state."""


def install(roots: list[str], log: str) -> None:
    """Refuse and record every write under `roots` from now on, in this process."""
    guarded = [os.path.normpath(root) for root in roots]
    guarded += [os.path.realpath(root) for root in roots if os.path.realpath(root) not in guarded]

    def inside(path: Any) -> str | None:
        if isinstance(path, int):
            return None  # a descriptor: opened, and checked, by path before
        try:
            name = os.fsdecode(os.fspath(path))
        except TypeError:
            return None
        full = os.path.normpath(os.path.join(os.getcwd(), name))
        for root in guarded:
            if full == root or full.startswith(root + os.sep):
                return full
        return None

    def refuse(event: str, path: str) -> None:
        _state.busy = True
        try:
            with open(log, "a", encoding="utf-8") as records:
                records.write(f"{event} {path} (pid {os.getpid()}: {' '.join(sys.argv)[:200]})\n")
        finally:
            _state.busy = False
        raise CheckoutWriteError(
            f"a test wrote into the checkout's own state ({event} {path}): tests use a temporary "
            "backend and state directory"
        )

    watched = frozenset(_CHANGES) | {"open"}

    def hook(event: str, args: tuple[Any, ...]) -> None:
        # Called for every audited event (millions in a run): the cheapest test first.
        if event not in watched or getattr(_state, "busy", False):
            return
        if event == "open":
            path, mode, flags = (*args, None, None)[:3]
            writes = (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+")
            )
            found = inside(path) if writes else None
            if found:
                refuse(event, found)
            return
        positions = _CHANGES.get(event)
        if positions is None:
            return
        for position in positions:
            found = inside(args[position]) if position < len(args) else None
            if found:
                refuse(event, found)

    sys.addaudithook(hook)


def _from_environment() -> None:
    roots, log = os.environ.get(ROOTS_VARIABLE), os.environ.get(LOG_VARIABLE)
    if roots and log:
        install(roots.split(os.pathsep), log)


_from_environment()
