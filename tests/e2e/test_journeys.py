"""What a user does, end to end: `python -m orchestration` in a checkout of its own, through the
real Automation API and the Pulumi CLI double (tests/support/pulumi_cli).

Each journey proves what only the whole path can: the sessions' command lines, the files the CLI
writes and what git then says, worktrees, and the state the double keeps between runs. The
adapter's arguments are tested in-process (tests/orchestration/test_automation.py); the
orchestration's decisions against the fake engine.
"""

from __future__ import annotations

import json
import shutil

from orchestration import smoke_records
from orchestration.backend import backend_url
from orchestration.lock import LOCK_NAME
from orchestration.targets import LOCAL_CREDENTIALS
from shared.outputs import SHOWN
from tests.support import pulumi_cli
from tests.support.checkout import Checkout
from tests.support.emulator import running_emulator


def _commands(checkout: Checkout, verb: str) -> list[list[str]]:
    return [call["argv"] for call in checkout.invocations() if verb in call["argv"]]


def _messages(checkout: Checkout) -> list[str]:
    return [argv[argv.index("--message") + 1] for argv in _commands(checkout, "up")]


def test_deploy_then_preview_drift_and_outputs(checkout: Checkout) -> None:
    revision = checkout.git("rev-parse", "HEAD")
    deploy = checkout.run("deploy", "dev", "--target", "aws", "--skip-preflight")
    assert deploy.returncode == 0, deploy.stderr
    assert "compute  succeeded" in deploy.stdout and "network  succeeded" in deploy.stdout
    assert _messages(checkout) == [f"trading-analytics deploy rev={revision}"] * 3
    assert all(
        argv[argv.index("--policy-pack") + 1] == str(checkout.path / "policy_pack")
        for argv in _commands(checkout, "up")
    )
    assert checkout.dirty() == [], "stack init's salt stays out of the tracked stack files"

    printed = checkout.run("outputs", "dev", "--target", "aws", "--json")
    outputs = json.loads(printed.stdout)  # stdout carries the JSON alone
    assert printed.stderr.startswith("target: ")
    assert set(outputs) == set(SHOWN) and all(outputs.values())
    assert outputs["lambda_function_name"] == "data-processor-dev-us-east-1"
    assert outputs["dashboard_url"].startswith(
        "https://us-east-1.console.aws.amazon.com/cloudwatch/"
    )

    preview = checkout.run("preview", "dev", "--target", "aws", "--expect-no-changes")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    drift = checkout.run("drift", "dev", "--target", "aws")
    assert drift.returncode == 0, drift.stdout + drift.stderr
    (checkout.double / "drift").write_text("analytics-table\n")  # changed outside Pulumi
    drift = checkout.run("drift", "dev", "--target", "aws")
    assert drift.returncode == 1
    assert "data     drifted" in drift.stdout and "network  succeeded" in drift.stdout


def test_through_nox_the_gate_exits_0_2_1_and_json_stays_alone_on_stdout(
    checkout: Checkout,
) -> None:
    # The documented lines, as CI runs them: `nox -s SESSION -- ARGS` in a child process.
    aws = ("--target", "aws")
    changes = checkout.nox("preview", "dev", "network", "data", *aws, "--expect-no-changes")
    assert changes.returncode == 2, changes.stdout + changes.stderr
    assert "changes expected to be none: network (create " in changes.stdout
    unproven = checkout.nox("preview", "dev", *aws, "--expect-no-changes")
    assert unproven.returncode == 1, unproven.stdout + unproven.stderr
    assert "no changes cannot be shown: not previewed: compute" in unproven.stdout

    missing = checkout.nox("outputs", "dev", *aws, "--json")
    assert missing.returncode == 1
    assert set(json.loads(missing.stdout).values()) == {None}, "JSON alone, deployed or not"
    assert "error: " in missing.stderr and "nox > " in missing.stderr

    deployed = checkout.nox("deploy", "dev", *aws, "--skip-preflight")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    printed = checkout.nox("outputs", "dev", *aws, "--json")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout)["lambda_function_name"] == "data-processor-dev-us-east-1"
    assert "target: " in printed.stderr and "nox > Running session outputs" in printed.stderr
    same = checkout.nox("preview", "dev", *aws, "--expect-no-changes")
    assert same.returncode == 0, same.stdout + same.stderr
    # A usage error keeps argparse's 2 and its message, on stderr alone.
    usage = checkout.nox("preview", "dev", "--no-such-option")
    assert usage.returncode == 2 and usage.stdout == ""
    assert "unrecognized arguments: --no-such-option" in usage.stderr


