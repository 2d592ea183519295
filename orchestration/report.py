"""The machine-readable record of a run: build/runs/<env>-<UTC time>.json (or --report), in the
shape of docs/run-report.schema.json, which the tests validate every report against."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from orchestration.runner import StepResult
from shared.layers import REPO_ROOT

SCHEMA = "trading-analytics/run-report/1"
RUNS_DIR = REPO_ROOT / "build" / "runs"
ACTIONS = {"promote": "deploy"}


def utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class RunInfo:
    command: str
    environment: str
    target: str
    backend: str
    revision: str
    started: datetime


def report(info: RunInfo, results: Sequence[StepResult], exit_code: int) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "command": info.command,
        "environment": info.environment,
        "target": info.target,
        "backend": info.backend,
        "revision": info.revision,
        "started": utc(info.started),
        "finished": utc(datetime.now(timezone.utc)),
        "exit_code": exit_code,
        "stacks": [
            {
                "layer": r.layer,
                "stack": r.stack,
                # A promotion deploys: each stack's action is the one the schema names.
                "action": ACTIONS.get(info.command, info.command),
                "result": r.status.value,
                "detail": r.detail,
                "duration_seconds": round(r.seconds, 3),
                "changes": {op: n for op, n in sorted(r.changes.items())},
                "steps": [
                    {
                        "op": s.op,
                        "urn": s.urn,
                        "type": s.type,
                        "replace_keys": list(s.replace_keys),
                    }
                    for s in r.steps
                ],
            }
            for r in results
        ],
    }


def write(document: dict[str, Any], path: Path | None = None) -> Path:
    """Write the report; the default name sorts by time and names the environment."""
    text = json.dumps(document, indent=2) + "\n"
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path
    stamp = document["started"].replace("-", "").replace(":", "")
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        # Two runs started in the same second keep a report each: the later one is _002, ...,
        # which sorts after the first (`_` after `.`), so names still sort by time.
        suffix = "" if attempt == 1 else f"_{attempt:03d}"
        path = RUNS_DIR / f"{document['environment']}-{stamp}{suffix}.json"
        try:
            with path.open("x", encoding="utf-8") as output:
                output.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{RUNS_DIR}: a thousand reports of {stamp}")
