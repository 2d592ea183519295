"""`python -m orchestration COMMAND ENV [LAYER ...] [flags]`: what the nox sessions call.

Every user mistake ends in one line on stderr and exit 1 (2 for malformed arguments); a run's
first line says which target it talks to.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from orchestration import emulator, records, retained, targets
from orchestration import promote as promotion
from orchestration import rollback as rollbacks
from orchestration.affected import affected
from orchestration.automation import AutomationEngine, find_cli, prepare_virtualenvs
from orchestration.backend import backend_base, backend_url
from orchestration.engine import Engine, StackRef
from orchestration.guard import check_replacements
from orchestration.lock import Holder, environment_lock, store_for
from orchestration.plan import (
    Action,
    Plan,
    build_plan,
    check_dependents_destroyed,
    check_upstreams,
    dependents,
    missing_upstream,
    require_confirmation,
    select_layers,
)
from orchestration.report import RunInfo
from orchestration.report import report as report_of
from orchestration.report import write as write_report
from orchestration.runner import Console, StepResult, run_plan, summary
from orchestration.smoke import smoke
from orchestration.targets import Target
from shared import outputs
from shared.environments import ENVIRONMENTS, EnvironmentProfile, profile_for
from shared.errors import PlatformError
from shared.layers import LAYERS, deploy_order
from shared.settings import DEFAULT_ORGANIZATION


def _state_s3(options: Mapping[str, str]) -> Any:
    # The state bucket's own region and endpoint (gocloud URL options), not the target's.
    return boto3.session.Session().client(
        "s3", region_name=options.get("region"), endpoint_url=options.get("endpoint")
    )


@dataclass(frozen=True)
class Runtime:
    """What talks to the outside world; tests swap in a fake engine and no emulator."""

    find_cli: Callable[[bool, Callable[[str], None]], Any]
    engine_for: Callable[[Any, Target, Callable[[str], None]], Engine]
    start_local: Callable[[Callable[[str], None]], str]
    clients_for: Callable[[Target], Callable[[str], Any]]
    # The S3 client of an s3:// state backend (its URL's options), for the environment lock.
    state_s3: Callable[[Mapping[str, str]], Any] = _state_s3
    # promote's policy gate: the guardrails of a revision's checkout on an environment.
    policy: Callable[[Path, str, Callable[[str], None]], None] = promotion.policy_gate


def _real_engine(command: Any, target: Target, log: Callable[[str], None]) -> Engine:
    prepare_virtualenvs(log)
    return AutomationEngine(command, target, log)


def _real_clients(target: Target) -> Callable[[str], Any]:
    session = boto3.session.Session()

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=target.endpoint)  # type: ignore[call-overload]

    return client


REAL = Runtime(
    find_cli=find_cli,
    engine_for=_real_engine,
    start_local=lambda log: emulator.start_emulator(log).endpoint,
    clients_for=_real_clients,
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="nox -s", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    def command(
        name: str, help_text: str, layers: bool = True, source: bool = False
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if source:
            sub.add_argument("source", metavar="FROM", help="the environment that passed")
        sub.add_argument("environment", metavar="ENV", help=" | ".join(ENVIRONMENTS))
        if layers:
            sub.add_argument(
                "layers",
                metavar="LAYER",
                nargs="*",
                help=f"any of {', '.join(LAYERS)}; none means all",
            )
        sub.add_argument(
            "--target",
            choices=("local", "aws"),
            default="local",
            help="local: moto_server on 127.0.0.1 (default); aws: real AWS",
        )
        sub.add_argument(
            "--backend",
            metavar="URL",
            help="state base URL (default: $TRADING_ANALYTICS_BACKEND or .state/<target>/)",
        )
        sub.add_argument(
            "--org",
            default=DEFAULT_ORGANIZATION,
            help="stack organization (self-managed backends: 'organization')",
        )
        if name not in {"outputs", "smoke"}:
            sub.add_argument(
                "--report",
                metavar="FILE",
                help="also write the run report here (always: build/runs/<env>-<time>.json)",
            )
        sub.add_argument(
            "--no-install-cli",
            dest="install_cli",
            action="store_false",
            help="fail instead of installing the Pulumi CLI into .pulumi/ when it is missing",
        )
        return sub

    deploy = command("deploy", "deploy layers in dependency order")
    deploy.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    deploy.add_argument("--confirm", metavar="ENV", help="required with --force-unlock")
    preview = command("preview", "preview layers in dependency order; change nothing")
    preview.add_argument(
        "--expect-no-changes",
        action="store_true",
        help="exit 2, naming them, when any stack would change (a CI gate)",
    )
    for sub in (deploy, preview):
        sub.add_argument(
            "--affected",
            nargs="?",
            const="",
            metavar="REF",
            help="only the layers the changes since REF affect, and those reading them "
            "(default REF: the merge base with the default branch, else HEAD~1)",
        )
    destroy = command("destroy", "destroy layers, dependents first")
    destroy.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    destroy.add_argument("--confirm", metavar="ENV", help="required to destroy production")
    command("outputs", "the platform's outputs, merged across layers", layers=False).add_argument(
        "--json", action="store_true", help="print JSON instead of a table"
    )
    command("drift", "refresh-preview each layer; exit 1 when live resources differ")
    back = command("rollback", "redeploy one layer from an earlier git revision", layers=False)
    back.add_argument("layer", metavar="LAYER", choices=tuple(LAYERS))
    back.add_argument("--to", metavar="GIT_REF", help="default: the previous deployment's")
    back.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    back.add_argument("--confirm", metavar="ENV", help="required with --force-unlock")
    promote = command(
        "promote",
        "deploy to ENV the revision that passed smoke in FROM: policy, preview and guard, "
        "confirm, deploy from a worktree, smoke",
        layers=False,
        source=True,
    )
    promote.add_argument("--dry-run", action="store_true", help="print each gate and its state")
    promote.add_argument("--confirm", metavar="ENV", help="required to promote into production")
    for guarded in (deploy, back, promote):
        guarded.add_argument(
            "--allow-replace",
            metavar="URN",
            nargs="+",
            default=[],
            help="in a protected environment, let exactly these stateful resources be replaced",
        )
    for locking in (deploy, destroy, back, promote):
        locking.add_argument(
            "--force-unlock",
            action="store_true",
            help="remove the environment's lock left by a run that is certainly gone "
            "(needs --confirm ENV)",
        )
    command("smoke", "invoke the function with the test payload; check its writes", layers=False)
    return root


def main(
    argv: Sequence[str] | None = None,
    runtime: Runtime = REAL,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    args = parser().parse_args(argv)
    console = Console(out)
    try:
        return _dispatch(args, runtime, console)
    except PlatformError as error:
        err.write(f"error: {error}\n")
        return 1
    except (BotoCoreError, ClientError) as error:  # smoke's AWS calls: credentials, access, ...
        err.write(f"error: AWS said: {error}\n")
        return 1
    except KeyboardInterrupt:
        err.write("interrupted; stacks that were mid-update may need `pulumi cancel`\n")
        return 130


@dataclass(frozen=True)
class Run:
    """One command's settings, read once from its arguments; the engine only on request."""

    args: argparse.Namespace
    runtime: Runtime
    console: Console
    environment: str
    profile: EnvironmentProfile
    backend_url: str
    stack_for: dict[str, StackRef]
    started: datetime = dataclasses.field(default_factory=lambda: datetime.now(timezone.utc))

    @classmethod
    def from_args(cls, args: argparse.Namespace, runtime: Runtime, console: Console) -> Run:
        profile = profile_for(args.environment)  # an unknown one is a one-line error, first
        url = backend_url(backend_base(args.backend, args.target), args.environment)
        return cls(
            args,
            runtime,
            console,
            args.environment,
            profile,
            url,
            {
                name: StackRef(layer, args.environment, url, args.org)
                for name, layer in LAYERS.items()
            },
        )

    @property
    def dry_run(self) -> bool:
        return bool(getattr(self.args, "dry_run", False))

    @property
    def target_description(self) -> str:
        if self.args.target == "aws":
            return targets.aws_target().description
        return "local AWS emulator (moto_server on 127.0.0.1)"

    def record(self, results: list[StepResult], code: int, revision: str) -> None:
        """The run report (orchestration/report.py), and where it went."""
        info = RunInfo(
            self.args.command,
            self.environment,
            self.target_description,
            self.backend_url,
            revision,
            self.started,
        )
        document = report_of(info, results, code)
        written = [write_report(document)]
        if getattr(self.args, "report", None):
            written.append(write_report(document, Path(self.args.report)))
        self.console.line(f"report: {', '.join(_shown(p) for p in written)}")

    def lock(self) -> AbstractContextManager[None]:
        """The environment's lock, held while this run changes it (orchestration/lock.py)."""
        force = bool(getattr(self.args, "force_unlock", False))
        if force and getattr(self.args, "confirm", None) != self.environment:
            raise PlatformError(
                f"--force-unlock removes another run's lock on {self.environment}; "
                f"add --confirm {self.environment} to proceed"
            )
        return environment_lock(
            store_for(self.backend_url, self.runtime.state_s3),
            Holder.current(self.args.command, self.environment),
            self.console.line,
            force=force,
        )

    def connect(self) -> tuple[Engine, Target]:
        """The engine and the target it acts on. Dry runs of deploy, destroy and rollback never
        get here; promote's does, to read the source environment's history and smoke records."""
        # The CLI first: without one, fail in seconds and start nothing.
        command = self.runtime.find_cli(self.args.install_cli, self.console.line)
        if self.args.target == "aws":
            target = targets.aws_target()
        else:
            target = targets.local_target(self.runtime.start_local(self.console.line))
        return self.runtime.engine_for(command, target, self.console.line), target


