"""Fixtures for the data processor: moto in-process per test, or a moto server on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from trade_analytics.processor import Processor

from emulator.process import answers, free_port
from tests.support.data_processor import (
    Cloud,
    fresh_cloud,
    handler,
    in_process_cloud,
    processor_for,
)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with in_process_cloud() as state:
        yield state


@pytest.fixture
def processor(cloud: Cloud) -> Processor:
    return processor_for(cloud)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto as a real HTTP server on loopback, for what in-process mocking cannot show.

    In-process moto answers every request in a botocore hook that runs even when another hook
    has already answered; only over HTTP does an injected fault really stop a request.
    """
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while not answers(url):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("moto_server did not start on 127.0.0.1")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def served_cloud(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """A fresh table and bucket on the moto server; the handler's clients point at it."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    # boto3 reads AWS_ENDPOINT_URL for every client it makes, the handler's included.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    yield fresh_cloud()
    handler.processor.cache_clear()


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore sleeps between retries; the retries are what is under test, not the clock.
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)
