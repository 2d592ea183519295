"""The log line is valid Embedded Metric Format: the counts and duration become metrics.

Checked against the EMF specification (CloudWatch user guide, "Specification: Embedded metric
format"): its JSON schema's structure (below, as the spec writes it), then the rules the schema
cannot say: each dimension a top-level string member, each metric a top-level number.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jsonschema
import pytest
from trade_analytics import metrics

from tests.support.data_processor import Cloud, invoke
from tests.support.moto_aws import TABLE

# CloudWatch's units (MetricDatum.Unit), as the spec's schema enumerates them.
UNITS = [
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
]  # fmt: skip
EMF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "CloudWatchMetrics": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "properties": {
                            "Namespace": {"type": "string", "minLength": 1, "maxLength": 1024},
                            "Dimensions": {
                                "type": "array",
                                "items": {
                                    "type": "array",
                                    "maxItems": 30,
                                    "items": {"type": "string", "minLength": 1, "maxLength": 250},
                                },
                            },
                            "Metrics": {
                                "type": "array",
                                "maxItems": 100,
                                "items": {
                                    "type": "object",
                                    "required": ["Name"],
                                    "properties": {
                                        "Name": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": 1024,
                                        },
                                        "Unit": {"enum": UNITS},
                                        "StorageResolution": {"enum": [1, 60]},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


def emf_metrics(line: dict[str, Any]) -> dict[str, float]:
    """Validate `line` as EMF; return each metric's value as CloudWatch would extract it."""
    jsonschema.validate(line, EMF_SCHEMA)
    found = {}
    for directive in line["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for dimension in dimension_set:
                assert isinstance(line.get(dimension), str), f"dimension {dimension} not a string"
        for metric in directive["Metrics"]:
            value = line.get(metric["Name"])
            assert isinstance(value, (int, float)) and not isinstance(value, bool), metric
            found[metric["Name"]] = value
    return found


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_an_invocation_line_is_emf_with_its_counts_and_duration(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    before = int(time.time() * 1000)
    response = invoke({"trades": [{"trade_id": "M1", "amount": 5}, {"amount": -1}]})
    [line] = _lines(capsys)
    values = emf_metrics(line)
    assert values == {
        "processed": response["counts"]["processed"],
        "duplicates": 0,
        "conflicts": 0,
        "rejected": 1,
        "duration_ms": line["duration_ms"],
    }
    [directive] = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == metrics.NAMESPACE
    assert directive["Dimensions"] == [["environment"]] and line["environment"] == "dev"
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units["duration_ms"] == "Milliseconds" and units["processed"] == "Count"
    assert before <= line["_aws"]["Timestamp"] <= int(time.time() * 1000)


def test_a_failed_invocation_still_reports_its_duration(
    cloud: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud.dynamodb.delete_table(TableName=TABLE)
    with pytest.raises(Exception, match=r"ResourceNotFoundException|not found"):
        invoke({"trades": [{"trade_id": "M2", "amount": 5}]})
    [line] = _lines(capsys)
    assert line["level"] == "ERROR"
    assert set(emf_metrics(line)) == {"duration_ms"}


def test_the_check_rejects_what_cloudwatch_would_not_extract() -> None:
    good = metrics.embed({"environment": "dev", "processed": 1, "duration_ms": 2.0}, 1)
    assert emf_metrics(good) == {"processed": 1, "duration_ms": 2.0}
    with pytest.raises(AssertionError):
        emf_metrics({**good, "processed": "1"})  # a metric must be a number
    with pytest.raises(AssertionError):
        emf_metrics({k: v for k, v in good.items() if k != "environment"})
    with pytest.raises(jsonschema.ValidationError):
        emf_metrics({**good, "_aws": {**good["_aws"], "Timestamp": "now"}})
