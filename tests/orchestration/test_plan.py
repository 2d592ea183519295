"""Guards (production, dependents, upstream outputs) and dry-run plans."""

from __future__ import annotations

import pytest

from tests.support.cli_harness import Harness


def test_dry_run_plans_network_and_data_before_compute_with_the_backend(
    harness: Harness,
) -> None:
    result = harness.run("deploy", "production", "--dry-run")
    assert result.code == 0
    lines = result.out.splitlines()
    network = next(i for i, line in enumerate(lines) if "deploy network" in line)
    data = next(i for i, line in enumerate(lines) if "deploy data" in line)
    compute = next(i for i, line in enumerate(lines) if "deploy compute" in line)
    assert max(network, data) < compute
    assert "backend: file://" in result.out and "/trading-analytics/production" in result.out
    assert "organization/trading-compute/production" in result.out
    assert harness.cli_checked == [] and harness.engine.calls == [], "a dry run touches nothing"


def test_destroy_dry_run_lists_dependents_first(harness: Harness) -> None:
    result = harness.run("destroy", "dev", "--dry-run")
    assert result.out.index("destroy compute") < result.out.index("destroy network")
    assert "(a deployed layer that reads a destroyed one is checked at run time; " in result.out


@pytest.mark.parametrize("confirm", [[], ["--confirm", "dev"], ["--confirm", "Production"]])
def test_production_destroy_needs_its_name(harness: Harness, confirm: list[str]) -> None:
    for argv in (
        ["destroy", "production", *confirm],
        ["destroy", "production", "--dry-run", *confirm],
    ):
        result = harness.run(*argv)
        assert result.code == 1
        assert result.err == (
            "error: refusing to destroy production: it is protected; "
            "add --confirm production to proceed\n"
        )
    assert harness.engine.calls == []


def test_production_destroy_with_confirmation_runs(harness: Harness) -> None:
    harness.run("deploy", "production")
    result = harness.run("destroy", "production", "--confirm", "production")
    assert result.code == 0 and harness.engine.stacks == {}


def test_a_layer_a_deployed_layer_reads_is_not_destroyed_alone(harness: Harness) -> None:
    harness.run("deploy", "dev")
    result = harness.run("destroy", "dev", "network")
    assert result.code == 1
    assert "refusing to destroy network: compute (organization/trading-compute/dev)" in result.err
    assert "nox -s destroy -- dev compute network" in result.err
    assert harness.engine.operations("destroy") == []
    assert harness.run("destroy", "dev", "compute", "network").code == 0
    assert set(harness.engine.stacks) == {"organization/trading-data/dev"}


def test_single_layer_deploy_needs_its_upstreams_first(harness: Harness) -> None:
    result = harness.run("deploy", "dev", "compute")
    assert result.code == 1
    assert result.err == (
        "error: cannot deploy compute: organization/trading-network/dev has never been deployed; "
        "deploy it first: nox -s deploy -- dev network\n"
    )
    harness.run("deploy", "dev", "network", "data")
    del harness.engine.stacks["organization/trading-data/dev"]["s3_bucket_arn"]
    result = harness.run("deploy", "dev", "compute")
    assert "organization/trading-data/dev has no output 's3_bucket_arn'" in result.err
    harness.run("deploy", "dev", "data")
    assert harness.run("deploy", "dev", "compute").code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["deploy", "qa"],
            "environment = 'qa' is not allowed; expected one of dev, staging, production",
        ),
        (
            ["deploy", "dev", "storage"],
            "unknown layer 'storage'; expected any of network, data, compute",
        ),
        (["deploy", "dev", "--backend", "ftp://x"], "--backend 'ftp://x' is not a backend URL"),
    ],
)
def test_user_mistakes_get_one_line(harness: Harness, argv: list[str], message: str) -> None:
    result = harness.run(*argv)
    assert result.code == 1
    assert result.err.count("\n") == 1 and message in result.err


def test_dry_runs_print_the_backend_each_environment_really_uses(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRADING_ANALYTICS_BACKEND")  # the defaults are what is tested
    s3 = harness.run("deploy", "dev", "--dry-run", "--backend", "s3://bkt?region=eu-west-1")
    assert "backend: s3://bkt/trading-analytics/dev?region=eu-west-1" in s3.out
    cloud = harness.run(
        "deploy", "dev", "--dry-run", "--backend", "https://api.pulumi.com", "--org", "acme"
    )
    assert "backend: https://api.pulumi.com\n" in cloud.out
    for layer in ("network", "data", "compute"):
        assert f"acme/trading-{layer}/dev" in cloud.out
    local = harness.run("deploy", "dev", "--dry-run", "--target", "local").out
    aws = harness.run("deploy", "dev", "--dry-run", "--target", "aws").out
    backend = [line for line in local.splitlines() if "backend:" in line]
    assert backend and backend[0] not in aws
    assert "/.state/local/" in backend[0]
