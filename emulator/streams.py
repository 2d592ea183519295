"""Kinesis event source mappings polled, as Lambda polls them, without Docker.

moto 5.2.5 keeps a mapping's settings but never polls: on each PutRecord it invokes the function
at once with that one record (`LambdaBackend.send_kinesis_message`), in the producer's request,
with no batching, checkpoint, retry or failure destination. `install` turns that push off and
`start` runs a poller instead, modelled on the AWS Lambda developer guide:

- "How Lambda processes records from Kinesis Data Streams" (with-kinesis.html): each shard is
  read in order from the mapping's starting position (TRIM_HORIZON, LATEST, AT_TIMESTAMP), about
  once a second; a batch is up to `BatchSize` records, gathered for up to
  `MaximumBatchingWindowInSeconds` when fewer are there; one batch per shard at a time.
- The event (with-kinesis.html, "Example event"): `Records` of `kinesis` {kinesisSchemaVersion,
  partitionKey, sequenceNumber, base64 data, approximateArrivalTimestamp}, eventSource,
  eventVersion, eventID (`shardId:sequenceNumber`), eventName, invokeIdentityArn (the function's
  role), awsRegion, eventSourceARN.
- "Configuring partial batch response" (services-kinesis-batchfailurereporting.html): with
  `ReportBatchItemFailures`, an empty or null `batchItemFailures` (or an empty response) is a
  success; otherwise Lambda checkpoints before the lowest reported sequence number and retries
  from it. A response it cannot read (not JSON, an itemIdentifier empty, null or not in the
  batch) fails the whole batch.
- "Retain discarded batch records" (kinesis-on-failure-destination.html): on a function error
  Lambda retries until `MaximumRetryAttempts` (-1: until the record expires) or
  `MaximumRecordAgeInSeconds` (-1: never); `BisectBatchOnFunctionError` splits a failed batch
  in two, and splitting does not consume the retry quota. Then the records are discarded and
  the on-failure destination (SQS or SNS) receives the invocation record: requestContext
  (condition `RetryAttemptsExhausted`, approximateInvokeCount), responseContext, version,
  timestamp and `KinesisBatchInfo` (shard, first and last sequence numbers and arrival times,
  batch size, stream ARN), not the records themselves. The guide's example shows only
  `RetryAttemptsExhausted`; `RecordAgeExceeded` for expired records is this module's name.

Not modelled, listed in docs/verification.md: ParallelizationFactor (one batch per shard at a
time, which keeps the order a factor of 1 gives), tumbling windows, filter criteria, enhanced
fan-out consumers, resharding, and Lambda's exponential backoff (a failed batch is retried after
`RETRY_DELAY`).

`ShardReader` is the whole of the behaviour and is pure (clock, reads, invokes and failure
sends are passed in), so tests/emulator/test_streams.py drives it with a fake clock; `start`
only finds the mappings and shards in moto's backends and gives each reader a thread.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from moto.awslambda.models import LambdaBackend, lambda_backends
from moto.kinesis.models import kinesis_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

POLL_INTERVAL = 1.0  # Lambda reads each shard about once a second
RETRY_DELAY = 0.5  # Lambda backs off exponentially; locally a short fixed pause
DISCOVERY_INTERVAL = 1.0  # how soon a new mapping or shard is noticed
DEFAULT_BATCH_SIZE = 100  # CreateEventSourceMapping's default for Kinesis
UNLIMITED = -1  # MaximumRetryAttempts and MaximumRecordAgeInSeconds: no limit


@dataclass(frozen=True)
class StreamRecord:
    """One Kinesis record as the poller reads it from a shard."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: str  # base64, as Kinesis returns it to Lambda
    arrival: float  # approximate arrival, seconds since the epoch


@dataclass(frozen=True)
class Settings:
    """What Lambda reads of one mapping (CreateEventSourceMapping's parameters)."""

    function_arn: str
    role_arn: str
    stream_arn: str
    region: str
    batch_size: int = DEFAULT_BATCH_SIZE
    window_seconds: float = 0.0
    bisect: bool = False
    max_retries: int = UNLIMITED
    max_age_seconds: int = UNLIMITED
    report_item_failures: bool = False
    on_failure_arn: str | None = None
    enabled: bool = True


