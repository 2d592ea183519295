"""One module per command; `run` starts the one its options name."""

from __future__ import annotations

from typing import TextIO

from orchestration.commands import (
    cancel,
    layers,
    outputs,
    preflight,
    promote,
    rollback,
    send,
    smoke,
)
from orchestration.context import Run, Runtime
from orchestration.local_state import still_running
from orchestration.options import (
    CancelOptions,
    LayersOptions,
    Options,
    OutputsOptions,
    PreflightOptions,
    PromoteOptions,
    RollbackOptions,
    SendOptions,
    SmokeOptions,
)
from orchestration.runner import Console


def run(options: Options, runtime: Runtime, console: Console, out: TextIO) -> int:
    """Run the command; its first line says which target it talks to."""
    context = Run.start(options, runtime, console, out)
    if isinstance(options, LayersOptions):
        layers.check(options, context.profile.protected)
    console.line(f"target: {context.target_description}")
    for note in context.notes:
        console.line(note)
    try:
        return _dispatch(context, options)
    finally:
        # A local run leaves the emulator up for the next; say so, and how to stop it.
        for record in context.emulators[:1]:
            console.line(still_running(record))


def _dispatch(context: Run, options: Options) -> int:
    match options:
        case LayersOptions():
            return layers.run(context, options)
        case RollbackOptions():
            return rollback.run(context, options)
        case PromoteOptions():
            return promote.run(context, options)
        case OutputsOptions():
            return outputs.run(context, options)
        case SmokeOptions():
            return smoke.run(context, options)
        case CancelOptions():
            return cancel.run(context, options)
        case SendOptions():
            return send.run(context, options)
        case PreflightOptions():
            return preflight.run(context, options)
