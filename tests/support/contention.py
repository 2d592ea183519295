"""Concurrent invokers: separate processes, each a warm Lambda container calling the handler.

`contend(url, ...)` resets the moto server at `url` (tests.support.serial_moto), creates the
table, bucket and failure queue, starts `invokers` child processes that each make `batches`
invocations of `size` trades, direct or as Kinesis events, and reads every rollup back through
the read path (`trade_analytics.queries.daily_rollup`) to compare with the trades sent.

Each child is `python -m tests.support.contention worker ...`: a fresh interpreter that imports
the handler as Lambda does (one container, one rollup writer), waits for a common start time so
that imports do not count, and reports JSON: invocations that raised, records a stream response
failed, AWS requests (botocore's before-send, retries included) and its finishing time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.layers import REPO_ROOT

DAY = "2026-11-26"
FUNCTION_DIR = "functions/data_processor"
SHAPES = ("direct", "kinesis")


@dataclass(frozen=True)
class Contention:
    invokers: int
    symbols: int
    shape: str
    trades: int
    raised: int
    failed_records: int
    requests: int
    seconds: float
    exact: bool
    mismatches: list[str]

    @property
    def trades_per_second(self) -> float:
        return self.trades / self.seconds

    @property
    def requests_per_trade(self) -> float:
        return self.requests / self.trades


def trades_of(invoker: int, batch: int, size: int, symbols: int) -> list[dict[str, Any]]:
    """One invocation's trades: distinct ids, spread over `symbols` symbols."""
    return [
        {
            "trade_id": f"C{invoker:02d}-{batch}-{i:04d}",
            "amount": 100 + i % 13,
            "symbol": f"SYM{(invoker + i) % symbols}",
            "side": "BUY" if i % 2 else "SELL",
            "price": 10 + i % 5,
            "quantity": 1 + i % 9,
            "timestamp": f"{DAY}T14:30:00Z",
        }
        for i in range(size)
    ]


def contend(
    url: str, *, invokers: int, batches: int, size: int, symbols: int, shape: str
) -> Contention:
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, not {shape!r}")
    clients = _prepare(url)
    # Lambda puts the function's directory on the path; the children import from the repo too.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / FUNCTION_DIR)]),
    }
    start_at = time.time() + 3.0 + invokers * 0.25  # after every child has imported
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.contention",
                "worker",
                json.dumps(
                    {
                        "url": url,
                        "invoker": invoker,
                        "batches": batches,
                        "size": size,
                        "symbols": symbols,
                        "shape": shape,
                        "start_at": start_at,
                    }
                ),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for invoker in range(invokers)
    ]
    reports = []
    for child in children:
        out, err = child.communicate(timeout=600)
        if child.returncode != 0:
            raise RuntimeError(f"an invoker failed:\n{err[-3000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(r["finished"] for r in reports) - start_at
    sent = [
        t
        for invoker in range(invokers)
        for batch in range(batches)
        for t in trades_of(invoker, batch, size, symbols)
    ]
    mismatches = _compare(clients, sent, symbols)
    return Contention(
        invokers=invokers,
        symbols=symbols,
        shape=shape,
        trades=len(sent),
        raised=sum(r["raised"] for r in reports),
        failed_records=sum(r["failed_records"] for r in reports),
        requests=sum(r["requests"] for r in reports),
        seconds=seconds,
        exact=not mismatches,
        mismatches=mismatches,
    )


def _prepare(url: str) -> Any:
    import boto3

    from tests.support.moto_aws import create_resources

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    session = boto3.session.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    dynamodb = session.client("dynamodb", endpoint_url=url)
    create_resources(
        dynamodb,
        session.client("s3", endpoint_url=url),
        session.client("sqs", endpoint_url=url),
    )
    return dynamodb


def _compare(dynamodb: Any, sent: list[dict[str, Any]], symbols: int) -> list[str]:
    """Every symbol's merged rollup against the trades sent; the differences, named."""
    from trade_analytics.queries import daily_rollup

    from tests.support.moto_aws import TABLE

    mismatches = []
    for index in range(symbols):
        symbol = f"SYM{index}"
        mine = [t for t in sent if t["symbol"] == symbol]
        want = {
            "trade_count": len(mine),
            "buy_volume": sum(Decimal(t["quantity"]) for t in mine if t["side"] == "BUY"),
            "sell_volume": sum(Decimal(t["quantity"]) for t in mine if t["side"] == "SELL"),
            "notional": sum(Decimal(t["price"]) * Decimal(t["quantity"]) for t in mine),
        }
        found = daily_rollup(dynamodb, TABLE, symbol, DAY)
        got = {name: getattr(found, name, None) for name in want}
        if got != want:
            mismatches.append(f"{symbol}: read {got}, sent {want}")
    return mismatches


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    os.environ["AWS_ENDPOINT_URL"] = spec["url"]
    from tests.support.data_processor import Context, handler, kinesis_event
    from tests.support.faults import RequestCounter

    processor = handler.processor()  # the container's clients, made before the clock starts
    counter = RequestCounter(processor.store.client, processor.archive.client, processor.queue)
    invoker = spec["invoker"]
    events = []
    for batch in range(spec["batches"]):
        trades = trades_of(invoker, batch, spec["size"], spec["symbols"])
        if spec["shape"] == "kinesis":
            events.append(
                kinesis_event(
                    trades, shard=f"shardId-{invoker:012d}", first=batch * spec["size"] + 1
                )
            )
        else:
            events.append({"trades": trades})
    raised = failed_records = 0
    time.sleep(max(0.0, spec["start_at"] - time.time()))
    sink = open(os.devnull, "w")  # noqa: SIM115 - the handler's log lines, not measured
    stdout, sys.stdout = sys.stdout, sink
    try:
        for batch, event in enumerate(events):
            try:
                response = handler.handler(event, Context(f"req-{invoker}-{batch}"))
            except Exception:
                raised += 1
                continue
            failed_records += len(response.get("batchItemFailures", []))
    finally:
        sys.stdout = stdout
        sink.close()
    return {
        "raised": raised,
        "failed_records": failed_records,
        "requests": counter.total,
        "finished": time.time(),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        print(json.dumps(_worker(json.loads(sys.argv[2]))))
