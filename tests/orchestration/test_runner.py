"""Deploy, preview, destroy and drift: order, concurrency, failure propagation, exit codes."""

from __future__ import annotations

import threading
from pathlib import Path

from orchestration.engine import Step
from tests.support.cli_harness import Harness
from tests.support.run_reports import check_schema, reports


def test_network_and_data_overlap_and_compute_starts_after_both(harness: Harness) -> None:
    harness.engine.delay = 0.3
    result = harness.run("deploy", "dev")
    assert result.code == 0, result.err
    ups = {c.layer: c for c in harness.engine.operations("up")}
    network, data, compute = ups["network"], ups["data"], ups["compute"]
    assert network.started < data.ended and data.started < network.ended, "ran one after another"
    assert compute.started >= max(network.ended, data.ended)


def test_output_is_prefixed_by_layer_and_ends_with_a_summary(harness: Harness) -> None:
    result = harness.run("deploy", "dev")
    assert result.out.splitlines()[0].startswith("target: local AWS emulator")
    assert "[network] up: step one of network" in result.out
    assert "[compute] up: done" in result.out
    summary = result.out[result.out.index("layer    result") :]
    for layer in ("network", "data", "compute"):
        assert f"\n{layer:<9}succeeded" in summary
    assert "create 3" in summary


def test_a_failed_layer_stops_its_dependents_but_not_the_others(harness: Harness) -> None:
    harness.engine.fail = {"data"}
    result = harness.run("deploy", "dev")
    assert result.code == 1
    assert {c.layer for c in harness.engine.operations("up")} == {"network", "data"}
    assert "organization/trading-network/dev" in harness.engine.stacks
    assert "\ndata     failed" in result.out
    assert "\ncompute  skipped" in result.out and "(data failed)" in result.out


def test_destroy_runs_dependents_first(harness: Harness) -> None:
    harness.run("deploy", "staging")
    harness.engine.delay = 0.05
    result = harness.run("destroy", "staging")
    assert result.code == 0, result.err
    destroys = {c.layer: c for c in harness.engine.operations("destroy")}
    assert destroys["compute"].ended <= min(destroys["network"].started, destroys["data"].started)
    assert harness.engine.stacks == {}


def test_a_failed_dependent_destroy_keeps_what_it_reads(harness: Harness) -> None:
    harness.run("deploy", "dev")
    harness.engine.fail = {"compute"}
    result = harness.run("destroy", "dev")
    assert result.code == 1
    assert harness.engine.operations("destroy") and {
        c.layer for c in harness.engine.operations("destroy")
    } == {"compute"}
    assert "organization/trading-network/dev" in harness.engine.stacks


def test_preview_changes_nothing_and_explains_what_it_cannot_preview(harness: Harness) -> None:
    result = harness.run("preview", "dev")
    assert result.code == 0
    assert harness.engine.stacks == {}
    assert (
        "[compute] cannot preview: organization/trading-network/dev has never been deployed; "
        "deploy it first: nox -s deploy -- dev network" in result.out
    )
    assert {c.layer for c in harness.engine.operations("preview")} == {"network", "data"}


def test_drift_reports_each_layer_and_fails_when_any_differs(harness: Harness) -> None:
    harness.run("deploy", "dev")
    assert harness.run("drift", "dev").code == 0
    harness.engine.drifted = {"data": {"same": 9, "update": 1}}
    result = harness.run("drift", "dev")
    assert result.code == 1
    assert "\ndata     drifted" in result.out and "update 1" in result.out
    assert "\nnetwork  succeeded" in result.out


def test_a_gate_that_could_not_preview_a_layer_fails_naming_it(harness: Harness) -> None:
    # Nothing deployed: compute is blocked, so "no changes" cannot be shown for it.
    unchanged = [Step("same", "urn:pulumi:dev::fake::x", "fake")]
    harness.engine.would = {"network": unchanged, "data": unchanged, "compute": unchanged}
    result = harness.run("preview", "dev", "--expect-no-changes")
    assert result.code == 1
    assert "no changes cannot be shown: not previewed: compute (blocked: " in result.out
    harness.run("deploy", "dev")
    assert harness.run("preview", "dev", "--expect-no-changes").code == 0
    harness.engine.fail = {"data"}
    failed = harness.run("preview", "dev", "--expect-no-changes")
    assert failed.code == 1 and "data (failed: " in failed.out


def test_destroying_what_was_never_deployed_is_nothing_to_destroy_and_goes_on(
    harness: Harness,
) -> None:
    assert harness.run("deploy", "dev", "network").code == 0
    result = harness.run("destroy", "dev")
    assert result.code == 0, result.err
    assert "[compute] not deployed: nothing to destroy" in result.out
    assert "[data   ] not deployed: nothing to destroy" in result.out
    assert [c.layer for c in harness.engine.operations("destroy")] == ["network"]


def test_drift_of_a_layer_never_deployed_says_so_and_fails(harness: Harness) -> None:
    assert harness.run("deploy", "dev", "network").code == 0
    result = harness.run("drift", "dev")
    assert result.code == 1
    assert "[data   ] cannot drift: not deployed" in result.out
    assert "\nnetwork  succeeded" in result.out


def test_ctrl_c_writes_the_report_and_names_the_cancel_for_each_interrupted_stack(
    harness: Harness, tmp_path: Path
) -> None:
    aws = ("deploy", "dev", "--target", "aws", "--skip-preflight")
    assert harness.run(*aws).code == 0
    harness.engine.interrupt = {"data"}
    result = harness.run(*aws)
    assert result.code == 130 and result.err == "error: interrupted\n"
    assert (
        "interrupted: organization/trading-data/dev may hold a pending operation; if a later run "
        "says it is locked, clear it: nox -s cancel -- dev data --target aws"
    ) in result.out
    document = reports(tmp_path / "runs")[-1]
    check_schema(document)
    assert document["exit_code"] == 130
    results = {stack["layer"]: stack["result"] for stack in document["stacks"]}
    assert results == {"network": "succeeded", "data": "interrupted", "compute": "skipped"}
    cancel = harness.run("cancel", "dev", "data", "--target", "aws")
    assert cancel.code == 0, cancel.err
    assert [c.layer for c in harness.engine.operations("cancel")] == ["data"]


def test_ctrl_c_says_interrupted_not_failed_and_prints_the_summary(
    harness: Harness, tmp_path: Path
) -> None:
    # The main thread must be the one a signal reaches, as in the command line.
    assert threading.current_thread() is threading.main_thread()
    aws = ("deploy", "dev", "--target", "aws", "--skip-preflight")
    harness.engine.ctrl_c = {"data"}
    result = harness.run(*aws)
    assert result.code == 130 and result.err == "error: interrupted\n"
    assert "failed" not in result.out, result.out
    assert "[data   ] interrupted" in result.out
    assert "\ndata     interrupted" in result.out, result.out
    assert "\ncompute  skipped" in result.out
    document = reports(tmp_path / "runs")[-1]
    results = {stack["layer"]: stack["result"] for stack in document["stacks"]}
    assert results == {"network": "succeeded", "data": "interrupted", "compute": "skipped"}
