"""smoke: invoke the deployed function and put a trade on its stream, read both back, record
the result for the revision (only when the smoke ran)."""

from __future__ import annotations

from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from orchestration import smoke_records
from orchestration.commands.outputs import merged
from orchestration.context import Run
from orchestration.engine import Engine
from orchestration.options import SmokeOptions
from orchestration.smoke import NEEDED, SmokeNotRunError, require, smoke
from orchestration.targets import Target
from shared.errors import PlatformError


def run(run: Run, _options: SmokeOptions) -> int:
    # Reading the stacks starts nothing: the emulator only once they show a deployment.
    engine, _reading = run.connect(reads_aws=False)
    smoke_and_record(run, engine, run.target)
    return 0


def smoke_and_record(run: Run, engine: Engine, target: Callable[[], Target]) -> None:
    """Smoke-test the environment and record the result for the revision it runs; `target` is
    reached only when the stacks' outputs show something to test."""
    state = smoke_records.deployed(engine, run.stacks, run.environment)
    found = merged(run, engine)
    try:
        require(found, NEEDED)  # not deployed: nothing tested, no target reached
        # Clients, credentials: a failure here tested nothing either, so it is not recorded.
        clients = run.runtime.clients_for(target())
        try:
            smoke(found, clients, run.say)
        except SmokeNotRunError:
            raise
        except (PlatformError, BotoCoreError, ClientError) as error:
            _record(run, state, passed=False, detail=str(error).splitlines()[0])
            raise
    except SmokeNotRunError:
        run.say("smoke did not run: nothing recorded")
        raise
    _record(run, state, passed=True, detail="ok")


def _record(run: Run, state: smoke_records.Deployed, *, passed: bool, detail: str) -> None:
    revision = state.revision
    if revision is None or not smoke_records.recordable(revision):
        why = state.why_not_one() if revision is None else "it runs uncommitted changes"
        run.say(f"smoke result not recorded ({why}): no promotion can rely on it")
        return
    record = smoke_records.SmokeRecord.now(run.environment, revision, passed, detail)
    smoke_records.save(run.backend_url, run.runtime.state_s3, record)
    run.say(f"recorded: {record.describe()}")
