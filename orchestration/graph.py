"""`nox -s graph -- [ENV] [--readme]`: the layers and the outputs on each edge, text and Mermaid.

Read from the one declaration of the graph (`shared/layers.py`: what each layer exports and which
outputs of which layer it reads), so the picture cannot disagree with what the programs require.
`--readme` rewrites README.md's diagram from it (also `nox -s docs`); a test keeps them equal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shared.environments import environment_argument
from shared.layers import REPO_ROOT, deploy_order

README = REPO_ROOT / "README.md"
START, END = "<!-- generated: graph -->\n", "<!-- end generated -->"


def _stack(project: str, environment: str | None) -> str:
    return f"{project}/{environment or 'ENV'}"


def text(environment: str | None = None) -> str:
    lines = []
    for layer in deploy_order():
        lines.append(f"{layer.name} ({_stack(layer.project, environment)})")
        for upstream, names in layer.reads.items():
            lines.append(f"  reads {upstream}: {', '.join(names)}")
        if not layer.reads:
            lines.append("  reads nothing")
    return "\n".join(lines) + "\n"


def mermaid(environment: str | None = None) -> str:
    lines = ["```mermaid", "flowchart LR"]
    for layer in deploy_order():
        label = f"{layer.name}<br/>{_stack(layer.project, environment)}"
        lines.append(f'  {layer.name}["{label}"]')
    for layer in deploy_order():
        for upstream, names in layer.reads.items():
            lines.append(f'  {upstream} -->|"{"<br/>".join(names)}"| {layer.name}')
    lines.append("```")
    return "\n".join(lines) + "\n"


def render_readme(page: str) -> str:
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + START + mermaid() + END + tail


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s graph --", description=__doc__)
    parser.add_argument("environment", nargs="?", metavar="ENV", type=environment_argument)
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's diagram")
    args = parser.parse_args(argv)
    if args.readme:
        README.write_text(render_readme(README.read_text()))
        print("rewrote the layer diagram in README.md")
        return 0
    print(text(args.environment))
    print(mermaid(args.environment), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
