"""One typed, validated settings object per stack, built once from stack config and the profile.

Parsing is plain Python over a mapping of raw values, so every rule is testable without the
Pulumi runtime; `load_*` read the running stack's config and turn a ConfigError into a
`pulumi.RunError`, which the engine prints as one line instead of a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import config as runtime_config

from shared import environments as env
from shared.environments import (
    AlarmThresholds,
    BillingMode,
    EnvironmentProfile,
    MarketHours,
    ThroughputQuotas,
)
from shared.errors import ConfigError
from shared.layers import COMPUTE, DATA, NETWORK, Layer
from shared.naming import NameKind, Naming, check_name, tags

# Documented per-project config keys (README "Configuration"); anything else is a typo.
NETWORK_KEYS = ("vpc_cidr", "az_count", "log_retention_days")
DATA_KEYS = (
    "bucket_name",
    "bucket_suffix",
    "billing_mode",
    "min_capacity",
    "max_capacity",
    "table_quota",
    "account_quota",
    "alarm_emails",
)
COMPUTE_KEYS = (
    "lambda_memory_mb",
    "lambda_timeout_seconds",
    "lambda_reserved_concurrency",
    "log_retention_days",
    "upstream_org",
)
# Self-managed backends (file, S3) put every stack in this organization.
DEFAULT_ORGANIZATION = "organization"


@dataclass(frozen=True)
class StackContext:
    """What every stack knows about itself: environment, region, layer, profile."""

    layer: Layer
    environment: str
    region: str
    profile: EnvironmentProfile = field(repr=False)

    @property
    def naming(self) -> Naming:
        return Naming(self.environment, self.region)

    @property
    def tags(self) -> dict[str, str]:
        return tags(self.environment, self.layer.name)


@dataclass(frozen=True)
class NetworkSettings:
    context: StackContext
    vpc_cidr: str
    az_count: int
    log_retention_days: int


@dataclass(frozen=True)
class DataSettings:
    context: StackContext
    table_name: str
    bucket_name: str
    billing_mode: BillingMode
    min_capacity: int
    max_capacity: int
    # The DynamoDB quotas the maximum was checked against (declared, not read from the account:
    # preflight reads those), and the market session the write floor follows (provisioned only).
    quotas: ThroughputQuotas
    market_hours: MarketHours | None
    versioning: bool
    protected: bool
    stream_name: str
    stream_shards: int
    stream_retention_hours: int
    failure_queue_name: str
    alarm_topic_name: str
    # Email addresses subscribed to the alarm topic (each confirms by mail); none by default.
    alarm_emails: tuple[str, ...]
    alarms: AlarmThresholds


@dataclass(frozen=True)
class ComputeSettings:
    context: StackContext
    function_name: str
    role_name: str
    log_group_name: str
    dlq_name: str
    memory_mb: int
    # None: none reserved (the account's unreserved pool); see the matrix.
    reserved_concurrency: int | None
    timeout_seconds: int
    log_retention_days: int
    architecture: str
    network_stack: str
    data_stack: str
    stream: StreamMapping
    trade_max_age_hours: int
    trade_max_ahead_seconds: int
    alarms: AlarmThresholds
    dashboard_name: str


@dataclass(frozen=True)
class StreamMapping:
    """How Lambda reads the trade stream (the event source mapping), from the matrix."""

    batch_size: int
    batching_window_seconds: int
    parallelization_factor: int
    max_retry_attempts: int
    max_record_age_seconds: int


# ---- parsing (pure) -------------------------------------------------------------------------

_T = TypeVar("_T")


class _Values:
    """Raw config values of one project, with the full key name in every error."""

    def __init__(self, project: str, values: Mapping[str, Any], known: tuple[str, ...]) -> None:
        self.project = project
        self.values = values
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(
                self.key(unknown[0]), values[unknown[0]], f"a known key: {', '.join(known)}"
            )

    def key(self, name: str) -> str:
        return f"{self.project}:{name}"

    def get(self, name: str, default: _T, parse: Callable[[str, Any], _T]) -> _T:
        raw = self.values.get(name)
        return default if raw is None else parse(self.key(name), raw)


def _as_int(key: str, raw: Any) -> int:
    # Config numbers reach the program as strings ("1024") or, via JSON, floats (1024.0).
    if isinstance(raw, bool):
        raise ConfigError(key, raw, "a whole number")
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    try:
        number = float(text)
    except ValueError:
        raise ConfigError(key, raw, "a whole number") from None
    if not number.is_integer():
        raise ConfigError(key, raw, "a whole number")
    return int(number)


def _parser(validate: Callable[[str, int], int]) -> Callable[[str, Any], int]:
    return lambda key, raw: validate(key, _as_int(key, raw))


def _context(layer: Layer, environment: str, region: str | None) -> StackContext:
    profile = env.profile_for(environment)
    naming = Naming(environment, region or env.DEFAULT_REGION)
    return StackContext(layer, environment, naming.region, profile)


def parse_network(environment: str, region: str | None, raw: Mapping[str, Any]) -> NetworkSettings:
    ctx = _context(NETWORK, environment, region)
    values = _Values(NETWORK.project, raw, NETWORK_KEYS)
    p = ctx.profile
    return NetworkSettings(
        context=ctx,
        vpc_cidr=values.get("vpc_cidr", p.vpc_cidr, lambda k, v: env.validate_cidr(k, str(v))),
        az_count=values.get(
            "az_count", p.az_count, _parser(lambda k, v: env.validate_range(k, v, 2, 6))
        ),
        log_retention_days=values.get(
            "log_retention_days", p.log_retention_days, _parser(env.validate_retention)
        ),
    )


def parse_data(environment: str, region: str | None, raw: Mapping[str, Any]) -> DataSettings:
    ctx = _context(DATA, environment, region)
    values = _Values(DATA.project, raw, DATA_KEYS)
    p = ctx.profile
    capacity = _parser(env.validate_capacity)
    billing_mode = values.get(
        "billing_mode", p.dynamodb_billing_mode, lambda k, v: env.parse_billing_mode(k, str(v))
    )
    min_capacity = values.get("min_capacity", p.dynamodb_min_capacity, capacity)
    max_capacity = values.get("max_capacity", max(p.dynamodb_max_capacity, min_capacity), capacity)
    if max_capacity < min_capacity:
        raise ConfigError(
            values.key("max_capacity"), max_capacity, f"at least min_capacity ({min_capacity})"
        )
    quotas = ThroughputQuotas(
        table=values.get("table_quota", p.dynamodb_quotas.table, capacity_quota),
        account=values.get("account_quota", p.dynamodb_quotas.account, capacity_quota),
    )
    provisioned = billing_mode is env.BillingMode.PROVISIONED
    market_hours = p.market_hours if provisioned else None
    if provisioned:
        declared = (
            "the stack's config"
            if {"table_quota", "account_quota"} & set(values.values)
            else f"the matrix for {environment}"
        )
        env.validate_within_quotas(values.key("max_capacity"), max_capacity, quotas, declared)
    if market_hours is not None and not min_capacity <= market_hours.floor_capacity <= max_capacity:
        # The schedule raises the floor to a fixed figure: it must lie within what is configured.
        name = "max_capacity" if market_hours.floor_capacity > max_capacity else "min_capacity"
        raise ConfigError(
            values.key(name),
            min_capacity if name == "min_capacity" else max_capacity,
            f"{'at least' if name == 'max_capacity' else 'at most'} the market-hours floor "
            f"({market_hours.floor_capacity:,} WCU, shared/environments.py)",
        )
    if billing_mode is env.BillingMode.PAY_PER_REQUEST:
        # Capacities would be silently ignored on an on-demand table: refuse them instead.
        for name in ("min_capacity", "max_capacity", "table_quota", "account_quota"):
            if values.values.get(name) is not None:
                raise ConfigError(
                    values.key(name),
                    values.values[name],
                    "no value: capacities and their quotas apply to PROVISIONED tables, and "
                    f"{environment}'s is PAY_PER_REQUEST (set {values.key('billing_mode')}: "
                    "PROVISIONED to use them)",
                )
    return DataSettings(
        context=ctx,
        table_name=ctx.naming.name("analytics-table", NameKind.DYNAMODB_TABLE),
        # Bucket names are global across all AWS accounts: an organisation's suffix keeps the
        # convention's name and makes it its own; a whole name may be given instead.
        bucket_name=values.get(
            "bucket_name",
            _bucket(ctx, values.get("bucket_suffix", "", _suffix), values.key("bucket_suffix")),
            lambda k, v: check_name(NameKind.S3_BUCKET, str(v), k),
        ),
        billing_mode=billing_mode,
        min_capacity=min_capacity,
        max_capacity=max_capacity,
        quotas=quotas,
        market_hours=market_hours,
        versioning=p.s3_versioning,
        protected=p.protected,
        stream_name=ctx.naming.name("trades", NameKind.KINESIS_STREAM),
        stream_shards=p.stream_shards,
        stream_retention_hours=p.stream_retention_hours,
        failure_queue_name=ctx.naming.name("trade-failures", NameKind.SQS_QUEUE),
        alarm_topic_name=ctx.naming.name("trading-alarms", NameKind.SNS_TOPIC),
        alarm_emails=values.get("alarm_emails", (), _emails),
        alarms=p.alarms,
    )


def capacity_quota(key: str, raw: Any) -> int:
    return env.validate_range(key, _as_int(key, raw), 1, 10_000_000)


def parse_compute(environment: str, region: str | None, raw: Mapping[str, Any]) -> ComputeSettings:
    ctx = _context(COMPUTE, environment, region)
    values = _Values(COMPUTE.project, raw, COMPUTE_KEYS)
    p = ctx.profile
    org = values.get("upstream_org", DEFAULT_ORGANIZATION, _organization)
    function_name = ctx.naming.name("data-processor", NameKind.LAMBDA_FUNCTION)
    return ComputeSettings(
        context=ctx,
        function_name=function_name,
        role_name=ctx.naming.name("data-processor-role", NameKind.IAM_ROLE),
        # Lambda writes to /aws/lambda/<function name>; creating it first lets us own retention.
        log_group_name=check_name(NameKind.LOG_GROUP, f"/aws/lambda/{function_name}"),
        dlq_name=ctx.naming.name("data-processor-dlq", NameKind.SQS_QUEUE),
        memory_mb=values.get("lambda_memory_mb", p.lambda_memory_mb, _parser(env.validate_memory)),
        reserved_concurrency=values.get(
            "lambda_reserved_concurrency", p.lambda_reserved_concurrency, _reservation
        ),
        timeout_seconds=values.get(
            "lambda_timeout_seconds", p.lambda_timeout_seconds, _parser(env.validate_timeout)
        ),
        log_retention_days=values.get(
            "log_retention_days", p.log_retention_days, _parser(env.validate_retention)
        ),
        architecture=p.lambda_architecture,
        network_stack=stack_reference_name(org, NETWORK, environment),
        data_stack=stack_reference_name(org, DATA, environment),
        stream=StreamMapping(
            batch_size=p.stream_batch_size,
            batching_window_seconds=p.stream_batching_window_seconds,
            parallelization_factor=p.stream_parallelization_factor,
            max_retry_attempts=p.stream_max_retry_attempts,
            max_record_age_seconds=p.stream_max_record_age_seconds,
        ),
        trade_max_age_hours=p.trade_max_age_hours,
        trade_max_ahead_seconds=p.trade_max_ahead_seconds,
        alarms=p.alarms,
        dashboard_name=ctx.naming.name("trading-analytics", NameKind.DASHBOARD),
    )


_SUFFIX = re.compile(r"^[a-z0-9]([a-z0-9-]{0,22}[a-z0-9])?$")


def _suffix(key: str, raw: Any) -> str:
    text = str(raw)
    if not _SUFFIX.match(text):
        raise ConfigError(
            key, raw, "1 to 24 lowercase letters, digits and -, such as your organisation's name"
        )
    return text


def _bucket(ctx: StackContext, suffix: str, key: str) -> str:
    try:
        return ctx.naming.global_name("data-archive", NameKind.S3_BUCKET, suffix)
    except ConfigError as error:  # too long with the suffix: said of the suffix
        raise ConfigError(key, suffix, f"a shorter suffix: {error.allowed}") from None


UNRESERVED = "none"


def _reservation(key: str, raw: Any) -> int | None:
    """A reserved concurrency (1..1000), or `none` for none reserved."""
    if isinstance(raw, str) and raw.strip().lower() == UNRESERVED:
        return None
    low, high = env.LAMBDA_RESERVED_CONCURRENCY
    allowed = f"a whole number from {low} to {high}, or {UNRESERVED} (none reserved)"
    try:
        number = _as_int(key, raw)
    except ConfigError:
        raise ConfigError(key, raw, allowed) from None
    if not low <= number <= high:
        raise ConfigError(key, raw, allowed)
    return number


# Deliberately plain: one @, no spaces, a dot in the domain. SNS itself confirms the address.
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")


def _emails(key: str, raw: Any) -> tuple[str, ...]:
    """A list (YAML/JSON) or a comma-separated string of email addresses."""
    if isinstance(raw, str) and raw.strip().startswith("["):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise ConfigError(key, raw, "a list of email addresses") from None
    items = raw if isinstance(raw, list) else str(raw).split(",")
    emails = tuple(str(item).strip() for item in items if str(item).strip())
    for email in emails:
        if not _EMAIL.match(email):
            raise ConfigError(key, email, "email addresses such as oncall@example.com")
    if len(set(emails)) != len(emails):
        raise ConfigError(key, raw, "each email address once")
    return emails


def _organization(key: str, raw: Any) -> str:
    text = str(raw)
    if not text or "/" in text or text.strip() != text:
        raise ConfigError(key, raw, "an organization name without '/' or spaces")
    return text


def stack_reference_name(organization: str, layer: Layer, environment: str) -> str:
    """Fully qualified `<org>/<project>/<stack>` of one layer in one environment."""
    return f"{organization}/{layer.project}/{environment}"


# ---- reading the running stack --------------------------------------------------------------


def _load(layer: Layer, parse: Callable[[str, str | None, Mapping[str, Any]], _T]) -> _T:
    prefix = f"{layer.project}:"
    # The engine hands the program every config key; reading them all is how typos are caught.
    all_config = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    raw = {k[len(prefix) :]: v for k, v in all_config.items() if k.startswith(prefix)}
    region = pulumi.Config("aws").get("region")
    try:
        return parse(pulumi.get_stack(), region, raw)
    except ConfigError as error:
        raise pulumi.RunError(
            f"invalid configuration for stack {layer.project}/{pulumi.get_stack()}: {error}"
        ) from None


def load_network() -> NetworkSettings:
    return _load(NETWORK, parse_network)


def load_data() -> DataSettings:
    return _load(DATA, parse_data)


def load_compute() -> ComputeSettings:
    return _load(COMPUTE, parse_compute)


# Each layer's parser, for checking a stack file before any engine runs it (orchestration).
PARSERS: Mapping[str, Callable[[str, str | None, Mapping[str, Any]], object]] = {
    NETWORK.name: parse_network,
    DATA.name: parse_data,
    COMPUTE.name: parse_compute,
}