def test_ctrl_c_through_nox_exits_130_after_the_command_has_cleaned_up(checkout: Checkout) -> None:
    code, out, err = checkout.nox_interrupted(
        "deploy", "dev", "--target", "aws", "--skip-preflight", after="[network]"
    )
    assert code == 130, out + err
    # The command finished its own clean-up (nox did not kill it 0.3 s in): the run's report
    # is written, and the environment's lock is free for the next run.
    assert "report: build/runs/" in out, out + err
    again = checkout.nox("deploy", "dev", "--target", "aws", "--skip-preflight")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_first_outputs_of_a_fresh_clone_builds_no_program_virtualenv_and_starts_nothing(
    checkout: Checkout,
) -> None:
    for venv in (".venv", "policy_pack/.venv"):  # as a fresh clone has them: not at all
        shutil.rmtree(checkout.path / venv)
    printed = checkout.nox("outputs", "dev")
    assert printed.returncode == 1, printed.stdout + printed.stderr
    assert "error: dev has no " in printed.stderr and "not deployed" in printed.stderr
    assert not (checkout.path / ".venv").exists()
    assert not (checkout.path / "policy_pack" / ".venv").exists()
    assert not (checkout.path / ".state" / "emulator.json").exists(), "no emulator started"
    assert checkout.nox("cancel", "dev").returncode == 0
    assert not (checkout.path / ".venv").exists()


def test_every_session_on_the_local_target_with_a_rollback(checkout: Checkout) -> None:
    first = checkout.git("rev-parse", "HEAD")

    def run(*args: str, code: int = 0) -> str:
        result = checkout.run(*args, "--target", "local")
        assert result.returncode == code, f"{args}: {result.stdout}{result.stderr}"
        assert result.stdout.startswith("target: local AWS emulator")
        return result.stdout + result.stderr

    run("deploy", "dev")
    assert "data-processor-dev-us-east-1" in run("outputs", "dev")
    run("preview", "dev")
    run("drift", "dev")
    # moto runs no Lambda code (it needs Docker): a failure in one line, not a traceback.
    smoke = run("smoke", "dev", code=1)
    assert "error: " in smoke and "Traceback" not in smoke
    (checkout.path / "README.md").write_text("a newer revision\n")
    second = checkout.commit("a second revision")
    run("deploy", "dev", "data")
    rolled = run("rollback", "dev", "data")
    assert f"rollback: organization/trading-data/dev to {first}" in rolled
    assert "verified: every output compute reads is still exported" in rolled
    assert _messages(checkout)[-2:] == [
        f"trading-analytics deploy rev={second}",
        f"trading-analytics rollback rev={first}",
    ]
    last = pulumi_cli.programs(checkout.double)[-1]
    assert "trading-rollback-" in last["program"], "the rollback ran the worktree's program"
    run("destroy", "dev")
    destroyed = [argv[argv.index("--stack") + 1] for argv in _commands(checkout, "destroy")]
    assert destroyed[0] == "organization/trading-compute/dev", "dependents first"
    assert "(not deployed)" in run("outputs", "dev", code=1)
    assert checkout.dirty() == []
    assert "trading-rollback-" not in checkout.git("worktree", "list")
    backends = {call["backend"] for call in checkout.invocations() if call["backend"]}
    assert backends == {f"{(checkout.path / '.state' / 'local').as_uri()}/trading-analytics/dev"}


