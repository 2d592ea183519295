"""What the analytics table holds, and the arithmetic of rollups. Nothing here touches AWS.

Item layout (partition key `pk`, sort key `sk`, both strings):

- trade record: pk `TRADE#<trade_id>`, sk `RECORD`; the normalised trade plus `notional`,
  `size_bucket`, `trade_date`, `processed_at`, `environment` and `archive_key` (the S3 object
  holding the counted copy of its payload).
- daily rollup: pk `ROLLUP#<symbol>`, sk `DAY#<YYYY-MM-DD>` (UTC); `trade_count`,
  `total_amount`, `total_quantity`, `total_notional`, `min_price`, `max_price`,
  `vwap_numerator`, `vwap_quantity`, `vwap` and `version` (for optimistic concurrency).

Trades without a symbol roll up under `ROLLUP#_NO_SYMBOL`; `_` is not a ticker character, so it
never collides with a real symbol. The trade record's key depends on `trade_id` alone: writing it
with `attribute_not_exists(pk)` is what makes a trade count once. VWAP = vwap_numerator /
vwap_quantity over trades that carried both price and quantity.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Rollup:
    """Per (symbol, UTC day) aggregates; `version` guards read-modify-write against races."""

    symbol: str
    trade_date: str
    trade_count: int = 0
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

    @property
    def key(self) -> tuple[str, str]:
        return f"ROLLUP#{self.symbol}", f"DAY#{self.trade_date}"

    def to_item(self, updated_at: str, environment: str) -> Item:
        pk, sk = self.key
        item: Item = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            "record_type": {"S": "rollup"},
            "symbol": {"S": self.symbol},
            "trade_date": {"S": self.trade_date},
            "trade_count": _n(self.trade_count),
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
            trade_count=int(item["trade_count"]["N"]),
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
    def empty(cls, trade: Trade) -> Rollup:
        return cls(symbol=trade.symbol or NO_SYMBOL, trade_date=trade.trade_date)


def trade_item(trade: Trade, processed_at: str, environment: str, archive_key: str) -> Item:
    value = notional(trade)
    item: Item = {
        **trade_key(trade.trade_id),
        "record_type": {"S": "trade"},
        "trade_id": {"S": trade.trade_id},
        "amount": _n(trade.amount),
        "notional": _n(value),
        "size_bucket": {"S": size_bucket(value)},
        "timestamp": {"S": trade.timestamp.isoformat().replace("+00:00", "Z")},
        "trade_date": {"S": trade.trade_date},
        "processed_at": {"S": processed_at},
        "environment": {"S": environment},
        "archive_key": {"S": archive_key},
    }
    for name, optional in (("symbol", trade.symbol), ("side", trade.side)):
        if optional is not None:
            item[name] = {"S": optional}
    for name, number in (("price", trade.price), ("quantity", trade.quantity)):
        if number is not None:
            item[name] = _n(number)
    return item


def _n(value: Decimal | int) -> dict[str, str]:
    return {"N": str(value)}


def _pick(choose: Any, current: Decimal | None, candidate: Decimal | None) -> Decimal | None:
    if candidate is None:
        return current
    return candidate if current is None else choose(current, candidate)
