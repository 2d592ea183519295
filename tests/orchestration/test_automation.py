"""The Automation API adapter, in-process, through the real Automation API and the CLI double:
what it asks the CLI, how quietly, and the errors it makes of the CLI's answers."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from orchestration import automation, targets
from orchestration.engine import (
    ConcurrentUpdateError,
    EngineError,
    StackNotFoundError,
    Step,
    revision_message,
)
from tests.support.adapter import Adapter, calls, flag, make_adapter, quiet


@pytest.fixture
def adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Adapter:
    return make_adapter(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def deployed_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """network and data deployed once, through the double, for the tests that start there."""
    with pytest.MonkeyPatch.context() as patch:
        once = make_adapter(tmp_path_factory.mktemp("deployed"), patch)
        _deploy(once, "network", "data")
    return once.root / "state"


@pytest.fixture
def deployed(adapter: Adapter, deployed_state: Path) -> Adapter:
    """An adapter whose state holds network and data (a copy: the test may change it)."""
    shutil.copytree(deployed_state, adapter.root / "state")
    return adapter


def _deploy(adapter: Adapter, *layers: str, **stack: str) -> None:
    engine = adapter.engine()
    for layer in layers:
        engine.up(adapter.stack(layer, **stack), message="m", on_output=quiet)


def test_history_is_read_newest_first_across_every_page(
    adapter: Adapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(automation, "HISTORY_PAGE", 1)
    engine = adapter.engine()
    stack = adapter.stack("network")
    for revision in ("c1", "c2"):
        engine.up(stack, message=revision_message("deploy", revision), on_output=quiet)
    assert [d.revision for d in engine.history(stack)] == ["c2", "c1"]
    pages = [flag(argv, "--page") for argv in calls(adapter.invocations(), "history")]
    assert pages[-3:] == ["1", "2", "3"], "every page, until one comes back short"


def test_a_run_selects_each_stack_once_and_reads_outputs_without_asking_first(
    deployed: Adapter,
) -> None:
    before = len(deployed.invocations())
    engine = deployed.engine()
    stack = deployed.stack("network")
    assert engine.exists(stack)
    assert engine.outputs(stack)["vpc_id"]
    assert engine.outputs(stack)["vpc_id"]
    made = deployed.invocations()[before:]
    # One `stack tag get` finds the stack, checks its target and selects it (stack_tag.go).
    assert len(calls(made, "get")) == 1, made
    assert calls(made, "select") == [], "no separate select"
    # Each outputs() is the Automation API's pair (plain, then --show-secrets).
    assert len(calls(made, "output")) == 4


def test_a_missing_stack_reads_as_no_outputs_and_is_asked_about_once(adapter: Adapter) -> None:
    engine = adapter.engine()
    stack = adapter.stack("data")
    assert engine.outputs(stack) == {}
    assert not engine.exists(stack)
    assert engine.protected(stack) == []
    with pytest.raises(StackNotFoundError, match="no stack named 'organization/trading-data/dev'"):
        engine.history(stack)
    assert len(calls(adapter.invocations(), "get")) == 1, "asked once, the answer kept"


def test_a_held_stack_lock_is_a_concurrent_update_error_and_cancel_clears_it(
    deployed: Adapter,
) -> None:
    locks = deployed.root / "state" / "trading-analytics" / "dev" / ".pulumi" / "locks"
    held = locks / "organization" / "trading-network" / "dev"
    held.mkdir(parents=True, exist_ok=True)
    (held / "other-run.json").write_text("{}")
    with pytest.raises(ConcurrentUpdateError, match="another update of this stack is in progress"):
        deployed.engine().up(deployed.stack("network"), message="m", on_output=quiet)
    # What `nox -s cancel` runs: the lock left by an interrupted run is cleared.
    deployed.engine().cancel(deployed.stack("network"))
    assert calls(deployed.invocations(), "cancel")[-1][-3:] == [
        "--yes",
        "--stack",
        "organization/trading-network/dev",
    ]
    assert not list(held.iterdir())


def test_a_cli_failure_is_one_line_naming_the_stack(adapter: Adapter) -> None:
    # gocloud rejects the unknown option: the CLI fails before any stack is read.
    stack = adapter.stack("network", "s3://b/trading-analytics/dev?bogus=1")
    with pytest.raises(EngineError) as caught:
        adapter.engine().outputs(stack)
    [line] = str(caught.value).splitlines()
    assert line.startswith("organization/trading-network/dev: open bucket s3://b/")
    assert "unknown query parameter 'bogus'" in line


def test_a_stack_made_outside_these_sessions_is_used_unguarded(adapter: Adapter) -> None:
    engine = adapter.engine()
    stack = adapter.stack("network")
    workspace = engine._workspace(stack)
    workspace.create_stack(stack.name)  # `pulumi stack init` by hand: no target tag
    engine.up(stack, message="m", on_output=quiet)
    assert len(calls(adapter.invocations(), "up")) == 1


def test_stacks_of_the_other_target_are_refused(deployed: Adapter) -> None:
    local = deployed.engine(targets.local_target("http://127.0.0.1:1"))
    with pytest.raises(
        EngineError, match="created by a --target aws run; this run is --target local"
    ):
        local.preview(deployed.stack("network"), on_output=quiet)


def test_a_backend_without_stack_tags_still_deploys_saying_what_is_not_guarded(
    adapter: Adapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_DOUBLE_NO_TAGS", "1")
    _deploy(adapter, "network")
    assert adapter.log == [
        "organization/trading-network/dev: could not record its target (stack tags are not "
        "supported by this backend); runs with the other target are not refused for it"
    ]


def test_a_file_backend_with_a_space_in_its_path_is_created_decoded(adapter: Adapter) -> None:
    spaced = adapter.root / "my state"
    _deploy(adapter, "network", backend=f"{spaced.as_uri()}/trading-analytics/dev")
    assert (spaced / "trading-analytics" / "dev" / ".pulumi").is_dir()
    assert not list(adapter.root.rglob("*%20*")), "no percent-encoded directory"


def test_pulumi_cloud_takes_the_organization_and_the_base_url_as_given(
    adapter: Adapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "pul-test")
    cloud = {"backend": "https://api.pulumi.com", "org": "acme"}
    engine = adapter.engine()
    for layer in ("network", "data", "compute"):
        # compute's StackReferences read acme/..., or its up would fail here.
        engine.up(adapter.stack(layer, **cloud), message="m", on_output=quiet)
    ups = calls(adapter.invocations(), "up")
    assert {flag(argv, "--stack") for argv in ups} == {
        f"acme/trading-{layer}/dev" for layer in ("network", "data", "compute")
    }
    assert engine.outputs(adapter.stack("compute", **cloud))["lambda_function_name"]


def test_every_update_and_preview_runs_the_policy_pack(adapter: Adapter) -> None:
    engine = adapter.engine()
    engine.up(adapter.stack("network"), message="trading-analytics deploy rev=r1", on_output=quiet)
    engine.preview(adapter.stack("network"), on_output=quiet)
    for verb in ("up", "preview"):
        [argv] = calls(adapter.invocations(), verb)
        assert flag(argv, "--policy-pack") == str(adapter.root / "policy_pack")
    [up] = calls(adapter.invocations(), "up")
    assert flag(up, "--message") == "trading-analytics deploy rev=r1"


def test_a_preview_reports_each_resource_it_would_create_by_urn(adapter: Adapter) -> None:
    steps: list[Step] = []
    changes = adapter.engine().preview(
        adapter.stack("network"), on_output=quiet, on_step=steps.append
    )
    by_urn = {step.urn: step for step in steps}
    # The URN the program registered: the parent component's type qualifies the VPC's.
    vpc = (
        "urn:pulumi:dev::trading-network::trading:network:PrivateNetwork$aws:ec2/vpc:Vpc"
        "::network-vpc"
    )
    assert by_urn[vpc].op == "create" and by_urn[vpc].type == "aws:ec2/vpc:Vpc"
    assert len(by_urn) == changes["create"]


def test_drift_names_what_changed_outside_pulumi(deployed: Adapter) -> None:
    engine = deployed.engine()
    assert set(engine.drift(deployed.stack("data"), on_output=quiet)) == {"same"}
    (deployed.double / "drift").write_text("analytics-table\n")  # changed outside Pulumi
    assert engine.drift(deployed.stack("data"), on_output=quiet).get("update") == 1


def test_only_a_protected_destroy_excludes_protected_resources(deployed: Adapter) -> None:
    engine = deployed.engine()
    engine.destroy(deployed.stack("network"), on_output=quiet, keep_protected=False)
    engine.destroy(deployed.stack("network"), on_output=quiet, keep_protected=True)
    plain, kept = calls(deployed.invocations(), "destroy")
    assert "--exclude-protected" not in plain and "--exclude-protected" in kept


def test_virtualenvs_are_built_once_by_the_first_program_run_and_never_for_a_read(
    deployed: Adapter,
) -> None:
    # Reading stacks, cancel, refresh and destroy run no program (pulumi/pulumi #1367): only
    # up and preview need the programs' and the pack's virtualenvs.
    built: list[float] = []

    def prepare(_log: object) -> None:
        time.sleep(0.3)  # long enough for the other layer's preview to arrive meanwhile
        built.append(time.monotonic())

    engine = deployed.engine(prepare=prepare)
    ran: list[float] = []
    run = engine._run

    def timed_run(*args: Any, **kwargs: Any) -> Any:
        ran.append(time.monotonic())
        return run(*args, **kwargs)

    engine._run = timed_run  # type: ignore[method-assign]
    network, data = deployed.stack("network"), deployed.stack("data")
    assert engine.exists(network) and engine.outputs(data)
    engine.history(network)
    engine.protected(network)
    engine.drift(data, on_output=quiet)
    engine.cancel(network)
    engine.destroy(data, on_output=quiet, keep_protected=False)
    assert built == []
    # network and data at once, as the runner runs them: one builds, the other waits for it.
    previews = [
        threading.Thread(target=engine.preview, args=(stack,), kwargs={"on_output": quiet})
        for stack in (network, data)
    ]
    ran.clear()
    for thread in previews:
        thread.start()
    for thread in previews:
        thread.join(timeout=120)
    assert len(built) == 1 and len(ran) == 2
    assert min(ran) >= built[0], "neither preview ran its program before the build finished"
    engine.up(network, message="m", on_output=quiet)
    assert len(built) == 1, "once per run"
