"""The environment matrix: the one place where dev, staging and production differ."""

from __future__ import annotations

import argparse
import ipaddress
import re
import zoneinfo
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
# What the API takes for a provisioned capacity; the account's quotas bound it further
# (`ThroughputQuotas`).
DYNAMODB_CAPACITY = (1, 400_000)
# DynamoDB's default throughput quotas, provisioned mode, reads and writes each (Service Quotas,
# Amazon DynamoDB: "Table-level write throughput limit", "Account-level write throughput limit";
# the read ones are the same figures). An on-demand table's default maximum is the table figure.
DEFAULT_TABLE_QUOTA = 40_000
DEFAULT_ACCOUNT_QUOTA = 80_000
# Application Auto Scaling's scheduled actions are cron in the exchange's own zone; days as its
# cron's day-of-week field takes them.
MARKET_DAYS = ("MON-FRI", "MON-SAT", "SUN-FRI", "MON-SUN")
# Kinesis limits (Kinesis Data Streams developer guide, "Quotas and limits"; Lambda's event
# source mapping parameters for Kinesis).
STREAM_SHARDS = (1, 500)
STREAM_RETENTION_HOURS = (24, 8760)
STREAM_BATCH_SIZE = (1, 10_000)
STREAM_BATCHING_WINDOW_SECONDS = (0, 300)
STREAM_PARALLELIZATION_FACTOR = (1, 10)
# -1 (retry until the record expires) is allowed by Lambda but never here: retries are bounded.
STREAM_RETRY_ATTEMPTS = (0, 10_000)
STREAM_RECORD_AGE_SECONDS = (60, 604_800)
LAMBDA_ARCHITECTURE = "arm64"
DEFAULT_REGION = "us-east-1"


# CloudWatch periods the alarms may use (standard resolution: 60 s and its multiples).
ALARM_PERIODS_SECONDS = (60, 300, 900, 3600)


@dataclass(frozen=True)
class AlarmThresholds:
    """When each alarm fires (shared/components/monitoring.py), per environment.

    An alarm fires when its statistic reaches the threshold in `evaluation_periods` consecutive
    periods of `period_seconds`; missing data (no traffic) is not breaching.
    """

    period_seconds: int
    evaluation_periods: int
    # The function: errors and throttles per period; its longest run against its timeout; its
    # concurrent executions against its reservation.
    function_errors: int
    function_throttles: int
    duration_percent_of_timeout: int
    concurrency_percent_of_reserved: int
    # Messages waiting in the dead-letter and failure queues (1: any at all).
    failed_messages: int
    # The ingestion stream's backlog: the age of the oldest record not yet read.
    stream_iterator_age_seconds: int
    # The table: throttled requests and system errors per period; consumed write capacity
    # against the provisioned (alarmed only where the table is provisioned).
    table_throttled_requests: int
    table_system_errors: int
    write_capacity_percent: int

    def __post_init__(self) -> None:
        if self.period_seconds not in ALARM_PERIODS_SECONDS:
            allowed = ", ".join(str(p) for p in ALARM_PERIODS_SECONDS)
            raise ConfigError("alarms.period_seconds", self.period_seconds, f"one of {allowed}")
        validate_range("alarms.evaluation_periods", self.evaluation_periods, 1, 60)
        for key in (
            "function_errors",
            "function_throttles",
            "failed_messages",
            "table_throttled_requests",
            "table_system_errors",
        ):
            validate_range(f"alarms.{key}", getattr(self, key), 1, 1_000_000)
        for key in (
            "duration_percent_of_timeout",
            "concurrency_percent_of_reserved",
            "write_capacity_percent",
        ):
            validate_range(f"alarms.{key}", getattr(self, key), 1, 100)
        validate_range(
            "alarms.stream_iterator_age_seconds", self.stream_iterator_age_seconds, 1, 7 * 86400
        )


@dataclass(frozen=True)
class ThroughputQuotas:
    """The DynamoDB quotas an environment's account is declared to have, reads and writes each.

    The table's autoscaling maximum must fit them: above them autoscaling stops at the quota,
    short of the capacity the environment claims. AWS's defaults unless raised in Service Quotas
    (preflight reads the account's real figures and refuses a shortfall).
    """

    table: int = DEFAULT_TABLE_QUOTA
    account: int = DEFAULT_ACCOUNT_QUOTA

    def __post_init__(self) -> None:
        validate_range("dynamodb_quotas.table", self.table, 1, 10_000_000)
        validate_range("dynamodb_quotas.account", self.account, 1, 10_000_000)

    @property
    def ceiling(self) -> int:
        """The largest autoscaling maximum both quotas allow (one provisioned table)."""
        return min(self.table, self.account)


