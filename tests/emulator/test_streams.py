"""The Kinesis poller's behaviour, each rule of Lambda's developer guide on its own (a fake
shard, function and clock), then the poller in the emulator with real functions."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import pytest

from emulator import streams
from emulator.streams import UNLIMITED, Settings, ShardReader, StreamRecord
from tests.support import moto_aws
from tests.support.emulator import (
    Clients,
    create_function,
    create_project_function,
    wait_for,
    zip_of,
)

SHARD = "shardId-000000000000"
BASE = Settings(
    function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
    role_arn="arn:aws:iam::123456789012:role/fn-role",
    stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/trades",
    region="us-east-1",
)


@dataclass(frozen=True)
class Answer:
    payload: bytes = b"null"
    function_error: str | None = None
    request_id: str = "req-1"


@dataclass
class Harness:
    """A shard, a function answering with `answer(sequence numbers)`, a clock, a destination."""

    settings: Settings
    answer: Callable[[list[str]], Answer] = lambda batch: Answer()
    now: float = 1_000_000.0
    records: list[StreamRecord] = field(default_factory=list)
    deliveries: list[list[str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    discarded: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reader = ShardReader(
            settings=lambda: self.settings,
            shard_id=SHARD,
            read=self._read,
            invoke=self._invoke,
            discard=lambda arn, document: self.discarded.append((arn, document)),
            clock=lambda: self.now,
        )

    def put(self, count: int, age: float = 0.0) -> None:
        for _ in range(count):
            number = str(len(self.records) + 1)
            data = base64.b64encode(f"trade-{number}".encode()).decode()
            self.records.append(StreamRecord(SHARD, number, f"pk-{number}", data, self.now - age))

    def _read(self, after: str, limit: int) -> list[StreamRecord]:
        return [r for r in self.records if int(r.sequence_number) > int(after or 0)][:limit]

    def _invoke(self, event: dict[str, Any]) -> Answer:
        self.events.append(event)
        batch = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
        self.deliveries.append(batch)
        return self.answer(batch)

    def drain(self, steps: int = 200) -> None:
        """Step (and let retry pauses pass) until the reader has nothing more to do."""
        for _ in range(steps):
            self.reader.step()
            self.now += streams.RETRY_DELAY


def _numbers(first: int, last: int) -> list[str]:
    return [str(n) for n in range(first, last + 1)]


def _failing(*poison: str) -> Callable[[list[str]], Answer]:
    """A function that raises on any batch holding a poison record."""

    def answer(batch: list[str]) -> Answer:
        return (
            Answer(b'{"errorMessage":"bad"}', "Unhandled") if set(poison) & set(batch) else Answer()
        )

    return answer


def _reporting(*failed: str) -> Callable[[list[str]], Answer]:
    """A function that reports the given records as failures (ReportBatchItemFailures)."""

    def answer(batch: list[str]) -> Answer:
        items = [{"itemIdentifier": number} for number in batch if number in failed]
        return Answer(json.dumps({"batchItemFailures": items}).encode())

    return answer


def test_batches_are_at_most_the_batch_size_in_order_and_kinesis_shaped() -> None:
    shard = Harness(replace(BASE, batch_size=100))
    shard.put(250)
    shard.drain()
    assert [len(batch) for batch in shard.deliveries] == [100, 100, 50]
    assert [n for batch in shard.deliveries for n in batch] == _numbers(1, 250)
    assert shard.reader.checkpoint == "250"
    record = shard.events[0]["Records"][0]
    assert record == {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "pk-1",
            "sequenceNumber": "1",
            "data": base64.b64encode(b"trade-1").decode(),
            "approximateArrivalTimestamp": shard.records[0].arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{SHARD}:1",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": BASE.role_arn,
        "awsRegion": "us-east-1",
        "eventSourceARN": BASE.stream_arn,
    }


def test_the_batching_window_waits_for_a_full_batch_or_its_end() -> None:
    shard = Harness(replace(BASE, batch_size=10, window_seconds=5))
    shard.put(3)
    shard.reader.step()
    shard.now += 4.9
    shard.reader.step()
    assert shard.deliveries == []  # short of a batch, inside the window
    shard.put(2)
    shard.now += 0.2
    shard.reader.step()
    assert shard.deliveries == [_numbers(1, 5)]  # the window ended: what is there
    shard.put(10)
    shard.reader.step()
    assert shard.deliveries[-1] == _numbers(6, 15)  # a full batch goes at once


def test_a_partial_batch_response_checkpoints_before_the_first_failure() -> None:
    shard = Harness(replace(BASE, report_item_failures=True), _reporting("3", "4"))
    shard.put(5)
    shard.reader.step()
    assert shard.reader.checkpoint == "2"
    shard.answer = _reporting()
    shard.drain()
    assert shard.deliveries == [_numbers(1, 5), _numbers(3, 5)]
    assert shard.reader.checkpoint == "5"


@pytest.mark.parametrize("payload", [b'{"batchItemFailures": []}', b"null", b"{}", b""])
def test_these_answers_are_success(payload: bytes) -> None:
    shard = Harness(replace(BASE, report_item_failures=True), lambda batch: Answer(payload))
    shard.put(3)
    shard.drain()
    assert shard.deliveries == [_numbers(1, 3)]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"batchItemFailures": [{"itemIdentifier": "99"}]}',  # not in the batch
        b'{"batchItemFailures": [{"itemIdentifier": ""}]}',
        b'{"batchItemFailures": [{"itemIdentifier": null}]}',
        b'{"batchItemFailures": [{"id": "2"}]}',  # the wrong key
        b"not json",
    ],
)
def test_an_answer_lambda_cannot_read_fails_the_whole_batch(payload: bytes) -> None:
    settings = replace(BASE, report_item_failures=True, max_retries=1)
    shard = Harness(settings, lambda batch: Answer(payload))
    shard.put(3)
    shard.drain()
    assert shard.deliveries == [_numbers(1, 3), _numbers(1, 3)]  # retried whole, then dropped
    assert shard.reader.checkpoint == "3"


def test_without_report_batch_item_failures_the_failures_list_is_ignored() -> None:
    shard = Harness(BASE, _reporting("2"))
    shard.put(3)
    shard.drain()
    assert shard.deliveries == [_numbers(1, 3)]


def test_bisection_isolates_the_bad_record_without_spending_retries() -> None:
    settings = replace(BASE, bisect=True, max_retries=2, on_failure_arn="arn:aws:sqs:q")
    shard = Harness(settings, _failing("6"))
    shard.put(8)
    shard.drain()
    assert shard.deliveries == [
        _numbers(1, 8),
        _numbers(1, 4),
        _numbers(5, 8),
        ["5", "6"],
        ["5"],
        ["6"],
        ["6"],
        ["6"],  # the first try and two retries
        ["7", "8"],
    ]
    [(arn, record)] = shard.discarded
    assert arn == "arn:aws:sqs:q"
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        "6",
        "6",
        1,
    )
    assert (info["shardId"], info["streamArn"]) == (SHARD, BASE.stream_arn)
    assert shard.reader.checkpoint == "8"


def test_without_bisection_the_whole_batch_is_retried_then_discarded() -> None:
    settings = replace(BASE, max_retries=0, on_failure_arn="arn:aws:sqs:q")
    shard = Harness(settings, _failing("2"))
    shard.put(4)
    shard.drain()
    assert shard.deliveries == [_numbers(1, 4)]
    info = shard.discarded[0][1]["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == ("1", "4")
    first = datetime.fromtimestamp(shard.records[0].arrival, timezone.utc)
    assert info["approximateArrivalOfFirstRecord"] == first.isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")


def test_unlimited_retries_hold_the_shard() -> None:
    shard = Harness(replace(BASE, max_retries=UNLIMITED), _failing("1"))
    shard.put(2)
    shard.drain(steps=50)
    assert len(shard.deliveries) == 50 and shard.discarded == []
    assert shard.reader.checkpoint == ""


def test_a_failed_batch_waits_before_its_retry() -> None:
    shard = Harness(replace(BASE, max_retries=5), _failing("1"))
    shard.put(1)
    shard.reader.step()
    shard.now += streams.RETRY_DELAY / 2
    shard.reader.step()
    assert len(shard.deliveries) == 1
    shard.now += streams.RETRY_DELAY
    shard.reader.step()
    assert len(shard.deliveries) == 2


def test_records_past_the_maximum_age_are_discarded_unsent() -> None:
    settings = replace(BASE, max_age_seconds=60, on_failure_arn="arn:aws:sqs:q")
    shard = Harness(settings)
    shard.put(2, age=120)
    shard.put(3)
    shard.drain()
    assert shard.deliveries == [_numbers(3, 5)]
    [(_, record)] = shard.discarded
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["KinesisBatchInfo"]["endSequenceNumber"] == "2"


def test_a_retried_batch_expires_too() -> None:
    settings = replace(BASE, max_age_seconds=60, on_failure_arn="arn:aws:sqs:q")
    shard = Harness(settings, _failing("1"))
    shard.put(1)
    shard.reader.step()
    shard.now += 61
    shard.drain()
    assert len(shard.deliveries) == 1
    assert shard.discarded[0][1]["requestContext"]["condition"] == "RecordAgeExceeded"


def test_a_disabled_mapping_reads_nothing() -> None:
    shard = Harness(replace(BASE, enabled=False))
    shard.put(3)
    shard.drain()
    assert shard.deliveries == []


# ---- in the emulator ---------------------------------------------------------------------


def _queue(clients: Clients) -> tuple[str, str]:
    sqs = clients("sqs")
    url = sqs.create_queue(QueueName=f"failures-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def _stream(clients: Clients, shards: int = 1) -> str:
    kinesis = clients("kinesis")
    name = f"trades-{uuid.uuid4().hex[:6]}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return str(
        kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    )


@pytest.mark.slow
def test_the_emulator_polls_batches_bisects_and_sends_the_failure(clients: Clients) -> None:
    code = zip_of(
        {
            "app.py": "import base64\n"
            "def handler(event, context):\n"
            "    batch = [base64.b64decode(r['kinesis']['data']).decode()"
            " for r in event['Records']]\n"
            "    print('BATCH', ','.join(batch))\n"
            "    if 'poison' in batch:\n"
            "        raise ValueError('poison')\n"
        }
    )
    function = create_function(clients, code)
    stream = _stream(clients)
    queue, queue_arn = _queue(clients)
    clients("lambda").create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    values = [f"t{n}" for n in range(20)]
    values[13] = "poison"
    clients("kinesis").put_records(
        StreamName=stream.rsplit("/", 1)[1],
        Records=[{"Data": value.encode(), "PartitionKey": "k"} for value in values],
    )

    def batches() -> list[list[str]]:
        events = clients("logs").filter_log_events(logGroupName=f"/aws/lambda/{function}")
        lines = [e["message"] for e in events["events"] if e["message"].startswith("BATCH ")]
        return [line.split(" ", 1)[1].split(",") for line in lines]

    messages = wait_for(
        lambda: clients("sqs").receive_message(QueueUrl=queue).get("Messages"),
        60,
        "the poison record's batch reached the on-failure queue",
    )
    info = json.loads(messages[0]["Body"])["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    seen = wait_for(
        lambda: {v for b in batches() for v in b} >= set(values) and batches(),
        30,
        "every record delivered",
    )
    assert seen[0] == values[:10]  # batches of the mapping's size, not one record each
    assert seen.count(["poison"]) == 2  # the first try and one retry, then discarded


@pytest.mark.slow
@pytest.mark.usefixtures("platform_resources")
def test_forty_trades_on_the_stream_reach_the_table_within_seconds(clients: Clients) -> None:
    dynamodb = clients("dynamodb")
    function = create_project_function(clients)
    stream = _stream(clients, shards=2)
    clients("lambda").create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="TRIM_HORIZON",
        BatchSize=100,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = [f"STREAM-{uuid.uuid4().hex[:8]}-{n}" for n in range(40)]
    started = time.monotonic()
    clients("kinesis").put_records(
        StreamName=stream.rsplit("/", 1)[1],
        Records=[
            {
                "Data": json.dumps(
                    {
                        "trade_id": i,
                        "symbol": "MSFT",
                        "price": 10.0,
                        "quantity": 2,
                        "amount": 20.0,
                        "timestamp": now,
                    }
                ).encode(),
                "PartitionKey": i,
            }
            for i in ids
        ],
    )

    def stored() -> bool:
        keys = [{"pk": {"S": f"TRADE#{i}"}, "sk": {"S": "RECORD"}} for i in ids]
        found = 0
        for start in range(0, len(keys), 100):
            answer = dynamodb.batch_get_item(
                RequestItems={moto_aws.TABLE: {"Keys": keys[start : start + 100]}}
            )
            found += len(answer["Responses"][moto_aws.TABLE])
        return found == len(ids)

    wait_for(stored, 30, "all 40 trades in the table")
    assert time.monotonic() - started < 30
