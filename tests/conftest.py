"""Shared fixtures: the three environments synthesized once under Pulumi's mock runtime."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from shared.environments import ENVIRONMENTS, PROFILES, EnvironmentProfile
from shared.synth import synth_environment

Document = dict[str, Any]
Resource = dict[str, Any]


@pytest.fixture(scope="session")
def synthesized() -> dict[str, Document]:
    return {environment: synth_environment(environment) for environment in ENVIRONMENTS}


@pytest.fixture(params=ENVIRONMENTS)
def environment(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def doc(synthesized: dict[str, Document], environment: str) -> Document:
    return synthesized[environment]


@pytest.fixture
def profile(environment: str) -> EnvironmentProfile:
    return PROFILES[environment]


def layer(document: Document, name: str) -> Document:
    return next(entry for entry in document["layers"] if entry["layer"] == name)


def resources(document: Document, type_token: str, layer_name: str | None = None) -> list[Resource]:
    layers = [layer(document, layer_name)] if layer_name else document["layers"]
    return [r for entry in layers for r in entry["resources"] if r["type"] == type_token]


def one(document: Document, type_token: str, layer_name: str | None = None) -> Resource:
    found = resources(document, type_token, layer_name)
    assert len(found) == 1, f"expected one {type_token}, found {[r['name'] for r in found]}"
    return found[0]


def policy(resource: Resource, key: str = "policy") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resource["inputs"][key])
    return document


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from document["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Tests reach loopback only: a stray call to real AWS fails here instead of leaving."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any) -> None:
        name = host[0] if isinstance(host, tuple) else host
        if (
            isinstance(name, str)
            and name not in {"localhost", "::1"}
            and not name.startswith("127.")
        ):
            raise ConnectionRefusedError(f"tests may not reach {name!r}: loopback only")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            loopback_only(address)
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        loopback_only(host)
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo
