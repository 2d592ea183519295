"""Run reports (build/runs/<env>-<time>.json, --report) and preview --expect-no-changes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from orchestration import report as run_report
from orchestration.report import RunInfo, report, write
from tests.support.cli_harness import Harness
from tests.support.run_reports import VALIDATOR, check_schema, reports


def _reports(tmp_path: Path) -> list[dict[str, Any]]:
    return reports(tmp_path / "runs")


def test_the_schema_refuses_what_it_does_not_describe() -> None:
    good = report(
        RunInfo("deploy", "dev", "local", "file:///s", "abc", datetime.now(timezone.utc)), [], 0
    )
    assert VALIDATOR.is_valid(good)
    assert not VALIDATOR.is_valid({**good, "exit_code": "0"})
    assert not VALIDATOR.is_valid({**good, "extra": 1})
    missing = dict(good)
    missing.pop("revision")
    assert not VALIDATOR.is_valid(missing)


@pytest.mark.parametrize("command", ["deploy", "preview", "drift"])
def test_every_run_writes_a_report_in_the_documented_shape(
    harness: Harness, tmp_path: Path, command: str
) -> None:
    harness.run("deploy", "dev")
    result = harness.run(command, "dev")
    assert result.code == 0
    document = _reports(tmp_path)[-1]
    check_schema(document)
    assert (document["command"], document["environment"], document["exit_code"]) == (
        command,
        "dev",
        0,
    )
    assert [s["layer"] for s in document["stacks"]] == ["network", "data", "compute"]
    # The report line closes the run; a deploy's next steps alone come after it.
    after = result.out.split("\nreport: ", 1)[1].splitlines()[1:]
    assert all(line.startswith(("next: ", "      smoke-test")) for line in after), after
    steps = [step for stack in document["stacks"] for step in stack["steps"]]
    assert (len(steps) == 9) is (command == "preview")  # the fake engine's 3 per stack


def test_a_failed_run_is_reported_with_its_exit_code_and_the_reason(
    harness: Harness, tmp_path: Path
) -> None:
    harness.engine.fail = {"data"}
    extra = tmp_path / "ci" / "deploy.json"
    assert harness.run("deploy", "dev", "--report", str(extra)).code == 1
    document = json.loads(extra.read_text())
    check_schema(document)
    by_layer = {s["layer"]: s for s in document["stacks"]}
    assert document["exit_code"] == 1
    assert by_layer["data"]["result"] == "failed" and by_layer["data"]["detail"]
    assert by_layer["compute"]["result"] == "skipped"
    assert document == _reports(tmp_path)[-1]


def test_expect_no_changes_exits_2_naming_the_stacks_that_would_change(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.run("deploy", "dev")
    would = {"data": {"update": 1, "same": 9}}
    monkeypatch.setattr(
        harness.engine,
        "preview",
        lambda stack, on_output, on_step=None: would.get(stack.layer.name, {"same": 5}),
    )
    changed = harness.run("preview", "dev", "--expect-no-changes")
    assert changed.code == 2
    assert "changes expected to be none: data (same 9, update 1)" in changed.out
    would.clear()
    assert harness.run("preview", "dev", "--expect-no-changes").code == 0
    assert harness.run("preview", "dev").code == 0


def test_dry_runs_write_no_report(harness: Harness, tmp_path: Path) -> None:
    assert harness.run("deploy", "dev", "--dry-run").code == 0
    assert _reports(tmp_path) == []


def test_runs_started_in_the_same_second_keep_a_report_each_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_report, "RUNS_DIR", tmp_path / "runs")
    started = datetime(2026, 12, 4, 5, 0, 0, tzinfo=timezone.utc)
    written = [
        write(report(RunInfo(command, "dev", "local", "file:///s", "abc", started), [], 0))
        for command in ("deploy", "preview", "drift")
    ]
    assert len(set(written)) == 3
    assert [r["command"] for r in _reports(tmp_path)] == ["deploy", "preview", "drift"]
    assert [p.name for p in written] == [
        "dev-20261204T050000Z.json",
        "dev-20261204T050000Z_002.json",
        "dev-20261204T050000Z_003.json",
    ]
