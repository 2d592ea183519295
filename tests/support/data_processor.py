"""What the data processor's tests share: its configuration, a cloud of clients, trade batches.

Importing this module configures the environment the handler reads at import, as a Lambda cold
start would; import it before `handler`.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
from moto import mock_aws
from trade_analytics.archive import Archive
from trade_analytics.processor import Processor
from trade_analytics.queries import daily_rollup
from trade_analytics.store import TradeStore

from tests.support import moto_aws
from tests.support.moto_aws import (
    BUCKET,
    FUNCTION_ENVIRONMENT,
    QUEUE_URL,
    TABLE,
    create_resources,
)

os.environ.update(
    {**FUNCTION_ENVIRONMENT, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
)
os.environ.pop("AWS_PROFILE", None)

import handler

# Test modules take `handler` from here, so it is always imported configured.
__all__ = [
    "Cloud",
    "batch",
    "expected",
    "fresh_cloud",
    "handler",
    "handler_clients",
    "in_process_cloud",
    "invoke",
    "kinesis_event",
    "processor_for",
    "totals",
]

moto_aws.install()


@dataclass
class Cloud:
    """The table and bucket the processor writes to, read back for assertions."""

    dynamodb: Any
    s3: Any
    sqs: Any = None

    def items(self) -> list[dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
        return [item for page in pages for item in page["Items"]]

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return found

    def rollup(self, symbol: str | None, day: str) -> dict[str, Any] | None:
        """The day's figures as the read path merges them, as strings (None: no trades)."""
        found = daily_rollup(self.dynamodb, TABLE, symbol, day)
        return None if found is None else found.as_dict()

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message on the failure queue (received once, not deleted)."""
        messages: list[dict[str, Any]] = []
        while True:
            reply = self.sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=10)
            if not reply.get("Messages"):
                return messages
            messages.extend(json.loads(m["Body"]) for m in reply["Messages"])

    def objects(self) -> dict[str, bytes]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {
            o["Key"]: self.s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
            for o in listing
        }


def fresh_cloud() -> Cloud:
    """A new table and bucket wherever boto3 points now (in-process moto or a moto server)."""
    session = boto3.session.Session()
    state = Cloud(session.client("dynamodb"), session.client("s3"), session.client("sqs"))
    create_resources(state.dynamodb, state.s3, state.sqs)
    handler.processor.cache_clear()  # the next invocation is a fresh container's first
    return state


@contextmanager
def in_process_cloud() -> Iterator[Cloud]:
    with mock_aws():
        yield fresh_cloud()
        handler.processor.cache_clear()


_REQUEST_IDS = itertools.count(1)


class Context:
    """What the handler reads of Lambda's context object."""

    def __init__(self, request_id: str, remaining_ms: int = 30_000) -> None:
        self.aws_request_id = request_id
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def processor_for(cloud: Cloud, **store: Any) -> Processor:
    """A processor as one container makes it (so one rollup writer), on `cloud`'s clients;
    `store` goes to its TradeStore (writer=..., sleep=..., jitter=...)."""
    return Processor(
        TradeStore(cloud.dynamodb, TABLE, "dev", **store),
        Archive(cloud.s3, BUCKET),
        "dev",
        handler.SETTINGS.window,
        queue=cloud.sqs,
        failure_queue_url=QUEUE_URL,
    )


def invoke(event: Any, request_id: str | None = None) -> dict[str, Any]:
    """The handler, called as Lambda calls it: each call a new request unless `request_id`
    repeats one (Lambda's retry of a failed asynchronous invocation keeps its request id)."""
    context = Context(request_id or f"req-{next(_REQUEST_IDS):04d}")
    response: dict[str, Any] = handler.handler(event, context)
    return response


def kinesis_event(
    payloads: list[Any], shard: str = "shardId-000000000000", first: int = 1
) -> dict[str, Any]:
    """A Lambda event from a Kinesis stream: each payload JSON-encoded (bytes are sent as is)
    and base64-encoded, with sequence numbers counting from `first`."""
    records = []
    for offset, payload in enumerate(payloads):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sequence = f"{49_600_000_000_000_000_000_000_000_000 + first + offset}"
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": payload.get("symbol", "_")
                    if isinstance(payload, dict)
                    else "_",
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(data).decode(),
                    "approximateArrivalTimestamp": 1795000000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard}:{sequence}",
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/trades-dev",
            }
        )
    return {"Records": records}


def handler_clients() -> tuple[Any, Any]:
    """The DynamoDB and S3 clients the handler's warm processor uses."""
    processor = handler.processor()
    return processor.store.client, processor.archive.client


def batch(n: int, symbols: int = 5, days: int = 1) -> dict[str, Any]:
    """An event of `n` distinct trades over `symbols` symbols and `days` days."""
    return {
        "trades": [
            {
                "trade_id": f"B-{i:05d}",
                "amount": 100 + i % 7,
                "symbol": f"S{i % symbols}",
                "price": 10 + i % 3,
                "quantity": 1 + i % 4,
                "timestamp": f"2026-11-{10 + i % days:02d}T12:00:00Z",
            }
            for i in range(n)
        ]
    }


def totals(cloud: Cloud) -> tuple[int, Decimal, int]:
    """(trades counted in rollups, amount summed in rollups, trade records) as stored: every
    writer's shard of every rollup."""
    rollups = [i for i in cloud.items() if i["pk"]["S"].startswith("ROLLUP#")]
    records = [i for i in cloud.items() if i["pk"]["S"].startswith("TRADE#")]
    return (
        sum(int(r["trade_count"]["N"]) for r in rollups),
        sum((Decimal(r["total_amount"]["N"]) for r in rollups), Decimal(0)),
        len(records),
    )


def expected(event: dict[str, Any]) -> tuple[int, Decimal, int]:
    """What `totals` must read once every trade of `event` is committed exactly once."""
    trades = event["trades"]
    return len(trades), sum((Decimal(t["amount"]) for t in trades), Decimal(0)), len(trades)


class InProcessLambda:
    """A `lambda` client whose invoke calls the real handler with the same payload bytes (moto's
    Lambda cannot run code here: it needs Docker)."""

    def __init__(self) -> None:
        self.invoked: list[str] = []

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803  boto3's names
        self.invoked.append(FunctionName)
        body = handler.handler(json.loads(Payload), None)
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}
