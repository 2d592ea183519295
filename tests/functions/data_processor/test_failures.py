"""Failures after boto3's retries make the invocation fail; a retry converges exactly.

These run against moto_server over HTTP: an injected throttle or 500 then really replaces the
response, and botocore's own retry policy (standard mode) runs as it would against AWS.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.data_processor import (
    Cloud,
    batch,
    expected,
    handler,
    handler_clients,
    invoke,
    totals,
)
from tests.support.faults import DYNAMODB_THROTTLE, S3_INTERNAL_ERROR, Faults

ATTEMPTS = handler.ATTEMPTS


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore sleeps between retries; the retries are what is under test, not the clock.
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _seconds: None)


def test_transient_throttling_is_absorbed_by_boto3_retries(served_cloud: Cloud) -> None:
    dynamodb, _ = handler_clients()
    faults = Faults(dynamodb, first=1, times=ATTEMPTS - 1, error=DYNAMODB_THROTTLE)
    response = invoke(batch(10))
    assert faults.injected == ATTEMPTS - 1
    assert response["counts"]["processed"] == 10
    assert totals(served_cloud) == expected(batch(10))


@pytest.mark.slow
@pytest.mark.parametrize("failing_request", [1, 2, 4])
def test_dynamodb_throttling_fails_the_invocation_and_a_retry_converges(
    served_cloud: Cloud, failing_request: int
) -> None:
    event = batch(300)  # four transactions (95 trades and 5 rollup shards each, then 15)
    dynamodb, _ = handler_clients()
    faults = Faults(dynamodb, first=failing_request, times=ATTEMPTS, error=DYNAMODB_THROTTLE)
    with pytest.raises(dynamodb.exceptions.ClientError, match="ThrottlingException"):
        invoke(event, request_id="req-retried")
    assert faults.injected == ATTEMPTS
    committed = totals(served_cloud)[2]
    assert committed < 300
    archive_after_failure = served_cloud.objects()

    handler.processor.cache_clear()  # Lambda's retry may land in a fresh container
    # ... with the same request id: the earlier attempt's commits count as processed.
    retry = invoke(event, request_id="req-retried")
    assert retry["counts"]["processed"] == 300
    assert retry["counts"]["duplicates"] == 0
    assert totals(served_cloud) == expected(event)
    # The archive write repeated to the same keys and bytes.
    assert served_cloud.objects() == archive_after_failure


@pytest.mark.parametrize("failing_request", [1, 2])
def test_s3_500_fails_the_invocation_and_a_retry_converges(
    served_cloud: Cloud, failing_request: int
) -> None:
    event = batch(60, days=2)  # two archive objects
    _, s3 = handler_clients()
    Faults(s3, first=failing_request, times=ATTEMPTS, error=S3_INTERNAL_ERROR)
    with pytest.raises(s3.exceptions.ClientError, match="InternalError"):
        invoke(event, request_id="req-s3")
    # Nothing is recorded before the archive holds it.
    assert totals(served_cloud) == (0, Decimal(0), 0)
    assert len(served_cloud.objects()) == failing_request - 1

    handler.processor.cache_clear()
    retry = invoke(event, request_id="req-s3")
    assert retry["counts"] == {
        "received": 60,
        "processed": 60,
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 0,
    }
    assert totals(served_cloud) == expected(event)
    assert len(served_cloud.objects()) == 2
