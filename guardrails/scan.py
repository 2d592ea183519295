"""`nox -s scan -- [ENV ...]`: checkov over each synthesized environment, offline.

Each environment is synthesized, exported as a Terraform plan (guardrails/terraform.py) to
build/scan/<env>.plan.json and scanned by checkov's terraform_plan framework (from a copy: see
READ_PREFIX); its JSON results are kept as build/scan/<env>.checkov.json. A failed check counts
only when no waiver (guardrails/waivers.py, the list `nox -s guardrails` prints too) covers that
check, resource type and environment. Exit 1 on any unwaived failure, or when checkov did not
read every exported resource (an export it cannot parse would otherwise pass silently).

Offline: `--skip-download` (no guidelines or external checks), no API key, and
CKV_SKIP_PACKAGE_UPDATE_CHECK (checkov's banner would otherwise ask PyPI for a newer version).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardrails.report import load
from guardrails.terraform import exported_resources, to_plan
from guardrails.waivers import WAIVERS, Waiver, waiver_for
from shared.environments import ENVIRONMENTS, add_environments_argument
from shared.errors import PlatformError
from shared.layers import REPO_ROOT

SCAN_DIR = REPO_ROOT / "build" / "scan"
OFFLINE = {
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_ALLOW_TELEMETRY": "false",
}
# checkov loads a plan with a YAML loader that adds the file's path as `__file__` to every mapping
# (cloudformation/parser/cfn_yaml.py, MarkedLoader.construct_mapping), the function's environment
# variables too, and CKV_AWS_45 (terraform/checks/resource/aws/LambdaEnvironmentCredentials.py)
# tests each variable for common/util/secrets.py's AWS secret key: from a clone at
# /srv/repos/trading, "/srv/repos/trading/build/scan/production" is one. The path is made real
# first (terraform/plan_utils.py, create_definitions: os.path.realpath), so a relative name does
# not help; checkov reads a copy at a path chosen here instead, whose only long run of those
# characters is the temporary directory's own ("/tmp/checkov"; after the "-", at most 19).
READ_PREFIX = "checkov-"
# That pattern, copied: a TMPDIR it matched would bring the false positive back, so it is refused.
AWS_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")


@dataclass(frozen=True)
class ScanFinding:
    check: str
    resource: str
    name: str
    waiver: Waiver | None


@dataclass
class ScanResult:
    environment: str
    exported: int
    read: int
    passed: int
    # The resource types at least one check passed on (what checkov demonstrably read).
    passed_types: frozenset[str] = frozenset()
    findings: list[ScanFinding] = field(default_factory=list)

    @property
    def unwaived(self) -> list[ScanFinding]:
        return [f for f in self.findings if f.waiver is None]

    @property
    def ok(self) -> bool:
        return not self.unwaived and self.read == self.exported


def checkov_command() -> list[str]:
    """checkov from its own virtualenv (CHECKOV, set by `nox -s scan`), else from PATH.

    Its own, because checkov pins boto3, networkx and packaging below this project's versions.
    """
    found = os.environ.get("CHECKOV") or shutil.which("checkov")
    if not found or not Path(found).exists():
        raise PlatformError("checkov is not installed here; run the scan as `nox -s scan`")
    return [os.path.abspath(found)]  # it runs in the plan's directory


def run_checkov(plan: Path) -> dict[str, Any]:
    """checkov's JSON report of one plan file, read from a copy whose path no secret check matches.

    The report names the plan itself wherever it names the copy (file_abs_path, each entity's
    `__file__`, ...), as when checkov read the plan in place.
    """
    with tempfile.TemporaryDirectory(prefix=READ_PREFIX) as scratch:
        copy = Path(scratch).resolve() / plan.name
        if AWS_SECRET_KEY.search(str(copy)):
            raise PlatformError(
                f"checkov would take the path {copy} for an AWS secret key in the function's"
                " environment; set TMPDIR to a shorter or longer directory"
            )
        shutil.copyfile(plan, copy)
        report = checkov_report(copy)
    result: dict[str, Any] = _renamed(report, str(copy), str(plan.resolve()))
    return result


def _renamed(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {key: _renamed(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, old, new) for item in value]
    return new if value == old else value


def checkov_report(plan: Path) -> dict[str, Any]:
    """checkov's JSON report of the plan file at `plan`, read there (run_checkov reads a copy)."""
    completed = subprocess.run(
        [
            *checkov_command(),
            "--file",
            str(plan),
            "--framework",
            "terraform_plan",
            "--skip-download",
            "--output",
            "json",
            "--compact",
        ],
        env={**os.environ, **OFFLINE},
        # repo_file_path is relative to the working directory: "/<env>.plan.json", as file_path.
        cwd=plan.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # checkov exits 1 when a check fails; anything it could not report is another matter.
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-1:]
        raise PlatformError(f"checkov did not report on {plan.name}: {' '.join(tail)}") from None
    if isinstance(report, list):  # one entry per framework
        report = next(r for r in report if r.get("check_type") == "terraform_plan")
    if "summary" not in report:  # "no resources found" comes back as a bare summary dict
        report = {"summary": report, "results": {"passed_checks": [], "failed_checks": []}}
    result: dict[str, Any] = report
    return result


