"""Which layers a change affects: `--affected [REF]` for deploy and preview, `nox -s affected`.

The changed paths are git's: everything that differs between REF and the working tree
(committed since REF, staged, or not yet staged) plus untracked files. REF defaults to the merge
base with the default branch (origin's HEAD, else `main`), or HEAD~1 when that is HEAD itself
(on the default branch). Paths map to layers through `shared.layers.PATH_LAYERS`; then every
layer that reads an affected one is added ("reads data"), since its inputs may change.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shared.errors import PlatformError
from shared.layers import LAYERS, REPO_ROOT, layers_for_path, readers_of


@dataclass(frozen=True)
class Selection:
    base: str
    # Layer name -> why it is in (paths that map to it, or "reads <layer>"), in layer order.
    reasons: dict[str, list[str]] = field(default_factory=dict)

    @property
    def layers(self) -> list[str]:
        return list(self.reasons)

    @property
    def cascade(self) -> dict[str, tuple[str, ...]]:
        """Layers that are in only because they read affected ones -> those upstream layers."""
        return {
            layer: tuple(why.removeprefix("reads ") for why in reasons)
            for layer, reasons in self.reasons.items()
            if all(why.startswith("reads ") for why in reasons)
        }

    def render(self) -> str:
        if not self.reasons:
            return f"no layer is affected by the changes since {self.base}"
        lines = [f"affected since {self.base}:"]
        for layer, why in self.reasons.items():
            shown = ", ".join(why[:5]) + (f" and {len(why) - 5} more" if len(why) > 5 else "")
            lines.append(f"  {layer}: {shown}")
        return "\n".join(lines)


def _git(root: Path, *args: str) -> str:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise PlatformError("--affected needs git, which is not installed") from None
    if completed.returncode != 0:
        message = (completed.stderr.strip().splitlines() or ["failed"])[-1]
        raise PlatformError(f"git {' '.join(args)}: {message}")
    return completed.stdout


def default_base(root: Path = REPO_ROOT) -> str:
    """The merge base with the default branch; HEAD~1 when HEAD is the default branch itself."""
    current = _git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    for candidate in ("origin/HEAD", "main", "master"):
        try:
            name = _git(root, "rev-parse", "--abbrev-ref", candidate).strip()
        except PlatformError:
            continue
        if name.removeprefix("origin/") == current:
            break
        return _git(root, "merge-base", "HEAD", candidate).strip()
    try:
        return _git(root, "rev-parse", "HEAD~1").strip()
    except PlatformError:
        raise PlatformError("no earlier commit to compare with; name one: --affected REF") from None


def changed_paths(base: str, root: Path = REPO_ROOT) -> list[str]:
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except PlatformError:
        raise PlatformError(
            f"unknown git revision {base!r}; give a commit, branch or tag"
        ) from None
    tracked = _git(root, "diff", "--name-only", base, "--").splitlines()
    untracked = _git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted(set(tracked) | set(untracked))


def select(paths: Sequence[str], base: str) -> Selection:
    direct: dict[str, list[str]] = {}
    for path in paths:
        for layer in layers_for_path(path):
            direct.setdefault(layer, []).append(path)
    reasons: dict[str, list[str]] = {}
    for name in LAYERS:
        why = list(direct.get(name, []))
        why += [f"reads {upstream}" for upstream in direct if name in readers_of(upstream)]
        if why:
            reasons[name] = why
    return Selection(base, reasons)


def affected(ref: str | None = None, root: Path | None = None) -> Selection:
    root = root or REPO_ROOT
    base = ref or default_base(root)
    paths = changed_paths(base, root)
    short = _git(root, "rev-parse", "--short", base).strip()
    return select(paths, base if short == base else f"{base} ({short})" if ref else short)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s affected --", description=__doc__)
    parser.add_argument("ref", nargs="?", metavar="REF", help="default: see above")
    args = parser.parse_args(argv)
    try:
        print(affected(args.ref).render())
    except PlatformError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
