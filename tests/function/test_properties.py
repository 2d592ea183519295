"""Property-based tests: validation accepts exactly the valid, rollups are order-free sums."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from trade_analytics.records import DECIMAL, Rollup, notional
from trade_analytics.validation import MAX_MAGNITUDE, MIN_POSITIVE, Trade, validate

NOW = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)

trade_ids = st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True)
symbols = st.from_regex(r"[A-Z][A-Z0-9]{0,9}", fullmatch=True)
positive = st.one_of(
    st.integers(min_value=1, max_value=10**12),
    st.floats(min_value=1e-6, max_value=1e12, allow_nan=False, allow_infinity=False),
)
valid_trades = st.fixed_dictionaries(
    {"trade_id": trade_ids, "amount": positive},
    optional={
        "symbol": symbols,
        "side": st.sampled_from(["BUY", "SELL"]),
        "price": positive,
        "quantity": positive,
        "venue": st.text(max_size=20),
    },
)


@given(valid_trades)
def test_every_valid_trade_is_accepted_and_keeps_its_payload(raw: dict[str, Any]) -> None:
    [trade], rejected = validate([raw], NOW)
    assert rejected == []
    assert trade.raw == raw and trade.trade_id == raw["trade_id"]
    assert trade.amount > 0 and trade.amount == Decimal(repr(raw["amount"]))


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).filter(
            lambda x: not (math.isfinite(x) and float(MIN_POSITIVE) <= x <= float(MAX_MAGNITUDE))
        ),
        st.integers(max_value=0),
        st.integers(min_value=10**15 + 1),
        st.text(),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
)
def test_amounts_outside_the_rules_are_rejected_on_amount(amount: Any) -> None:
    accepted, [rejection] = validate([{"trade_id": "P1", "amount": amount}], NOW)
    assert accepted == []
    assert (rejection.field, rejection.index, rejection.trade_id) == ("amount", 0, "P1")


@given(st.text(max_size=80).filter(lambda s: not _valid_id(s)))
def test_malformed_trade_ids_are_rejected(trade_id: str) -> None:
    _, [rejection] = validate([{"trade_id": trade_id, "amount": 1}], NOW)
    assert rejection.field == "trade_id"


def _valid_id(value: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", value) is not None


def _trades(raws: list[dict[str, Any]]) -> list[Trade]:
    accepted, _ = validate(raws, NOW)
    return accepted


priced_trades = st.lists(
    st.fixed_dictionaries(
        {"trade_id": trade_ids, "amount": positive, "symbol": st.just("PROP")},
        optional={"price": positive, "quantity": positive},
    ),
    min_size=1,
    max_size=30,
)


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
