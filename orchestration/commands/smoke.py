"""smoke: invoke the deployed function and put a trade on its stream, read both back, record
the result for the revision (only when the smoke ran)."""

from __future__ import annotations

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
    # The stacks' outputs first: an environment that is not deployed starts no emulator.
    engine, _reading = run.connect(reads_aws=False)
    try:
        require(merged(run, engine), NEEDED)
    except SmokeNotRunError:
        run.say("smoke did not run: nothing recorded")
        raise
    smoke_and_record(run, engine, run.target())
    return 0


def smoke_and_record(run: Run, engine: Engine, target: Target) -> None:
    """Smoke-test the environment and record the result for the revision it runs."""
    state = smoke_records.deployed(engine, run.stacks, run.environment)
    # Outputs, clients, credentials: a failure here tested nothing, so it is not recorded.
    found = merged(run, engine)
    clients = run.runtime.clients_for(target)
    try:
        smoke(found, clients, run.say)
    except SmokeNotRunError:
        run.say("smoke did not run: nothing recorded")
        raise
    except (PlatformError, BotoCoreError, ClientError) as error:
        _record(run, state, passed=False, detail=str(error).splitlines()[0])
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
