"""The local target's stacks against the emulator's memory: state written before the running
emulator started describes resources it never held (it keeps AWS's state in memory only)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from emulator.process import EmulatorRecord, holds_resources
from shared.errors import PlatformError

RESET = "nox -s emulator -- reset"
STOP = "nox -s emulator -- stop"


def state_files(backend_url: str) -> list[Path]:
    """A file:// backend's stack state files: `<url>/.pulumi/stacks/<project>/<stack>.json`."""
    parts = urlsplit(backend_url)
    if parts.scheme != "file":
        return []
    root = Path(unquote(parts.path)) / ".pulumi" / "stacks"
    return sorted(root.glob("*/*.json")) if root.is_dir() else []


def stale(backend_url: str, record: EmulatorRecord) -> list[Path]:
    """State files with resources, written before this emulator started."""
    return [
        path
        for path in state_files(backend_url)
        if path.stat().st_mtime < record.started and holds_resources(path)
    ]


def check(backend_url: str, record: EmulatorRecord) -> None:
    """Refuse in one line when the local stacks describe resources the emulator lost."""
    old = stale(backend_url, record)
    if old:
        names = ", ".join(path.stem for path in old)
        raise PlatformError(
            f"the emulator was restarted (pid {record.pid}) after {names} were deployed: their "
            f"resources are gone; wipe the local state with `{RESET}`, then deploy again"
        )


def check_stopped(backend_url: str) -> None:
    """With no emulator running, refuse in one line when the local stacks describe resources:
    they went with the emulator that held them."""
    held = [path for path in state_files(backend_url) if holds_resources(path)]
    if held:
        names = ", ".join(path.stem for path in held)
        raise PlatformError(
            f"the emulator is not running, so the resources of {names} are gone with it (it "
            f"keeps AWS's state in memory); wipe the local state with `{RESET}`, then deploy again"
        )


def still_running(record: EmulatorRecord) -> str:
    return f"emulator: still running (pid {record.pid} at {record.endpoint}); stop it with `{STOP}`"
