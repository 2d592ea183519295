"""Exactly-once writes to the analytics table.

Each transaction (TransactWriteItems, at most 100 items) puts a chunk of trade records, each
conditioned on `attribute_not_exists(pk)`, together with the new state of every rollup those
trades touch, each conditioned on the `version` it was read at. So a trade record and its share
of a rollup commit together or not at all:

- a trade already recorded (a duplicate delivery, or a retry of an invocation that got this far)
  fails its condition; it is reported as a duplicate and the chunk is retried without it;
- a rollup another invocation changed meanwhile fails its version check; it is re-read and the
  chunk is retried, so concurrent writers never lose each other's counts.

Rollups are read once per batch (BatchGetItem, consistent) and then tracked in memory, so a
batch costs one read per 100 rollups plus one transaction per chunk.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from trade_analytics.records import Rollup, trade_item
from trade_analytics.validation import Trade

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit
MAX_BATCH_GET_KEYS = 100  # DynamoDB's limit
# Rounds of re-reading after a concurrent writer won a race; beyond that, let Lambda retry.
MAX_CONFLICT_ROUNDS = 8
# Per-item cancellation codes that a re-read or a retry resolves; anything else is raised.
_RETRYABLE = {"None", "ConditionalCheckFailed", "TransactionConflict"}


class StoreConflictError(RuntimeError):
    """Contention did not settle within MAX_CONFLICT_ROUNDS; raising lets Lambda retry."""


@dataclass
class StoreResult:
    processed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


class TradeStore:
    def __init__(self, client: Any, table_name: str, environment: str) -> None:
        self.client = client
        self.table = table_name
        self.environment = environment

    def record(
        self, trades: Sequence[Trade], archive_keys: dict[str, str], processed_at: str
    ) -> StoreResult:
        """Write trades (distinct ids) and their rollups; report which were new."""
        result = StoreResult()
        rollups = self._read_rollups({Rollup.empty(t).key for t in trades})
        for chunk in _chunks(trades):
            self._commit(list(chunk), rollups, archive_keys, processed_at, result)
        return result

    def _commit(
        self,
        chunk: list[Trade],
        rollups: dict[tuple[str, str], Rollup],
        archive_keys: dict[str, str],
        processed_at: str,
        result: StoreResult,
    ) -> None:
        """Commit one chunk, re-reading stale rollups and dropping duplicates until it lands."""
        for _ in range(MAX_CONFLICT_ROUNDS):
            if not chunk:
                return
            updated = _apply(chunk, rollups)
            items = self._items(chunk, updated, rollups, archive_keys, processed_at)
            reasons = self._transact(items)
            if reasons is None:
                for key, rollup in updated.items():
                    rollups[key] = _bump(rollup)
                result.processed.extend(t.trade_id for t in chunk)
                return
            outcome = _classify(chunk, list(updated), reasons)
            result.duplicates.extend(t.trade_id for t in chunk if t.trade_id in outcome.duplicates)
            chunk = [t for t in chunk if t.trade_id not in outcome.duplicates]
            if outcome.stale:
                rollups.update(self._read_rollups(outcome.stale))
            elif not outcome.duplicates:
                time.sleep(0.05)  # a trade record is in another writer's transaction: wait
        raise StoreConflictError(
            f"rollups kept changing under {MAX_CONFLICT_ROUNDS} attempts; retry the invocation"
        )

    def _items(
        self,
        chunk: list[Trade],
        updated: dict[tuple[str, str], Rollup],
        read: dict[tuple[str, str], Rollup],
        archive_keys: dict[str, str],
        processed_at: str,
    ) -> list[dict[str, Any]]:
        """The transaction: each trade's record if new, each rollup if still at its read version."""
        records = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": trade_item(
                        t, processed_at, self.environment, archive_keys[t.trade_date]
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for t in chunk
        ]
        rollup_puts = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": rollup.to_item(processed_at, self.environment),
                    **_version_condition(read.get(key)),
                }
            }
            for key, rollup in updated.items()
        ]
        return records + rollup_puts

    def _transact(self, items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """Commit, or return the cancellation reasons (one per item) when AWS cancelled it."""
        # Same content, same token: a transport-level retry of a committed transaction is
        # acknowledged instead of being cancelled as a duplicate (10-minute window).
        token = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:36]
        try:
            self.client.transact_write_items(TransactItems=items, ClientRequestToken=token)
        except self.client.exceptions.TransactionCanceledException as cancelled:
            reasons: list[dict[str, Any]] = cancelled.response.get("CancellationReasons") or []
            if len(reasons) != len(items):
                raise
            return reasons
        return None

    def _read_rollups(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Rollup]:
        found: dict[tuple[str, str], Rollup] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), MAX_BATCH_GET_KEYS):
            request: dict[str, Any] = {
                self.table: {
                    "Keys": [
                        {"pk": {"S": pk}, "sk": {"S": sk}}
                        for pk, sk in ordered[start : start + MAX_BATCH_GET_KEYS]
                    ],
                    # A stale read would only cost a retry, but consistency makes it rare.
                    "ConsistentRead": True,
                }
            }
            delay = 0.05
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    rollup = Rollup.from_item(item)
                    found[rollup.key] = rollup
                request = response.get("UnprocessedKeys") or {}
                if request:
                    time.sleep(delay)  # throttled keys come back unprocessed; back off
                    delay = min(delay * 2, 1.0)
        return found


