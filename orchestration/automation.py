"""The Engine over the Pulumi Automation API: the only module that drives the Pulumi CLI.

Tested through the real Automation API against a double of the CLI modelled on the CLI's source
(tests/support/pulumi_cli); docs/verification.md says what that double cannot show.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from pulumi import automation as auto
from pulumi._version import version as sdk_version

from orchestration.backend import STATE_DIR, passphrase_env
from orchestration.engine import (
    Changes,
    Deployment,
    EngineError,
    Held,
    OnOutput,
    OnStep,
    StackRef,
    Step,
    revision_of,
)
from orchestration.targets import Target
from shared.errors import PlatformError
from shared.layers import REPO_ROOT

LOCAL_CLI_ROOT = REPO_ROOT / ".pulumi"
# The guardrails, enforced by the engine on every preview and update (mandatory).
POLICY_PACK = REPO_ROOT / "policy_pack"
PROGRAMS_DIR = STATE_DIR / "programs"
INSTALL_BY_HAND = (
    "install it by hand (see 'Download & install Pulumi' in the Pulumi docs: "
    "curl -fsSL https://get.pulumi.com | sh) and put it on PATH"
)


def find_cli(install: bool = True, log: OnOutput = print) -> Any:
    """The Pulumi CLI as a PulumiCommand: on PATH, in .pulumi/, or installed there now."""
    local = LOCAL_CLI_ROOT / "bin" / "pulumi"
    try:
        if shutil.which("pulumi"):
            return auto.PulumiCommand()
        if local.exists():
            return auto.PulumiCommand(root=str(LOCAL_CLI_ROOT))
    except Exception as error:  # the CLI exists but cannot run: say so, no traceback
        raise PlatformError(f"the Pulumi CLI did not run: {error}") from None
    if not install:
        raise PlatformError(
            "the Pulumi CLI was not found on PATH or in .pulumi/bin (and --no-install-cli was "
            f"given); {INSTALL_BY_HAND}"
        )
    log(f"the Pulumi CLI was not found; installing v{sdk_version} into .pulumi/ (once) ...")
    try:
        # The Automation API's installer: the CLI version that matches this SDK.
        return auto.PulumiCommand.install(root=str(LOCAL_CLI_ROOT), version=sdk_version)
    except Exception as error:  # URLError, HTTPError, OSError: one line for all
        raise PlatformError(
            f"could not install the Pulumi CLI into .pulumi/ ({type(error).__name__}: {error}); "
            f"{INSTALL_BY_HAND}"
        ) from None


# Stack settings the CLI writes into a project's Pulumi.<stack>.yaml (passphrase salt, or a
# cloud secrets provider's key): kept from one generated file to the next.
CLI_WRITTEN_SETTINGS = ("encryptionsalt", "secretsprovider", "encryptedkey")
TARGET_TAG = "trading-analytics:target"
# What `destroy --exclude-protected` prints when everything left is protected (destroy.go).
NOTHING_UNPROTECTED = "There were no unprotected resources to destroy"
# `pulumi stack history` returns 10 entries unless paged (pkg/cmd/pulumi/stack/stack_history.go).
HISTORY_PAGE = 50


class AutomationEngine:
    """Pulumi stacks through LocalWorkspace, one generated project per stack, with the target."""

    def __init__(self, command: Any, target: Target, log: OnOutput = print) -> None:
        self.command = command
        self.target = target
        self.log = log

    def exists(self, stack: StackRef) -> bool:
        # Selecting is the one test that does not depend on how `stack ls` abbreviates names.
        try:
            self._stack(stack, create=False)
        except auto.errors.StackNotFoundError:
            return False
        except auto.errors.CommandError as error:
            raise _engine_error(stack, error) from None
        return True

    def outputs(self, stack: StackRef) -> dict[str, Any]:
        if not self.exists(stack):
            return {}
        with _cli_errors(stack):
            found = self._stack(stack, create=False).outputs()
        return {key: value.value for key, value in found.items()}

    def up(self, stack: StackRef, *, message: str, on_output: OnOutput) -> Changes:
        result = self._run(
            stack, "up", on_output, message=message, create=True, policy_packs=[str(POLICY_PACK)]
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

        result = self._run(
            stack,
            "preview",
            on_output,
            create=True,
            policy_packs=[str(POLICY_PACK)],
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
        if not self.exists(stack):
            return []
        with _cli_errors(stack):
            state = self._stack(stack, create=False).export_stack()
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
        with _cli_errors(stack):
            handle = self._stack(stack, create=False)
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

    # ---- Automation API plumbing ------------------------------------------------------------

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
        project = program_project(stack, self.target, program_virtualenv(stack, self.log))
        return auto.LocalWorkspace(
            work_dir=str(project), env_vars=self._env(stack), pulumi_command=self.command
        )

    def _stack(self, stack: StackRef, create: bool) -> Any:
        workspace = self._workspace(stack)
        try:
            handle = auto.Stack.select(stack.name, workspace)
        except auto.errors.StackNotFoundError:
            if not create:
                raise
            handle = auto.Stack.create(stack.name, workspace)
            # Which target made it: a run against the other one is refused (see below).
            try:
                handle.set_tag(TARGET_TAG, self.target.name)
            except auto.errors.CommandError as error:  # a backend without stack tags
                self.log(
                    f"{stack.name}: could not record its target ({_last_error_line(str(error))});"
                    " runs with the other target are not refused for it"
                )
            return handle
        self._check_target(stack, handle)
        return handle

    def _check_target(self, stack: StackRef, handle: Any) -> None:
        try:
            made_by = handle.get_tag(TARGET_TAG)
        except auto.errors.CommandError:
            return  # made outside these sessions: nothing says which target it belongs to
        if made_by != self.target.name:
            raise EngineError(
                f"{stack.name} was created by a --target {made_by} run; this run is --target "
                f"{self.target.name}: use --target {made_by}, or another --backend"
            )

    def _run(
        self, stack: StackRef, operation: str, on_output: OnOutput, create: bool, **kwargs: Any
    ) -> Any:
        with _cli_errors(stack):
            handle = self._stack(stack, create)
            return getattr(handle, operation)(on_output=on_output, color="never", **kwargs)


@contextmanager
def _cli_errors(stack: StackRef) -> Iterator[None]:
    try:
        yield
    except auto.errors.CommandError as error:
        raise _engine_error(stack, error) from None


def _engine_error(stack: StackRef, error: Exception) -> EngineError:
    """One line: the stack, and the CLI's own error text."""
    return EngineError(f"{stack.name}: {_last_error_line(str(error))}")


