"""The read path: a symbol's figures for one UTC day, merged from every writer's shard.

One Query on the day's partition (`ROLLUP#<symbol>#<day>`, see records.py) returns each
writer's shard; sums add and min/max combine, so the merge is exact whatever the number of
writers or the order they committed in. Strongly consistent by default: a reader right after a
write (the smoke test, a reconciliation) sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from trade_analytics.records import Rollup, rollup_partition


@dataclass(frozen=True)
class DailyRollup:
    symbol: str
    day: str
    trade_count: int
    buy_volume: Decimal
    sell_volume: Decimal
    notional: Decimal
    vwap: Decimal | None
    min_price: Decimal | None
    max_price: Decimal | None
    # How many writers' shards were merged (a measure of spread, not of the figures).
    shards: int

    def as_dict(self) -> dict[str, Any]:
        return {
            name: str(value) if isinstance(value, Decimal) else value
            for name, value in self.__dict__.items()
        }


def daily_rollup(
    client: Any, table: str, symbol: str | None, day: date | str, consistent: bool = True
) -> DailyRollup | None:
    """The merged figures of `symbol` on `day` (None: trades without a symbol), or None."""
    trade_date = day if isinstance(day, str) else day.isoformat()
    merged: Rollup | None = None
    shards = 0
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": rollup_partition(symbol, trade_date)}},
        "ConsistentRead": consistent,
    }
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            shard = Rollup.from_item(item)
            merged = shard if merged is None else merged.merge(shard)
            shards += 1
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if merged is None:
        return None
    return DailyRollup(
        symbol=merged.symbol,
        day=trade_date,
        trade_count=merged.trade_count,
        buy_volume=merged.buy_quantity,
        sell_volume=merged.sell_quantity,
        notional=merged.total_notional,
        vwap=merged.vwap,
        min_price=merged.min_price,
        max_price=merged.max_price,
        shards=shards,
    )
