"""Git revisions of deployments: the one to roll back to, the checkout's own, a worktree of one."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration import git
from orchestration.engine import Deployment
from shared.errors import PlatformError

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
    result = git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if result.returncode != 0:
        raise PlatformError(f"--to {ref!r} is not a commit in this repository")
    return result.stdout.strip()


def current_revision() -> str:
    result = git.run("rev-parse", "HEAD", check=False)
    revision = result.stdout.strip() if result.returncode == 0 else "unknown"
    dirty = git.run("status", "--porcelain", check=False).stdout.strip()
    return f"{revision}{DIRTY}" if dirty else revision


@contextmanager
def worktree(revision: str, purpose: str = "rollback") -> Iterator[Path]:
    """A temporary, detached checkout of `revision`, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"trading-{purpose}-") as parent:
        path = Path(parent) / "checkout"
        git.run("worktree", "add", "--detach", str(path), revision)
        try:
            yield path
        finally:
            git.run("worktree", "remove", "--force", str(path), check=False)
