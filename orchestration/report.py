"""The machine-readable record of a run: build/runs/<env>-<UTC timestamp>.json (or --report).

Written by deploy, preview, destroy, drift and rollback, whatever their outcome. The shape
(JSON Schema: docs/run-report.schema.json, which the tests validate every report against):

{"schema": "trading-analytics/run-report/1", "command": "deploy", "environment": "dev",
 "target": "...", "backend": "file:///.../trading-analytics/dev", "revision": "<git sha>",
 "started": "2026-11-26T19:45:00Z", "finished": "...", "exit_code": 0,
 "stacks": [{"layer": "network", "stack": "organization/trading-network/dev",
             "action": "deploy", "result": "succeeded", "detail": "",
             "duration_seconds": 12.3, "changes": {"create": 21},
             "steps": [{"op": "replace", "urn": "urn:pulumi:dev::trading-network::...",
                        "type": "aws:ec2/subnet:Subnet", "replace_keys": ["cidrBlock"]}]}, ...]}

`result` is one of succeeded, failed, skipped, drifted, blocked; `changes` counts resources by
operation (create, update, replace, delete, same) as the engine reports them; `steps` (previews
only, else empty) lists each resource the preview would change, from the engine's
ResourcePreEvents, with the properties that force a replacement for replace steps.
"""

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
                "action": info.command,
                "result": r.status,
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
    if path is None:
        stamp = document["started"].replace("-", "").replace(":", "")
        path = RUNS_DIR / f"{document['environment']}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
