"""Functions run on invoke, in the emulator, without Docker.

moto 5.2.5 runs a function's code only in a Docker container (`LambdaFunction._invoke_lambda`);
without Docker an invoke answers `FunctionError: Handled` with "error running docker". Here
`install` replaces `LambdaFunction.invoke` (what moto's Invoke API calls) with a runner that does
what Lambda does for one invocation (AWS Lambda developer guide, "Understanding the Lambda
execution environment lifecycle" and "Invoke" in the API reference):

- the deployed package (the bytes the caller uploaded) unpacked once per code hash under the
  work directory, as the task root;
- an execution environment per function version and configuration: a process of its own
  (`emulator/bootstrap.py` on this Python, kept by `emulator/environments.py`), reused while
  warm for one invocation at a time, a new one for each concurrent invocation, and replaced
  after a code or configuration update, as Lambda reuses and scales environments;
- the function's handler and environment variables plus Lambda's reserved ones (_HANDLER,
  AWS_LAMBDA_FUNCTION_*, AWS_REGION, LAMBDA_TASK_ROOT, TZ), the emulator as its AWS endpoint,
  dummy credentials, and nothing of the emulator's own environment but PATH;
- the function's timeout: past it the environment is ended and the invoke answers as Lambda
  does (`Sandbox.Timedout`, "Task timed out after N.NN seconds");
- an exception comes back as Lambda returns it: `X-Amz-Function-Error: Unhandled` with the
  error payload (errorMessage, errorType, requestId, stackTrace);
- its output, between START/END/REPORT lines, in the function's log group, one log stream per
  execution environment; `LogType=Tail` answers with the last 4 KB of the invocation's log;
- `Event` invocations answered at once (202) and run in the background, retried twice on a
  function error, then sent to the dead-letter queue when one is configured (developer guide,
  "Asynchronous invocation": two retries, the DLQ message is the event with
  RequestID/ErrorCode/ErrorMessage attributes).

What differs from Lambda is listed in docs/verification.md (the Python is the emulator's, memory
is not limited, concurrency is not limited, no arm64, no layers).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.awslambda import models as lambda_models
from moto.sqs.models import sqs_backends

from emulator import environments

ASYNC_RETRIES = 2  # developer guide, "Error handling and automatic retries in Lambda"
LOG_TAIL_BYTES = 4096  # what `LogType=Tail` returns: the last 4 KB of the log


@dataclass(frozen=True)
class Invocation:
    payload: bytes  # the function's result as JSON, or Lambda's error payload
    function_error: str | None  # X-Amz-Function-Error: None on success, else "Unhandled"
    request_id: str
    log: str = ""


@dataclass
class _Settings:
    endpoint: str = ""
    work_dir: Path = Path(tempfile.gettempdir()) / "emulator"


_settings = _Settings()
_unpack_lock = threading.Lock()
_pool = environments.Pool()


def install(endpoint: str, work_dir: Path) -> None:
    """Make moto's Invoke run functions; `endpoint` is the emulator the functions call."""
    _settings.endpoint = endpoint
    _settings.work_dir = work_dir
    lambda_models.LambdaFunction.invoke = _moto_invoke  # type: ignore[method-assign,assignment]


def _moto_invoke(
    function: Any, body: str | bytes, request_headers: Any, response_headers: Any
) -> bytes:
    event = body.encode() if isinstance(body, str) else (body or b"")
    kind = request_headers.get("x-amz-invocation-type", "RequestResponse")
    if kind == "DryRun":
        return b""  # permissions and parameters only (moto answers 204)
    if kind == "Event":
        threading.Thread(target=_invoke_async, args=(function, event), daemon=True).start()
        return b""  # moto answers 202
    invocation = invoke(function, event)
    if invocation.function_error:
        response_headers["x-amz-function-error"] = invocation.function_error
    tail = invocation.log.encode()[-LOG_TAIL_BYTES:]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
    response_headers["x-amz-executed-version"] = function.version
    return invocation.payload


def invoke(function: Any, event: bytes) -> Invocation:
    """Run one invocation of a moto `LambdaFunction` with `event` (JSON bytes), in a warm
    execution environment of its version and configuration, or a new one."""
    request_id = str(uuid.uuid4())
    key = _key(function)
    environment = _pool.take(key, lambda: _start_environment(function, key))
    started = time.time()
    timeout = float(function.timeout)
    _settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="invoke-", dir=_settings.work_dir) as scratch:
        log_file = Path(scratch) / "log"
        log_file.touch()
        request = {
            "event": (event or b"{}").decode(errors="replace"),
            "request_id": request_id,
            "deadline": started + timeout,
            "log": str(log_file),
        }
        try:
            outcome = environment.invoke(request, timeout)
        except environments.TimedOutError:
            outcome = _runtime_error(
                "Sandbox.Timedout", request_id, f"Task timed out after {timeout:.2f} seconds"
            )
        except environments.ExitedError as exited:
            outcome = _runtime_error(
                "Runtime.ExitError", request_id, f"Runtime exited with error: {exited}"
            )
        finally:
            _pool.give_back(environment)
        output = log_file.read_text(encoding="utf-8", errors="replace")
    elapsed_ms = (time.time() - started) * 1000
    log = _log_lines(function, request_id, output, elapsed_ms, outcome)
    _save_log(function, environment, log)
    if "error" in outcome:
        return Invocation(json.dumps(outcome["error"]).encode(), "Unhandled", request_id, log)
    return Invocation(str(outcome["payload"]).encode(), None, request_id, log)


