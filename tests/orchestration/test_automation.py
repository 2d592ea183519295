"""The Automation API adapter: a missing Pulumi CLI is one clear line; the virtualenvs it fills."""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto
from pulumi._version import version as sdk_version
from pulumi.automation import _cmd as auto_cmd

from orchestration import automation, targets
from orchestration.engine import StackRef, revision_message
from shared.errors import PlatformError
from shared.layers import COMPUTE, DATA, LAYERS, NETWORK, REPO_ROOT
from tests.support import pulumi_cli
from tests.support.checkout import make_checkout
from tests.support.processes import python


def _path_without_pulumi() -> str:
    entries = os.environ["PATH"].split(os.pathsep)
    return os.pathsep.join(p for p in entries if not (Path(p) / "pulumi").exists())


def test_missing_cli_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(automation, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    with pytest.raises(PlatformError) as caught:
        automation.find_cli(install=False)
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
    monkeypatch.setattr(automation, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    with pytest.raises(PlatformError, match=r"could not install the Pulumi CLI into \.pulumi/"):
        automation.find_cli(install=True, log=lambda _line: None)


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
    monkeypatch.setattr(automation, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    said: list[str] = []
    command = automation.find_cli(install=True, log=said.append)
    assert command.command == str(tmp_path / ".pulumi" / "bin" / "pulumi")
    assert str(command.version) == str(sdk_version)
    assert said == [
        f"the Pulumi CLI was not found; installing v{sdk_version} into .pulumi/ (once) ..."
    ]
    assert f"--install-root {tmp_path / '.pulumi'} --version {sdk_version}" in calls.read_text()
    # Found there the next time, without installing again.
    assert automation.find_cli(install=False).command == command.command


def test_deploy_without_cli_fails_fast_without_a_traceback_or_an_emulator(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PATH": os.path.dirname(sys.executable)}
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
    prepared = {venv.path for venv in automation.VIRTUALENVS}
    projects = [layer.directory / "Pulumi.yaml" for layer in LAYERS.values()]
    projects.append(automation.POLICY_PACK / "PulumiPolicy.yaml")
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

    stacks, pack = automation.VIRTUALENVS
    # The stacks get pyproject's dependencies alone: no extra, so no tool dependency.
    assert stacks.requirement == "."
    assert names(None) == {"pulumi", "pulumi-aws"}
    # The pack gets an extra that exists and brings pulumi-policy, which its code imports.
    extra = re.fullmatch(r"\.\[([a-z-]+)\]", pack.requirement)
    assert extra is not None
    assert "pulumi-policy" in names(extra.group(1))
    assert "pulumi_policy" in pack.probe and "guardrails.pack" in pack.probe


@pytest.fixture
def programs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(automation, "PROGRAMS_DIR", tmp_path)
    return tmp_path


def test_the_generated_project_layers_the_target_over_the_tracked_stack_file(
    programs: Path,
) -> None:
    tracked = DATA.directory / "Pulumi.dev.yaml"
    before = tracked.read_bytes()
    stack = StackRef(DATA, "dev", "file:///state/trading-analytics/dev")
    project = automation.program_project(
        stack, targets.local_target("http://127.0.0.1:1"), Path("/venv")
    )
    assert project.is_relative_to(programs)
    settings = yaml.safe_load((project / "Pulumi.yaml").read_text())
    assert (project / settings["main"]).resolve() == DATA.directory
    assert settings["runtime"]["options"]["virtualenv"] == "/venv"
    config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]
    assert config["aws:region"] == "us-east-1" and config["aws:s3UsePathStyle"] is True
    assert tracked.read_bytes() == before, "the tracked stack file is never written"


def test_what_the_cli_wrote_into_the_stack_file_is_kept(programs: Path) -> None:
    stack = StackRef(NETWORK, "dev", "file:///state/trading-analytics/dev")
    project = automation.program_project(stack, targets.aws_target(), Path("/venv"))
    stack_file = project / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "encryptionsalt: v1:salt\n")  # stack init
    again = automation.program_project(stack, targets.aws_target(), Path("/venv"))
    assert yaml.safe_load((again / "Pulumi.dev.yaml").read_text())["encryptionsalt"] == "v1:salt"
    other = StackRef(NETWORK, "dev", "s3://elsewhere/trading-analytics/dev")
    elsewhere = automation.program_project(other, targets.aws_target(), Path("/venv"))
    assert elsewhere != again, "each backend's stacks keep their own settings"


def test_the_organization_of_the_run_is_the_one_compute_reads_from(programs: Path) -> None:
    stack = StackRef(COMPUTE, "dev", "https://api.pulumi.com", "acme")
    project = automation.program_project(stack, targets.aws_target(), Path("/venv"))
    config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]
    assert config["trading-compute:upstream_org"] == "acme"
    network = StackRef(NETWORK, "dev", "https://api.pulumi.com", "acme")
    network_config = automation.program_project(network, targets.aws_target(), Path("/venv"))
    assert "trading-network:upstream_org" not in (network_config / "Pulumi.dev.yaml").read_text()


def test_a_rollback_reuses_the_virtualenv_only_when_the_pins_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worktree = tmp_path / "checkout"
    (worktree / "stacks" / "network").mkdir(parents=True)
    for name in ("constraints.txt", "pyproject.toml"):
        (worktree / name).write_bytes((REPO_ROOT / name).read_bytes())
    stack = StackRef(NETWORK, "dev", "file:///s", work_dir=worktree / "stacks" / "network")
    assert automation.program_virtualenv(stack, print) == automation.VIRTUALENVS[0].path
    filled: list[Path] = []
    monkeypatch.setattr(automation, "_fill", lambda venv, root, log: filled.append(venv.path))
    (worktree / "constraints.txt").write_text("pulumi==3.0.0\n")  # an older revision's pins
    assert automation.program_virtualenv(stack, print) == worktree / ".venv"
    assert filled == [worktree / ".venv"]


@pytest.mark.slow
def test_history_is_read_newest_first_across_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The adapter itself, in-process, on a checkout's program, through the CLI double.
    checkout = make_checkout(tmp_path)
    monkeypatch.setattr(automation, "PROGRAMS_DIR", tmp_path / "programs")
    monkeypatch.setattr(
        automation,
        "VIRTUALENVS",
        (automation.Virtualenv(checkout.path / ".venv", ".", ""), automation.VIRTUALENVS[1]),
    )
    monkeypatch.setattr(automation, "POLICY_PACK", checkout.path / "policy_pack")
    monkeypatch.setattr(automation, "HISTORY_PAGE", 2)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    engine = automation.AutomationEngine(
        auto.PulumiCommand(root=str(checkout.double)), targets.aws_target(), lambda _line: None
    )
    state = tmp_path / "state"
    stack = StackRef(NETWORK, "dev", state.as_uri(), work_dir=checkout.path / "stacks" / "network")
    for revision in ("c1", "c2", "c3"):
        engine.up(stack, message=revision_message("deploy", revision), on_output=lambda _l: None)
    assert [d.revision for d in engine.history(stack)] == ["c3", "c2", "c1"]
    pages = [
        argv[argv.index("--page") + 1]
        for argv in (call["argv"] for call in checkout.invocations())
        if "history" in argv and argv[argv.index("--page-size") + 1] == "2"
    ]
    assert pages == ["1", "2"]
