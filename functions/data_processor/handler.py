"""Lambda entry point: parse configuration once, delegate each event, log one line per call."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from typing import Any

import boto3
from botocore.config import Config
from trade_analytics import metrics
from trade_analytics.archive import Archive
from trade_analytics.config import Settings
from trade_analytics.processor import Processor, deadline_from
from trade_analytics.store import TradeStore

# Read at cold start: a missing variable fails the container's init, naming the variable.
SETTINGS = Settings.from_environ(os.environ)
# Standard mode retries throttling and 5xx with backoff; past that the invocation fails and
# Lambda retries it (see trade_analytics/processor.py for why that is safe).
ATTEMPTS = 5
AWS_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": ATTEMPTS}, connect_timeout=5, read_timeout=10
)


@functools.cache
def processor() -> Processor:
    """Clients are made on first use, once per container: cold import stays cheap."""
    session = boto3.session.Session()
    return Processor(
        # The store is this container's rollup writer (store.py): one per execution environment.
        TradeStore(
            session.client("dynamodb", config=AWS_CONFIG), SETTINGS.table_name, SETTINGS.environment
        ),
        Archive(session.client("s3", config=AWS_CONFIG), SETTINGS.bucket_name),
        SETTINGS.environment,
        SETTINGS.window,
        queue=session.client("sqs", config=AWS_CONFIG),
        failure_queue_url=SETTINGS.failure_queue_url,
    )


def handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    request_id = getattr(context, "aws_request_id", None)
    try:
        # Lambda retries a failed asynchronous invocation with the same request id, so the id
        # tells a retry's trades from a second delivery of them (store.py).
        outcome = processor().process(
            event, delivery=request_id or "", deadline=deadline_from(context)
        )
    except Exception as error:
        _log("ERROR", request_id, started, error=f"{type(error).__name__}: {error}")
        raise  # Lambda retries the invocation; the write order makes that safe
    response = outcome.response
    troubled = outcome.error or outcome.counts["conflicts"]
    _log(
        "WARNING" if troubled else "INFO",
        request_id,
        started,
        source="kinesis" if "batchItemFailures" in response else "invoke",
        status=response.get("status"),
        # At the top level: Embedded Metric Format reads metrics there (trade_analytics/metrics.py).
        **outcome.counts,
        archive_objects=outcome.archive_objects,
        **({"error": outcome.error} if outcome.error else {}),
    )
    return response


def _log(level: str, request_id: str | None, started: float, **fields: Any) -> None:
    # One JSON line per invocation, never the trades themselves (they can be sensitive); its
    # counts and duration are CloudWatch metrics too (EMF), with no call to CloudWatch.
    line = {
        "level": level,
        "message": "data-processor invocation",
        "request_id": request_id,
        "environment": SETTINGS.environment,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        **fields,
    }
    line = metrics.embed(line, timestamp_ms=int(time.time() * 1000))
    sys.stdout.write(json.dumps(line, default=str) + "\n")
