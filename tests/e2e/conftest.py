"""The end-to-end tier: journeys through the real Automation API and the Pulumi CLI double.

One checkout of the working tree is prepared per test session; each journey gets a local clone
of it (tests/support/checkout.py), so what one journey deploys, another never sees.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.checkout import Checkout, clone_checkout, make_checkout


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Checkout:
    return make_checkout(tmp_path_factory.mktemp("prepared"))


@pytest.fixture
def checkout(prepared: Checkout, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    made = clone_checkout(prepared, tmp_path_factory.mktemp("journey"))
    yield made
    made.stop_emulator()
