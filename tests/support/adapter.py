"""The Automation API adapter in-process, driving the Pulumi CLI double, with nothing copied.

The stack programs run from this checkout; their virtualenv and the policy pack's are thin
wrappers around this interpreter, which holds what both need. Every CLI invocation is counted.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from orchestration.automation import AutomationEngine
from orchestration.engine import OnOutput, StackRef
from orchestration.targets import Target, aws_target
from orchestration.toolchain import POLICY_PACK
from shared.layers import LAYERS
from tests.support import pulumi_cli
from tests.support.processes import wrapper_python


@dataclass
class Adapter:
    root: Path
    double: Path
    log: list[str]

    def engine(
        self,
        target: Target | None = None,
        prepare: Callable[[OnOutput], None] | None = None,
    ) -> AutomationEngine:
        """A new engine, as one run makes it: its handles are its own."""
        venv = self.root / "venv"

        def virtualenv(_stack: StackRef, _log: OnOutput) -> Path:
            return venv

        return AutomationEngine(
            auto.PulumiCommand(root=str(self.double)),
            target or aws_target(),
            self.log.append,
            programs=self.root / "programs",
            virtualenv=virtualenv,
            policy_pack=self.root / "policy_pack",
            prepare=prepare,
        )

    def stack(
        self, layer: str, backend: str | None = None, *, org: str = "organization"
    ) -> StackRef:
        url = backend or f"{(self.root / 'state').as_uri()}/trading-analytics/dev"
        return StackRef(LAYERS[layer], "dev", url, org)

    def invocations(self) -> list[list[str]]:
        return [call["argv"] for call in pulumi_cli.invocations(self.double)]


def make_adapter(root: Path, monkeypatch: pytest.MonkeyPatch) -> Adapter:
    wrapper_python(root / "venv")
    pack = root / "policy_pack"
    shutil.copytree(POLICY_PACK, pack, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    wrapper_python(pack / ".venv")
    double = root / "pulumi-double"
    pulumi_cli.install(double)
    monkeypatch.setenv("PULUMI_DOUBLE_BUCKETS", str(root / "buckets"))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    return Adapter(root, double, [])


def quiet(_line: str) -> None:
    """An on_output that drops the engine's lines."""


def calls(argvs: list[list[str]], verb: str) -> list[list[str]]:
    return [argv for argv in argvs if verb in argv]


def flag(argv: list[str], name: str) -> Any:
    return argv[argv.index(name) + 1]
