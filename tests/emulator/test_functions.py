"""Functions run on invoke in the emulator, as Lambda runs them: the deployed package, its
handler, environment and timeout, errors as Lambda returns them, output in its log group."""

from __future__ import annotations

import base64
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support import moto_aws
from tests.support.emulator import Clients, create_function, create_project_function, zip_of

pytestmark = pytest.mark.slow


def _invoke(clients: Clients, name: str, event: Any) -> tuple[dict[str, Any], Any]:
    reply = clients("lambda").invoke(
        FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail"
    )
    return reply, json.loads(reply["Payload"].read())


@pytest.mark.usefixtures("platform_resources")
def test_the_project_s_package_runs_and_stores_the_trade(clients: Clients) -> None:
    name = create_project_function(clients)
    trade = {"trade_id": "EMU-1", "amount": 18750, "symbol": "AAPL", "price": 187.5}
    event = {"trades": [{**trade, "quantity": 100, "timestamp": "2026-11-02T10:00:00Z"}]}
    reply, body = _invoke(clients, name, event)
    assert "FunctionError" not in reply, body
    assert body["status"] == "ok" and body["counts"]["processed"] == 1
    item = clients("dynamodb").get_item(
        TableName=moto_aws.TABLE,
        Key={"pk": {"S": "TRADE#EMU-1"}, "sk": {"S": "RECORD"}},
        ConsistentRead=True,
    )["Item"]
    archived = clients("s3").get_object(Bucket=moto_aws.BUCKET, Key=item["archive_key"]["S"])
    assert b"EMU-1" in archived["Body"].read()


def test_an_exception_comes_back_as_lambda_returns_it(clients: Clients) -> None:
    code = zip_of({"app.py": "def handler(e, c):\n    raise ValueError('bad trade: ' + e['id'])\n"})
    reply, body = _invoke(clients, create_function(clients, code), {"id": "T9"})
    assert reply["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad trade: T9"
    assert len(body["requestId"]) == 36  # the invocation's id, as the function's context had it
    assert any("app.py" in frame for frame in body["stackTrace"])
    assert "ValueError: bad trade: T9" in base64.b64decode(reply["LogResult"]).decode()


def test_init_errors_name_the_module_and_the_handler(clients: Clients) -> None:
    missing = zip_of({"app.py": "import not_packaged\n"})
    reply, body = _invoke(clients, create_function(clients, missing), {})
    assert (reply["FunctionError"], body["errorType"]) == ("Unhandled", "Runtime.ImportModuleError")
    assert body["errorMessage"].startswith("Unable to import module 'app': No module named")
    reply, body = _invoke(clients, create_function(clients, missing, Handler="other.nothing"), {})
    assert body["errorType"] == "Runtime.ImportModuleError"
    no_handler = zip_of({"app.py": "x = 1\n"})
    reply, body = _invoke(clients, create_function(clients, no_handler), {})
    assert body == {
        "errorMessage": "Handler 'handler' missing on module 'app'",
        "errorType": "Runtime.HandlerNotFound",
        "requestId": body["requestId"],
        "stackTrace": [],
    }


def test_the_timeout_kills_the_invocation(clients: Clients) -> None:
    code = zip_of({"app.py": "import time\ndef handler(event, context):\n    time.sleep(30)\n"})
    started = time.monotonic()
    reply, body = _invoke(clients, create_function(clients, code, Timeout=1), {})
    assert time.monotonic() - started < 10
    assert reply["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_the_environment_is_lambda_s_and_the_emulator_is_its_aws(
    clients: Clients, emulator_endpoint: str
) -> None:
    code = zip_of(
        {
            "app.py": "import os\n"
            "def handler(event, context):\n"
            "    return {'env': dict(os.environ), 'left': context.get_remaining_time_in_millis(),\n"
            "            'arn': context.invoked_function_arn, 'cwd': os.getcwd()}\n"
        }
    )
    name = create_function(
        clients, code, Timeout=7, MemorySize=256, Environment={"Variables": {"MINE": "1"}}
    )
    _, body = _invoke(clients, name, {})
    env = body["env"]
    assert env["MINE"] == "1"
    assert env["AWS_ENDPOINT_URL"] == emulator_endpoint
    assert (env["_HANDLER"], env["AWS_LAMBDA_FUNCTION_NAME"]) == ("app.handler", name)
    assert (env["AWS_REGION"], env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]) == ("us-east-1", "256")
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
    assert 0 < body["left"] <= 7000
    assert body["arn"].endswith(f":function:{name}")
    # Nothing of the emulator's own environment reaches the function but PATH.
    assert not {"VIRTUAL_ENV", "PYTEST_CURRENT_TEST", "MOTO_PORT", "HOME"} & set(env)


