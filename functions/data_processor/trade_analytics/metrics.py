"""The processor's figures as CloudWatch metrics: Embedded Metric Format in its one log line.

CloudWatch Logs turns a JSON log event carrying an `_aws` member into metrics (the EMF
specification: `_aws.Timestamp` in epoch milliseconds, `_aws.CloudWatchMetrics` directives of a
namespace, dimension sets and metric definitions, and each metric and dimension a top-level
member of the event). So the counts cost no API call and no extra line. Powertools' Metrics
utility would flush its own JSON line beside the invocation's, so these few lines do it instead.
"""

from __future__ import annotations

from typing import Any

# shared/components/monitoring.py PROCESSOR_NAMESPACE reads the same (the dashboard's widgets).
NAMESPACE = "TradingAnalytics/DataProcessor"
COUNTS = ("processed", "duplicates", "conflicts", "rejected")
DURATION = "duration_ms"
DIMENSION = "environment"


def embed(line: dict[str, Any], timestamp_ms: int) -> dict[str, Any]:
    """`line` with the EMF directive for the counts and the duration it carries at top level."""
    metrics = [{"Name": count, "Unit": "Count"} for count in COUNTS if count in line]
    metrics.append({"Name": DURATION, "Unit": "Milliseconds"})
    directive = {"Namespace": NAMESPACE, "Dimensions": [[DIMENSION]], "Metrics": metrics}
    return {**line, "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]}}
