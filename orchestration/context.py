"""What a command runs with: the outside world (`Runtime`, swapped in tests) and one `Run`."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import yaml

from emulator import process as emulator
from orchestration import aws, local_state, targets
from orchestration.automation import AutomationEngine
from orchestration.backend import backend_base, backend_url, passphrase_env
from orchestration.engine import Engine, StackRef
from orchestration.lock import Holder, environment_lock, lock_at
from orchestration.network_release import ReleaseTiming
from orchestration.options import Common
from orchestration.plan import Plan
from orchestration.promotion import guardrails_gate
from orchestration.report import RunInfo
from orchestration.report import report as report_of
from orchestration.report import write as write_report
from orchestration.runner import Console, Interrupted, Status, StepResult, run_plan, summary
from orchestration.state_objects import StateS3
from orchestration.targets import Target
from orchestration.toolchain import find_cli, prepare_virtualenvs
from shared.environments import EnvironmentProfile, profile_for
from shared.errors import PlatformError
from shared.layers import LAYERS, deploy_order
from shared.settings import DEFAULT_ORGANIZATION

Log = Callable[[str], None]


def _state_s3(options: Mapping[str, str]) -> Any:
    # The state bucket's own region and endpoint (gocloud URL options), not the target's.
    return aws.clients(region=options.get("region"), endpoint=options.get("endpoint"))("s3")


def _engine(command: Any, target: Target, log: Log) -> Engine:
    # The virtualenvs are built when an operation first runs a program, not for a read.
    return AutomationEngine(command, target, log, prepare=prepare_virtualenvs)


def _start_local(log: Log) -> str:
    try:
        return emulator.start_emulator(log).endpoint
    except emulator.EmulatorError as error:  # the emulator stands alone: its errors are ours here
        raise PlatformError(str(error)) from error


def _target_clients(target: Target) -> aws.Clients:
    # The target's credentials and the stack's region, never the shell's defaults.
    return aws.clients(
        region=target.region, endpoint=target.endpoint, credentials=target.credentials
    )


@dataclass(frozen=True)
class Runtime:
    """What talks to the outside world; tests swap in a fake engine and no emulator."""

    find_cli: Callable[[bool, Log], Any] = find_cli
    engine_for: Callable[[Any, Target, Log], Engine] = _engine
    start_local: Callable[[Log], str] = _start_local
    clients_for: Callable[[Target], aws.Clients] = _target_clients
    # The recorded emulator (its pid and start time), for the stale-state check and last line.
    emulator_record: Callable[[], emulator.EmulatorRecord | None] = emulator.running_emulator
    # The S3 client of an s3:// state backend (its URL's options), for the lock and records.
    state_s3: StateS3 = _state_s3
    # promote's guardrails gate: the guardrails of a revision's checkout on an environment.
    guardrails: Callable[[Path, str, Log], None] = guardrails_gate
    # How long destroy waits for Lambda to release the function's network interfaces.
    release_timing: ReleaseTiming = field(default_factory=ReleaseTiming)


REAL = Runtime()


@dataclass(frozen=True)
class Run:
    """One command's settings, read once from its options; the engine only on request."""

    options: Common
    runtime: Runtime
    console: Console
    # Where machine-readable output goes (stdout); the console carries everything else.
    out: TextIO
    profile: EnvironmentProfile
    # The state base URL as checked (orchestration/backend.py), and this environment's in it.
    backend_base: str
    backend_url: str
    stack_for: dict[str, StackRef]
    # What reading the options found worth saying, printed after the target line.
    notes: tuple[str, ...] = ()
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    # The emulator this run connected to, once it has (for the run's last line).
    emulators: list[emulator.EmulatorRecord] = field(default_factory=list)
    # What the run report says beyond its stacks (preflight's findings, or that it was skipped).
    reported: dict[str, Any] = field(default_factory=dict)
    _targets: list[Target] = field(default_factory=list)  # the one target, once made

    @classmethod
    def start(cls, options: Common, runtime: Runtime, console: Console, out: TextIO) -> Run:
        profile = profile_for(options.environment)  # an unknown one is a one-line error, first
        notes: list[str] = []
        base = backend_base(options.backend, options.target, say=notes.append)
        url = backend_url(base, options.environment)
        stacks = {
            name: StackRef(layer, options.environment, url, options.org)
            for name, layer in LAYERS.items()
        }
        return cls(options, runtime, console, out, profile, base, url, stacks, tuple(notes))

    @property
    def environment(self) -> str:
        return self.options.environment

    @property
    def say(self) -> Log:
        return self.console.line

    @property
    def stacks(self) -> list[StackRef]:
        """Every layer's stack, in deploy order."""
        return [self.stack_for[layer.name] for layer in deploy_order()]

    @property
    def target_description(self) -> str:
        if self.options.target == "aws":
            return targets.aws_target().description
        return "local AWS emulator (moto_server on 127.0.0.1)"

    def record(self, results: list[StepResult], code: int, revision: str) -> None:
        """The run report (orchestration/report.py), and where it went."""
        info = RunInfo(
            self.options.command,
            self.environment,
            self.target_description,
            self.backend_url,
            revision,
            self.started,
        )
        document = report_of(info, results, code)
        document.update(self.reported)
        written = [write_report(document)]
        if self.options.report:
            written.append(write_report(document, self.options.report))
        self.say(f"report: {', '.join(shown(p) for p in written)}")

    def run_plan(
        self, plan: Plan, engine: Engine, revision: str, **kwargs: Any
    ) -> list[StepResult]:
        """The plan run (orchestration/runner.py); after Ctrl-C, its report and the way back."""
        try:
            return run_plan(plan, engine, self.console, revision, **kwargs)
        except Interrupted as stop:
            self._record_interrupted(stop, revision)
            raise

    def _record_interrupted(self, stop: Interrupted, revision: str) -> None:
        self.say(summary(stop.results))  # what finished, what was interrupted, what never ran
        self.record(stop.results, 130, revision)
        for result in stop.results:
            if result.status is Status.INTERRUPTED:
                self.say(
                    f"interrupted: {result.stack} may hold a pending operation; if a later run "
                    f"says it is locked, clear it: {self.cancel_command(result.layer)}"
                )

    def cancel_command(self, layer: str) -> str:
        """The exact command that runs `pulumi cancel` for a layer, with this run's state."""
        words = ["nox -s cancel --", self.environment, layer]
        if self.options.target != "local":
            words += ["--target", self.options.target]
        if self.options.backend:
            words += ["--backend", shlex.quote(self.options.backend)]
        if self.options.org != DEFAULT_ORGANIZATION:
            words += ["--org", self.options.org]
        return " ".join(words)

    def lock(self, *, force: bool, confirm: str | None) -> AbstractContextManager[None]:
        """The environment's lock, held while this run changes it (orchestration/lock.py)."""
        passphrase_env(self.backend_url)  # one the shell lacks: said before the lock, not after
        if force and confirm != self.environment:
            raise PlatformError(
                f"--force-unlock removes another run's lock on {self.environment}; "
                f"add --confirm {self.environment} to proceed"
            )
        return environment_lock(
            lock_at(self.backend_url, self.runtime.state_s3),
            Holder.current(self.options.command, self.environment),
            self.say,
            force=force,
        )

    def connect(self, *, reads_aws: bool = True) -> tuple[Engine, Target]:
        """The engine and the target it acts on; no dry run gets here. A command that only reads
        its stacks (`reads_aws=False`: outputs, cancel) starts no emulator."""
        passphrase_env(self.backend_url)  # a passphrase the shell lacks: said before anything
        # The CLI first: without one, fail in seconds and start nothing.
        command = self.runtime.find_cli(self.options.install_cli, self.say)
        target = self.target(start=reads_aws)
        return self.runtime.engine_for(command, target, self.say), target

    def target(self, *, start: bool = True) -> Target:
        """Where the run acts, in the stack's own region: AWS, or the emulator (started unless
        `start` is false; then the running one, or none when none runs)."""
        if self._targets:
            return self._targets[0]
        region = stack_region(self.stack_for["compute"])
        if self.options.target == "aws":
            target = targets.aws_target(region)
        elif not start and self.runtime.emulator_record() is None:
            # Nothing to read from, and nothing needed: the stacks' state is all that is read.
            if self.options.command != "cancel":  # cancel clears state, whatever it describes
                local_state.check_stopped(self.backend_url)
            # Not kept: a later target() of this run that must reach AWS starts the emulator.
            return targets.local_target(targets.NO_EMULATOR, region)
        else:
            # start_local reuses the running emulator, and starts one only when none runs.
            endpoint = self.runtime.start_local(self.say)
            target = targets.local_target(endpoint, region)
            record = self.runtime.emulator_record()
            if record is not None and record.endpoint == endpoint:
                self.emulators.append(record)
                if self.options.command not in ("destroy", "cancel"):  # harmless on lost state
                    local_state.check(self.backend_url, record)
        self._targets.append(target)
        return target


def stack_region(stack: StackRef) -> str | None:
    """A stack's own `aws:region` (its Pulumi.<env>.yaml), not the shell's default."""
    path = stack.program_dir / f"Pulumi.{stack.environment}.yaml"
    try:
        document = yaml.safe_load(path.read_text()) if path.exists() else None
    except (OSError, yaml.YAMLError):
        return None  # stack_config.check says what is wrong with it, before any run
    region = ((document or {}).get("config") or {}).get("aws:region")
    return str(region) if region else None


def shown(path: Path) -> str:
    """A path as a user reads it: relative to where they ran the command, when it is inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