@dataclass(frozen=True)
class MarketHours:
    """When trading happens, in the exchange's time zone: the table's write floor is raised
    `lead_minutes` before the open and lowered `after_minutes` after the close (two Application
    Auto Scaling scheduled actions), so the open is met by provisioned capacity rather than by
    target tracking, which reacts after minutes of load and grows in steps (AWS: do not rely on
    auto scaling for short spikes).
    """

    timezone: str  # IANA, as Application Auto Scaling's Timezone takes it
    open: str  # HH:MM, local
    close: str  # HH:MM, local
    floor_capacity: int  # WCU while the market is open
    days: str = "MON-FRI"
    # A large increase takes minutes to apply (the table is UPDATING meanwhile); half an hour
    # leaves room. The floor stays up for the closing auction's reports after the close.
    lead_minutes: int = 30
    after_minutes: int = 15

    def __post_init__(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                "market_hours.timezone",
                self.timezone,
                "an IANA time zone, such as America/New_York",
            ) from None
        if self.days not in MARKET_DAYS:
            raise ConfigError("market_hours.days", self.days, f"one of {', '.join(MARKET_DAYS)}")
        validate_range("market_hours.lead_minutes", self.lead_minutes, 0, 240)
        validate_range("market_hours.after_minutes", self.after_minutes, 0, 240)
        validate_capacity("market_hours.floor_capacity", self.floor_capacity)
        opens, closes = (
            _minutes("market_hours.open", self.open),
            _minutes("market_hours.close", self.close),
        )
        if closes <= opens:
            raise ConfigError(
                "market_hours.close", self.close, f"later than the open ({self.open})"
            )
        if opens - self.lead_minutes < 0 or closes + self.after_minutes >= 24 * 60:
            raise ConfigError(
                "market_hours",
                f"{self.open}-{self.close}",
                "a session whose raised floor (lead and after minutes too) stays within one day",
            )

    @property
    def raise_at(self) -> tuple[int, int]:
        """(hour, minute) the floor is raised, local."""
        return divmod(_minutes("market_hours.open", self.open) - self.lead_minutes, 60)

    @property
    def lower_at(self) -> tuple[int, int]:
        """(hour, minute) the floor is lowered, local."""
        return divmod(_minutes("market_hours.close", self.close) + self.after_minutes, 60)


