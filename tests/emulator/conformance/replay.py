"""Replay each synthesized resource's provider calls against the emulator (table.py says which).

Resources are created in layer order; every fake id, ARN or URL the synth's fake cloud gave a
resource (synth/fake_cloud.py) is replaced, in every later input (JSON policies included), by
the one the emulator returned, as the engine would feed real outputs to later resources.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from synth.fake_cloud import FakeCloud
from synth.synthesize import synth_environment
from tests.emulator.conformance import table


@dataclass(frozen=True)
class Replayed:
    ids: dict[str, str]  # resource name -> the id the emulator returned
    outputs: dict[
        str, dict[str, Any]
    ]  # layer -> the layer's outputs, fake ids replaced by real ones
    calls: int  # AWS calls made


def _fake_values(region: str, resource: Mapping[str, Any]) -> dict[str, str]:
    """What the fake cloud answered for the resource: its id and computed outputs."""
    cloud = FakeCloud(region=region)
    args = SimpleNamespace(typ=resource["type"], name=resource["name"], inputs=resource["inputs"])
    values = {"id": cloud._physical_id(args)}  # type: ignore[arg-type]
    values.update(
        {k: v for k, v in cloud._computed(args).items() if isinstance(v, str)}  # type: ignore[arg-type]
    )
    return values


def substitute(value: Any, real: Mapping[str, str]) -> Any:
    """`value` with every fake value replaced by its real one, inside strings too."""
    if isinstance(value, str):
        # Longest first, so a key id inside its own ARN is not replaced before the ARN.
        for fake in sorted(real, key=len, reverse=True):
            if fake in value:
                value = value.replace(fake, real[fake])
        return value
    if isinstance(value, Mapping):
        return {k: substitute(v, real) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, real) for v in value]
    return value


def replay_document(document: Mapping[str, Any], client: Callable[[str], Any]) -> Replayed:
    region = document["region"]
    ctx = table.Context(client)
    real: dict[str, str] = {}
    ids: dict[str, str] = {}
    outputs: dict[str, dict[str, Any]] = {}
    for layer in document["layers"]:
        for resource in layer["resources"]:
            entry = table.entry_for(resource["type"])
            if entry.create is None:
                continue
            inputs = substitute(resource["inputs"], real)
            name = resource["name"]
            ctx.resource = f"{resource['type']} {name}"
            created = entry.create(ctx, inputs)
            ids[name] = created["id"]
            # A name is not a fake value: where the fake id is the name and the real id an ARN
            # or URL, replacing it would rewrite every ARN that contains the name.
            names = {resource["inputs"].get("name"), resource["inputs"].get("bucket"), name}
            for key, fake in _fake_values(region, resource).items():
                if key in created and fake != created[key] and fake not in names:
                    real[fake] = created[key]
        outputs[layer["layer"]] = substitute(layer["outputs"], real)
    return Replayed(ids=ids, outputs=outputs, calls=ctx.calls)


def replay_environment(environment: str, client: Callable[[str], Any]) -> Replayed:
    """Create every AWS resource of the environment in the emulator as the provider would, in
    layer order, asserting read-back equals inputs; raise AssertionError (naming resource, call,
    field) otherwise."""
    return replay_document(synth_environment(environment), client)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