def shut_down() -> None:
    """End every execution environment (the emulator stopping)."""
    _pool.shut_down()


def _runtime_error(kind: str, request_id: str, what: str) -> dict[str, Any]:
    """An error of the runtime, not the handler's, worded as Lambda words it."""
    return {"error": {"errorType": kind, "errorMessage": f"RequestId: {request_id} Error: {what}"}}


def _key(function: Any) -> environments.Key:
    configuration = {
        "handler": function.handler,
        "runtime": function.run_time,
        "timeout": function.timeout,
        "memory": function.memory_size,
        "role": function.role,
        "variables": function.environment_vars or {},
        "logs": function.logs_group_name,
    }
    return environments.Key(
        function.function_arn,
        str(function.version),
        hashlib.sha256(function.code_bytes).hexdigest(),
        json.dumps(configuration, sort_keys=True, default=str),
    )


def _start_environment(function: Any, key: environments.Key) -> environments.Environment:
    # One log stream per execution environment, named as Lambda names them.
    stream = f"{time.strftime('%Y/%m/%d')}/[{function.version}]{uuid.uuid4().hex}"
    task_root = _task_root(function)
    return environments.start(key, task_root, _environment(function, stream, task_root), stream)


def _environment(function: Any, stream: str, task_root: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task_root),
        "_HANDLER": function.handler or "",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": function.version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_LOG_GROUP_NAME": function.logs_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        # The function's role, as far as the emulator checks it: any key is accepted.
        "AWS_ACCESS_KEY_ID": "emulator-function",
        "AWS_SECRET_ACCESS_KEY": "emulator-function",
        "AWS_SESSION_TOKEN": "emulator-function",
        # The user's ~/.aws must not send the function elsewhere.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.update({str(k): str(v) for k, v in (function.environment_vars or {}).items()})
    # Set after the function's own variables: the emulator is its AWS, whatever they say.
    env["AWS_ENDPOINT_URL"] = _settings.endpoint
    env["EMULATOR_FUNCTION_ARN"] = function.function_arn
    return env


def _task_root(function: Any) -> Path:
    """The package unpacked once per content hash: a code update gets a new directory."""
    code: bytes = function.code_bytes
    root = _settings.work_dir / "functions" / hashlib.sha256(code).hexdigest()
    with _unpack_lock:
        if not root.exists():
            root.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix="unpack-", dir=root.parent))
            try:
                with zipfile.ZipFile(io.BytesIO(code)) as package:
                    package.extractall(staging)
                staging.rename(root)  # whole or absent: a crash leaves no half-unpacked root
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return root


def _log_lines(
    function: Any, request_id: str, output: str, elapsed_ms: float, outcome: dict[str, Any]
) -> str:
    lines = [f"START RequestId: {request_id} Version: {function.version}", output.rstrip()]
    if "error" in outcome and outcome["error"].get("errorType") == "Sandbox.Timedout":
        lines.append(outcome["error"]["errorMessage"])
    lines.append(f"END RequestId: {request_id}")
    lines.append(
        f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\t"
        f"Billed Duration: {int(elapsed_ms) + 1} ms\tMemory Size: {function.memory_size} MB"
    )
    return "\n".join(line for line in lines if line) + "\n"


def _save_log(function: Any, environment: environments.Environment, log: str) -> None:
    logs = function.logs_backend
    stream = environment.log_stream
    with _unpack_lock:  # one stream per environment, created by its first invocation
        logs.ensure_log_group(function.logs_group_name)
        if stream not in logs.groups[function.logs_group_name].streams:
            logs.create_log_stream(function.logs_group_name, stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in log.splitlines()]
    logs.put_log_events(function.logs_group_name, stream, events)


def _invoke_async(function: Any, event: bytes) -> None:
    for _attempt in range(1 + ASYNC_RETRIES):
        invocation = invoke(function, event)
        if invocation.function_error is None:
            return
    target = (getattr(function, "gap_dead_letter_config", None) or {}).get("TargetArn", "")
    if target.startswith("arn:aws:sqs:"):
        _, _, _, region, account, name = target.split(":", 5)
        error = json.loads(invocation.payload)
        sqs_backends[account][region].send_message(
            name,
            event.decode(errors="replace"),
            message_attributes={
                "RequestID": {"DataType": "String", "StringValue": invocation.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                "ErrorMessage": {
                    "DataType": "String",
                    "StringValue": str(error.get("errorMessage", ""))[:1024],
                },
            },
        )
