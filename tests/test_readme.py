"""The README's layout table names every folder and every module of the stacks' library."""

from __future__ import annotations

import subprocess

from shared.layers import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
LAYOUT = README.split("## Layout", 1)[1].split("\n## ", 1)[0]


def _tracked() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return listing.stdout.splitlines()


def test_every_top_level_folder_is_in_the_layout() -> None:
    folders = {path.split("/", 1)[0] for path in _tracked() if "/" in path}
    missing = sorted(f for f in folders if f"`{f}/" not in LAYOUT)
    assert missing == [], missing


def test_every_module_of_shared_is_in_the_layout() -> None:
    modules = [path for path in _tracked() if path.startswith("shared/") and path.endswith(".py")]
    missing = [
        path
        for path in modules
        if not path.endswith("__init__.py")
        and f"`{path}`" not in LAYOUT
        and f"`{path.rsplit('/', 1)[-1]}`" not in LAYOUT
    ]
    assert missing == [], missing
