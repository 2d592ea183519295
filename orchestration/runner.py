"""Runs a plan wave by wave: a wave's stacks concurrently, each line prefixed by its layer."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any, TextIO

from orchestration.engine import Changes, Engine, StackRef, Step, revision_message
from orchestration.plan import Action, Plan, dependents
from shared.errors import PlatformError


class Status(str, Enum):
    """What became of one stack in a run (the run report's `result`)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    DRIFTED = "drifted"
    BLOCKED = "blocked"
    INTERRUPTED = "interrupted"


@dataclass
class StepResult:
    layer: str
    stack: str
    status: Status
    seconds: float = 0.0
    changes: Changes = field(default_factory=dict)
    detail: str = ""
    # Skipped because a layer it needs failed (as opposed to: nothing it reads changed).
    stopped: bool = False
    # A preview's per-resource steps (empty for the other actions).
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCEEDED

    @property
    def unneeded(self) -> bool:
        """Skipped because nothing it reads changed: not a failure."""
        return self.status is Status.SKIPPED and not self.stopped


class Console:
    """Line output shared by concurrent steps: whole lines, prefixed, never interleaved."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def line(self, text: str, prefix: str = "") -> None:
        with self.lock:
            for part in text.rstrip("\n").splitlines() or [""]:
                self.stream.write(f"{prefix}{part}\n")
            self.stream.flush()

    def for_layer(self, layer: str) -> Callable[[str], None]:
        return lambda text: self.line(text, f"[{layer:<7}] ")


UNCHANGED = "the outputs it reads are unchanged"
NOT_DEPLOYED = "not deployed"
INTERRUPTED = "interrupted (Ctrl-C) while it ran: its stack may hold a pending operation"
NOT_STARTED = "not started: the run was interrupted"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run, with what became of every stack of the plan."""

    def __init__(self, results: list[StepResult]) -> None:
        super().__init__()
        self.results = results


NOTHING_TO_DESTROY = "not deployed: nothing to destroy"


def run_plan(
    plan: Plan,
    engine: Engine,
    console: Console,
    revision: str,
    blocked: Callable[[StackRef], str | None] = lambda _stack: None,
    *,
    cascade: Mapping[str, tuple[str, ...]] = MappingProxyType({}),
) -> list[StepResult]:
    """Run every wave; a failed stack stops the stacks that depend on it, the others finish.

    `cascade` names the layers that are in the run only because they read others (layer ->
    those upstream layers): such a layer runs only if an output it reads from them changed in
    this run. A deploy compares the upstream's outputs before and after its update; a preview,
    which applies nothing, counts an upstream whose preview changes nothing as unchanged.
    """
    results: dict[str, StepResult] = {}
    stacks = {stack.layer.name: stack for stack in plan.stacks}
    before = {
        upstream: engine.outputs(stacks[upstream])
        for upstreams in cascade.values()
        for upstream in upstreams
        if upstream in stacks
    }
    # The steps that began, and how those that ended did: known to the Ctrl-C handler even
    # for a step whose future the interrupted submission never returned.
    began: set[str] = set()
    steps: dict[str, StepResult] = {}
    # Set at Ctrl-C, before the pool waits for its steps: the CLI a step drives dies of the
    # same signal, and its error is the interruption, not a failure to report as one.
    stopping = threading.Event()
    try:
        for wave in plan.waves:
            runnable = []
            for stack in wave:
                stopped_by = _failed_neighbour(plan.action, stack, results)
                name = stack.layer.name
                if stopped_by:
                    results[name] = StepResult(
                        name,
                        stack.name,
                        Status.SKIPPED,
                        detail=f"{stopped_by} failed",
                        stopped=True,
                    )
                elif name in cascade and not _reads_changed(
                    plan.action,
                    stack,
                    upstreams=cascade[name],
                    stacks=stacks,
                    before=before,
                    results=results,
                    engine=engine,
                ):
                    console.for_layer(name)(f"skipped: {UNCHANGED}")
                    results[name] = StepResult(name, stack.name, Status.SKIPPED, detail=UNCHANGED)
                else:
                    runnable.append(stack)
            _run_wave(
                runnable,
                results=results,
                stopping=stopping,
                began=began,
                steps=steps,
                step=lambda stack: functools.partial(
                    _run_step,
                    plan.action,
                    stack,
                    engine,
                    console,
                    revision,
                    blocked=blocked,
                    keep_protected=plan.keep_protected,
                    stopping=stopping,
                ),
            )
    except KeyboardInterrupt:
        # Ctrl-C reaches the CLI too, which then fails: what ran and did not succeed is
        # interrupted, what succeeded keeps its result, the rest was not started.
        # Every step that began has ended by now (the pool waited for it).
        for name in began:
            ended = steps.get(name)
            results[name] = (
                ended
                if ended is not None and ended.ok
                else StepResult(name, stacks[name].name, Status.INTERRUPTED, detail=INTERRUPTED)
            )
        for stack in plan.stacks:
            results.setdefault(
                stack.layer.name,
                StepResult(
                    stack.layer.name, stack.name, Status.SKIPPED, detail=NOT_STARTED, stopped=True
                ),
            )
        raise Interrupted([results[stack.layer.name] for stack in plan.stacks]) from None
    return [results[stack.layer.name] for stack in plan.stacks]


def _run_wave(
    runnable: list[StackRef],
    *,
    results: dict[str, StepResult],
    stopping: threading.Event,
    began: set[str],
    steps: dict[str, StepResult],
    step: Callable[[StackRef], Callable[[], StepResult]],
) -> None:
    """One wave's stacks at once; `stopping` is set at Ctrl-C before the pool waits for them."""

    def tracked(stack: StackRef) -> Callable[[], StepResult]:
        run = step(stack)

        def body() -> StepResult:
            began.add(stack.layer.name)
            steps[stack.layer.name] = outcome = run()
            return outcome

        return body

    with ThreadPoolExecutor(max_workers=max(1, len(runnable))) as pool:
        try:
            futures = [(stack.layer.name, pool.submit(tracked(stack))) for stack in runnable]
            for name, future in futures:
                results[name] = future.result()
        except KeyboardInterrupt:
            stopping.set()
            raise


def _reads_changed(
    action: Action,
    stack: StackRef,
    *,
    upstreams: tuple[str, ...],
    stacks: Mapping[str, StackRef],
    before: Mapping[str, Mapping[str, Any]],
    results: Mapping[str, StepResult],
    engine: Engine,
) -> bool:
    for upstream in upstreams:
        if upstream not in stacks:
            continue
        if action is Action.PREVIEW:
            changes = results[upstream].changes if upstream in results else {}
            if any(op != "same" and count for op, count in changes.items()):
                return True
            continue
        read = stack.layer.reads.get(upstream, ())
        after = engine.outputs(stacks[upstream])
        if any(before[upstream].get(name) != after.get(name) for name in read):
            return True
    return False


def _failed_neighbour(action: Action, stack: StackRef, results: dict[str, StepResult]) -> str:
    """The layer whose failure stops this one: an upstream on the way up, a dependent down."""
    if action is Action.DESTROY:
        neighbours = [layer.name for layer in dependents(stack.layer)]
    elif action in (Action.DEPLOY, Action.ROLLBACK):
        neighbours = list(stack.layer.depends_on)
    else:
        return ""  # previews and drift checks change nothing; each layer reports on its own
    return next(
        (
            n
            for n in neighbours
            if n in results and (results[n].status is Status.FAILED or results[n].stopped)
        ),
        "",
    )


def _run_step(
    action: Action,
    stack: StackRef,
    engine: Engine,
    console: Console,
    revision: str,
    *,
    blocked: Callable[[StackRef], str | None],
    keep_protected: bool = False,
    stopping: threading.Event | None = None,
) -> StepResult:
    out = console.for_layer(stack.layer.name)
    if action in (Action.DESTROY, Action.DRIFT) and not engine.exists(stack):
        # Never deployed means one thing everywhere: nothing there, said in one word.
        if action is Action.DESTROY:
            out(NOTHING_TO_DESTROY)
            return StepResult(stack.layer.name, stack.name, Status.SKIPPED, detail=NOT_DEPLOYED)
        out(f"cannot {action.value}: {NOT_DEPLOYED}")
        return StepResult(stack.layer.name, stack.name, Status.BLOCKED, detail=NOT_DEPLOYED)
    reason = blocked(stack)
    if reason:
        out(f"cannot {action.value}: {reason}")
        return StepResult(stack.layer.name, stack.name, Status.BLOCKED, detail=reason)
    out(f"{action.value} {stack.name} ...")
    started = time.monotonic()
    steps: list[Step] = []
    try:
        if action in (Action.DEPLOY, Action.ROLLBACK):
            changes = engine.up(
                stack, message=revision_message(action.value, revision), on_output=out
            )
        elif action is Action.PREVIEW:
            changes = engine.preview(stack, on_output=out, on_step=steps.append)
        elif action is Action.DESTROY:
            changes = engine.destroy(stack, on_output=out, keep_protected=keep_protected)
        else:
            changes = engine.drift(stack, on_output=out)
    except PlatformError as error:  # the engine's, or a stack's own (passphrase, program files)
        if stopping is not None and stopping.is_set():
            out("interrupted")
            return StepResult(stack.layer.name, stack.name, Status.INTERRUPTED, detail=INTERRUPTED)
        out(f"failed: {error}")
        return StepResult(
            stack.layer.name,
            stack.name,
            Status.FAILED,
            time.monotonic() - started,
            detail=str(error),
        )
    status = Status.SUCCEEDED
    if action is Action.DRIFT and any(op != "same" and n for op, n in changes.items()):
        status = Status.DRIFTED
    return StepResult(
        stack.layer.name, stack.name, status, time.monotonic() - started, changes, steps=steps
    )


def summary(results: list[StepResult]) -> str:
    lines = [f"{'layer':<9}{'result':<11}{'duration':>9}  changes"]
    for r in results:
        changes = ", ".join(f"{op} {n}" for op, n in sorted(r.changes.items()) if n) or "-"
        detail = f"  ({r.detail})" if r.detail and not r.ok else ""
        lines.append(f"{r.layer:<9}{r.status.value:<11}{r.seconds:>8.1f}s  {changes}{detail}")
    return "\n".join(lines)
