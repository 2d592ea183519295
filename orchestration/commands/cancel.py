"""cancel: `pulumi cancel` for the chosen layers' stacks, after a run was interrupted."""

from __future__ import annotations

from orchestration.context import Run
from orchestration.engine import EngineError
from orchestration.options import CancelOptions
from orchestration.plan import select_layers


def run(run: Run, options: CancelOptions) -> int:
    """Each chosen stack in turn; one that cannot be cancelled does not stop the others."""
    engine, _target = run.connect(reads_aws=False)
    failed = 0
    for name in select_layers(list(options.layers)):
        stack = run.stack_for[name]
        try:
            if not engine.exists(stack):
                run.say(f"{stack.name}: not deployed; nothing to cancel")
                continue
            engine.cancel(stack)
        except EngineError as error:
            run.say(f"could not cancel: {error}")
            failed += 1
            continue
        run.say(f"{stack.name}: its pending operation, if any, is cleared")
    return 1 if failed else 0
