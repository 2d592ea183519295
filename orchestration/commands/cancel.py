"""cancel: `pulumi cancel` for the chosen layers' stacks, after a run was interrupted."""

from __future__ import annotations

from orchestration.context import Run
from orchestration.options import CancelOptions
from orchestration.plan import select_layers


def run(run: Run, options: CancelOptions) -> int:
    engine, _target = run.connect()
    for name in select_layers(list(options.layers)):
        stack = run.stack_for[name]
        if not engine.exists(stack):
            run.say(f"{stack.name}: not deployed; nothing to cancel")
            continue
        engine.cancel(stack)
        run.say(f"{stack.name}: its pending operation, if any, is cleared")
    return 0
