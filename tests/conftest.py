"""Fixtures for every test: the environments synthesized once, no network beyond loopback, and
the checkout's own state (`.state/`, `build/runs/`) never written."""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.environments import ENVIRONMENTS, PROFILES, EnvironmentProfile
from shared.layers import REPO_ROOT
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


# What a user's own runs keep in the checkout: backends and locks, the emulator, run reports.
GUARDED = (REPO_ROOT / ".state", REPO_ROOT / "build" / "runs")
GUARD = Path(__file__).parent / "support" / "checkout_guard"


@pytest.fixture(autouse=True, scope="session")
def checkout_guard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Writes into GUARDED refused, in this process and in every Python process it starts
    (tests/support/checkout_guard/sitecustomize.py), and recorded in the returned log."""
    spec = importlib.util.spec_from_file_location("checkout_guard", GUARD / "sitecustomize.py")
    assert spec is not None and spec.loader is not None
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    log = tmp_path_factory.getbasetemp() / f"checkout-writes-{os.getpid()}.log"
    log.touch()
    roots = [str(root) for root in GUARDED]
    os.environ[guard.ROOTS_VARIABLE] = os.pathsep.join(roots)
    os.environ[guard.LOG_VARIABLE] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(GUARD), os.environ.get("PYTHONPATH")])
    )
    guard.install(roots, str(log))
    return log


@pytest.fixture(autouse=True)
def _checkout_untouched(checkout_guard: Path) -> Iterator[None]:
    """Fails the test that wrote (or whose processes wrote) into the checkout's own state."""
    checkout_guard.write_text("")
    yield
    written = checkout_guard.read_text().splitlines()
    if written:
        pytest.fail(
            "this test wrote into the checkout's own state (use a temporary backend and state "
            f"directory): {'; '.join(written[:3])}",
            pytrace=False,
        )


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
