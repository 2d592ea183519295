"""`--affected`: changed paths (committed or not) to layers, and the layers that read them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orchestration import affected as affected_module
from orchestration.affected import affected
from shared.errors import PlatformError
from shared.layers import LAYERS
from tests.support.cli_harness import Harness

FILES = (
    "stacks/network/__main__.py",
    "stacks/data/__main__.py",
    "stacks/compute/__main__.py",
    "functions/data_processor/handler.py",
    "shared/naming.py",
    "docs/deploying.md",
)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on `main` with one commit of the project's shape, then a feature branch."""
    _git(tmp_path, "init", "-q", "-b", "main")
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("# v1\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def _change(repo: Path, path: str, commit: bool = True) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# changed\n")
    if commit:
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", f"change {path}")


def test_a_change_under_stacks_data_selects_data_then_compute(repo: Path) -> None:
    _change(repo, "stacks/data/__main__.py")
    selection = affected(root=repo)
    assert selection.layers == ["data", "compute"]
    assert selection.reasons == {
        "data": ["stacks/data/__main__.py"],
        "compute": ["reads data"],
    }


def test_a_change_to_the_function_selects_compute_only(repo: Path) -> None:
    _change(repo, "functions/data_processor/trade_analytics/store.py")
    assert affected(root=repo).reasons == {
        "compute": ["functions/data_processor/trade_analytics/store.py"]
    }


def test_the_shared_library_and_the_pins_affect_every_layer(repo: Path) -> None:
    _change(repo, "shared/naming.py")
    assert affected(root=repo).layers == ["network", "data", "compute"]


def test_docs_affect_nothing(repo: Path) -> None:
    _change(repo, "docs/deploying.md")
    assert affected(root=repo).layers == []
    assert affected(root=repo).render().startswith("no layer is affected by the changes since")


def test_uncommitted_and_untracked_changes_count(repo: Path) -> None:
    _change(repo, "stacks/network/__main__.py", commit=False)
    _change(repo, "stacks/compute/extra.py", commit=False)  # untracked
    assert affected(root=repo).reasons == {
        "network": ["stacks/network/__main__.py"],
        "compute": ["stacks/compute/extra.py", "reads network"],
    }


def test_on_the_default_branch_the_base_is_the_previous_commit(repo: Path) -> None:
    _git(repo, "checkout", "-q", "main")
    _change(repo, "stacks/data/__main__.py")
    _change(repo, "functions/data_processor/handler.py")
    # Only the last commit (HEAD~1..HEAD): the function, not the data stack.
    assert affected(root=repo).layers == ["compute"]
    assert affected("HEAD~2", root=repo).layers == ["data", "compute"]


def test_an_unknown_ref_is_one_line(repo: Path) -> None:
    with pytest.raises(PlatformError, match="unknown git revision 'nope'; give a commit"):
        affected("nope", root=repo)


@pytest.fixture
def changed(harness: Harness, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """dev deployed, then a change to the data program in the repository --affected reads."""
    harness.run("deploy", "dev")
    harness.engine.calls.clear()
    monkeypatch.setattr(affected_module, "REPO_ROOT", repo)
    _change(repo, "stacks/data/__main__.py")
    return harness


def test_deploy_affected_plans_only_the_affected_layers_and_says_why(
    harness: Harness, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(affected_module, "REPO_ROOT", repo)
    _change(repo, "stacks/data/__main__.py")
    result = harness.run("deploy", "dev", "--affected", "--dry-run")
    assert result.code == 0, result.err
    assert "  data: stacks/data/__main__.py\n  compute: reads data\n" in result.out
    assert "data" in result.out and "trading-network/dev" not in result.out
    assert harness.engine.calls == []


def test_preview_affected_runs_data_then_compute(changed: Harness) -> None:
    assert changed.run("preview", "dev", "--affected").code == 0
    previewed = [c.layer for c in changed.engine.operations("preview")]
    assert previewed == ["data", "compute"]


def test_layers_and_affected_together_are_refused(harness: Harness) -> None:
    result = harness.run("deploy", "dev", "data", "--affected")
    assert result.code == 1
    assert result.err == "error: name LAYERs or use --affected, not both\n"


def test_deploy_affected_skips_a_reader_whose_inputs_did_not_change(changed: Harness) -> None:
    # The data layer's update exports the same outputs as before.
    result = changed.run("deploy", "dev", "--affected")
    assert result.code == 0, result.err
    assert [c.layer for c in changed.engine.operations("up")] == ["data"]
    assert "[compute] skipped: the outputs it reads are unchanged" in result.out
    lines = result.out.splitlines()
    summary = lines[next(n for n, line in enumerate(lines) if line.startswith("report: ")) - 1]
    assert "(the outputs it reads are unchanged)" in summary


def test_deploy_affected_deploys_the_reader_when_an_output_it_reads_changed(
    changed: Harness,
) -> None:
    data = LAYERS["data"]
    changed.engine.exports["data"] = {
        **{key: f"{key}-value" for key in data.exports},
        "trade_stream_arn": "arn:aws:kinesis:us-east-1:1:stream/replaced",
    }
    result = changed.run("deploy", "dev", "--affected")
    assert result.code == 0, result.err
    assert [c.layer for c in changed.engine.operations("up")] == ["data", "compute"]


def test_an_output_the_reader_does_not_read_does_not_cascade(changed: Harness) -> None:
    data = LAYERS["data"]
    # trade_stream_shards is for producers; compute does not read it.
    changed.engine.exports["data"] = {
        **{key: f"{key}-value" for key in data.exports},
        "trade_stream_shards": 128,
    }
    assert changed.run("deploy", "dev", "--affected").code == 0
    assert [c.layer for c in changed.engine.operations("up")] == ["data"]


def test_preview_affected_skips_the_reader_when_the_upstream_would_change_nothing(
    changed: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        changed.engine, "preview", lambda stack, on_output, on_step=None: {"same": 16}
    )
    result = changed.run("preview", "dev", "--affected")
    assert result.code == 0
    assert "[compute] skipped: the outputs it reads are unchanged" in result.out


def test_on_main_ahead_of_origin_the_base_is_where_origin_is(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    _git(repo, "checkout", "-q", "main")
    _git(tmp_path, "clone", "-q", str(repo), str(clone))
    _change(clone, "stacks/data/__main__.py")
    _change(clone, "functions/data_processor/handler.py")
    # Both unpushed commits count, not only the last one (origin/HEAD is the merge base).
    selection = affected(root=clone)
    assert selection.layers == ["data", "compute"]
    assert selection.base == _git(repo, "rev-parse", "--short", "HEAD").strip()
