"""Each command's options, typed and frozen: what `cli.py` makes of argv, once, per command."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from orchestration.plan import Action


@dataclass(frozen=True, kw_only=True)
class Common:
    """What every command takes: where it acts, and how it finds the engine."""

    command: str
    environment: str
    target: str  # "local" (the emulator) or "aws"
    backend: str | None  # the state base URL; None: $TRADING_ANALYTICS_BACKEND, else .state/
    org: str
    install_cli: bool
    report: Path | None = None  # a second place for the run report


@dataclass(frozen=True, kw_only=True)
class Changing(Common):
    """A command that may change the environment: a dry run, the lock, the confirmation."""

    dry_run: bool = False
    confirm: str | None = None
    force_unlock: bool = False
    allow_replace: tuple[str, ...] = ()
    # On the aws target a deploy, rollback or promotion runs preflight first, unless skipped.
    skip_preflight: bool = False


@dataclass(frozen=True, kw_only=True)
class LayersOptions(Changing):
    """deploy, preview, destroy and drift over the chosen layers."""

    action: Action
    layers: tuple[str, ...] = ()
    affected: str | None = None  # None: not --affected; "": the default base
    expect_no_changes: bool = False


@dataclass(frozen=True, kw_only=True)
class RollbackOptions(Changing):
    layer: str
    to: str | None = None


@dataclass(frozen=True, kw_only=True)
class PromoteOptions(Changing):
    source: str
    # Promote past the environments between (dev -> production), said and reported.
    skip_staging: bool = False


@dataclass(frozen=True, kw_only=True)
class OutputsOptions(Common):
    json: bool = False


@dataclass(frozen=True, kw_only=True)
class SmokeOptions(Common):
    pass


@dataclass(frozen=True, kw_only=True)
class CancelOptions(Common):
    layers: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PreflightOptions(Common):
    """preflight: the checks alone (orchestration/preflight.py)."""


@dataclass(frozen=True, kw_only=True)
class SendOptions(Common):
    """send: `count` well-formed trades of `symbol` on the environment's stream."""

    count: int = 1
    symbol: str = "AAPL"
    amount: int | float = 1000


Options = (
    LayersOptions
    | RollbackOptions
    | PromoteOptions
    | OutputsOptions
    | SmokeOptions
    | CancelOptions
    | SendOptions
    | PreflightOptions
)


class CommonArgs(TypedDict):
    """The fields of `Common`, as the parser hands them over."""

    command: str
    environment: str
    target: str
    backend: str | None
    org: str
    install_cli: bool
    report: Path | None


class ChangeArgs(TypedDict):
    """The fields `Changing` adds."""

    dry_run: bool
    confirm: str | None
    force_unlock: bool
    allow_replace: tuple[str, ...]
    skip_preflight: bool


# What a command that lacks an option means by it: one place, so no converter guesses.
ABSENT: dict[str, object] = {
    "dry_run": False,
    "confirm": None,
    "force_unlock": False,
    "allow_replace": [],
    "skip_preflight": False,
    "affected": None,
    "expect_no_changes": False,
}
