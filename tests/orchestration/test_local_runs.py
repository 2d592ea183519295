"""Runs on the local target: stale state after an emulator restart, the emulator's last line,
the target's own region and credentials, send, and what a deploy says next."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import NoCredentialsError
from moto import mock_aws
from trade_analytics.producer import route

from emulator import process as emulator_process
from emulator.process import EmulatorRecord
from orchestration import backend, cli, smoke_records
from orchestration.context import REAL
from orchestration.targets import NO_EMULATOR, local_target
from shared.layers import LAYERS
from tests.support.cli_harness import Harness, Run

ENDPOINT = "http://127.0.0.1:4566"  # what the harness's start_local answers


def _run(
    harness: Harness,
    *argv: str,
    record: EmulatorRecord | None = None,
    clients: Any = None,
) -> Run:
    return harness.run_with(
        lambda chosen: dataclasses.replace(harness.runtime(chosen), emulator_record=lambda: record),
        argv,
        clients,
    )


def _state_file(tmp_path: Path, project: str, age_s: float, resources: int = 3) -> Path:
    path = tmp_path / "state/trading-analytics/dev/.pulumi/stacks" / project / "dev.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    latest = {"resources": [{"urn": f"urn:{n}"} for n in range(resources)]}
    path.write_text(json.dumps({"version": 3, "checkpoint": {"latest": latest}}))
    written = time.time() - age_s
    os.utime(path, (written, written))
    return path


def test_the_emulators_local_state_is_the_local_targets_backend() -> None:
    assert emulator_process.LOCAL_STATE.as_uri() == backend.default_base("local")


def test_a_restarted_emulator_with_older_local_stacks_refuses_every_command_in_one_line(
    harness: Harness, tmp_path: Path
) -> None:
    _state_file(tmp_path, LAYERS["data"].project, age_s=600)
    restarted = EmulatorRecord(4242, 4566, time.time() - 5)
    for argv in (["deploy", "dev"], ["outputs", "dev"], ["smoke", "dev"], ["send", "dev"]):
        result = _run(harness, *argv, record=restarted)
        assert result.code == 1, argv
        [line] = result.err.splitlines()
        assert line.startswith("error: the emulator was restarted (pid 4242) after dev were")
        assert "resources are gone" in line and "`nox -s emulator -- reset`" in line
    assert harness.engine.calls == [], "nothing ran against the lost resources"


def test_destroy_and_state_newer_than_the_emulator_are_not_refused(
    harness: Harness, tmp_path: Path
) -> None:
    record = EmulatorRecord(4242, 4566, time.time() - 600)
    _state_file(tmp_path, LAYERS["data"].project, age_s=5)  # deployed into this emulator
    _state_file(tmp_path, LAYERS["network"].project, age_s=900, resources=0)  # destroyed
    assert _run(harness, "deploy", "dev", record=record).code == 0
    _state_file(tmp_path, LAYERS["compute"].project, age_s=900)
    assert _run(harness, "deploy", "dev", record=record).code == 1
    assert _run(harness, "destroy", "dev", record=record).code == 0


def test_a_local_run_ends_saying_the_emulator_is_still_running_and_how_to_stop_it(
    harness: Harness,
) -> None:
    record = EmulatorRecord(4242, 4566, time.time())
    for argv in (["deploy", "dev"], ["outputs", "dev", "--json"]):
        result = _run(harness, *argv, record=record)
        lines = (result.err if "--json" in argv else result.out).splitlines()
        assert lines[-1] == (
            f"emulator: still running (pid 4242 at {ENDPOINT}); "
            "stop it with `nox -s emulator -- stop`"
        )
    aws = _run(harness, "deploy", "dev", "--target", "aws", "--skip-preflight", record=record)
    assert "emulator: still running" not in aws.out


def _compute_region() -> str:
    document = yaml.safe_load((LAYERS["compute"].directory / "Pulumi.dev.yaml").read_text())
    return str(document["config"]["aws:region"])


def test_orchestrations_aws_calls_use_the_targets_credentials_and_the_stacks_region(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")  # the shell's default: not used
    for argv in (["outputs", "dev"], ["outputs", "dev", "--target", "aws"]):
        _run(harness, *argv)
    local, aws = harness.targets
    assert local.region == aws.region == _compute_region()
    assert local.credentials == ("local", "local") and aws.credentials is None
    client = REAL.clients_for(local_target(ENDPOINT, "eu-west-2"))("kinesis")
    assert client.meta.region_name == "eu-west-2" and client.meta.endpoint_url == ENDPOINT
    assert client._request_signer._credentials.access_key == "local"


def _deployed_with_shards(harness: Harness, shards: int) -> None:
    data = LAYERS["data"]
    harness.engine.exports["data"] = {key: f"{key}-value" for key in data.exports} | {
        "trade_stream_shards": shards
    }
    assert harness.run("deploy", "dev").code == 0


class Kinesis:
    def __init__(self) -> None:
        self.put: list[dict[str, Any]] = []

    def put_record(self, **request: Any) -> dict[str, Any]:
        self.put.append(request)
        return {"ShardId": "shardId-000000000000", "SequenceNumber": "1"}


def test_send_puts_n_well_formed_trades_routed_as_the_producers_do_and_says_where_to_look(
    harness: Harness,
) -> None:
    _deployed_with_shards(harness, 4)
    stream = Kinesis()
    result = _run(
        harness,
        "send",
        "dev",
        "--count",
        "3",
        "--symbol",
        "MSFT",
        "--amount",
        "250.5",
        clients={"kinesis": stream}.__getitem__,
    )
    assert result.code == 0, result.err
    assert len(stream.put) == 3
    for request in stream.put:
        sent = json.loads(request["Data"])
        assert sent["symbol"] == "MSFT" and sent["amount"] == 250.5
        assert request["StreamName"] == "trade_stream_name-value"
        assert (request["PartitionKey"], request["ExplicitHashKey"]) == route(
            sent["trade_id"], "MSFT", 4
        )
    assert len({json.loads(r["Data"])["trade_id"] for r in stream.put}) == 3
    assert "sent 3 trade(s) of MSFT to trade_stream_name-value" in result.out
    assert "daily_rollup(client, 'dynamodb_table_name-value', 'MSFT', '" in result.out


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--count", "0"), ("--count", "501"), ("--symbol", "msft"), ("--amount", "-1")],
)
def test_send_refuses_a_bad_option_in_one_line_naming_what_is_allowed(
    harness: Harness, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["send", "dev", flag, value])
    assert exited.value.code == 2
    [line] = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert line.startswith(f"nox -s send --: error: argument {flag}: {value!r}: expected ")


def test_a_deploy_ends_saying_how_to_send_a_first_trade_and_smoke(harness: Harness) -> None:
    local = harness.run("deploy", "dev").out.splitlines()
    assert "next: send a first trade: nox -s send -- dev" in local
    assert "      smoke-test it: nox -s smoke -- dev" in local
    aws = harness.run("deploy", "dev", "--target", "aws", "--skip-preflight").out
    assert "nox -s send -- dev --target aws" in aws
    harness.engine.fail.add("data")
    assert "nox -s send" not in harness.run("deploy", "dev").out


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[smoke_records.SmokeRecord]:
    saved: list[smoke_records.SmokeRecord] = []
    monkeypatch.setattr(smoke_records, "recordable", lambda _revision: True)
    monkeypatch.setattr(smoke_records, "save", lambda _url, _s3, record: saved.append(record))
    return saved


def test_a_smoke_that_never_reached_aws_is_not_recorded_one_that_ran_and_failed_is(
    harness: Harness, recorded: list[smoke_records.SmokeRecord]
) -> None:
    harness.run("deploy", "dev")

    class NoCredentials:
        def invoke(self, **_request: Any) -> Any:
            raise NoCredentialsError()

    result = harness.run("smoke", "dev", clients={"lambda": NoCredentials()}.__getitem__)
    assert result.code == 1 and recorded == []
    assert result.err == "error: AWS said: Unable to locate credentials\n"
    assert "smoke did not run: nothing recorded" in result.out

    class Broken:
        def invoke(self, **_request: Any) -> Any:
            error = {"errorType": "RuntimeError", "errorMessage": "boom"}
            return {"FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(error).encode())}

    result = harness.run("smoke", "dev", clients={"lambda": Broken()}.__getitem__)
    assert result.err == "error: the function failed: RuntimeError: boom\n"
    [record] = recorded
    assert not record.passed and record.detail == "the function failed: RuntimeError: boom"


def test_a_smoke_of_an_undeployed_environment_is_not_recorded(
    harness: Harness, recorded: list[smoke_records.SmokeRecord]
) -> None:
    with mock_aws():
        result = harness.run("smoke", "dev")
    assert result.code == 1 and recorded == []
    assert result.err == "error: no lambda_function_name output: deploy the environment first\n"


def test_a_smoke_after_destroy_records_nothing_and_says_it_is_not_deployed(
    harness: Harness, recorded: list[smoke_records.SmokeRecord]
) -> None:
    # The stacks remain, with a history (a revision to record against), and no outputs.
    assert harness.run("deploy", "dev").code == 0
    assert harness.run("destroy", "dev").code == 0
    result = harness.run("smoke", "dev")
    assert result.code == 1 and recorded == []
    assert result.err == "error: no lambda_function_name output: deploy the environment first\n"
    assert "smoke did not run: nothing recorded" in result.out


def test_reads_start_no_emulator_and_build_nothing_while_changes_start_it(
    harness: Harness, tmp_path: Path
) -> None:
    started: list[str] = []

    def runtime(chosen: Any) -> Any:
        def start_local(_log: Any) -> str:
            started.append("started")
            return ENDPOINT

        return dataclasses.replace(
            harness.runtime(chosen), emulator_record=lambda: None, start_local=start_local
        )

    printed = harness.run_with(runtime, ("outputs", "dev", "--json"))
    assert printed.code == 1 and set(json.loads(printed.out).values()) == {None}
    assert harness.run_with(runtime, ("cancel", "dev")).code == 0
    undeployed = harness.run_with(runtime, ("smoke", "dev"))
    assert undeployed.code == 1 and "smoke did not run: nothing recorded" in undeployed.out
    assert undeployed.err == "error: no lambda_function_name output: deploy the environment first\n"
    assert started == [] and {t.endpoint for t in harness.targets} == {NO_EMULATOR}
    # The dry runs and --help reach neither the CLI nor a target.
    for argv in (
        ("deploy", "dev", "--dry-run"),
        ("destroy", "dev", "--dry-run"),
        ("promote", "staging", "production", "--dry-run", "--confirm", "production"),
    ):
        assert harness.run_with(runtime, argv).code == 0, argv
    with pytest.raises(SystemExit) as helped:
        harness.run_with(runtime, ("outputs", "--help"))
    assert helped.value.code == 0
    assert len(harness.cli_checked) == 3 and len(harness.targets) == 3
    # Local stacks that describe resources while no emulator runs: those went with it.
    _state_file(tmp_path, LAYERS["data"].project, age_s=5)
    lost = harness.run_with(runtime, ("outputs", "dev"))
    assert lost.code == 1
    [line] = lost.err.splitlines()
    assert line.startswith("error: the emulator is not running, so the resources of dev are")
    assert "`nox -s emulator -- reset`" in line
    assert harness.run_with(runtime, ("cancel", "dev")).code == 0, "cancel clears them anyway"
    assert started == []
    assert harness.run_with(runtime, ("deploy", "dev")).code == 0
    assert started == ["started"], "a deploy starts the emulator it deploys into"
