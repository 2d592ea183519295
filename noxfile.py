"""Sessions for the trading analytics platform; `nox -l` lists them, README.md explains them.

Sessions only parse arguments and call into the tools (`orchestration`, `guardrails`, `synth`),
so everything they do is importable and tested on its own. They share two virtualenvs, built
once and again only when the pins change (`_venv`): `.nox/ops` for the operational sessions,
`.nox/dev` for the tests and lint; checkov has its own (`.nox/checkov`).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nox
from nox.command import CommandFailed

ROOT = Path(__file__).parent
# One lock of truth: every session installs against these exact versions.
CONSTRAINTS = ROOT / "constraints.txt"
# checkov pins its dependencies below ours, so it gets a virtualenv and a lock of its own.
CHECKOV_CONSTRAINTS = ROOT / "constraints-checkov.txt"
CHECKOV_VENV = ROOT / ".nox" / "checkov"
# The end-to-end tier: its own session, apart from the default test run (as Powertools does).
E2E = ROOT / "tests" / "e2e"
# The shared virtualenvs: name -> (the project's extras, what a first build costs, roughly).
VENVS = {
    "ops": ("tools,local", "about 2 minutes and 700 MB"),
    "dev": ("test,lint", "about 3 minutes and 900 MB"),
}
STAMP = "pins.sha256"

nox.options.sessions = ["tests", "lint", "guardrails", "scan"]
# pytest-xdist: the tests on every core (up to four), a module's tests on one worker.
PARALLEL = ("--numprocesses", "auto", "--maxprocesses", "4")
nox.options.error_on_missing_interpreters = True
# Sessions run in the shared virtualenvs, which `_venv` manages, not in one of nox's own each.
in_shared_venv = nox.session(venv_backend="none")
on_demand = nox.session(venv_backend="none", default=False)


@in_shared_venv
def tests(session: nox.Session) -> None:
    """Unit and functional tests, offline (mocks, moto, fake engine): -- [PYTEST ARGS]."""
    _run(
        session,
        "dev",
        "pytest",
        *PARALLEL,
        "--dist",
        "loadfile",
        "--ignore",
        str(E2E),
        *session.posargs,
    )


@on_demand
def e2e(session: nox.Session) -> None:
    """End-to-end journeys through the Automation API and the CLI double: -- [PYTEST ARGS]."""
    _run(session, "dev", "pytest", *PARALLEL, str(E2E), *session.posargs)


@in_shared_venv
def lint(session: nox.Session) -> None:
    """Check style (ruff), types (mypy) and who may import whom (import-linter)."""
    _run(session, "dev", "ruff", "check", ".")
    _run(session, "dev", "ruff", "format", "--check", ".")
    _run(session, "dev", "mypy")
    # The function's code is imported as Lambda imports it: from its own directory.
    _run(
        session,
        "dev",
        "lint-imports",
        env={"PYTHONPATH": str(ROOT / "functions" / "data_processor")},
    )


@in_shared_venv
def synth(session: nox.Session) -> None:
    """Synthesize stacks offline to build/synth/ENV.json: nox -s synth -- [ENV ...]."""
    _run(session, "ops", "python", "-m", "synth", *session.posargs)


@on_demand
def deploy(session: nox.Session) -> None:
    """Deploy layers in dependency order: nox -s deploy -- ENV [LAYER ...] [--dry-run]."""
    _orchestrate(session, "deploy")


@on_demand
def preview(session: nox.Session) -> None:
    """Preview layers in dependency order, changing nothing: nox -s preview -- ENV [LAYER ...]."""
    _orchestrate(session, "preview")


@on_demand
def destroy(session: nox.Session) -> None:
    """Destroy layers, dependents first: nox -s destroy -- ENV [LAYER ...] [--confirm ENV]."""
    _orchestrate(session, "destroy")


@on_demand
def outputs(session: nox.Session) -> None:
    """Print the platform's outputs merged across layers: nox -s outputs -- ENV [--json]."""
    _orchestrate(session, "outputs")


@on_demand
def drift(session: nox.Session) -> None:
    """Refresh-preview every layer; fail when live resources differ: nox -s drift -- ENV."""
    _orchestrate(session, "drift")


@on_demand
def rollback(session: nox.Session) -> None:
    """Redeploy one layer from an earlier revision: nox -s rollback -- ENV LAYER [--to REF]."""
    _orchestrate(session, "rollback")


@on_demand
def promote(session: nox.Session) -> None:
    """Deploy to ENV the revision that passed smoke in FROM, gate by gate: -- FROM ENV."""
    _orchestrate(session, "promote")


@on_demand
def smoke(session: nox.Session) -> None:
    """One trade invoked, one put on the stream, both read back in their rollup: -- ENV."""
    _orchestrate(session, "smoke")


@on_demand
def preflight(session: nox.Session) -> None:
    """What AWS would refuse about ENV in this account, each with its fix: -- ENV --target aws."""
    _orchestrate(session, "preflight")


@on_demand
def send(session: nox.Session) -> None:
    """Put well-formed trades on the stream: -- ENV [--count N] [--symbol S] [--amount A]."""
    _orchestrate(session, "send")


@on_demand
def cancel(session: nox.Session) -> None:
    """Clear what an interrupted run left on its stacks (pulumi cancel): -- ENV [LAYER ...]."""
    _orchestrate(session, "cancel")


@on_demand
def emulator(session: nox.Session) -> None:
    """Start, stop, show or reset the local AWS emulator: -- start|stop|status|reset."""
    _command(session, "python", "-m", "emulator", *session.posargs)


