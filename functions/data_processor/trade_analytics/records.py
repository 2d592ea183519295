"""What the analytics table holds, and the arithmetic of rollups. Nothing here touches AWS.

Item layout (partition key `pk`, sort key `sk`, both strings):

- trade record: pk `TRADE#<trade_id>`, sk `RECORD`; the normalised trade plus `notional`,
  `size_bucket`, `trade_date`, `processed_at`, `environment`, `archive_key` (the S3 object
  holding the counted copy of its payload), `fingerprint` (what the payload says, to tell a
  repeat from a conflicting trade under the same id) and `delivery` (the invocation or stream
  record that committed it, to tell a retry of that delivery from a second delivery).
- daily rollup shard: pk `ROLLUP#<symbol>#<YYYY-MM-DD>` (UTC day), sk `WRITER#<writer>`; one per
  writer (a function execution environment: it runs one invocation at a time, so a shard never
  has two writers at once and never contends). `trade_count`, `buy_quantity`, `sell_quantity`,
  `total_amount`, `total_quantity`, `total_notional`, `min_price`, `max_price`,
  `vwap_numerator`, `vwap_quantity`, `vwap` and `version` (the writer's own write counter, a
  guard against an ambiguous earlier write). The day's figures are the shards merged on read
  (queries.py): sums add and min/max combine, so the merge is exact in any order.

Trades without a symbol roll up under `ROLLUP#_NO_SYMBOL#...`; `_` is not a ticker character,
so it never collides with a real symbol, and `#` is in neither a ticker nor a date. The trade
record's key depends on `trade_id` alone: writing it with `attribute_not_exists(pk)` is what
makes a trade count once. VWAP = vwap_numerator / vwap_quantity over trades that carried both
price and quantity.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Context, Decimal
from typing import Any

from trade_analytics.validation import Trade

# DynamoDB numbers carry up to 38 significant digits; compute in that precision.
DECIMAL = Context(prec=38)
NO_SYMBOL = "_NO_SYMBOL"
ZERO = Decimal(0)
# Notional thresholds (in the trade's currency) for the size bucket.
SIZE_BUCKETS = (
    (Decimal(10_000), "small"),
    (Decimal(1_000_000), "medium"),
    (Decimal(10_000_000), "large"),
)

Item = dict[str, dict[str, Any]]
# The fields a fingerprint takes in their normalised form; any others count as received.
_NORMALISED = frozenset({"trade_id", "amount", "symbol", "side", "price", "quantity"})


def notional(trade: Trade) -> Decimal:
    """Price x quantity when both are known, otherwise the trade's amount."""
    if trade.price is not None and trade.quantity is not None:
        return DECIMAL.multiply(trade.price, trade.quantity)
    return trade.amount


def size_bucket(value: Decimal) -> str:
    for limit, name in SIZE_BUCKETS:
        if value < limit:
            return name
    return "block"


def trade_key(trade_id: str) -> Item:
    return {"pk": {"S": f"TRADE#{trade_id}"}, "sk": {"S": "RECORD"}}


