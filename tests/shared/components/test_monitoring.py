"""Alarms, the alarm topic and the dashboard, per environment, with the matrix's thresholds."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from trade_analytics import metrics

from shared.components.monitoring import PROCESSOR_COUNTS, PROCESSOR_NAMESPACE
from shared.environments import BillingMode, EnvironmentProfile
from shared.errors import ConfigError
from shared.settings import parse_data
from synth.synthesize import synth_environment
from tests.support.documents import Document, layer, one, policy, resources

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"


def _alarms(doc: Document, layer_name: str | None = None) -> dict[str, dict[str, Any]]:
    return {r["inputs"]["name"]: r["inputs"] for r in resources(doc, ALARM, layer_name)}


def _expected_thresholds(profile: EnvironmentProfile) -> dict[str, float]:
    """Each alarm's threshold, worked out from the matrix alone."""
    t = profile.alarms
    expected = {
        "analytics-table-throttles": t.table_throttled_requests,
        "analytics-table-system-errors": t.table_system_errors,
        "trades-stream-backlog": t.stream_iterator_age_seconds * 1000,
        "trade-failures-waiting": t.failed_messages,
        "data-processor-errors": t.function_errors,
        "data-processor-throttles": t.function_throttles,
        "data-processor-duration": (
            profile.lambda_timeout_seconds * 1000 * t.duration_percent_of_timeout / 100
        ),
        "data-processor-dead-letters": t.failed_messages,
    }
    if profile.lambda_reserved_concurrency is not None:
        # Only a reservation has a ceiling of the function's own to alarm near.
        expected["data-processor-concurrency"] = math.ceil(
            profile.lambda_reserved_concurrency * t.concurrency_percent_of_reserved / 100
        )
    if profile.dynamodb_billing_mode is BillingMode.PROVISIONED:
        expected["analytics-table-write-capacity"] = t.write_capacity_percent
    suffix = f"-{profile.name}-us-east-1"
    return {f"{key}{suffix}": value for key, value in expected.items()}


def test_every_alarm_has_the_matrix_threshold_and_period(
    doc: Document, profile: EnvironmentProfile
) -> None:
    alarms = _alarms(doc)
    assert {name: a["threshold"] for name, a in alarms.items()} == _expected_thresholds(profile)
    t = profile.alarms
    for alarm in alarms.values():
        assert alarm["evaluationPeriods"] == alarm["datapointsToAlarm"] == t.evaluation_periods
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treatMissingData"] == "notBreaching"
        periods = [q["metric"]["period"] for q in alarm.get("metricQueries", []) if "metric" in q]
        assert (periods or [alarm["period"]]) == [t.period_seconds] * max(1, len(periods))


def test_every_alarm_notifies_the_environments_topic_on_alarm_and_ok(doc: Document) -> None:
    topic = layer(doc, "data")["outputs"]["alarm_topic_arn"]
    name = one(doc, TOPIC)["inputs"]["name"]
    assert (name, topic) == (
        f"trading-alarms-{doc['environment']}-us-east-1",
        f"arn:aws:sns:us-east-1:123456789012:{name}",
    )
    for name, alarm in _alarms(doc).items():
        assert alarm["alarmActions"] == alarm["okActions"] == [topic], name


def test_each_alarm_sits_in_the_layer_of_what_it_watches(doc: Document) -> None:
    data = {name.split("-" + doc["environment"])[0] for name in _alarms(doc, "data")}
    compute = {name.split("-" + doc["environment"])[0] for name in _alarms(doc, "compute")}
    assert all(
        n.startswith(("analytics-table-", "trades-stream-", "trade-failures-")) for n in data
    )
    assert all(n.startswith("data-processor-") for n in compute)
    assert not resources(doc, ALARM, "network")


