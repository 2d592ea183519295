"""Deploy, preview, destroy and drift: order, concurrency, failure propagation, exit codes."""

from __future__ import annotations

from tests.support.cli_harness import Harness


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