class Result(Protocol):
    """An invocation's answer: emulator.functions.Invocation has these."""

    @property
    def payload(self) -> bytes: ...
    @property
    def function_error(self) -> str | None: ...
    @property
    def request_id(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    """What one invocation did to its batch: all done, or redeliver from `retry_from`."""

    retry_from: int | None  # index of the first record to deliver again; None: all done
    function_error: bool = False


def event_of(records: list[StreamRecord], settings: Settings) -> dict[str, Any]:
    """The event Lambda invokes the function with (with-kinesis.html, "Example event")."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key,
                    "sequenceNumber": record.sequence_number,
                    "data": record.data,
                    "approximateArrivalTimestamp": round(record.arrival, 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{record.shard_id}:{record.sequence_number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": settings.role_arn,
                "awsRegion": settings.region,
                "eventSourceARN": settings.stream_arn,
            }
            for record in records
        ]
    }


def outcome_of(result: Result, batch: list[StreamRecord], report_item_failures: bool) -> Outcome:
    """How Lambda reads the answer (services-kinesis-batchfailurereporting.html)."""
    if result.function_error:
        return Outcome(0, function_error=True)
    if not report_item_failures:
        return Outcome(None)
    try:
        response = json.loads(result.payload or b"null")
    except ValueError:
        return Outcome(0, function_error=True)  # unreadable: the whole batch failed
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:  # null, [], {} or no response at all: success
        return Outcome(None)
    if not isinstance(failures, list):
        return Outcome(0, function_error=True)
    position = {record.sequence_number: index for index, record in enumerate(batch)}
    indexes = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in position:
            return Outcome(0, function_error=True)  # empty, null or not in the batch
        indexes.append(position[identifier])
    return Outcome(min(indexes))  # checkpoint before the lowest sequence number


@dataclass
class ShardReader:
    """One shard of one mapping: read in order, checkpointed, retried, discarded as Lambda does.

    `read(after, limit)` gives the records after sequence number `after` ("" for the shard's
    start); `invoke(event)` runs the function; `discard(arn, record)` sends to the on-failure
    destination; `clock()` is the time in seconds.
    """

    settings: Callable[[], Settings]
    shard_id: str
    read: Callable[[str, int], list[StreamRecord]]
    invoke: Callable[[dict[str, Any]], Result]
    discard: Callable[[str, dict[str, Any]], None]
    clock: Callable[[], float] = time.time
    checkpoint: str = ""  # the last sequence number done ("" before any)
    invocations: int = 0
    _parts: list[list[StreamRecord]] = field(default_factory=list)  # the batch, once bisected
    _attempts: int = 0  # failed invocations of the current part
    _waiting_since: float | None = None  # when a batch short of full was first seen
    _not_before: float = 0.0

    def step(self) -> bool:
        """At most one invocation; whether there may be more to do at once."""
        settings = self.settings()
        now = self.clock()
        if not settings.enabled or now < self._not_before:
            return False
        if not self._parts:
            batch = self.read(self.checkpoint, settings.batch_size)
            if not batch:
                return False
            if len(batch) < settings.batch_size and settings.window_seconds > 0:
                self._waiting_since = self._waiting_since or now
                if now - self._waiting_since < settings.window_seconds:
                    return False  # the batching window is still open
            self._waiting_since = None
            self._parts = [batch]
            self._attempts = 0
        self._expire(settings, now)
        if not self._parts:
            return True
        part = self._parts[0]
        result = self.invoke(event_of(part, settings))
        self.invocations += 1
        outcome = outcome_of(result, part, settings.report_item_failures)
        if outcome.retry_from is None:
            self._done(part)
            return True
        if outcome.retry_from > 0:  # the records before the first failure are done
            self._done(part[: outcome.retry_from], keep_part=True)
            part = self._parts[0] = part[outcome.retry_from :]
        if outcome.function_error and settings.bisect and len(part) > 1:
            half = len(part) // 2
            self._parts[:1] = [part[:half], part[half:]]  # no retry consumed (the guide)
            self._attempts = 0
            return True
        self._attempts += 1
        if settings.max_retries != UNLIMITED and self._attempts > settings.max_retries:
            self._give_up(settings, part, "RetryAttemptsExhausted", result)
            return True
        self._not_before = now + RETRY_DELAY
        return False

    def _done(self, records: list[StreamRecord], keep_part: bool = False) -> None:
        if records:
            self.checkpoint = records[-1].sequence_number
        if not keep_part:
            self._parts.pop(0)
            self._attempts = 0

    def _expire(self, settings: Settings, now: float) -> None:
        """Records older than the maximum age are discarded before any invocation."""
        if settings.max_age_seconds == UNLIMITED:
            return
        while self._parts:
            part = self._parts[0]
            expired = [r for r in part if now - r.arrival > settings.max_age_seconds]
            if not expired:
                return
            # Records are in arrival order: the expired ones are the part's first.
            self._give_up(settings, expired, "RecordAgeExceeded", None)
            rest = part[len(expired) :]
            if rest:
                self._parts.insert(0, rest)

    def _give_up(
        self, settings: Settings, records: list[StreamRecord], condition: str, result: Any
    ) -> None:
        if settings.on_failure_arn:
            self.discard(
                settings.on_failure_arn,
                failure_record(settings, records, condition, self._attempts, result),
            )
        self.checkpoint = records[-1].sequence_number
        self._parts.pop(0)
        self._attempts = 0


def failure_record(
    settings: Settings,
    records: list[StreamRecord],
    condition: str,
    invoke_count: int,
    result: Any,
) -> dict[str, Any]:
    """What Lambda sends the on-failure destination (kinesis-on-failure-destination.html)."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if result is not None and result.function_error:
        response["functionError"] = result.function_error
    return {
        "requestContext": {
            "requestId": getattr(result, "request_id", None) or str(uuid.uuid4()),
            "functionArn": settings.function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(time.time()),
        "KinesisBatchInfo": {
            "shardId": records[0].shard_id,
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[-1].sequence_number,
            "approximateArrivalOfFirstRecord": _iso(records[0].arrival),
            "approximateArrivalOfLastRecord": _iso(records[-1].arrival),
            "batchSize": len(records),
            "streamArn": settings.stream_arn,
        },
    }


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---- moto's side: the mappings and shards in its backends, a thread per reader -------------


def install() -> None:
    """Turn off moto's per-record push: the poller delivers instead."""
    LambdaBackend.send_kinesis_message = _no_push  # type: ignore[method-assign]


def _no_push(*args: Any, **kwargs: Any) -> None:
    return None


def start(stop: threading.Event, invoke: Callable[[Any, bytes], Result]) -> threading.Thread:
    """Poll every Kinesis mapping in the emulator until `stop` is set; join the thread after."""
    install()
    supervisor = threading.Thread(
        target=_supervise, args=(stop, invoke), name="kinesis-poller", daemon=True
    )
    supervisor.start()
    return supervisor


def _supervise(stop: threading.Event, invoke: Callable[[Any, bytes], Result]) -> None:
    readers: dict[tuple[str, str], threading.Thread] = {}
    while not stop.is_set():
        try:
            found = list(_discover(invoke, readers.keys()))
        except Exception as error:  # a backend changing under the scan: the next one sees it
            print(f"kinesis poller: {type(error).__name__}: {error}", flush=True)
            found = []
        for key, reader in found:
            thread = threading.Thread(
                target=_poll, args=(stop, reader, key), name=f"kinesis-{key[1]}", daemon=True
            )
            readers[key] = thread
            thread.start()
        stop.wait(DISCOVERY_INTERVAL)
    for thread in readers.values():
        thread.join(timeout=5)


def _poll(stop: threading.Event, reader: ShardReader, key: tuple[str, str]) -> None:
    while not stop.is_set():
        try:
            more = reader.step()
        except _GoneError:
            return  # the mapping was deleted
        except Exception as error:  # a poller must outlive one bad step
            print(f"kinesis poller {key}: {type(error).__name__}: {error}", flush=True)
            more = False
        if not more:
            stop.wait(POLL_INTERVAL)


class _GoneError(Exception):
    pass


def _discover(
    invoke: Callable[[Any, bytes], Result], known: Any
) -> Iterator[tuple[tuple[str, str], ShardReader]]:
    """Readers for the (mapping, shard) pairs not yet polled."""
    for account, region, backend in _backends(lambda_backends):
        for mapping in list(backend._event_source_mappings.values()):
            if mapping.event_source_arn.split(":")[2] != "kinesis":
                continue
            stream = _stream(account, region, mapping.event_source_arn)
            for shard_id, shard in list(stream.shards.items()) if stream else []:
                key = (mapping.uuid, shard_id)
                if key not in known:
                    yield key, _reader(backend, mapping, shard, invoke)


def _backends(backends: Any) -> Iterator[tuple[str, str, Any]]:
    for account in list(backends.keys()):
        for region in list(backends[account].keys()):
            yield account, region, backends[account][region]


def _stream(account: str, region: str, arn: str) -> Any:
    for stream in list(kinesis_backends[account][region].streams.values()):
        if stream.arn == arn:
            return stream
    return None


def _reader(
    backend: Any, mapping: Any, shard: Any, invoke: Callable[[Any, bytes], Result]
) -> ShardReader:
    def function() -> Any:
        # A function deleted under its mapping: an error each poll (printed), as Lambda's
        # mapping goes on failing until it is deleted too.
        return backend._lambdas.get_function_by_name_or_arn_with_qualifier(mapping.function_arn)

    def settings() -> Settings:
        if mapping.uuid not in backend._event_source_mappings:
            raise _GoneError()
        on_failure = ((mapping.destination_config or {}).get("OnFailure") or {}).get("Destination")
        return Settings(
            function_arn=mapping.function_arn,
            role_arn=function().role,
            stream_arn=mapping.event_source_arn,
            region=mapping.region,
            batch_size=int(mapping.batch_size or DEFAULT_BATCH_SIZE),
            window_seconds=float(mapping.max_batch_window or 0),
            bisect=bool(mapping.bisect_on_error),
            max_retries=_limit(mapping.max_retry_attempts),
            max_age_seconds=_limit(mapping.max_record_age),
            report_item_failures="ReportBatchItemFailures"
            in (mapping.function_response_types or []),
            on_failure_arn=on_failure,
            enabled=mapping.enabled not in (False, "false", "False"),
        )

    def run(event: dict[str, Any]) -> Result:
        return invoke(function(), json.dumps(event).encode())

    return ShardReader(
        settings=settings,
        shard_id=shard.shard_id,
        read=lambda after, limit: _read(shard, after, limit),
        invoke=run,
        discard=_send,
        checkpoint=_starting_checkpoint(mapping, shard),
    )


def _limit(value: Any) -> int:
    return UNLIMITED if value is None else int(value)


def _starting_checkpoint(mapping: Any, shard: Any) -> str:
    position = (mapping.starting_position or "TRIM_HORIZON").upper()
    if position == "LATEST":
        return str(shard.get_max_sequence_number())
    if position == "AT_TIMESTAMP" and mapping.starting_position_timestamp is not None:
        at = float(mapping.starting_position_timestamp)
        return str(shard.get_sequence_number_at(at))  # the last record before it
    return ""


def _read(shard: Any, after: str, limit: int) -> list[StreamRecord]:
    last = int(after or 0)
    for _ in range(3):
        try:
            # A copy: producers append from the server's request threads meanwhile.
            items = list(shard.records.items())
            break
        except RuntimeError:
            continue
    else:
        return []
    return [
        StreamRecord(
            shard.shard_id, str(number), record.partition_key, record.data, record.created_at
        )
        for number, record in items
        if number > last
    ][:limit]


def _send(arn: str, document: dict[str, Any]) -> None:
    """The invocation record to an SQS queue or SNS topic (the destinations Kinesis allows)."""
    _, _, service, region, account, name = arn.split(":", 5)
    body = json.dumps(document)
    if service == "sqs":
        sqs_backends[account][region].send_message(name, body)
    elif service == "sns":
        sns_backends[account][region].publish(body, arn=arn)
