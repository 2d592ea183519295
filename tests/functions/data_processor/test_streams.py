"""Kinesis events: base64 records in, partial batch responses naming exactly what failed out.

The event shape is Lambda's for Kinesis (AWS Lambda developer guide, "Using Lambda with
Kinesis": Records[].kinesis.data base64, sequenceNumber, eventID "<shard>:<sequence>"); the
response is the ReportBatchItemFailures shape (`batchItemFailures[].itemIdentifier` = the
record's sequence number).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.data_processor import (
    Cloud,
    handler,
    handler_clients,
    invoke,
    kinesis_event,
)
from tests.support.faults import DYNAMODB_THROTTLE, Faults

DAY = "2026-11-26"


def trades(n: int, symbol: str = "KIN", prefix: str = "K") -> list[dict[str, Any]]:
    return [
        {
            "trade_id": f"{prefix}-{i:04d}",
            "amount": 10 + i % 3,
            "symbol": symbol,
            "side": "BUY" if i % 2 else "SELL",
            "price": 5,
            "quantity": 2,
            "timestamp": f"{DAY}T10:00:00Z",
        }
        for i in range(n)
    ]


def sequence(event: dict[str, Any], position: int) -> str:
    return str(event["Records"][position]["kinesis"]["sequenceNumber"])


def test_a_batch_of_records_is_processed_and_reports_no_failures(cloud: Cloud) -> None:
    event = kinesis_event(trades(50))
    assert invoke(event) == {"batchItemFailures": []}
    rollup = cloud.rollup("KIN", DAY)
    assert rollup is not None and rollup["trade_count"] == 50
    record = cloud.item("TRADE#K-0007", "RECORD")
    assert record is not None and record["delivery"] == {"S": event["Records"][7]["eventID"]}


def test_poison_records_go_to_the_failure_queue_and_the_batch_goes_on(cloud: Cloud) -> None:
    payloads: list[Any] = trades(3)
    payloads.insert(1, b"\xff\xfe not text")
    payloads.insert(2, b"{not json")
    payloads.insert(3, {"trade_id": "BAD", "amount": -1})
    payloads.insert(4, [1, 2, 3])
    event = kinesis_event(payloads)
    assert invoke(event) == {"batchItemFailures": []}
    letters = {letter["sequenceNumber"]: letter for letter in cloud.dead_letters()}
    assert set(letters) == {sequence(event, p) for p in (1, 2, 3, 4)}
    assert letters[sequence(event, 1)]["reason"] == "the record's data is not base64-encoded UTF-8"
    assert letters[sequence(event, 2)]["reason"] == "the record's data is not JSON"
    bad = letters[sequence(event, 3)]
    assert (bad["kind"], bad["field"], bad["reason"]) == (
        "rejected",
        "amount",
        "must be greater than 0",
    )
    assert json.loads(base64.b64decode(bad["data"])) == {"trade_id": "BAD", "amount": -1}
    assert letters[sequence(event, 4)]["field"] == "trade"
    assert all(
        letter["eventSourceARN"].startswith("arn:aws:kinesis:") for letter in letters.values()
    )
    rollup = cloud.rollup("KIN", DAY)
    assert rollup is not None and rollup["trade_count"] == 3


def test_a_conflicting_record_is_a_dead_letter_and_the_stored_trade_stays(cloud: Cloud) -> None:
    invoke(kinesis_event(trades(2)))
    changed = [{**trades(2)[1], "amount": 999}]
    event = kinesis_event(changed, first=100)
    assert invoke(event) == {"batchItemFailures": []}
    [letter] = cloud.dead_letters()
    assert (letter["kind"], letter["sequenceNumber"]) == ("conflict", sequence(event, 0))
    record = cloud.item("TRADE#K-0001", "RECORD")
    assert record is not None and record["amount"] == {"N": "11"}


def test_an_envelope_that_is_not_kinesis_is_refused(cloud: Cloud) -> None:
    response = invoke({"Records": [{"body": "an SQS message"}]})
    assert response["status"] == "error"
    assert response["error"]["field"] == "Records[0]"
    assert cloud.items() == []


@pytest.mark.slow
@pytest.mark.parametrize("failing_transaction", [1, 2, 3])
def test_a_failed_write_names_exactly_the_uncommitted_records_and_redelivery_converges(
    served_cloud: Cloud, failing_transaction: int, no_backoff: None
) -> None:
    event = kinesis_event(trades(250))  # three transactions: 99, 99 and 52 trades
    dynamodb, _ = handler_clients()
    # Every attempt of one transaction is throttled, so it fails after boto3's retries.
    Faults(dynamodb, first=failing_transaction, times=handler.ATTEMPTS, error=DYNAMODB_THROTTLE)
    response = invoke(event)
    committed = {
        position
        for position in range(250)
        if served_cloud.item(f"TRADE#K-{position:04d}", "RECORD") is not None
    }
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert failed == [sequence(event, p) for p in range(250) if p not in committed]
    assert len(committed) == 99 * (failing_transaction - 1)

    # Lambda delivers the shard again from the lowest failed sequence number.
    handler.processor.cache_clear()
    lowest = min(p for p in range(250) if p not in committed)
    again = {"Records": event["Records"][lowest:]}
    assert invoke(again) == {"batchItemFailures": []}
    rollup = served_cloud.rollup("KIN", DAY)
    assert rollup is not None and rollup["trade_count"] == 250


def test_a_dead_letter_the_queue_refuses_fails_its_record(cloud: Cloud) -> None:
    cloud.sqs.delete_queue(QueueUrl=handler.SETTINGS.failure_queue_url)
    event = kinesis_event([trades(1)[0], {"trade_id": "BAD", "amount": 0}])
    assert invoke(event) == {"batchItemFailures": [{"itemIdentifier": sequence(event, 1)}]}
