"""The producers' half of the stream contract: a symbol spread over every shard, an id in one."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest
from moto import mock_aws
from trade_analytics.producer import lane, route


def test_every_delivery_of_a_trade_id_goes_to_the_same_lane() -> None:
    assert route("T-1", "AAPL", 64) == route("T-1", "AAPL", 64)
    assert route("T-1", "AAPL", 64)[0].startswith("AAPL#")
    assert route("T-1", None, 4)[0].startswith("_NO_SYMBOL#")


def test_one_symbol_spreads_evenly_over_every_shard() -> None:
    # Production: 20,000 trades/s of one symbol over 64 shards of 1,000 records/s each.
    loads = Counter(lane(f"AAPL-{i}", 64) for i in range(20_000))
    assert set(loads) == set(range(64))
    assert max(loads.values()) <= 1.25 * 20_000 / 64 < 1_000


def test_a_stream_puts_each_lane_on_its_own_shard() -> None:
    # Through Kinesis's own hashing (moto): the explicit hash key picks the shard.
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        kinesis.create_stream(StreamName="trades", ShardCount=4)
        shards = [s["ShardId"] for s in kinesis.list_shards(StreamName="trades")["Shards"]]
        placed = {}
        for i in range(40):
            trade_id = f"T-{i}"
            trade = {"trade_id": trade_id, "amount": 1, "symbol": "AAPL"}
            key, hash_key = route(trade_id, "AAPL", 4)
            reply = kinesis.put_record(
                StreamName="trades",
                Data=json.dumps(trade).encode(),
                PartitionKey=key,
                ExplicitHashKey=hash_key,
            )
            placed[trade_id] = reply["ShardId"]
        for trade_id, shard in placed.items():
            assert shard == shards[lane(trade_id, 4)]


@pytest.mark.parametrize("shards", [0, -1])
def test_a_stream_has_at_least_one_shard(shards: int) -> None:
    with pytest.raises(ValueError, match="at least one shard"):
        lane("T", shards)
