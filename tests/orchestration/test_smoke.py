"""The smoke check against a deployment emulated by moto, the function invoked in-process.

moto's Lambda cannot run code here (it needs Docker) and nothing consumes its Kinesis stream, so
the `lambda` client is a stand-in that calls the real handler with the same payload bytes, and
the stream is moto's, delivered to the handler as Lambda's poller would, when smoke waits.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from trade_analytics.producer import route

from orchestration.smoke import SmokeNotRunError, SmokeRun, smoke
from shared.errors import PlatformError
from tests.support.data_processor import Cloud, InProcessLambda, in_process_cloud, invoke
from tests.support.data_processor import kinesis_event as lambda_event_of
from tests.support.moto_aws import BUCKET, TABLE

STREAM = "trades-dev"
DEPLOYED = {
    "lambda_function_name": "data-processor-dev-us-east-1",
    "dynamodb_table_name": TABLE,
    "s3_bucket_name": BUCKET,
    "trade_stream_name": STREAM,
    "trade_stream_shards": 2,
}


class Stream:
    """moto's stream, its records handed to the handler only when `deliver` is called."""

    def __init__(self) -> None:
        self.kinesis = boto3.client("kinesis", region_name="us-east-1")
        self.kinesis.create_stream(StreamName=STREAM, ShardCount=2)
        self.put: list[dict[str, Any]] = []
        self.delivered = 0

    def put_record(self, **request: Any) -> dict[str, Any]:
        self.put.append(request)
        reply: dict[str, Any] = self.kinesis.put_record(**request)
        return reply

    def deliver(self) -> None:
        for request in self.put[self.delivered :]:
            reply = invoke(lambda_event_of([json.loads(request["Data"])]))
            assert reply.get("batchItemFailures") == [], reply
        self.delivered = len(self.put)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with in_process_cloud() as state:
        yield state


def _clients(cloud: Cloud, function: Any, stream: Stream) -> Any:
    return {"lambda": function, "dynamodb": cloud.dynamodb, "kinesis": stream}.__getitem__


def test_smoke_reads_the_invoked_and_the_streamed_trade_back_in_the_rollup_twice(
    cloud: Cloud,
) -> None:
    stream, function = Stream(), InProcessLambda()
    lines: list[str] = []
    clock = Clock()

    def wait(seconds: float) -> None:  # the stream delivers a few polls later, as Lambda's does
        clock.now += seconds
        if clock.now >= 2:
            stream.deliver()

    for _ in range(2):
        smoke(DEPLOYED, _clients(cloud, function, stream), lines.append, clock=clock, sleep=wait)
    assert function.invoked == [DEPLOYED["lambda_function_name"]] * 2
    assert len([line for line in lines if line.startswith("ok: ")]) == 2
    assert (
        lines[-1].startswith("ok: S")
        and ": 2 trades (invoke and stream), notional 2000" in (lines[-1])
    )
    # A rerun sends trades of its own: never the first run's, which it would see as duplicates.
    ids = [json.loads(r["Data"])["trade_id"] for r in stream.put]
    assert len(set(ids)) == 2


def test_the_streamed_trade_is_routed_as_the_producers_route_it(cloud: Cloud) -> None:
    stream = Stream()
    run = SmokeRun.fresh()
    smoke(
        DEPLOYED,
        _clients(cloud, InProcessLambda(), stream),
        lambda _line: None,
        run=run,
        clock=Clock(),
        sleep=lambda _s: stream.deliver(),
    )
    [request] = stream.put
    assert (request["PartitionKey"], request["ExplicitHashKey"]) == route(
        run.stream_id, run.symbol, 2
    )
    sent = json.loads(request["Data"])
    assert sent["trade_id"] == run.stream_id and sent["timestamp"].startswith(run.day)


def test_a_stream_that_never_delivers_fails_at_the_deadline_with_progress(cloud: Cloud) -> None:
    clock = Clock()
    lines: list[str] = []

    def wait(seconds: float) -> None:
        clock.now += seconds

    with pytest.raises(PlatformError, match="counts 1 of 2 trades after 60s: the stream's trade"):
        smoke(
            DEPLOYED,
            _clients(cloud, InProcessLambda(), Stream()),
            lines.append,
            clock=clock,
            sleep=wait,
        )
    assert any(line.startswith("waiting for the stream: 1 of 2 trades") for line in lines)


class Replying(InProcessLambda):
    def __init__(self, payload: bytes, error: str | None = None) -> None:
        super().__init__()
        self.payload, self.error = payload, error

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
        reply: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(self.payload)}
        return reply | ({"FunctionError": self.error} if self.error else {})


def test_a_function_error_is_one_line_with_the_functions_own_message(cloud: Cloud) -> None:
    error = {
        "errorType": "KeyError",
        "errorMessage": "'TABLE_NAME'\nmore",
        "stackTrace": ["  File handler.py, line 1"],
    }
    function = Replying(json.dumps(error).encode(), "Unhandled")
    with pytest.raises(PlatformError) as failed:
        smoke(DEPLOYED, _clients(cloud, function, Stream()), lambda _line: None)
    assert str(failed.value) == "the function failed: KeyError: 'TABLE_NAME'"


def test_a_payload_that_is_not_json_is_one_line(cloud: Cloud) -> None:
    function = Replying(b"error running docker\nTraceback ...", "Handled")
    with pytest.raises(PlatformError) as failed:
        smoke(DEPLOYED, _clients(cloud, function, Stream()), lambda _line: None)
    assert str(failed.value) == "the function answered what is not JSON: 'error running docker'"


def test_missing_credentials_mean_the_smoke_did_not_run(cloud: Cloud) -> None:
    class NoCredentials(InProcessLambda):
        def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
            raise NoCredentialsError()

    with pytest.raises(SmokeNotRunError, match="Unable to locate credentials"):
        smoke(DEPLOYED, _clients(cloud, NoCredentials(), Stream()), lambda _line: None)


def test_smoke_needs_a_deployed_environment() -> None:
    with pytest.raises(SmokeNotRunError, match="no lambda_function_name output"):
        smoke({}, lambda _service: None, lambda _line: None)
