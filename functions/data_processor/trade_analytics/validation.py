"""Event parsing and per-trade validation. Nothing here touches AWS.

A malformed *event* raises EventError (the whole invocation is refused with a structured error);
a malformed *trade* becomes a Rejection, and the valid trades of the same batch go on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

MAX_TRADES = 1000
# Limits on the event as a whole: anything beyond them is junk, not a trade.
MAX_STRING_LENGTH = 4096
MAX_DEPTH = 8
MAX_FIELDS_PER_TRADE = 64

TRADE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Upper-case ticker with optional class or venue suffix: AAPL, BRK.B, RDS-A.
SYMBOL = re.compile(r"[A-Z][A-Z0-9]{0,9}([.-][A-Z0-9]{1,4})?")
SIDES = ("BUY", "SELL")
# Positive and within what any instrument trades at; outside is a bug upstream, not a trade.
MIN_POSITIVE = Decimal("1e-9")
MAX_MAGNITUDE = Decimal("1e15")


@dataclass(frozen=True)
class TradeWindow:
    """How far from the time of processing a trade's timestamp may lie.

    Late trades (corrections, a producer catching up after an outage) are normal within a few
    days; a timestamp years away is a bug upstream, and counting it would put it in a rollup no
    one reads. Slightly-future timestamps are producers' clock skew. The compute stack sets both
    bounds per environment from the matrix (TRADE_MAX_AGE_HOURS, TRADE_MAX_AHEAD_SECONDS).
    """

    max_age: timedelta
    max_ahead: timedelta

    def check(self, timestamp: datetime, now: datetime) -> str | None:
        """None when inside the window, else the reason naming the allowed range."""
        earliest, latest = now - self.max_age, now + self.max_ahead
        if earliest <= timestamp <= latest:
            return None
        return (
            f"must be within {_span(self.max_age)} before and {_span(self.max_ahead)} after the "
            f"time of processing ({_iso(earliest)} to {_iso(latest)})"
        )


class EventError(ValueError):
    """The event itself is malformed; nothing of it is processed."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Rejection:
    index: int
    trade_id: str | None
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "trade_id": self.trade_id,
            "field": self.field,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Trade:
    """A validated, normalised trade; `raw` is the payload as received (unknown fields kept)."""

    index: int
    trade_id: str
    amount: Decimal
    timestamp: datetime
    raw: Mapping[str, Any]
    symbol: str | None = None
    side: str | None = None
    price: Decimal | None = None
    quantity: Decimal | None = None
    # What delivered it (an invocation's request id, a stream record's id): see store.py.
    delivery: str = ""

    @property
    def trade_date(self) -> str:
        return self.timestamp.date().isoformat()


class _InvalidTradeError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason


def parse_event(event: Any) -> list[Any]:
    """The list of raw trades in an event, or EventError naming what is wrong."""
    if not isinstance(event, dict):
        raise EventError("event", f"must be a JSON object, not {_kind(event)}")
    has_one, has_batch = "trade_data" in event, "trades" in event
    if has_one == has_batch:
        raise EventError(
            "event", "must have exactly one of 'trade_data' (one trade) or 'trades' (a batch)"
        )
    _check_shape(event, "event", 0)
    if has_one:
        return [event["trade_data"]]
    trades = event["trades"]
    if not isinstance(trades, list):
        raise EventError("trades", f"must be a list of trade objects, not {_kind(trades)}")
    if not 1 <= len(trades) <= MAX_TRADES:
        raise EventError("trades", f"must hold 1 to {MAX_TRADES} trades, not {len(trades)}")
    return trades


def validate(
    raw_trades: list[Any], now: datetime, window: TradeWindow
) -> tuple[list[Trade], list[Rejection]]:
    """Split raw trades into valid trades and rejections, keeping their order."""
    accepted: list[Trade] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_trades):
        try:
            accepted.append(_trade(index, raw, now, window))
        except _InvalidTradeError as invalid:
            trade_id = raw.get("trade_id") if isinstance(raw, dict) else None
            rejected.append(
                Rejection(
                    index,
                    trade_id if isinstance(trade_id, str) and len(trade_id) <= 64 else None,
                    invalid.field,
                    invalid.reason,
                )
            )
    return accepted, rejected


