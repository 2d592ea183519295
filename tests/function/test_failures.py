"""Failures after boto3's retries make the invocation fail; a retry converges exactly.

These run against moto_server over HTTP: an injected throttle or 500 then really replaces the
response, and botocore's own retry policy (standard mode) runs as it would against AWS.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import handler
import pytest

from tests.function.conftest import Cloud, invoke
from tests.function.faults import DYNAMODB_THROTTLE, S3_INTERNAL_ERROR, Faults

ATTEMPTS = handler.ATTEMPTS


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore sleeps between retries; the retries are what is under test, not the clock.
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)


def _batch(n: int, symbols: int = 5, days: int = 1) -> dict[str, Any]:
    return {
        "trades": [
            {
                "trade_id": f"B-{i:05d}",
                "amount": 100 + i % 7,
                "symbol": f"S{i % symbols}",
                "price": 10 + i % 3,
                "quantity": 1 + i % 4,
                "timestamp": f"2026-11-{10 + i % days:02d}T12:00:00Z",
            }
            for i in range(n)
        ]
    }


def _totals(served_cloud: Cloud) -> tuple[int, Decimal, int]:
    rollups = [i for i in served_cloud.items() if i["pk"]["S"].startswith("ROLLUP#")]
    records = [i for i in served_cloud.items() if i["pk"]["S"].startswith("TRADE#")]
    return (
        sum(int(r["trade_count"]["N"]) for r in rollups),
        sum((Decimal(r["total_amount"]["N"]) for r in rollups), Decimal(0)),
        len(records),
    )


def _expected(event: dict[str, Any]) -> tuple[int, Decimal, int]:
    trades = event["trades"]
    return len(trades), sum((Decimal(t["amount"]) for t in trades), Decimal(0)), len(trades)


def _clients() -> tuple[Any, Any]:
    processor = handler.processor()
    return processor.store.client, processor.archive.client


def test_transient_throttling_is_absorbed_by_boto3_retries(served_cloud: Cloud) -> None:
    dynamodb, _ = _clients()
    faults = Faults(dynamodb, first=2, times=ATTEMPTS - 1, error=DYNAMODB_THROTTLE)
    response = invoke(_batch(10))
    assert faults.injected == ATTEMPTS - 1
    assert response["counts"]["processed"] == 10
    assert _totals(served_cloud) == _expected(_batch(10))


@pytest.mark.slow
@pytest.mark.parametrize("failing_request", [1, 2, 4])
def test_dynamodb_throttling_fails_the_invocation_and_a_retry_converges(
    served_cloud: Cloud, failing_request: int
) -> None:
    event = _batch(300)  # four transactions after one rollup read
    dynamodb, _ = _clients()
    faults = Faults(dynamodb, first=failing_request, times=ATTEMPTS, error=DYNAMODB_THROTTLE)
    with pytest.raises(dynamodb.exceptions.ClientError, match="ThrottlingException"):
        invoke(event)
    assert faults.injected == ATTEMPTS
    committed = _totals(served_cloud)[2]
    assert committed < 300
    archive_after_failure = served_cloud.objects()

    handler.processor.cache_clear()  # Lambda's retry may land in a fresh container
    retry = invoke(event)
    assert retry["counts"]["processed"] == 300 - committed
    assert retry["counts"]["duplicates"] == committed
    assert _totals(served_cloud) == _expected(event)
    # The archive write repeated to the same keys and bytes.
    assert served_cloud.objects() == archive_after_failure


@pytest.mark.parametrize("failing_request", [1, 2])
def test_s3_500_fails_the_invocation_and_a_retry_converges(
    served_cloud: Cloud, failing_request: int
) -> None:
    event = _batch(60, days=2)  # two archive objects
    _, s3 = _clients()
    Faults(s3, first=failing_request, times=ATTEMPTS, error=S3_INTERNAL_ERROR)
    with pytest.raises(s3.exceptions.ClientError, match="InternalError"):
        invoke(event)
    # Nothing is recorded before the archive holds it.
    assert _totals(served_cloud) == (0, Decimal(0), 0)
    assert len(served_cloud.objects()) == failing_request - 1

    handler.processor.cache_clear()
    retry = invoke(event)
    assert retry["counts"] == {"received": 60, "processed": 60, "duplicates": 0, "rejected": 0}
    assert _totals(served_cloud) == _expected(event)
    assert len(served_cloud.objects()) == 2
