"""Run reports as the tests read them: those a run wrote, each checked against the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from orchestration.report import SCHEMA
from shared.layers import REPO_ROOT

SCHEMA_FILE = REPO_ROOT / "docs" / "run-report.schema.json"
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def reports(runs: Path) -> list[dict[str, Any]]:
    """Every report written under `runs`, oldest first."""
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))]


def check_schema(document: dict[str, Any]) -> None:
    errors = [error.message for error in VALIDATOR.iter_errors(document)]
    assert errors == [], errors
    assert document["schema"] == SCHEMA
    assert document["started"] <= document["finished"]
