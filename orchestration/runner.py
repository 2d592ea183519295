"""Runs a plan wave by wave: a wave's stacks concurrently, each line prefixed by its layer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TextIO

from orchestration.engine import Changes, Engine, EngineError, StackRef, revision_message
from orchestration.plan import Action, Plan, dependents


@dataclass
class StepResult:
    layer: str
    stack: str
    status: str  # succeeded | failed | skipped | drifted | blocked
    seconds: float = 0.0
    changes: Changes = field(default_factory=dict)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


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


def run_plan(
    plan: Plan,
    engine: Engine,
    console: Console,
    revision: str,
    blocked: Callable[[StackRef], str | None] = lambda _stack: None,
) -> list[StepResult]:
    """Run every wave; a failed stack stops the stacks that depend on it, the others finish."""
    results: dict[str, StepResult] = {}
    for wave in plan.waves:
        runnable = []
        for stack in wave:
            stopped_by = _failed_neighbour(plan.action, stack, results)
            if stopped_by:
                results[stack.layer.name] = StepResult(
                    stack.layer.name, stack.name, "skipped", detail=f"{stopped_by} failed"
                )
            else:
                runnable.append(stack)
        with ThreadPoolExecutor(max_workers=max(1, len(runnable))) as pool:
            futures = {
                stack.layer.name: pool.submit(
                    _run_step, plan.action, stack, engine, console, revision, blocked=blocked
                )
                for stack in runnable
            }
            for name, future in futures.items():
                results[name] = future.result()
    return [results[stack.layer.name] for stack in plan.stacks]


def _failed_neighbour(action: Action, stack: StackRef, results: dict[str, StepResult]) -> str:
    """The layer whose failure stops this one: an upstream on the way up, a dependent down."""
    if action is Action.DESTROY:
        neighbours = [layer.name for layer in dependents(stack.layer)]
    elif action in (Action.DEPLOY, Action.ROLLBACK):
        neighbours = list(stack.layer.depends_on)
    else:
        return ""  # previews and drift checks change nothing; each layer reports on its own
    return next(
        (n for n in neighbours if n in results and results[n].status in {"failed", "skipped"}),
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
) -> StepResult:
    out = console.for_layer(stack.layer.name)
    reason = blocked(stack)
    if reason:
        out(f"cannot {action.value}: {reason}")
        return StepResult(stack.layer.name, stack.name, "blocked", detail=reason)
    out(f"{action.value} {stack.name} ...")
    started = time.monotonic()
    try:
        if action in (Action.DEPLOY, Action.ROLLBACK):
            changes = engine.up(
                stack, message=revision_message(action.value, revision), on_output=out
            )
        elif action is Action.PREVIEW:
            changes = engine.preview(stack, on_output=out)
        elif action is Action.DESTROY:
            changes = engine.destroy(stack, on_output=out)
        else:
            changes = engine.drift(stack, on_output=out)
    except EngineError as error:
        out(f"failed: {error}")
        return StepResult(
            stack.layer.name, stack.name, "failed", time.monotonic() - started, detail=str(error)
        )
    status = "succeeded"
    if action is Action.DRIFT and any(op != "same" and n for op, n in changes.items()):
        status = "drifted"
    return StepResult(stack.layer.name, stack.name, status, time.monotonic() - started, changes)


def summary(results: list[StepResult]) -> str:
    lines = [f"{'layer':<9}{'result':<11}{'duration':>9}  changes"]
    for r in results:
        changes = ", ".join(f"{op} {n}" for op, n in sorted(r.changes.items()) if n) or "-"
        detail = f"  ({r.detail})" if r.detail and not r.ok else ""
        lines.append(f"{r.layer:<9}{r.status:<11}{r.seconds:>8.1f}s  {changes}{detail}")
    return "\n".join(lines)