@on_demand
def bench(session: nox.Session) -> None:
    """Measure the data processor's budgets against moto (requests, throughput, import)."""
    _run(session, "dev", "python", "-m", "benchmarks.data_processor")


@in_shared_venv
def guardrails(session: nox.Session) -> None:
    """Synthesize, then check every security rule offline: nox -s guardrails -- [ENV ...]."""
    # One command, so its help and its errors are its own (not synth's, printed first).
    _run(session, "ops", "python", "-m", "guardrails", "--fresh", *session.posargs)


@in_shared_venv
def scan(session: nox.Session) -> None:
    """checkov over every synthesized environment, offline: nox -s scan -- [ENV ...]."""
    if {"-h", "--help"} & set(session.posargs):  # the scan's own help, alone: nothing built
        _run(session, "dev", "python", "-m", "guardrails.scan", "--help")
        return
    checkov = _checkov(session)
    # The export's own tests need checkov, so they run here rather than in `tests`.
    _run(session, "dev", "pytest", "-m", "checkov", env={"CHECKOV": checkov})
    # One command for the scan itself (it synthesizes first), so its help and errors are its own.
    _run(
        session,
        "dev",
        "python",
        "-m",
        "guardrails.scan",
        "--fresh",
        *session.posargs,
        env={"CHECKOV": checkov},
    )


@on_demand
def affected(session: nox.Session) -> None:
    """The layers the changes since REF affect, and why: nox -s affected -- [REF]."""
    _command(session, "python", "-m", "orchestration.affected", *session.posargs)


@on_demand
def graph(session: nox.Session) -> None:
    """The layers and the outputs on each edge, as text and Mermaid: nox -s graph -- [ENV]."""
    _command(session, "python", "-m", "orchestration.graph", *session.posargs)


@on_demand
def docs(session: nox.Session) -> None:
    """Regenerate the generated parts of docs/ and README (rules, waivers, capacity, graph)."""
    _run(session, "ops", "python", "-m", "guardrails.docs")
    _run(session, "ops", "python", "-m", "synth.capacity")
    _run(session, "ops", "python", "-m", "orchestration.graph", "--readme")


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
    _command(session, "python", "-m", "orchestration", command, *session.posargs)


def _command(session: nox.Session, program: str, *args: str) -> None:
    """`program ARGS` from .nox/ops as if run directly: its streams and its exit code unchanged.

    nox merges a child's stderr into its stdout and reports every failure as exit 1
    (nox/popen.py, nox/command.py), so `--json > out.json` would hold status lines and a CI gate
    could not tell "changes" (2) from "could not run" (1). stderr is passed through as the child's
    own; a failure ends nox with the child's code (SystemExit passes nox's session runner, which
    catches only Exception). Ctrl-C reaches the child too (one process group); nox waits for it
    to finish its own clean-up (release the lock, write the report) instead of killing it after
    0.3 s, then exits 130 as the child does.
    """
    try:
        session.run(
            str(_venv(session, "ops") / program),
            *args,
            external=True,
            stderr=None,
            interrupt_timeout=None,
        )
    except CommandFailed as failed:
        raise SystemExit(failed.return_code or 1) from None


def _checkov(session: nox.Session) -> str:
    """checkov in .nox/checkov, made again whenever its lock file changes."""
    checkov = CHECKOV_VENV / "bin" / "checkov"
    stamp = CHECKOV_VENV / "constraints-checkov.txt"
    wanted = CHECKOV_CONSTRAINTS.read_text()
    if not checkov.exists() or not stamp.exists() or stamp.read_text() != wanted:
        session.log("installing checkov into .nox/checkov (its own virtualenv and pins) ...")
        session.run(sys.executable, "-m", "venv", "--clear", str(CHECKOV_VENV), external=True)
        pip = str(CHECKOV_VENV / "bin" / "pip")
        session.run(pip, "install", "-q", "-c", str(CHECKOV_CONSTRAINTS), "checkov", external=True)
        stamp.write_text(wanted)
    return str(checkov)


def _run(
    session: nox.Session, venv: str, program: str, *args: str, env: dict[str, str] | None = None
) -> None:
    """`program ARGS` from the shared virtualenv `venv`, built first if it must be; its
    stderr stays stderr (nox would merge it into stdout)."""
    session.run(str(_venv(session, venv) / program), *args, external=True, env=env, stderr=None)


def _venv(session: nox.Session, name: str) -> Path:
    """.nox/NAME's bin directory: built once, rebuilt only when the pins or extras change."""
    if name == "ops" and _current("dev"):
        name = "dev"  # it holds the operational extras too: no second build where it exists
    extras, cost = VENVS[name]
    venv = ROOT / ".nox" / name
    if _current(name):
        return venv / "bin"  # nothing to install: nothing said about pip
    python = venv / "bin" / "python"
    session.log(f"building .nox/{name} for [{extras}], once ({cost}; later runs reuse it) ...")
    session.run(sys.executable, "-m", "venv", "--clear", str(venv), external=True, silent=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    session.run(*pip, "-c", str(CONSTRAINTS), "-e", f".[{extras}]", external=True)
    (venv / STAMP).write_text(_pins(name))
    session.log(f"built .nox/{name}")
    return venv / "bin"


def _pins(name: str) -> str:
    extras, _cost = VENVS[name]
    pins = CONSTRAINTS.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    return hashlib.sha256(extras.encode() + pins).hexdigest()


def _current(name: str) -> bool:
    """Whether .nox/NAME exists and was built from today's pins and extras."""
    venv = ROOT / ".nox" / name
    stamp = venv / STAMP
    return (
        (venv / "bin" / "python").exists() and stamp.exists() and stamp.read_text() == _pins(name)
    )
