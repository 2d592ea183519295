"""Fixtures for every test: the environments synthesized once, and no network beyond loopback."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from shared.environments import ENVIRONMENTS, PROFILES, EnvironmentProfile
from synth.synthesize import synth_environment
from tests.support.documents import Document


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """checkov lives in a virtualenv of its own (its pins clash with ours): its tests run where
    CHECKOV names its executable, as `nox -s scan` does, and are deselected (not skipped,
    not failed) everywhere else."""
    if os.environ.get("CHECKOV"):
        return
    kept = [item for item in items if item.get_closest_marker("checkov") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
