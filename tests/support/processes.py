"""Running this interpreter in a child process, as a user's shell or Lambda would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from shared.layers import REPO_ROOT


def python(
    *args: str, cwd: Path = REPO_ROOT, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` with output captured; bounded, so a hang fails the test instead."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wrapper_python(venv: Path) -> Path:
    """A virtualenv that is this interpreter under another name (nothing installed)."""
    python = venv / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    # pip through it would install into the suite's own virtualenv (an editable install there
    # would then point at the test's checkout): refused, so a test cannot damage the suite.
    python.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then\n'
        '  echo "this test virtualenv is the suite\'s interpreter: pip refused" >&2; exit 1\n'
        "fi\n"
        f'exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    return venv
