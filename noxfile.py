"""Sessions for the trading analytics platform; `nox -l` lists them, README.md explains them.

Sessions only parse arguments and call into the `shared` library, so everything they do is
importable and tested on its own.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
# One lock of truth: every session installs against these exact versions.
CONSTRAINTS = ROOT / "constraints.txt"

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the tests offline (Pulumi mocks, moto, fake engine): nox -s tests -- [PYTEST ARGS]."""
    _install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style with ruff and types with mypy over every Python file."""
    _install(session, "lint", "test")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def synth(session: nox.Session) -> None:
    """Synthesize stacks offline to build/synth/ENV.json: nox -s synth -- [ENV ...]."""
    _install(session)
    session.run("python", "-m", "shared.synth", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure the data processor's budgets against moto (requests, throughput, import)."""
    _install(session, "test")
    session.run("python", "-m", "benchmarks.data_processor")


@nox.session(default=False)
def lock(session: nox.Session) -> None:
    """Re-resolve constraints.txt from pyproject.toml's ranges (run after changing a range)."""
    session.install("-e", ".[test,lint]")
    frozen = session.run("pip", "freeze", "--exclude-editable", silent=True)
    lines = [line for line in str(frozen).splitlines() if line and not line.startswith("#")]
    CONSTRAINTS.write_text("\n".join(sorted(lines, key=str.lower)) + "\n")
    session.log(f"wrote {len(lines)} pins to {CONSTRAINTS.name}")


# ---- helpers --------------------------------------------------------------------------------


def _install(session: nox.Session, *extras: str) -> None:
    target = f".[{','.join(extras)}]" if extras else "."
    session.install("-c", str(CONSTRAINTS), "-e", target)
