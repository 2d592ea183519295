"""preflight: what AWS would refuse about the environment in this account, before any engine
call; also the first step of deploy, rollback and promote on the aws target (`gate`)."""

from __future__ import annotations

from orchestration import preflight
from orchestration.context import Run
from orchestration.options import PreflightOptions
from shared.errors import PlatformError


def run(run: Run, _options: PreflightOptions) -> int:
    results = _checks(run)
    refused = preflight.failed(results)
    if refused:
        run.say(f"preflight: {len(refused)} of {len(results)} checks failed")
        return 1
    run.say(f"preflight: {run.environment} passes ({len(results)} checks)")
    return 0


def gate(run: Run, skip: bool) -> None:
    """On the aws target, before any engine call: refuse in one line what AWS would refuse.
    `--skip-preflight` is said, and the run report records it."""
    if run.options.target != "aws":
        return  # the emulator's account accepts what the platform asks of it
    if skip:
        run.say("preflight: skipped (--skip-preflight)")
        run.reported["preflight"] = {"result": "skipped", "checks": []}
        return
    results = _checks(run)
    run.reported["preflight"] = preflight.summary(results)
    refused = preflight.failed(results)
    if refused:
        raise PlatformError(
            f"preflight: AWS would refuse {run.environment} here "
            f"({', '.join(r.check for r in refused)}); fix what is said above, or run again "
            "with --skip-preflight to try anyway"
        )


def _checks(run: Run) -> list[preflight.Result]:
    needs = preflight.Needs.of(run.stack_for)  # a bad stack file: one line, before any call
    run.say(f"preflight: {run.environment} in {needs.region}, as this shell's credentials")
    return preflight.run_checks(needs, run.runtime.clients_for(run.target()), run.say)
