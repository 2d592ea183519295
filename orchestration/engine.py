"""The interface orchestration needs from an IaC engine, and the values it exchanges."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shared.errors import PlatformError
from shared.layers import Layer
from shared.settings import DEFAULT_ORGANIZATION, stack_reference_name

Changes = Mapping[str, int]  # operation ("create", "update", "same", ...) -> resource count
OnOutput = Callable[[str], None]


@dataclass(frozen=True)
class Step:
    """One resource a preview would change: the engine's step op, its URN and type, and the
    properties that force a replacement (the engine's `keys`, for replace ops)."""

    op: str
    urn: str
    type: str
    replace_keys: tuple[str, ...] = ()


OnStep = Callable[[Step], None]


@dataclass(frozen=True)
class Held:
    """A resource the state marks protected: its URN, type, physical id, and whether deleting it
    from the stack leaves it in the cloud (retainOnDelete)."""

    urn: str
    type: str
    id: str
    retained: bool

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class StackRef:
    """One layer's stack in one environment, in the backend that holds that environment."""

    layer: Layer
    environment: str
    backend_url: str
    organization: str = DEFAULT_ORGANIZATION
    # Where the program runs from: the layer's directory, or a worktree's copy for a rollback.
    work_dir: Path | None = None

    @property
    def name(self) -> str:
        return stack_reference_name(self.organization, self.layer, self.environment)

    @property
    def program_dir(self) -> Path:
        return self.work_dir or self.layer.directory

    @property
    def source_root(self) -> Path:
        """The checkout the program comes from: stacks/<layer> sits two levels below it."""
        return self.program_dir.parent.parent


@dataclass(frozen=True)
class Deployment:
    """A successful update of a stack, newest first in history, with the git revision it ran."""

    revision: str | None
    message: str
    changes: Changes = field(default_factory=dict)


class Engine(Protocol):
    def exists(self, stack: StackRef) -> bool:
        """Whether the stack has been created in its backend."""

    def outputs(self, stack: StackRef) -> dict[str, Any]:
        """The stack's current outputs ({} when it has none or does not exist)."""

    def up(self, stack: StackRef, *, message: str, on_output: OnOutput) -> Changes: ...

    def preview(
        self, stack: StackRef, *, on_output: OnOutput, on_step: OnStep | None = None
    ) -> Changes:
        """What an update would do; each resource it would change is passed to `on_step`."""

    def destroy(self, stack: StackRef, *, on_output: OnOutput, keep_protected: bool) -> Changes:
        """Delete the stack's resources; with `keep_protected`, all but the protected ones and
        what they depend on (`pulumi destroy --exclude-protected`)."""

    def protected(self, stack: StackRef) -> list[Held]:
        """The resources the stack's state marks protected ([] when it does not exist)."""

    def drift(self, stack: StackRef, *, on_output: OnOutput) -> Changes:
        """Refresh in preview: what differs between the state and the live resources."""

    def history(self, stack: StackRef) -> list[Deployment]:
        """Successful updates, newest first."""

    def cancel(self, stack: StackRef) -> None:
        """Clear the stack's pending update (`pulumi cancel`): after an interrupted run only."""


class EngineError(PlatformError):
    """The engine failed: one line naming the stack and the engine's own error text."""


class StackNotFoundError(EngineError):
    """The stack has never been created in its backend."""


class ConcurrentUpdateError(EngineError):
    """Another update holds the stack's lock."""


def revision_message(action: str, revision: str) -> str:
    """The update message that records which git revision a deployment ran."""
    return f"trading-analytics {action} rev={revision}"


def revision_of(message: str) -> str | None:
    marker = " rev="
    if message.startswith("trading-analytics ") and marker in message:
        return message.rsplit(marker, 1)[1].split(maxsplit=1)[0]
    return None
