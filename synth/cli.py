"""`nox -s synth -- [ENV ...]`: synthesize environments to build/synth/ENV.json, with a table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shared.environments import ENVIRONMENTS, add_environments_argument
from shared.errors import PlatformError
from synth.synthesize import repo_relative, synth_environment, write


def _find(document: Mapping[str, Any], type_token: str) -> list[Mapping[str, Any]]:
    return [
        r["inputs"]
        for layer in document["layers"]
        for r in layer["resources"]
        if r["type"] == type_token
    ]


def matrix_values(document: Mapping[str, Any]) -> dict[str, Any]:
    """The environment matrix as the synthesized programs actually set it."""
    function = _find(document, "aws:lambda/function:Function")[0]
    table = _find(document, "aws:dynamodb/table:Table")[0]
    versioning = _find(document, "aws:s3/bucketVersioning:BucketVersioning")[0]
    log_name = function["loggingConfig"]["logGroup"]
    retention = next(
        g["retentionInDays"]
        for g in _find(document, "aws:cloudwatch/logGroup:LogGroup")
        if g["name"] == log_name
    )
    return {
        "lambda_memory_mb": function["memorySize"],
        "architecture": ",".join(function["architectures"]),
        "billing_mode": table["billingMode"],
        "s3_versioning": versioning["versioningConfiguration"]["status"],
        "log_retention_days": retention,
        "vpc_cidr": _find(document, "aws:ec2/vpc:Vpc")[0]["cidrBlock"],
    }


def summary(document: Mapping[str, Any], path: Path) -> str:
    lines = [f"{document['environment']} ({document['region']}) -> {repo_relative(str(path))}"]
    lines.append(f"  {'layer':<10}{'resources':>10}  outputs")
    for layer in document["layers"]:
        lines.append(
            f"  {layer['layer']:<10}{len(layer['resources']):>10}  {len(layer['outputs'])}"
        )
    values = matrix_values(document)
    lines.append("  " + ", ".join(f"{k}={v}" for k, v in values.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s synth --", description=__doc__)
    add_environments_argument(parser)
    args = parser.parse_args(argv)
    for environment in args.environments or ENVIRONMENTS:
        try:
            document = synth_environment(environment)
        except PlatformError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(summary(document, write(document)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
