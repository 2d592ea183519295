"""The house rules, checked: who may import whom, and that shared/ is the stacks' library only."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.layers import LAYERS, REPO_ROOT

SHARED = REPO_ROOT / "shared"
# What the contracts read: the packages they name, and the file that declares them.
CONTRACT_TREE = ("pyproject.toml", "shared", "orchestration", "guardrails", "synth", "functions")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` as `nox -s lint` runs it, over the tree at `root`."""
    command = Path(sys.executable).with_name("lint-imports")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), str(root / "functions" / "data_processor")]),
    }
    return subprocess.run(
        [str(command), "--config", "pyproject.toml", "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_hold_on_this_tree() -> None:
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("shared/components/network.py", "import orchestration.plan", "imports none of the tools"),
        ("shared/naming.py", "import synth.synthesize", "imports none of the tools"),
        ("shared/settings.py", "import boto3", "nothing beyond the stack programs"),
        (
            "functions/data_processor/trade_analytics/records.py",
            "import shared.naming",
            "the function's code imports neither",
        ),
        ("guardrails/rules.py", "import yaml", "the policy pack's code runs in its virtualenv"),
        ("orchestration/plan.py", "import guardrails.rules", "deploying does not depend"),
    ],
)
def test_a_forbidden_import_breaks_the_lint(
    tmp_path: Path, module: str, statement: str, contract: str
) -> None:
    for name in CONTRACT_TREE:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    with (tmp_path / module).open("a") as file:
        file.write(f"\n{statement}  # the deliberate break\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    # A break may break more than one contract (an import of synth also brings in yaml).
    assert any(contract in line for line in broken), result.stdout


def _imports(path: Path) -> set[str]:
    """The `shared.*` modules a file imports (`from shared import x` counts as shared.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("shared.")}


def _module_path(name: str) -> Path | None:
    base = REPO_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None  # an attribute (`from shared.naming import Naming`), not a module


def test_every_module_of_shared_is_used_by_the_stack_programs() -> None:
    reached: set[Path] = set()
    pending = [layer.directory / "__main__.py" for layer in LAYERS.values()]
    while pending:
        for name in _imports(pending.pop()):
            path = _module_path(name)
            if path and path not in reached:
                reached.add(path)
                pending.append(path)
    modules = {path for path in SHARED.rglob("*.py") if path.name != "__init__.py"}
    unused = sorted(str(path.relative_to(REPO_ROOT)) for path in modules - reached)
    assert unused == [], f"not imported by any stack program: {unused}"


_DEPENDENCIES_OF_SHARED = """
import importlib, json, pkgutil, re, sys
from importlib import metadata

import shared
for info in pkgutil.walk_packages(shared.__path__, "shared."):
    importlib.import_module(info.name)

def normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()

def closure(names):
    seen, pending = set(), list(names)
    while pending:
        name = normal(re.split(r"[^A-Za-z0-9._-]", pending.pop(), maxsplit=1)[0])
        if name in seen:
            continue
        seen.add(name)
        for requirement in metadata.requires(name) or []:
            if "extra ==" not in requirement:
                pending.append(requirement)
    return seen

allowed = closure(["pulumi", "pulumi-aws"])
distributions = metadata.packages_distributions()
loaded = {name.split(".")[0] for name in sys.modules} - set(sys.stdlib_module_names)
# Modules without a file (cython_runtime, ...) are made by the interpreter, not installed.
installed = {name for name in loaded if getattr(sys.modules[name], "__file__", None)}
# The suite's own guard on the checkout's state (tests/support/checkout_guard) is no dependency.
if "checkout_guard" in (getattr(sys.modules.get("sitecustomize"), "__file__", None) or ""):
    installed.discard("sitecustomize")
outside = sorted(
    name for name in installed - {"shared"}
    if not name.startswith("_")
    and not {normal(d) for d in distributions.get(name, [name])} & allowed
)
print(json.dumps(outside))
"""


def test_shared_imports_nothing_beyond_what_its_virtualenv_installs() -> None:
    # The stacks' virtualenv holds pyproject's dependencies (pulumi, pulumi-aws) and theirs.
    result = subprocess.run(
        [sys.executable, "-c", _DEPENDENCIES_OF_SHARED],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_the_function_entry_point_imports_neither_shared_nor_the_tools() -> None:
    # import-linter takes packages only; handler.py is a module, so it is read here.
    tree = ast.parse((REPO_ROOT / "functions" / "data_processor" / "handler.py").read_text())
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert not imported & {"shared", "orchestration", "guardrails", "synth", "pulumi"}, imported
    assert "trade_analytics" in imported
