"""The generated projects: the target layered over the tracked stack file, which stays as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from orchestration import programs, targets
from orchestration.engine import StackRef
from shared.layers import COMPUTE, DATA, NETWORK


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path


def test_the_generated_project_layers_the_target_over_the_tracked_stack_file(root: Path) -> None:
    tracked = DATA.directory / "Pulumi.dev.yaml"
    before = tracked.read_bytes()
    stack = StackRef(DATA, "dev", "file:///state/trading-analytics/dev")
    project = programs.program_project(
        stack, targets.local_target("http://127.0.0.1:1"), Path("/venv"), root
    )
    assert project.is_relative_to(root)
    settings = yaml.safe_load((project / "Pulumi.yaml").read_text())
    assert (project / settings["main"]).resolve() == DATA.directory
    assert settings["runtime"]["options"]["virtualenv"] == "/venv"
    config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]
    assert config["aws:region"] == "us-east-1" and config["aws:s3UsePathStyle"] is True
    assert tracked.read_bytes() == before, "the tracked stack file is never written"


def test_what_the_cli_wrote_into_the_stack_file_is_kept(root: Path) -> None:
    stack = StackRef(NETWORK, "dev", "file:///state/trading-analytics/dev")
    project = programs.program_project(stack, targets.aws_target(), Path("/venv"), root)
    stack_file = project / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "encryptionsalt: v1:salt\n")  # stack init
    again = programs.program_project(stack, targets.aws_target(), Path("/venv"), root)
    assert yaml.safe_load((again / "Pulumi.dev.yaml").read_text())["encryptionsalt"] == "v1:salt"
    other = StackRef(NETWORK, "dev", "s3://elsewhere/trading-analytics/dev")
    elsewhere = programs.program_project(other, targets.aws_target(), Path("/venv"), root)
    assert elsewhere != again, "each backend's stacks keep their own settings"


def test_the_organization_of_the_run_is_the_one_compute_reads_from(root: Path) -> None:
    stack = StackRef(COMPUTE, "dev", "https://api.pulumi.com", "acme")
    project = programs.program_project(stack, targets.aws_target(), Path("/venv"), root)
    config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]
    assert config["trading-compute:upstream_org"] == "acme"
    network = StackRef(NETWORK, "dev", "https://api.pulumi.com", "acme")
    network_config = programs.program_project(network, targets.aws_target(), Path("/venv"), root)
    assert "trading-network:upstream_org" not in (network_config / "Pulumi.dev.yaml").read_text()


def test_an_unchanged_project_is_not_written_again(root: Path) -> None:
    stack = StackRef(NETWORK, "dev", "file:///state/trading-analytics/dev")
    project = programs.program_project(stack, targets.aws_target(), Path("/venv"), root)
    files = [project / "Pulumi.yaml", project / "Pulumi.dev.yaml"]
    for path in files:
        os.utime(path, ns=(1, 1))  # a time no write leaves
    programs.program_project(stack, targets.aws_target(), Path("/venv"), root)
    assert [path.stat().st_mtime_ns for path in files] == [1, 1]
    programs.program_project(stack, targets.aws_target(), Path("/other-venv"), root)
    assert (project / "Pulumi.yaml").stat().st_mtime_ns != 1, "a change is written"
