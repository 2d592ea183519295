"""What promotion checks: the direction, the source's evidence, the revision's own guardrails.

The gates themselves, in order, are declared in orchestration/commands/promote.py;
docs/deploying.md explains them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.smoke_records import Deployed, SmokeRecord, recordable
from shared.environments import ENVIRONMENTS, check_environment
from shared.errors import PlatformError


def check_direction(source: str, target: str, *, skip_staging: bool = False) -> list[str]:
    """Promotion goes forward along the matrix's order, one step unless `skip_staging` lets
    it pass the environments between; returns those it passes."""
    for name in (source, target):
        check_environment(name)
    if ENVIRONMENTS.index(source) >= ENVIRONMENTS.index(target):
        raise PlatformError(
            f"promotion goes forward ({' -> '.join(ENVIRONMENTS)}); not {source} -> {target}"
        )
    skipped = list(ENVIRONMENTS[ENVIRONMENTS.index(source) + 1 : ENVIRONMENTS.index(target)])
    if skipped and not skip_staging:
        raise PlatformError(
            f"promoting {source} -> {target} skips {', '.join(skipped)} (promotion goes "
            f"{' -> '.join(ENVIRONMENTS)}); promote {source} -> {skipped[0]} first, or add "
            "--skip-staging (said, and recorded in the run report)"
        )
    if skip_staging and not skipped:
        raise PlatformError(
            f"--skip-staging: {source} -> {target} skips no environment; leave it out"
        )
    return skipped


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


def guardrails_gate(checkout: Path, environment: str, log: Callable[[str], None]) -> None:
    """The guardrails of the revision in `checkout`, on its own synth of `environment`.

    Run as `nox -s guardrails` runs them, in the checkout, with its code first on the path: the
    rules are the revision's own, judged on what that revision would deploy. They run with this
    environment's packages (the deploy gate builds a revision with other pins its own virtualenv,
    orchestration/toolchain.py program_virtualenv; the rules need only pulumi and the SDKs).
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(checkout), str(checkout / "functions" / "data_processor")]
        ),
    }
    for module in ("synth", "guardrails"):
        log(f"guardrails: python -m {module} {environment} (in the revision's worktree) ...")
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
                f"refusing to promote: the guardrails gate failed ({module}): {_why(result)}"
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
