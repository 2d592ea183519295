"""docs/guardrails.md carries the rule table and waiver list exactly as the code declares them."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails import docs
from guardrails.model import Rule
from guardrails.rules import RULES
from guardrails.waivers import WAIVERS


def test_the_page_is_what_the_declarations_generate() -> None:
    page = docs.PAGE.read_text()
    assert docs.render(page) == page, "docs/guardrails.md is stale: run nox -s docs"


def test_every_rule_and_waiver_is_on_the_page() -> None:
    page = docs.PAGE.read_text()
    for rule in RULES:
        assert f"| `{rule.id}` |" in page, rule.id
    for waiver in WAIVERS:
        assert f"- `{waiver.check}` ({waiver.scope}):" in page, waiver.check


def test_a_new_rule_shows_up_in_the_generated_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = Rule("demo-rule", "Demo: something checked", "something", lambda _view: iter(()))
    monkeypatch.setitem(docs.GENERATORS, "rules", lambda: docs.rule_table((*RULES, extra)))
    page = tmp_path / "page.md"
    page.write_text(docs.PAGE.read_text())
    docs.main([], page=page)
    assert "| `demo-rule` | something checked | something | - | - |" in page.read_text()
    # ... and the committed page is then stale, which the first test reports.
    assert docs.render(docs.PAGE.read_text()) != docs.PAGE.read_text()


def test_rule_ids_are_unique() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
