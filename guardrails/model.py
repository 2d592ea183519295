"""What a rule looks at: one stack's resources, with the environment they belong to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.environments import PROFILES, EnvironmentProfile


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    inputs: Mapping[str, Any]
    # Resource options as the engine stores them (protect, retainOnDelete); an option a view
    # cannot see is absent, not false (the policy pack is shown protect only).
    options: Mapping[str, bool] = field(default_factory=dict)

    def get(self, *path: str) -> Any:
        value: Any = self.inputs
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    def policy(self, key: str = "policy") -> dict[str, Any]:
        raw = self.inputs.get(key)
        if isinstance(raw, str) and raw:
            document: dict[str, Any] = json.loads(raw)
            return document
        return {"Statement": []}


@dataclass(frozen=True)
class StackView:
    """One layer's stack in one environment."""

    environment: str
    layer: str
    region: str
    resources: tuple[Resource, ...]

    @property
    def profile(self) -> EnvironmentProfile:
        return PROFILES[self.environment]

    def of(self, *type_tokens: str) -> Iterator[Resource]:
        return (r for r in self.resources if r.type in type_tokens)

    def has(self, *type_tokens: str) -> bool:
        """Whether the stack holds a resource of any of the types (`of` is a lazy, truthy view)."""
        return any(r.type in type_tokens for r in self.resources)


@dataclass(frozen=True)
class Finding:
    resource: str
    message: str


Check = Callable[[StackView], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    protects: str
    check: Check
    checkov: tuple[str, ...] = ()
    trivy: tuple[str, ...] = ()

    def run(self, view: StackView) -> list[Finding]:
        return list(self.check(view))


def views(document: Mapping[str, Any]) -> list[StackView]:
    """A synth file (build/synth/<env>.json) as one view per layer."""
    return [
        StackView(
            document["environment"],
            layer["layer"],
            document["region"],
            tuple(
                Resource(r["type"], r["name"], r["inputs"], r.get("options", {}))
                for r in layer["resources"]
            ),
        )
        for layer in document["layers"]
    ]
