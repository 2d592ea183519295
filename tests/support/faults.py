"""Counting and failing AWS requests through botocore's event hooks (no network, no sleeps)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders

DYNAMODB_THROTTLE = (
    400,
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}',
)
S3_INTERNAL_ERROR = (
    500,
    b"<?xml version='1.0'?><Error><Code>InternalError</Code><Message>injected</Message></Error>",
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


class RequestCounter:
    """Counts HTTP requests (retries included) per operation, as AWS would bill them."""

    def __init__(self, *clients: Any) -> None:
        self.counts: Counter[str] = Counter()
        for client in clients:
            # First, so it runs before moto's own handler answers the request.
            client.meta.events.register_first("before-send", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        # event_name is "before-send.<service>.<Operation>"
        self.counts[event_name.split(".", 1)[1]] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Faults:
    """Fail requests number `first`..`first + times - 1` (1-based) of one service's client."""

    def __init__(self, client: Any, first: int, times: int, error: tuple[int, bytes]) -> None:
        self.first, self.times, self.error = first, times, error
        self.seen = 0
        self.injected = 0
        client.meta.events.register_first("before-send", self._maybe_fail)

    def _maybe_fail(self, request: Any, **_: Any) -> AWSResponse | None:
        self.seen += 1
        if self.first <= self.seen < self.first + self.times:
            self.injected += 1
            status, body = self.error
            headers = HTTPHeaders()
            headers["x-amzn-requestid"] = "fault"
            return AWSResponse(request.url, status, headers, _Raw(body))
        return None
