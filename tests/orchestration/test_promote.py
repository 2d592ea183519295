"""Promotion: only a revision that passed smoke in the source goes on, gate by gate, from a
worktree of that revision.

In-process against the fake engine, with the function invoked in-process over moto's table and
bucket, so smoke really passes or fails; the guardrails gate is the real one (the revision's own
guardrails, in a subprocess) unless a test says otherwise. The same flow through the real
Automation API and the Pulumi CLI double is in tests/e2e/test_journeys.py.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestration import report as run_report
from orchestration import smoke_records as records
from orchestration.backend import backend_base, backend_url
from orchestration.commands import promote
from orchestration.engine import Deployment, revision_message
from orchestration.promotion import guardrails_gate
from shared.errors import PlatformError
from shared.layers import LAYERS, REPO_ROOT
from tests.orchestration.test_replacement_guard import REPLACE_TABLE
from tests.support.cli_harness import Harness, Run
from tests.support.data_processor import (
    Cloud,
    InProcessLambda,
    in_process_cloud,
    invoke,
    kinesis_event,
)
from tests.support.moto_aws import BUCKET, TABLE
from tests.support.run_reports import check_schema, reports


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


HEAD = _git("rev-parse", "HEAD")
# An earlier commit: what staging runs while the checkout has moved on.
PASSED = _git("rev-parse", "HEAD~1")
STAGING = [f"organization/{layer.project}/staging" for layer in LAYERS.values()]


class _FailingLambda(InProcessLambda):
    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
        return {"FunctionError": "Unhandled", "Payload": io.BytesIO(b'{"errorMessage": "boom"}')}


@pytest.fixture
def cloud(harness: Harness) -> Iterator[Cloud]:
    # Every environment's outputs name moto's table and bucket, where the smoke test looks.
    for name, layer in LAYERS.items():
        harness.engine.exports[name] = {key: f"{key}-value" for key in layer.exports}
    harness.engine.exports["data"].update(
        dynamodb_table_name=TABLE, s3_bucket_name=BUCKET, trade_stream_shards=1
    )
    with in_process_cloud() as state:
        yield state


class _DeliveringStream:
    """A `kinesis` client whose put_record hands the record to the handler at once, as the
    event source mapping would a moment later (moto polls no stream)."""

    def put_record(self, **request: Any) -> dict[str, Any]:
        invoke(kinesis_event([json.loads(request["Data"])]))
        return {"ShardId": "shardId-000000000000", "SequenceNumber": "1"}


def _clients(cloud: Cloud, function: InProcessLambda) -> Callable[[str], Any]:
    return {
        "lambda": function,
        "dynamodb": cloud.dynamodb,
        "s3": cloud.s3,
        "kinesis": _DeliveringStream(),
    }.__getitem__


def _promote_confirmed(harness: Harness, cloud: Cloud, *flags: str) -> Run:
    """staging -> production, confirmed, with a function that passes production's smoke."""
    return harness.run(
        "promote",
        "staging",
        "production",
        "--confirm",
        "production",
        *flags,
        clients=_clients(cloud, InProcessLambda()),
    )


def _staging_at(
    harness: Harness,
    cloud: Cloud,
    revision: str,
    *,
    passes: bool = True,
    environment: str = "staging",
) -> None:
    """Staging (or `environment`) deployed from `revision` on every layer, then smoke-tested
    (passing or not)."""
    assert harness.run("deploy", environment).code == 0
    for stack in (f"organization/{layer.project}/{environment}" for layer in LAYERS.values()):
        harness.engine.histories[stack] = [
            Deployment(revision, revision_message("deploy", revision))
        ]
    function = InProcessLambda() if passes else _FailingLambda()
    smoke = harness.run("smoke", environment, clients=_clients(cloud, function))
    assert smoke.code == (0 if passes else 1), smoke.err
    verdict = "passed" if passes else "failed"
    assert f"recorded: smoke of {revision[:12]} in {environment} {verdict}" in smoke.out


def test_promote_is_refused_when_the_staging_revision_did_not_pass_smoke(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED, passes=False)
    before = len(harness.engine.operations("up"))
    result = harness.run("promote", "staging", "production", "--confirm", "production")
    assert result.code == 1
    assert result.err.startswith(
        f"error: refusing to promote: staging's revision {PASSED[:12]} did not pass: smoke of "
    )
    assert "failed (the function failed: Unhandled: boom)" in result.err
    assert len(harness.engine.operations("up")) == before


