"""Data processor budgets, measured in one run against moto: `nox -s bench`.

- AWS requests for one trade and for 1,000 distinct trades (botocore event hooks count them);
- throughput of the handler against a minimal boto3 loop doing the same writes, as a ratio;
- cold import of the handler module against a bare `import boto3`, as a ratio;
- contention: 16 concurrent invokers (separate processes, each a warm container) x 3 batches x
  100 trades, on one symbol and on ten, as direct invokes and as Kinesis events, against a
  moto server whose DynamoDB requests are serialised (tests/support/serial_moto.py says why:
  moto's threaded server restores a whole-table snapshot when a transaction is cancelled,
  erasing other threads' writes, where DynamoDB applies each request atomically). Reported:
  invocations that raised, records a stream response failed, trades/s, AWS requests per trade,
  whether every rollup read back is exact, and one symbol's throughput over ten symbols'.
Exits 1 when a budget is exceeded.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FUNCTION_DIR = REPO / "functions" / "data_processor"
# Lambda puts the package root on sys.path; so does this benchmark.
sys.path.insert(0, str(FUNCTION_DIR))

from tests.support.contention import SHAPES, Contention, contend  # noqa: E402
from tests.support.faults import RequestCounter  # noqa: E402
from tests.support.moto_aws import (  # noqa: E402
    BUCKET,
    FUNCTION_ENVIRONMENT,
    TABLE,
    create_resources,
    install,
)
from tests.support.serial_moto import serial_moto_server  # noqa: E402

ENVIRONMENT = {
    **FUNCTION_ENVIRONMENT,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}
BATCH_SIZE = 1000
IMPORT_RUNS = 15
# The measurement: 16 invokers x 3 batches x 100 trades.
INVOKERS, BATCHES, CONTENTION_BATCH = 16, 3, 100
MAX_REQUESTS_PER_TRADE = 0.06
# A hot symbol may cost some throughput against a spread load, not most of it.
MIN_HOT_OVER_SPREAD = 0.70
# The handler reads its configuration when imported, as at a Lambda cold start.
os.environ.update(ENVIRONMENT)

import boto3  # noqa: E402
import handler  # noqa: E402
from moto import mock_aws  # noqa: E402


@dataclass(frozen=True)
class Row:
    metric: str
    value: str
    budget: str = ""
    ok: bool | None = None


def batch(size: int, symbols: int = 10) -> dict[str, Any]:
    return {
        "trades": [
            {
                "trade_id": f"BENCH-{i:06d}",
                "amount": 100 + i % 13,
                "symbol": f"SYM{i % symbols}",
                "side": "BUY" if i % 2 else "SELL",
                "price": 10 + i % 5,
                "quantity": 1 + i % 9,
                "timestamp": "2026-11-26T14:30:00Z",
            }
            for i in range(size)
        ]
    }


def with_fresh_cloud(work: Callable[[Any, Any], float | int]) -> float | int:
    with mock_aws():
        session = boto3.session.Session()
        dynamodb, s3 = session.client("dynamodb"), session.client("s3")
        create_resources(dynamodb, s3, session.client("sqs"))
        return work(dynamodb, s3)


def requests_for(event: dict[str, Any]) -> int:
    def run(_dynamodb: Any, _s3: Any) -> int:
        handler.processor.cache_clear()
        processor = handler.processor()
        counter = RequestCounter(processor.store.client, processor.archive.client)
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's log line
            response = handler.handler(event, None)
        assert response["counts"]["processed"] == len(event.get("trades", [0])), response
        return counter.total

    return int(with_fresh_cloud(run))


def handler_seconds(event: dict[str, Any]) -> float:
    def run(_dynamodb: Any, _s3: Any) -> float:
        handler.processor.cache_clear()
        handler.processor()  # clients made outside the timing, as in a warm container
        with contextlib.redirect_stdout(io.StringIO()):
            started = time.perf_counter()
            handler.handler(event, None)
            return time.perf_counter() - started

    return float(with_fresh_cloud(run))


def loop_seconds(event: dict[str, Any]) -> float:
    """The same writes done the plainest way: a record and a rollup update per trade, and the
    archive as one object; no validation, no transactions, no batching."""

    def run(dynamodb: Any, s3: Any) -> float:
        trades = event["trades"]
        started = time.perf_counter()
        s3.put_object(
            Bucket=BUCKET,
            Key="trades/loop.jsonl",
            Body="\n".join(json.dumps(t) for t in trades).encode(),
        )
        for t in trades:
            dynamodb.put_item(
                TableName=TABLE,
                Item={
                    "pk": {"S": f"TRADE#{t['trade_id']}"},
                    "sk": {"S": "RECORD"},
                    "amount": {"N": str(t["amount"])},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
            dynamodb.update_item(
                TableName=TABLE,
                Key={"pk": {"S": f"ROLLUP#{t['symbol']}"}, "sk": {"S": "DAY#2026-11-26"}},
                UpdateExpression="ADD trade_count :one, total_amount :amount",
                ExpressionAttributeValues={":one": {"N": "1"}, ":amount": {"N": str(t["amount"])}},
            )
        return time.perf_counter() - started

    return float(with_fresh_cloud(run))


def import_costs() -> tuple[float, float]:
    """Median cold-import cost of boto3, and of the handler's own modules on top of it.

    Each fresh interpreter times `import boto3`, then `import handler` (which finds boto3
    loaded): the two share one process, so machine noise hits both alike.
    """
    script = (
        "import time; t0 = time.perf_counter(); import boto3; t1 = time.perf_counter(); "
        "import handler; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    env = {**os.environ, **ENVIRONMENT}
    runs = [
        tuple(
            map(
                float,
                subprocess.run(
                    [sys.executable, "-c", script],
                    cwd=FUNCTION_DIR,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split(),
            )
        )
        for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def measure() -> list[Row]:
    install()
    single = requests_for({"trade_data": {"trade_id": "TEST123", "amount": 1000}})
    thousand = requests_for(batch(BATCH_SIZE))
    event = batch(BATCH_SIZE)
    handler_tps = BATCH_SIZE / handler_seconds(event)
    loop_tps = BATCH_SIZE / loop_seconds(event)
    bare, extra = import_costs()
    ours = bare + extra
    return [
        Row("AWS requests, one trade", str(single), "<= 3", single <= 3),
        Row(f"AWS requests, {BATCH_SIZE} distinct trades", str(thousand), "<= 60", thousand <= 60),
        Row("handler throughput (trades/s, moto)", f"{handler_tps:,.0f}"),
        Row("minimal boto3 loop (trades/s, moto)", f"{loop_tps:,.0f}"),
        Row("handler / loop throughput", f"{handler_tps / loop_tps:.2f}x"),
        Row("cold import: boto3 (ms)", f"{bare * 1000:.1f}"),
        Row("cold import: handler (ms)", f"{ours * 1000:.1f}"),
        Row("handler / boto3 import", f"{ours / bare:.2f}x", "<= 1.20x", ours / bare <= 1.2),
    ]


def contention() -> list[Row]:
    with serial_moto_server() as url:
        runs = {
            (shape, symbols): contend(
                url,
                invokers=INVOKERS,
                batches=BATCHES,
                size=CONTENTION_BATCH,
                symbols=symbols,
                shape=shape,
            )
            for shape in SHAPES
            for symbols in (1, 10)
        }
    rows: list[Row] = []
    for shape in SHAPES:
        for symbols in (1, 10):
            rows.extend(_contention_rows(runs[shape, symbols]))
        hot, spread = runs[shape, 1], runs[shape, 10]
        ratio = hot.trades_per_second / spread.trades_per_second
        rows.append(
            Row(
                f"{shape}: one symbol / ten symbols trades/s",
                f"{ratio:.2f}x",
                f">= {MIN_HOT_OVER_SPREAD:.2f}x",
                ratio >= MIN_HOT_OVER_SPREAD,
            )
        )
    return rows


def _contention_rows(run: Contention) -> list[Row]:
    label = f"{run.shape}, {run.invokers} invokers, {run.symbols} symbol(s)"
    rows = [
        Row(f"{label}: invocations raised", str(run.raised), "0", run.raised == 0),
        Row(f"{label}: trades/s (moto)", f"{run.trades_per_second:,.0f}"),
        Row(
            f"{label}: AWS requests/trade",
            f"{run.requests_per_trade:.3f}",
            f"<= {MAX_REQUESTS_PER_TRADE}",
            run.requests_per_trade <= MAX_REQUESTS_PER_TRADE,
        ),
        Row(f"{label}: rollups exact", "yes" if run.exact else "no", "yes", run.exact),
    ]
    if run.shape == "kinesis":
        rows.insert(
            1, Row(f"{label}: records failed", str(run.failed_records), "0", not run.failed_records)
        )
    for mismatch in run.mismatches:
        print(f"rollup mismatch ({label}): {mismatch}", file=sys.stderr)
    return rows


def main() -> int:
    rows = measure() + contention()
    width = max(len(r.metric) for r in rows)
    print(f"{'metric':<{width}}  {'value':>10}  {'budget':>9}  result")
    for r in rows:
        result = "" if r.ok is None else ("ok" if r.ok else "OVER BUDGET")
        print(f"{r.metric:<{width}}  {r.value:>10}  {r.budget:>9}  {result}")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
