"""A running emulator for the functional tests: its own process, port and work directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import moto_aws
from tests.support.emulator import Clients, clients_of, running_emulator


@pytest.fixture(scope="session")
def emulator_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_emulator(tmp_path_factory.mktemp("emulator")) as emulator:
        yield emulator.endpoint


@pytest.fixture(scope="session")
def clients(emulator_endpoint: str) -> Clients:
    return clients_of(emulator_endpoint)


@pytest.fixture(scope="session")
def platform_resources(clients: Clients) -> None:
    """The table, bucket and failure queue the function writes to, once per emulator."""
    moto_aws.create_resources(clients("dynamodb"), clients("s3"), clients("sqs"))
