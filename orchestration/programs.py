"""The Pulumi project each stack runs from, generated under .state/programs/, never in stacks/.

`pulumi stack init` writes the passphrase salt into the project's Pulumi.<stack>.yaml, and
targets add provider config: both stay out of the tracked tree, so a deploy leaves the checkout
clean. Files are rewritten only when their content changes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml

from orchestration.backend import STATE_DIR
from orchestration.engine import StackRef
from orchestration.targets import Target

PROGRAMS_DIR = STATE_DIR / "programs"
# Stack settings the CLI writes into a project's Pulumi.<stack>.yaml (passphrase salt, or a
# cloud secrets provider's key): kept from one generated file to the next.
CLI_WRITTEN_SETTINGS = ("encryptionsalt", "secretsprovider", "encryptedkey")


def program_project(
    stack: StackRef, target: Target, virtualenv: Path, root: Path = PROGRAMS_DIR
) -> Path:
    """The project directory for `stack` on `target`, its program and config written there.

    Pulumi.yaml's `main` points back at the layer's directory (or a worktree's), its virtualenv
    is given as an absolute path; the stack file is the tracked one with the target's config
    layered on top, and what the CLI wrote there kept.
    """
    digest = hashlib.sha256(stack.backend_url.encode()).hexdigest()[:10]
    directory = root / f"{target.name}-{stack.environment}-{digest}" / stack.layer.name
    directory.mkdir(parents=True, exist_ok=True)

    project = yaml.safe_load((stack.program_dir / "Pulumi.yaml").read_text())
    project["main"] = os.path.relpath(stack.program_dir, directory)
    project.setdefault("runtime", {}).setdefault("options", {})["virtualenv"] = str(virtualenv)
    _write(directory / "Pulumi.yaml", yaml.safe_dump(project, sort_keys=False))

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
    _write(directory / name, yaml.safe_dump(document, sort_keys=True))
    return directory


def _write(path: Path, text: str) -> None:
    # Unchanged files keep their times: nothing downstream sees a change that is not one.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _yaml(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text()) if path.exists() else None
    return dict(document or {})
