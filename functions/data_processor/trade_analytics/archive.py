"""The raw archive: every valid trade's payload as received, as JSON Lines in S3.

Objects are partitioned by the trade's UTC day and named by the hash of their content:
`trades/date=YYYY-MM-DD/<sha256>.jsonl`. A retried invocation writes the same bytes under the
same key, so archiving is safe to repeat. The archive is the raw landing log (a trade delivered
twice in two different events is in both objects); the analytics table, whose trade records name
their `archive_key`, is the exactly-once view.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from trade_analytics.validation import Trade

PREFIX = "trades"


def archive_objects(trades: Sequence[Trade]) -> dict[str, tuple[str, bytes]]:
    """trade date -> (key, JSON Lines body), deterministic for the same trades."""
    lines: dict[str, list[str]] = defaultdict(list)
    for trade in trades:
        record = {"trade_id": trade.trade_id, "trade_date": trade.trade_date, "payload": trade.raw}
        lines[trade.trade_date].append(
            json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False)
        )
    objects = {}
    for trade_date, day_lines in sorted(lines.items()):
        body = ("\n".join(day_lines) + "\n").encode()
        digest = hashlib.sha256(body).hexdigest()
        objects[trade_date] = (f"{PREFIX}/date={trade_date}/{digest}.jsonl", body)
    return objects


class Archive:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def write(self, trades: Sequence[Trade]) -> dict[str, str]:
        """Write one object per trade date; returns trade date -> object key."""
        keys = {}
        for trade_date, (key, body) in archive_objects(trades).items():
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/x-ndjson"
            )
            keys[trade_date] = key
        return keys
