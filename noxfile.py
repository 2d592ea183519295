"""Sessions for the trading analytics platform; `nox -l` lists them, README.md explains them.

Sessions only parse arguments and call into the tools (`orchestration`, `guardrails`, `synth`),
so everything they do is importable and tested on its own.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
# One lock of truth: every session installs against these exact versions.
CONSTRAINTS = ROOT / "constraints.txt"
# checkov pins its dependencies below ours, so it gets a virtualenv and a lock of its own.
CHECKOV_CONSTRAINTS = ROOT / "constraints-checkov.txt"
CHECKOV_VENV = ROOT / ".nox" / "checkov"
# The end-to-end tier: its own session, apart from the default test run (as Powertools does).
E2E = ROOT / "tests" / "e2e"

nox.options.sessions = ["tests", "e2e", "lint", "guardrails", "scan"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and functional tests, offline (mocks, moto, fake engine): -- [PYTEST ARGS]."""
    _install(session, "test")
    session.run("pytest", "--ignore", str(E2E), *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """End-to-end journeys through the Automation API and the CLI double: -- [PYTEST ARGS]."""
    _install(session, "test")
    session.run("pytest", str(E2E), *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style (ruff), types (mypy) and who may import whom (import-linter)."""
    _install(session, "lint", "test")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    # The function's code is imported as Lambda imports it: from its own directory.
    session.run("lint-imports", env={"PYTHONPATH": str(ROOT / "functions" / "data_processor")})


@nox.session
def synth(session: nox.Session) -> None:
    """Synthesize stacks offline to build/synth/ENV.json: nox -s synth -- [ENV ...]."""
    _install(session, "tools")
    session.run("python", "-m", "synth", *session.posargs)


@nox.session(default=False)
def deploy(session: nox.Session) -> None:
    """Deploy layers in dependency order: nox -s deploy -- ENV [LAYER ...] [--dry-run]."""
    _orchestrate(session, "deploy")


@nox.session(default=False)
def preview(session: nox.Session) -> None:
    """Preview layers in dependency order, changing nothing: nox -s preview -- ENV [LAYER ...]."""
    _orchestrate(session, "preview")


@nox.session(default=False)
def destroy(session: nox.Session) -> None:
    """Destroy layers, dependents first: nox -s destroy -- ENV [LAYER ...] [--confirm ENV]."""
    _orchestrate(session, "destroy")


@nox.session(default=False)
def outputs(session: nox.Session) -> None:
    """Print the platform's outputs merged across layers: nox -s outputs -- ENV [--json]."""
    _orchestrate(session, "outputs")


@nox.session(default=False)
def drift(session: nox.Session) -> None:
    """Refresh-preview every layer; fail when live resources differ: nox -s drift -- ENV."""
    _orchestrate(session, "drift")


@nox.session(default=False)
def rollback(session: nox.Session) -> None:
    """Redeploy one layer from an earlier revision: nox -s rollback -- ENV LAYER [--to REF]."""
    _orchestrate(session, "rollback")


@nox.session(default=False)
def promote(session: nox.Session) -> None:
    """Deploy to ENV the revision that passed smoke in FROM, gate by gate: -- FROM ENV."""
    _orchestrate(session, "promote")


@nox.session(default=False)
def smoke(session: nox.Session) -> None:
    """Invoke the deployed function with the test payload and check its writes: -- ENV."""
    _orchestrate(session, "smoke")


@nox.session(default=False)
def emulator(session: nox.Session) -> None:
    """Start, stop or show the local AWS emulator: nox -s emulator -- start|stop|status."""
    _install(session, "tools", "local")
    session.run("python", "-m", "orchestration.emulator", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure the data processor's budgets against moto (requests, throughput, import)."""
    _install(session, "test")
    session.run("python", "-m", "benchmarks.data_processor")


@nox.session
def guardrails(session: nox.Session) -> None:
    """Synthesize, then check every security rule offline: nox -s guardrails -- [ENV ...]."""
    _install(session, "tools")
    session.run("python", "-m", "synth", *session.posargs)
    session.run("python", "-m", "guardrails", *session.posargs)


@nox.session
def scan(session: nox.Session) -> None:
    """checkov over every synthesized environment, offline: nox -s scan -- [ENV ...]."""
    _install(session, "test")
    checkov = _checkov(session)
    # The export's own tests need checkov, so they run here rather than in `tests`.
    session.run("pytest", "-m", "checkov", env={"CHECKOV": checkov})
    session.run("python", "-m", "synth", *session.posargs)
    session.run("python", "-m", "guardrails.scan", *session.posargs, env={"CHECKOV": checkov})


@nox.session(default=False)
def affected(session: nox.Session) -> None:
    """The layers the changes since REF affect, and why: nox -s affected -- [REF]."""
    _install(session, "tools")
    session.run("python", "-m", "orchestration.affected", *session.posargs)


@nox.session(default=False)
def graph(session: nox.Session) -> None:
    """The layers and the outputs on each edge, as text and Mermaid: nox -s graph -- [ENV]."""
    _install(session, "tools")
    session.run("python", "-m", "orchestration.graph", *session.posargs)


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Regenerate the generated parts of docs/ and README (rules, waivers, capacity, graph)."""
    _install(session, "tools")
    session.run("python", "-m", "guardrails.docs")
    session.run("python", "-m", "synth.capacity")
    session.run("python", "-m", "orchestration.graph", "--readme")


@nox.session(default=False)
def lock(session: nox.Session) -> None:
    """Re-resolve constraints.txt from pyproject.toml's ranges (run after changing a range)."""
    session.install("-e", ".[test,lint]")
    # --all keeps setuptools (parliament needs its pkg_resources); pip itself is not pinned.
    frozen = session.run("pip", "freeze", "--all", "--exclude-editable", silent=True)
    lines = [
        line for line in str(frozen).splitlines() if line and not line.startswith(("#", "pip=="))
    ]
    CONSTRAINTS.write_text("\n".join(sorted(lines, key=str.lower)) + "\n")
    session.log(f"wrote {len(lines)} pins to {CONSTRAINTS.name}")


# ---- helpers --------------------------------------------------------------------------------


def _orchestrate(session: nox.Session, command: str) -> None:
    # The CLI checks the arguments (ENV included) and prints the command's help on --help.
    _install(session, "tools", "local")
    session.run("python", "-m", "orchestration", command, *session.posargs)


def _checkov(session: nox.Session) -> str:
    """checkov in .nox/checkov, made again whenever its lock file changes."""
    checkov = CHECKOV_VENV / "bin" / "checkov"
    stamp = CHECKOV_VENV / "constraints-checkov.txt"
    wanted = CHECKOV_CONSTRAINTS.read_text()
    if not checkov.exists() or not stamp.exists() or stamp.read_text() != wanted:
        session.log("installing checkov into .nox/checkov (its own virtualenv and pins) ...")
        session.run("python", "-m", "venv", "--clear", str(CHECKOV_VENV))
        pip = str(CHECKOV_VENV / "bin" / "pip")
        session.run(pip, "install", "-q", "-c", str(CHECKOV_CONSTRAINTS), "checkov", external=True)
        stamp.write_text(wanted)
    return str(checkov)


def _install(session: nox.Session, *extras: str) -> None:
    target = f".[{','.join(extras)}]" if extras else "."
    session.install("-c", str(CONSTRAINTS), "-e", target)
