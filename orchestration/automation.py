"""The Engine over the Pulumi Automation API: the only module that drives the Pulumi CLI.

Quiet by design: each stack is selected once per run (its target tag checked then), and CLI
errors become the engine's specific errors. Tested through the real Automation API against a
double of the CLI modelled on the CLI's source (tests/support/pulumi_cli; docs/verification.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pulumi import automation as auto

from orchestration.backend import passphrase_env
from orchestration.engine import (
    Changes,
    ConcurrentUpdateError,
    Deployment,
    EngineError,
    Held,
    OnOutput,
    OnStep,
    StackNotFoundError,
    StackRef,
    Step,
    revision_of,
)
from orchestration.programs import PROGRAMS_DIR, program_project
from orchestration.targets import Target
from orchestration.toolchain import POLICY_PACK, program_virtualenv

TARGET_TAG = "trading-analytics:target"
# What `destroy --exclude-protected` prints when everything left is protected (destroy.go).
NOTHING_UNPROTECTED = "There were no unprotected resources to destroy"
# `pulumi stack history` returns 10 entries unless paged (pkg/cmd/pulumi/stack/stack_history.go).
HISTORY_PAGE = 50
# `stack tag get` of a stack without our tag, or on a backend without tags (stack_tag.go).
UNTAGGED = ("not found for stack", "does not support stack tags")


class _Workspace(auto.LocalWorkspace):
    """A LocalWorkspace that does not select a stack `stack tag get` has already selected.

    Every command the Automation API runs for a stack names it with `--stack`, so the selection
    itself is never relied on; skipping it saves one CLI invocation per stack and run.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.found: set[str] = set()

    def select_stack(self, stack_name: str) -> None:
        if stack_name not in self.found:
            super().select_stack(stack_name)


