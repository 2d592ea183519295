"""Promotion: deploy to an environment exactly the revision that passed in the one before it.

The gates, in order (each must pass before the next runs):

0. source passed: every layer of the source environment was last deployed from one committed
   revision R, and the smoke test recorded for R there passed (orchestration/records.py);
1. policy: the guardrails on the target environment's synth of R (R's own code and rules);
2. preview + guard: the target's stacks previewed from R; a stateful resource that would be
   replaced or deleted stops the run unless `--allow-replace` names it (orchestration/guard.py);
3. confirm: a protected target needs `--confirm <target>`;
4. deploy: every layer of the target, from a worktree of R (never the current checkout);
5. smoke: the target smoke-tested, and the result recorded for R there.

Like CDK Pipelines' stages with pre/post steps, or Atlantis' apply requirements, but with the
evidence (what ran where, and whether it passed) kept in each environment's own state backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.records import Deployed, SmokeRecord, recordable
from shared.environments import ENVIRONMENTS
from shared.errors import PlatformError

GATES = ("source passed", "policy", "preview + guard", "confirm", "deploy", "smoke")


def check_direction(source: str, target: str) -> None:
    """Promotion goes forward along the matrix's order, one or more steps."""
    for name in (source, target):
        if name not in ENVIRONMENTS:
            raise PlatformError(
                f"unknown environment {name!r}; expected one of {', '.join(ENVIRONMENTS)}"
            )
    if ENVIRONMENTS.index(source) >= ENVIRONMENTS.index(target):
        raise PlatformError(
            f"promotion goes forward ({' -> '.join(ENVIRONMENTS)}); not {source} -> {target}"
        )


@dataclass(frozen=True)
class SourceState:
    """What the source environment says about the revision to promote."""

    deployed: Deployed
    record: SmokeRecord | None

    @property
    def revision(self) -> str | None:
        return self.deployed.revision

    def refusal(self) -> str | None:
        """Why this source cannot be promoted, or None."""
        source = self.deployed.environment
        revision = self.revision
        if revision is None:
            return f"{self.deployed.why_not_one()}; deploy {source} fully from one commit first"
        if not recordable(revision):
            return (
                f"{source} runs uncommitted changes on top of {revision[:12]}; commit them and "
                f"deploy {source} again"
            )
        if self.record is None:
            return (
                f"{source}'s revision {revision[:12]} has no smoke result; run "
                f"nox -s smoke -- {source}"
            )
        if not self.record.passed:
            return f"{source}'s revision {revision[:12]} did not pass: {self.record.describe()}"
        return None


def render(source: str, target: str, state: SourceState, gate_states: list[str]) -> str:
    revision = state.revision or "(none)"
    lines = [f"promote {source} -> {target}", f"  revision: {revision}"]
    width = max(len(gate) for gate in GATES)
    lines += [
        f"  {number}. {gate:<{width}}  {described}"
        for number, (gate, described) in enumerate(zip(GATES, gate_states, strict=True))
    ]
    return "\n".join(lines)


def policy_gate(checkout: Path, environment: str, log: Callable[[str], None]) -> None:
    """The guardrails of the revision in `checkout`, on its own synth of `environment`.

    Run as `nox -s guardrails` runs them, in the checkout, with its code first on the path: the
    rules are the revision's own, judged on what that revision would deploy. They run with this
    environment's packages (the deploy gate builds a revision with other pins its own virtualenv,
    orchestration/automation.py program_virtualenv; the rules need only pulumi and the SDKs).
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(checkout), str(checkout / "functions" / "data_processor")]
        ),
    }
    for module in ("synth", "guardrails"):
        log(f"policy: python -m {module} {environment} (in the revision's worktree) ...")
        result = subprocess.run(
            [sys.executable, "-m", module, environment],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PlatformError(
                f"refusing to promote: the policy gate failed ({module}): {_why(result)}"
            )


def _why(result: subprocess.CompletedProcess[str]) -> str:
    """The violations the guardrails listed (their report's own section), else the last line."""
    lines = result.stdout.splitlines()
    if "violations:" in lines:
        listed = lines[lines.index("violations:") + 1 :]
        end = next((i for i, line in enumerate(listed) if not line.strip()), len(listed))
        found = [line.strip() for line in listed[:end]]
        return "; ".join(found[:5]) + (f" (and {len(found) - 5} more)" if len(found) > 5 else "")
    text = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return text[-1] if text else f"exit {result.returncode}"
