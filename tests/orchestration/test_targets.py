"""Targets: the local emulator's provider configuration, layered over the stack files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration import targets
from shared.layers import DATA


def test_local_target_points_every_service_at_the_emulator() -> None:
    target = targets.local_target("http://127.0.0.1:4566")
    [endpoints] = target.config["aws:endpoints"]
    for service in ("dynamodb", "s3", "lambda", "iam", "ec2", "logs", "sts", "appautoscaling"):
        assert endpoints[service] == "http://127.0.0.1:4566"
    assert target.config["aws:s3UsePathStyle"] is True
    for skip in (
        "aws:skipCredentialsValidation",
        "aws:skipRequestingAccountId",
        "aws:skipMetadataApiCheck",
    ):
        assert target.config[skip] is True
    assert target.env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert targets.aws_target().config == {} and targets.aws_target().endpoint is None


def test_local_config_file_layers_the_target_over_the_stack_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(targets, "LOCAL_CONFIG_DIR", tmp_path)
    stack_file = DATA.directory / "Pulumi.dev.yaml"
    before = stack_file.read_bytes()
    path = targets.stack_config_file(stack_file, targets.local_target("http://127.0.0.1:1"), "x")
    assert path is not None and path.parent == tmp_path
    config = yaml.safe_load(path.read_text())["config"]
    assert config["aws:region"] == "us-east-1"
    assert config["aws:s3UsePathStyle"] is True
    assert stack_file.read_bytes() == before, "the repository's stack file is never rewritten"
    assert targets.stack_config_file(stack_file, targets.aws_target(), "y") is None
