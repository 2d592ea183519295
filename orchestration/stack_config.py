"""Every layer's stack file checked before a run starts anything: the same parsers the stack
programs use (shared/settings.py), so a bad value in compute stops the run before network."""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from orchestration.context import shown
from orchestration.engine import StackRef
from shared.errors import ConfigError, PlatformError
from shared.settings import PARSERS


def settings(stack: StackRef) -> object:
    """The stack's settings as its program would parse them; one line naming the file else."""
    path = stack.program_dir / f"Pulumi.{stack.environment}.yaml"
    try:
        document = yaml.safe_load(path.read_text()) if path.exists() else None
    except yaml.YAMLError as error:
        raise PlatformError(f"{shown(path)} is not YAML: {str(error).splitlines()[0]}") from None
    config = dict((document or {}).get("config") or {})
    prefix = f"{stack.layer.project}:"
    raw = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    try:
        return PARSERS[stack.layer.name](stack.environment, config.get("aws:region"), raw)
    except ConfigError as error:
        raise PlatformError(f"{shown(path)}: {error}") from None


def check(stacks: Iterable[StackRef]) -> None:
    """Raise, in one line naming the file, at the first value a stack program would refuse."""
    for stack in stacks:
        settings(stack)
