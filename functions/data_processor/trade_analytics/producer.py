"""Where a producer puts a trade on the stream: the record's partition key and hash key.

Not used by the function: this is the producers' half of the contract, kept beside the
consumer's so that both change together (README, "Sending trades").

- Every shard takes 1,000 records/s, so one symbol at tens of thousands of trades/s must spread
  over many shards. A trade's lane is a hash of its trade id modulo the stream's shard count,
  and the explicit hash key puts lane i in the middle of shard i's hash range (a provisioned
  stream created with N shards, or resharded with UNIFORM_SCALING, splits the range evenly).
  So each symbol spreads evenly over every shard, and no shard gets more than its share.
- The partition key `<symbol>#<lane>` keeps Lambda's per-key ordering (it processes one key's
  records in order, also with a parallelization factor above 1) for each lane of a symbol, and
  every delivery of the same trade id goes to the same lane: the first payload of an id is
  always the one recorded, and a later different one is always the reported conflict.
Order across lanes is not kept, and is not needed: rollups are sums, minima and maxima.
"""

from __future__ import annotations

import hashlib

HASH_SPACE = 2**128  # Kinesis hashes partition keys with MD5 onto [0, 2^128)
NO_SYMBOL = "_NO_SYMBOL"


def lane(trade_id: str, shards: int) -> int:
    if shards < 1:
        raise ValueError(f"a stream has at least one shard, not {shards}")
    digest = hashlib.sha256(trade_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def route(trade_id: str, symbol: str | None, shards: int) -> tuple[str, str]:
    """(PartitionKey, ExplicitHashKey) for PutRecord/PutRecords."""
    chosen = lane(trade_id, shards)
    width = HASH_SPACE // shards
    return f"{symbol or NO_SYMBOL}#{chosen}", str(chosen * width + width // 2)
