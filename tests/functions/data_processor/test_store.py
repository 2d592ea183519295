"""Concurrent writers and the request budget (AWS requests are the function's cost driver)."""

from __future__ import annotations

from typing import Any

import pytest
from trade_analytics.processor import Processor

from tests.support.data_processor import (
    Cloud,
    batch,
    expected,
    handler_clients,
    invoke,
    totals,
)
from tests.support.faults import RequestCounter


def test_concurrent_writer_on_the_same_rollup_loses_no_count(
    cloud: Cloud, processor: Processor
) -> None:
    rival = Processor(
        processor.store.__class__(cloud.dynamodb, processor.store.table, "dev"),
        processor.archive,
        "dev",
    )
    raced = False

    def race(**_: Any) -> None:
        nonlocal raced
        if not raced:  # between our rollup read and our transaction, a rival commits
            raced = True
            rival.process({"trade_data": {"trade_id": "RIVAL", "amount": 5, "symbol": "RACE"}})

    processor.store.client.meta.events.register("before-call.dynamodb.TransactWriteItems", race)
    mine = {"trade_data": {"trade_id": "MINE", "amount": 7, "symbol": "RACE"}}
    response = processor.process(mine).response
    assert raced and response["counts"]["processed"] == 1
    [rollup] = [i for i in cloud.items() if i["pk"]["S"] == "ROLLUP#RACE"]
    assert (rollup["trade_count"], rollup["total_amount"]) == ({"N": "2"}, {"N": "12"})


def test_single_trade_costs_at_most_three_requests(cloud: Cloud) -> None:
    counter = RequestCounter(*handler_clients())
    invoke({"trade_data": {"trade_id": "TEST123", "amount": 1000}})
    assert counter.total <= 3, counter.counts


@pytest.mark.slow
@pytest.mark.parametrize(("symbols", "days"), [(1, 1), (10, 3), (250, 1)])
def test_thousand_distinct_trades_cost_at_most_sixty_requests(
    cloud: Cloud, symbols: int, days: int
) -> None:
    counter = RequestCounter(*handler_clients())
    response = invoke(batch(1000, symbols=symbols, days=days))
    assert response["counts"]["processed"] == 1000
    assert counter.total <= 60, counter.counts
    assert totals(cloud) == expected(batch(1000, symbols=symbols, days=days))
