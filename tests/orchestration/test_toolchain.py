"""The toolchain: a missing Pulumi CLI is one clear line, or installed; the virtualenvs filled."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from pulumi._version import version as sdk_version
from pulumi.automation import _cmd as auto_cmd

from orchestration import toolchain
from orchestration.engine import StackRef
from shared.errors import PlatformError
from shared.layers import LAYERS, NETWORK, REPO_ROOT
from tests.support import pulumi_cli
from tests.support.processes import python


def _path_without_pulumi() -> str:
    entries = os.environ["PATH"].split(os.pathsep)
    return os.pathsep.join(p for p in entries if not (Path(p) / "pulumi").exists())


def test_missing_cli_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(toolchain, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    with pytest.raises(PlatformError) as caught:
        toolchain.find_cli(install=False)
    assert str(caught.value) == (
        "the Pulumi CLI was not found on PATH or in .pulumi/bin (and --no-install-cli was given);"
        " install it by hand (see 'Download & install Pulumi' in the Pulumi docs: curl -fsSL "
        "https://get.pulumi.com | sh) and put it on PATH"
    )


def test_install_cli_that_cannot_download_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real installer, which downloads: the suite's loopback guard makes it fail here as
    # it does on any machine without internet.
    monkeypatch.setenv("PATH", _path_without_pulumi())
    monkeypatch.setattr(toolchain, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    with pytest.raises(PlatformError, match=r"could not install the Pulumi CLI into \.pulumi/"):
        toolchain.find_cli(install=True, log=lambda _line: None)


def test_a_missing_cli_is_installed_into_dot_pulumi_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Automation API's own installer, with its download answered here: the install script it
    # fetches is a stand-in that puts the CLI double where the real script puts the CLI.
    source = pulumi_cli.install(tmp_path / "double")
    calls = tmp_path / "install-args"

    def download(url: str, path: str) -> None:
        assert url == "https://get.pulumi.com/install.sh"
        Path(path).write_text(
            "#!/bin/sh\n"
            f'echo "$@" > {calls}\n'
            'while [ $# -gt 0 ]; do [ "$1" = --install-root ] && root=$2; shift; done\n'
            f'mkdir -p "$root/bin" && cp {source} "$root/bin/pulumi"\n'
        )

    monkeypatch.setattr(auto_cmd, "_download_to_file", download)
    monkeypatch.setenv("PATH", _path_without_pulumi())
    monkeypatch.setattr(toolchain, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    said: list[str] = []
    command = toolchain.find_cli(install=True, log=said.append)
    assert command.command == str(tmp_path / ".pulumi" / "bin" / "pulumi")
    assert str(command.version) == str(sdk_version)
    assert said == [
        f"the Pulumi CLI was not found; installing v{sdk_version} into .pulumi/ (once) ..."
    ]
    assert f"--install-root {tmp_path / '.pulumi'} --version {sdk_version}" in calls.read_text()
    # Found there the next time, without installing again.
    assert toolchain.find_cli(install=False).command == command.command


def test_deploy_without_cli_fails_fast_without_a_traceback_or_an_emulator(
    tmp_path: Path,
) -> None:
    # A backend of the test's own: the checkout's `.state/` (a user's stacks and locks) is never
    # touched (the suite's guard, tests/conftest.py, fails a test that writes there).
    env = {
        **os.environ,
        "PATH": os.path.dirname(sys.executable),
        "TRADING_ANALYTICS_BACKEND": tmp_path.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "test",
    }
    state = REPO_ROOT / ".state" / "emulator.json"
    before = state.exists()
    result = python("-m", "orchestration", "deploy", "dev", "--no-install-cli", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the Pulumi CLI was not found")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout.startswith("target: local AWS emulator")
    assert state.exists() == before, "nothing is started when nothing can run"


def test_every_project_runs_in_a_virtualenv_the_sessions_prepare() -> None:
    # The language hosts resolve `virtualenv` relative to the project's own directory.
    prepared = {venv.path for venv in toolchain.VIRTUALENVS}
    projects = [layer.directory / "Pulumi.yaml" for layer in LAYERS.values()]
    projects.append(toolchain.POLICY_PACK / "PulumiPolicy.yaml")
    for project in projects:
        runtime = yaml.safe_load(project.read_text())["runtime"]
        assert runtime["name"] == "python", project
        assert (project.parent / runtime["options"]["virtualenv"]).resolve() in prepared, project


def test_each_virtualenv_installs_what_its_code_needs_and_no_more() -> None:
    # Read from the installed project's metadata: what pip installs for each requirement.
    requires = metadata.requires("trading-analytics-platform") or []

    def names(extra: str | None) -> set[str]:
        marker = f'extra == "{extra}"'
        return {
            re.split(r"[<>=!~; \[]", r, maxsplit=1)[0].lower()
            for r in requires
            if (marker in r if extra else "extra ==" not in r)
        }

    stacks, pack = toolchain.VIRTUALENVS
    # The stacks get pyproject's dependencies alone: no extra, so no tool dependency.
    assert stacks.requirement == "."
    assert names(None) == {"pulumi", "pulumi-aws"}
    # The pack gets an extra that exists and brings pulumi-policy, which its code imports.
    extra = re.fullmatch(r"\.\[([a-z-]+)\]", pack.requirement)
    assert extra is not None
    assert "pulumi-policy" in names(extra.group(1))
    assert "pulumi_policy" in pack.probe and "guardrails.pack" in pack.probe


def test_a_rollback_reuses_the_virtualenv_only_when_the_pins_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worktree = tmp_path / "checkout"
    (worktree / "stacks" / "network").mkdir(parents=True)
    for name in ("constraints.txt", "pyproject.toml"):
        (worktree / name).write_bytes((REPO_ROOT / name).read_bytes())
    stack = StackRef(NETWORK, "dev", "file:///s", work_dir=worktree / "stacks" / "network")
    assert toolchain.program_virtualenv(stack, print) == toolchain.VIRTUALENVS[0].path
    filled: list[Path] = []
    monkeypatch.setattr(toolchain, "_fill", lambda venv, root, log: filled.append(venv.path))
    (worktree / "constraints.txt").write_text("pulumi==3.0.0\n")  # an older revision's pins
    assert toolchain.program_virtualenv(stack, print) == worktree / ".venv"
    assert filled == [worktree / ".venv"]


def test_the_cli_installed_into_the_checkout_is_ignored_by_git() -> None:
    # Or every deploy would record `<rev>-dirty`, and promote would refuse it.
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(toolchain.LOCAL_CLI_ROOT / "bin" / "pulumi")],
        cwd=REPO_ROOT,
        check=False,
    )
    assert ignored.returncode == 0


def test_a_probe_stopped_by_ctrl_c_installs_nothing(tmp_path: Path) -> None:
    # Ctrl-C reaches the probe too: its death says nothing of the virtualenv, so no pip install
    # follows it (a pip run there, also interrupted, could leave the virtualenv half-installed).
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    calls = tmp_path / "calls"
    python.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nkill -INT $$\n')
    python.chmod(0o755)
    said: list[str] = []
    venv = toolchain.Virtualenv(tmp_path / "venv", ".", "import nothing")
    with pytest.raises(PlatformError, match=r"checking venv was interrupted; nothing installed"):
        toolchain._fill(venv, tmp_path, said.append)
    assert calls.read_text().splitlines() == ["-c import nothing"] and said == []
