"""Rollups, property-based: order-free, batching-free sums that survive their item round trip."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from trade_analytics.records import DECIMAL, Rollup, notional
from trade_analytics.validation import Trade, validate

from tests.support.strategies import NOW, WINDOW, priced_trades, valid_trades


@given(valid_trades)
def test_every_valid_trade_is_accepted_and_keeps_its_payload(raw: dict[str, Any]) -> None:
    [trade], rejected = validate([raw], NOW, WINDOW)
    assert rejected == []
    assert trade.raw == raw and trade.trade_id == raw["trade_id"]
    assert trade.amount > 0 and trade.amount == Decimal(repr(raw["amount"]))


def _trades(raws: list[dict[str, Any]]) -> list[Trade]:
    accepted, _ = validate(raws, NOW, WINDOW)
    return accepted


@settings(max_examples=200)
@given(priced_trades, st.randoms(use_true_random=False), st.integers(min_value=1, max_value=29))
def test_rollup_is_independent_of_order_and_batching(
    raws: list[dict[str, Any]], rng: Any, split: int
) -> None:
    trades = _trades(raws)
    base = Rollup.empty(trades[0])
    whole = base.add_all(trades)
    shuffled = list(trades)
    rng.shuffle(shuffled)
    in_two = base.add_all(shuffled[:split]).add_all(shuffled[split:])
    assert in_two == whole
    assert whole.trade_count == len(trades)
    with localcontext(DECIMAL):  # DynamoDB's 38 digits, as the rollup computes
        assert whole.total_amount == sum((t.amount for t in trades), Decimal(0))
        assert whole.total_notional == sum((notional(t) for t in trades), Decimal(0))


@settings(max_examples=200)
@given(priced_trades)
def test_vwap_lies_between_min_and_max_price(raws: list[dict[str, Any]]) -> None:
    trades = _trades(raws)
    rollup = Rollup.empty(trades[0]).add_all(trades)
    priced = [t for t in trades if t.price is not None and t.quantity is not None]
    if not priced:
        assert rollup.vwap is None
        return
    assert rollup.vwap is not None and rollup.min_price is not None and rollup.max_price is not None
    assert rollup.min_price <= min(t.price for t in priced if t.price is not None)
    tolerance = Decimal("1e-30") * rollup.max_price
    assert rollup.min_price - tolerance <= rollup.vwap <= rollup.max_price + tolerance


@given(priced_trades)
def test_rollup_survives_its_item_round_trip(raws: list[dict[str, Any]]) -> None:
    trades = _trades(raws)
    rollup = Rollup.empty(trades[0]).add_all(trades)
    stored = Rollup.from_item(rollup.to_item("2026-11-26T12:00:00Z", "dev"))
    assert stored == Rollup(**{**rollup.__dict__, "version": rollup.version + 1})


@settings(max_examples=200)
@given(priced_trades, st.lists(st.integers(min_value=0, max_value=4), min_size=30, max_size=30))
def test_shards_merged_in_any_order_equal_one_writer(
    raws: list[dict[str, Any]], owner: list[int]
) -> None:
    # Each trade goes to one of five writers' shards; the read path merges them.
    trades = _trades(raws)
    base = Rollup.empty(trades[0])
    shards = [
        Rollup.empty(trades[0], f"w{w}").add_all(t for i, t in enumerate(trades) if owner[i] == w)
        for w in range(5)
    ]
    merged = shards[0]
    for shard in reversed(shards[1:]):
        merged = merged.merge(shard)
    whole = base.add_all(trades)
    assert replace(merged, writer="", version=0) == whole
