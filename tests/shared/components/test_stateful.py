"""Stateful resources, and what guards them, are protected and retained on delete where the
matrix says, and only there."""

from __future__ import annotations

import pytest

from shared.environments import PROFILES
from shared.stateful import KEPT_TYPES
from tests.support.documents import Document

PROTECTED = {"protect": True, "retainOnDelete": True}
PLAIN = {"protect": False, "retainOnDelete": False}


def _options(doc: Document) -> dict[tuple[str, str], dict[str, bool]]:
    return {
        # Protection only: ignoreChanges is the scheduled floor's (test_data).
        (r["type"], r["name"]): {k: r["options"][k] for k in ("protect", "retainOnDelete")}
        for entry in doc["layers"]
        for r in entry["resources"]
        if "options" in r
    }


def test_production_protects_and_retains_every_stateful_resource_and_nothing_else(
    synthesized: dict[str, Document],
) -> None:
    options = _options(synthesized["production"])
    protected = sorted(name for (kind, name), o in options.items() if o == PROTECTED)
    assert protected == [
        "analytics-read-policy",
        "analytics-read-target",
        "analytics-table",
        # The write floor's market-hours schedule goes with the target it moves.
        "analytics-write-market-close",
        "analytics-write-market-open",
        "analytics-write-policy",
        "analytics-write-target",
        # The bucket and every setting that guards it: kept, a bucket keeps its protections.
        "archive-bucket",
        "archive-encryption",
        "archive-lifecycle",
        "archive-ownership",
        "archive-public-access",
        "archive-tls-only",
        "archive-versioning",
        "data-processor-dlq",
        "network-key",
        "platform-key",
        "trades-failures",
        "trades-stream",
    ]
    assert all(o == PLAIN for (kind, _name), o in options.items() if kind not in KEPT_TYPES), (
        "only stateful resources and their guards are protected"
    )


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_unprotected_environments_can_be_torn_down(
    synthesized: dict[str, Document], environment: str
) -> None:
    assert not PROFILES[environment].protect_stateful
    assert all(o == PLAIN for o in _options(synthesized[environment]).values())
