"""Capacity and cost by arithmetic, from what the synthesized stacks actually configure.

Each environment's ceiling is the smallest of what its parts sustain, read from the synth
document (not from the matrix, so a program that ignored the matrix would show here):
- the stream: shards x 1,000 records/s (one trade per record; 1 MiB/s per shard allows
  5,242 records of 200 bytes, so the record count binds);
- the consumers: Lambda runs one batch per shard at a time (times the parallelization
  factor), capped by the function's reserved concurrency, each committing
  CONSUMER_TRADES_PER_SECOND;
- the table's write ceiling: the autoscaling maximum (provisioned) or the default on-demand
  table quota, over WCU_PER_TRADE;
- for one symbol, also its rollup partition: every writer's shard of a symbol-day shares one
  partition key, written once per transaction, under DynamoDB's 1,000 WCU per partition.
What an idle provisioned table takes at once, before target tracking reacts (minutes), is its
floor: in market hours the scheduled floor (the write target's scheduled actions), counted in
both the "at the open" figure and the fixed cost. The quotas each figure needs are the matrix's
declared ones (quotas are not resources, so the synth cannot carry them) beside AWS's defaults.
A symbol is not capped by one shard: producers spread its trades over every shard (lanes,
docs/data-processor.md), so a symbol's ceiling is the stream's.

`python -m synth.capacity` (and `nox -s docs`) rewrites the generated tables in
docs/capacity.md and README.md; a test keeps them equal to this arithmetic.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.environments import DEFAULT_ACCOUNT_QUOTA, DEFAULT_TABLE_QUOTA, ENVIRONMENTS, PROFILES
from shared.layers import REPO_ROOT
from synth.synthesize import synth_environment

# ---- AWS limits (service quotas and documented costs) ----------------------------------------
# Kinesis Data Streams, "Quotas and limits": writes per shard.
SHARD_RECORDS_PER_SECOND = 1_000
SHARD_BYTES_PER_SECOND = 1_048_576
# DynamoDB, "Capacity for transactions": a transactional write of an item up to 1 KB is 2 WCU.
TRANSACTIONAL_WCU_PER_ITEM = 2
# 100 items per transaction: 99 trade records and this writer's rollup shard (store.py).
TRADES_PER_TRANSACTION = 99
WCU_PER_TRADE = TRANSACTIONAL_WCU_PER_ITEM * (1 + 1 / TRADES_PER_TRANSACTION)
# DynamoDB, "Partitions": 1,000 WCU per partition per second.
PARTITION_WCU = 1_000
# DynamoDB, "Service quotas": an on-demand table's default maximum, 40,000 write units/s.
ON_DEMAND_TABLE_WRU = DEFAULT_TABLE_QUOTA
# DynamoDB, "On-demand capacity mode", initial throughput: a new on-demand table serves up to
# 4,000 write request units at once, then up to twice its previous peak without throttling.
ON_DEMAND_INITIAL_WRU = 4_000
# Kinesis, "Quotas and limits": shards per region by default (500 in us-east-1, us-west-2 and
# eu-west-1; 200 in the other regions). Lambda: 1,000 concurrent executions per region by
# default (new accounts may start lower), 100 of which stay unreserved.
KINESIS_DEFAULT_SHARDS = {"us-east-1": 500, "us-west-2": 500, "eu-west-1": 500}
KINESIS_DEFAULT_SHARDS_ELSEWHERE = 200
LAMBDA_DEFAULT_CONCURRENCY = 1_000
LAMBDA_UNRESERVED_MINIMUM = 100
# Weekdays in Application Auto Scaling's day-of-week ranges, and weeks in a month.
DAYS_IN = {"MON-FRI": 5, "MON-SAT": 6, "SUN-FRI": 6, "MON-SUN": 7}
WEEKS_PER_MONTH = 52 / 12
# Autoscaling tracks 70% utilisation (shared/components/data.py); capacity is paid at that rate.
TARGET_UTILISATION = 0.70

# ---- Planning figures (assumptions: not measured against AWS here) --------------------------
# A trade as producers put it, one JSON object per record (the test suite's are 150-170 bytes).
TRADE_RECORD_BYTES = 200
# What one consumer (one invocation at a time) commits per second: a 1,000-trade batch is 11
# transactions (~40 ms each, in sequence), an archive put and ~0.15 s of the function's own CPU
# (validation and request building, ~150 us a trade as measured off AWS), about 0.65 s.
CONSUMER_TRADES_PER_SECOND = 1_500

# ---- List prices, us-east-1, USD (AWS pricing pages as of 2026-11) --------------------------
KINESIS_SHARD_HOUR = 0.015
KINESIS_EXTENDED_RETENTION_SHARD_HOUR = 0.020  # retention above 24 hours, up to 7 days
KINESIS_PUT_UNITS_PER_MILLION = 0.014  # a PUT payload unit is 25 KB: one per trade record
DYNAMODB_WRU_PER_MILLION = 0.625  # on-demand write request units
DYNAMODB_WCU_HOUR = 0.00065
DYNAMODB_RCU_HOUR = 0.00013
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_REQUESTS_PER_MILLION = 0.20
S3_PUTS_PER_THOUSAND = 0.005
INTERFACE_ENDPOINT_AZ_HOUR = 0.01
KMS_KEY_MONTH = 1.0
# Standard-resolution alarms; an alarm over metric math pays for each metric it reads.
CLOUDWATCH_ALARM_METRIC_MONTH = 0.10
# Beyond the account's three free dashboards.
CLOUDWATCH_DASHBOARD_MONTH = 3.0
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class Capacity:
    environment: str
    region: str
    shards: int
    consumers: int
    reserved: int | None
    write_ceiling_wcu: int
    provisioned: bool
    # Write capacity held with no scaling: the floor, the scheduled one in market hours, or a
    # new on-demand table's initial throughput; and what that takes in trades/s at once.
    open_floor_wcu: int
    open_tps: int
    schedule: str
    stream_tps: int
    consumer_tps: int
    table_tps: int
    partition_tps: int
    overall_tps: int
    one_symbol_tps: int
    goal_tps: int
    goal_one_symbol_tps: int
    variable_per_million: float
    fixed_per_month: float
    costs: Mapping[str, float]

    @property
    def sustains_goals(self) -> bool:
        return self.overall_tps >= self.goal_tps and self.one_symbol_tps >= self.goal_one_symbol_tps


def _inputs(document: Mapping[str, Any], type_token: str) -> list[Mapping[str, Any]]:
    return [
        r["inputs"]
        for layer in document["layers"]
        for r in layer["resources"]
        if r["type"] == type_token
    ]


def capacity(document: Mapping[str, Any]) -> Capacity:
    """The ceilings and costs of one synthesized environment."""
    environment = document["environment"]
    profile = PROFILES[environment]
    [stream] = _inputs(document, "aws:kinesis/stream:Stream")
    [mapping] = _inputs(document, "aws:lambda/eventSourceMapping:EventSourceMapping")
    [function] = _inputs(document, "aws:lambda/function:Function")
    [table] = _inputs(document, "aws:dynamodb/table:Table")
    shards = int(stream["shardCount"])
    consumers = shards * int(mapping.get("parallelizationFactor", 1))
    reserved = function.get("reservedConcurrentExecutions")
    if reserved not in (None, -1):
        consumers = min(consumers, int(reserved))  # the reservation is also the ceiling
    provisioned = table["billingMode"] == "PROVISIONED"
    if provisioned:
        [write_target] = [
            t
            for t in _inputs(document, "aws:appautoscaling/target:Target")
            if t["scalableDimension"] == "dynamodb:table:WriteCapacityUnits"
        ]
        write_ceiling = int(write_target["maxCapacity"])
    else:
        write_ceiling = ON_DEMAND_TABLE_WRU
    records_per_shard = min(SHARD_RECORDS_PER_SECOND, SHARD_BYTES_PER_SECOND // TRADE_RECORD_BYTES)
    stream_tps = shards * records_per_shard
    consumer_tps = consumers * CONSUMER_TRADES_PER_SECOND
    table_tps = math.floor(write_ceiling / WCU_PER_TRADE)
    # One symbol-day's shards share a partition: one 2-WCU write per transaction of 99 trades.
    partition_tps = math.floor(PARTITION_WCU / TRANSACTIONAL_WCU_PER_ITEM * TRADES_PER_TRANSACTION)
    overall = min(stream_tps, consumer_tps, table_tps)
    session = _market_session(document) if provisioned else None
    open_floor = (
        (session.floor if session else int(table["writeCapacity"]))
        if provisioned
        else ON_DEMAND_INITIAL_WRU
    )
    costs = _costs(
        document,
        stream=stream,
        function=function,
        table=table,
        batch_size=int(mapping["batchSize"]),
        session=session,
    )
    return Capacity(
        environment=environment,
        region=str(document["region"]),
        shards=shards,
        consumers=consumers,
        reserved=None if reserved in (None, -1) else int(reserved),
        write_ceiling_wcu=write_ceiling,
        provisioned=provisioned,
        open_floor_wcu=open_floor,
        open_tps=math.floor(open_floor / WCU_PER_TRADE),
        schedule=session.describe() if session else "",
        stream_tps=stream_tps,
        consumer_tps=consumer_tps,
        table_tps=table_tps,
        partition_tps=partition_tps,
        overall_tps=overall,
        one_symbol_tps=min(overall, partition_tps),
        goal_tps=profile.design_trades_per_second,
        goal_one_symbol_tps=profile.design_trades_per_second_one_symbol,
        variable_per_million=sum(v for k, v in costs.items() if not k.startswith("fixed")),
        fixed_per_month=sum(v for k, v in costs.items() if k.startswith("fixed")),
        costs=costs,
    )


@dataclass(frozen=True)
class MarketSession:
    """The write floor the scheduled actions hold, when, and over what floor."""

    floor: int
    base: int
    hours_per_day: float
    days: str
    timezone: str
    raised: str
    lowered: str

    @property
    def hours_per_month(self) -> float:
        return self.hours_per_day * DAYS_IN[self.days] * WEEKS_PER_MONTH

    def describe(self) -> str:
        return (
            f"{self.floor:,} WCU {self.days} {self.raised}-{self.lowered} {self.timezone}, "
            f"{self.base:,} otherwise"
        )


_CRON = re.compile(r"cron\((\d+) (\d+) \? \* ([A-Z-]+) \*\)")


def _market_session(document: Mapping[str, Any]) -> MarketSession | None:
    """The write dimension's raise and lower actions, read back from their cron schedules."""
    actions = [
        a
        for a in _inputs(document, "aws:appautoscaling/scheduledAction:ScheduledAction")
        if a["scalableDimension"] == "dynamodb:table:WriteCapacityUnits"
    ]
    if not actions:
        return None
    raise_, lower = sorted(actions, key=lambda a: -int(a["scalableTargetAction"]["minCapacity"]))
    times = []
    for action in (raise_, lower):
        match = _CRON.fullmatch(action["schedule"])
        if match is None:
            raise ValueError(f"unexpected schedule {action['schedule']!r}")
        times.append((int(match[2]) * 60 + int(match[1]), match[3]))
    (start, days), (end, _) = times
    return MarketSession(
        floor=int(raise_["scalableTargetAction"]["minCapacity"]),
        base=int(lower["scalableTargetAction"]["minCapacity"]),
        hours_per_day=(end - start) / 60,
        days=days,
        timezone=raise_["timezone"],
        raised=f"{start // 60:02d}:{start % 60:02d}",
        lowered=f"{end // 60:02d}:{end % 60:02d}",
    )


