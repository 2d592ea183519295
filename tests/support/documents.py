"""Reading synth documents (build/synth/<env>.json) in tests: layers, resources, policies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

Document = dict[str, Any]
Resource = dict[str, Any]


def layer(document: Document, name: str) -> Document:
    return next(entry for entry in document["layers"] if entry["layer"] == name)


def resources(document: Document, type_token: str, layer_name: str | None = None) -> list[Resource]:
    layers = [layer(document, layer_name)] if layer_name else document["layers"]
    return [r for entry in layers for r in entry["resources"] if r["type"] == type_token]


def one(
    document: Document, type_token: str, layer_name: str | None = None, name: str | None = None
) -> Resource:
    found = [r for r in resources(document, type_token, layer_name) if name in {None, r["name"]}]
    assert len(found) == 1, f"expected one {type_token}, found {[r['name'] for r in found]}"
    return found[0]


def policy(resource: Resource, key: str = "policy") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resource["inputs"][key])
    return document


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from document["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
