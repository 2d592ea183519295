"""The Automation API adapter: a missing Pulumi CLI is one clear line; the virtualenvs it fills."""

from __future__ import annotations

import os
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from orchestration import automation
from shared.errors import PlatformError
from shared.layers import LAYERS, REPO_ROOT
from tests.support.processes import python


def test_missing_cli_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(automation, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    with pytest.raises(PlatformError) as caught:
        automation.find_cli(install=False)
    assert str(caught.value) == (
        "the Pulumi CLI was not found on PATH or in .pulumi/bin; install it (see 'Download & "
        "install Pulumi' in the Pulumi docs) or re-run with --install-cli"
    )


def test_install_cli_that_cannot_download_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real installer, which downloads: the suite's loopback guard makes it fail here as
    # it does on any machine without internet.
    monkeypatch.setenv(
        "PATH",
        os.pathsep.join(
            p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "pulumi").exists()
        ),
    )
    monkeypatch.setattr(automation, "LOCAL_CLI_ROOT", tmp_path / ".pulumi")
    with pytest.raises(PlatformError, match=r"could not install the Pulumi CLI into \.pulumi/"):
        automation.find_cli(install=True)


def test_deploy_without_cli_fails_fast_without_a_traceback_or_an_emulator(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PATH": os.path.dirname(sys.executable)}
    state = REPO_ROOT / ".state" / "emulator.json"
    before = state.exists()
    result = python("-m", "orchestration", "deploy", "dev", env=env)
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