def _version_condition(read: Rollup | None) -> dict[str, Any]:
    if read is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "version = :read_version",
        "ExpressionAttributeValues": {":read_version": {"N": str(read.version)}},
    }


def _apply(
    chunk: Sequence[Trade], rollups: dict[tuple[str, str], Rollup]
) -> dict[tuple[str, str], Rollup]:
    """The rollups the chunk touches, each as its read state plus the chunk's trades."""
    updated: dict[tuple[str, str], Rollup] = {}
    for trade in chunk:
        key = Rollup.empty(trade).key
        updated[key] = updated.get(key, rollups.get(key) or Rollup.empty(trade)).add(trade)
    return updated


@dataclass(frozen=True)
class _Cancellation:
    """Why a transaction was cancelled: trades already recorded, rollups changed meanwhile."""

    duplicates: set[str]
    stale: set[tuple[str, str]]


def _classify(
    chunk: Sequence[Trade], rollup_keys: list[tuple[str, str]], reasons: list[dict[str, Any]]
) -> _Cancellation:
    """Read the per-item reasons (records first, then rollups, as `_items` orders them)."""
    unexpected = [r for r in reasons if r.get("Code") not in _RETRYABLE]
    if unexpected:
        raise RuntimeError(f"transaction cancelled: {unexpected[0]}")
    trade_reasons, rollup_reasons = reasons[: len(chunk)], reasons[len(chunk) :]
    return _Cancellation(
        duplicates={
            trade.trade_id
            for trade, reason in zip(chunk, trade_reasons, strict=True)
            if reason.get("Code") == "ConditionalCheckFailed"
        },
        stale={
            key
            for key, reason in zip(rollup_keys, rollup_reasons, strict=True)
            if reason.get("Code") in {"ConditionalCheckFailed", "TransactionConflict"}
        },
    )


def _bump(rollup: Rollup) -> Rollup:
    """The state just written: to_item stored version + 1."""
    return Rollup(**{**rollup.__dict__, "version": rollup.version + 1})


def _chunks(trades: Sequence[Trade]) -> Iterable[Sequence[Trade]]:
    """Runs of trades whose records plus distinct rollups fit in one transaction."""
    start, rollup_keys = 0, set[tuple[str, str]]()
    for end, trade in enumerate(trades):
        keys = rollup_keys | {Rollup.empty(trade).key}
        if (end - start + 1) + len(keys) > MAX_TRANSACTION_ITEMS:
            yield trades[start:end]
            start, keys = end, {Rollup.empty(trade).key}
        rollup_keys = keys
    if start < len(trades):
        yield trades[start:]
