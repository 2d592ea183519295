"""Every session as a user runs it, through the real Automation API and the Pulumi CLI double.

Each test copies the working tree into a git repository of its own (tests/support/checkout.py), so
what the CLI writes, and what git then reports, is observed as on a user's machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from orchestration import records
from orchestration.backend import backend_url
from orchestration.lock import LOCK_NAME
from shared.outputs import SHOWN
from tests.support import pulumi_cli
from tests.support.checkout import Checkout, make_checkout

pytestmark = pytest.mark.slow


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
    assert set(outputs) == set(SHOWN) and all(outputs.values())
    assert outputs["dashboard_url"].startswith(
        "https://us-east-1.console.aws.amazon.com/cloudwatch/"
    )
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
    [up] = [call for call in checkout.invocations() if "up" in call["argv"]]
    project = Path(up["cwd"])
    assert project.is_relative_to(checkout.path / ".state" / "programs")
    config = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]
    assert config["aws:region"] == "us-east-1" and "aws:endpoints" in config
    assert checkout.dirty() == []


def test_smoke_on_the_local_target_fails_in_one_line_at_the_invoke(checkout: Checkout) -> None:
    # The emulator runs no Lambda code (moto needs Docker for that): a clear failure, not a trace.
    assert checkout.run("deploy", "dev", "--target", "local").returncode == 0
    smoke = checkout.run("smoke", "dev", "--target", "local")
    assert smoke.returncode == 1
    assert smoke.stderr.startswith("error: ") and "Traceback" not in smoke.stderr


def test_deploys_leave_the_checkout_clean_and_rollback_deploys_the_previous_commit(
    checkout: Checkout,
) -> None:
    first = checkout.git("rev-parse", "HEAD")
    assert checkout.run("deploy", "dev", "--target", "aws").returncode == 0
    assert checkout.dirty() == [], "stack init's salt stays out of the tracked stack files"
    (checkout.path / "README.md").write_text("a newer revision\n")
    second = checkout.commit("a second revision")
    assert checkout.run("deploy", "dev", "network", "--target", "aws").returncode == 0
    assert checkout.dirty() == []

    rollback = checkout.run("rollback", "dev", "network", "--target", "aws")
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert f"rollback: organization/trading-network/dev to {first}" in rollback.stdout
    assert "verified: every output compute reads is still exported" in rollback.stdout
    messages = [argv[argv.index("--message") + 1] for argv in _commands(checkout, "up")]
    assert messages[-2:] == [
        f"trading-analytics deploy rev={second}",
        f"trading-analytics rollback rev={first}",
    ]
    last = pulumi_cli.programs(checkout.double)[-1]
    assert last["stack"] == "organization/trading-network/dev"
    assert "trading-rollback-" in last["program"], "the rollback ran the worktree's program"
    assert checkout.dirty() == []
    assert "trading-rollback-" not in checkout.git("worktree", "list")


def test_a_cli_failure_is_one_line_naming_the_stack(checkout: Checkout) -> None:
    # gocloud rejects the unknown option: the CLI fails before any stack is read.
    result = checkout.run(
        "outputs",
        "dev",
        "--target",
        "aws",
        "--backend",
        "s3://b?bogus=1",
        env={"PULUMI_CONFIG_PASSPHRASE": "not prompted"},
    )
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("error: organization/trading-network/dev: open bucket s3://b/")
    assert "unknown query parameter 'bogus'" in line


def test_stacks_of_the_other_target_are_refused(checkout: Checkout, tmp_path: Path) -> None:
    shared = (tmp_path / "one-state").as_uri()
    checkout.env["PULUMI_CONFIG_PASSPHRASE"] = "not prompted"
    assert (
        checkout.run("deploy", "dev", "network", "--target", "aws", "--backend", shared).returncode
        == 0
    )
    local = checkout.run("preview", "dev", "network", "--target", "local", "--backend", shared)
    assert local.returncode == 1
    assert "created by a --target aws run; this run is --target local" in local.stdout
    assert checkout.run("deploy", "dev", "network", "--target", "local").returncode == 0, (
        "by default each target has state of its own"
    )


def test_a_path_with_a_space_works(tmp_path: Path) -> None:
    spaced = make_checkout(tmp_path, "my checkout")
    result = spaced.run("deploy", "dev", "network", "--target", "aws")
    assert result.returncode == 0, result.stderr
    state = spaced.path / ".state" / "aws" / "trading-analytics" / "dev" / ".pulumi"
    assert state.is_dir()
    assert not list(spaced.path.rglob("*%20*")), "no percent-encoded directory"


def test_every_session_on_the_local_target(checkout: Checkout) -> None:
    first = checkout.git("rev-parse", "HEAD")

    def run(*args: str) -> str:
        result = checkout.run(*args, "--target", "local")
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
        assert result.stdout.startswith("target: local AWS emulator")
        return result.stdout

    run("deploy", "dev")
    assert "data-processor-dev-us-east-1" in run("outputs", "dev")
    run("preview", "dev")
    run("drift", "dev")
    (checkout.path / "README.md").write_text("a newer revision\n")
    checkout.commit("a second revision")
    run("deploy", "dev", "data")
    assert f"rollback: organization/trading-data/dev to {first}" in run("rollback", "dev", "data")
    run("destroy", "dev")
    assert "(not deployed)" in run("outputs", "dev")
    assert checkout.dirty() == []
    backends = {call["backend"] for call in checkout.invocations() if call["backend"]}
    assert backends == {f"{(checkout.path / '.state' / 'local').as_uri()}/trading-analytics/dev"}


def test_pulumi_cloud_takes_the_organization_and_the_base_url_as_given(
    checkout: Checkout,
) -> None:
    cloud = ("--target", "aws", "--backend", "https://api.pulumi.com", "--org", "acme")
    checkout.env["PULUMI_ACCESS_TOKEN"] = "pul-test"
    result = checkout.run("deploy", "dev", *cloud)
    assert result.returncode == 0, result.stdout + result.stderr
    stacks = {argv[argv.index("--stack") + 1] for argv in _commands(checkout, "up")}
    assert stacks == {f"acme/trading-{layer}/dev" for layer in ("network", "data", "compute")}
    assert {call["backend"] for call in checkout.invocations() if call["backend"]} == {
        "https://api.pulumi.com"
    }
    # compute's StackReferences read acme/..., or its deploy would have failed above.
    outputs = checkout.run("outputs", "dev", *cloud)
    assert "data-processor-dev-us-east-1" in outputs.stdout


def test_a_backend_without_stack_tags_still_deploys_saying_what_is_not_guarded(
    checkout: Checkout,
) -> None:
    result = checkout.run(
        "deploy", "dev", "network", "--target", "aws", env={"PULUMI_DOUBLE_NO_TAGS": "1"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "organization/trading-network/dev: could not record its target (stack tags are not "
        "supported by this backend); runs with the other target are not refused for it"
    ) in result.stdout


def test_rollback_refuses_a_previous_deployment_of_uncommitted_changes(
    checkout: Checkout,
) -> None:
    first = checkout.git("rev-parse", "HEAD")
    (checkout.path / "README.md").write_text("not committed\n")
    assert checkout.run("deploy", "dev", "network", "--target", "aws").returncode == 0
    checkout.commit("now committed")
    assert checkout.run("deploy", "dev", "network", "--target", "aws").returncode == 0
    rollback = checkout.run("rollback", "dev", "network", "--target", "aws")
    assert rollback.returncode == 1
    [line] = rollback.stderr.splitlines()
    assert line == (
        "error: organization/trading-network/dev's previous deployment ran uncommitted changes "
        f"on top of {first[:12]}; roll back with --to GIT_REF naming a commit that holds what "
        "you want back"
    )


def test_preview_affected_after_a_data_change_runs_data_and_skips_an_unchanged_compute(
    checkout: Checkout,
) -> None:
    assert checkout.run("deploy", "dev", "--target", "aws").returncode == 0
    program = checkout.path / "stacks" / "data" / "__main__.py"
    program.write_text(program.read_text() + "# reviewed\n")
    checkout.commit("a comment in the data program")
    before = len(_commands(checkout, "preview"))
    preview = checkout.run("preview", "dev", "--target", "aws", "--affected", "HEAD~1")
    assert preview.returncode == 0, preview.stderr
    assert "  data: stacks/data/__main__.py\n  compute: reads data\n" in preview.stdout
    previews = _commands(checkout, "preview")[before:]
    assert len(previews) == 1, previews  # data only: its preview changes nothing
    assert "[compute] skipped: the outputs it reads are unchanged" in preview.stdout
    gate = checkout.run("preview", "dev", "--target", "aws", "--expect-no-changes")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    reports = sorted((checkout.path / "build" / "runs").glob("dev-*.json"))
    assert [json.loads(r.read_text())["command"] for r in reports][-2:] == ["preview", "preview"]


def test_a_deploy_while_another_holds_the_environment_exits_naming_it(checkout: Checkout) -> None:
    lock = checkout.path / ".state" / "aws" / "trading-analytics" / "dev" / LOCK_NAME
    lock.parent.mkdir(parents=True)
    lock.write_text(
        json.dumps(
            {
                "user": "bob",
                "host": "ci-runner-3",
                "pid": 99,
                "command": "destroy",
                "environment": "dev",
                "since": "2026-11-26T09:00:00Z",
            }
        )
    )
    result = checkout.run("deploy", "dev", "--target", "aws")
    assert result.returncode == 1
    assert "dev is locked by bob@ci-runner-3 (pid 99) running destroy" in result.stderr
    assert _commands(checkout, "up") == [] and lock.exists()


def test_a_preview_reports_each_resource_it_would_create_by_urn(checkout: Checkout) -> None:
    preview = checkout.run("preview", "dev", "network", "--target", "aws")
    assert preview.returncode == 0, preview.stderr
    [report] = sorted((checkout.path / "build" / "runs").glob("dev-*.json"))
    [network] = json.loads(report.read_text())["stacks"]
    steps = {step["urn"]: step for step in network["steps"]}
    # The URN the program registered: the parent component's type qualifies the VPC's.
    vpc = (
        "urn:pulumi:dev::trading-network::trading:network:PrivateNetwork$aws:ec2/vpc:Vpc"
        "::network-vpc"
    )
    assert steps[vpc]["op"] == "create" and steps[vpc]["type"] == "aws:ec2/vpc:Vpc"
    assert len(steps) == network["changes"]["create"]


def test_destroying_production_keeps_its_stateful_resources_and_says_how_to_remove_them(
    checkout: Checkout,
) -> None:
    assert checkout.run("deploy", "production", "--target", "aws").returncode == 0
    destroy = checkout.run("destroy", "production", "--target", "aws", "--confirm", "production")
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    assert all("--exclude-protected" in argv for argv in _commands(checkout, "destroy"))
    assert "kept: 7 protected stateful resource(s) of production" in destroy.stdout
    data = "organization/trading-data/production"
    assert f"{data}  analytics-table  aws:dynamodb/table:Table  id " in destroy.stdout
    assert (
        "aws dynamodb delete-table --table-name analytics-table-production-us-east-1"
        in destroy.stdout
    )
    removals = [line.split(":")[0].strip() for line in destroy.stdout.splitlines()[-9:-2]]
    assert removals[-2:] == ["network-key", "platform-key"], "the keys go last"
    assert f"pulumi state unprotect --all --yes --stack {data}" in destroy.stdout
    # A second run finds only protected resources left, destroys nothing, and says so again.
    again = checkout.run("destroy", "production", "--target", "aws", "--confirm", "production")
    assert again.returncode == 0, again.stderr
    assert "There were no unprotected resources to destroy" in again.stdout
    assert "kept: 7 protected stateful resource(s)" in again.stdout


def test_destroying_dev_removes_everything(checkout: Checkout) -> None:
    assert checkout.run("deploy", "dev", "--target", "aws").returncode == 0
    destroy = checkout.run("destroy", "dev", "--target", "aws")
    assert destroy.returncode == 0, destroy.stderr
    assert not any("--exclude-protected" in argv for argv in _commands(checkout, "destroy"))
    assert "kept:" not in destroy.stdout


def _record_staging_smoke(checkout: Checkout, revision: str, *, passed: bool) -> None:
    # What `smoke staging` records (moto's Lambda runs no code, so it cannot pass here).
    staging = backend_url((checkout.path / ".state" / "local").as_uri(), "staging")
    record = records.SmokeRecord.now("staging", revision, passed, "ok" if passed else "boom")
    records.save(staging, lambda _options: None, record)


def test_promote_deploys_the_revision_staging_passed_from_a_worktree_not_head(
    checkout: Checkout,
) -> None:
    passed = checkout.git("rev-parse", "HEAD")
    assert checkout.run("deploy", "staging", "--target", "local").returncode == 0
    _record_staging_smoke(checkout, passed, passed=True)
    (checkout.path / "README.md").write_text("a newer revision, never in staging\n")
    head = checkout.commit("a newer revision")
    result = checkout.run("promote", "staging", "production", "--confirm", "production")
    production_ups = [
        argv for argv in _commands(checkout, "up") if "organization/trading-data/production" in argv
    ]
    assert production_ups, result.stdout + result.stderr
    messages = [
        argv[argv.index("--message") + 1]
        for argv in _commands(checkout, "up")
        if any(a.endswith("/production") for a in argv)
    ]
    assert messages == [f"trading-analytics deploy rev={passed}"] * 3 and head != passed
    ran = [p for p in pulumi_cli.programs(checkout.double) if p["stack"].endswith("/production")]
    assert ran and all("trading-promote-" in p["program"] for p in ran), "from the worktree"
    assert "gate 1/5 policy: passed" in result.stdout
    # The emulator runs no Lambda code: production's smoke fails, in one line, and is recorded.
    assert result.returncode == 1 and result.stderr.startswith("error: ")
    assert f"recorded: smoke of {passed[:12]} in production failed" in result.stdout
    assert checkout.dirty() == []
    assert "trading-promote-" not in checkout.git("worktree", "list")


def test_promote_is_refused_when_staging_failed_smoke(checkout: Checkout) -> None:
    revision = checkout.git("rev-parse", "HEAD")
    assert checkout.run("deploy", "staging", "--target", "local").returncode == 0
    _record_staging_smoke(checkout, revision, passed=False)
    result = checkout.run("promote", "staging", "production", "--confirm", "production")
    assert result.returncode == 1
    assert f"refusing to promote: staging's revision {revision[:12]} did not pass" in result.stderr
    assert not any(a.endswith("/production") for argv in _commands(checkout, "up") for a in argv)


def test_a_deploy_that_would_delete_the_production_table_stops_unless_allowed(
    checkout: Checkout,
) -> None:
    assert checkout.run("deploy", "production", "--target", "aws").returncode == 0
    # Renaming the table's Pulumi resource: the engine would delete the old one and create anew.
    data = checkout.path / "shared" / "components" / "data.py"
    data.write_text(data.read_text().replace('f"{name}-table"', 'f"{name}-tbl"'))
    checkout.commit("rename the table resource")
    refused = checkout.run("deploy", "production", "--target", "aws")
    assert refused.returncode == 1
    table = (
        "urn:pulumi:production::trading-data::trading:data:AnalyticsTable"
        "$aws:dynamodb/table:Table::analytics-table"
    )
    assert refused.stderr == (
        "error: refusing to deploy: it would replace or delete stateful resources: "
        f"{table} (delete); if that is intended, run again with --allow-replace {table}\n"
    )
    assert len(_commands(checkout, "up")) == 3, "nothing deployed after the first deploy"
    # Allowed, the engine's own protection still stops the delete: the state protects it.
    allowed = checkout.run("deploy", "production", "--target", "aws", "--allow-replace", table)
    assert allowed.returncode == 1
    assert "cannot be deleted" in allowed.stdout + allowed.stderr
