"""Where stacks deploy to: real AWS, or a local AWS emulator (moto_server on 127.0.0.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# pulumi-aws's endpoint key for each resource module the stacks use, where the module's name is
# not the key itself (a test maps every synthesized type token through this and fails on one it
# cannot map, so a new resource type cannot reach the emulator's neighbour instead of it).
ENDPOINT_OF_MODULE = {
    "vpc": "ec2",  # security group rules are EC2 API calls
}
# Types whose module speaks another service's API.
ENDPOINT_OF_TYPE = {
    "aws:cloudwatch/logGroup:LogGroup": "logs",
}
# Resource modules the stacks use, and what the function and orchestration call besides.
STACK_MODULES = (
    "appautoscaling",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "s3",
    "sns",
    "sqs",
    "vpc",
)
CALLED = ("logs", "sts", "xray")


def endpoint_of(type_token: str) -> str:
    """The pulumi-aws endpoint key a resource type's calls go to."""
    if type_token in ENDPOINT_OF_TYPE:
        return ENDPOINT_OF_TYPE[type_token]
    module = type_token.split(":")[1].split("/", maxsplit=1)[0]
    return ENDPOINT_OF_MODULE.get(module, module)


# Every service the stacks, the function and orchestration call, under pulumi-aws's endpoint
# names: all of them are set explicitly, so no AWS_ENDPOINT_URL_* or
# AWS_IGNORE_CONFIGURED_ENDPOINT_URLS in the user's shell can send one elsewhere.
EMULATED_SERVICES = tuple(
    sorted({ENDPOINT_OF_MODULE.get(m, m) for m in STACK_MODULES} | set(CALLED))
)


@dataclass(frozen=True)
class Target:
    """What the provider talks to; `config` is layered over each stack's own config."""

    name: str
    description: str
    endpoint: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    # The stack's own region (its aws:region) and, where the target has its own, credentials:
    # what orchestration's own AWS calls use instead of the shell's defaults.
    region: str | None = None
    credentials: tuple[str, str] | None = None


LOCAL_CREDENTIALS = ("local", "local")
# The endpoint of a local target whose command reads only its stacks' state (outputs, cancel)
# while no emulator runs: nothing listens on port 0, and nothing is sent there.
NO_EMULATOR = "http://127.0.0.1:0"


def aws_target(region: str | None = None) -> Target:
    return Target(
        "aws",
        "AWS, with the usual credential chain (AWS_PROFILE, env, SSO, ...)",
        region=region,
    )


def local_target(endpoint: str, region: str | None = None) -> Target:
    """The AWS provider pointed at the emulator: every endpoint, path-style S3, no real auth."""
    return Target(
        name="local",
        description=f"local AWS emulator (moto_server) at {endpoint}",
        endpoint=endpoint,
        region=region or "us-east-1",  # the emulator accepts any; boto3 needs one
        credentials=LOCAL_CREDENTIALS,
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