def _dispatch(args: argparse.Namespace, runtime: Runtime, console: Console) -> int:
    run = Run.from_args(args, runtime, console)
    if args.command == "destroy":
        # Checked before anything else, dry run included: production is never one typo away.
        require_confirmation(run.environment, run.profile.protected, args.confirm)
    console.line(f"target: {run.target_description}")
    return COMMANDS[args.command](run)


def _layers(run: Run) -> int:
    """deploy, preview, destroy, drift: the chosen layers, wave by wave."""
    action = Action(run.args.command)
    chosen = select_layers(run.args.layers)
    cascade: dict[str, tuple[str, ...]] = {}
    if getattr(run.args, "affected", None) is not None:
        if run.args.layers:
            raise PlatformError("name LAYERs or use --affected, not both")
        selection = affected(run.args.affected or None)
        run.console.line(selection.render())
        if not selection.layers:
            return 0
        chosen = select_layers(selection.layers)
        cascade = selection.cascade
    plan = build_plan(
        action,
        run.environment,
        chosen,
        run.stack_for,
        target=run.target_description,
        backend_url=run.backend_url,
        note=(
            "(a deployed layer that reads a destroyed one is checked at run time)"
            if action is Action.DESTROY
            else ""
        ),
        keep_protected=run.profile.protect_stateful,
    )
    if run.dry_run:
        run.console.line(plan.render())
        return 0
    changes = action in {Action.DEPLOY, Action.DESTROY}
    with run.lock() if changes else contextlib.nullcontext():
        return _run_layers(run, action, plan, cascade)


