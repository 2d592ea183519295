"""The README's layout table names every folder and module of the stacks' library; its matrix
table's alarm rows are the matrix's."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from shared.environments import PROFILES, AlarmThresholds, BillingMode, EnvironmentProfile
from shared.layers import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
LAYOUT = README.split("## Layout", 1)[1].split("\n## ", 1)[0]


def _tracked() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return listing.stdout.splitlines()


def test_every_top_level_folder_is_in_the_layout() -> None:
    folders = {path.split("/", 1)[0] for path in _tracked() if "/" in path}
    missing = sorted(f for f in folders if f"`{f}/" not in LAYOUT)
    assert missing == [], missing


def test_every_module_of_shared_is_in_the_layout() -> None:
    modules = [path for path in _tracked() if path.startswith("shared/") and path.endswith(".py")]
    missing = [
        path
        for path in modules
        if not path.endswith("__init__.py")
        and f"`{path}`" not in LAYOUT
        and f"`{path.rsplit('/', 1)[-1]}`" not in LAYOUT
    ]
    assert missing == [], missing


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


ALARM_ROWS: dict[str, Callable[[EnvironmentProfile, AlarmThresholds], str]] = {
    "Alarm period, consecutive periods to alarm": lambda _p, t: (
        f"{_duration(t.period_seconds)}, {t.evaluation_periods}"
    ),
    "Alarm: function errors, throttles (per period)": lambda _p, t: (
        f"{t.function_errors}, {t.function_throttles}"
    ),
    "Lambda reserved concurrency": lambda p, _t: (
        "none" if p.lambda_reserved_concurrency is None else str(p.lambda_reserved_concurrency)
    ),
    "Alarm: longest run vs timeout, concurrency vs reserved (where reserved)": lambda p, t: (
        f"{t.duration_percent_of_timeout}%, "
        + (
            "-"
            if p.lambda_reserved_concurrency is None
            else f"{t.concurrency_percent_of_reserved}%"
        )
    ),
    "Alarm: messages in the failure or dead-letter queue": lambda _p, t: (
        "any" if t.failed_messages == 1 else f"{t.failed_messages} or more"
    ),
    "Alarm: stream backlog (oldest unread record)": lambda _p, t: _duration(
        t.stream_iterator_age_seconds
    ),
    "Alarm: table throttled requests, system errors (per period)": lambda _p, t: (
        f"{t.table_throttled_requests}, {t.table_system_errors}"
    ),
    "DynamoDB quotas declared (WCU, table / account)": lambda p, _t: (
        f"{p.dynamodb_quotas.table:,} / {p.dynamodb_quotas.account:,}"
    ),
    "Market-hours write floor (scheduled)": lambda p, _t: (
        "-"
        if p.market_hours is None
        else f"{p.market_hours.floor_capacity:,} WCU, "
        + "{:02d}:{:02d}-{:02d}:{:02d} ".format(*p.market_hours.raise_at, *p.market_hours.lower_at)
        + f"{p.market_hours.timezone}, {p.market_hours.days}"
    ),
    "Alarm: consumed vs provisioned write capacity": lambda p, t: (
        f"{t.write_capacity_percent}%"
        if p.dynamodb_billing_mode is BillingMode.PROVISIONED
        else "(on-demand)"
    ),
}


def test_the_alarm_rows_of_the_matrix_table_are_the_matrix() -> None:
    for label, cell in ALARM_ROWS.items():
        row = next(line for line in README.splitlines() if line.startswith(f"| {label} |"))
        shown = [part.strip() for part in row.strip().strip("|").split("|")][1:]
        assert shown == [cell(p, p.alarms) for p in PROFILES.values()], label
