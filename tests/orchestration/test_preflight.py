"""Preflight against moto standing in for accounts AWS would refuse: each check fails in one line
naming its fix, a good account passes, and a deploy on the aws target stops before any engine
call when one fails (moto's gaps for these calls are filled by emulator/gaps.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.ec2.models import vpcs as moto_vpcs
from moto.kinesis.models import KinesisBackend

from emulator import gaps
from orchestration import aws, preflight
from orchestration.context import REAL
from orchestration.engine import StackRef
from shared.layers import LAYERS
from tests.support.cli_harness import Harness

ACCOUNT = "123456789012"  # moto's
REGION = "us-east-1"


def _needs(environment: str) -> preflight.Needs:
    stacks = {
        name: StackRef(layer, environment, "file:///unused") for name, layer in LAYERS.items()
    }
    return preflight.Needs.of(stacks)


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[aws.Clients]:
    """A fresh account in moto: AWS's default quotas, nothing deployed."""
    gaps.install()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", raising=False)
    with mock_aws():
        yield aws.clients(region=REGION)


def _result(needs: preflight.Needs, clients: aws.Clients, check: str) -> preflight.Result:
    results = preflight.run_checks(needs, clients, lambda _line: None)
    return next(r for r in results if r.check == check)


def _raise_dynamodb_quotas(to: int) -> None:
    # Where the emulator's DescribeLimits reads an account's quotas (emulator/gaps.py).
    limits = {key: to for key in gaps.AWS_DEFAULT_DYNAMODB_LIMITS}
    setattr(dynamodb_backends[ACCOUNT][REGION], "gap_limits", limits)  # noqa: B010


@pytest.mark.parametrize("environment", ["dev", "staging", "production"])
def test_a_good_account_passes_every_check(environment: str, account: aws.Clients) -> None:
    _raise_dynamodb_quotas(200_000)  # production's maximum needs raised DynamoDB quotas
    lines: list[str] = []
    results = preflight.run_checks(_needs(environment), account, lines.append)
    assert preflight.failed(results) == [], lines
    assert len(lines) == len(preflight.CHECKS) and all("\n" not in line for line in lines)
    assert lines[0].startswith(f"ok   account: {environment} acts in account {ACCOUNT} as ")
    # The role does not exist before a first deploy: said, and not held against it.
    assert _result(_needs(environment), account, "function network permissions").state is (
        preflight.State.UNKNOWN
    )


def test_a_concurrency_quota_of_50_refuses_any_reservation(
    account: aws.Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "50")
    _raise_dynamodb_quotas(200_000)
    result = _result(_needs("production"), account, "lambda concurrency")
    assert result.state is preflight.State.FAILED
    assert result.line == (
        "FAIL lambda concurrency: reserving 100 would leave -50 of the account's 50 unreserved; "
        "Lambda refuses below 100; fix: raise the Service Quotas quota AWS Lambda 'Concurrent "
        "executions' (L-B99A9384) in us-east-1 to at least 200, or set "
        "trading-compute:lambda_reserved_concurrency to none"
    )
    # dev reserves none: the same account takes it.
    assert _result(_needs("dev"), account, "lambda concurrency").state is preflight.State.PASSED


def test_a_table_quota_below_the_autoscaling_maximum_fails_naming_the_quota(
    account: aws.Clients,
) -> None:
    _raise_dynamodb_quotas(40_000)  # AWS's default table quota
    needs = _needs("production")
    result = _result(needs, account, "dynamodb capacity")
    assert result.state is preflight.State.FAILED
    assert f"the autoscaling maximum {needs.max_capacity:,} is above" in result.detail
    assert "'Table-level write and read throughput limit' to at least" in result.fix
    assert result.fix.endswith("or lower trading-data:max_capacity to 40,000")


