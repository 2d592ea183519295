"""The orchestration CLI: what every run prints first, one-line mistakes, merged outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from orchestration import cli
from orchestration.options import LayersOptions
from shared import layers
from shared.layers import REPO_ROOT
from tests.support.cli_harness import Harness


def test_outputs_merge_the_described_seven_then_where_to_look(harness: Harness) -> None:
    aws = ("--target", "aws")
    harness.run("deploy", "dev", *aws, "--skip-preflight")
    table = harness.run("outputs", "dev", *aws)
    assert "lambda_function_name  lambda_function_name-value" in table.out
    as_json = harness.run("outputs", "dev", *aws, "--json")
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
    assert "dashboard_name        (not deployed)" in result.out
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


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        cli.parse(argv)
    assert exited.value.code == 2
    return capsys.readouterr().err.splitlines()[-1]


def test_usage_marks_layer_optional_and_requires_only_env(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _usage_error(["deploy"], capsys)
    assert line == "nox -s deploy --: error: the following arguments are required: ENV"


def test_no_option_is_accepted_by_an_abbreviation(capsys: pytest.CaptureFixture[str]) -> None:
    # `--dry` is a prefix of --dry-run only: argparse would take it, and a later option
    # starting so would change what an old script means.
    line = _usage_error(["deploy", "dev", "--dry"], capsys)
    assert "unrecognized arguments: --dry; did you mean --dry-run?" in line
    conf = _usage_error(["destroy", "dev", "--conf", "x"], capsys)
    assert "unrecognized arguments: --conf" in conf


def test_allow_replace_takes_one_urn_per_flag_and_leaves_env_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    table, bucket = "urn:a::table", "urn:a::bucket"
    parsed = cli.parse(["deploy", "--allow-replace", table, "production"])
    assert isinstance(parsed, LayersOptions)
    assert parsed.environment == "production" and parsed.allow_replace == (table,)
    both = cli.parse(["deploy", "production", "--allow-replace", table, "--allow-replace", bucket])
    assert isinstance(both, LayersOptions) and both.allow_replace == (table, bucket)
    line = _usage_error(["deploy", "dev", "--allow-replace", table], capsys)
    assert line == (
        "nox -s deploy --: error: --allow-replace is for protected environments; dev is not "
        "protected (its stateful resources are replaced without it), so there is nothing to allow"
    )


def test_the_dry_run_names_the_target_once(harness: Harness) -> None:
    out = harness.run("deploy", "dev", "--dry-run").out
    assert out.count("local AWS emulator") == 1 and out.startswith("target: ")


def test_on_the_local_target_outputs_leave_out_the_aws_console_url(harness: Harness) -> None:
    assert harness.run("deploy", "dev").code == 0
    local = json.loads(harness.run("outputs", "dev", "--json").out)
    assert "dashboard_url" not in local and local["dashboard_name"]
    assert harness.run("deploy", "dev", "--target", "aws", "--skip-preflight").code == 0
    aws = json.loads(harness.run("outputs", "dev", "--target", "aws", "--json").out)
    assert aws["dashboard_url"]


def _stacks_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, layer: str, region: str) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(REPO_ROOT / "stacks", stacks)
    path = stacks / layer / "Pulumi.dev.yaml"
    text = path.read_text()
    path.write_text(text.replace("aws:region: us-east-1", f"aws:region: {region}"))
    assert f"aws:region: {region}" in path.read_text()
    monkeypatch.setattr(layers, "REPO_ROOT", tmp_path)


def test_a_region_the_provider_does_not_know_is_refused_in_one_line(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _stacks_with(monkeypatch, tmp_path, "network", "mars-east-1")
    result = harness.run("deploy", "dev", "--dry-run")
    assert result.code == 1
    [line] = result.err.splitlines()
    assert "Pulumi.dev.yaml: aws:region" in line and "'mars-east-1'" in line
    assert "a region the AWS provider knows" in line
    assert harness.engine.calls == []


def test_one_environments_layers_in_different_regions_are_refused(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _stacks_with(monkeypatch, tmp_path, "data", "eu-west-1")
    for argv in (["deploy", "dev"], ["deploy", "dev", "compute", "--dry-run"]):
        result = harness.run(*argv)
        assert result.code == 1, argv
        [line] = result.err.splitlines()
        assert line == (
            "error: the layers of dev name different regions (network us-east-1, data "
            "eu-west-1, compute us-east-1): compute uses network's and data's resources, which "
            "exist in one region; set the same aws:region in every Pulumi.dev.yaml"
        )
    assert harness.engine.calls == []
