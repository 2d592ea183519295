"""Smoke test of a deployed environment: invoke the function, find its record, its archive
object and its day's rollup through the function's own read path."""

from __future__ import annotations

import json
from typing import Any

from trade_analytics.queries import daily_rollup

from shared import outputs
from shared.errors import PlatformError

PAYLOAD = {"trade_data": {"trade_id": "TEST123", "amount": 1000}}


def smoke(merged: dict[str, Any], clients: Any, log: Any = print) -> None:
    """`clients(service)` gives a boto3 client for the target; raises PlatformError on failure."""
    for key in (outputs.LAMBDA_FUNCTION_NAME, outputs.DYNAMODB_TABLE_NAME, outputs.S3_BUCKET_NAME):
        if not merged.get(key):
            raise PlatformError(f"no {key} output: deploy the environment first")
    function = merged[outputs.LAMBDA_FUNCTION_NAME]
    log(f"invoking {function} with {json.dumps(PAYLOAD)}")
    reply = clients("lambda").invoke(FunctionName=function, Payload=json.dumps(PAYLOAD).encode())
    body = json.loads(reply["Payload"].read() or b"null")
    if reply.get("FunctionError") or not isinstance(body, dict) or body.get("status") != "ok":
        raise PlatformError(f"the function answered {body!r}")
    counts = body["counts"]
    if counts["processed"] + counts["duplicates"] != 1:
        raise PlatformError(f"the function did not take the trade: {counts}")
    record = (
        clients("dynamodb")
        .get_item(
            TableName=merged[outputs.DYNAMODB_TABLE_NAME],
            Key={"pk": {"S": "TRADE#TEST123"}, "sk": {"S": "RECORD"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    if not record:
        raise PlatformError("no analytics record for TEST123 in the table")
    key = record["archive_key"]["S"]
    clients("s3").head_object(Bucket=merged[outputs.S3_BUCKET_NAME], Key=key)
    day = record["trade_date"]["S"]
    rollup = daily_rollup(
        clients("dynamodb"),
        merged[outputs.DYNAMODB_TABLE_NAME],
        record.get("symbol", {}).get("S"),
        day,
    )
    if rollup is None or rollup.trade_count < 1:
        raise PlatformError(f"the trade is recorded but counted in no rollup of {day}")
    log(f"ok: record TRADE#TEST123 and archive object s3://{merged[outputs.S3_BUCKET_NAME]}/{key}")
    log(
        f"ok: {day}'s rollup of trades without a symbol: {rollup.trade_count} trade(s), "
        f"notional {rollup.notional}, from {rollup.shards} writer shard(s)"
    )
