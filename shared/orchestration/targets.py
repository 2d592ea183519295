"""Where stacks deploy to: real AWS, or a local AWS emulator (moto_server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.errors import PlatformError
from shared.orchestration.backend import STATE_DIR

EMULATOR_RECORD = STATE_DIR / "emulator.json"
EMULATOR_LOG = STATE_DIR / "emulator.log"
LOCAL_CONFIG_DIR = STATE_DIR / "config"
# Every service the stacks and the function call, under pulumi-aws's endpoint names.
EMULATED_SERVICES = (
    "appautoscaling",
    "dynamodb",
    "ec2",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sqs",
    "sts",
    "xray",
)


@dataclass(frozen=True)
class Target:
    """What the provider talks to; `config` is layered over each stack's own config."""

    name: str
    description: str
    endpoint: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def aws_target() -> Target:
    return Target("aws", "AWS, with the usual credential chain (AWS_PROFILE, env, SSO, ...)")


def local_target(endpoint: str) -> Target:
    """The AWS provider pointed at the emulator: every endpoint, path-style S3, no real auth."""
    return Target(
        name="local",
        description=f"local AWS emulator (moto_server) at {endpoint}",
        endpoint=endpoint,
        config={
            "aws:accessKey": "local",
            "aws:secretKey": "local",
            "aws:skipCredentialsValidation": True,
            "aws:skipRequestingAccountId": True,
            "aws:skipMetadataApiCheck": True,
            "aws:skipRegionValidation": True,
            "aws:s3UsePathStyle": True,
            "aws:endpoints": [{service: endpoint for service in EMULATED_SERVICES}],
        },
        env={
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_ENDPOINT_URL": endpoint,
        },
    )


def stack_config_file(stack_file: Path, target: Target, name: str) -> Path | None:
    """A config file for `--config-file`: the stack's own file with the target's keys on top.

    None for targets that add nothing, so those runs use the stack file as it is and the
    repository's stack files are never rewritten for a local run.
    """
    if not target.config:
        return None
    document = yaml.safe_load(stack_file.read_text()) if stack_file.exists() else None
    document = dict(document or {})
    document["config"] = {**(document.get("config") or {}), **target.config}
    LOCAL_CONFIG_DIR.mkdir(parents=True, exist_ok=True)
    path = LOCAL_CONFIG_DIR / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=True))
    return path


# ---- the emulator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorRecord:
    pid: int
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def running_emulator() -> EmulatorRecord | None:
    """The recorded emulator, if its process is alive and answering."""
    if not EMULATOR_RECORD.exists():
        return None
    try:
        data = json.loads(EMULATOR_RECORD.read_text())
        record = EmulatorRecord(int(data["pid"]), int(data["port"]))
    except (ValueError, KeyError, TypeError):
        return None
    return record if alive(record.pid) and answers(record.endpoint) else None


def start_emulator(log: Any = print) -> EmulatorRecord:
    """Reuse the recorded emulator, or start one and record its pid and port."""
    record = running_emulator()
    if record:
        log(f"emulator: reusing pid {record.pid} at {record.endpoint}")
        return record
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with EMULATOR_LOG.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this run, so a later destroy finds it
        )
    record = EmulatorRecord(process.pid, port)
    deadline = time.monotonic() + 30
    while not answers(record.endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            raise PlatformError(
                f"the local emulator did not start; see {EMULATOR_LOG} "
                "(is moto[server] installed? nox installs it for --target local)"
            )
        time.sleep(0.2)
    EMULATOR_RECORD.write_text(json.dumps({"pid": record.pid, "port": record.port}))
    log(f"emulator: started pid {record.pid} at {record.endpoint}")
    return record


def stop_emulator(log: Any = print) -> bool:
    record = running_emulator()
    EMULATOR_RECORD.unlink(missing_ok=True)
    if record is None:
        log("emulator: not running")
        return False
    os.kill(record.pid, signal.SIGTERM)
    log(f"emulator: stopped pid {record.pid}")
    return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
