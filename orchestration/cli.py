"""`python -m orchestration COMMAND ENV ...`: the parser, and argv made once into one typed
options object per command (options.py); the work lives in commands/. A user's mistake is one
line on stderr, exit 1 (2 for malformed arguments)."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from orchestration import commands
from orchestration.commands.promote import GATES
from orchestration.commands.send import arguments as send_arguments
from orchestration.context import REAL, Runtime
from orchestration.options import (
    ABSENT,
    CancelOptions,
    ChangeArgs,
    CommonArgs,
    LayersOptions,
    Options,
    OutputsOptions,
    PreflightOptions,
    PromoteOptions,
    RollbackOptions,
    SendOptions,
    SmokeOptions,
)
from orchestration.plan import Action
from orchestration.runner import Console
from shared.environments import ENVIRONMENTS, profile_for
from shared.errors import PlatformError
from shared.layers import LAYERS
from shared.settings import DEFAULT_ORGANIZATION

Convert = Callable[[argparse.Namespace, CommonArgs], Options]


def _common(sub: argparse.ArgumentParser, *, report: bool) -> None:
    sub.add_argument("environment", metavar="ENV", help=" | ".join(ENVIRONMENTS))
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
    sub.set_defaults(report=None)
    if report:
        sub.add_argument(
            "--report",
            metavar="FILE",
            type=Path,
            help="also write the run report here (always: build/runs/<env>-<time>.json)",
        )
    sub.add_argument(
        "--no-install-cli",
        dest="install_cli",
        action="store_false",
        help="fail instead of installing the Pulumi CLI into .pulumi/ when it is missing",
    )


def _changing(
    sub: argparse.ArgumentParser, *, confirm: str, guarded: bool = True, preflight: bool = True
) -> None:
    sub.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    sub.add_argument("--confirm", metavar="ENV", help=confirm)
    sub.add_argument(
        "--force-unlock",
        action="store_true",
        help="remove the environment's lock left by a run that is certainly gone "
        "(needs --confirm ENV)",
    )
    if preflight:
        sub.add_argument(
            "--skip-preflight",
            action="store_true",
            help="on the aws target, deploy without first checking the account (said, and "
            "recorded in the run report)",
        )
    if guarded:
        # One URN per flag, repeated: a list flag (nargs="+") would swallow the ENV after it.
        sub.add_argument(
            "--allow-replace",
            metavar="URN",
            action="append",
            default=[],
            help="in a protected environment, let this stateful resource be replaced "
            "(repeat the flag for each)",
        )


def _layers(sub: argparse.ArgumentParser) -> None:
    # default=[]: without it argparse counts a `*` positional among the required arguments.
    sub.add_argument(
        "layers",
        metavar="LAYER",
        nargs="*",
        default=[],
        help=f"any of {', '.join(LAYERS)}; none means all",
    )


def _affected(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--affected",
        nargs="?",
        const="",
        metavar="REF",
        help="only the layers the changes since REF affect, and those reading them "
        "(default REF: the merge base with the default branch, else HEAD~1)",
    )


def _declare(name: str, sub: argparse.ArgumentParser) -> Convert:
    """Each command's own arguments, and how its namespace becomes its options."""
    sub.set_defaults(**ABSENT)
    if name in {"deploy", "preview", "destroy", "drift"}:
        _layers(sub)
        if name in {"deploy", "destroy"}:
            confirm = "required to destroy production" if name == "destroy" else "with unlock"
            deploys = name == "deploy"
            _changing(sub, confirm=confirm, guarded=deploys, preflight=deploys)
        if name in {"deploy", "preview"}:
            _affected(sub)
        if name == "preview":
            sub.add_argument(
                "--expect-no-changes",
                action="store_true",
                help="exit 2, naming them, when any stack would change (a CI gate)",
            )
        return lambda ns, common: LayersOptions(
            **common,
            **_changes(ns),
            action=Action(name),
            layers=tuple(ns.layers),
            affected=ns.affected,
            expect_no_changes=ns.expect_no_changes,
        )
    if name == "rollback":
        sub.add_argument("layer", metavar="LAYER", choices=tuple(LAYERS))
        sub.add_argument("--to", metavar="GIT_REF", help="default: the previous deployment's")
        _changing(sub, confirm="required with --force-unlock")
        return lambda ns, c: RollbackOptions(**c, **_changes(ns), layer=ns.layer, to=ns.to)
    if name == "promote":
        _changing(sub, confirm="required to promote into production")
        sub.add_argument(
            "--skip-staging",
            action="store_true",
            help="promote past the environments between FROM and ENV (recorded in the report)",
        )
        return lambda ns, c: PromoteOptions(
            **c, **_changes(ns), source=ns.source, skip_staging=ns.skip_staging
        )
    if name == "cancel":
        _layers(sub)
        return lambda ns, c: CancelOptions(**c, layers=tuple(ns.layers))
    if name == "outputs":
        sub.add_argument("--json", action="store_true", help="print JSON (only) on stdout")
        return lambda ns, common: OutputsOptions(**common, json=ns.json)
    if name == "preflight":
        return lambda ns, common: PreflightOptions(**common)
    if name == "send":
        send_arguments(sub)
        return lambda ns, c: SendOptions(**c, count=ns.count, symbol=ns.symbol, amount=ns.amount)
    return lambda ns, common: SmokeOptions(**common)