def test_output_lands_in_the_function_s_log_group(clients: Clients) -> None:
    code = zip_of(
        {"app.py": "def handler(event, context):\n    print('hello from', event['who'])\n"}
    )
    name = create_function(clients, code)
    _invoke(clients, name, {"who": "the test"})
    logs = clients("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    messages = [event["message"] for event in events]
    request = messages[0].split()[2]
    assert messages[0] == f"START RequestId: {request} Version: $LATEST"
    assert "hello from the test" in messages
    assert f"END RequestId: {request}" in messages
    assert messages[-1].startswith(f"REPORT RequestId: {request}\tDuration: ")


def test_a_code_update_runs_the_new_code(clients: Clients) -> None:
    name = create_function(clients, zip_of({"app.py": "def handler(e, c):\n    return 1\n"}))
    assert _invoke(clients, name, {})[1] == 1
    clients("lambda").update_function_code(
        FunctionName=name, ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 2\n"})
    )
    assert _invoke(clients, name, {})[1] == 2


def test_a_failing_event_invoke_is_retried_twice_then_dead_lettered(clients: Clients) -> None:
    sqs = clients("sqs")
    queue = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    code = zip_of(
        {"app.py": "def handler(e, c):\n    print('attempt')\n    raise RuntimeError('down')\n"}
    )
    name = create_function(clients, code, DeadLetterConfig={"TargetArn": arn})
    reply = clients("lambda").invoke(
        FunctionName=name, InvocationType="Event", Payload=b'{"trade": 1}'
    )
    assert reply["StatusCode"] == 202
    deadline = time.monotonic() + 30
    messages: list[Any] = []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=queue, MessageAttributeNames=["All"], WaitTimeSeconds=1
        ).get("Messages", [])
    assert messages, "nothing reached the dead-letter queue"
    assert json.loads(messages[0]["Body"]) == {"trade": 1}
    assert messages[0]["MessageAttributes"]["ErrorMessage"]["StringValue"] == "down"
    events = clients("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert [e["message"] for e in events].count("attempt") == 3


# An environment's identity and the invocations it has served: module state, as Lambda keeps it.
COUNTER = {
    "app.py": "import os, time\n"
    "served = 0\n"
    "def handler(event, context):\n"
    "    global served\n"
    "    served += 1\n"
    "    time.sleep(event.get('sleep', 0))\n"
    "    if event.get('fail'):\n"
    "        raise RuntimeError('asked to')\n"
    "    return {'pid': os.getpid(), 'served': served}\n"
}


def test_a_warm_environment_is_reused_and_keeps_its_module_state(clients: Clients) -> None:
    name = create_function(clients, zip_of(COUNTER))
    first, second = _invoke(clients, name, {})[1], _invoke(clients, name, {})[1]
    assert second == {"pid": first["pid"], "served": 2}
    # A handler's error keeps its environment (the runtime catches it); the next is warm.
    reply, _ = _invoke(clients, name, {"fail": True})
    assert reply["FunctionError"] == "Unhandled"
    assert _invoke(clients, name, {})[1] == {"pid": first["pid"], "served": 4}


def test_a_configuration_or_code_update_starts_a_new_environment(clients: Clients) -> None:
    name = create_function(clients, zip_of(COUNTER))
    before = _invoke(clients, name, {})[1]
    clients("lambda").update_function_configuration(
        FunctionName=name, Environment={"Variables": {"CHANGED": "1"}}
    )
    after = _invoke(clients, name, {})[1]
    assert after["served"] == 1 and after["pid"] != before["pid"]
    # The replaced environment is ended, not left running.
    deadline = time.monotonic() + 5
    while Path(f"/proc/{before['pid']}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{before['pid']}").exists()


def test_a_timeout_ends_the_environment_and_the_next_invocation_starts_fresh(
    clients: Clients,
) -> None:
    name = create_function(clients, zip_of(COUNTER), Timeout=1)
    warm = _invoke(clients, name, {})[1]
    _, body = _invoke(clients, name, {"sleep": 5})
    assert body["errorType"] == "Sandbox.Timedout"
    fresh = _invoke(clients, name, {})[1]
    assert fresh["served"] == 1 and fresh["pid"] != warm["pid"]


def test_concurrent_invocations_get_an_environment_each(clients: Clients) -> None:
    name = create_function(clients, zip_of(COUNTER))
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda _: _invoke(clients, name, {"sleep": 1})[1], range(3)))
    assert len({a["pid"] for a in answers}) == 3
    assert {a["served"] for a in answers} == {1}
