"""Every session as a user runs it, through the real Automation API and the Pulumi CLI double.

Each test copies the working tree into a git repository of its own (tests/support/checkout.py), so
what the CLI writes, and what git then reports, is observed as on a user's machine.
"""

from __future__ import annotations

import json

import pytest

from tests.support.checkout import Checkout

pytestmark = pytest.mark.slow
DESCRIBED = (
    "lambda_function_name",
    "lambda_function_arn",
    "dynamodb_table_name",
    "s3_bucket_name",
    "vpc_id",
    "log_group_name",
    "environment",
)


def _commands(checkout: Checkout, verb: str) -> list[list[str]]:
    return [call["argv"] for call in checkout.invocations() if verb in call["argv"]]


def test_deploy_runs_every_layer_with_the_policy_pack_and_records_the_revision(
    checkout: Checkout,
) -> None:
    result = checkout.run("deploy", "dev", "--target", "aws")
    assert result.returncode == 0, result.stderr
    assert "compute  succeeded" in result.stdout and "network  succeeded" in result.stdout
    ups = _commands(checkout, "up")
    assert len(ups) == 3
    revision = checkout.git("rev-parse", "HEAD")
    for argv in ups:
        assert argv[argv.index("--policy-pack") + 1] == str(checkout.path / "policy_pack")
        assert argv[argv.index("--message") + 1] == f"trading-analytics deploy rev={revision}"
    printed = checkout.run("outputs", "dev", "--target", "aws", "--json").stdout
    outputs = json.loads(printed.split("\n", 1)[1])  # after the target line
    assert set(outputs) == set(DESCRIBED) and all(outputs.values())
    assert outputs["lambda_function_name"] == "data-processor-dev-us-east-1"


def test_preview_after_deploy_changes_nothing_and_drift_sees_none(checkout: Checkout) -> None:
    assert checkout.run("deploy", "dev", "--target", "aws").returncode == 0
    preview = checkout.run("preview", "dev", "--target", "aws")
    assert preview.returncode == 0, preview.stderr
    assert "create" not in preview.stdout.split("layer ", 1)[1]
    drift = checkout.run("drift", "dev", "--target", "aws")
    assert drift.returncode == 0, drift.stdout + drift.stderr


def test_drift_fails_naming_the_layer_whose_resources_changed(checkout: Checkout) -> None:
    assert checkout.run("deploy", "dev", "--target", "aws").returncode == 0
    (checkout.double / "drift").write_text("analytics-table\n")  # changed outside Pulumi
    drift = checkout.run("drift", "dev", "--target", "aws")
    assert drift.returncode == 1
    assert "data     drifted" in drift.stdout and "network  succeeded" in drift.stdout


def test_destroy_takes_dependents_first_and_leaves_no_outputs(checkout: Checkout) -> None:
    assert checkout.run("deploy", "dev", "--target", "aws").returncode == 0
    destroy = checkout.run("destroy", "dev", "--target", "aws")
    assert destroy.returncode == 0, destroy.stderr
    stacks = [argv[argv.index("--stack") + 1] for argv in _commands(checkout, "destroy")]
    assert stacks[0] == "organization/trading-compute/dev"
    outputs = checkout.run("outputs", "dev", "--target", "aws")
    assert "(not deployed)" in outputs.stdout


def test_compute_alone_needs_its_upstreams_deployed_first(checkout: Checkout) -> None:
    result = checkout.run("deploy", "dev", "compute", "--target", "aws")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot deploy compute:")
    assert "nox -s deploy -- dev network" in result.stderr
    assert _commands(checkout, "up") == []


def test_local_target_layers_its_provider_config_over_the_stack_file(checkout: Checkout) -> None:
    result = checkout.run("deploy", "dev", "network", "--target", "local")
    assert result.returncode == 0, result.stderr
    [argv] = _commands(checkout, "up")
    config_file = argv[argv.index("--config-file") + 1]
    assert config_file.startswith(str(checkout.path / ".state"))
    assert "aws:endpoints" in (checkout.path / config_file).read_text()


def test_smoke_on_the_local_target_fails_in_one_line_at_the_invoke(checkout: Checkout) -> None:
    # The emulator runs no Lambda code (moto needs Docker for that): a clear failure, not a trace.
    assert checkout.run("deploy", "dev", "--target", "local").returncode == 0
    smoke = checkout.run("smoke", "dev", "--target", "local")
    assert smoke.returncode == 1
    assert smoke.stderr.startswith("error: ") and "Traceback" not in smoke.stderr
