"""Exactly-once writes to the analytics table, with no item that concurrent writers share.

Each transaction (TransactWriteItems, at most 100 items) puts a chunk of trade records, each
conditioned on `attribute_not_exists(pk)`, together with this writer's rollup shard for every
(symbol, day) the chunk touches. A trade record and its share of a rollup commit together or
not at all, so a trade counts once however often it is delivered.

Why nothing contends (the old single rollup item per symbol-day serialised every transaction
on a busy symbol): a writer is one function execution environment, and Lambda runs one
invocation at a time in an environment, so no two transactions ever write the same shard at
once (records.py has the layout; queries.py merges the shards). The writer keeps its shards'
state in memory, so it aggregates a chunk's trades in memory and writes each shard once per
transaction without reading it first: a fresh writer's shards cannot exist yet.

A cancelled transaction says per item what to do. `ReturnValuesOnConditionCheckFailure=ALL_OLD`
returns an existing record in the same response, so classifying costs no extra read:
- the record exists with the same fingerprint, written by this same delivery: an earlier
  attempt of this invocation (or stream record) committed it; it counts as processed;
- the same fingerprint from another delivery: a duplicate; nothing changes;
- another fingerprint: a conflict (the trade id was reused for a different trade); nothing is
  overwritten and the caller reports it;
- TransactionConflict on a record: another transaction holds that trade right now (the same
  trade delivered twice at once); back off with full jitter and retry;
- this writer's shard failed its version check: only possible after a write whose outcome was
  unknown; the returned item is the shard's real state, and the chunk is retried on it.
Retries stop at the invocation's deadline; the trades not committed by then come back in
`StoreResult.failed` with the reason, and the caller fails them (see processor.py).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from trade_analytics.records import Rollup, fingerprint, trade_item
from trade_analytics.validation import Trade

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit
# Full-jitter exponential backoff (the AWS Architecture Blog's "Exponential Backoff And Jitter").
BACKOFF_BASE_SECONDS = 0.025
BACKOFF_CAP_SECONDS = 1.0
# Without an invocation deadline (a direct call in a test or script), give up after this long.
DEFAULT_BUDGET_SECONDS = 20.0
# Per-item cancellation codes a retry resolves; anything else is raised.
_RETRYABLE = {"None", "ConditionalCheckFailed", "TransactionConflict"}

RollupKey = tuple[str, str]


class StoreConflictError(RuntimeError):
    """Trades stayed uncommitted until the deadline; failing lets Lambda deliver them again."""


@dataclass
class StoreResult:
    processed: list[str] = field(default_factory=list)
    # Of `processed`: committed by an earlier attempt of the same delivery.
    recovered: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[Trade] = field(default_factory=list)
    # Not committed, and why: the first error met. Everything else was settled.
    failed: list[Trade] = field(default_factory=list)
    error: Exception | None = None


class TradeStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        environment: str,
        *,
        writer: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.table = table_name
        self.environment = environment
        # One writer per execution environment: this object lives as long as the container.
        self.writer = writer or uuid.uuid4().hex
        self._sleep = sleep
        self._jitter = jitter
        # This writer's shards as last committed; a key missing here is not written yet.
        self._shards: dict[RollupKey, Rollup] = {}

    def record(
        self,
        trades: Sequence[Trade],
        archive_keys: dict[str, str],
        processed_at: str,
        deadline: float | None = None,
    ) -> StoreResult:
        """Write trades (distinct ids) and their rollup shares; report what became of each."""
        result = StoreResult()
        deadline = time.monotonic() + DEFAULT_BUDGET_SECONDS if deadline is None else deadline
        chunks = list(_chunks(trades, self.writer))
        for position, chunk in enumerate(chunks):
            try:
                self._commit(list(chunk), archive_keys, processed_at, deadline, result)
            except Exception as error:
                settled = {*result.processed, *result.duplicates}
                settled.update(t.trade_id for t in result.conflicts)
                result.failed = [
                    t for c in chunks[position:] for t in c if t.trade_id not in settled
                ]
                result.error = error
                return result
        return result

    def _commit(
        self,
        chunk: list[Trade],
        archive_keys: dict[str, str],
        processed_at: str,
        deadline: float,
        result: StoreResult,
    ) -> None:
        """Commit one chunk, settling repeats and conflicts, until it lands or time runs out."""
        attempt = 0
        while chunk:
            updated = self._apply(chunk)
            items = self._items(chunk, updated, archive_keys, processed_at)
            try:
                reasons = self._transact(items)
            except Exception:
                # The outcome is unknown: forget the shards' state; their version check or
                # absence condition tells the next write what is really there.
                for key in updated:
                    self._shards.pop(key, None)
                raise
            if reasons is None:
                # to_item stored version + 1; keep the state as stored.
                self._shards.update(
                    {
                        key: replace(rollup, version=rollup.version + 1)
                        for key, rollup in updated.items()
                    }
                )
                result.processed.extend(t.trade_id for t in chunk)
                return
            chunk, busy = self._settle(chunk, list(updated), reasons, result)
            if busy:
                attempt += 1
                pause = self._jitter() * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
                if time.monotonic() + pause >= deadline:
                    raise StoreConflictError(
                        f"{len(chunk)} trade(s) were held by concurrent transactions until the "
                        "invocation's deadline; they are failed so that they are delivered again"
                    )
                self._sleep(pause)

    def _settle(
        self,
        chunk: list[Trade],
        shard_keys: list[RollupKey],
        reasons: list[dict[str, Any]],
        result: StoreResult,
    ) -> tuple[list[Trade], bool]:
        """Sort out a cancelled chunk: what is left to commit, and whether to back off first."""
        unexpected = [r for r in reasons if r.get("Code") not in _RETRYABLE]
        if unexpected:
            raise RuntimeError(f"transaction cancelled: {unexpected[0]}")
        record_reasons, shard_reasons = reasons[: len(chunk)], reasons[len(chunk) :]
        remaining: list[Trade] = []
        busy = False
        for trade, reason in zip(chunk, record_reasons, strict=True):
            code = reason.get("Code")
            if code == "ConditionalCheckFailed":
                self._classify(trade, reason.get("Item") or {}, result)
                continue
            busy = busy or code == "TransactionConflict"
            remaining.append(trade)
        for key, reason in zip(shard_keys, shard_reasons, strict=True):
            if reason.get("Code") == "ConditionalCheckFailed":
                stored = reason.get("Item")
                if stored:
                    self._shards[key] = Rollup.from_item(stored)
                else:
                    self._shards.pop(key, None)
            busy = busy or reason.get("Code") == "TransactionConflict"
        return remaining, busy

    @staticmethod
    def _classify(trade: Trade, stored: dict[str, Any], result: StoreResult) -> None:
        """A record already exists for this trade id: a retry, a duplicate or a conflict."""
        # ALL_OLD returns the whole record; one without a fingerprint predates them (a repeat).
        stored_fingerprint = stored.get("fingerprint", {}).get("S")
        stored_delivery = stored.get("delivery", {}).get("S")
        if stored_fingerprint is not None and stored_fingerprint != fingerprint(trade):
            result.conflicts.append(trade)
        elif trade.delivery and stored_delivery == trade.delivery:
            result.processed.append(trade.trade_id)
            result.recovered.append(trade.trade_id)
        else:
            result.duplicates.append(trade.trade_id)

    def _apply(self, chunk: Sequence[Trade]) -> dict[RollupKey, Rollup]:
        """This writer's shards the chunk touches, each as committed plus the chunk's trades."""
        updated: dict[RollupKey, Rollup] = {}
        for trade in chunk:
            key = Rollup.empty(trade, self.writer).key
            base = updated.get(key) or self._shards.get(key) or Rollup.empty(trade, self.writer)
            updated[key] = base.add(trade)
        return updated

    def _items(
        self,
        chunk: list[Trade],
        updated: dict[RollupKey, Rollup],
        archive_keys: dict[str, str],
        processed_at: str,
    ) -> list[dict[str, Any]]:
        """The transaction: each trade's record if new, each shard if as this writer left it."""
        records = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": trade_item(
                        t, processed_at, self.environment, archive_keys[t.trade_date], t.delivery
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for t in chunk
        ]
        shards = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": rollup.to_item(processed_at, self.environment),
                    **_version_condition(self._shards.get(key)),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for key, rollup in updated.items()
        ]
        return records + shards

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


def _version_condition(committed: Rollup | None) -> dict[str, Any]:
    """A shard is written over the version this writer committed, or created if it has none."""
    if committed is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "version = :committed",
        "ExpressionAttributeValues": {":committed": {"N": str(committed.version)}},
    }


def _chunks(trades: Sequence[Trade], writer: str) -> Iterable[Sequence[Trade]]:
    """Runs of trades whose records plus distinct shards fit in one transaction."""
    start, shard_keys = 0, set[RollupKey]()
    for end, trade in enumerate(trades):
        keys = shard_keys | {Rollup.empty(trade, writer).key}
        if (end - start + 1) + len(keys) > MAX_TRANSACTION_ITEMS:
            yield trades[start:end]
            start, keys = end, {Rollup.empty(trade, writer).key}
        shard_keys = keys
    if start < len(trades):
        yield trades[start:]