def test_production_refuses_a_table_delete_then_destroy_keeps_its_data(checkout: Checkout) -> None:
    # Preflight is tested against moto (tests/orchestration/test_preflight.py); the double's
    # "aws" target is a tag, with no account behind it to check.
    aws = ("--target", "aws", "--skip-preflight")
    assert checkout.run("deploy", "production", *aws).returncode == 0
    # Renaming the table's Pulumi resource: the engine would delete the old one and create anew.
    data = checkout.path / "shared" / "components" / "data.py"
    data.write_text(data.read_text().replace('f"{name}-table"', 'f"{name}-tbl"'))
    checkout.commit("rename the table resource")
    refused = checkout.run("deploy", "production", *aws)
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
    allowed = checkout.run("deploy", "production", *aws, "--allow-replace", table)
    assert allowed.returncode == 1
    assert "cannot be deleted" in allowed.stdout + allowed.stderr

    destroying = ("destroy", "production", "--target", "aws", "--confirm", "production")
    # Before the engine runs, destroy asks the account whether the function still holds network
    # interfaces (orchestration/network_release.py): an emulator of the test's own stands in for
    # the account the double's "aws" target does not have (here the function is not in it).
    (checkout.path.parent / "account").mkdir()
    with running_emulator(checkout.path.parent / "account") as account:
        key, secret = LOCAL_CREDENTIALS
        in_account = {
            "AWS_ENDPOINT_URL": account.endpoint,
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
        }
        destroy = checkout.run(*destroying, env=in_account)
        assert destroy.returncode == 0, destroy.stdout + destroy.stderr
        assert all("--exclude-protected" in argv for argv in _commands(checkout, "destroy"))
        # The 7 stateful resources and the 12 that guard them (the bucket's settings, autoscaling
        # and its market-hours schedule).
        assert "kept: 19 protected resource(s) of production" in destroy.stdout
        assert "organization/trading-data/production  archive-tls-only  " in destroy.stdout
        data_stack = "organization/trading-data/production"
        assert f"{data_stack}  analytics-table  aws:dynamodb/table:Table  id " in destroy.stdout
        assert (
            "aws dynamodb delete-table --table-name analytics-table-production-us-east-1"
            in destroy.stdout
        )
        removals = [line.split(":")[0].strip() for line in destroy.stdout.splitlines()[-21:-2]]
        assert removals[-2:] == ["network-key", "platform-key"], "the keys go last"
        assert f"pulumi state unprotect --all --yes --stack {data_stack}" in destroy.stdout
        # A second run finds only protected resources left, destroys nothing, and says so again.
        again = checkout.run(*destroying, env=in_account)
        assert again.returncode == 0, again.stderr
        assert "There were no unprotected resources to destroy" in again.stdout
        assert "kept: 19 protected resource(s)" in again.stdout


def test_promote_deploys_the_revision_staging_passed_from_a_worktree_not_head(
    checkout: Checkout,
) -> None:
    passed = checkout.git("rev-parse", "HEAD")
    assert checkout.run("deploy", "staging", "--target", "local").returncode == 0
    # What `smoke staging` records (moto's Lambda runs no code, so it cannot pass here).
    staging = backend_url((checkout.path / ".state" / "local").as_uri(), "staging")
    record = smoke_records.SmokeRecord.now("staging", passed, True, "ok")
    smoke_records.save(staging, lambda _options: None, record)
    (checkout.path / "README.md").write_text("a newer revision, never in staging\n")
    head = checkout.commit("a newer revision")
    result = checkout.run("promote", "staging", "production", "--confirm", "production")
    production = [
        argv[argv.index("--message") + 1]
        for argv in _commands(checkout, "up")
        if any(a.endswith("/production") for a in argv)
    ]
    assert production == [f"trading-analytics deploy rev={passed}"] * 3 and head != passed, (
        result.stdout + result.stderr
    )
    ran = [p for p in pulumi_cli.programs(checkout.double) if p["stack"].endswith("/production")]
    assert ran and all("trading-promote-" in p["program"] for p in ran), "from the worktree"
    assert "gate 1/5 guardrails: passed" in result.stdout
    # The emulator runs no Lambda code: production's smoke fails, in one line, and is recorded.
    assert result.returncode == 1 and result.stderr.startswith("error: ")
    assert f"recorded: smoke of {passed[:12]} in production failed" in result.stdout
    assert checkout.dirty() == []
    assert "trading-promote-" not in checkout.git("worktree", "list")


def test_a_deploy_while_another_holds_the_environment_exits_naming_it(checkout: Checkout) -> None:
    lock = checkout.path / ".state" / "aws" / "trading-analytics" / "dev" / LOCK_NAME
    lock.parent.mkdir(parents=True)
    holder = {
        "user": "bob",
        "host": "ci-runner-3",
        "pid": 99,
        "command": "destroy",
        "environment": "dev",
        "since": "2026-11-26T09:00:00Z",
    }
    lock.write_text(json.dumps(holder))
    result = checkout.run("deploy", "dev", "--target", "aws", "--skip-preflight")
    assert result.returncode == 1
    assert "dev is locked by bob@ci-runner-3 (pid 99) running destroy" in result.stderr
    assert _commands(checkout, "up") == [] and lock.exists()
