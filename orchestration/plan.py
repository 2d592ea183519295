"""Plans: which stacks an action touches, in which waves, behind which guards. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from orchestration.engine import Engine, StackRef
from shared.errors import PlatformError
from shared.layers import LAYERS, Layer, waves


class Action(str, Enum):
    DEPLOY = "deploy"
    PREVIEW = "preview"
    DESTROY = "destroy"
    DRIFT = "drift"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class Plan:
    action: Action
    environment: str
    # Waves run one after another; the stacks of a wave run concurrently.
    waves: tuple[tuple[StackRef, ...], ...]
    backend_url: str
    note: str = ""
    # The git revision the stacks run from, when it is not the checkout's (rollback).
    revision: str = ""
    # Steps after the last wave, numbered on from its stacks.
    then: tuple[str, ...] = ()
    # A destroy leaves protected resources (and what they depend on) in place.
    keep_protected: bool = False

    @property
    def stacks(self) -> tuple[StackRef, ...]:
        return tuple(stack for wave in self.waves for stack in wave)

    def render(self) -> str:
        lines = [
            # The target is the run's first line (commands/__init__.py): not said twice.
            f"plan: {self.action.value} {self.environment}",
            f"  backend: {self.backend_url}",
        ]
        step = 0
        for number, wave in enumerate(self.waves, 1):
            together = " (concurrently)" if len(wave) > 1 else ""
            lines.append(f"  wave {number}{together}:")
            for stack in wave:
                step += 1
                source = f" from {self.revision}" if self.revision else ""
                lines.append(
                    f"    {step}. {self.action.value} {stack.layer.name:<8} {stack.name}{source}"
                )
        if self.then:
            lines.append("  then:")
        for extra in self.then:
            step += 1
            lines.append(f"    {step}. {extra}")
        if self.keep_protected:
            lines.append(
                "  protected stateful resources are kept (the matrix's protect_stateful); "
                "the run lists them and how to remove them deliberately"
            )
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)


def select_layers(names: list[str]) -> tuple[str, ...]:
    unknown = [name for name in names if name not in LAYERS]
    if unknown:
        raise PlatformError(
            f"unknown layer {unknown[0]!r}; expected any of {', '.join(LAYERS)} (none means all)"
        )
    return tuple(names) or tuple(LAYERS)


def build_plan(
    action: Action,
    environment: str,
    layer_names: tuple[str, ...],
    stack_for: dict[str, StackRef],
    *,
    backend_url: str,
    note: str = "",
    revision: str = "",
    then: tuple[str, ...] = (),
    keep_protected: bool = False,
) -> Plan:
    groups = waves(layer_names)
    if action is Action.DESTROY:
        groups = tuple(reversed(groups))  # dependents go first
    return Plan(
        action,
        environment,
        tuple(tuple(stack_for[layer.name] for layer in group) for group in groups),
        backend_url,
        note,
        revision,
        then,
        keep_protected and action is Action.DESTROY,
    )


def dependents(layer: Layer) -> tuple[Layer, ...]:
    return tuple(other for other in LAYERS.values() if layer.name in other.depends_on)


def require_confirmation(environment: str, protected: bool, confirm: str | None) -> None:
    """Destroying a protected environment takes its name, typed out."""
    if protected and confirm != environment:
        raise PlatformError(
            f"refusing to destroy {environment}: it is protected; "
            f"add --confirm {environment} to proceed"
        )


def check_dependents_destroyed(plan: Plan, stack_for: dict[str, StackRef], engine: Engine) -> None:
    """Refuse to pull a layer out from under a deployed layer that reads it."""
    in_run = {stack.layer.name for stack in plan.stacks}
    for stack in plan.stacks:
        for dependent in dependents(stack.layer):
            if dependent.name in in_run:
                continue
            other = stack_for[dependent.name]
            if engine.exists(other) and engine.outputs(other):
                raise PlatformError(
                    f"refusing to destroy {stack.layer.name}: {dependent.name} ({other.name}) is "
                    f"deployed and reads it; destroy both in one run "
                    f"(nox -s destroy -- {plan.environment} {dependent.name} {stack.layer.name})"
                )


def missing_upstream(
    stack: StackRef,
    stack_for: dict[str, StackRef],
    engine: Engine,
    among: Iterable[str] | None = None,
) -> str | None:
    """Why `stack` cannot run yet (an upstream never deployed, or lacking an output), or None.

    `among` limits the check to some upstream layers (those not deployed in the same run).
    """
    names = set(stack.layer.depends_on if among is None else among)
    for upstream_name, keys in stack.layer.reads.items():
        if upstream_name not in names:
            continue
        upstream = stack_for[upstream_name]
        first = f"deploy it first: nox -s deploy -- {stack.environment} {upstream_name}"
        if not engine.exists(upstream):
            return f"{upstream.name} has never been deployed; {first}"
        outputs = engine.outputs(upstream)
        absent = [key for key in keys if key not in outputs]
        if absent:
            return f"{upstream.name} has no output {absent[0]!r}; {first}"
    return None


def check_upstreams(plan: Plan, stack_for: dict[str, StackRef], engine: Engine) -> None:
    """Before deploying some layers alone, their upstreams must exist with the needed outputs."""
    in_run = {stack.layer.name for stack in plan.stacks}
    for stack in plan.stacks:
        outside = {n for n in stack.layer.depends_on if n not in in_run}
        if not outside:
            continue
        reason = missing_upstream(stack, stack_for, engine, among=outside)
        if reason:
            raise PlatformError(f"cannot {plan.action.value} {stack.layer.name}: {reason}")


def unmet_needs(layer: Layer, outputs: dict[str, object]) -> list[str]:
    """What the layers reading `layer` need from it that its outputs no longer carry."""
    return [
        f"{dependent.name} needs {key!r}"
        for dependent in dependents(layer)
        for key in dependent.reads[layer.name]
        if key not in outputs
    ]
