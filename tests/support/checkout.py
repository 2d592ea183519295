"""A throwaway checkout of this working tree, driven as a user drives it, through the CLI double.

The copy is its own git repository (one commit of the working tree), so deploys, their recorded
revisions, `git worktree` rollbacks and a dirty tree are all real, and the project's own tree is
never touched. Its `.venv` and `policy_pack/.venv` are thin wrappers around this interpreter, which
already holds what both need, so nothing is installed. The double (tests/support/pulumi_cli) is
first on PATH, so the orchestration finds it as it finds a real CLI.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.layers import REPO_ROOT
from tests.support import pulumi_cli
from tests.support.processes import wrapper_python

VIRTUALENVS = (".venv", "policy_pack/.venv")
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


@dataclass
class Checkout:
    path: Path
    double: Path
    env: dict[str, str]

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`python -m orchestration ARGS` in the checkout, as `nox -s <command>` runs it."""
        return self._python(["-m", "orchestration", *args], env)

    def nox(
        self, session: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`nox -s SESSION -- ARGS` in the checkout, exactly the line the docs and CI give."""
        return self._python(["-m", "nox", "-s", session, "--", *args], env)

    def _python(
        self, args: list[str], env: dict[str, str] | None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def nox_interrupted(self, session: str, *args: str, after: str) -> tuple[int, str, str]:
        """`nox -s SESSION -- ARGS` given Ctrl-C once its stdout shows `after`, as a terminal
        gives it: SIGINT to the whole foreground process group (nox and the command)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "nox", "-s", session, "--", *args],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own group, so the signal reaches only this run
        )
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if after in line:
                os.killpg(process.pid, signal.SIGINT)
                break
        rest, err = process.communicate(timeout=300)
        return process.returncode, "".join(seen) + rest, err

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True, check=True
        )
        return result.stdout.rstrip("\n")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def dirty(self) -> list[str]:
        return self.git("status", "--porcelain").splitlines()

    def invocations(self) -> list[dict[str, Any]]:
        return pulumi_cli.invocations(self.double)

    def stop_emulator(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "emulator", "stop"],
            cwd=self.path,
            env=self.env,
            capture_output=True,
            timeout=60,
            check=False,
        )


def clone_checkout(template: Checkout, base: Path, name: str = "checkout") -> Checkout:
    """A checkout of its own from a prepared one: a local clone (hard links), the same commit,
    thin virtualenvs and a CLI double of its own; what a test writes stays in it."""
    path = base / name
    subprocess.run(
        ["git", "clone", "-q", "--local", str(template.path), str(path)],
        env=template.env,
        capture_output=True,
        check=True,
    )
    return _ready(path, base)


def _shared_venv(path: Path) -> None:
    """`.nox/dev` as this interpreter, stamped as the checkout's noxfile stamps a build of its
    pins, so `nox -s ...` in the checkout runs its sessions without building anything."""
    spec = importlib.util.spec_from_file_location("checkout_noxfile", path / "noxfile.py")
    assert spec is not None and spec.loader is not None
    noxfile = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():  # its sessions are registered again: nox warns, harmlessly
        warnings.simplefilter("ignore", FutureWarning)
        spec.loader.exec_module(noxfile)
    venv = wrapper_python(path / ".nox" / "dev")
    (venv / noxfile.STAMP).write_text(noxfile._pins("dev"))


def make_checkout(base: Path, name: str = "checkout") -> Checkout:
    path = base / name
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for relative in tracked:
        source = REPO_ROOT / relative
        if source.is_file():
            (path / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / relative)
    checkout = _ready(path, base)
    checkout.git("init", "-q", "-b", "main")
    checkout.commit("the working tree under test")
    return checkout


def _ready(path: Path, base: Path) -> Checkout:
    """Thin virtualenvs in the checkout, and the CLI double first on PATH."""
    for venv in VIRTUALENVS:
        wrapper_python(path / venv)
    _shared_venv(path)
    double = base / "pulumi-double"
    pulumi_cli.install(double)
    env = {
        **os.environ,
        **_GIT_IDENTITY,
        "PATH": f"{double / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_DOUBLE_BUCKETS": str(base / "buckets"),
        # What the editable install of this checkout puts on the path: the repository root and
        # the function's directory (pyproject.toml's packages.find `where`).
        "PYTHONPATH": os.pathsep.join([str(path), str(path / "functions" / "data_processor")]),
    }
    env.pop("PULUMI_BACKEND_URL", None)
    env.pop("TRADING_ANALYTICS_BACKEND", None)
    return Checkout(path, double, env)