def _run_layers(
    run: Run, action: Action, plan: Plan, cascade: Mapping[str, tuple[str, ...]]
) -> int:
    engine, _target = run.connect()
    if action is Action.DEPLOY:
        check_upstreams(plan, run.stack_for, engine)
        if run.profile.protected:
            check_replacements(
                plan.stacks, engine, run.args.allow_replace, run.console.line, "deploy"
            )
    if action is Action.DESTROY:
        check_dependents_destroyed(plan, run.stack_for, engine)

    def blocked(stack: StackRef) -> str | None:
        # A preview of a layer whose upstream was never deployed has nothing to read.
        if action is not Action.PREVIEW:
            return None
        return missing_upstream(stack, run.stack_for, engine)

    revision = rollbacks.current_revision()
    results = run_plan(plan, engine, run.console, revision, blocked, cascade=cascade)
    run.console.line(summary(results))
    if plan.keep_protected:
        kept = [(stack, engine.protected(stack)) for stack in plan.stacks]
        for line in retained.explain(run.environment, kept):
            run.console.line(line)
    code = _exit_code(run, action, results)
    run.record(results, code, revision)
    return code


def _exit_code(run: Run, action: Action, results: list[StepResult]) -> int:
    if action is Action.DRIFT:
        return 1 if any(r.status != "succeeded" for r in results) else 0
    if not all(r.ok or r.status == "blocked" or r.unneeded for r in results):
        return 1
    if action is Action.PREVIEW and getattr(run.args, "expect_no_changes", False):
        changing = [
            f"{r.layer} ({', '.join(f'{op} {n}' for op, n in sorted(r.changes.items()))})"
            for r in results
            if any(op != "same" and n for op, n in r.changes.items())
        ]
        if changing:
            run.console.line(f"changes expected to be none: {'; '.join(changing)}")
            return 2
    return 0