def test_the_alarms_watch_the_environments_own_resources(doc: Document) -> None:
    env = doc["environment"]
    alarms = {name.rsplit(f"-{env}-", 1)[0]: a for name, a in _alarms(doc).items()}
    function = f"data-processor-{env}-us-east-1"
    assert alarms["data-processor-errors"]["dimensions"] == {"FunctionName": function}
    assert alarms["data-processor-dead-letters"]["dimensions"] == {
        "QueueName": f"data-processor-dlq-{env}-us-east-1"
    }
    assert alarms["trades-stream-backlog"]["dimensions"] == {
        "StreamName": f"trades-{env}-us-east-1"
    }
    assert alarms["trade-failures-waiting"]["dimensions"] == {
        "QueueName": f"trade-failures-{env}-us-east-1"
    }
    errors = alarms["analytics-table-system-errors"]["metricQueries"]
    operations = {q["metric"]["dimensions"]["Operation"] for q in errors if "metric" in q}
    assert operations == {"TransactWriteItems", "PutItem", "Query", "GetItem"}
    assert errors[-1] == {
        "id": "e1",
        "expression": "SUM([m1, m2, m3, m4])",
        "label": "analytics-table-system-errors",
        "returnData": True,
    }


def test_write_capacity_is_alarmed_only_where_the_table_is_provisioned() -> None:
    doc = synth_environment("dev", {"data": {"trading-data:billing_mode": "PROVISIONED"}})
    [alarm] = [a for n, a in _alarms(doc).items() if n.startswith("analytics-table-write")]
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["e1"]["expression"] == "100 * (m1 / PERIOD(m1)) / m2"
    assert queries["m1"]["metric"]["metricName"] == "ConsumedWriteCapacityUnits"
    assert queries["m2"]["metric"]["metricName"] == "ProvisionedWriteCapacityUnits"


def test_the_topic_is_encrypted_with_the_platform_key_and_only_cloudwatch_may_publish(
    doc: Document,
) -> None:
    topic = one(doc, TOPIC, "data")["inputs"]
    assert topic["kmsMasterKeyId"] == layer(doc, "data")["outputs"]["kms_key_arn"]
    [statement] = policy(one(doc, "aws:sns/topicPolicy:TopicPolicy", "data"))["Statement"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == ["sns:Publish"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert not resources(doc, "aws:sns/topicSubscription:TopicSubscription")


def test_alarm_emails_from_config_subscribe_to_the_topic() -> None:
    emails = "oncall@example.com, desk-lead@example.com"
    doc = synth_environment("staging", {"data": {"trading-data:alarm_emails": emails}})
    subscriptions = [
        r["inputs"] for r in resources(doc, "aws:sns/topicSubscription:TopicSubscription")
    ]
    topic = layer(doc, "data")["outputs"]["alarm_topic_arn"]
    assert [(s["protocol"], s["endpoint"], s["topic"]) for s in subscriptions] == [
        ("email", "oncall@example.com", topic),
        ("email", "desk-lead@example.com", topic),
    ]


@pytest.mark.parametrize(
    "raw", ["not-an-address", "a@b.co, a@b.co", '["ok@example.com", "x y@example.com"]', "[broken"]
)
def test_bad_alarm_emails_are_refused_naming_the_key(raw: str) -> None:
    with pytest.raises(ConfigError, match="trading-data:alarm_emails"):
        parse_data("dev", None, {"alarm_emails": raw})


def test_the_dashboard_shows_the_processors_figures_and_what_the_alarms_watch(
    doc: Document,
) -> None:
    env = doc["environment"]
    compute = layer(doc, "compute")
    dashboard = one(doc, "aws:cloudwatch/dashboard:Dashboard", "compute")["inputs"]
    assert dashboard["dashboardName"] == compute["outputs"]["dashboard_name"]
    assert compute["outputs"]["dashboard_url"] == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        f"#dashboards/dashboard/trading-analytics-{env}-us-east-1"
    )
    body = json.loads(dashboard["dashboardBody"])
    shown = [m for w in body["widgets"] for m in w["properties"]["metrics"]]
    own = {m[1] for m in shown if m[0] == PROCESSOR_NAMESPACE}
    assert own == {*PROCESSOR_COUNTS, "duration_ms"}
    names = {str(part) for metric in shown for part in metric}
    assert {
        f"data-processor-{env}-us-east-1",
        f"analytics-table-{env}-us-east-1",
        f"trades-{env}-us-east-1",
        f"trade-failures-{env}-us-east-1",
        f"data-processor-dlq-{env}-us-east-1",
    } <= names


def test_the_dashboard_reads_the_namespace_and_names_the_function_writes() -> None:
    # The function imports nothing from shared/: the two spellings are held equal here.
    assert metrics.NAMESPACE == PROCESSOR_NAMESPACE
    assert metrics.COUNTS == PROCESSOR_COUNTS
