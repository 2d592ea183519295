"""Rollback: pick the revision to return to, and run a layer's program from that revision."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.engine import Deployment
from orchestration.plan import dependents
from shared.errors import PlatformError
from shared.layers import REPO_ROOT, Layer

# Marks a deployment made from a checkout with uncommitted changes.
DIRTY = "-dirty"


def choose_revision(history: list[Deployment], stack: str) -> str:
    """The revision of the newest successful deployment before the current one that differs.

    Redeploying the revision that is live would change nothing, so entries carrying the current
    revision are passed over.
    """
    known = [d for d in history if d.revision]
    if not known:
        raise PlatformError(
            f"{stack} has no recorded deployment revision to roll back to; use --to GIT_REF"
        )
    current = known[0].revision
    for deployment in known[1:]:
        if deployment.revision != current:
            assert deployment.revision is not None
            if deployment.revision.endswith(DIRTY):
                # Its uncommitted changes are gone: that revision cannot be checked out again.
                raise PlatformError(
                    f"{stack}'s previous deployment ran uncommitted changes on top of "
                    f"{deployment.revision.removesuffix(DIRTY)[:12]}; roll back with --to GIT_REF "
                    "naming a commit that holds what you want back"
                )
            return deployment.revision
    raise PlatformError(
        f"{stack} has no earlier successful deployment than {current[:12] if current else '?'}; "
        "use --to GIT_REF"
    )


def resolve(ref: str) -> str:
    """A git ref as a full commit id, or a one-line error."""
    result = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if result.returncode != 0:
        raise PlatformError(f"--to {ref!r} is not a commit in this repository")
    return result.stdout.strip()


def current_revision() -> str:
    result = _git("rev-parse", "HEAD", check=False)
    revision = result.stdout.strip() if result.returncode == 0 else "unknown"
    dirty = _git("status", "--porcelain", check=False).stdout.strip()
    return f"{revision}{DIRTY}" if dirty else revision


@contextmanager
def worktree(revision: str, purpose: str = "rollback") -> Iterator[Path]:
    """A temporary, detached checkout of `revision`, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"trading-{purpose}-") as parent:
        path = Path(parent) / "checkout"
        _git("worktree", "add", "--detach", str(path), revision)
        try:
            yield path
        finally:
            _git("worktree", "remove", "--force", str(path), check=False)


def unmet_needs(layer: Layer, outputs: dict[str, object]) -> list[str]:
    """What the layers reading `layer` need from it that its outputs no longer carry."""
    return [
        f"{dependent.name} needs {key!r}"
        for dependent in dependents(layer)
        for key in dependent.reads[layer.name]
        if key not in outputs
    ]


def _git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise PlatformError(f"git {args[0]} failed: {result.stderr.strip().splitlines()[-1:]}")
    return result
