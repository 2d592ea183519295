"""Reading an upstream layer's outputs through a StackReference, with errors a user can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from shared.layers import Layer


class UpstreamOutputMissing(pulumi.RunError):
    """The upstream stack exists but lacks an output this layer needs."""


class Upstream:
    """One upstream stack; only the outputs the layer graph says we read may be required."""

    def __init__(self, layer: Layer, consumer: Layer, stack_name: str) -> None:
        self.layer = layer
        self.stack_name = stack_name
        self.allowed = consumer.reads[layer.name]
        self.reference = pulumi.StackReference(stack_name)

    def require(self, key: str) -> pulumi.Output[Any]:
        if key not in self.allowed:
            # A programming error, not a user one: the layer graph is the contract.
            raise ValueError(
                f"{key!r} is not among the outputs declared as read from {self.layer.name}"
            )
        return self.reference.outputs.apply(lambda outputs: self._pick(outputs, key))

    def _pick(self, outputs: Mapping[str, Any], key: str) -> Any:
        value = outputs.get(key)
        if value is None:
            environment = self.stack_name.rsplit("/", 1)[-1]
            raise UpstreamOutputMissing(
                f"stack {self.stack_name} has no output {key!r}; deploy that layer first "
                f"(nox -s deploy -- {environment} {self.layer.name})"
            )
        return value
