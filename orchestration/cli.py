"""`python -m orchestration COMMAND ENV [LAYER ...] [flags]`: what the nox sessions call.

Every user mistake ends in one line on stderr and exit 1 (2 for malformed arguments); a run's
first line says which target it talks to.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from orchestration import emulator, targets
from orchestration import rollback as rollbacks
from orchestration.automation import AutomationEngine, find_cli, prepare_virtualenvs
from orchestration.backend import backend_base, backend_url
from orchestration.engine import Engine, StackRef
from orchestration.plan import (
    Action,
    build_plan,
    check_dependents_destroyed,
    check_upstreams,
    dependents,
    missing_upstream,
    require_confirmation,
    select_layers,
)
from orchestration.runner import Console, run_plan, summary
from orchestration.smoke import smoke
from orchestration.targets import Target
from shared import outputs
from shared.environments import ENVIRONMENTS, profile_for
from shared.errors import PlatformError
from shared.layers import LAYERS, deploy_order
from shared.settings import DEFAULT_ORGANIZATION


@dataclass(frozen=True)
class Runtime:
    """What talks to the outside world; tests swap in a fake engine and no emulator."""

    find_cli: Callable[[bool], Any]
    engine_for: Callable[[Any, Target, Callable[[str], None]], Engine]
    start_local: Callable[[Callable[[str], None]], str]
    clients_for: Callable[[Target], Callable[[str], Any]]


def _real_engine(command: Any, target: Target, log: Callable[[str], None]) -> Engine:
    prepare_virtualenvs(log)
    return AutomationEngine(command, target)


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

    def command(name: str, help_text: str, layers: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
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
            help="state base URL (default: $TRADING_ANALYTICS_BACKEND or .state/)",
        )
        sub.add_argument(
            "--org",
            default=DEFAULT_ORGANIZATION,
            help="stack organization (self-managed backends: 'organization')",
        )
        sub.add_argument(
            "--install-cli",
            action="store_true",
            help="install the Pulumi CLI into .pulumi/ when it is missing",
        )
        return sub

    command("deploy", "deploy layers in dependency order").add_argument(
        "--dry-run", action="store_true", help="print the plan; change nothing"
    )
    command("preview", "preview layers in dependency order; change nothing")
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


def _dispatch(args: argparse.Namespace, runtime: Runtime, console: Console) -> int:
    environment = args.environment
    profile = profile_for(environment)
    dry_run = getattr(args, "dry_run", False)
    base = backend_base(args.backend)
    url = backend_url(base, environment)
    stack_for = {
        name: StackRef(layer, environment, url, args.org) for name, layer in LAYERS.items()
    }
    if args.command == "destroy":
        # Checked before anything else, dry run included: production is never one typo away.
        require_confirmation(environment, profile.protected, args.confirm)

    console.line(f"target: {_describe(args.target)}")
    if not dry_run:
        # The CLI first: without one, fail in seconds and start nothing.
        command = runtime.find_cli(args.install_cli)
        target = _target(args.target, runtime, console)
        engine = runtime.engine_for(command, target, console.line)

    if args.command in ("deploy", "preview", "destroy", "drift"):
        action = Action(args.command)
        plan = build_plan(
            action,
            environment,
            select_layers(args.layers),
            stack_for,
            target=_describe(args.target),
            backend_url=url,
            note=(
                "(a deployed layer that reads a destroyed one is checked at run time)"
                if action is Action.DESTROY
                else ""
            ),
        )
        if dry_run:
            console.line(plan.render())
            return 0
        if action is Action.DEPLOY:
            check_upstreams(plan, stack_for, engine)
        if action is Action.DESTROY:
            check_dependents_destroyed(plan, stack_for, engine)

        def blocked(stack: StackRef) -> str | None:
            # A preview of a layer whose upstream was never deployed has nothing to read.
            if action is not Action.PREVIEW:
                return None
            return missing_upstream(stack, stack_for, engine)

        results = run_plan(plan, engine, console, rollbacks.current_revision(), blocked)
        console.line(summary(results))
        if action is Action.DRIFT:
            return 1 if any(r.status != "succeeded" for r in results) else 0
        return 0 if all(r.status in {"succeeded", "blocked"} for r in results) else 1

    if args.command == "rollback":
        return _rollback(
            args, engine=None if dry_run else engine, console=console, stack_for=stack_for, url=url
        )
    merged = {
        key: value
        for layer in deploy_order()
        for key, value in engine.outputs(stack_for[layer.name]).items()
    }
    if args.command == "outputs":
        _print_outputs(merged, args.json, console)
        return 0
    smoke(merged, runtime.clients_for(target), console.line)
    return 0


def _describe(target: str) -> str:
    if target == "aws":
        return targets.aws_target().description
    return "local AWS emulator (moto_server on 127.0.0.1)"


def _target(name: str, runtime: Runtime, console: Console) -> Target:
    if name == "aws":
        return targets.aws_target()
    return targets.local_target(runtime.start_local(console.line))


def _rollback(
    args: argparse.Namespace,
    *,
    engine: Engine | None,
    console: Console,
    stack_for: dict[str, StackRef],
    url: str,
) -> int:
    stack = stack_for[args.layer]
    revision = rollbacks.resolve(args.to) if args.to else None
    readers = ", ".join(d.name for d in dependents(stack.layer)) or "nothing"
    if engine is None:
        chosen = revision or "the previous successful deployment's revision (read at run time)"
        console.line(
            f"plan: rollback {args.environment}\n  target:  {_describe(args.target)}\n"
            f"  backend: {url}\n  1. redeploy {args.layer:<8} {stack.name} from {chosen}\n"
            f"  2. verify the outputs {readers} reads from it"
        )
        return 0
    if revision is None:
        revision = rollbacks.choose_revision(engine.history(stack), stack.name)
    console.line(f"rollback: {stack.name} to {revision}")
    with rollbacks.worktree(revision) as checkout:
        old = StackRef(
            stack.layer,
            stack.environment,
            url,
            stack.organization,
            work_dir=checkout / "stacks" / stack.layer.name,
        )
        plan = build_plan(
            Action.ROLLBACK,
            args.environment,
            (args.layer,),
            {args.layer: old},
            target=_describe(args.target),
            backend_url=url,
        )
        results = run_plan(plan, engine, console, revision)
    console.line(summary(results))
    if not results[0].ok:
        return 1
    unmet = rollbacks.unmet_needs(stack.layer, engine.outputs(stack))
    if unmet:
        console.line(f"rolled back, but {'; '.join(unmet)} and it is gone; redeploy that layer")
        return 1
    console.line(f"verified: every output {readers} reads is still exported")
    return 0


def _print_outputs(merged: dict[str, Any], as_json: bool, console: Console) -> None:
    described = {key: merged.get(key) for key in outputs.DESCRIBED}
    if as_json:
        console.line(json.dumps(described, indent=2))
        return
    width = max(len(key) for key in described)
    for key, value in described.items():
        console.line(f"{key:<{width}}  {value if value is not None else '(not deployed)'}")
