"""`nox -s guardrails -- [ENV ...]`: every rule on every synthesized environment, as a table."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guardrails.model import Finding, Rule, views
from guardrails.rules import RULES
from guardrails.waivers import WAIVERS
from shared.environments import ENVIRONMENTS, add_environments_argument
from shared.errors import PlatformError
from synth.synthesize import SYNTH_DIR, synth_environment, write


def evaluate(document: dict[str, Any], rules: Sequence[Rule] = RULES) -> dict[str, list[Finding]]:
    """Rule id -> findings over every layer of one synthesized environment."""
    found: dict[str, list[Finding]] = {rule.id: [] for rule in rules}
    for view in views(document):
        for rule in rules:
            found[rule.id].extend(
                Finding(f"{view.layer}/{f.resource}", f.message) for f in rule.run(view)
            )
    return found


def load(environment: str, directory: Path = SYNTH_DIR, *, fresh: bool = False) -> dict[str, Any]:
    """The environment's synth file, synthesized first when it is not there yet (or always,
    when `fresh`)."""
    path = directory / f"{environment}.json"
    if fresh or not path.exists():
        write(synth_environment(environment), directory)
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def render(results: dict[str, dict[str, list[Finding]]]) -> str:
    environments = list(results)
    width = max(len(rule.id) for rule in RULES)
    lines = [
        f"{'rule':<{width}}  " + "  ".join(f"{e:<10}" for e in environments) + "  checkov / trivy"
    ]
    for rule in RULES:
        cells = [
            "pass" if not results[e][rule.id] else f"FAIL ({len(results[e][rule.id])})"
            for e in environments
        ]
        ids = ", ".join(rule.checkov + rule.trivy) or "-"
        lines.append(f"{rule.id:<{width}}  " + "  ".join(f"{c:<10}" for c in cells) + f"  {ids}")
    failures = [
        f"  {e}: {rule_id}: {f.resource}: {f.message}"
        for e, by_rule in results.items()
        for rule_id, findings in by_rule.items()
        for f in findings
    ]
    if failures:
        lines += ["", "violations:", *failures]
    lines += [
        "",
        "waived (with reasons and scope):",
        *(f"  {w.check}: {w.reason} [{w.scope}]" for w in WAIVERS),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, directory: Path = SYNTH_DIR) -> int:
    parser = argparse.ArgumentParser(prog="nox -s guardrails --", description=__doc__)
    add_environments_argument(parser)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="synthesize each environment first, as `nox -s guardrails` does (otherwise its "
        "build/synth/ENV.json is judged, synthesized only when missing)",
    )
    args = parser.parse_args(argv)
    chosen = args.environments or ENVIRONMENTS
    try:
        results = {e: evaluate(load(e, directory, fresh=args.fresh)) for e in chosen}
    except PlatformError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(render(results))
    return 1 if any(f for by_rule in results.values() for f in by_rule.values()) else 0
