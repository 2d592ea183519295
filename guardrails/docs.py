"""The generated parts of docs/guardrails.md: the rule table and the waiver list.

`nox -s docs` rewrites them from the rule declarations and WAIVERS; a test fails when the page
and the declarations disagree, so the page cannot drift from the code.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from guardrails.model import Rule
from guardrails.rules import RULES
from guardrails.waivers import WAIVERS, Waiver
from shared.layers import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "guardrails.md"
_SECTION = re.compile(r"(<!-- generated: (?P<name>[a-z]+) -->\n).*?(<!-- end generated -->)", re.S)


def rule_table(rules: Sequence[Rule] = RULES) -> str:
    lines = [
        "| rule | what it checks | protects | checkov | trivy |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in rules:
        # The title's "Service: " prefix is what the rule id already says.
        checks = rule.title.split(": ", 1)[-1]
        lines.append(
            f"| `{rule.id}` | {checks} | {rule.protects} | "
            f"{', '.join(rule.checkov) or '-'} | {', '.join(rule.trivy) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def waiver_list(waivers: Sequence[Waiver] = WAIVERS) -> str:
    return "".join(f"- `{w.check}` ({w.scope}): {w.reason}.\n" for w in waivers)


GENERATORS: dict[str, Callable[[], str]] = {"rules": rule_table, "waivers": waiver_list}


def render(page: str) -> str:
    """The page with every generated section replaced by what the code declares now."""

    def fill(match: re.Match[str]) -> str:
        return match.group(1) + GENERATORS[match.group("name")]() + match.group(3)

    return _SECTION.sub(fill, page)


def main(argv: Sequence[str] | None = None, page: Path = PAGE) -> int:
    text = page.read_text()
    updated = render(text)
    shown = page.relative_to(REPO_ROOT) if page.is_relative_to(REPO_ROOT) else page
    if updated == text:
        print(f"{shown} is up to date")
        return 0
    page.write_text(updated)
    print(f"rewrote the generated sections of {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
