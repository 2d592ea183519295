"""The one way orchestration asks git: a command in a checkout, its failure as one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

from shared.errors import PlatformError
from shared.layers import REPO_ROOT


class GitError(PlatformError):
    """git is missing, or a git command failed (its last stderr line)."""


def run(*args: str, root: Path = REPO_ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`git ARGS` in `root`; with `check`, a failure raises GitError naming the command."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise GitError("git is not installed, and this command needs it") from None
    if check and result.returncode != 0:
        message = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise GitError(f"git {' '.join(args)}: {message}")
    return result


def output(*args: str, root: Path = REPO_ROOT) -> str:
    """What `git ARGS` printed, stripped; GitError when it failed."""
    return run(*args, root=root).stdout.strip()
