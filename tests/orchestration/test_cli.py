"""The orchestration CLI: what every run prints first, one-line mistakes, merged outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestration import cli
from shared import layers
from shared.layers import REPO_ROOT
from tests.support.cli_harness import Harness


def test_outputs_merge_the_described_seven_then_where_to_look(harness: Harness) -> None:
    harness.run("deploy", "dev")
    table = harness.run("outputs", "dev")
    assert "lambda_function_name  lambda_function_name-value" in table.out
    as_json = harness.run("outputs", "dev", "--json")
    document = json.loads(as_json.out)
    assert list(document) == [
        "lambda_function_name",
        "lambda_function_arn",
        "dynamodb_table_name",
        "s3_bucket_name",
        "vpc_id",
        "log_group_name",
        "environment",
        "alarm_topic_arn",
        "dashboard_name",
        "dashboard_url",
    ]
    assert all(document.values())


def test_outputs_of_an_undeployed_environment_say_so_and_fail(harness: Harness) -> None:
    result = harness.run("outputs", "staging")
    assert "vpc_id                (not deployed)" in result.out
    assert "dashboard_url         (not deployed)" in result.out
    assert result.code == 1
    assert result.err.startswith("error: staging has no lambda_function_name, ")
    assert result.err.endswith(": not deployed (nox -s deploy -- staging)\n")


def test_outputs_as_json_put_only_the_json_on_stdout(harness: Harness) -> None:
    harness.run("deploy", "dev")
    result = harness.run("outputs", "dev", "--json")
    assert result.code == 0
    assert json.loads(result.out)["vpc_id"] == "vpc_id-value"  # nothing else on stdout
    assert result.err.startswith("target: local AWS emulator")


def test_every_run_names_its_target_first(harness: Harness) -> None:
    aws = ["deploy", "dev", "--target", "aws", "--skip-preflight"]  # preflight: test_preflight
    for argv in (["deploy", "dev"], ["outputs", "dev"], aws):
        first = harness.run(*argv).out.splitlines()[0]
        assert first.startswith("target: "), first
    assert [t.name for t in harness.targets] == ["local", "local", "aws"]


def test_bad_config_in_compute_stops_the_run_before_any_layer_or_the_engine(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(REPO_ROOT / "stacks", stacks)
    bad = stacks / "compute" / "Pulumi.dev.yaml"
    bad.write_text(bad.read_text() + "  trading-compute:lambda_memory_mb: 99999\n")
    monkeypatch.setattr(layers, "REPO_ROOT", tmp_path)  # where Layer.directory looks
    for argv in (["deploy", "dev"], ["deploy", "dev", "--dry-run"], ["preview", "dev"]):
        result = harness.run(*argv)
        assert result.code == 1
        [line] = result.err.splitlines()
        assert (
            line.startswith("error: ")
            and "Pulumi.dev.yaml: trading-compute:lambda_memory_mb" in line
        )
        assert "from 128 to 10240" in line
    assert harness.engine.calls == [] and harness.targets == [], "no engine, no emulator"


def test_help_needs_no_environment_and_shows_the_double_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["deploy", "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: nox -s deploy -- ")


def test_a_mistyped_flag_suggests_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["deploy", "dev", "--dryrun"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "nox -s deploy --: error: unrecognized arguments: --dryrun; did you mean --dry-run?"
    )


@pytest.mark.parametrize("url", ["file://mystate", "s3://", "https://host/path"])
def test_a_bad_backend_is_refused_in_one_line_before_anything_starts(
    harness: Harness, url: str
) -> None:
    for argv in (["deploy", "dev"], ["deploy", "dev", "--dry-run"], ["outputs", "dev"]):
        result = harness.run(*argv, "--backend", url)
        assert result.code == 1 and result.out == ""
        [line] = result.err.splitlines()
        assert line.startswith(f"error: --backend {url!r}")
    assert harness.engine.calls == [] and harness.cli_checked == [], "no CLI, no engine"
