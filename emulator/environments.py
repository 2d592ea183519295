"""Execution environments: one process per environment (emulator/bootstrap.py), reused while
warm, as Lambda reuses them (AWS Lambda developer guide, "Understanding the Lambda execution
environment lifecycle").

- An environment belongs to one function version and configuration (`Key`): a code or
  configuration update makes new environments, and the old ones are shut down, as Lambda does
  after UpdateFunctionCode/UpdateFunctionConfiguration.
- One invocation at a time per environment; a concurrent invocation gets an environment of its
  own (Lambda scales out by adding environments).
- An environment idle for `WARM_SECONDS` is shut down (Lambda keeps them for minutes, unstated).
- A timeout ends its environment (Lambda: "the execution environment is reset"), as does an
  init failure or a process that exits; an error the handler raises does not.

Pure of moto: functions.py says what an environment runs; this module only keeps processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
WARM_SECONDS = 600.0


@dataclass(frozen=True)
class Key:
    """What an environment is made for: a new key, a new environment."""

    function_arn: str
    version: str
    code_sha256: str
    configuration: str  # handler, timeout, memory, variables, ... as JSON


class TimedOutError(Exception):
    """The invocation ran past its deadline; its environment was ended."""


class ExitedError(Exception):
    """The environment's process ended without answering (Lambda: Runtime.ExitError)."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"exit status {code}")
        self.code = code


@dataclass
class Environment:
    key: Key
    process: subprocess.Popen[bytes]
    requests: Any  # the write end of the requests pipe
    results: Any  # the read end of the results pipe
    log_stream: str
    last_used: float = field(default_factory=time.monotonic)
    invocations: int = 0

    def invoke(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One invocation: its outcome ({"payload"} or {"error"}); TimedOutError, ExitedError."""
        self.invocations += 1
        try:
            self.requests.write(json.dumps(request).encode() + b"\n")
            self.requests.flush()
        except (BrokenPipeError, OSError):
            raise ExitedError(self._end()) from None
        ready, _, _ = select.select([self.results], [], [], max(0.0, timeout))
        if not ready:
            self._end()
            raise TimedOutError()
        line = self.results.readline()
        if not line:
            raise ExitedError(self._end())
        self.last_used = time.monotonic()
        outcome: dict[str, Any] = json.loads(line)
        return outcome

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _end(self) -> int | None:
        """Kill the environment's process group (what the handler started too); its status."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        code = self.process.wait()
        for pipe in (self.requests, self.results):
            with contextlib.suppress(OSError):
                pipe.close()
        return code

    def shut_down(self) -> None:
        self._end()


def start(key: Key, task_root: Path, environment: dict[str, str], log_stream: str) -> Environment:
    """A new environment's process, waiting for its first invocation."""
    requests_read, requests_write = os.pipe()
    results_read, results_write = os.pipe()
    process = subprocess.Popen(  # this Python, the emulator's own bootstrap
        [sys.executable, str(BOOTSTRAP), str(requests_read), str(results_write)],
        cwd=task_root,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # each invocation's output goes to its log (bootstrap.py)
        stderr=subprocess.DEVNULL,
        pass_fds=(requests_read, results_write),
        start_new_session=True,  # its own process group: a timeout ends all it started
    )
    os.close(requests_read)
    os.close(results_write)
    return Environment(
        key, process, os.fdopen(requests_write, "wb"), os.fdopen(results_read, "rb"), log_stream
    )


class Pool:
    """The warm environments of every function, by key; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle: dict[Key, list[Environment]] = {}
        self._all: list[Environment] = []
        self._lock = threading.Lock()
        self._clock = clock

    def take(self, key: Key, make: Callable[[], Environment]) -> Environment:
        """A warm environment of `key`, or a new one from `make`."""
        stale: list[Environment] = []
        with self._lock:
            now = self._clock()
            for other, idle in list(self._idle.items()):
                keep = [
                    e
                    for e in idle
                    if e.alive
                    and now - e.last_used < WARM_SECONDS
                    and not (other.function_arn == key.function_arn and other != key)
                ]
                stale += [e for e in idle if e not in keep]
                self._idle[other] = keep
            warm = self._idle.get(key) or []
            environment = warm.pop() if warm else None
        for old in stale:
            self._forget(old)
        if environment is None:
            environment = make()
            with self._lock:
                self._all.append(environment)
        return environment

    def give_back(self, environment: Environment) -> None:
        with self._lock:
            if environment.alive:
                environment.last_used = self._clock()
                self._idle.setdefault(environment.key, []).append(environment)
            elif environment in self._all:
                self._all.remove(environment)

    def warm(self, function_arn: str) -> int:
        """How many environments of the function are idle and alive."""
        with self._lock:
            return sum(
                1
                for key, idle in self._idle.items()
                if key.function_arn == function_arn
                for e in idle
                if e.alive
            )

    def shut_down(self) -> None:
        """End every environment (the emulator stopping: nothing of it is left running)."""
        with self._lock:
            everything, self._all, self._idle = self._all, [], {}
        for environment in everything:
            environment.shut_down()

    def _forget(self, environment: Environment) -> None:
        environment.shut_down()
        with self._lock:
            if environment in self._all:
                self._all.remove(environment)
