"""Where stacks deploy to: real AWS, or a local AWS emulator (moto_server on 127.0.0.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestration.backend import STATE_DIR

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
