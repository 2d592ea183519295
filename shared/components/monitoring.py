"""Alarms, the alarm topic and the dashboard.

Each alarm sits in the layer of the resource it watches (the table, stream and failure queue in
data; the function and its dead-letter queue in compute) and notifies the environment's topic,
which the data layer owns, encrypted with the platform key. Thresholds come from the matrix
(`EnvironmentProfile.alarms`); one factory makes every alarm, so each has the topic as its alarm
and OK action and missing data (no traffic) never alarms. Written here rather than taken from a
library (cdk-monitoring-constructs is CDK-only): a dozen alarms of the same shape.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from shared import iam
from shared.components.account import current_account
from shared.environments import AlarmThresholds, BillingMode
from shared.naming import NameKind
from shared.settings import ComputeSettings, DataSettings, StackContext

# The processor's own figures, published in its log line as Embedded Metric Format
# (functions/data_processor/trade_analytics/metrics.py keeps the same namespace; a test
# holds the two equal, since the function imports nothing from here).
PROCESSOR_NAMESPACE = "TradingAnalytics/DataProcessor"
PROCESSOR_COUNTS = ("processed", "duplicates", "conflicts", "rejected")
# The DynamoDB operations the platform makes: SystemErrors is reported per operation only.
TABLE_OPERATIONS = ("TransactWriteItems", "PutItem", "Query", "GetItem")


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: dict[str, pulumi.Input[str]]
    statistic: str


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: a metric (or an expression over several) reaching a threshold."""

    key: str  # the alarm name's resource part, e.g. "data-processor-errors"
    description: str
    threshold: float
    metric: Metric | None = None
    # Metric math: an expression over `inputs` (ids m1, m2, ...), as CloudWatch evaluates it.
    expression: str = ""
    inputs: tuple[Metric, ...] = field(default_factory=tuple)


def alarm(
    context: StackContext,
    topic_arn: pulumi.Input[str],
    spec: AlarmSpec,
    parent: pulumi.Resource,
) -> aws.cloudwatch.MetricAlarm:
    """The one way an alarm is made here: the matrix's periods, the topic on alarm and OK."""
    t = context.profile.alarms
    shape: dict[str, Any]
    if spec.metric is not None:
        shape = {
            "namespace": spec.metric.namespace,
            "metric_name": spec.metric.name,
            "dimensions": spec.metric.dimensions,
            "statistic": spec.metric.statistic,
            "period": t.period_seconds,
        }
    else:
        shape = {"metric_queries": _queries(spec, t)}
    return aws.cloudwatch.MetricAlarm(
        f"{spec.key}-alarm",
        name=context.naming.name(spec.key, NameKind.ALARM),
        alarm_description=spec.description,
        comparison_operator="GreaterThanOrEqualToThreshold",
        threshold=spec.threshold,
        evaluation_periods=t.evaluation_periods,
        datapoints_to_alarm=t.evaluation_periods,
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=context.tags,
        opts=pulumi.ResourceOptions(parent=parent),
        **shape,
    )


def _queries(spec: AlarmSpec, t: AlarmThresholds) -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = [
        {
            "id": f"m{number}",
            "return_data": False,
            "metric": {
                "namespace": metric.namespace,
                "metric_name": metric.name,
                "dimensions": metric.dimensions,
                "stat": metric.statistic,
                "period": t.period_seconds,
            },
        }
        for number, metric in enumerate(spec.inputs, 1)
    ]
    queries.append(
        {"id": "e1", "expression": spec.expression, "label": spec.key, "return_data": True}
    )
    return queries


# ---- data layer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmTopicArgs:
    settings: DataSettings
    key_arn: pulumi.Input[str]


