"""One invocation's work: validate, archive, then record exactly once.

Write order, and why a retry is always safe:
1. Validate. Invalid trades are rejected and nothing of them is written.
2. Archive the valid trades to S3 (content-addressed keys: a repeat rewrites identical objects).
3. Record them in DynamoDB in transactions (see store.py: a trade counts in its rollup once).
If step 2 or 3 fails after boto3's own retries, the exception propagates and Lambda retries the
whole invocation: step 2 converges to the same objects, step 3 skips the trades an earlier
attempt committed (reporting them as duplicates) and commits the rest. Nothing is lost and
nothing counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from trade_analytics.archive import Archive
from trade_analytics.store import TradeStore
from trade_analytics.validation import EventError, Trade, parse_event, validate


@dataclass(frozen=True)
class Outcome:
    """The response body plus what the log line reports about it."""

    response: dict[str, Any]
    archive_objects: int = 0


class Processor:
    def __init__(self, store: TradeStore, archive: Archive, environment: str) -> None:
        self.store = store
        self.archive = archive
        self.environment = environment

    def process(self, event: Any, now: datetime | None = None) -> Outcome:
        now = now or datetime.now(timezone.utc)
        try:
            raw_trades = parse_event(event)
        except EventError as error:
            return Outcome(
                {
                    "status": "error",
                    "environment": self.environment,
                    "error": {"field": error.field, "reason": error.reason},
                    "counts": _counts(0, 0, 0, 0),
                }
            )
        valid, rejected = validate(raw_trades, now)
        unique, repeated = _first_of_each_id(valid)
        stored_new: list[str] = []
        stored_duplicates: list[str] = []
        keys: dict[str, str] = {}
        if unique:
            keys = self.archive.write(unique)
            processed_at = now.isoformat().replace("+00:00", "Z")
            stored = self.store.record(unique, keys, processed_at)
            stored_new, stored_duplicates = stored.processed, stored.duplicates
        duplicates = stored_duplicates + [t.trade_id for t in repeated]
        if not rejected:
            status = "ok"
        elif stored_new or duplicates:
            status = "partial"
        else:
            status = "rejected"
        return Outcome(
            {
                "status": status,
                "environment": self.environment,
                "counts": _counts(len(raw_trades), len(stored_new), len(duplicates), len(rejected)),
                "duplicates": duplicates,
                "rejected": [r.as_dict() for r in rejected],
            },
            archive_objects=len(keys),
        )


def _first_of_each_id(trades: list[Trade]) -> tuple[list[Trade], list[Trade]]:
    """Within one batch the first delivery of an id wins; later ones are duplicates."""
    seen: set[str] = set()
    unique: list[Trade] = []
    repeated: list[Trade] = []
    for trade in trades:
        (repeated if trade.trade_id in seen else unique).append(trade)
        seen.add(trade.trade_id)
    return unique, repeated


def _counts(received: int, processed: int, duplicates: int, rejected: int) -> dict[str, int]:
    return {
        "received": received,
        "processed": processed,
        "duplicates": duplicates,
        "rejected": rejected,
    }
