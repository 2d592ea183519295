"""The smoke check against a deployment emulated by moto, the function invoked in-process.

moto's Lambda cannot run code here (it needs Docker), so the `lambda` client is a stand-in that
calls the real handler with the same payload bytes; the table and bucket are moto's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration.smoke import smoke
from shared.errors import PlatformError
from tests.support.data_processor import Cloud, InProcessLambda, in_process_cloud
from tests.support.moto_aws import BUCKET, TABLE

DEPLOYED = {
    "lambda_function_name": "data-processor-dev-us-east-1",
    "dynamodb_table_name": TABLE,
    "s3_bucket_name": BUCKET,
}


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with in_process_cloud() as state:
        yield state


def test_smoke_passes_on_a_working_deployment_twice(cloud: Cloud) -> None:
    function = InProcessLambda()
    clients = {"lambda": function, "dynamodb": cloud.dynamodb, "s3": cloud.s3}
    lines: list[str] = []
    smoke(DEPLOYED, clients.__getitem__, lines.append)
    smoke(DEPLOYED, clients.__getitem__, lines.append)  # the second run meets a duplicate
    assert function.invoked == [DEPLOYED["lambda_function_name"]] * 2
    assert lines[-2].startswith("ok: record TRADE#TEST123 and archive object s3://")
    # Read back through the function's read path: counted once, however often it was sent.
    assert "rollup of trades without a symbol: 1 trade(s), notional 1000" in lines[-1]


def test_smoke_fails_when_the_trade_is_in_no_rollup(cloud: Cloud) -> None:
    function = InProcessLambda()
    clients = {"lambda": function, "dynamodb": cloud.dynamodb, "s3": cloud.s3}
    smoke(DEPLOYED, clients.__getitem__, lambda _line: None)
    for item in cloud.items():
        if item["pk"]["S"].startswith("ROLLUP#"):
            cloud.dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    with pytest.raises(PlatformError, match="counted in no rollup"):
        smoke(DEPLOYED, clients.__getitem__, lambda _line: None)


def test_smoke_fails_when_the_record_is_missing(cloud: Cloud) -> None:
    class Silent(InProcessLambda):
        def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803
            body = {"status": "ok", "counts": {"processed": 1, "duplicates": 0}}
            return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}

    clients = {"lambda": Silent(), "dynamodb": cloud.dynamodb, "s3": cloud.s3}
    with pytest.raises(PlatformError, match="no analytics record for TEST123"):
        smoke(DEPLOYED, clients.__getitem__, lambda _line: None)


def test_smoke_needs_a_deployed_environment() -> None:
    with pytest.raises(PlatformError, match="no lambda_function_name output"):
        smoke({}, lambda _service: None, lambda _line: None)
