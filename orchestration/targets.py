"""Where stacks deploy to: real AWS, or a local AWS emulator (moto_server on 127.0.0.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Every service the stacks and the function call, under pulumi-aws's endpoint names.
EMULATED_SERVICES = (
    "appautoscaling",
    "dynamodb",
    "ec2",
    "iam",
    "kinesis",
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
