"""The emulator's process: started once, recorded, reused by later runs, stopped, reset."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest

from emulator import __main__ as command
from emulator import process as emulator


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(emulator, "STATE_DIR", tmp_path)
    monkeypatch.setattr(emulator, "EMULATOR_RECORD", tmp_path / "emulator.json")
    monkeypatch.setattr(emulator, "EMULATOR_LOG", tmp_path / "emulator.log")
    monkeypatch.setattr(emulator, "WORK_DIR", tmp_path / "emulator")
    monkeypatch.setattr(command, "LOCAL_STATE", tmp_path / "local")
    monkeypatch.setattr(emulator, "LOCAL_STATE", tmp_path / "local")
    return tmp_path


@pytest.mark.slow
def test_started_recorded_reused_and_stopped(state: Path) -> None:
    lines: list[str] = []
    first = emulator.start_emulator(lines.append)
    try:
        record = json.loads((state / "emulator.json").read_text())
        assert record == {"pid": first.pid, "port": first.port, "started": first.started}
        assert first.started <= time.time()
        assert first.endpoint.startswith("http://127.0.0.1:")
        assert emulator.answers(first.endpoint)
        again = emulator.start_emulator(lines.append)  # a later run, e.g. destroy
        assert again == first
        assert lines[-1] == f"emulator: reusing pid {first.pid} at {first.endpoint}"
    finally:
        assert emulator.stop_emulator(lines.append)
    assert not (state / "emulator.json").exists()
    assert emulator.running_emulator() is None


def test_a_stale_record_is_not_trusted(state: Path) -> None:
    (state / "emulator.json").write_text(json.dumps({"pid": 999_999_999, "port": 9}))
    assert emulator.running_emulator() is None
    (state / "emulator.json").write_text("{not json")
    assert emulator.running_emulator() is None


def test_help_and_a_wrong_command_answer_as_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as helped:
        command.main(["--help"])
    assert helped.value.code == 0
    assert capsys.readouterr().out.startswith("usage: nox -s emulator -- ")
    with pytest.raises(SystemExit) as wrong:
        command.main(["restart"])
    assert wrong.value.code == 2
    assert (
        "invalid choice: 'restart' (choose from 'start', 'stop', 'status', 'reset')"
        in capsys.readouterr().err
    )


@pytest.mark.slow
def test_reset_forgets_every_resource_and_the_local_stacks_state(state: Path) -> None:
    record = emulator.start_emulator(lambda line: None)
    try:
        sqs = boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=record.endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        sqs.create_queue(QueueName="kept-until-reset")
        stack = state / "local" / ".pulumi" / "stacks" / "network" / "dev.json"
        stack.parent.mkdir(parents=True)
        stack.write_text("{}")
        assert command.main(["reset"]) == 0
        assert sqs.list_queues().get("QueueUrls", []) == []
        assert not (state / "local").exists()
        assert emulator.running_emulator() == record  # reset, not restarted
    finally:
        emulator.stop_emulator(lambda line: None)
    assert not emulator.alive(record.pid)


def test_stop_names_the_local_stacks_it_leaves_without_resources(
    state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = state / "local" / "trading-analytics" / "dev" / ".pulumi" / "stacks"
    for project, resources in (("trading-network", 3), ("trading-data", 2), ("trading-compute", 0)):
        path = stacks / project / "dev.json"
        path.parent.mkdir(parents=True)
        latest = {"resources": [{"urn": f"urn:{n}"} for n in range(resources)]}
        path.write_text(json.dumps({"checkpoint": {"latest": latest}}))
    monkeypatch.setattr(command, "stop_emulator", lambda: True)  # one was running, now stopped
    assert command.main(["stop"]) == 0
    assert capsys.readouterr().out == (
        "emulator: the local stacks trading-data/dev, trading-network/dev describe resources "
        "that went with it (it keeps AWS's state in memory); `nox -s emulator -- reset`, then "
        "deploy again\n"
    )
    monkeypatch.setattr(command, "stop_emulator", lambda: False)  # none was running
    assert command.main(["stop"]) == 0 and capsys.readouterr().out == ""
