"""moto set-up shared by the function tests and the benchmark.

`create_resources` makes the table and bucket the stacks deploy, keyed as the data stack keys
them. `install` is the emulator's own cost fix for TransactWriteItems (emulator/dynamodb.py),
so in-process moto and the local target run transactions alike.
"""

from __future__ import annotations

from typing import Any

from emulator.dynamodb import install_snapshot_once

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
    install_snapshot_once()
