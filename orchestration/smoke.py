"""Smoke test of a deployed environment: one trade through Lambda's invoke API and one through
the stream (the producers' routing), both read back in their day's rollup, polled since the
stream is asynchronous."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from trade_analytics.producer import route
from trade_analytics.queries import daily_rollup

from shared import outputs
from shared.errors import PlatformError

DEADLINE_S = 60.0
PROGRESS_EVERY_S = 5.0
# What AWS answers to credentials it does not accept: the smoke never reached the function.
REFUSED_CREDENTIALS = (
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidSignatureException",
)
# JSON numbers: the function refuses a number sent as a string.
AMOUNT = 1000
PRICE = 100
QUANTITY = 10


class SmokeNotRunError(PlatformError):
    """The smoke could not start (outputs, credentials, region, endpoint): nothing was tested."""


@dataclass(frozen=True)
class SmokeRun:
    """One run's trades: ids and a symbol of its own, so a rerun is never a duplicate."""

    symbol: str
    invoke_id: str
    stream_id: str
    now: datetime

    @classmethod
    def fresh(cls, now: datetime | None = None) -> SmokeRun:
        tag = uuid.uuid4().hex[:8].upper()
        return cls(f"S{tag}", f"smoke-{tag}-invoke", f"smoke-{tag}-stream", now or _now())

    @property
    def day(self) -> str:
        return self.now.date().isoformat()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def trade(trade_id: str, symbol: str, now: datetime) -> dict[str, Any]:
    """One well-formed trade, stamped `now` (the function refuses timestamps outside its window)."""
    return {
        "trade_id": trade_id,
        "amount": AMOUNT,
        "symbol": symbol,
        "price": PRICE,
        "quantity": QUANTITY,
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def put_trades(clients: Any, merged: dict[str, Any], trades: list[dict[str, Any]]) -> None:
    """Put trades on the environment's stream, each routed as the producers route it."""
    stream = merged[outputs.TRADE_STREAM_NAME]
    shards = int(merged.get(outputs.TRADE_STREAM_SHARDS) or 1)
    kinesis = clients("kinesis")
    for item in trades:
        key, hash_key = route(item["trade_id"], item.get("symbol"), shards)
        kinesis.put_record(
            StreamName=stream,
            Data=json.dumps(item).encode(),  # one trade per record (trade_analytics/streams.py)
            PartitionKey=key,
            ExplicitHashKey=hash_key,
        )


# The outputs a smoke reads: without them the environment is not deployed, and nothing is tested.
NEEDED = (outputs.LAMBDA_FUNCTION_NAME, outputs.DYNAMODB_TABLE_NAME, outputs.TRADE_STREAM_NAME)


def require(merged: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if not merged.get(key):
            raise SmokeNotRunError(f"no {key} output: deploy the environment first")


def smoke(
    merged: dict[str, Any],
    clients: Any,
    log: Callable[[str], None] = print,
    *,
    run: SmokeRun | None = None,
    deadline_s: float = DEADLINE_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """`clients(service)` gives a boto3 client for the target; raises PlatformError on failure
    (SmokeNotRunError when nothing was tested)."""
    require(merged, NEEDED)
    run = run or SmokeRun.fresh()
    function = merged[outputs.LAMBDA_FUNCTION_NAME]
    table = merged[outputs.DYNAMODB_TABLE_NAME]
    log(f"invoking {function} with trade {run.invoke_id} ({run.symbol})")
    _invoke(clients, function, trade(run.invoke_id, run.symbol, run.now))
    log(f"putting trade {run.stream_id} on {merged[outputs.TRADE_STREAM_NAME]}")
    put_trades(clients, merged, [trade(run.stream_id, run.symbol, run.now)])
    started = clock()
    shown = started
    dynamodb = clients("dynamodb")
    while True:
        rollup = daily_rollup(dynamodb, table, run.symbol, run.day)
        count = rollup.trade_count if rollup else 0
        if count >= 2:
            break
        waited = clock() - started
        if waited >= deadline_s:
            raise PlatformError(
                f"{run.symbol}'s rollup of {run.day} counts {count} of 2 trades after "
                f"{deadline_s:.0f}s: the stream's trade did not reach the table"
                if count == 1
                else f"{run.symbol}'s rollup of {run.day} counts {count} of 2 trades after "
                f"{deadline_s:.0f}s"
            )
        if clock() - shown >= PROGRESS_EVERY_S:
            shown = clock()
            log(f"waiting for the stream: {count} of 2 trades in the rollup ({waited:.0f}s)")
        sleep(0.5)
    if rollup is None or rollup.trade_count != 2 or rollup.notional != 2 * AMOUNT:
        raise PlatformError(f"{run.symbol}'s rollup of {run.day} is not 2 trades of {AMOUNT}")
    log(
        f"ok: {run.symbol}'s rollup of {run.day}: {rollup.trade_count} trades (invoke and "
        f"stream), notional {rollup.notional}, from {rollup.shards} writer shard(s)"
    )


def _invoke(clients: Any, function: str, item: dict[str, Any]) -> None:
    payload = json.dumps({"trades": [item]}).encode()
    try:
        reply = clients("lambda").invoke(FunctionName=function, Payload=payload)
    except (NoCredentialsError, PartialCredentialsError, NoRegionError) as error:
        raise SmokeNotRunError(f"AWS said: {error}") from None
    except EndpointConnectionError as error:
        raise SmokeNotRunError(f"AWS said: {error}") from None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in REFUSED_CREDENTIALS:
            raise SmokeNotRunError(f"AWS said: {error}") from None
        raise
    raw = reply["Payload"].read()
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        text = raw.decode(errors="replace").strip().splitlines()
        raise PlatformError(
            f"the function answered what is not JSON: {(text or [''])[0][:200]!r}"
        ) from None
    if reply.get("FunctionError"):
        if isinstance(body, dict):
            kind = body.get("errorType", reply["FunctionError"])
            message = str(body.get("errorMessage", "")).strip().splitlines()
            detail = f"{kind}: {message[0] if message else ''}"
        else:
            detail = f"{reply['FunctionError']}: {body!r}"
        raise PlatformError(f"the function failed: {detail}")
    if isinstance(body, dict) and body.get("rejected"):
        raise PlatformError(f"the function rejected the trade: {json.dumps(body['rejected'][0])}")
    if not isinstance(body, dict) or body.get("status") != "ok":
        raise PlatformError(f"the function answered {json.dumps(body)[:200]}")
    counts = body.get("counts", {})
    if counts.get("processed", 0) + counts.get("duplicates", 0) != 1:
        raise PlatformError(f"the function did not take the trade: {counts}")
