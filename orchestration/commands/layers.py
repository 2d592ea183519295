"""deploy, preview, destroy, drift: the chosen layers, wave by wave (docs/deploying.md)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from orchestration import network_release, retained, stack_config
from orchestration.affected import affected
from orchestration.commands.preflight import gate as preflight_gate
from orchestration.context import Run
from orchestration.engine import Engine, StackRef
from orchestration.options import LayersOptions
from orchestration.plan import (
    Action,
    Plan,
    build_plan,
    check_dependents_destroyed,
    check_upstreams,
    missing_upstream,
    require_confirmation,
    select_layers,
)
from orchestration.replacement_guard import check_replacements
from orchestration.revisions import current_revision
from orchestration.runner import Status, StepResult, summary
from orchestration.targets import Target
from shared.errors import PlatformError


def check(options: LayersOptions, protected: bool) -> None:
    """Refusals made before anything else, dry runs included."""
    if options.action is Action.DESTROY:
        # Production is never one typo away.
        require_confirmation(options.environment, protected, options.confirm)


def run(run: Run, options: LayersOptions) -> int:
    action = options.action
    chosen = select_layers(list(options.layers))
    cascade: dict[str, tuple[str, ...]] = {}
    if options.affected is not None:
        if options.layers:
            raise PlatformError("name LAYERs or use --affected, not both")
        selection = affected(options.affected or None)
        run.say(selection.render())
        if not selection.layers:
            return 0
        chosen = select_layers(selection.layers)
        cascade = selection.cascade
    plan = build_plan(
        action,
        run.environment,
        chosen,
        run.stack_for,
        backend_url=run.backend_url,
        note=(
            "(a deployed layer that reads a destroyed one is checked at run time; before "
            "compute, the function leaves the VPC and Lambda's interfaces are waited for)"
            if action is Action.DESTROY
            else ""
        ),
        keep_protected=run.profile.protect_stateful,
    )
    if action is not Action.DESTROY:  # destroy runs no program: its config cannot stop it
        stack_config.check(plan.stacks)  # every layer of the run, before anything starts
    if options.dry_run:
        run.say(plan.render())
        return 0
    if action is Action.DEPLOY:
        preflight_gate(run, options.skip_preflight)  # before the lock and any engine call
    changes = action in {Action.DEPLOY, Action.DESTROY}
    locked = (
        run.lock(force=options.force_unlock, confirm=options.confirm)
        if changes
        else contextlib.nullcontext()
    )
    with locked:
        return _run_layers(run, options, plan, cascade)


def _run_layers(
    run: Run, options: LayersOptions, plan: Plan, cascade: Mapping[str, tuple[str, ...]]
) -> int:
    action = options.action
    engine, target = run.connect()
    if action is Action.DEPLOY:
        check_upstreams(plan, run.stack_for, engine)
        if run.profile.protected:
            check_replacements(plan.stacks, engine, options.allow_replace, run.say, "deploy")
    if action is Action.DESTROY:
        check_dependents_destroyed(plan, run.stack_for, engine)
        _release_interfaces(run, engine, target, plan)

    def blocked(stack: StackRef) -> str | None:
        # A preview of a layer whose upstream was never deployed has nothing to read.
        if action is not Action.PREVIEW:
            return None
        return missing_upstream(stack, run.stack_for, engine)

    revision = current_revision()
    results = run.run_plan(plan, engine, revision, blocked=blocked, cascade=cascade)
    run.say(summary(results))
    if plan.keep_protected:
        kept = [(stack, engine.protected(stack)) for stack in plan.stacks]
        for line in retained.explain(run.environment, kept):
            run.say(line)
    code = _exit_code(run, options, results)
    run.record(results, code, revision)
    if action is Action.DEPLOY and code == 0:
        for line in next_steps(run):
            run.say(line)
    return code


def _release_interfaces(run: Run, engine: Engine, target: Target, plan: Plan) -> None:
    """Before compute goes: the function out of the VPC and its interfaces gone, so the role
    the engine deletes right after the function is not needed by Lambda any more."""
    compute = run.stack_for["compute"]
    if compute not in plan.stacks or not engine.exists(compute):
        return
    function = engine.outputs(compute).get("lambda_function_name")
    if not function:
        return
    group = engine.outputs(run.stack_for["network"]).get("lambda_security_group_id")
    network_release.release(
        run.runtime.clients_for(target),
        str(function),
        str(group) if group else None,
        run.console.for_layer("compute"),
        run.runtime.release_timing,
    )


def next_steps(run: Run) -> list[str]:
    """What a user does after a deploy: a first trade, then the smoke check."""
    flags = "" if run.options.target == "local" else f" --target {run.options.target}"
    return [
        f"next: send a first trade: nox -s send -- {run.environment}{flags}",
        f"      smoke-test it: nox -s smoke -- {run.environment}{flags}",
    ]


def _exit_code(run: Run, options: LayersOptions, results: list[StepResult]) -> int:
    if options.action is Action.DRIFT:
        return 1 if any(r.status is not Status.SUCCEEDED for r in results) else 0
    if options.action is Action.PREVIEW and options.expect_no_changes:
        # A gate fails when it cannot prove its claim: an unpreviewed layer proves nothing.
        unproven = [
            f"{r.layer} ({r.status.value}: {r.detail})"
            for r in results
            if r.status in (Status.BLOCKED, Status.FAILED) or r.stopped
        ]
        if unproven:
            run.say(f"no changes cannot be shown: not previewed: {'; '.join(unproven)}")
            return 1
    if not all(r.ok or r.status is Status.BLOCKED or r.unneeded for r in results):
        return 1
    if options.action is Action.PREVIEW and options.expect_no_changes:
        changing = [
            f"{r.layer} ({', '.join(f'{op} {n}' for op, n in sorted(r.changes.items()))})"
            for r in results
            if any(op != "same" and n for op, n in r.changes.items())
        ]
        if changing:
            run.say(f"changes expected to be none: {'; '.join(changing)}")
            return 2
    return 0
