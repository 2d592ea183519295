"""One invocation's work: validate, archive, then record exactly once.

Two ways in, one pipeline:
- a direct invoke (`{"trade_data": ...}` or `{"trades": [...]}`), answered with counts and the
  trades that were duplicates, conflicts or rejected; a failure after boto3's retries raises, and
  Lambda's retry (same request id) converges;
- a Kinesis batch (`{"Records": [...]}`, see streams.py), answered with a partial batch response
  naming exactly the records to deliver again; records that can never succeed go to the failure
  queue instead.

Write order, and why a retry is always safe:
1. Validate. Invalid trades are rejected and nothing of them is written.
2. Archive the valid trades to S3 (content-addressed keys: a repeat rewrites identical objects).
3. Record them in DynamoDB in transactions (see store.py: a trade counts in its rollup once).
A retry repeats step 2 to the same objects; in step 3 the trades an earlier attempt of the same
delivery committed count as processed, and the rest commit. Nothing is lost, nothing counts twice.

Semantics of a repeated trade id (documented in docs/data-processor.md):
- same payload (fingerprint, records.py), same delivery: an earlier attempt committed it:
  processed;
- same payload, another delivery (or twice in one batch): a duplicate; nothing changes;
- another payload: a conflict; the stored trade stays, nothing is overwritten, and the trade is
  reported (direct invoke: under `conflicts`; stream: a dead letter with both deliveries).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from trade_analytics.archive import Archive
from trade_analytics.records import fingerprint
from trade_analytics.store import StoreResult, TradeStore
from trade_analytics.streams import (
    StreamRecord,
    failures,
    is_stream_event,
    parse_records,
    send_dead_letters,
)
from trade_analytics.validation import EventError, Trade, TradeWindow, parse_event, validate


@dataclass(frozen=True)
class Outcome:
    """The response body plus what the log line reports about it."""

    response: dict[str, Any]
    counts: dict[str, int]
    archive_objects: int = 0
    # The error that failed stream records (they are retried by Lambda; the log says why).
    error: str | None = None


class Processor:
    def __init__(
        self,
        store: TradeStore,
        archive: Archive,
        environment: str,
        window: TradeWindow,
        *,
        queue: Any = None,
        failure_queue_url: str = "",
    ) -> None:
        self.store = store
        self.archive = archive
        self.environment = environment
        self.window = window
        self.queue = queue
        self.failure_queue_url = failure_queue_url

    def process(
        self,
        event: Any,
        now: datetime | None = None,
        delivery: str = "",
        deadline: float | None = None,
    ) -> Outcome:
        """`delivery` names this invocation (its request id, the same on Lambda's retries);
        `deadline` is the monotonic time by which to stop retrying contended writes."""
        now = now or datetime.now(timezone.utc)
        try:
            if is_stream_event(event):
                return self._stream(parse_records(event), now, deadline)
            return self._direct(parse_event(event), now, delivery, deadline)
        except EventError as error:
            return Outcome(
                {
                    "status": "error",
                    "environment": self.environment,
                    "error": {"field": error.field, "reason": error.reason},
                    "counts": _counts(),
                },
                _counts(),
            )

    def _direct(
        self, raw_trades: list[Any], now: datetime, delivery: str, deadline: float | None
    ) -> Outcome:
        valid, rejected = validate(raw_trades, now, self.window)
        unique, repeats, conflicting = _first_of_each_id(
            [replace(t, delivery=delivery) for t in valid]
        )
        keys = self.archive.write(unique) if unique else {}
        stored = self._record(unique, keys, now, deadline)
        if stored.error:
            raise stored.error  # Lambda retries the invocation; see the module docstring
        duplicates = stored.duplicates + [t.trade_id for t in repeats]
        conflicts = [t.trade_id for t in stored.conflicts + conflicting]
        counts = _counts(
            received=len(raw_trades),
            processed=len(stored.processed),
            duplicates=len(duplicates),
            conflicts=len(conflicts),
            rejected=len(rejected),
        )
        return Outcome(
            {
                "status": _status(counts),
                "environment": self.environment,
                "counts": counts,
                "duplicates": duplicates,
                "conflicts": conflicts,
                "rejected": [r.as_dict() for r in rejected],
            },
            counts,
            archive_objects=len(keys),
        )

    def _stream(
        self, records: list[StreamRecord], now: datetime, deadline: float | None
    ) -> Outcome:
        letters: list[tuple[StreamRecord, dict[str, Any]]] = []
        valid: list[Trade] = []
        for position, record in enumerate(records):
            trade, letter = self._stream_trade(position, record, now)
            if letter:
                letters.append((record, letter))
            elif trade:
                valid.append(trade)
        unique, repeats, conflicting = _first_of_each_id(valid)
        failed: list[Trade] = []
        error: str | None = None
        stored = StoreResult()
        keys: dict[str, str] = {}
        try:
            keys = self.archive.write(unique) if unique else {}
        except Exception as archive_error:
            failed, error = unique, f"{type(archive_error).__name__}: {archive_error}"
        else:
            stored = self._record(unique, keys, now, deadline)
            failed = stored.failed
            if stored.error:
                error = f"{type(stored.error).__name__}: {stored.error}"
        for trade in stored.conflicts + conflicting:
            record = records[trade.index]
            letters.append((record, record.dead_letter("conflict", "trade_id", _CONFLICT_REASON)))
        unsent = send_dead_letters(self.queue, self.failure_queue_url, letters) if letters else []
        failing = _in_order(records, [records[t.index] for t in failed] + unsent)
        counts = _counts(
            received=len(records),
            processed=len(stored.processed),
            duplicates=len(stored.duplicates) + len(repeats),
            conflicts=len(stored.conflicts) + len(conflicting),
            rejected=sum(1 for _, letter in letters if letter["kind"] == "rejected"),
            failed=len(failing),
        )
        return Outcome(failures(failing), counts, archive_objects=len(keys), error=error)

    def _stream_trade(
        self, position: int, record: StreamRecord, now: datetime
    ) -> tuple[Trade | None, dict[str, Any] | None]:
        """A record's trade, or the dead letter saying why it can never be one."""
        if record.undecodable:
            return None, record.dead_letter("rejected", "data", record.undecodable)
        try:
            [raw] = parse_event({"trade_data": record.payload})
        except EventError as error:
            field = (
                "trade" if error.field == "trade_data" else error.field.removeprefix("trade_data.")
            )
            return None, record.dead_letter("rejected", field, error.reason)
        accepted, rejected = validate([raw], now, self.window)
        if rejected:
            return None, record.dead_letter("rejected", rejected[0].field, rejected[0].reason)
        return replace(accepted[0], index=position, delivery=record.event_id), None

    def _record(
        self, trades: list[Trade], keys: dict[str, str], now: datetime, deadline: float | None
    ) -> StoreResult:
        if not trades:
            return StoreResult()
        processed_at = now.isoformat().replace("+00:00", "Z")
        return self.store.record(trades, keys, processed_at, deadline)


_CONFLICT_REASON = "a different trade with this trade_id is already recorded; nothing was changed"


def deadline_from(context: Any, reserve_fraction: float = 0.2) -> float | None:
    """When to stop retrying: the invocation's remaining time less a reserve to answer in."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds = float(remaining()) / 1000
    return time.monotonic() + seconds * (1 - reserve_fraction)


def _first_of_each_id(trades: list[Trade]) -> tuple[list[Trade], list[Trade], list[Trade]]:
    """Within one batch the first delivery of an id wins; a later one is a duplicate when its
    payload is the same and a conflict when it differs."""
    first: dict[str, Trade] = {}
    repeats: list[Trade] = []
    conflicts: list[Trade] = []
    for trade in trades:
        winner = first.get(trade.trade_id)
        if winner is None:
            first[trade.trade_id] = trade
        elif fingerprint(winner) == fingerprint(trade):
            repeats.append(trade)
        else:
            conflicts.append(trade)
    return list(first.values()), repeats, conflicts


def _in_order(
    records: Sequence[StreamRecord], chosen: Sequence[StreamRecord]
) -> list[StreamRecord]:
    wanted = {id(r) for r in chosen}
    return [r for r in records if id(r) in wanted]


def _status(counts: dict[str, int]) -> str:
    if not counts["rejected"] and not counts["conflicts"]:
        return "ok"
    if counts["processed"] or counts["duplicates"]:
        return "partial"
    return "rejected"


def _counts(
    *,
    received: int = 0,
    processed: int = 0,
    duplicates: int = 0,
    conflicts: int = 0,
    rejected: int = 0,
    failed: int | None = None,
) -> dict[str, int]:
    counts = {
        "received": received,
        "processed": processed,
        "duplicates": duplicates,
        "conflicts": conflicts,
        "rejected": rejected,
    }
    if failed is not None:
        counts["failed"] = failed
    return counts
