"""An Engine with the automation adapter's interface, over in-memory stacks, for tests."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestration.engine import (
    Changes,
    Deployment,
    EngineError,
    Held,
    OnOutput,
    OnStep,
    StackRef,
    Step,
    revision_of,
)


@dataclass
class Call:
    operation: str
    layer: str
    started: float
    ended: float
    program_revision: str | None = None


@dataclass
class FakeEngine:
    """Stacks live in `stacks` (name -> outputs); `fail` names layers whose operations fail."""

    delay: float = 0.0
    fail: set[str] = field(default_factory=set)
    # Layers whose operation is interrupted (Ctrl-C) while it runs.
    interrupt: set[str] = field(default_factory=set)
    # Layers running when a terminal's Ctrl-C comes: SIGINT reaches the process (its main
    # thread), and the CLI the operation drives dies of it too, so the operation then fails
    # with the adapter's error, as a real run does.
    ctrl_c: set[str] = field(default_factory=set)
    drifted: dict[str, Changes] = field(default_factory=dict)
    # Per layer, the outputs an up exports instead of every declared one.
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    stacks: dict[str, dict[str, Any]] = field(default_factory=dict)
    histories: dict[str, list[Deployment]] = field(default_factory=dict)
    # Per layer, the steps a preview reports instead of three creates.
    would: dict[str, list[Step]] = field(default_factory=dict)
    # Per layer, the resources its state marks protected once it is deployed.
    held: dict[str, list[Held]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def exists(self, stack: StackRef) -> bool:
        return stack.name in self.stacks

    def outputs(self, stack: StackRef) -> dict[str, Any]:
        return dict(self.stacks.get(stack.name, {}))

    def up(self, stack: StackRef, *, message: str, on_output: OnOutput) -> Changes:
        def apply() -> Changes:
            exported = self.exports.get(
                stack.layer.name, {key: f"{key}-value" for key in stack.layer.exports}
            )
            created = stack.name not in self.stacks
            self.stacks[stack.name] = dict(exported)
            self.histories.setdefault(stack.name, []).insert(
                0, Deployment(revision_of(message), message, {"create": 3})
            )
            return {"create": 3} if created else {"update": 1, "same": 2}

        return self._operate("up", stack, on_output, apply)

    def preview(
        self, stack: StackRef, *, on_output: OnOutput, on_step: OnStep | None = None
    ) -> Changes:
        def would() -> Changes:
            steps = self.would.get(stack.layer.name) or [
                Step(
                    "create",
                    f"urn:pulumi:{stack.environment}::fake::{stack.layer.name}-{i}",
                    "fake",
                )
                for i in range(3)
            ]
            for step in steps:
                if on_step is not None:
                    on_step(step)
            counts: dict[str, int] = {}
            for step in steps:
                counts[step.op] = counts.get(step.op, 0) + 1
            return counts

        return self._operate("preview", stack, on_output, would)

    def destroy(self, stack: StackRef, *, on_output: OnOutput, keep_protected: bool) -> Changes:
        def apply() -> Changes:
            held = self.held.get(stack.layer.name) if stack.name in self.stacks else None
            if held and not keep_protected:
                raise EngineError(f"{stack.name}: resource {held[0].urn!r} cannot be deleted")
            if not held:
                self.stacks.pop(stack.name, None)  # protected resources keep the stack
            return {"delete": 3}

        return self._operate("destroy", stack, on_output, apply)

    def drift(self, stack: StackRef, *, on_output: OnOutput) -> Changes:
        return self._operate(
            "drift", stack, on_output, lambda: self.drifted.get(stack.layer.name, {"same": 3})
        )

    def protected(self, stack: StackRef) -> list[Held]:
        return list(self.held.get(stack.layer.name, [])) if stack.name in self.stacks else []

    def history(self, stack: StackRef) -> list[Deployment]:
        return list(self.histories.get(stack.name, []))

    def cancel(self, stack: StackRef) -> None:
        self.calls.append(Call("cancel", stack.layer.name, time.monotonic(), time.monotonic()))

    def operations(self, operation: str) -> list[Call]:
        return [c for c in self.calls if c.operation == operation]

    def _operate(
        self, operation: str, stack: StackRef, on_output: OnOutput, apply: Callable[[], Changes]
    ) -> Changes:
        started = time.monotonic()
        on_output(f"{operation}: step one of {stack.layer.name}")
        time.sleep(self.delay)
        revision = None
        if stack.work_dir is not None:  # a rollback runs from a checkout: which revision?
            revision = subprocess.run(
                ["git", "-C", str(stack.work_dir), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        try:
            if stack.layer.name in self.fail:
                raise EngineError(f"{operation} of {stack.layer.name} failed (injected)")
            if stack.layer.name in self.interrupt:
                raise KeyboardInterrupt
            if stack.layer.name in self.ctrl_c:
                main = threading.main_thread().ident
                assert main is not None
                signal.pthread_kill(main, signal.SIGINT)
                time.sleep(0.3)  # the CLI's exit reaches the adapter a moment later
                raise EngineError(f"{stack.name}: the CLI exited: KeyboardInterrupt")
            with self.lock:
                result = apply()
            on_output(f"{operation}: done")
            return result
        finally:
            with self.lock:
                self.calls.append(
                    Call(operation, stack.layer.name, started, time.monotonic(), revision)
                )