def _trade(index: int, raw: Any, now: datetime, window: TradeWindow) -> Trade:
    if not isinstance(raw, dict):
        raise _InvalidTradeError("trade", f"must be a JSON object, not {_kind(raw)}")
    if len(raw) > MAX_FIELDS_PER_TRADE:
        raise _InvalidTradeError("trade", f"has {len(raw)} fields; at most {MAX_FIELDS_PER_TRADE}")
    trade_id = raw.get("trade_id")
    if not isinstance(trade_id, str) or not TRADE_ID.fullmatch(trade_id):
        raise _InvalidTradeError(
            "trade_id", "required: 1 to 64 characters from A-Z a-z 0-9 . _ : -"
        )
    if "amount" not in raw:
        raise _InvalidTradeError("amount", "required: a number greater than 0")
    symbol = raw.get("symbol")
    if symbol is not None and (not isinstance(symbol, str) or not SYMBOL.fullmatch(symbol)):
        raise _InvalidTradeError("symbol", "must be an upper-case ticker such as AAPL or BRK.B")
    side = raw.get("side")
    if side is not None and side not in SIDES:
        raise _InvalidTradeError("side", "must be BUY or SELL")
    return Trade(
        index=index,
        trade_id=trade_id,
        amount=_positive("amount", raw["amount"]),
        timestamp=_timestamp(raw.get("timestamp"), now, window),
        raw=raw,
        symbol=symbol,
        side=side,
        price=None if raw.get("price") is None else _positive("price", raw["price"]),
        quantity=None if raw.get("quantity") is None else _positive("quantity", raw["quantity"]),
    )


def _positive(field: str, value: Any) -> Decimal:
    # bool is an int in Python; a JSON true is never a quantity.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _InvalidTradeError(field, f"must be a number, not {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _InvalidTradeError(field, "must be a finite number")
    # repr is the shortest decimal that round-trips: 0.1 stays 0.1, not 0.1000000000000000055...
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number <= 0:
        raise _InvalidTradeError(field, "must be greater than 0")
    if not MIN_POSITIVE <= number <= MAX_MAGNITUDE:
        raise _InvalidTradeError(field, f"must be between {MIN_POSITIVE} and {MAX_MAGNITUDE:.0E}")
    # 1000.0 and 1000 are the same amount: store both as 1000.
    return Decimal(int(number)) if number == number.to_integral_value() else number


def _timestamp(value: Any, now: datetime, window: TradeWindow) -> datetime:
    if value is None:
        return now
    if not isinstance(value, str) or len(value) > 40:
        raise _InvalidTradeError("timestamp", "must be an ISO-8601 string with a time zone")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _InvalidTradeError(
            "timestamp", "must be an ISO-8601 string with a time zone"
        ) from None
    if parsed.tzinfo is None:
        raise _InvalidTradeError("timestamp", "must include a time zone, such as Z or +00:00")
    try:
        parsed = parsed.astimezone(timezone.utc)
    except OverflowError:  # year 1 or 9999 with an offset that leaves datetime's range
        raise _InvalidTradeError("timestamp", "is outside the range of dates") from None
    outside = window.check(parsed, now)
    if outside:
        raise _InvalidTradeError("timestamp", outside)
    return parsed


def _check_shape(value: Any, path: str, depth: int) -> None:
    """Refuse junk anywhere in the event: deep nesting, huge strings, non-finite numbers."""
    if depth > MAX_DEPTH:
        raise EventError(path, f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise EventError(path, f"is a string longer than {MAX_STRING_LENGTH} characters")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise EventError(path, "is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > 128:
                raise EventError(path, "has a key that is not a string of at most 128 characters")
            _check_shape(item, f"{path}.{key}" if path != "event" else key, depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_TRADES:
            raise EventError(path, f"is a list of more than {MAX_TRADES} items")
        for position, item in enumerate(value):
            _check_shape(item, f"{path}[{position}]", depth + 1)
    elif value is not None and not isinstance(value, (bool, int)):
        raise EventError(path, f"has an unsupported value of type {type(value).__name__}")


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _kind(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