def test_promote_is_refused_when_staging_was_never_smoke_tested(
    harness: Harness, cloud: Cloud
) -> None:
    assert harness.run("deploy", "staging").code == 0
    for stack in STAGING:
        harness.engine.histories[stack] = [Deployment(PASSED, revision_message("deploy", PASSED))]
    result = harness.run("promote", "staging", "production", "--confirm", "production")
    assert result.code == 1
    assert "has no smoke result; run nox -s smoke -- staging" in result.err


def test_promote_is_refused_when_stagings_layers_run_different_revisions(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED)
    harness.engine.histories[STAGING[2]] = [Deployment(HEAD, revision_message("deploy", HEAD))]
    result = harness.run("promote", "staging", "production", "--confirm", "production")
    assert result.code == 1
    assert "the layers of staging run different revisions" in result.err


def test_promote_of_a_passed_revision_deploys_that_revision_not_head(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED)
    before = len(harness.engine.operations("up"))
    result = _promote_confirmed(harness, cloud)
    assert result.code == 0, result.out + result.err
    ups = harness.engine.operations("up")[before:]
    assert sorted(c.layer for c in ups[:2]) == ["data", "network"]  # one wave, then compute
    assert ups[2].layer == "compute" and len(ups) == 3
    assert {c.program_revision for c in ups} == {PASSED} != {HEAD}
    for layer in LAYERS.values():
        [latest, *_] = harness.engine.histories[f"organization/{layer.project}/production"]
        assert latest.revision == PASSED
    lines = result.out.splitlines()
    order = [
        next(i for i, line in enumerate(lines) if line.startswith(f"gate {n}/5"))
        for n in range(0, 6)
    ]
    assert order == sorted(order), "source, guardrails, preview + guard, confirm, deploy, smoke"
    assert f"recorded: smoke of {PASSED[:12]} in production passed" in result.out
    [promoted] = [r for r in reports(run_report.RUNS_DIR) if r["command"] == "promote"]
    check_schema(promoted)  # the test's own reports (conftest), validated
    assert {stack["action"] for stack in promoted["stacks"]} == {"deploy"}
    production = backend_url(backend_base(None, "local"), "production")
    record = records.load(production, lambda _options: None, PASSED)
    assert record is not None and record.passed and record.environment == "production"


def test_without_confirm_guardrails_and_preview_run_and_nothing_is_deployed(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED)
    judged: list[tuple[Path, str]] = []
    harness.guardrails = lambda checkout, env, _log: judged.append((checkout, env))
    before = len(harness.engine.operations("up"))
    result = harness.run("promote", "staging", "production")
    assert result.code == 1
    assert result.err == (
        f"error: refusing to deploy {PASSED[:12]} to production: the gates before passed; "
        "add --confirm production to proceed\n"
    )
    assert [env for _checkout, env in judged] == ["production"]
    assert "trading-promote-" in str(judged[0][0]), "judged in the revision's worktree"
    assert len(harness.engine.operations("up")) == before


def test_a_guardrails_failure_stops_promotion_before_the_preview(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED)

    def failing(_checkout: Path, _env: str, _log: Callable[[str], None]) -> None:
        raise PlatformError("refusing to promote: the guardrails gate failed (guardrails): x")

    harness.guardrails = failing
    previews = len(harness.engine.operations("preview"))
    result = harness.run("promote", "staging", "production", "--confirm", "production")
    assert result.code == 1 and "the guardrails gate failed" in result.err
    assert len(harness.engine.operations("preview")) == previews


def test_a_preview_replacing_the_production_table_stops_promotion_unless_allowed(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED)
    assert harness.run("deploy", "production").code == 0
    harness.guardrails = lambda *_args: None
    harness.engine.would["data"] = REPLACE_TABLE
    refused = harness.run("promote", "staging", "production", "--confirm", "production")
    assert refused.code == 1
    assert "refusing to promote: it would replace or delete stateful resources" in refused.err
    table = REPLACE_TABLE[0].urn
    allowed = _promote_confirmed(harness, cloud, "--allow-replace", table)
    assert allowed.code == 0, allowed.err


