"""One execution environment of a function: what Lambda's Python runtime does, in a process of its
own (emulator/functions.py starts it and keeps it warm; this file imports nothing of the
emulator's).

`python bootstrap.py REQUESTS_FD RESULTS_FD`, with the task root as the working directory and the
environment's variables (_HANDLER, AWS_LAMBDA_*, ...). As the runtime does, it reads invocations
one at a time, each a JSON line on REQUESTS_FD ({"event", "request_id", "deadline", "log"}), and
answers each with one JSON line on RESULTS_FD: {"payload": ...} or {"error": {...}}. The first
invocation initializes it: the handler imported as the runtime imports it (module path from the
task root); a failed init is answered with its error and ends the process, so the next
invocation starts a new environment (AWS Lambda developer guide, "Understanding the Lambda
execution environment lifecycle": init errors reset the environment). Module-level state
carries over between invocations of one environment, as it does in Lambda.

Errors are shaped as Lambda's Python runtime shapes them (errorMessage, errorType, requestId,
stackTrace; Runtime.ImportModuleError and Runtime.HandlerNotFound at init; Runtime.MarshalError
for a result JSON cannot encode: developer guide, "AWS Lambda function errors in Python").
During an invocation, file descriptors 1 and 2 are that invocation's log file, so what the
handler (or a process it starts) prints is its log, as Lambda sends both streams to the log.
An end of file on REQUESTS_FD (the emulator gone) ends the process.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any


class LambdaContext:
    """The context object's documented attributes (developer guide, "Lambda context object in
    Python")."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = os.environ["EMULATOR_FUNCTION_ARN"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


class _InitError(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


def _error(
    error: BaseException, request_id: str, error_type: str | None = None, message: str | None = None
) -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error) if message is None else message,
        "errorType": error_type or type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def _handler(request_id: str) -> Callable[[Any, LambdaContext], Any]:
    module_path, _, name = os.environ["_HANDLER"].rpartition(".")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        message = f"Unable to import module '{module_name}': {error}"
        raise _InitError(_error(error, request_id, "Runtime.ImportModuleError", message)) from error
    except Exception as error:
        traceback.print_exc()
        raise _InitError(_error(error, request_id)) from error
    handler = getattr(module, name, None)
    if not callable(handler):
        raise _InitError(
            {
                "errorMessage": f"Handler '{name}' missing on module '{module_name}'",
                "errorType": "Runtime.HandlerNotFound",
                "requestId": request_id,
                "stackTrace": [],
            }
        )
    return handler  # type: ignore[no-any-return]


def _invoke(handler: Callable[[Any, LambdaContext], Any], request: dict[str, Any]) -> Any:
    request_id = request["request_id"]
    try:
        result = handler(
            json.loads(request["event"]), LambdaContext(request_id, request["deadline"])
        )
    except Exception as error:
        traceback.print_exc()  # the runtime logs it too, in the function's log stream
        return {"error": _error(error, request_id)}
    try:
        return {"payload": json.dumps(result)}
    except (TypeError, ValueError) as error:
        message = f"Unable to marshal response: {error}"
        return {"error": _error(error, request_id, "Runtime.MarshalError", message)}


class _LogTo:
    """Descriptors 1 and 2 written to `path` for one invocation, then restored."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.saved: list[int] = []

    def __enter__(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        log = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.saved = [os.dup(1), os.dup(2)]
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, saved in zip((1, 2), self.saved, strict=True):
            os.dup2(saved, fd)
            os.close(saved)


def main(requests_fd: int, results_fd: int) -> int:
    # The runtime's path: the task root first (not this file's directory, which Python put there).
    sys.path[0] = os.getcwd()
    handler: Callable[[Any, LambdaContext], Any] | None = None
    with os.fdopen(requests_fd, "rb") as requests, os.fdopen(results_fd, "wb") as results:
        for line in requests:
            request = json.loads(line)
            with _LogTo(request["log"]):
                try:
                    handler = handler or _handler(request["request_id"])
                    outcome = _invoke(handler, request)
                except _InitError as error:
                    outcome = {"error": error.payload, "init_failed": True}
            results.write(json.dumps(outcome).encode() + b"\n")
            results.flush()
            if outcome.get("init_failed"):
                return 1  # a failed init resets the environment
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