class AutomationEngine:
    """Pulumi stacks through LocalWorkspace, one generated project per stack, with the target."""

    def __init__(
        self,
        command: Any,
        target: Target,
        log: OnOutput = print,
        *,
        programs: Path = PROGRAMS_DIR,
        virtualenv: Callable[[StackRef, OnOutput], Path] = program_virtualenv,
        policy_pack: Path = POLICY_PACK,
        prepare: Callable[[OnOutput], None] | None = None,
    ) -> None:
        self.command = command
        self.target = target
        self.log = log
        self.programs = programs
        self.virtualenv = virtualenv
        self.policy_pack = policy_pack
        # Builds the programs' and the policy pack's virtualenvs, on the first operation that
        # runs a program (up, preview). Reading a stack (outputs, history, tags), cancel,
        # refresh and destroy run none: the engine skips the language host for refresh and
        # destroy (pulumi/pulumi #1367, "Skip loading language plugins when not needed").
        self._prepare = prepare
        self._preparing = threading.Lock()  # network and data run at once: one builds, one waits
        # One handle per stack and program for the run, or the error that said it does not
        # exist. The runner's threads work on distinct stacks, so no two of them share a key.
        self._handles: dict[tuple[str, str, Path], Any] = {}

    def exists(self, stack: StackRef) -> bool:
        # Selecting is the one test that does not depend on how `stack ls` abbreviates names.
        try:
            self._stack(stack, create=False)
        except StackNotFoundError:
            return False
        return True

    def outputs(self, stack: StackRef) -> dict[str, Any]:
        try:
            handle = self._stack(stack, create=False)
        except StackNotFoundError:
            return {}
        with _cli_errors(stack):
            found = handle.outputs()
        return {key: value.value for key, value in found.items()}

    def up(self, stack: StackRef, *, message: str, on_output: OnOutput) -> Changes:
        self._programs_ready()
        result = self._run(
            stack,
            "up",
            on_output,
            message=message,
            create=True,
            policy_packs=[str(self.policy_pack)],
        )
        return dict(result.summary.resource_changes or {})

    def preview(
        self, stack: StackRef, *, on_output: OnOutput, on_step: OnStep | None = None
    ) -> Changes:
        def on_event(event: Any) -> None:
            # ResourcePreEvent: the engine is about to perform a step (in a preview, would).
            pre = getattr(event, "resource_pre_event", None)
            if pre is None or on_step is None:
                return
            meta = pre.metadata
            op = getattr(meta.op, "value", str(meta.op))
            if op != "same":
                keys = tuple(meta.keys or ()) if "replace" in op else ()
                on_step(Step(op, meta.urn, meta.type, keys))

        self._programs_ready()
        result = self._run(
            stack,
            "preview",
            on_output,
            create=True,
            policy_packs=[str(self.policy_pack)],
            on_event=on_event,
        )
        return dict(result.change_summary or {})

    def destroy(self, stack: StackRef, *, on_output: OnOutput, keep_protected: bool) -> Changes:
        printed: list[str] = []

        def out(line: str) -> None:
            printed.append(line)
            on_output(line)

        result = self._run(
            stack, "destroy", out, create=False, exclude_protected=keep_protected or None
        )
        if any(NOTHING_UNPROTECTED in line for line in printed):
            # The CLI returned before any update, so the summary the Automation API reads back
            # (the latest history entry) is an earlier operation's (destroy.go).
            return {}
        return dict(result.summary.resource_changes or {})

    def protected(self, stack: StackRef) -> list[Held]:
        try:
            handle = self._stack(stack, create=False)
        except StackNotFoundError:
            return []
        with _cli_errors(stack):
            state = handle.export_stack()
        # apitype.ResourceV3: `protect` and `retainOnDelete` are omitted when false.
        return [
            Held(r["urn"], r["type"], str(r.get("id") or ""), bool(r.get("retainOnDelete")))
            for r in (state.deployment or {}).get("resources") or []
            if r.get("protect")
        ]

    def drift(self, stack: StackRef, *, on_output: OnOutput) -> Changes:
        result = self._run(stack, "preview_refresh", on_output, create=False)
        return dict(result.change_summary or {})

    def history(self, stack: StackRef) -> list[Deployment]:
        """Successful updates, newest first, as the CLI lists them, every page of them."""
        entries: list[Any] = []
        handle = self._stack(stack, create=False)
        with _cli_errors(stack):
            while True:
                page = handle.history(page_size=HISTORY_PAGE, page=len(entries) // HISTORY_PAGE + 1)
                entries.extend(page)
                if len(page) < HISTORY_PAGE:
                    break
        return [
            Deployment(
                revision_of(entry.message or "") or (entry.environment or {}).get("git.head"),
                entry.message or "",
                dict(entry.resource_changes or {}),
            )
            for entry in entries
            if entry.kind == "update" and entry.result == "succeeded"
        ]

    def cancel(self, stack: StackRef) -> None:
        handle = self._stack(stack, create=False)
        with _cli_errors(stack):
            handle.cancel()

    # ---- Automation API plumbing ------------------------------------------------------------

    def _programs_ready(self) -> None:
        with self._preparing:
            if self._prepare is not None:
                self._prepare(self.log)
                self._prepare = None  # once per run, and only once it succeeded

    def _env(self, stack: StackRef) -> Mapping[str, str]:
        return {
            "PULUMI_BACKEND_URL": stack.backend_url,
            # The program imports `shared` and packages `functions/` from its own checkout: a
            # rollback's worktree, not the editable install of the current one.
            "PYTHONPATH": str(stack.source_root),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            **passphrase_env(stack.backend_url),
            **self.target.env,
        }

    def _workspace(self, stack: StackRef) -> Any:
        _ensure_file_backend(stack.backend_url)
        project = program_project(
            stack, self.target, self.virtualenv(stack, self.log), root=self.programs
        )
        return _Workspace(
            work_dir=str(project), env_vars=self._env(stack), pulumi_command=self.command
        )

    def _stack(self, stack: StackRef, create: bool) -> Any:
        """The stack's handle, selected (or created) once per run; StackNotFoundError when it
        does not exist and `create` is False."""
        key = (stack.name, stack.backend_url, stack.program_dir)
        found = self._handles.get(key)
        if found is None or (create and isinstance(found, StackNotFoundError)):
            found = self._handles[key] = self._select(stack, create)
        if isinstance(found, StackNotFoundError):
            raise found
        return found

    def _select(self, stack: StackRef, create: bool) -> Any:
        """A selected (or, with `create`, a new) stack, or the StackNotFoundError saying why not.

        The target tag is read first: `stack tag get --stack` requires the stack and selects it
        (pkg/cmd/pulumi/stack/stack_tag.go, requireStack with setCurrent), so one call proves it
        exists and which target made it, and `stack select` is skipped for it (_Workspace).
        """
        with _cli_errors(stack):
            workspace = self._workspace(stack)
            try:
                made_by: str | None = workspace.get_tag(stack.name, TARGET_TAG)
            except auto.errors.StackNotFoundError as missing:
                if not create:
                    return _engine_error(stack, missing)
                handle = auto.Stack.create(stack.name, workspace)
                self._tag_target(stack, handle)
                return handle
            except auto.errors.CommandError as error:
                if not any(text in str(error) for text in UNTAGGED):
                    raise
                made_by = None  # made outside these sessions: nothing says which target
            if made_by is not None and made_by != self.target.name:
                raise EngineError(
                    f"{stack.name} was created by a --target {made_by} run; this run is --target "
                    f"{self.target.name}: use --target {made_by}, or another --backend"
                )
            workspace.found.add(stack.name)
            return auto.Stack.select(stack.name, workspace)

    def _tag_target(self, stack: StackRef, handle: Any) -> None:
        # Which target made it: a run against the other one is refused (_select).
        try:
            handle.set_tag(TARGET_TAG, self.target.name)
        except auto.errors.CommandError as error:  # a backend without stack tags
            self.log(
                f"{stack.name}: could not record its target ({_last_error_line(str(error))});"
                " runs with the other target are not refused for it"
            )

    def _run(
        self, stack: StackRef, operation: str, on_output: OnOutput, create: bool, **kwargs: Any
    ) -> Any:
        handle = self._stack(stack, create)
        with _cli_errors(stack):
            return getattr(handle, operation)(on_output=on_output, color="never", **kwargs)


@contextmanager
def _cli_errors(stack: StackRef) -> Iterator[None]:
    try:
        yield
    except auto.errors.CommandError as error:
        raise _engine_error(stack, error) from None


def _engine_error(stack: StackRef, error: Exception) -> EngineError:
    """One line, the stack and the CLI's own error text, as the engine error it means."""
    line = f"{stack.name}: {_last_error_line(str(error))}"
    if isinstance(error, auto.errors.StackNotFoundError):
        return StackNotFoundError(line)
    if isinstance(error, auto.errors.ConcurrentUpdateError):
        return ConcurrentUpdateError(
            f"{line} (another update of this stack is in progress: wait for it to finish)"
        )
    return EngineError(line)


def _ensure_file_backend(url: str) -> None:
    # A file:// backend must exist before Pulumi will use it; the CLI reads the URL's path
    # decoded (a space is %20 in the URL, a space on disk).
    parts = urlsplit(url)
    if parts.scheme == "file":
        Path(unquote(parts.path)).mkdir(parents=True, exist_ok=True)


def _last_error_line(text: str) -> str:
    """The CLI's last `error: ...` line, without the prefixes the Automation API adds around it."""
    lines = [line.strip().removeprefix("stderr:").strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    errors = [line for line in lines if line.lower().startswith("error:")]
    last = (errors or lines or ["the Pulumi CLI failed"])[-1]
    return last[len("error:") :].strip() if last.lower().startswith("error:") else last