def scan(environment: str, document: Mapping[str, Any], directory: Path = SCAN_DIR) -> ScanResult:
    directory.mkdir(parents=True, exist_ok=True)
    plan = directory / f"{environment}.plan.json"
    plan.write_text(json.dumps(to_plan(document), indent=1, sort_keys=True) + "\n")
    report = run_checkov(plan)
    (directory / f"{environment}.checkov.json").write_text(json.dumps(report, indent=1) + "\n")
    results = report["results"]
    findings = [
        ScanFinding(
            check["check_id"],
            check["resource"],
            check.get("check_name", ""),
            waiver_for(check["check_id"], check["resource"].split(".")[0], environment),
        )
        for check in results.get("failed_checks", [])
    ]
    return ScanResult(
        environment=environment,
        exported=len(exported_resources(document)),
        read=int(report["summary"].get("resource_count", 0)),
        passed=int(report["summary"].get("passed", 0)),
        passed_types=frozenset(
            check["resource"].split(".")[0] for check in results.get("passed_checks", [])
        ),
        findings=sorted(findings, key=lambda f: (f.check, f.resource)),
    )


def render(results: Sequence[ScanResult]) -> str:
    lines = [
        f"{'environment':<12}{'exported':>9}{'read':>6}{'passed':>8}{'failed':>8}"
        f"{'waived':>8}{'unwaived':>10}"
    ]
    for r in results:
        lines.append(
            f"{r.environment:<12}{r.exported:>9}{r.read:>6}{r.passed:>8}{len(r.findings):>8}"
            f"{len(r.findings) - len(r.unwaived):>8}{len(r.unwaived):>10}"
        )
    problems = [
        f"  {r.environment}: {f.check} on {f.resource}: {f.name}"
        for r in results
        for f in r.unwaived
    ] + [
        f"  {r.environment}: checkov read {r.read} of {r.exported} exported resources"
        for r in results
        if r.read != r.exported
    ]
    if problems:
        lines += ["", "not waived:", *problems]
    lines += [
        "",
        "waived (with reasons and scope):",
        *(f"  {w.check}: {w.reason} [{w.scope}]" for w in WAIVERS),
        "",
        f"reports: {SCAN_DIR.relative_to(REPO_ROOT)}/<env>.checkov.json",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s scan --", description=__doc__)
    add_environments_argument(parser)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="synthesize each environment first, as `nox -s scan` does",
    )
    args = parser.parse_args(argv)
    results = []
    try:
        for environment in args.environments or ENVIRONMENTS:
            print(f"scanning {environment} with checkov ...", flush=True)
            results.append(scan(environment, load(environment, fresh=args.fresh)))
    except PlatformError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(render(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
