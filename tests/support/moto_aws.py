"""moto set-up shared by the function tests and the benchmark.

`create_resources` makes the table and bucket the stacks deploy, keyed as the data stack keys
them. `install` makes moto's TransactWriteItems snapshot its table once per call instead of once
per item: moto 5 deep-copies the whole table for every item of a transaction (to roll back on
failure), which makes a 100-item transaction on a 1,000-item table take seconds. The copies it
takes within one call are of the same, unchanged table, so one copy per table is the same
snapshot. This is a speed fix to the emulator only; what the transaction does is moto's code.
"""

from __future__ import annotations

import copy
import functools
import types
from typing import Any

import moto.dynamodb.models as dynamodb_models

_original = dynamodb_models.DynamoDBBackend.transact_write_items

TABLE = "analytics-table-dev-us-east-1"
BUCKET = "data-archive-dev-us-east-1"
QUEUE = "trade-failures-dev-us-east-1"
# moto finds a queue by the last part of its URL, whatever host the URL names.
QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/123456789012/{QUEUE}"
# What the compute stack sets in the function's environment, for these resources. The tests'
# and the benchmark's trades carry fixed dates from November 2026: the timestamp window is ten
# years wide to keep them valid (tests of the window narrow it, test_validation.py).
FUNCTION_ENVIRONMENT = {
    "TABLE_NAME": TABLE,
    "BUCKET_NAME": BUCKET,
    "ENVIRONMENT": "dev",
    "FAILURE_QUEUE_URL": QUEUE_URL,
    "TRADE_MAX_AGE_HOURS": str(24 * 365 * 10),
    "TRADE_MAX_AHEAD_SECONDS": "300",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def create_resources(dynamodb: Any, s3: Any, sqs: Any = None) -> None:
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(Bucket=BUCKET)
    if sqs is not None:
        sqs.create_queue(QueueName=QUEUE)


def install() -> None:
    if getattr(dynamodb_models.DynamoDBBackend.transact_write_items, "_snapshot_once", False):
        return

    @functools.wraps(_original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots: dict[int, Any] = {}

        def deepcopy_once(value: Any, memo: Any = None) -> Any:
            if id(value) not in snapshots:
                snapshots[id(value)] = copy.deepcopy(value, memo)
            return snapshots[id(value)]

        dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy_once)  # type: ignore[attr-defined,assignment]
        try:
            _original(self, transact_items)
        finally:
            dynamodb_models.copy = copy  # type: ignore[attr-defined]

    transact_write_items._snapshot_once = True  # type: ignore[attr-defined]
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
