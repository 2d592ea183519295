"""The environment matrix: the one place where dev, staging and production differ."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from shared.errors import ConfigError


class BillingMode(str, Enum):
    """DynamoDB billing modes, spelled as the AWS API spells them."""

    PAY_PER_REQUEST = "PAY_PER_REQUEST"
    PROVISIONED = "PROVISIONED"


# CloudWatch Logs rejects any retention outside this set (PutRetentionPolicy).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
LAMBDA_MEMORY_MB = (128, 10240)
LAMBDA_TIMEOUT_SECONDS = (1, 900)
LAMBDA_RESERVED_CONCURRENCY = (1, 1000)
LAMBDA_ARCHITECTURE = "arm64"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class EnvironmentProfile:
    """Everything that is sized per environment; stack config may override documented keys."""

    name: str
    lambda_memory_mb: int
    lambda_timeout_seconds: int
    dynamodb_billing_mode: BillingMode
    # Provisioned capacity is the autoscaling floor; ignored for on-demand tables.
    dynamodb_min_capacity: int
    dynamodb_max_capacity: int
    s3_versioning: bool
    log_retention_days: int
    vpc_cidr: str
    az_count: int
    # Production-grade guards: deletion protection, no force-destroy, confirmation to destroy.
    protected: bool
    # Caps what one environment can take of the account's Lambda concurrency, so a runaway
    # dev loop cannot starve production (AWS keeps 100 unreserved per account: new accounts
    # with a lower quota must lower these through trading-compute:lambda_reserved_concurrency).
    lambda_reserved_concurrency: int
    lambda_architecture: str = LAMBDA_ARCHITECTURE

    def __post_init__(self) -> None:
        # The matrix itself goes through the same checks as user overrides.
        validate_memory("lambda_memory_mb", self.lambda_memory_mb)
        validate_timeout("lambda_timeout_seconds", self.lambda_timeout_seconds)
        validate_retention("log_retention_days", self.log_retention_days)
        validate_cidr("vpc_cidr", self.vpc_cidr)
        validate_range("az_count", self.az_count, 2, 6)
        validate_reserved_concurrency(
            "lambda_reserved_concurrency", self.lambda_reserved_concurrency
        )
        validate_range("dynamodb_min_capacity", self.dynamodb_min_capacity, 1, 40000)
        validate_range(
            "dynamodb_max_capacity", self.dynamodb_max_capacity, self.dynamodb_min_capacity, 40000
        )


def validate_range(key: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ConfigError(key, value, f"an integer from {low} to {high}")
    return value


def validate_memory(key: str, value: int) -> int:
    return validate_range(key, value, *LAMBDA_MEMORY_MB)


def validate_timeout(key: str, value: int) -> int:
    return validate_range(key, value, *LAMBDA_TIMEOUT_SECONDS)


def validate_reserved_concurrency(key: str, value: int) -> int:
    return validate_range(key, value, *LAMBDA_RESERVED_CONCURRENCY)


def validate_retention(key: str, value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ConfigError(key, value, f"one of the CloudWatch Logs retention periods {allowed}")
    return value


def validate_cidr(key: str, value: str) -> str:
    """A private IPv4 block AWS accepts for a VPC (/16 to /24 here, leaving room for subnets)."""
    allowed = "a private IPv4 CIDR block from /16 to /24, such as 10.10.0.0/16"
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ConfigError(key, value, allowed) from None
    if not network.is_private or not 16 <= network.prefixlen <= 24:
        raise ConfigError(key, value, allowed)
    return str(network)


def parse_billing_mode(key: str, value: str) -> BillingMode:
    try:
        return BillingMode(value)
    except ValueError:
        allowed = " or ".join(mode.value for mode in BillingMode)
        raise ConfigError(key, value, allowed) from None


_PROFILES = (
    EnvironmentProfile(
        name="dev",
        lambda_memory_mb=512,
        lambda_timeout_seconds=30,
        dynamodb_billing_mode=BillingMode.PAY_PER_REQUEST,
        dynamodb_min_capacity=5,
        dynamodb_max_capacity=50,
        s3_versioning=False,
        log_retention_days=7,
        vpc_cidr="10.10.0.0/16",
        az_count=2,
        protected=False,
        lambda_reserved_concurrency=5,
    ),
    EnvironmentProfile(
        name="staging",
        lambda_memory_mb=1024,
        lambda_timeout_seconds=30,
        dynamodb_billing_mode=BillingMode.PAY_PER_REQUEST,
        dynamodb_min_capacity=5,
        dynamodb_max_capacity=100,
        s3_versioning=False,
        log_retention_days=30,
        vpc_cidr="10.20.0.0/16",
        az_count=2,
        protected=False,
        lambda_reserved_concurrency=20,
    ),
    EnvironmentProfile(
        name="production",
        lambda_memory_mb=2048,
        lambda_timeout_seconds=60,
        dynamodb_billing_mode=BillingMode.PROVISIONED,
        dynamodb_min_capacity=25,
        dynamodb_max_capacity=1000,
        s3_versioning=True,
        log_retention_days=90,
        vpc_cidr="10.30.0.0/16",
        az_count=3,
        protected=True,
        lambda_reserved_concurrency=100,
    ),
)

PROFILES: Mapping[str, EnvironmentProfile] = MappingProxyType({p.name: p for p in _PROFILES})
ENVIRONMENTS: tuple[str, ...] = tuple(PROFILES)


def profile_for(environment: str) -> EnvironmentProfile:
    """The profile of a known environment, or a ConfigError naming the allowed ones."""
    try:
        return PROFILES[environment]
    except KeyError:
        raise ConfigError("environment", environment, f"one of {', '.join(ENVIRONMENTS)}") from None
