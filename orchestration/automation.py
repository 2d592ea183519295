"""The Engine over the Pulumi Automation API: the only module that drives the Pulumi CLI.

Verified here only up to the CLI's absence: no Pulumi CLI exists on the machines this project is
built on. Everything it calls is the Automation API as its SDK source documents it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from orchestration.backend import passphrase_env
from orchestration.engine import (
    Changes,
    Deployment,
    EngineError,
    OnOutput,
    StackRef,
    revision_of,
)
from orchestration.targets import Target, stack_config_file
from shared.errors import PlatformError
from shared.layers import REPO_ROOT

LOCAL_CLI_ROOT = REPO_ROOT / ".pulumi"
# The guardrails, enforced by the engine on every preview and update (mandatory).
POLICY_PACK = REPO_ROOT / "policy_pack"
INSTALL_HINT = (
    "install it (see 'Download & install Pulumi' in the Pulumi docs) or re-run with --install-cli"
)


def find_cli(install: bool = False) -> Any:
    """The Pulumi CLI as a PulumiCommand: on PATH, in .pulumi/, or installed there on request."""
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
            f"the Pulumi CLI was not found on PATH or in .pulumi/bin; {INSTALL_HINT}"
        )
    try:
        # The installer downloads the CLI version that matches this SDK.
        return auto.PulumiCommand.install(root=str(LOCAL_CLI_ROOT))
    except Exception as error:  # URLError, HTTPError, OSError: one line for all
        raise PlatformError(
            f"could not install the Pulumi CLI into .pulumi/ ({type(error).__name__}: {error}); "
            "install it yourself (see 'Download & install Pulumi' in the Pulumi docs)"
        ) from None


class AutomationEngine:
    """Pulumi stacks through LocalWorkspace, one per layer directory, with the target's config."""

    def __init__(self, command: Any, target: Target) -> None:
        self.command = command
        self.target = target

    def exists(self, stack: StackRef) -> bool:
        # Selecting is the one test that does not depend on how `stack ls` abbreviates names.
        try:
            self._stack(stack, create=False)
        except auto.errors.StackNotFoundError:
            return False
        return True

    def outputs(self, stack: StackRef) -> dict[str, Any]:
        if not self.exists(stack):
            return {}
        return {k: v.value for k, v in self._stack(stack, create=False).outputs().items()}

    def up(self, stack: StackRef, *, message: str, on_output: OnOutput) -> Changes:
        result = self._run(
            stack, "up", on_output, message=message, create=True, policy_packs=[str(POLICY_PACK)]
        )
        return dict(result.summary.resource_changes or {})

    def preview(self, stack: StackRef, *, on_output: OnOutput) -> Changes:
        result = self._run(
            stack, "preview", on_output, create=True, policy_packs=[str(POLICY_PACK)]
        )
        return dict(result.change_summary or {})

    def destroy(self, stack: StackRef, *, on_output: OnOutput) -> Changes:
        result = self._run(stack, "destroy", on_output, create=False)
        return dict(result.summary.resource_changes or {})

    def drift(self, stack: StackRef, *, on_output: OnOutput) -> Changes:
        result = self._run(stack, "preview_refresh", on_output, create=False)
        return dict(result.change_summary or {})

    def history(self, stack: StackRef) -> list[Deployment]:
        entries = self._stack(stack, create=False).history()
        return [
            Deployment(
                revision_of(entry.message or "") or (entry.environment or {}).get("git.head"),
                entry.message or "",
                dict(entry.resource_changes or {}),
            )
            for entry in reversed(entries)
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
        return auto.LocalWorkspace(
            work_dir=str(stack.program_dir), env_vars=self._env(stack), pulumi_command=self.command
        )

    def _stack(self, stack: StackRef, create: bool) -> Any:
        workspace = self._workspace(stack)
        if create:
            return auto.Stack.create_or_select(stack.name, workspace)
        return auto.Stack.select(stack.name, workspace)

    def _run(
        self, stack: StackRef, operation: str, on_output: OnOutput, create: bool, **kwargs: Any
    ) -> Any:
        config_file = stack_config_file(
            stack.program_dir / f"Pulumi.{stack.environment}.yaml",
            self.target,
            f"{stack.layer.name}-{stack.environment}-{self.target.name}",
        )
        if config_file:
            kwargs["config_file"] = str(config_file)
        try:
            handle = self._stack(stack, create)
            return getattr(handle, operation)(on_output=on_output, color="never", **kwargs)
        except auto.errors.CommandError as error:
            raise EngineError(_last_error_line(str(error))) from None


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
        python = venv.path / "bin" / "python"
        where = venv.path.relative_to(REPO_ROOT)
        if not python.exists():
            log(f"creating {where} ...")
            subprocess.run([sys.executable, "-m", "venv", str(venv.path)], check=True)
        probe = subprocess.run([str(python), "-c", venv.probe], capture_output=True, check=False)
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
                    str(REPO_ROOT / "constraints.txt"),
                    "-e",
                    venv.requirement,
                ],
                cwd=REPO_ROOT,
                check=True,
            )


def _ensure_file_backend(url: str) -> None:
    # A file:// backend must exist before Pulumi will use it.
    if url.startswith("file://"):
        Path(url[len("file://") :]).mkdir(parents=True, exist_ok=True)


def _last_error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or ["the Pulumi CLI failed"])[-1]
