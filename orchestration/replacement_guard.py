"""The replacement guard: in a protected environment no stateful resource is replaced or
deleted unless the run names it (`--allow-replace URN`); docs/deploying.md explains it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from orchestration.engine import Engine, StackRef, Step
from shared.errors import PlatformError
from shared.stateful import STATEFUL_TYPES

# Engine step ops that replace or delete (pkg/display/display.go's operations).
DESTRUCTIVE_OPS = frozenset(
    {"replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced"}
)


def dangerous(steps: Iterable[Step], allowed: Sequence[str]) -> list[Step]:
    found: dict[str, Step] = {}
    for step in steps:
        if step.type in STATEFUL_TYPES and step.op in DESTRUCTIVE_OPS and step.urn not in allowed:
            found.setdefault(step.urn, step)  # a replacement shows as several steps
    return list(found.values())


def check_replacements(
    stacks: Sequence[StackRef],
    engine: Engine,
    allowed: Sequence[str],
    log: Callable[[str], None],
    command: str,
) -> None:
    """Preview every existing stack; raise naming each stateful resource that would go."""
    blocked: list[Step] = []
    for stack in stacks:
        if not engine.exists(stack):
            continue  # nothing to replace yet
        log(f"replacement guard: previewing {stack.name} ...")
        steps: list[Step] = []
        engine.preview(stack, on_output=lambda _line: None, on_step=steps.append)
        blocked += dangerous(steps, allowed)
    if blocked:
        listed = "; ".join(_describe(step) for step in blocked)
        allow = " ".join(f"--allow-replace {step.urn}" for step in blocked)
        raise PlatformError(
            f"refusing to {command}: it would replace or delete stateful resources: {listed}; "
            f"if that is intended, run again with {allow}"
        )


def _describe(step: Step) -> str:
    forced = f", forced by {', '.join(step.replace_keys)}" if step.replace_keys else ""
    return f"{step.urn} ({step.op}{forced})"
