"""Kinesis Data Streams events: records in, partial batch responses and dead letters out.

The event source mapping (stacks/compute) delivers a batch of records, each one trade as the
JSON object a direct invoke's `trade_data` holds, base64-encoded by Kinesis. The function answers
with `{"batchItemFailures": [{"itemIdentifier": <sequence number>}, ...]}`
(ReportBatchItemFailures): Lambda checkpoints before the lowest sequence number reported and
delivers the shard again from there, bisecting and retrying as the mapping says, then hands
what still fails to the on-failure destination. Records after a failed one that did commit
are recognised on their next delivery (same eventID, see store.py) and count as processed.

Records that can never succeed are not failed, because retrying cannot help and would hold up
their partition key: an undecodable record, an invalid trade, or a trade id reused for a
different trade. They are sent to the failure queue as dead letters (the same queue as the
mapping's on-failure destination) with the reason and the record itself, and the batch goes on.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trade_analytics.validation import EventError

# Lambda's Kinesis batch size tops out at 10,000 records (BatchSize).
MAX_RECORDS = 10_000
# SQS takes messages up to 256 KiB; beyond this a dead letter names the record without its data
# (the stream keeps it for its retention period, findable by shard and sequence number).
MAX_DEAD_LETTER_DATA = 192 * 1024
SQS_BATCH = 10  # SendMessageBatch's limit


@dataclass(frozen=True)
class StreamRecord:
    """One Kinesis record: where it came from, and its decoded payload (or why not)."""

    event_id: str
    sequence_number: str
    partition_key: str
    source_arn: str
    data: str  # base64, as delivered
    payload: Any = None
    undecodable: str | None = None

    def dead_letter(self, kind: str, field: str, reason: str) -> dict[str, Any]:
        letter: dict[str, Any] = {
            "kind": kind,
            "field": field,
            "reason": reason,
            "eventID": self.event_id,
            "eventSourceARN": self.source_arn,
            "partitionKey": self.partition_key,
            "sequenceNumber": self.sequence_number,
        }
        if len(self.data) <= MAX_DEAD_LETTER_DATA:
            letter["data"] = self.data
        return letter


def is_stream_event(event: Any) -> bool:
    return isinstance(event, dict) and "Records" in event


def parse_records(event: dict[str, Any]) -> list[StreamRecord]:
    """The batch's records in delivery order; EventError when the envelope is not Kinesis's."""
    records = event["Records"]
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
        raise EventError("Records", f"must be a list of 1 to {MAX_RECORDS} Kinesis records")
    parsed = []
    for position, record in enumerate(records):
        kinesis = record.get("kinesis") if isinstance(record, dict) else None
        if not isinstance(kinesis, dict) or not all(
            isinstance(kinesis.get(key), str) for key in ("data", "sequenceNumber")
        ):
            raise EventError(
                f"Records[{position}]",
                "must be a Kinesis record with kinesis.data and kinesis.sequenceNumber",
            )
        parsed.append(_decode(record, kinesis))
    return parsed


def _decode(record: dict[str, Any], kinesis: dict[str, Any]) -> StreamRecord:
    sequence = kinesis["sequenceNumber"]
    base = StreamRecord(
        event_id=str(record.get("eventID") or sequence),
        sequence_number=sequence,
        partition_key=str(kinesis.get("partitionKey", "")),
        source_arn=str(record.get("eventSourceARN", "")),
        data=kinesis["data"],
    )
    try:
        text = base64.b64decode(kinesis["data"], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return _undecodable(base, "is not base64-encoded UTF-8")
    try:
        payload = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return _undecodable(base, "is not JSON")
    return StreamRecord(**{**base.__dict__, "payload": payload})


def _undecodable(record: StreamRecord, reason: str) -> StreamRecord:
    return StreamRecord(**{**record.__dict__, "undecodable": f"the record's data {reason}"})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def failures(records: Sequence[StreamRecord]) -> dict[str, list[dict[str, str]]]:
    """The partial batch response naming exactly these records."""
    return {"batchItemFailures": [{"itemIdentifier": r.sequence_number} for r in records]}


def send_dead_letters(
    client: Any, queue_url: str, letters: Sequence[tuple[StreamRecord, dict[str, Any]]]
) -> list[StreamRecord]:
    """Send dead letters in batches of ten; return the records whose letter was not accepted."""
    unsent: list[StreamRecord] = []
    for start in range(0, len(letters), SQS_BATCH):
        group = letters[start : start + SQS_BATCH]
        entries = [
            {"Id": str(index), "MessageBody": json.dumps(letter, sort_keys=True)}
            for index, (_, letter) in enumerate(group)
        ]
        try:
            reply = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception:
            unsent.extend(record for record, _ in group)
            continue
        unsent.extend(group[int(failed["Id"])][0] for failed in reply.get("Failed", []))
    return unsent