def test_dry_run_prints_each_gate_and_its_state_and_touches_nothing(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED)
    calls, connected = len(harness.engine.calls), len(harness.targets)
    result = harness.run("promote", "staging", "production", "--dry-run")
    assert result.code == 0, result.err
    assert "  revision: read when the promotion runs (a dry run starts no CLI)" in result.out
    assert (
        "0. source passed    pending: staging's deployed revision and its smoke record"
        in result.out
    )
    assert "3. confirm          MISSING: add --confirm production" in result.out
    assert "4. deploy           pending: every layer of production" in result.out
    assert len(harness.engine.calls) == calls, "no preview, no update"
    assert len(harness.targets) == connected, "no CLI, no engine, no emulator"
    confirmed = harness.run(
        "promote", "staging", "production", "--dry-run", "--confirm", "production"
    )
    assert "3. confirm          ok: --confirm production" in confirmed.out


@pytest.mark.parametrize(("source", "target"), [("production", "staging"), ("dev", "dev")])
def test_promotion_goes_forward_only(harness: Harness, source: str, target: str) -> None:
    result = harness.run("promote", source, target, "--dry-run")
    assert result.code == 1
    assert result.err == (
        f"error: promotion goes forward (dev -> staging -> production); not {source} -> {target}\n"
    )


def test_the_real_guardrails_gate_passes_this_revision_and_names_a_violation(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    guardrails_gate(REPO_ROOT, "production", lines.append)
    assert lines[0].startswith("guardrails: python -m synth production")
    # A copy whose matrix no longer protects production's stateful resources.
    copy = tmp_path / "copy"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(copy), "HEAD"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    try:
        rules = copy / "guardrails" / "rules.py"
        rules.write_text(
            rules.read_text().replace(
                "wanted = view.profile.protect_stateful",
                "wanted = not view.profile.protect_stateful",
            )
        )
        with pytest.raises(
            PlatformError,
            match=r"the guardrails gate failed \(guardrails\): production: stateful-protection: ",
        ):
            guardrails_gate(copy, "production", lines.append)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(copy)], cwd=REPO_ROOT, check=False
        )


def test_a_gate_declared_once_is_numbered_in_the_dry_run_and_runs_in_the_run(
    harness: Harness, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    _staging_at(harness, cloud, PASSED)
    harness.guardrails = lambda *_args: None
    ran: list[str] = []

    def change_window(p: promote.Promotion) -> str:
        ran.append(p.run.environment)
        return "inside the change window"

    extra = promote.Gate("change window", lambda p: "the change calendar allows it", change_window)
    gates = list(promote.GATES)
    monkeypatch.setattr(promote, "GATES", (*gates[:4], extra, *gates[4:]))
    dry = harness.run("promote", "staging", "production", "--dry-run")
    assert "  4. change window    pending: the change calendar allows it" in dry.out
    assert "  6. smoke" in dry.out and ran == []
    result = _promote_confirmed(harness, cloud)
    assert result.code == 0, result.err
    assert "gate 4/6 change window: inside the change window" in result.out
    assert "gate 6/6 smoke: passed" in result.out and ran == ["production"]


def test_promotion_skips_staging_only_when_told_and_the_report_says_so(
    harness: Harness, cloud: Cloud
) -> None:
    _staging_at(harness, cloud, PASSED, environment="dev")
    confirmed = ("--confirm", "production")
    refused = harness.run("promote", "dev", "production", *confirmed)
    assert refused.code == 1 and refused.err == (
        "error: promoting dev -> production skips staging (promotion goes dev -> staging -> "
        "production); promote dev -> staging first, or add --skip-staging (said, and recorded "
        "in the run report)\n"
    )
    nothing = harness.run("promote", "staging", "production", *confirmed, "--skip-staging")
    assert nothing.code == 1 and "skips no environment" in nothing.err
    before = len(harness.engine.operations("up"))
    assert before == 3, "neither refusal deployed anything"
    skipped = harness.run(
        "promote",
        "dev",
        "production",
        *confirmed,
        "--skip-staging",
        clients=_clients(cloud, InProcessLambda()),
    )
    assert skipped.code == 0, skipped.out + skipped.err
    assert "skipping staging (--skip-staging): recorded in the run report" in skipped.out
    [promoted] = [r for r in reports(run_report.RUNS_DIR) if r["command"] == "promote"]
    check_schema(promoted)
    assert promoted["skipped_environments"] == ["staging"]
