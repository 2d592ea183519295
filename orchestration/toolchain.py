"""The Pulumi CLI (found, or installed into .pulumi/) and the virtualenvs our code runs in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi._version import version as sdk_version

from orchestration.engine import OnOutput, StackRef
from shared.errors import PlatformError
from shared.layers import REPO_ROOT

LOCAL_CLI_ROOT = REPO_ROOT / ".pulumi"
# The guardrails, enforced by the engine on every preview and update (mandatory).
POLICY_PACK = REPO_ROOT / "policy_pack"
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
        _step([sys.executable, "-m", "venv", str(venv.path)], root, f"creating {where}")
    probe = subprocess.run(
        [str(python), "-c", venv.probe], cwd=root, capture_output=True, check=False
    )
    if probe.returncode < 0:  # killed by a signal (Ctrl-C): it says nothing of what is there
        raise PlatformError(f"checking {where} was interrupted; nothing installed")
    if probe.returncode != 0:
        log(f"installing the project into {where} (once; about a minute) ...")
        pip = [str(python), "-m", "pip", "install", "--quiet", "-c", str(root / "constraints.txt")]
        _step([*pip, "-e", venv.requirement], root, f"installing the project into {where}")


def _step(argv: list[str], root: Path, doing: str) -> None:
    """One step of filling a virtualenv; its failure is one line (pip said why, above)."""
    if subprocess.run(argv, cwd=root, check=False).returncode != 0:
        raise PlatformError(f"{doing} failed; see the output above (offline? a pin missing?)")
