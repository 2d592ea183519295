"""Every layer's stack file checked before a run starts anything: the same parsers the stack
programs use (shared/settings.py), so a bad value in compute stops the run before network."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import yaml

from orchestration.context import shown, stack_region
from orchestration.engine import StackRef
from shared.errors import ConfigError, PlatformError
from shared.layers import LAYERS
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
    """Raise, in one line naming the file, at the first value a stack program would refuse;
    and when one environment's layers name different regions."""
    checked = list(stacks)
    for stack in checked:
        settings(stack)
    _one_region(checked)


def _one_region(stacks: list[StackRef]) -> None:
    # compute reads network's subnets and data's stream, table and keys by StackReference:
    # they exist in one region only, so every layer of the environment (not only this run's)
    # names the same one.
    if not stacks:
        return
    every = [dataclasses.replace(stacks[0], layer=layer) for layer in LAYERS.values()]
    regions = {stack.layer.name: stack_region(stack) for stack in every}
    if len(set(regions.values())) > 1:
        listed = ", ".join(f"{layer} {region or '(unset)'}" for layer, region in regions.items())
        environment = stacks[0].environment
        raise PlatformError(
            f"the layers of {environment} name different regions ({listed}): compute uses "
            "network's and data's resources, which exist in one region; set the same aws:region "
            f"in every Pulumi.{environment}.yaml"
        )