def _rollback(run: Run) -> int:
    """Redeploy one layer from an earlier revision, then check what reads it still finds it."""
    layer = run.args.layer
    stack = run.stack_for[layer]
    readers = ", ".join(d.name for d in dependents(stack.layer)) or "nothing"
    verify = f"verify the outputs {readers} reads from it"
    revision = rollbacks.resolve(run.args.to) if run.args.to else None
    if run.dry_run:
        plan = _rollback_plan(
            run,
            stack,
            revision or "the previous successful deployment's revision (read at run time)",
            verify,
        )
        run.console.line(plan.render())
        return 0
    with run.lock():
        return _run_rollback(run, stack, revision, verify)


def _run_rollback(run: Run, stack: StackRef, revision: str | None, verify: str) -> int:
    layer = stack.layer.name
    readers = ", ".join(d.name for d in dependents(stack.layer)) or "nothing"
    engine, _target = run.connect()
    if revision is None:
        revision = rollbacks.choose_revision(engine.history(stack), stack.name)
    run.console.line(f"rollback: {stack.name} to {revision}")
    with rollbacks.worktree(revision) as checkout:
        old = dataclasses.replace(stack, work_dir=checkout / "stacks" / layer)
        if run.profile.protected:
            check_replacements([old], engine, run.args.allow_replace, run.console.line, "roll back")
        plan = _rollback_plan(run, old, revision, verify)
        results = run_plan(plan, engine, run.console, revision)
    run.console.line(summary(results))
    code = _verify_rollback(run, stack, engine, readers) if results[0].ok else 1
    run.record(results, code, revision)
    return code


def _verify_rollback(run: Run, stack: StackRef, engine: Engine, readers: str) -> int:
    unmet = rollbacks.unmet_needs(stack.layer, engine.outputs(stack))
    if unmet:
        run.console.line(f"rolled back, but {'; '.join(unmet)} and it is gone; redeploy that layer")
        return 1
    run.console.line(f"verified: every output {readers} reads is still exported")
    return 0


def _rollback_plan(run: Run, stack: StackRef, revision: str, verify: str) -> Plan:
    return build_plan(
        Action.ROLLBACK,
        run.environment,
        (stack.layer.name,),
        {stack.layer.name: stack},
        target=run.target_description,
        backend_url=run.backend_url,
        revision=revision,
        then=(verify,),
    )


def _merged_outputs(run: Run, engine: Engine) -> dict[str, Any]:
    return {
        key: value
        for layer in deploy_order()
        for key, value in engine.outputs(run.stack_for[layer.name]).items()
    }


def _outputs(run: Run) -> int:
    engine, _target = run.connect()
    _print_outputs(_merged_outputs(run, engine), run.args.json, run.console)
    return 0


def _smoke(run: Run) -> int:
    engine, target = run.connect()
    _smoke_and_record(run, engine, target)
    return 0


def _smoke_and_record(run: Run, engine: Engine, target: Target) -> None:
    """Smoke-test the environment and record the result for the revision it runs."""
    state = records.deployed(engine, _stacks(run), run.environment)
    try:
        smoke(_merged_outputs(run, engine), run.runtime.clients_for(target), run.console.line)
    except (PlatformError, BotoCoreError, ClientError) as error:
        _record(run, state, passed=False, detail=str(error).splitlines()[0])
        raise
    _record(run, state, passed=True, detail="ok")


def _record(run: Run, state: records.Deployed, *, passed: bool, detail: str) -> None:
    revision = state.revision
    if revision is None or not records.recordable(revision):
        why = state.why_not_one() if revision is None else "it runs uncommitted changes"
        run.console.line(f"smoke result not recorded ({why}): no promotion can rely on it")
        return
    record = records.SmokeRecord.now(run.environment, revision, passed, detail)
    records.save(run.backend_url, run.runtime.state_s3, record)
    run.console.line(f"recorded: {record.describe()}")


def _stacks(run: Run) -> list[StackRef]:
    return [run.stack_for[layer.name] for layer in deploy_order()]


