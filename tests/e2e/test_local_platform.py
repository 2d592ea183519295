"""The local target as a working platform, without the Pulumi CLI (issue 30, part 6).

An environment's resources are created in a fresh emulator by the conformance replay (the
provider's own calls with the synthesized inputs, tests/emulator/conformance), then the platform
is used as a producer and an operator would: the function invoked directly, trades put on the
stream through the producers' routing, the rollup read back exact, a poison record found in the
failure queue with its reason; then the emulator is stopped and nothing of it is left running.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from trade_analytics.producer import route
from trade_analytics.queries import daily_rollup

from emulator.process import answers
from orchestration.smoke import smoke
from shared import outputs
from shared.errors import PlatformError
from tests.emulator.conformance.replay import replay_environment
from tests.support.emulator import EmulatorProcess, running_emulator, wait_for, zip_of

pytestmark = pytest.mark.slow

TRADES = 40
SECONDS = 30  # the bar is "within seconds"; measured locally at about 2


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorProcess]:
    with running_emulator(tmp_path) as running:
        yield running


def _merged(layer_outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for values in layer_outputs.values():
        merged.update(values)
    return merged


def _wait(condition: Callable[[], Any], what: str) -> Any:
    return wait_for(condition, SECONDS, what)


def _stored(client: Any, table: str, ids: list[str]) -> int:
    keys = [{"pk": {"S": f"TRADE#{i}"}, "sk": {"S": "RECORD"}} for i in ids]
    found = 0
    for start in range(0, len(keys), 100):
        answer = client.batch_get_item(
            RequestItems={table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        )
        found += len(answer["Responses"].get(table, []))
    return found


@pytest.mark.parametrize("environment", ["dev", "production"])
def test_the_replayed_platform_processes_trades_then_stops_clean(
    emulator: EmulatorProcess, environment: str
) -> None:
    replayed = replay_environment(environment, emulator.client)
    merged = _merged(replayed.outputs)
    function = merged[outputs.LAMBDA_FUNCTION_NAME]
    table = merged[outputs.DYNAMODB_TABLE_NAME]
    stream = merged[outputs.TRADE_STREAM_NAME]
    shards = int(merged[outputs.TRADE_STREAM_SHARDS])
    dynamodb = emulator.client("dynamodb")
    now = datetime.now(timezone.utc)
    timestamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    symbol = f"E2E{uuid.uuid4().hex[:4].upper()}"

    if environment == "production":
        # Autoscaling on the provisioned table: registered, and its tags listed (the call
        # the provider makes after creating a target, a gap of moto's the emulator fills).
        scaling = emulator.client("application-autoscaling")
        registered = scaling.describe_scalable_targets(ServiceNamespace="dynamodb")
        assert {t["ScalableDimension"] for t in registered["ScalableTargets"]} == {
            "dynamodb:table:ReadCapacityUnits",
            "dynamodb:table:WriteCapacityUnits",
        }
        for target in registered["ScalableTargets"]:
            tags = scaling.list_tags_for_resource(ResourceARN=target["ScalableTargetARN"])
            assert tags["Tags"]["Environment"] == "production", tags

    # Direct invoke: the deployed package runs and stores the trade.
    direct: dict[str, Any] = {
        "trade_id": f"DIRECT-{uuid.uuid4().hex[:8]}",
        "symbol": symbol,
        "price": 100.0,
        "quantity": 3,
        "amount": 300.0,
        "side": "BUY",
        "timestamp": timestamp,
    }
    reply = emulator.client("lambda").invoke(
        FunctionName=function, Payload=json.dumps({"trades": [direct]}).encode()
    )
    body = json.loads(reply["Payload"].read())
    assert "FunctionError" not in reply, body
    assert body["status"] == "ok" and body["counts"]["processed"] == 1, body

    # Forty trades through the stream, routed as the producers route them, a malformed record
    # among them: it ends in the failure queue with its reason and holds none of the forty back.
    trades: list[dict[str, Any]] = [
        {
            "trade_id": f"STREAM-{uuid.uuid4().hex[:8]}-{n}",
            "symbol": symbol,
            "price": 10.0 + n,
            "quantity": 2,
            "amount": (10.0 + n) * 2,
            "side": "SELL" if n % 2 else "BUY",
            "timestamp": timestamp,
        }
        for n in range(TRADES)
    ]
    records = []
    for trade in trades:
        partition_key, hash_key = route(trade["trade_id"], symbol, shards)
        records.append(
            {
                "Data": json.dumps(trade).encode(),
                "PartitionKey": partition_key,
                "ExplicitHashKey": hash_key,
            }
        )
    # On the shard of the middle trade, between its neighbours.
    poison_key = records[TRADES // 2]["PartitionKey"]
    poison = {"Data": b"{not json", "PartitionKey": poison_key}
    if "ExplicitHashKey" in records[TRADES // 2]:
        poison["ExplicitHashKey"] = records[TRADES // 2]["ExplicitHashKey"]
    records.insert(TRADES // 2, poison)
    kinesis = emulator.client("kinesis")
    started = time.monotonic()
    kinesis.put_records(StreamName=stream, Records=records)
    ids = [t["trade_id"] for t in trades]
    _wait(lambda: _stored(dynamodb, table, ids) == TRADES, f"{TRADES} trades in the table")
    print(f"{environment}: {TRADES} trades via the stream in {time.monotonic() - started:.1f} s")

    # The rollup is exact: every trade counted once, the notional to the cent.
    everything = [direct, *trades]
    rollup = daily_rollup(dynamodb, table, symbol, now.date())
    assert rollup is not None
    assert rollup.trade_count == len(everything)
    assert rollup.notional == sum(Decimal(str(t["amount"])) for t in everything)
    assert rollup.buy_volume == sum(
        Decimal(t["quantity"]) for t in everything if t["side"] == "BUY"
    )

    sqs = emulator.client("sqs")
    queue = merged[outputs.FAILURE_QUEUE_URL]
    messages = _wait(
        lambda: sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"),
        "the poison record in the failure queue",
    )
    letter = json.loads(messages[0]["Body"])
    assert letter["partitionKey"] == poison_key and letter["reason"], letter

    if environment == "dev":
        # The smoke check against these resources passes; with a broken function it fails in
        # one line carrying the function's own error.
        lines: list[str] = []
        smoke(merged, emulator.client, lines.append, deadline_s=SECONDS)
        assert lines[-1].startswith("ok: "), lines
        broken = zip_of({"handler.py": "def handler(e, c):\n    raise RuntimeError('broken')\n"})
        emulator.client("lambda").update_function_code(FunctionName=function, ZipFile=broken)
        with pytest.raises(PlatformError) as failed:
            smoke(merged, emulator.client, lines.append, deadline_s=SECONDS)
        assert str(failed.value) == "the function failed: RuntimeError: broken"

    emulator.stop()
    assert not answers(emulator.endpoint)
    assert emulator.leftovers() == []