# The one declared list of commands: name, help; the order `--help` shows them in.
COMMANDS = {
    "deploy": "deploy layers in dependency order",
    "preview": "preview layers in dependency order; change nothing",
    "destroy": "destroy layers, dependents first",
    "outputs": "the platform's outputs, merged across layers",
    "drift": "refresh-preview each layer; exit 1 when live resources differ",
    "rollback": "redeploy one layer from an earlier git revision",
    "promote": "deploy to ENV the revision that passed smoke in FROM, gate by gate: "
    + ", ".join(gate.name for gate in GATES),
    "preflight": "check the account before a first deploy: what AWS would refuse, with the fix",
    "smoke": "one trade invoked, one on the stream; both read back in their rollup",
    "send": "put well-formed trades on the environment's stream, routed as the producers do",
    "cancel": "clear the pending operation an interrupted run left on its stacks (pulumi cancel)",
}


def _changes(ns: argparse.Namespace) -> ChangeArgs:
    """The fields of `Changing`."""
    return {
        "dry_run": ns.dry_run,
        "confirm": ns.confirm,
        "force_unlock": ns.force_unlock,
        "allow_replace": tuple(ns.allow_replace),
        "skip_preflight": ns.skip_preflight,
    }


Parsers = dict[str, argparse.ArgumentParser]


def parser() -> tuple[argparse.ArgumentParser, dict[str, Convert], Parsers]:
    """The root parser, each command's converter, and each command's own parser."""
    # No abbreviations (`--dry` for `--dry-run`): a later option could change an old script.
    root = argparse.ArgumentParser(prog="nox -s", description=__doc__, allow_abbrev=False)
    subparsers = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    converters: dict[str, Convert] = {}
    subs: Parsers = {}
    for name, help_text in COMMANDS.items():
        sub = subs[name] = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            prog=f"nox -s {name} --",
            allow_abbrev=False,
        )
        if name == "promote":
            sub.add_argument("source", metavar="FROM", help="the environment that passed")
        _common(sub, report=name not in {"outputs", "smoke", "cancel", "send", "preflight"})
        converters[name] = _declare(name, sub)
    return root, converters, subs


def parse(argv: Sequence[str] | None) -> Options:
    """argv as the typed options of its command: the only place that sees argparse."""
    root, converters, subs = parser()
    ns, unknown = root.parse_known_args(argv)
    if unknown:
        _refuse_unknown(subs[ns.command], unknown)
    common: CommonArgs = {
        "command": ns.command,
        "environment": ns.environment,
        "target": ns.target,
        "backend": ns.backend,
        "org": ns.org,
        "install_cli": ns.install_cli,
        "report": ns.report,
    }
    options = converters[ns.command](ns, common)
    allowed = getattr(options, "allow_replace", ())
    if allowed and ns.environment in ENVIRONMENTS and not profile_for(ns.environment).protected:
        subs[ns.command].error(
            f"--allow-replace is for protected environments; {ns.environment} is not protected "
            "(its stateful resources are replaced without it), so there is nothing to allow"
        )
    return options


def _refuse_unknown(sub: argparse.ArgumentParser, unknown: list[str]) -> None:
    """argparse's usage error, with the nearest option of the command for a mistyped one."""
    # argparse keeps no public list of a parser's options.
    known = [option for action in sub._actions for option in action.option_strings]
    near = [difflib.get_close_matches(arg.split("=")[0], known, n=1) for arg in unknown]
    hint = "; ".join(f"did you mean {m[0]}?" for m in near if m)
    sub.error(f"unrecognized arguments: {' '.join(unknown)}" + (f"; {hint}" if hint else ""))


def main(
    argv: Sequence[str] | None = None,
    runtime: Runtime = REAL,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    options = parse(argv)
    # With --json, stdout carries the JSON alone; every other line goes to stderr.
    console = Console(err if isinstance(options, OutputsOptions) and options.json else out)
    try:
        return commands.run(options, runtime, console, out)
    except PlatformError as error:
        err.write(f"error: {error}\n")
        return 1
    except (BotoCoreError, ClientError) as error:  # smoke's AWS calls: credentials, access, ...
        err.write(f"error: AWS said: {error}\n")
        return 1
    except KeyboardInterrupt:  # what was interrupted, and how to clear it, is said above
        err.write("error: interrupted\n")
        return 130