def _minutes(key: str, value: str) -> int:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if not match:
        raise ConfigError(key, value, "a time of day as HH:MM (24-hour), such as 09:30")
    return int(match[1]) * 60 + int(match[2])


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
    # The quotas the maximum needs (the defaults unless the account's were raised), and the
    # market session the write floor is raised for (provisioned tables only; None: no schedule).
    dynamodb_quotas: ThroughputQuotas
    market_hours: MarketHours | None
    s3_versioning: bool
    log_retention_days: int
    vpc_cidr: str
    az_count: int
    # Production-grade guards: deletion protection, no force-destroy, confirmation to destroy.
    protected: bool
    # Pulumi's `protect` and `retainOnDelete` on every stateful resource (shared/stateful.py):
    # the engine refuses to delete or replace them, and a destroy leaves them in AWS.
    protect_stateful: bool
    # Lambda concurrency set aside for the function, which is also its ceiling; None: none
    # reserved, the function draws on the account's unreserved pool. Lambda keeps 100 of an
    # account's concurrency unreserved, and new accounts often start with a quota of 10 or 50,
    # on which any reservation fails ("decreases account's UnreservedConcurrentExecution below
    # its minimum value"). So dev and staging reserve none and deploy into any account;
    # production reserves its consumers' worth, guaranteed against the account's other
    # functions and capped so a runaway cannot take the account (preflight checks that the
    # account's quota leaves 100 unreserved after it: `nox -s preflight`).
    lambda_reserved_concurrency: int | None
    # What the environment is sized for (docs/capacity.md shows the arithmetic, and a test
    # checks that the capacity below sustains it): trades/s overall, and on one symbol.
    design_trades_per_second: int
    design_trades_per_second_one_symbol: int
    # The trade stream (Kinesis, provisioned shards) and how Lambda reads it.
    stream_shards: int
    stream_retention_hours: int
    stream_batch_size: int
    stream_batching_window_seconds: int
    stream_parallelization_factor: int
    stream_max_retry_attempts: int
    stream_max_record_age_seconds: int
    # How far from the time of processing a trade's timestamp may lie (the function rejects
    # the rest with the reason): late corrections within the age, producers' clock skew ahead.
    trade_max_age_hours: int
    trade_max_ahead_seconds: int
    alarms: AlarmThresholds
    lambda_architecture: str = LAMBDA_ARCHITECTURE

    def __post_init__(self) -> None:
        # The matrix itself goes through the same checks as user overrides.
        validate_memory("lambda_memory_mb", self.lambda_memory_mb)
        validate_timeout("lambda_timeout_seconds", self.lambda_timeout_seconds)
        validate_retention("log_retention_days", self.log_retention_days)
        validate_cidr("vpc_cidr", self.vpc_cidr)
        validate_range("az_count", self.az_count, 2, 6)
        if self.lambda_reserved_concurrency is not None:
            validate_reserved_concurrency(
                "lambda_reserved_concurrency", self.lambda_reserved_concurrency
            )
        validate_capacity("dynamodb_min_capacity", self.dynamodb_min_capacity)
        validate_range(
            "dynamodb_max_capacity",
            self.dynamodb_max_capacity,
            self.dynamodb_min_capacity,
            DYNAMODB_CAPACITY[1],
        )
        validate_within_quotas(
            "dynamodb_max_capacity", self.dynamodb_max_capacity, self.dynamodb_quotas, "the matrix"
        )
        if self.market_hours is not None:
            validate_range(
                "market_hours.floor_capacity",
                self.market_hours.floor_capacity,
                self.dynamodb_min_capacity,
                self.dynamodb_max_capacity,
            )
        validate_range("stream_shards", self.stream_shards, *STREAM_SHARDS)
        validate_range(
            "stream_retention_hours", self.stream_retention_hours, *STREAM_RETENTION_HOURS
        )
        validate_range("stream_batch_size", self.stream_batch_size, *STREAM_BATCH_SIZE)
        validate_range(
            "stream_batching_window_seconds",
            self.stream_batching_window_seconds,
            *STREAM_BATCHING_WINDOW_SECONDS,
        )
        validate_range(
            "stream_parallelization_factor",
            self.stream_parallelization_factor,
            *STREAM_PARALLELIZATION_FACTOR,
        )
        validate_range(
            "stream_max_retry_attempts", self.stream_max_retry_attempts, *STREAM_RETRY_ATTEMPTS
        )
        validate_range(
            "stream_max_record_age_seconds",
            self.stream_max_record_age_seconds,
            *STREAM_RECORD_AGE_SECONDS,
        )
        validate_range("trade_max_age_hours", self.trade_max_age_hours, 1, 24 * 366)
        validate_range("trade_max_ahead_seconds", self.trade_max_ahead_seconds, 1, 3600)


