"""Writers that never contend, repeats told apart, and the request budget.

The rollup is sharded per writer (one function execution environment); these tests drive two
or more writers through the real store against moto and read the day back through the read
path, which merges the shards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from trade_analytics.processor import Processor
from trade_analytics.store import BACKOFF_CAP_SECONDS

from tests.support.data_processor import (
    Cloud,
    batch,
    expected,
    handler,
    handler_clients,
    invoke,
    processor_for,
    totals,
)
from tests.support.faults import RequestCounter

TODAY = datetime.now(timezone.utc).date().isoformat()


def writer(cloud: Cloud, name: str, **store: Any) -> Processor:
    return processor_for(cloud, writer=name, **store)


def trade(trade_id: str, amount: float = 5, symbol: str = "RACE", **more: Any) -> dict[str, Any]:
    return {"trade_id": trade_id, "amount": amount, "symbol": symbol, **more}


def cancellations(client: Any) -> list[int]:
    """Counts TransactWriteItems calls that AWS cancelled (a list, to read after the fact)."""
    cancelled: list[int] = []

    def seen(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if parsed.get("Error", {}).get("Code") == "TransactionCanceledException":
            cancelled.append(1)

    client.meta.events.register("after-call.dynamodb.TransactWriteItems", seen)
    return cancelled


def test_writers_on_one_symbol_never_contend_and_merge_exactly(cloud: Cloud) -> None:
    first, second = writer(cloud, "container-a"), writer(cloud, "container-b")
    cancelled = cancellations(cloud.dynamodb)
    # Interleaved, as two containers would take turns on a busy symbol.
    first.process({"trades": [trade("A1", 7, side="BUY", price=10, quantity=3)]})
    second.process({"trades": [trade("B1", 5, side="SELL", price=12, quantity=2)]})
    first.process({"trades": [trade("A2", 1, side="BUY", price=9, quantity=1)]})
    assert cancelled == []
    rollup = cloud.rollup("RACE", TODAY)
    assert rollup is not None
    assert (rollup["trade_count"], rollup["shards"]) == (3, 2)
    assert (rollup["buy_volume"], rollup["sell_volume"]) == ("4", "2")
    assert (rollup["min_price"], rollup["max_price"]) == ("9", "12")
    assert rollup["notional"] == str(10 * 3 + 12 * 2 + 9 * 1)


def test_a_retried_delivery_counts_its_earlier_commits_as_processed(cloud: Cloud) -> None:
    event = batch(40, symbols=2)
    first = invoke(event, request_id="req-retried")
    handler.processor.cache_clear()  # the retry lands in a fresh container
    retry = invoke(event, request_id="req-retried")
    assert first["counts"]["processed"] == retry["counts"]["processed"] == 40
    assert retry["counts"]["duplicates"] == 0
    again = invoke(event, request_id="req-another")
    assert (again["counts"]["processed"], again["counts"]["duplicates"]) == (0, 40)
    assert totals(cloud) == expected(event)


def test_a_reused_trade_id_with_another_payload_is_a_conflict_and_changes_nothing(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke({"trades": [trade("T-1", 100, price=10, quantity=10)]})
    record_before = cloud.item("TRADE#T-1", "RECORD")
    response = invoke({"trades": [trade("T-1", 999, price=10, quantity=10), trade("T-2", 1)]})
    assert response["status"] == "partial"
    assert (response["conflicts"], response["duplicates"]) == (["T-1"], [])
    assert response["counts"]["processed"] == 1
    log = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert log["level"] == "WARNING" and log["conflicts"] == 1
    # The same trade spelled differently (100.0 for 100) is a repeat, not a conflict.
    repeat = invoke({"trades": [trade("T-1", 100.0, price=10.0, quantity=10)]})
    assert (repeat["status"], repeat["duplicates"], repeat["conflicts"]) == ("ok", ["T-1"], [])
    assert cloud.item("TRADE#T-1", "RECORD") == record_before
    rollup = cloud.rollup("RACE", TODAY)
    assert rollup is not None and (rollup["trade_count"], rollup["notional"]) == (2, "101")


def test_a_conflict_within_one_batch_keeps_the_first(cloud: Cloud) -> None:
    response = invoke({"trades": [trade("W-1", 3), trade("W-1", 4)]})
    assert (response["conflicts"], response["counts"]["processed"]) == (["W-1"], 1)
    record = cloud.item("TRADE#W-1", "RECORD")
    assert record is not None and record["amount"] == {"N": "3"}


def test_a_write_whose_outcome_was_lost_is_healed_by_the_next_one(cloud: Cloud) -> None:
    processor = writer(cloud, "container-a")
    lost: list[int] = []

    def lose_response(**_: Any) -> None:
        if not lost:  # the transaction committed; its answer never arrived
            lost.append(1)
            raise ReadTimeoutError(endpoint_url="https://dynamodb")

    cloud.dynamodb.meta.events.register("after-call.dynamodb.TransactWriteItems", lose_response)
    event = {"trades": [trade("L1", 1), trade("L2", 2)]}
    with pytest.raises(ReadTimeoutError):
        processor.process(event, delivery="req-1")
    # Lambda's retry: the same request id. The commits are found and counted as processed.
    assert processor.process(event, delivery="req-1").counts["processed"] == 2
    # The writer's next write finds its shard's real state (the one the lost answer hid).
    assert processor.process({"trades": [trade("L3", 4)]}).counts["processed"] == 1
    rollup = cloud.rollup("RACE", TODAY)
    assert rollup is not None and (rollup["trade_count"], rollup["notional"]) == (3, "7")


def _held_by_another_transaction(times: int) -> Callable[..., Any]:
    """A before-call hook answering TransactWriteItems as AWS does when another transaction
    holds the first item: HTTP 400, TransactionCanceledException, reason TransactionConflict
    for that item and None for the others (DynamoDB API reference, TransactWriteItems).
    botocore raises its modelled exception from this answer as from AWS's."""
    calls: list[int] = []

    def answer(params: dict[str, Any], **_: Any) -> Any:
        if len(calls) >= times:
            return None
        calls.append(1)
        items = json.loads(params["body"])["TransactItems"]
        reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (len(items) - 1)
        parsed = {
            "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
            "CancellationReasons": reasons,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return SimpleNamespace(status_code=400, headers={}), parsed

    return answer


def test_a_trade_held_by_another_transaction_is_retried_with_jittered_backoff(
    cloud: Cloud,
) -> None:
    pauses: list[float] = []
    processor = writer(cloud, "container-a", sleep=pauses.append, jitter=lambda: 0.5)
    cloud.dynamodb.meta.events.register(
        "before-call.dynamodb.TransactWriteItems", _held_by_another_transaction(times=3)
    )
    assert processor.process({"trades": [trade("H1", 1)]}).counts["processed"] == 1
    assert len(pauses) == 3
    assert pauses == sorted(pauses) and pauses[0] > 0  # growing, jittered (half the cap here)
    assert max(pauses) <= BACKOFF_CAP_SECONDS


def test_backoff_stops_at_the_deadline_and_the_invocation_fails(cloud: Cloud) -> None:
    processor = writer(cloud, "container-a", sleep=lambda _s: None)
    cloud.dynamodb.meta.events.register(
        "before-call.dynamodb.TransactWriteItems", _held_by_another_transaction(times=1000)
    )
    with pytest.raises(RuntimeError, match="until the invocation's deadline"):
        processor.process({"trades": [trade("H2", 1)]}, deadline=0.0)
    assert cloud.item("TRADE#H2", "RECORD") is None


def test_single_trade_costs_at_most_three_requests(cloud: Cloud) -> None:
    counter = RequestCounter(*handler_clients())
    invoke({"trade_data": {"trade_id": "TEST123", "amount": 1000}})
    assert counter.total <= 3, counter.counts


def test_a_hundred_trades_on_one_symbol_cost_at_most_six_requests(cloud: Cloud) -> None:
    # The budget: 0.06 AWS requests per trade.
    counter = RequestCounter(*handler_clients())
    response = invoke(batch(100, symbols=1))
    assert response["counts"]["processed"] == 100
    assert counter.total <= 6, counter.counts


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