def fingerprint(trade: Trade) -> str:
    """What the payload says, independent of how it was spelled (1000 and 1000.0 are alike).

    The timestamp counts only when the payload gave one: a missing timestamp defaults to the time
    of processing, which differs between a delivery and its retry.
    """
    fields = {
        key: value
        for key, value in trade.raw.items()
        if key not in _NORMALISED and key != "timestamp"
    }
    given = trade.raw.get("timestamp")
    canonical = {
        "trade_id": trade.trade_id,
        "amount": str(trade.amount),
        "symbol": trade.symbol,
        "side": trade.side,
        "price": None if trade.price is None else str(trade.price),
        "quantity": None if trade.quantity is None else str(trade.quantity),
        "timestamp": None if given is None else _iso(trade),
        "other": fields,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Rollup:
    """Per (symbol, UTC day, writer) aggregates; `merge` combines writers' shards on read."""

    symbol: str
    trade_date: str
    writer: str = ""
    trade_count: int = 0
    buy_quantity: Decimal = ZERO
    sell_quantity: Decimal = ZERO
    total_amount: Decimal = ZERO
    total_quantity: Decimal = ZERO
    total_notional: Decimal = ZERO
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    vwap_numerator: Decimal = ZERO
    vwap_quantity: Decimal = ZERO
    version: int = 0

    @property
    def vwap(self) -> Decimal | None:
        if self.vwap_quantity == ZERO:
            return None
        return DECIMAL.divide(self.vwap_numerator, self.vwap_quantity)

    def add(self, trade: Trade) -> Rollup:
        priced = trade.price is not None
        both = priced and trade.quantity is not None
        return replace(
            self,
            trade_count=self.trade_count + 1,
            buy_quantity=(
                DECIMAL.add(self.buy_quantity, trade.quantity or ZERO)
                if trade.side == "BUY"
                else self.buy_quantity
            ),
            sell_quantity=(
                DECIMAL.add(self.sell_quantity, trade.quantity or ZERO)
                if trade.side == "SELL"
                else self.sell_quantity
            ),
            total_amount=DECIMAL.add(self.total_amount, trade.amount),
            total_quantity=DECIMAL.add(self.total_quantity, trade.quantity or ZERO),
            total_notional=DECIMAL.add(self.total_notional, notional(trade)),
            min_price=_pick(min, self.min_price, trade.price),
            max_price=_pick(max, self.max_price, trade.price),
            vwap_numerator=(
                DECIMAL.add(self.vwap_numerator, notional(trade)) if both else self.vwap_numerator
            ),
            vwap_quantity=(
                DECIMAL.add(self.vwap_quantity, trade.quantity or ZERO)
                if both
                else self.vwap_quantity
            ),
        )

    def add_all(self, trades: Iterable[Trade]) -> Rollup:
        rollup = self
        for trade in trades:
            rollup = rollup.add(trade)
        return rollup

    def merge(self, other: Rollup) -> Rollup:
        """The figures of two shards of the same (symbol, day) as one; order does not matter."""
        return replace(
            self,
            writer="",
            version=0,
            trade_count=self.trade_count + other.trade_count,
            buy_quantity=DECIMAL.add(self.buy_quantity, other.buy_quantity),
            sell_quantity=DECIMAL.add(self.sell_quantity, other.sell_quantity),
            total_amount=DECIMAL.add(self.total_amount, other.total_amount),
            total_quantity=DECIMAL.add(self.total_quantity, other.total_quantity),
            total_notional=DECIMAL.add(self.total_notional, other.total_notional),
            min_price=_pick(min, self.min_price, other.min_price),
            max_price=_pick(max, self.max_price, other.max_price),
            vwap_numerator=DECIMAL.add(self.vwap_numerator, other.vwap_numerator),
            vwap_quantity=DECIMAL.add(self.vwap_quantity, other.vwap_quantity),
        )

    @property
    def key(self) -> tuple[str, str]:
        return rollup_partition(self.symbol, self.trade_date), f"WRITER#{self.writer}"

    def to_item(self, updated_at: str, environment: str) -> Item:
        pk, sk = self.key
        item: Item = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            "record_type": {"S": "rollup"},
            "symbol": {"S": self.symbol},
            "trade_date": {"S": self.trade_date},
            "writer": {"S": self.writer},
            "trade_count": _n(self.trade_count),
            "buy_quantity": _n(self.buy_quantity),
            "sell_quantity": _n(self.sell_quantity),
            "total_amount": _n(self.total_amount),
            "total_quantity": _n(self.total_quantity),
            "total_notional": _n(self.total_notional),
            "vwap_numerator": _n(self.vwap_numerator),
            "vwap_quantity": _n(self.vwap_quantity),
            "version": _n(self.version + 1),
            "updated_at": {"S": updated_at},
            "environment": {"S": environment},
        }
        for name, value in (
            ("min_price", self.min_price),
            ("max_price", self.max_price),
            ("vwap", self.vwap),
        ):
            if value is not None:
                item[name] = _n(value)
        return item

    @classmethod
    def from_item(cls, item: Item) -> Rollup:
        def number(name: str) -> Decimal | None:
            return Decimal(item[name]["N"]) if name in item else None

        return cls(
            symbol=item["symbol"]["S"],
            trade_date=item["trade_date"]["S"],
            writer=item["writer"]["S"],
            trade_count=int(item["trade_count"]["N"]),
            buy_quantity=number("buy_quantity") or ZERO,
            sell_quantity=number("sell_quantity") or ZERO,
            total_amount=number("total_amount") or ZERO,
            total_quantity=number("total_quantity") or ZERO,
            total_notional=number("total_notional") or ZERO,
            min_price=number("min_price"),
            max_price=number("max_price"),
            vwap_numerator=number("vwap_numerator") or ZERO,
            vwap_quantity=number("vwap_quantity") or ZERO,
            version=int(item["version"]["N"]),
        )

    @classmethod
    def empty(cls, trade: Trade, writer: str = "") -> Rollup:
        return cls(symbol=trade.symbol or NO_SYMBOL, trade_date=trade.trade_date, writer=writer)


def rollup_partition(symbol: str | None, trade_date: str) -> str:
    """The partition key holding every writer's shard of one (symbol, day)."""
    return f"ROLLUP#{symbol or NO_SYMBOL}#{trade_date}"


def trade_item(
    trade: Trade, processed_at: str, environment: str, archive_key: str, delivery: str
) -> Item:
    value = notional(trade)
    item: Item = {
        **trade_key(trade.trade_id),
        "record_type": {"S": "trade"},
        "trade_id": {"S": trade.trade_id},
        "amount": _n(trade.amount),
        "notional": _n(value),
        "size_bucket": {"S": size_bucket(value)},
        "timestamp": {"S": _iso(trade)},
        "trade_date": {"S": trade.trade_date},
        "processed_at": {"S": processed_at},
        "environment": {"S": environment},
        "archive_key": {"S": archive_key},
        "fingerprint": {"S": fingerprint(trade)},
        "delivery": {"S": delivery},
    }
    for name, optional in (("symbol", trade.symbol), ("side", trade.side)):
        if optional is not None:
            item[name] = {"S": optional}
    for name, number in (("price", trade.price), ("quantity", trade.quantity)):
        if number is not None:
            item[name] = _n(number)
    return item


def _iso(trade: Trade) -> str:
    return trade.timestamp.isoformat().replace("+00:00", "Z")


def _n(value: Decimal | int) -> dict[str, str]:
    return {"N": str(value)}


def _pick(choose: Any, current: Decimal | None, candidate: Decimal | None) -> Decimal | None:
    if candidate is None:
        return current
    return candidate if current is None else choose(current, candidate)
