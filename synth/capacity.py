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
A symbol is not capped by one shard: producers spread its trades over every shard (lanes,
docs/data-processor.md), so a symbol's ceiling is the stream's.

`python -m synth.capacity` (and `nox -s docs`) rewrites the generated tables in
docs/capacity.md and README.md; a test keeps them equal to this arithmetic.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.environments import ENVIRONMENTS, PROFILES
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
ON_DEMAND_TABLE_WRU = 40_000
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
    shards: int
    consumers: int
    write_ceiling_wcu: int
    provisioned: bool
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
    costs = _costs(
        document,
        stream=stream,
        function=function,
        table=table,
        batch_size=int(mapping["batchSize"]),
    )
    return Capacity(
        environment=environment,
        shards=shards,
        consumers=consumers,
        write_ceiling_wcu=write_ceiling,
        provisioned=provisioned,
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


def _costs(
    document: Mapping[str, Any],
    *,
    stream: Mapping[str, Any],
    function: Mapping[str, Any],
    table: Mapping[str, Any],
    batch_size: int,
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


GENERATED: dict[str, Any] = {"capacity": ceilings_table, "cost": cost_table}
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