def validate_range(key: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ConfigError(key, value, f"an integer from {low} to {high}")
    return value


def validate_capacity(key: str, value: int) -> int:
    return validate_range(key, value, *DYNAMODB_CAPACITY)


def validate_within_quotas(key: str, value: int, quotas: ThroughputQuotas, declared: str) -> int:
    """An autoscaling maximum the declared quotas allow; the error says which quota to raise."""
    if value > quotas.ceiling:
        scope = "table" if quotas.table <= quotas.account else "account"
        raise ConfigError(
            key,
            value,
            f"at most {quotas.ceiling:,}, the DynamoDB {scope}-level throughput quota declared in "
            f"{declared} (AWS's defaults are {DEFAULT_TABLE_QUOTA:,} a table and "
            f"{DEFAULT_ACCOUNT_QUOTA:,} an account): raise it in Service Quotas first, then "
            "declare it (trading-data:table_quota, trading-data:account_quota)",
        )
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
        dynamodb_quotas=ThroughputQuotas(),
        market_hours=None,
        s3_versioning=False,
        log_retention_days=7,
        vpc_cidr="10.10.0.0/16",
        az_count=2,
        protected=False,
        protect_stateful=False,
        lambda_reserved_concurrency=None,
        design_trades_per_second=500,
        design_trades_per_second_one_symbol=500,
        stream_shards=1,
        stream_retention_hours=24,
        stream_batch_size=100,
        stream_batching_window_seconds=5,
        stream_parallelization_factor=1,
        stream_max_retry_attempts=2,
        stream_max_record_age_seconds=3600,
        trade_max_age_hours=24 * 30,
        trade_max_ahead_seconds=300,
        # Dev tells someone who is watching; it pages no one (no subscription by default).
        alarms=AlarmThresholds(
            period_seconds=300,
            evaluation_periods=1,
            function_errors=5,
            function_throttles=5,
            duration_percent_of_timeout=90,
            concurrency_percent_of_reserved=100,
            failed_messages=1,
            stream_iterator_age_seconds=3600,
            table_throttled_requests=10,
            table_system_errors=1,
            write_capacity_percent=90,
        ),
    ),
    EnvironmentProfile(
        name="staging",
        lambda_memory_mb=1024,
        lambda_timeout_seconds=30,
        dynamodb_billing_mode=BillingMode.PAY_PER_REQUEST,
        dynamodb_min_capacity=5,
        dynamodb_max_capacity=100,
        dynamodb_quotas=ThroughputQuotas(),
        market_hours=None,
        s3_versioning=False,
        log_retention_days=30,
        vpc_cidr="10.20.0.0/16",
        az_count=2,
        protected=False,
        protect_stateful=False,
        lambda_reserved_concurrency=None,
        design_trades_per_second=2_000,
        design_trades_per_second_one_symbol=2_000,
        stream_shards=4,
        stream_retention_hours=24,
        stream_batch_size=500,
        stream_batching_window_seconds=2,
        stream_parallelization_factor=1,
        stream_max_retry_attempts=3,
        stream_max_record_age_seconds=3600,
        trade_max_age_hours=24 * 7,
        trade_max_ahead_seconds=300,
        alarms=AlarmThresholds(
            period_seconds=300,
            evaluation_periods=1,
            function_errors=1,
            function_throttles=1,
            duration_percent_of_timeout=80,
            concurrency_percent_of_reserved=90,
            failed_messages=1,
            stream_iterator_age_seconds=600,
            table_throttled_requests=5,
            table_system_errors=1,
            write_capacity_percent=80,
        ),
    ),
    EnvironmentProfile(
        name="production",
        lambda_memory_mb=2048,
        lambda_timeout_seconds=60,
        dynamodb_billing_mode=BillingMode.PROVISIONED,
        dynamodb_min_capacity=25,
        # 50,000 trades/s at 2.02 WCU each need 101,000 WCU: above AWS's default quotas, so
        # production declares the raised ones it needs (raise both before its first deploy;
        # preflight refuses an account without them). docs/capacity.md, "Quotas".
        dynamodb_max_capacity=110_000,
        dynamodb_quotas=ThroughputQuotas(table=110_000, account=110_000),
        # US equities' regular session. From 09:00 New York time the table holds 20,000 WCU
        # (9,900 trades/s with no scaling), and target tracking grows it from there.
        market_hours=MarketHours(
            timezone="America/New_York", open="09:30", close="16:00", floor_capacity=20_000
        ),
        s3_versioning=True,
        log_retention_days=90,
        vpc_cidr="10.30.0.0/16",
        az_count=3,
        protected=True,
        protect_stateful=True,
        lambda_reserved_concurrency=100,
        design_trades_per_second=50_000,
        design_trades_per_second_one_symbol=20_000,
        stream_shards=64,
        stream_retention_hours=72,
        stream_batch_size=1_000,
        stream_batching_window_seconds=1,
        stream_parallelization_factor=1,
        stream_max_retry_attempts=5,
        stream_max_record_age_seconds=6 * 3600,
        trade_max_age_hours=24 * 7,
        trade_max_ahead_seconds=300,
        # Minute periods, three in a row: fast enough to act on, not one blip.
        alarms=AlarmThresholds(
            period_seconds=60,
            evaluation_periods=3,
            function_errors=1,
            function_throttles=1,
            duration_percent_of_timeout=80,
            concurrency_percent_of_reserved=80,
            failed_messages=1,
            stream_iterator_age_seconds=60,
            table_throttled_requests=1,
            table_system_errors=1,
            write_capacity_percent=80,
        ),
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


def check_environment(environment: str) -> str:
    """The name itself when the matrix has it; otherwise the one error every command gives."""
    profile_for(environment)
    return environment


def add_environments_argument(parser: argparse.ArgumentParser) -> None:
    """The `[ENV ...]` of the synth and guardrails commands: none means every environment."""
    parser.add_argument(
        "environments",
        nargs="*",
        metavar="ENV",
        type=environment_argument,
        help=f"default: {' '.join(ENVIRONMENTS)}",
    )


def environment_argument(value: str) -> str:
    """argparse `type=` for an ENV argument: the same one-line error, as a usage error."""
    try:
        return check_environment(value)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
