"""The project's emulator in a process of a test's own, and boto3 clients of it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from emulator.process import REPO_ROOT, answers, free_port, server_command
from orchestration import aws
from orchestration.targets import LOCAL_CREDENTIALS
from shared.packaging import build_package
from tests.support import moto_aws

REGION = "us-east-1"
Clients = Callable[[str], Any]


class EmulatorProcess:
    """The emulator's server in a process of a test's own, on a free port and in its own work
    directory, so stopping it (and what is left of it) can be part of a test."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log = work_dir / "server.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                server_command(port, work_dir),
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not answers(self.endpoint):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"the emulator did not start: {self.log.read_text()}")
            time.sleep(0.1)
        self.client = clients_of(self.endpoint)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)  # SIGTERM ends it: a hang here is a failure

    def leftovers(self) -> list[int]:
        """Processes still working in the emulator's directory (a function's, say)."""
        found = []
        for entry in Path("/proc").iterdir():
            try:
                cwd = os.readlink(entry / "cwd") if entry.name.isdigit() else ""
            except OSError:
                continue
            if cwd.startswith(str(self.work_dir)):
                found.append(int(entry.name))
        return found


@contextmanager
def running_emulator(work_dir: Path) -> Iterator[EmulatorProcess]:
    """An emulator of its own until the block ends (killed if a test left it running)."""
    running = EmulatorProcess(work_dir)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.stop()


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """`condition()` once it is true, polled; AssertionError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def clients_of(endpoint: str) -> Clients:
    """Clients of the emulator, through orchestration's one boto3 factory."""
    return aws.clients(region=REGION, endpoint=endpoint, credentials=LOCAL_CREDENTIALS)


TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def zip_of(files: dict[str, str]) -> bytes:
    """A function package of the given files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, text in files.items():
            package.writestr(name, text)
    return buffer.getvalue()


def create_function(clients: Clients, code: bytes, **spec: Any) -> str:
    """A function in the emulator (python3.12, handler app.handler unless given); its name."""
    iam = clients("iam")
    try:
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="fn-role")
    name = spec.pop("FunctionName", f"fn-{uuid.uuid4().hex[:8]}")
    clients("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler=spec.pop("Handler", "app.handler"),
        Code={"ZipFile": code},
        **spec,
    )
    return str(name)


def create_project_function(clients: Clients) -> str:
    """The platform's own data processor, built from the project's sources, writing to the
    resources `tests.support.moto_aws.create_resources` makes; its name."""
    environment = dict(moto_aws.FUNCTION_ENVIRONMENT)
    environment.pop("AWS_DEFAULT_REGION")  # Lambda sets the region itself
    return create_function(
        clients,
        build_package("data_processor").path.read_bytes(),
        Handler="handler.handler",
        Timeout=30,
        Environment={"Variables": environment},
    )