def test_a_bucket_another_account_owns_fails_naming_the_setting(
    account: aws.Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs = _needs("dev")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    account("s3").create_bucket(Bucket=needs.bucket_name)
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    result = _result(needs, account, "bucket name")
    assert result.state is preflight.State.FAILED
    assert result.line == (
        f"FAIL bucket name: {needs.bucket_name} exists and belongs to another account (names "
        "are global); fix: set trading-data:bucket_suffix in stacks/data/Pulumi.dev.yaml to your "
        f"organisation's name or this account's id ({needs.bucket_name}-{ACCOUNT}), or "
        "trading-data:bucket_name"
    )
    # A bucket of this account is ours, and passes.
    account("s3").create_bucket(Bucket="ours-already")
    ours = preflight.bucket_name(
        preflight.Needs(**{**needs.__dict__, "bucket_name": "ours-already"}), account
    )
    assert ours.state is preflight.State.PASSED and "exists in this account" in ours.detail


def test_a_region_short_of_zones_with_lambda_and_the_endpoint_fails(
    account: aws.Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This account's SQS endpoint is offered in two zones, one of them use1-az3 (us-east-1e),
    # where Lambda places no interfaces: one usable zone for production's three.
    services = moto_vpcs.VPCBackend._collect_default_endpoint_services(ACCOUNT, REGION)
    sqs = next(s for s in services if s["ServiceName"] == f"com.amazonaws.{REGION}.sqs")
    monkeypatch.setitem(sqs, "AvailabilityZones", ["us-east-1b", "us-east-1e"])
    result = _result(_needs("production"), account, "zones")
    assert result.state is preflight.State.FAILED
    assert (
        "has 1 zones that support Lambda and the sqs and xray interface endpoints (use1-az1;"
        in (result.detail)
    )
    assert result.fix == "lower trading-network:az_count to 1"


def test_a_shard_quota_below_the_stream_fails(
    account: aws.Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    limits = {"ShardLimit": 50, "OpenShardCount": 10, "OnDemandStreamCount": 0}
    monkeypatch.setattr(KinesisBackend, "describe_limits", lambda self: limits)
    result = _result(_needs("production"), account, "kinesis shards")
    assert result.state is preflight.State.FAILED
    assert result.detail == "64 shards would bring the region to 74, above its 50"
    assert "'Shards per Region' quota in Service Quotas to at least 74" in result.fix


class DeniedSimulator:
    """IAM with the deployed role, and a policy simulator that denies the delete."""

    def get_role(self, RoleName: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        return {"Role": {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{RoleName}"}}

    def simulate_principal_policy(self, **_request: Any) -> dict[str, Any]:
        return {
            "EvaluationResults": [
                {"EvalActionName": "ec2:CreateNetworkInterface", "EvalDecision": "allowed"},
                {"EvalActionName": "ec2:DeleteNetworkInterface", "EvalDecision": "implicitDeny"},
            ]
        }


def test_a_role_the_simulator_denies_network_interfaces_fails(account: aws.Clients) -> None:
    def clients(service: str) -> Any:
        return DeniedSimulator() if service == "iam" else account(service)

    result = _result(_needs("dev"), clients, "function network permissions")
    assert result.state is preflight.State.FAILED
    assert "may not ec2:DeleteNetworkInterface (IAM policy simulator)" in result.detail


def test_no_credentials_fail_the_account_check_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup
    result = preflight.identity(_needs("dev"), aws.clients(region=REGION))
    assert result.state is preflight.State.FAILED
    assert result.fix.startswith("set AWS_PROFILE")


# ---- through the command line ---------------------------------------------------------------


def test_deploy_on_aws_stops_before_any_engine_call_when_preflight_fails(
    harness: Harness, account: aws.Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "50")
    _raise_dynamodb_quotas(200_000)
    result = harness.run("deploy", "production", "--target", "aws", clients=account)
    assert result.code == 1
    assert result.err == (
        "error: preflight: AWS would refuse production here (lambda concurrency); fix what is "
        "said above, or run again with --skip-preflight to try anyway\n"
    )
    assert "FAIL lambda concurrency: reserving 100" in result.out
    assert harness.cli_checked == [] and harness.targets == []  # no CLI, no engine
    assert harness.engine.calls == []


def test_a_skipped_or_passed_preflight_is_in_the_run_report(
    harness: Harness, account: aws.Clients, tmp_path: Path
) -> None:
    skipped = harness.run("deploy", "dev", "--target", "aws", "--skip-preflight", clients=account)
    assert skipped.code == 0 and "preflight: skipped (--skip-preflight)" in skipped.out
    passed = harness.run("deploy", "dev", "--target", "aws", clients=account)
    assert passed.code == 0, passed.out + passed.err
    reports = sorted((tmp_path / "runs").glob("dev-*.json"), key=lambda p: p.stat().st_mtime_ns)
    found = [json.loads(path.read_text())["preflight"] for path in reports]
    assert found[0] == {"result": "skipped", "checks": []}
    assert found[1]["result"] == "passed"
    assert [c["check"] for c in found[1]["checks"]][:2] == ["account", "lambda concurrency"]


def test_the_preflight_command_exits_by_what_it_found(
    harness: Harness, account: aws.Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = harness.run("preflight", "dev", "--target", "aws", clients=account)
    assert good.code == 0 and good.out.rstrip().endswith("preflight: dev passes (7 checks)")
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "50")
    bad = harness.run("preflight", "production", "--target", "aws", clients=account)
    assert bad.code == 1 and "checks failed" in bad.out.splitlines()[-1]
    assert harness.cli_checked == []  # preflight needs no Pulumi CLI


def test_the_real_clients_are_the_targets(account: aws.Clients) -> None:
    # What the command uses outside tests: the target's region, the shell's credentials.
    from orchestration.targets import aws_target

    client = REAL.clients_for(aws_target("eu-west-1"))("sts")
    assert client.meta.region_name == "eu-west-1"
