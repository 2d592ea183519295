"""Which layers a change affects: `--affected [REF]` for deploy and preview, `nox -s affected`
(the rules, the default REF and the cascade: docs/deploying.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orchestration import git
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


def default_base(root: Path = REPO_ROOT) -> str:
    """The merge base with the default branch (origin's HEAD, else main or master): what this
    checkout has that the default branch has not. On the default branch itself, with nothing
    unpushed (the merge base is HEAD), the previous commit: HEAD~1."""
    head = git.output("rev-parse", "HEAD", root=root)
    current = git.output("rev-parse", "--abbrev-ref", "HEAD", root=root)
    for candidate in ("origin/HEAD", "main", "master"):
        if git.run(
            "rev-parse", "--verify", "--quiet", candidate, root=root, check=False
        ).returncode:
            continue
        base = git.output("merge-base", "HEAD", candidate, root=root)
        branch = git.output("rev-parse", "--abbrev-ref", candidate, root=root)
        if base != head or branch.removeprefix("origin/") != current:
            return base
        break
    try:
        return git.output("rev-parse", "HEAD~1", root=root)
    except PlatformError:
        raise PlatformError("no earlier commit to compare with; name one: --affected REF") from None


def changed_paths(base: str, root: Path = REPO_ROOT) -> list[str]:
    try:
        git.run("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", root=root)
    except PlatformError:
        raise PlatformError(
            f"unknown git revision {base!r}; give a commit, branch or tag"
        ) from None
    tracked = git.run("diff", "--name-only", base, "--", root=root).stdout.splitlines()
    untracked = git.run("ls-files", "--others", "--exclude-standard", root=root).stdout.splitlines()
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
    short = git.output("rev-parse", "--short", base, root=root)
    return select(paths, base if short == base else f"{base} ({short})" if ref else short)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s affected --", description=__doc__)
    parser.add_argument(
        "ref",
        nargs="?",
        metavar="REF",
        help="default: the merge base with the default branch, else HEAD~1",
    )
    args = parser.parse_args(argv)
    try:
        print(affected(args.ref).render())
    except PlatformError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
