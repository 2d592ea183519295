"""`nox -s guardrails`: the rule-by-environment report, its violations, waivers and exit code."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from guardrails.report import evaluate, main, render
from tests.support.breaks import BREAKS
from tests.support.documents import Document


def test_report_names_the_rule_and_exits_non_zero_on_a_violation(
    synthesized: dict[str, Document],
) -> None:
    broken = copy.deepcopy(synthesized["production"])
    BREAKS["lambda-tracing"](broken)
    text = render({"production": evaluate(broken)})
    assert "lambda-tracing" in text and "FAIL (1)" in text
    assert "production: lambda-tracing: compute/data-processor-function" in text
    assert "CKV_AWS_338: log retention below one year" in text


def test_guardrails_command_exits_1_naming_the_rule(
    synthesized: dict[str, Document], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = copy.deepcopy(synthesized["production"])
    BREAKS["s3-tls-only"](broken)
    (tmp_path / "production.json").write_text(json.dumps(broken))
    assert main(["production"], directory=tmp_path) == 1
    out = capsys.readouterr().out
    assert "s3-tls-only" in out and "production: s3-tls-only: data/archive-bucket" in out
    (tmp_path / "production.json").write_text(json.dumps(synthesized["production"]))
    assert main(["production"], directory=tmp_path) == 0
