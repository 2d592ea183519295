"""promote FROM ENV: deploy to ENV the revision that passed smoke in FROM, gate by gate.

The gates are declared once, in GATES: the dry run lists them, the run runs them, both numbered
from that list (docs/deploying.md, promotion). The first gate that fails ends the run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import smoke_records
from orchestration.backend import backend_url
from orchestration.commands.preflight import gate as preflight_gate
from orchestration.commands.smoke import smoke_and_record
from orchestration.context import Run
from orchestration.engine import Engine, StackRef
from orchestration.options import PromoteOptions
from orchestration.plan import Action, build_plan
from orchestration.promotion import SourceState, check_direction
from orchestration.replacement_guard import check_replacements
from orchestration.revisions import worktree
from orchestration.runner import StepResult, summary
from orchestration.targets import Target
from shared.errors import PlatformError


@dataclass
class Promotion:
    """One promotion under way: what the gates read, and what they leave for the next."""

    run: Run
    options: PromoteOptions
    # None in a dry run, which starts no CLI and so reads neither.
    engine: Engine | None
    target: Target | None
    source: SourceState | None
    # Entered when a gate first needs the revision's checkout, left when the run ends.
    exits: ExitStack = field(default_factory=ExitStack)
    results: list[StepResult] = field(default_factory=list)
    _checkout: Path | None = None

    @property
    def revision(self) -> str:
        if self.source is None or self.source.revision is None:
            raise PlatformError(f"refusing to promote: {self.refusal}")
        return self.source.revision

    @property
    def refusal(self) -> str | None:
        return self.source.refusal() if self.source else None

    def connected(self) -> tuple[Engine, Target]:
        if self.engine is None or self.target is None:
            raise AssertionError("a dry run runs no gate")  # run() connects before any gate
        return self.engine, self.target

    @property
    def confirmed(self) -> bool:
        return not self.run.profile.protected or self.options.confirm == self.run.environment

    @property
    def checkout(self) -> Path:
        """A worktree of the revision (never the current checkout), made on first use."""
        if self._checkout is None:
            self._checkout = self.exits.enter_context(worktree(self.revision, "promote"))
        return self._checkout

    @property
    def stacks(self) -> dict[str, StackRef]:
        """The target's stacks, their programs taken from the revision's worktree."""
        return {
            stack.layer.name: dataclasses.replace(
                stack, work_dir=self.checkout / "stacks" / stack.layer.name
            )
            for stack in self.run.stacks
        }


@dataclass(frozen=True)
class Gate:
    name: str
    # What it checks: the dry run shows it as pending, the run prints it before running it.
    checks: Callable[[Promotion], str]
    # Runs it: returns what passed; raises PlatformError to stop the promotion.
    runs: Callable[[Promotion], str]
    # A state the dry run can know without running anything (ok, not needed, MISSING).
    known: Callable[[Promotion], str | None] = lambda _p: None


def _source(p: Promotion) -> str:
    if p.refusal:
        raise PlatformError(f"refusing to promote: {p.refusal}")
    record = p.source.record if p.source else None
    return record.describe() if record else p.revision


def _guardrails(p: Promotion) -> str:
    p.run.runtime.guardrails(p.checkout, p.run.environment, p.run.say)
    return "passed"


def _allowed(p: Promotion) -> str:
    return " ".join(p.options.allow_replace) or "none"


def _preview(p: Promotion) -> str:
    stacks = list(p.stacks.values())
    engine, _target = p.connected()
    check_replacements(stacks, engine, p.options.allow_replace, p.run.say, "promote")
    return "no stateful resource would be replaced unnamed"


def _confirm_known(p: Promotion) -> str:
    environment = p.run.environment
    if not p.confirmed:
        return f"MISSING: add --confirm {environment}"
    return f"ok: --confirm {environment}" if p.run.profile.protected else "not needed"


def _confirm(p: Promotion) -> str:
    environment = p.run.environment
    if not p.confirmed:
        raise PlatformError(
            f"refusing to deploy {p.revision[:12]} to {environment}: the gates before passed; "
            f"add --confirm {environment} to proceed"
        )
    return f"--confirm {environment}" if p.run.profile.protected else "not needed"


def _deploy(p: Promotion) -> str:
    stacks = p.stacks
    plan = build_plan(
        Action.DEPLOY,
        p.run.environment,
        tuple(stacks),
        stacks,
        backend_url=p.run.backend_url,
        revision=p.revision,
    )
    try:
        p.results = p.run.run_plan(plan, p.connected()[0], p.revision)
    except KeyboardInterrupt:
        p.results = []  # reported already: the run's own report would repeat it
        raise
    p.run.say(summary(p.results))
    failed = [result.layer for result in p.results if not result.ok]
    if failed:
        raise PlatformError(
            f"the deploy of {p.revision[:12]} to {p.run.environment} failed ({', '.join(failed)});"
            " nothing was smoke-tested"
        )
    return "every layer deployed"


def _smoke(p: Promotion) -> str:
    engine, target = p.connected()
    smoke_and_record(p.run, engine, lambda: target)
    return "passed"


GATES: tuple[Gate, ...] = (
    Gate(
        "source passed",
        lambda p: f"{p.options.source}'s deployed revision and its smoke record",
        _source,
    ),
    Gate(
        "guardrails",
        lambda p: f"the guardrails on {p.run.environment}'s synth of this revision",
        _guardrails,
    ),
    Gate(
        "preview + guard",
        lambda p: (
            f"preview {p.run.environment} from this revision; stateful replacements "
            f"refused (allowed: {_allowed(p)})"
        ),
        _preview,
    ),
    Gate("confirm", lambda p: f"--confirm {p.run.environment}", _confirm, _confirm_known),
    Gate(
        "deploy",
        lambda p: f"every layer of {p.run.environment}, from a worktree of this revision",
        _deploy,
    ),
    Gate(
        "smoke",
        lambda p: f"smoke {p.run.environment}, recording the result for this revision",
        _smoke,
    ),
)


def run(run: Run, options: PromoteOptions) -> int:
    skipped = check_direction(options.source, run.environment, skip_staging=options.skip_staging)
    if skipped:
        run.say(f"skipping {', '.join(skipped)} (--skip-staging): recorded in the run report")
        run.reported["skipped_environments"] = skipped
    if options.dry_run:  # touches nothing: no CLI, no emulator, no credentials
        run.say(render(Promotion(run, options, None, None, None)))
        return 0
    preflight_gate(run, options.skip_preflight)  # before any engine call
    engine, target = run.connect()
    promotion = Promotion(run, options, engine, target, _source_state(run, options, engine))
    with run.lock(force=options.force_unlock, confirm=options.confirm), promotion.exits:
        try:
            for number, gate in enumerate(GATES):
                step = f"gate {number}/{len(GATES) - 1} {gate.name}"
                run.say(f"{step}: {gate.checks(promotion)}")
                run.say(f"{step}: {gate.runs(promotion)}")
        except BaseException:
            if promotion.results:
                run.record(promotion.results, 1, promotion.revision)
            raise
    run.record(promotion.results, 0, promotion.revision)
    run.say(f"promoted {promotion.revision[:12]} from {options.source} to {run.environment}")
    return 0


def render(p: Promotion) -> str:
    """The dry run: each gate, numbered, with what is known of it now."""
    lines = [
        f"promote {p.options.source} -> {p.run.environment}",
        "  revision: read when the promotion runs (a dry run starts no CLI)",
    ]
    width = max(len(gate.name) for gate in GATES)
    for number, gate in enumerate(GATES):
        state = gate.known(p) or f"pending: {gate.checks(p)}"
        lines.append(f"  {number}. {gate.name:<{width}}  {state}")
    return "\n".join(lines)


def _source_state(run: Run, options: PromoteOptions, engine: Engine) -> SourceState:
    """What the source environment's history and smoke records say of its revision."""
    source_url = backend_url(run.backend_base, options.source)
    source_stacks = [
        dataclasses.replace(stack, environment=options.source, backend_url=source_url)
        for stack in run.stacks
    ]
    deployed = smoke_records.deployed(engine, source_stacks, options.source)
    revision = deployed.revision
    record = (
        smoke_records.load(source_url, run.runtime.state_s3, revision)
        if revision and smoke_records.recordable(revision)
        else None
    )
    return SourceState(deployed, record)
