"""Rollback: which revision, from a real git worktree, then the dependents' inputs verified."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orchestration.automation import AutomationEngine
from orchestration.backend import backend_url, default_base
from orchestration.engine import Deployment, StackRef, revision_message, revision_of
from orchestration.revisions import choose_revision, resolve
from orchestration.targets import aws_target
from shared.errors import PlatformError
from shared.layers import NETWORK, REPO_ROOT
from tests.support.cli_harness import Harness

HEAD = subprocess.run(
    ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
).stdout.strip()


def _history(*revisions: str | None) -> list[Deployment]:
    return [Deployment(r, revision_message("deploy", r) if r else "manual") for r in revisions]


def test_the_previous_different_revision_is_chosen() -> None:
    assert choose_revision(_history("c3", "c2", "c1"), "s") == "c2"
    assert choose_revision(_history("c3", "c3", None, "c2", "c1"), "s") == "c2"


@pytest.mark.parametrize(
    "history", [_history(), _history("c1"), _history("c1", "c1"), _history(None)]
)
def test_nothing_to_roll_back_to_says_use_to(history: list[Deployment]) -> None:
    with pytest.raises(PlatformError, match="use --to GIT_REF"):
        choose_revision(history, "organization/trading-data/dev")


def test_revision_round_trips_through_the_update_message() -> None:
    assert revision_of(revision_message("deploy", "abc123")) == "abc123"
    assert revision_of("someone ran pulumi up by hand") is None


def test_to_must_name_a_commit() -> None:
    assert resolve("HEAD") == HEAD
    with pytest.raises(PlatformError, match="'no-such-ref' is not a commit"):
        resolve("no-such-ref")


def test_rollback_redeploys_from_a_worktree_of_the_chosen_revision(harness: Harness) -> None:
    harness.run("deploy", "dev")
    network = "organization/trading-network/dev"
    harness.engine.histories[network] = _history("f" * 40, HEAD)  # live: f..., before: HEAD
    result = harness.run("rollback", "dev", "network")
    assert result.code == 0, result.err + result.out
    [call] = [c for c in harness.engine.operations("up") if c.program_revision]
    assert (call.layer, call.program_revision) == ("network", HEAD)
    assert harness.engine.histories[network][0].revision == HEAD
    assert "verified: every output compute reads is still exported" in result.out
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "trading-rollback-" not in worktrees, "the temporary worktree is removed"


def test_rollback_fails_when_a_dependent_loses_an_output(harness: Harness) -> None:
    harness.run("deploy", "dev")
    harness.engine.exports["network"] = {"environment": "dev", "vpc_id": "vpc-1"}
    result = harness.run("rollback", "dev", "network", "--to", "HEAD")
    assert result.code == 1
    assert "compute needs 'private_subnet_ids'" in result.out


def test_rollback_dry_run_names_the_revision_and_touches_nothing(harness: Harness) -> None:
    result = harness.run("rollback", "dev", "data", "--to", "HEAD", "--dry-run")
    assert result.code == 0
    assert f"1. rollback data     organization/trading-data/dev from {HEAD}" in result.out
    assert "2. verify the outputs compute reads from it" in result.out
    assert harness.cli_checked == [] and harness.engine.calls == []


def test_a_rolled_back_program_imports_the_library_of_its_own_revision(tmp_path: Path) -> None:
    # The Automation adapter's environment, checked without a CLI: nothing is run.
    engine = AutomationEngine(command=None, target=aws_target())
    checkout = tmp_path / "checkout"
    stack = StackRef(
        NETWORK,
        "dev",
        backend_url(default_base("aws"), "dev"),
        work_dir=checkout / "stacks" / "network",
    )
    assert engine._env(stack)["PYTHONPATH"] == str(checkout)
    current = StackRef(NETWORK, "dev", backend_url(default_base("aws"), "dev"))
    assert engine._env(current)["PYTHONPATH"] == str(REPO_ROOT)


def test_a_previous_deployment_of_uncommitted_changes_is_refused_in_one_line() -> None:
    with pytest.raises(PlatformError, match="ran uncommitted changes on top of c1; roll back with"):
        choose_revision(_history("c2", "c1-dirty", "c0"), "organization/trading-data/dev")
