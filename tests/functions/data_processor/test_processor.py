"""What one invocation writes: records, rollups, archive objects, response and log line."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from trade_analytics.processor import Processor
from trade_analytics.queries import daily_rollup

from tests.support.data_processor import Cloud, invoke
from tests.support.moto_aws import TABLE

TODAY = datetime.now(timezone.utc).date().isoformat()


def test_description_payload_succeeds_as_is(cloud: Cloud) -> None:
    response = invoke({"trade_data": {"trade_id": "TEST123", "amount": 1000}})
    assert response["status"] == "ok"
    assert response["counts"] == {
        "received": 1,
        "processed": 1,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 0,
    }
    record = cloud.item("TRADE#TEST123", "RECORD")
    assert record is not None
    assert record["amount"] == {"N": "1000"} and record["notional"] == {"N": "1000"}
    assert record["environment"] == {"S": "dev"} and record["size_bucket"] == {"S": "small"}
    rollup = cloud.rollup(None, TODAY)
    assert rollup is not None and rollup["trade_count"] == 1
    [(key, body)] = cloud.objects().items()
    assert key.startswith(f"trades/date={TODAY}/") and key.endswith(".jsonl")
    assert record["archive_key"] == {"S": key}
    assert json.loads(body)["payload"] == {"trade_id": "TEST123", "amount": 1000}


def test_batch_is_processed_and_archived_as_one_object_per_day(cloud: Cloud) -> None:
    trades: list[dict[str, Any]] = [
        {
            "trade_id": f"T{i}",
            "amount": 10 + i,
            "symbol": "AAPL",
            "side": "BUY",
            "timestamp": f"2026-11-{20 + i % 2}T10:00:00Z",
            "desk": "rates",
        }
        for i in range(40)
    ]
    response = invoke({"trades": trades})
    assert response["counts"]["processed"] == 40
    objects = cloud.objects()
    assert sorted(k.split("/")[1] for k in objects) == ["date=2026-11-20", "date=2026-11-21"]
    archived = [json.loads(line) for body in objects.values() for line in body.splitlines()]
    assert sorted(a["trade_id"] for a in archived) == sorted(t["trade_id"] for t in trades)
    assert all(a["payload"]["desk"] == "rates" for a in archived), "unknown fields are kept"
    counts = [cloud.rollup("AAPL", f"2026-11-{d}") for d in (20, 21)]
    assert [c["trade_count"] for c in counts if c] == [20, 20]


def test_duplicates_within_a_batch_count_once(cloud: Cloud) -> None:
    trade = {"trade_id": "DUP-1", "amount": 5, "symbol": "MSFT"}
    response = invoke({"trades": [trade, dict(trade), {"trade_id": "OTHER", "amount": 1}]})
    assert response["counts"] == {
        "received": 3,
        "processed": 2,
        "duplicates": 1,
        "conflicts": 0,
        "rejected": 0,
    }
    assert response["duplicates"] == ["DUP-1"]
    rollup = cloud.rollup("MSFT", TODAY)
    assert rollup is not None and rollup["notional"] == "5"


def test_duplicates_across_invocations_change_nothing(cloud: Cloud) -> None:
    event = {
        "trades": [
            {"trade_id": "X1", "amount": 7.5, "symbol": "IBM"},
            {"trade_id": "X2", "amount": 2.5, "symbol": "IBM"},
        ]
    }
    first = invoke(event)
    items_after_first = cloud.items()
    second = invoke(event)
    assert first["counts"]["processed"] == 2
    assert second["status"] == "ok"
    assert second["counts"] == {
        "received": 2,
        "processed": 0,
        "duplicates": 2,
        "conflicts": 0,
        "rejected": 0,
    }
    assert cloud.items() == items_after_first
    rollup = cloud.rollup("IBM", TODAY)
    assert rollup is not None
    assert (rollup["trade_count"], rollup["notional"]) == (2, "10.0")


def test_rollup_arithmetic(processor: Processor, cloud: Cloud) -> None:
    trades = [
        {
            "trade_id": "A",
            "amount": 1000,
            "symbol": "ACME",
            "side": "BUY",
            "price": 10,
            "quantity": 100,
            "timestamp": "2026-11-02T09:30:00-05:00",
        },
        {
            "trade_id": "B",
            "amount": 600,
            "symbol": "ACME",
            "side": "SELL",
            "price": 12,
            "quantity": 50,
            "timestamp": "2026-11-02T15:59:59Z",
        },
        {"trade_id": "C", "amount": 300, "symbol": "ACME", "timestamp": "2026-11-02T16:00:00Z"},
    ]
    processor.process({"trades": trades})
    rollup = daily_rollup(cloud.dynamodb, TABLE, "ACME", "2026-11-02")
    assert rollup is not None
    assert rollup.trade_count == 3
    assert (rollup.buy_volume, rollup.sell_volume) == (Decimal(100), Decimal(50))
    assert rollup.notional == 1000 + 600 + 300
    assert rollup.min_price == 10
    assert rollup.max_price == 12
    assert rollup.vwap is not None
    # VWAP over the priced trades: (10*100 + 12*50) / 150
    assert rollup.vwap.quantize(Decimal("0.000001")) == Decimal("10.666667")
    record = cloud.item("TRADE#A", "RECORD")
    assert record is not None and record["timestamp"] == {"S": "2026-11-02T14:30:00Z"}


def test_rollups_accumulate_across_invocations(cloud: Cloud) -> None:
    for i in range(3):
        invoke(
            {
                "trade_data": {
                    "trade_id": f"R{i}",
                    "amount": 1,
                    "symbol": "GE",
                    "price": 2 + i,
                    "quantity": 1,
                }
            }
        )
    rollup = cloud.rollup("GE", TODAY)
    assert rollup is not None
    assert (rollup["trade_count"], rollup["min_price"], rollup["max_price"]) == (3, "2", "4")
    # One warm container: one writer, one shard written three times.
    assert rollup["shards"] == 1
    [shard] = [i for i in cloud.items() if i["pk"]["S"] == f"ROLLUP#GE#{TODAY}"]
    assert shard["version"] == {"N": "3"}


def test_partial_batch_processes_valid_trades_and_reports_rejections(cloud: Cloud) -> None:
    response = invoke(
        {"trades": [{"trade_id": "OK1", "amount": 3}, {"trade_id": "BAD1", "amount": -3}]}
    )
    assert response["status"] == "partial"
    assert response["rejected"] == [
        {"index": 1, "trade_id": "BAD1", "field": "amount", "reason": "must be greater than 0"}
    ]
    assert cloud.item("TRADE#BAD1", "RECORD") is None
    assert b"BAD1" not in b"".join(cloud.objects().values())


def test_one_json_log_line_without_trade_payloads(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke(
        {"trade_data": {"trade_id": "SECRET-ID", "amount": 123456, "symbol": "ZZZZ"}},
        request_id="req-log",
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["request_id"] == "req-log" and line["level"] == "INFO"
    assert line["processed"] == 1 and line["duration_ms"] >= 0
    assert "SECRET-ID" not in lines[0] and "123456" not in lines[0] and "ZZZZ" not in lines[0]


def test_response_is_json_serialisable(cloud: Cloud) -> None:
    response = invoke({"trades": [{"trade_id": "J1", "amount": 1}, {"amount": 1}]})
    assert json.loads(json.dumps(response)) == response
