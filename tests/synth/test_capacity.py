"""Capacity by arithmetic: every environment sustains what the matrix sizes it for."""

from __future__ import annotations

import copy
import json
import re

from shared import iam
from shared.layers import REPO_ROOT
from synth.capacity import PAGES, Capacity, capacity, render
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
        assert "<!-- generated: capacity -->" in text and "<!-- generated: cost -->" in text
        assert render(text, capacities) == text, f"{page.name} is stale: run nox -s docs"


def test_the_readme_gives_the_producer_policy_the_code_generates() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"<!-- producer policy -->\n```json\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == iam.trade_producer_policy(
        "<trade_stream_arn>", "<kms_key_arn>"
    )
