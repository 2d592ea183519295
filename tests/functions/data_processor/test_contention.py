"""Concurrent invokers on one busy symbol: none raises, every rollup reads back exact.

Separate processes (each a warm container, so a rollup writer of its own) against a moto server
whose DynamoDB requests are serialised as DynamoDB applies them (tests/support/serial_moto.py
says why the plain threaded server cannot be used). `nox -s bench` runs the issue's full size
(16 invokers x 3 batches x 100 trades) with throughput; this is the same harness, smaller.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.contention import SHAPES, contend
from tests.support.serial_moto import serial_moto_server


@pytest.fixture(scope="module")
def serial_server() -> Iterator[str]:
    with serial_moto_server() as url:
        yield url


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_concurrent_invokers_on_one_symbol_never_raise_and_count_exactly(
    serial_server: str, shape: str
) -> None:
    run = contend(serial_server, invokers=8, batches=2, size=100, symbols=1, shape=shape)
    assert (run.raised, run.failed_records) == (0, 0)
    assert run.exact, run.mismatches
    assert run.requests_per_trade <= 0.06
