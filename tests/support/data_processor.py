"""What the data processor's tests share: its configuration, a cloud of clients, trade batches.

Importing this module configures the environment the handler reads at import, as a Lambda cold
start would; import it before `handler`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
from moto import mock_aws

from tests.support import moto_aws
from tests.support.moto_aws import BUCKET, TABLE, create_resources

os.environ.update(
    {
        "TABLE_NAME": TABLE,
        "BUCKET_NAME": BUCKET,
        "ENVIRONMENT": "dev",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
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
    "totals",
]

moto_aws.install()


@dataclass
class Cloud:
    """The table and bucket the processor writes to, read back for assertions."""

    dynamodb: Any
    s3: Any

    def items(self) -> list[dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
        return [item for page in pages for item in page["Items"]]

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return found

    def objects(self) -> dict[str, bytes]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {
            o["Key"]: self.s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
            for o in listing
        }


def fresh_cloud() -> Cloud:
    """A new table and bucket wherever boto3 points now (in-process moto or a moto server)."""
    session = boto3.session.Session()
    state = Cloud(session.client("dynamodb"), session.client("s3"))
    create_resources(state.dynamodb, state.s3)
    handler.processor.cache_clear()  # the next invocation is a fresh container's first
    return state


@contextmanager
def in_process_cloud() -> Iterator[Cloud]:
    with mock_aws():
        yield fresh_cloud()
        handler.processor.cache_clear()


class _Context:
    aws_request_id = "req-0001"


def invoke(event: Any) -> dict[str, Any]:
    """The handler, called as Lambda calls it."""
    response: dict[str, Any] = handler.handler(event, _Context())
    return response


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
    """(trades counted in rollups, amount summed in rollups, trade records) as stored."""
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
