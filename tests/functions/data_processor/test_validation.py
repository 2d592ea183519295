"""Bad input never raises and never writes: a structured error or a per-trade rejection."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from trade_analytics.processor import Processor
from trade_analytics.validation import MAX_MAGNITUDE, MIN_POSITIVE, TradeWindow, validate

from tests.support.data_processor import Cloud, invoke
from tests.support.strategies import NOW, WINDOW


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"x": value}
    return value


MALFORMED_EVENTS: list[tuple[str, Any, str, str]] = [
    ("not an object: list", [1, 2], "event", "must be a JSON object"),
    ("not an object: string", "trade", "event", "must be a JSON object"),
    ("not an object: null", None, "event", "must be a JSON object"),
    ("not an object: number", 42, "event", "must be a JSON object"),
    ("missing both keys", {"trade": {}}, "event", "exactly one of"),
    ("both keys", {"trade_data": {}, "trades": []}, "event", "exactly one of"),
    ("trades not a list", {"trades": {"trade_id": "A"}}, "trades", "must be a list"),
    ("trades a string", {"trades": "A,B"}, "trades", "must be a list"),
    ("empty batch", {"trades": []}, "trades", "1 to 1000 trades"),
    (
        "over 1000 trades",
        {"trades": [{"trade_id": "A", "amount": 1}] * 1001},
        "trades",
        "more than 1000",
    ),
    (
        "over-long string",
        {"trade_data": {"trade_id": "A", "amount": 1, "note": "x" * 5000}},
        "trade_data.note",
        "longer than 4096",
    ),
    ("over-long key", {"trade_data": {"k" * 200: 1}}, "trade_data", "at most 128"),
    (
        "deeply nested junk",
        {"trade_data": {"trade_id": "A", "amount": 1, "junk": _nested(20)}},
        "trade_data.junk",
        "nested more than",
    ),
    (
        "NaN anywhere",
        {"trade_data": {"trade_id": "A", "amount": 1, "x": float("nan")}},
        "trade_data.x",
        "not a finite number",
    ),
    (
        "infinite amount",
        {"trade_data": {"trade_id": "A", "amount": float("inf")}},
        "trade_data.amount",
        "not a finite number",
    ),
]

REJECTED_TRADES: list[tuple[str, Any, str, str]] = [
    ("trade not an object", "T1", "trade", "must be a JSON object"),
    ("trade is a list", ["T1", 1], "trade", "must be a JSON object"),
    ("trade_id missing", {"amount": 1}, "trade_id", "required"),
    ("trade_id empty", {"trade_id": "", "amount": 1}, "trade_id", "required"),
    ("trade_id too long", {"trade_id": "A" * 65, "amount": 1}, "trade_id", "1 to 64"),
    ("trade_id bad characters", {"trade_id": "A B/C", "amount": 1}, "trade_id", "1 to 64"),
    ("trade_id a number", {"trade_id": 123, "amount": 1}, "trade_id", "required"),
    ("amount missing", {"trade_id": "A"}, "amount", "required"),
    ("amount zero", {"trade_id": "A", "amount": 0}, "amount", "greater than 0"),
    ("amount negative", {"trade_id": "A", "amount": -5}, "amount", "greater than 0"),
    ("amount a string", {"trade_id": "A", "amount": "1000"}, "amount", "must be a number"),
    ("amount a boolean", {"trade_id": "A", "amount": True}, "amount", "must be a number"),
    ("amount null", {"trade_id": "A", "amount": None}, "amount", "must be a number"),
    ("amount absurdly large", {"trade_id": "A", "amount": 1e30}, "amount", "between"),
    ("amount absurdly small", {"trade_id": "A", "amount": 1e-30}, "amount", "between"),
    ("amount an object", {"trade_id": "A", "amount": {"v": 1}}, "amount", "must be a number"),
    ("symbol lower-case", {"trade_id": "A", "amount": 1, "symbol": "aapl"}, "symbol", "upper-case"),
    (
        "symbol too long",
        {"trade_id": "A", "amount": 1, "symbol": "ABCDEFGHIJKL"},
        "symbol",
        "upper-case",
    ),
    ("symbol a number", {"trade_id": "A", "amount": 1, "symbol": 7}, "symbol", "upper-case"),
    ("side unknown", {"trade_id": "A", "amount": 1, "side": "HOLD"}, "side", "BUY or SELL"),
    ("side lower-case", {"trade_id": "A", "amount": 1, "side": "buy"}, "side", "BUY or SELL"),
    ("price negative", {"trade_id": "A", "amount": 1, "price": -1}, "price", "greater than 0"),
    ("price a string", {"trade_id": "A", "amount": 1, "price": "10"}, "price", "must be a number"),
    ("quantity zero", {"trade_id": "A", "amount": 1, "quantity": 0}, "quantity", "greater than 0"),
    (
        "quantity a boolean",
        {"trade_id": "A", "amount": 1, "quantity": False},
        "quantity",
        "must be a number",
    ),
    (
        "timestamp without zone",
        {"trade_id": "A", "amount": 1, "timestamp": "2026-11-02T10:00:00"},
        "timestamp",
        "time zone",
    ),
    (
        "timestamp garbage",
        {"trade_id": "A", "amount": 1, "timestamp": "yesterday"},
        "timestamp",
        "ISO-8601",
    ),
    (
        "timestamp a number",
        {"trade_id": "A", "amount": 1, "timestamp": 1700000000},
        "timestamp",
        "ISO-8601",
    ),
    (
        "timestamp out of range",
        {"trade_id": "A", "amount": 1, "timestamp": "1900-01-01T00:00:00Z"},
        "timestamp",
        "must be within 3650 days before and 5 minutes after",
    ),
    (
        "too many fields",
        {"trade_id": "A", "amount": 1, **{f"f{i}": i for i in range(70)}},
        "trade",
        "at most 64",
    ),
]


@pytest.mark.parametrize(
    ("event", "field", "reason"),
    [pytest.param(e, f, r, id=name) for name, e, f, r in MALFORMED_EVENTS],
)
def test_malformed_event_returns_structured_error_and_writes_nothing(
    cloud: Cloud, event: Any, field: str, reason: str
) -> None:
    response = invoke(event)
    assert response["status"] == "error"
    assert response["error"]["field"].startswith(field)
    assert reason in response["error"]["reason"]
    assert response["counts"]["processed"] == 0
    json.dumps(response)
    assert cloud.items() == [] and cloud.objects() == {}


@pytest.mark.parametrize(
    ("trade", "field", "reason"),
    [pytest.param(t, f, r, id=name) for name, t, f, r in REJECTED_TRADES],
)
def test_invalid_trade_is_rejected_with_reason_and_writes_nothing(
    cloud: Cloud, trade: Any, field: str, reason: str
) -> None:
    response = invoke({"trade_data": trade})
    assert response["status"] == "rejected"
    [rejection] = response["rejected"]
    assert (rejection["index"], rejection["field"]) == (0, field)
    assert reason in rejection["reason"]
    assert response["counts"] == {
        "received": 1,
        "processed": 0,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 1,
    }
    assert cloud.items() == [] and cloud.objects() == {}


def test_there_are_at_least_thirty_bad_input_cases() -> None:
    assert len(MALFORMED_EVENTS) + len(REJECTED_TRADES) >= 30


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
    accepted, [rejection] = validate([{"trade_id": "P1", "amount": amount}], NOW, WINDOW)
    assert accepted == []
    assert (rejection.field, rejection.index, rejection.trade_id) == ("amount", 0, "P1")


@given(st.text(max_size=80).filter(lambda s: not _valid_id(s)))
def test_malformed_trade_ids_are_rejected(trade_id: str) -> None:
    _, [rejection] = validate([{"trade_id": trade_id, "amount": 1}], NOW, WINDOW)
    assert rejection.field == "trade_id"


def _valid_id(value: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", value) is not None


WEEK = TradeWindow(max_age=timedelta(days=7), max_ahead=timedelta(minutes=5))


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(days=-7), True),
        (timedelta(days=-7, seconds=-1), False),
        (timedelta(days=-400), False),
        (timedelta(minutes=5), True),
        (timedelta(minutes=5, seconds=1), False),
        (timedelta(days=365 * 70), False),
    ],
)
def test_timestamps_outside_the_window_around_now_are_rejected(
    offset: timedelta, accepted: bool
) -> None:
    stamp = (NOW + offset).isoformat()
    valid, rejected = validate([{"trade_id": "W", "amount": 1, "timestamp": stamp}], NOW, WEEK)
    assert bool(valid) is accepted
    if not accepted:
        [rejection] = rejected
        assert rejection.field == "timestamp"
        assert rejection.reason == (
            "must be within 7 days before and 5 minutes after the time of processing "
            "(2026-11-19T12:00:00Z to 2026-11-26T12:05:00Z)"
        )


def test_the_window_applies_to_the_time_of_processing_not_the_clock_of_the_test(
    processor: Processor,
) -> None:
    # The function's window comes from its configuration (TRADE_MAX_AGE_HOURS and
    # TRADE_MAX_AHEAD_SECONDS); here a week, and the invocation happens "now" = NOW.
    processor.window = WEEK
    response = processor.process(
        {"trades": [{"trade_id": "OLD", "amount": 1, "timestamp": "1970-01-01T00:00:00Z"}]},
        now=NOW,
    ).response
    assert response["status"] == "rejected"
    assert response["rejected"][0]["reason"].startswith("must be within 7 days before")