def program_project(stack: StackRef, target: Target, virtualenv: Path) -> Path:
    """The project the engine runs a layer's program from, generated outside the tracked tree.

    `pulumi stack init` writes the passphrase salt into the project's Pulumi.<stack>.yaml, and
    targets add provider config: both go to `.state/programs/...`, never into stacks/, so a
    deploy leaves the checkout clean. Pulumi.yaml's `main` points back at the layer's directory
    (or a rollback worktree's), its virtualenv is given as an absolute path; the stack file is the
    tracked one with the target's config layered on top, and what the CLI wrote there kept.
    """
    digest = hashlib.sha256(stack.backend_url.encode()).hexdigest()[:10]
    directory = PROGRAMS_DIR / f"{target.name}-{stack.environment}-{digest}" / stack.layer.name
    directory.mkdir(parents=True, exist_ok=True)

    project = yaml.safe_load((stack.program_dir / "Pulumi.yaml").read_text())
    project["main"] = os.path.relpath(stack.program_dir, directory)
    project.setdefault("runtime", {}).setdefault("options", {})["virtualenv"] = str(virtualenv)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))

    name = f"Pulumi.{stack.environment}.yaml"
    tracked = _yaml(stack.program_dir / name)
    written = _yaml(directory / name)
    config = dict(tracked.get("config") or {})
    if stack.layer.reads:
        # The organization the upstream stacks live in is the one this run uses (--org).
        config.setdefault(f"{stack.layer.project}:upstream_org", stack.organization)
    document = {
        **{k: v for k, v in tracked.items() if k not in CLI_WRITTEN_SETTINGS},
        "config": {**config, **target.config},
        **{k: written[k] for k in CLI_WRITTEN_SETTINGS if k in written},
    }
    (directory / name).write_text(yaml.safe_dump(document, sort_keys=True))
    return directory


def _yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text()) if path.exists() else None
    return dict(document or {})


def program_virtualenv(stack: StackRef, log: OnOutput) -> Path:
    """The virtualenv a stack's program runs in: the repository's, or its revision's own.

    A rollback runs an earlier revision's program. When that revision pins the same
    dependencies (constraints.txt and pyproject.toml unchanged), the repository's `.venv` is
    its environment too (PYTHONPATH points at the worktree's code); otherwise a virtualenv is
    built in the worktree from that revision's own pins.
    """
    source = stack.source_root
    if source == REPO_ROOT or _same_dependencies(source, REPO_ROOT):
        return VIRTUALENVS[0].path
    venv = Virtualenv(source / ".venv", ".", VIRTUALENVS[0].probe)
    _fill(venv, source, log)
    return venv.path


def _same_dependencies(one: Path, other: Path) -> bool:
    return all(
        (one / name).read_bytes() == (other / name).read_bytes()
        for name in ("constraints.txt", "pyproject.toml")
    )


@dataclass(frozen=True)
class Virtualenv:
    """A virtualenv the engine runs our code in, and what it must hold."""

    path: Path
    # The project with these extras, installed editable against constraints.txt.
    requirement: str
    # Imports that succeed once it is filled.
    probe: str


# Each Pulumi.yaml names the first (`virtualenv: ../../.venv`), PulumiPolicy.yaml the second
# (`virtualenv: .venv`); the language hosts resolve both relative to the project's directory.
# The stack programs' env holds only the programs' dependencies; the pack needs pulumi-policy.
VIRTUALENVS = (
    Virtualenv(REPO_ROOT / ".venv", ".", "import pulumi_aws, shared.settings"),
    Virtualenv(POLICY_PACK / ".venv", ".[policy-pack]", "import pulumi_policy, guardrails.pack"),
)


def prepare_virtualenvs(log: OnOutput) -> None:
    """Create and fill the virtualenvs the stack programs and the policy pack run in."""
    for venv in VIRTUALENVS:
        _fill(venv, REPO_ROOT, log)


def _fill(venv: Virtualenv, root: Path, log: OnOutput) -> None:
    python = venv.path / "bin" / "python"
    where = venv.path.relative_to(root)
    if not python.exists():
        log(f"creating {where} ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv.path)], check=True)
    probe = subprocess.run(
        [str(python), "-c", venv.probe], cwd=root, capture_output=True, check=False
    )
    if probe.returncode != 0:
        log(f"installing the project into {where} (once; about a minute) ...")
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "-c",
                str(root / "constraints.txt"),
                "-e",
                venv.requirement,
            ],
            cwd=root,
            check=True,
        )


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
