"""outputs: the platform's outputs merged across layers, as a table or JSON on stdout."""

from __future__ import annotations

import json
from typing import Any

from orchestration.context import Run
from orchestration.engine import Engine
from orchestration.options import OutputsOptions
from shared import outputs
from shared.errors import PlatformError


def merged(run: Run, engine: Engine) -> dict[str, Any]:
    """Every layer's outputs in one mapping (their names never collide: shared/outputs.py)."""
    return {key: value for stack in run.stacks for key, value in engine.outputs(stack).items()}


def run(run: Run, options: OutputsOptions) -> int:
    engine, _target = run.connect(reads_aws=False)
    found = merged(run, engine)
    # The dashboard's URL is the AWS console's: the emulator has no console to point at.
    local = run.options.target == "local"
    described = {
        key: found.get(key) for key in outputs.SHOWN if not (local and key == outputs.DASHBOARD_URL)
    }
    if options.json:
        run.out.write(json.dumps(described, indent=2) + "\n")
    else:
        width = max(len(key) for key in described)
        for key, value in described.items():
            run.say(f"{key:<{width}}  {value if value is not None else '(not deployed)'}")
    missing = [key for key, value in described.items() if value is None]
    if missing:
        raise PlatformError(
            f"{run.environment} has no {', '.join(missing)}: not deployed "
            f"(nox -s deploy -- {run.environment})"
        )
    return 0
