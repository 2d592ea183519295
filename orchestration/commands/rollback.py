"""rollback: redeploy one layer from an earlier revision, then check what reads it still can."""

from __future__ import annotations

import dataclasses

from orchestration import revisions
from orchestration.commands.preflight import gate as preflight_gate
from orchestration.context import Run
from orchestration.engine import Engine, StackRef
from orchestration.options import RollbackOptions
from orchestration.plan import Action, Plan, build_plan, dependents, unmet_needs
from orchestration.replacement_guard import check_replacements
from orchestration.runner import summary


def run(run: Run, options: RollbackOptions) -> int:
    stack = run.stack_for[options.layer]
    revision = revisions.resolve(options.to) if options.to else None
    if options.dry_run:
        shown = revision or "the previous successful deployment's revision (read at run time)"
        run.say(_plan(run, stack, shown).render())
        return 0
    preflight_gate(run, options.skip_preflight)  # before the lock and any engine call
    with run.lock(force=options.force_unlock, confirm=options.confirm):
        return _roll_back(run, options, stack, revision)


def _readers(stack: StackRef) -> str:
    return ", ".join(d.name for d in dependents(stack.layer)) or "nothing"


def _plan(run: Run, stack: StackRef, revision: str) -> Plan:
    return build_plan(
        Action.ROLLBACK,
        run.environment,
        (stack.layer.name,),
        {stack.layer.name: stack},
        backend_url=run.backend_url,
        revision=revision,
        then=(f"verify the outputs {_readers(stack)} reads from it",),
    )


def _roll_back(run: Run, options: RollbackOptions, stack: StackRef, revision: str | None) -> int:
    engine, _target = run.connect()
    if revision is None:
        revision = revisions.choose_revision(engine.history(stack), stack.name)
    run.say(f"rollback: {stack.name} to {revision}")
    with revisions.worktree(revision) as checkout:
        old = dataclasses.replace(stack, work_dir=checkout / "stacks" / stack.layer.name)
        if run.profile.protected:
            check_replacements([old], engine, options.allow_replace, run.say, "roll back")
        results = run.run_plan(_plan(run, old, revision), engine, revision)
    run.say(summary(results))
    code = _verify(run, stack, engine) if results[0].ok else 1
    run.record(results, code, revision)
    return code


def _verify(run: Run, stack: StackRef, engine: Engine) -> int:
    unmet = unmet_needs(stack.layer, engine.outputs(stack))
    if unmet:
        run.say(f"rolled back, but {'; '.join(unmet)} and it is gone; redeploy that layer")
        return 1
    run.say(f"verified: every output {_readers(stack)} reads is still exported")
    return 0
