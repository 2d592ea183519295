"""The data processor against moto, in-process: a fresh table and bucket per test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.orchestration.targets import answers, free_port
from tests.function import emulator
from tests.function.emulator import BUCKET, TABLE, create_resources

# The handler reads its configuration at import, as it does at a Lambda cold start: set it first.
os.environ.update(
    {
        "TABLE_NAME": TABLE,
        "BUCKET_NAME": BUCKET,
        "ENVIRONMENT": "dev",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
)
os.environ.pop("AWS_PROFILE", None)

import handler
from trade_analytics.archive import Archive
from trade_analytics.processor import Processor
from trade_analytics.store import TradeStore

emulator.install()


@dataclass
class Cloud:
    dynamodb: Any
    s3: Any

    def items(self) -> list[dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
        return [item for page in pages for item in page["Items"]]

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return found

    def objects(self) -> dict[str, bytes]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {
            o["Key"]: self.s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
            for o in listing
        }


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with mock_aws():
        session = boto3.session.Session()
        state = Cloud(session.client("dynamodb"), session.client("s3"))
        create_resources(state.dynamodb, state.s3)
        handler.processor.cache_clear()  # the next invocation is a fresh container's first
        yield state
        handler.processor.cache_clear()


@pytest.fixture
def processor(cloud: Cloud) -> Processor:
    return Processor(TradeStore(cloud.dynamodb, TABLE, "dev"), Archive(cloud.s3, BUCKET), "dev")


def invoke(event: Any) -> dict[str, Any]:
    return handler.handler(event, _Context())


class _Context:
    aws_request_id = "req-0001"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto as a real HTTP server on loopback, for what in-process mocking cannot show.

    In-process moto answers every request in a botocore hook that runs even when another hook
    has already answered; only over HTTP does an injected fault really stop a request.
    """
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while not answers(url):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("moto_server did not start on 127.0.0.1")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def served_cloud(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    """A fresh table and bucket on the moto server; the handler's clients point at it."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    # boto3 reads AWS_ENDPOINT_URL for every client it makes, the handler's included.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    session = boto3.session.Session()
    state = Cloud(session.client("dynamodb"), session.client("s3"))
    create_resources(state.dynamodb, state.s3)
    handler.processor.cache_clear()
    yield state
    handler.processor.cache_clear()