class AlarmTopic(pulumi.ComponentResource):
    """The environment's alarm topic: encrypted with the platform key, CloudWatch may publish,
    and each address in `alarm_emails` subscribed (SNS mails each one a confirmation)."""

    topic: aws.sns.Topic

    def __init__(
        self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:data:AlarmTopic", name, None, opts)
        s = args.settings
        ctx = s.context
        child = pulumi.ResourceOptions(parent=self)
        account = current_account(self)
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=s.alarm_topic_name,
            kms_master_key_id=args.key_arn,
            tags=ctx.tags,
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=self.topic.arn,
            policy=self.topic.arn.apply(
                lambda arn: iam.to_json(
                    iam.alarm_topic_policy(arn, account.partition, account.account_id, ctx.region)
                )
            ),
            opts=child,
        )
        for number, email in enumerate(s.alarm_emails, 1):
            aws.sns.TopicSubscription(
                f"{name}-email-{number}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        self.register_outputs({"arn": self.topic.arn})


@dataclass(frozen=True)
class DataAlarmsArgs:
    settings: DataSettings
    topic_arn: pulumi.Input[str]
    table_name: pulumi.Input[str]
    stream_name: pulumi.Input[str]
    failure_queue_name: pulumi.Input[str]


class DataAlarms(pulumi.ComponentResource):
    """The table's throttles, system errors and (provisioned) write capacity; the stream's
    backlog; anything in the failure queue."""

    def __init__(
        self, name: str, args: DataAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:data:DataAlarms", name, None, opts)
        s = args.settings
        for spec in data_alarm_specs(s, args):
            alarm(s.context, args.topic_arn, spec, self)
        self.register_outputs({})


def data_alarm_specs(s: DataSettings, args: DataAlarmsArgs) -> list[AlarmSpec]:
    t = s.alarms
    table = {"TableName": args.table_name}

    def on_table(metric: str, statistic: str = "Sum", **more: str) -> Metric:
        return Metric("AWS/DynamoDB", metric, {**table, **more}, statistic)

    operation_ids = ", ".join(f"m{n}" for n in range(1, len(TABLE_OPERATIONS) + 1))
    specs = [
        AlarmSpec(
            "analytics-table-throttles",
            "Requests to the analytics table are being throttled (read and write throttle events)",
            t.table_throttled_requests,
            expression="m1 + m2",
            inputs=(on_table("ReadThrottleEvents"), on_table("WriteThrottleEvents")),
        ),
        AlarmSpec(
            "analytics-table-system-errors",
            "DynamoDB answers the platform's requests with internal server errors",
            t.table_system_errors,
            expression=f"SUM([{operation_ids}])",
            inputs=tuple(
                on_table("SystemErrors", Operation=operation) for operation in TABLE_OPERATIONS
            ),
        ),
        AlarmSpec(
            "trades-stream-backlog",
            "The oldest unread record on the trade stream is older than the matrix allows: "
            "the processor is falling behind",
            t.stream_iterator_age_seconds * 1000,
            metric=Metric(
                "AWS/Kinesis",
                "GetRecords.IteratorAgeMilliseconds",
                {"StreamName": args.stream_name},
                "Maximum",
            ),
        ),
        AlarmSpec(
            "trade-failures-waiting",
            "Trades that failed every retry are waiting in the failure queue",
            t.failed_messages,
            metric=Metric(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": args.failure_queue_name},
                "Maximum",
            ),
        ),
    ]
    if s.billing_mode is BillingMode.PROVISIONED:
        specs.append(
            AlarmSpec(
                "analytics-table-write-capacity",
                "Consumed write capacity is near the provisioned capacity (autoscaling may be "
                "at its ceiling)",
                t.write_capacity_percent,
                # Consumed units are a sum per period; provisioned units a rate per second.
                expression="100 * (m1 / PERIOD(m1)) / m2",
                inputs=(
                    on_table("ConsumedWriteCapacityUnits"),
                    on_table("ProvisionedWriteCapacityUnits", "Average"),
                ),
            )
        )
    return specs


# ---- compute layer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessorMonitoringArgs:
    settings: ComputeSettings
    topic_arn: pulumi.Input[str]
    function_name: pulumi.Input[str]
    dead_letter_queue_name: pulumi.Input[str]
    table_name: pulumi.Input[str]
    stream_name: pulumi.Input[str]
    failure_queue_arn: pulumi.Input[str]


class ProcessorMonitoring(pulumi.ComponentResource):
    """The function's alarms (errors, throttles, duration near its timeout, concurrency near
    its reservation, anything in its dead-letter queue) and the environment's dashboard."""

    dashboard: aws.cloudwatch.Dashboard
    dashboard_url: pulumi.Output[str]

    def __init__(
        self, name: str, args: ProcessorMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:compute:ProcessorMonitoring", name, None, opts)
        s = args.settings
        ctx = s.context
        for spec in processor_alarm_specs(s, args):
            alarm(ctx, args.topic_arn, spec, self)
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=s.dashboard_name,
            dashboard_body=pulumi.Output.all(
                function=args.function_name,
                dlq=args.dead_letter_queue_name,
                table=args.table_name,
                stream=args.stream_name,
                failures=pulumi.Output.from_input(args.failure_queue_arn).apply(
                    lambda arn: arn.rsplit(":", 1)[-1]
                ),
            ).apply(lambda names: json.dumps(dashboard_body(ctx.environment, ctx.region, names))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_url = self.dashboard.dashboard_name.apply(
            lambda dashboard: console_url(ctx.region, dashboard)
        )
        self.register_outputs({"dashboard": self.dashboard.dashboard_name})


def processor_alarm_specs(s: ComputeSettings, args: ProcessorMonitoringArgs) -> list[AlarmSpec]:
    t = s.alarms
    function = {"FunctionName": args.function_name}

    def on_function(metric: str, statistic: str) -> Metric:
        return Metric("AWS/Lambda", metric, function, statistic)

    specs = [
        AlarmSpec(
            "data-processor-errors",
            "The data processor's invocations are failing",
            t.function_errors,
            metric=on_function("Errors", "Sum"),
        ),
        AlarmSpec(
            "data-processor-throttles",
            "The data processor is throttled: it has reached its reserved concurrency"
            if s.reserved_concurrency is not None
            else "The data processor is throttled: the account's unreserved concurrency is spent",
            t.function_throttles,
            metric=on_function("Throttles", "Sum"),
        ),
        AlarmSpec(
            "data-processor-duration",
            f"An invocation ran {t.duration_percent_of_timeout}% of the "
            f"{s.timeout_seconds} s timeout or longer",
            s.timeout_seconds * 1000 * t.duration_percent_of_timeout / 100,
            metric=on_function("Duration", "Maximum"),
        ),
        AlarmSpec(
            "data-processor-dead-letters",
            "Invocations that failed every retry are waiting in the dead-letter queue",
            t.failed_messages,
            metric=Metric(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                {"QueueName": args.dead_letter_queue_name},
                "Maximum",
            ),
        ),
    ]
    if s.reserved_concurrency is not None:
        # Near its reservation, the function is about to be throttled; without one there is
        # no ceiling of its own to be near (the throttles alarm covers the account's).
        specs.insert(
            3,
            AlarmSpec(
                "data-processor-concurrency",
                f"Concurrent executions reached {t.concurrency_percent_of_reserved}% of the "
                f"{s.reserved_concurrency} reserved",
                math.ceil(s.reserved_concurrency * t.concurrency_percent_of_reserved / 100),
                metric=on_function("ConcurrentExecutions", "Maximum"),
            ),
        )
    return specs


def console_url(region: str, dashboard: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{dashboard}"
    )


def dashboard_body(environment: str, region: str, names: dict[str, str]) -> dict[str, Any]:
    """The dashboard: the processor's own figures first, then what each alarm watches."""

    def widget(
        title: str, metrics: list[list[Any]], y: int, x: int, stat: str = "Sum"
    ) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "stat": stat,
                "period": 60,
                "view": "timeSeries",
                "metrics": metrics,
            },
        }

    own = [PROCESSOR_NAMESPACE]
    processor = [[*own, count, "environment", environment] for count in PROCESSOR_COUNTS]
    function = ["AWS/Lambda"]
    return {
        "widgets": [
            widget("Trades: processed, duplicates, conflicts, rejected", processor, 0, 0),
            widget(
                "Processor duration (ms, p50 and p99)",
                [
                    [*own, "duration_ms", "environment", environment, {"stat": "p50"}],
                    ["...", {"stat": "p99"}],
                ],
                0,
                12,
                stat="p50",
            ),
            widget(
                "Function: invocations, errors, throttles",
                [
                    [*function, metric, "FunctionName", names["function"]]
                    for metric in ("Invocations", "Errors", "Throttles")
                ],
                6,
                0,
            ),
            widget(
                "Function: concurrency and longest run (ms)",
                [
                    [*function, "ConcurrentExecutions", "FunctionName", names["function"]],
                    [*function, "Duration", "FunctionName", names["function"], {"yAxis": "right"}],
                ],
                6,
                12,
                stat="Maximum",
            ),
            widget(
                "Trade stream: incoming records and backlog age (ms)",
                [
                    ["AWS/Kinesis", "IncomingRecords", "StreamName", names["stream"]],
                    [
                        "AWS/Kinesis",
                        "GetRecords.IteratorAgeMilliseconds",
                        "StreamName",
                        names["stream"],
                        {"stat": "Maximum", "yAxis": "right"},
                    ],
                ],
                12,
                0,
            ),
            widget(
                "Analytics table: write capacity consumed, throttle events",
                [
                    ["AWS/DynamoDB", metric, "TableName", names["table"]]
                    for metric in (
                        "ConsumedWriteCapacityUnits",
                        "WriteThrottleEvents",
                        "ReadThrottleEvents",
                    )
                ],
                12,
                12,
            ),
            widget(
                "Waiting in the failure and dead-letter queues",
                [
                    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", names[queue]]
                    for queue in ("failures", "dlq")
                ],
                18,
                0,
                stat="Maximum",
            ),
        ]
    }