def _costs(
    document: Mapping[str, Any],
    *,
    stream: Mapping[str, Any],
    function: Mapping[str, Any],
    table: Mapping[str, Any],
    batch_size: int,
    session: MarketSession | None,
) -> dict[str, float]:
    """Per million trades (variable) and per month (fixed), from list prices."""
    provisioned = table["billingMode"] == "PROVISIONED"
    million = 1_000_000
    write_units = million * WCU_PER_TRADE
    if provisioned:
        table_cost = write_units / 3600 / TARGET_UTILISATION * DYNAMODB_WCU_HOUR
    else:
        table_cost = write_units / million * DYNAMODB_WRU_PER_MILLION
    invocations = million / batch_size
    gb_seconds = million / CONSUMER_TRADES_PER_SECOND * int(function["memorySize"]) / 1024
    retention_extra = int(stream["retentionPeriod"]) > 24
    shard_hour = KINESIS_SHARD_HOUR + (
        KINESIS_EXTENDED_RETENTION_SHARD_HOUR if retention_extra else 0
    )
    floor = int(table.get("writeCapacity") or 0), int(table.get("readCapacity") or 0)
    endpoint_azs = sum(
        len(e["subnetIds"])
        for e in _inputs(document, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if e["vpcEndpointType"] == "Interface"
    )
    return {
        "kinesis put units": KINESIS_PUT_UNITS_PER_MILLION,
        "dynamodb writes": table_cost,
        "lambda compute": gb_seconds * LAMBDA_ARM_GB_SECOND,
        "lambda requests": invocations / million * LAMBDA_REQUESTS_PER_MILLION,
        "s3 archive puts": invocations / 1000 * S3_PUTS_PER_THOUSAND,
        "fixed: kinesis shards": int(stream["shardCount"]) * shard_hour * HOURS_PER_MONTH,
        "fixed: dynamodb capacity floor": (
            floor[0] * DYNAMODB_WCU_HOUR + floor[1] * DYNAMODB_RCU_HOUR
        )
        * HOURS_PER_MONTH,
        # Above the floor, for the hours the schedule holds it raised.
        "fixed: dynamodb market-hours floor": (
            (session.floor - session.base) * DYNAMODB_WCU_HOUR * session.hours_per_month
            if session
            else 0.0
        ),
        "fixed: interface endpoints (sqs, x-ray)": endpoint_azs
        * INTERFACE_ENDPOINT_AZ_HOUR
        * HOURS_PER_MONTH,
        "fixed: kms keys": len(_inputs(document, "aws:kms/key:Key")) * KMS_KEY_MONTH,
        "fixed: cloudwatch alarms and dashboard": sum(
            max(1, sum(1 for q in alarm.get("metricQueries") or [] if "metric" in q))
            for alarm in _inputs(document, "aws:cloudwatch/metricAlarm:MetricAlarm")
        )
        * CLOUDWATCH_ALARM_METRIC_MONTH
        + len(_inputs(document, "aws:cloudwatch/dashboard:Dashboard")) * CLOUDWATCH_DASHBOARD_MONTH,
    }


# ---- the generated tables --------------------------------------------------------------------


def ceilings_table(capacities: list[Capacity]) -> str:
    rows = [
        "| environment | stream (shards x 1,000/s) | consumers (x 1,500/s) | table (WCU / 2.02) "
        "| one symbol's rollup partition | sustains, overall | sustains, one symbol "
        "| sized for (overall / one symbol) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in capacities:
        table = f"{c.write_ceiling_wcu:,} {'WCU max' if c.provisioned else 'WRU on-demand'}"
        rows.append(
            f"| {c.environment} | {c.shards} -> {c.stream_tps:,} | {c.consumers} -> "
            f"{c.consumer_tps:,} | {table} -> {c.table_tps:,} | {c.partition_tps:,} "
            f"| **{c.overall_tps:,}** | **{c.one_symbol_tps:,}** "
            f"| {c.goal_tps:,} / {c.goal_one_symbol_tps:,} |"
        )
    return "\n".join(rows) + "\n"


def cost_table(capacities: list[Capacity]) -> str:
    names = list(capacities[0].costs)
    header = "| | " + " | ".join(c.environment for c in capacities) + " |"
    rows = [header, "|---|" + "---|" * len(capacities)]
    for name in names:
        unit = "/month" if name.startswith("fixed") else "/M trades"
        rows.append(
            f"| {name} ({unit}) | "
            + " | ".join(f"${c.costs[name]:,.4f}" for c in capacities)
            + " |"
        )
    rows.append(
        "| **per million trades** | "
        + " | ".join(f"**${c.variable_per_million:,.2f}**" for c in capacities)
        + " |"
    )
    rows.append(
        "| **fixed per month** | "
        + " | ".join(f"**${c.fixed_per_month:,.2f}**" for c in capacities)
        + " |"
    )
    return "\n".join(rows) + "\n"


def _needs(needed: int, default: int, unit: str = "") -> str:
    figure = f"{needed:,}{unit}"
    if needed > default:
        return f"**{figure}: raise from {default:,}**"
    return f"{figure} (default {default:,})"


def quota_table(capacities: list[Capacity]) -> str:
    """The quota each figure above needs, against AWS's defaults (bold: to be raised first)."""
    rows = [
        "| environment | DynamoDB table throughput (reads and writes each) "
        "| DynamoDB account throughput (provisioned) | Kinesis shards in the region "
        "| Lambda concurrent executions | declared in the matrix |",
        "|---|---|---|---|---|---|",
    ]
    for c in capacities:
        profile = PROFILES[c.environment]
        shards_default = KINESIS_DEFAULT_SHARDS.get(c.region, KINESIS_DEFAULT_SHARDS_ELSEWHERE)
        reserved = c.reserved or 0
        if c.provisioned:
            table = _needs(c.write_ceiling_wcu, DEFAULT_TABLE_QUOTA, " WCU")
            account = _needs(c.write_ceiling_wcu, DEFAULT_ACCOUNT_QUOTA, " WCU")
        else:
            table = f"{c.write_ceiling_wcu:,} WRU on-demand (default {DEFAULT_TABLE_QUOTA:,})"
            account = "none (on-demand)"
        concurrency = _needs(reserved + LAMBDA_UNRESERVED_MINIMUM, LAMBDA_DEFAULT_CONCURRENCY)
        if reserved:
            concurrency += f": {reserved} reserved + {LAMBDA_UNRESERVED_MINIMUM} unreserved"
        quotas = profile.dynamodb_quotas
        declared = (
            f"table {quotas.table:,}, account {quotas.account:,}"
            if (quotas.table, quotas.account) != (DEFAULT_TABLE_QUOTA, DEFAULT_ACCOUNT_QUOTA)
            else "AWS's defaults"
        )
        rows.append(
            f"| {c.environment} | {table} | {account} | {_needs(c.shards, shards_default)} "
            f"| {concurrency} | {declared} |"
        )
    return "\n".join(rows) + "\n"


def open_table(capacities: list[Capacity]) -> str:
    """What an idle table takes at once, before target tracking reacts."""
    rows = [
        "| environment | write floor held | the table takes at once (floor / 2.02) "
        "| sustains once scaled |",
        "|---|---|---|---|",
    ]
    for c in capacities:
        if not c.provisioned:
            held = f"on-demand: {c.open_floor_wcu:,} WRU new, then twice its previous peak"
        else:
            held = c.schedule or f"{c.open_floor_wcu:,} WCU (no schedule)"
        rows.append(
            f"| {c.environment} | {held} | {c.open_tps:,} trades/s | {c.overall_tps:,} trades/s |"
        )
    return "\n".join(rows) + "\n"


GENERATED: dict[str, Any] = {
    "capacity": ceilings_table,
    "cost": cost_table,
    "quotas": quota_table,
    "open": open_table,
}
PAGES = (REPO_ROOT / "docs" / "capacity.md", REPO_ROOT / "README.md")


def render(text: str, capacities: list[Capacity]) -> str:
    """`text` with every `<!-- generated: capacity|cost -->` section regenerated."""
    for name, make in GENERATED.items():
        start, end = f"<!-- generated: {name} -->\n", "<!-- end generated -->"
        if start not in text:
            continue
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + start + make(capacities) + end + tail
    return text


def all_capacities() -> list[Capacity]:
    return [capacity(synth_environment(environment)) for environment in ENVIRONMENTS]


def main() -> int:
    capacities = all_capacities()
    for page in PAGES:
        page.write_text(render(page.read_text(), capacities))
        print(f"rewrote the generated capacity sections of {page.relative_to(REPO_ROOT)}")
    short = [c.environment for c in capacities if not c.sustains_goals]
    if short:
        print(f"error: below the matrix's design goals: {', '.join(short)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
