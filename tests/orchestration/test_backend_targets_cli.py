"""State per environment, the local target's provider configuration, and the Pulumi CLI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from shared.errors import PlatformError
from shared.layers import DATA, REPO_ROOT
from shared.orchestration import automation, backend, targets
from shared.orchestration.backend import (
    DEFAULT_BASE,
    LOCAL_PASSPHRASE,
    backend_base,
    backend_url,
    passphrase_env,
)
from tests.processes import python


def test_each_environment_has_its_own_state_url() -> None:
    urls = {
        env: backend_url(backend_base(None, {}), env) for env in ("dev", "staging", "production")
    }
    assert urls["production"] == f"{DEFAULT_BASE}/trading-analytics/production"
    assert len(set(urls.values())) == 3
    assert backend_url(backend_base("s3://state-bucket/", {}), "dev") == (
        "s3://state-bucket/trading-analytics/dev"
    )
    assert backend_base(None, {backend.BACKEND_ENV: "gs://b"}) == "gs://b"
    assert backend_base("s3://flag", {backend.BACKEND_ENV: "gs://env"}) == "s3://flag"


def test_passphrase_never_prompts() -> None:
    local = backend_url(DEFAULT_BASE, "dev")
    assert passphrase_env(local, {}) == {"PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE}
    assert passphrase_env("https://api.pulumi.com", {}) == {}
    assert passphrase_env("s3://b/trading-analytics/dev", {"PULUMI_CONFIG_PASSPHRASE": "x"}) == {}
    with pytest.raises(PlatformError, match="needs a secrets passphrase; set PULUMI_CONFIG_PASS"):
        passphrase_env("s3://b/trading-analytics/dev", {})


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
    result = python("-m", "shared.orchestration", "deploy", "dev", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the Pulumi CLI was not found")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout.startswith("target: local AWS emulator")
    assert state.exists() == before, "nothing is started when nothing can run"
