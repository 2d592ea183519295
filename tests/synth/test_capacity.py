"""Capacity by arithmetic: every environment sustains what the matrix sizes it for."""

from __future__ import annotations

import copy
import json
import re

from shared import iam
from shared.layers import REPO_ROOT
from synth.capacity import (
    DYNAMODB_WCU_HOUR,
    PAGES,
    Capacity,
    capacity,
    open_table,
    quota_table,
    render,
)
from tests.support.documents import Document, resources


def test_every_environment_sustains_its_design_goals(doc: Document) -> None:
    found = capacity(doc)
    assert found.sustains_goals, found


def test_production_sustains_twenty_thousand_on_one_symbol_and_fifty_thousand_overall(
    synthesized: dict[str, Document],
) -> None:
    production = capacity(synthesized["production"])
    assert production.one_symbol_tps >= 20_000
    assert production.overall_tps >= 50_000
    assert production.variable_per_million > 0 and production.fixed_per_month > 0


def test_the_check_fails_when_the_configured_capacity_shrinks(
    synthesized: dict[str, Document],
) -> None:
    smaller = copy.deepcopy(synthesized["production"])
    [stream] = resources(smaller, "aws:kinesis/stream:Stream")
    stream["inputs"]["shardCount"] = 16  # 16,000 trades/s of stream
    assert not capacity(smaller).sustains_goals
    lower = copy.deepcopy(synthesized["production"])
    for target in resources(lower, "aws:appautoscaling/target:Target"):
        target["inputs"]["maxCapacity"] = 40_000
    shrunk = capacity(lower)
    assert shrunk.table_tps < 50_000 and not shrunk.sustains_goals


def test_the_pages_show_the_arithmetic_as_computed(synthesized: dict[str, Document]) -> None:
    capacities: list[Capacity] = [capacity(d) for d in synthesized.values()]
    for page in PAGES:
        text = page.read_text()
        for section in ("capacity", "cost", "quotas"):
            assert f"<!-- generated: {section} -->" in text, (page.name, section)
        assert render(text, capacities) == text, f"{page.name} is stale: run nox -s docs"


def test_the_readme_gives_the_producer_policy_the_code_generates() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"<!-- producer policy -->\n```json\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == iam.trade_producer_policy(
        "<trade_stream_arn>", "<kms_key_arn>"
    )


def test_production_meets_the_open_with_its_scheduled_floor_and_pays_for_it(
    synthesized: dict[str, Document],
) -> None:
    production = capacity(synthesized["production"])
    assert production.open_floor_wcu == 20_000 and production.open_tps == 9_900
    assert "09:00-16:15 America/New_York" in production.schedule
    # (20,000 - 25) WCU for 7.25 h a weekday, 52/12 weeks a month.
    expected = (20_000 - 25) * DYNAMODB_WCU_HOUR * 7.25 * 5 * 52 / 12
    assert abs(production.costs["fixed: dynamodb market-hours floor"] - expected) < 0.01
    for other in ("dev", "staging"):
        assert capacity(synthesized[other]).costs["fixed: dynamodb market-hours floor"] == 0


def test_without_its_schedule_production_meets_the_open_from_its_base_floor(
    synthesized: dict[str, Document],
) -> None:
    unscheduled = copy.deepcopy(synthesized["production"])
    for entry in unscheduled["layers"]:
        entry["resources"] = [
            r
            for r in entry["resources"]
            if r["type"] != "aws:appautoscaling/scheduledAction:ScheduledAction"
        ]
    found = capacity(unscheduled)
    assert (found.open_floor_wcu, found.open_tps, found.schedule) == (25, 12, "")
    assert found.costs["fixed: dynamodb market-hours floor"] == 0
    assert "25 WCU (no schedule)" in open_table([found])


def test_the_quotas_table_says_which_quotas_to_raise(synthesized: dict[str, Document]) -> None:
    rows = {
        line.split(" | ")[0].strip("| "): line
        for line in quota_table([capacity(d) for d in synthesized.values()]).splitlines()[2:]
    }
    assert "**110,000 WCU: raise from 40,000**" in rows["production"]
    assert "**110,000 WCU: raise from 80,000**" in rows["production"]
    assert "table 110,000, account 110,000" in rows["production"]
    assert "raise" not in rows["dev"] and "AWS's defaults" in rows["dev"]
