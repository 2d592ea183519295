"""Driving the orchestration CLI in-process against the fake engine."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto import mock_aws

from orchestration import aws, cli
from orchestration.context import REAL, Runtime
from orchestration.engine import Engine
from orchestration.targets import Target
from tests.support.fake_engine import FakeEngine


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Harness:
    engine: FakeEngine
    targets: list[Target]
    cli_checked: list[bool]

    # promote's guardrails gate; None: the real one (the revision's guardrails, in a subprocess).
    guardrails: Callable[[Path, str, Callable[[str], None]], None] | None = None

    def runtime(self, clients: Callable[[str], Any] | None = None) -> Runtime:
        def find_cli(install: bool, _log: Callable[[str], None]) -> object:
            self.cli_checked.append(install)
            return object()

        def engine_for(_command: Any, target: Target, _log: Callable[[str], None]) -> Engine:
            self.targets.append(target)
            return self.engine

        return Runtime(
            find_cli=find_cli,
            engine_for=engine_for,
            start_local=lambda _log: "http://127.0.0.1:4566",
            clients_for=lambda _target: clients or (lambda service: None),
            guardrails=self.guardrails or REAL.guardrails,
        )

    def run(self, *argv: str, clients: Callable[[str], Any] | None = None) -> Run:
        return self.run_with(self.runtime, argv, clients)

    def run_with(
        self,
        runtime: Callable[[Callable[[str], Any]], Runtime],
        argv: tuple[str, ...],
        clients: Callable[[str], Any] | None = None,
    ) -> Run:
        """`argv` through the CLI with the runtime `runtime` makes of the clients. Without an
        account of the test's own, AWS calls go to an empty moto account (no function, no
        network interfaces): what a run against a fresh target finds."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.nullcontext() if clients else mock_aws():
            chosen = clients or aws.clients(region="us-east-1")
            code = cli.main(list(argv), runtime=runtime(chosen), out=out, err=err)
        return Run(code, out.getvalue(), err.getvalue())