def _promote(run: Run) -> int:
    """The gates of orchestration/promote.py, in order; the first that fails ends the run."""
    source = run.args.source
    promotion.check_direction(source, run.environment)
    base = backend_base(run.args.backend, run.args.target)
    source_url = backend_url(base, source)
    engine, target = run.connect()
    source_stacks = [
        dataclasses.replace(stack, environment=source, backend_url=source_url)
        for stack in _stacks(run)
    ]
    deployed = records.deployed(engine, source_stacks, source)
    revision = deployed.revision
    record = (
        records.load(source_url, run.runtime.state_s3, revision)
        if revision and records.recordable(revision)
        else None
    )
    state = promotion.SourceState(deployed, record)
    refusal = state.refusal()
    confirmed = not run.profile.protected or run.args.confirm == run.environment
    if run.dry_run:
        gates = _gate_states(run, state, refusal, confirmed)
        run.console.line(promotion.render(source, run.environment, state, gates))
    if refusal:
        raise PlatformError(f"refusing to promote: {refusal}")
    if run.dry_run:
        return 0
    assert revision is not None
    with run.lock():
        return _run_promotion(
            run,
            engine=engine,
            target=target,
            state=state,
            revision=revision,
            confirmed=confirmed,
        )


def _gate_states(
    run: Run, state: promotion.SourceState, refusal: str | None, confirmed: bool
) -> list[str]:
    allowed = " ".join(run.args.allow_replace) or "none"
    return [
        f"REFUSED: {refusal}"
        if refusal
        else f"ok: {state.record.describe() if state.record else ''}",
        f"pending: the guardrails on {run.environment}'s synth of this revision",
        f"pending: preview {run.environment} from this revision; stateful replacements refused "
        f"(allowed: {allowed})",
        (
            f"ok: --confirm {run.environment}"
            if confirmed and run.profile.protected
            else "not needed"
            if confirmed
            else f"MISSING: add --confirm {run.environment}"
        ),
        f"pending: every layer of {run.environment}, from a worktree of this revision",
        f"pending: smoke {run.environment}, recording the result for this revision",
    ]


def _run_promotion(
    run: Run,
    *,
    engine: Engine,
    target: Target,
    state: promotion.SourceState,
    revision: str,
    confirmed: bool,
) -> int:
    say = run.console.line
    say(f"promote: {state.record.describe() if state.record else revision}")
    with rollbacks.worktree(revision, "promote") as checkout:
        say(f"gate 1/5 policy: {run.environment} as {revision[:12]} would deploy it")
        run.runtime.policy(checkout, run.environment, say)
        say("gate 1/5 policy: passed")
        stacks = {
            stack.layer.name: dataclasses.replace(
                stack, work_dir=checkout / "stacks" / stack.layer.name
            )
            for stack in _stacks(run)
        }
        say("gate 2/5 preview + guard")
        check_replacements(list(stacks.values()), engine, run.args.allow_replace, say, "promote")
        say("gate 2/5 preview + guard: no stateful resource would be replaced unnamed")
        if not confirmed:
            raise PlatformError(
                f"refusing to deploy {revision[:12]} to {run.environment}: policy and preview "
                f"passed; add --confirm {run.environment} to proceed"
            )
        say(
            f"gate 3/5 confirm: --confirm {run.environment}"
            if run.profile.protected
            else "gate 3/5 confirm: not needed"
        )
        say(f"gate 4/5 deploy: {revision[:12]} to {run.environment}, from its worktree")
        plan = build_plan(
            Action.DEPLOY,
            run.environment,
            tuple(stacks),
            stacks,
            target=run.target_description,
            backend_url=run.backend_url,
            revision=revision,
        )
        results = run_plan(plan, engine, run.console, revision)
    say(summary(results))
    if not all(result.ok for result in results):
        run.record(results, 1, revision)
        return 1
    say(f"gate 5/5 smoke: {run.environment}")
    try:
        _smoke_and_record(run, engine, target)
    except BaseException:
        run.record(results, 1, revision)
        raise
    run.record(results, 0, revision)
    say(f"promoted {revision[:12]} from {state.deployed.environment} to {run.environment}")
    return 0


COMMANDS: dict[str, Callable[[Run], int]] = {
    "deploy": _layers,
    "preview": _layers,
    "destroy": _layers,
    "drift": _layers,
    "rollback": _rollback,
    "outputs": _outputs,
    "smoke": _smoke,
    "promote": _promote,
}


def _print_outputs(merged: dict[str, Any], as_json: bool, console: Console) -> None:
    described = {key: merged.get(key) for key in outputs.SHOWN}
    if as_json:
        console.line(json.dumps(described, indent=2))
        return
    width = max(len(key) for key in described)
    for key, value in described.items():
        console.line(f"{key:<{width}}  {value if value is not None else '(not deployed)'}")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
