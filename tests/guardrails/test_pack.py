"""The pulumi-policy pack runs the same rules on what the engine hands it, mandatory."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
)

from guardrails.pack import policies, view_from
from guardrails.rules import RULES
from shared.layers import REPO_ROOT
from tests.support.breaks import BREAKS
from tests.support.documents import Document, layer


@dataclass
class _Args:
    resources: list[PolicyResource]


def _engine_view(doc: Document, layer_name: str) -> _Args:
    provider = PolicyProviderResource("pulumi:providers:aws", {"region": doc["region"]}, "p", "p")
    return _Args(
        [
            PolicyResource(
                r["type"],
                r["inputs"],
                f"urn:pulumi:{r['name']}",
                r["name"],
                _options(r.get("options", {})),
                provider,
                None,
                [],
                {},
            )
            for r in layer(doc, layer_name)["resources"]
        ]
    )


def _options(options: dict[str, bool]) -> PolicyResourceOptions:
    # What the engine hands a policy: protect, and no retainOnDelete (pulumi-policy's options).
    timeouts = PolicyCustomTimeouts(0, 0, 0)
    return PolicyResourceOptions(options.get("protect", False), [], None, [], timeouts, [])


def _violations(doc: Document) -> dict[str, list[tuple[str, str | None]]]:
    found: dict[str, list[tuple[str, str | None]]] = {}
    for policy in policies():

        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            found.setdefault(name, []).append((message, urn))

        for layer_name in ("network", "data", "compute"):
            assert policy.validate is not None
            policy.validate(_engine_view(doc, layer_name), report)  # type: ignore[arg-type]
    return found


def test_one_mandatory_policy_per_rule() -> None:
    pack = policies()
    assert [p.name for p in pack] == [rule.id for rule in RULES]
    assert all(p.enforcement_level is EnforcementLevel.MANDATORY for p in pack)


def test_the_pack_passes_the_synthesized_stacks(synthesized: dict[str, Document]) -> None:
    for doc in synthesized.values():
        assert _violations(doc) == {}


def test_the_pack_reports_a_broken_stack_with_the_resource_urn(
    synthesized: dict[str, Document],
) -> None:
    broken = copy.deepcopy(synthesized["production"])
    BREAKS["lambda-tracing"](broken)
    found = _violations(broken)
    assert list(found) == ["lambda-tracing"]
    [(message, urn)] = found["lambda-tracing"]
    assert message == "data-processor-function: needs active X-Ray tracing"
    assert urn == "urn:pulumi:data-processor-function"


def test_the_view_reads_environment_layer_and_region_from_the_stack(
    synthesized: dict[str, Document],
) -> None:
    view = view_from(_engine_view(synthesized["staging"], "data").resources)
    assert view is not None
    assert (view.environment, view.layer, view.region) == ("staging", "data", "us-east-1")
    assert view_from([]) is None


def test_the_pack_project_serves_this_pack() -> None:
    text = (REPO_ROOT / "policy_pack" / "__main__.py").read_text()
    assert "PolicyPack(" in text and "from guardrails.pack import PACK_NAME, policies" in text


def test_the_pack_sees_an_unprotected_production_table(synthesized: dict[str, Document]) -> None:
    broken = copy.deepcopy(synthesized["production"])
    table = next(r for r in layer(broken, "data")["resources"] if r["name"] == "analytics-table")
    table["options"]["protect"] = False
    found = _violations(broken)
    assert found["stateful-protection"] == [
        (
            "analytics-table: needs protect in production (matrix: protect_stateful=True)",
            "urn:pulumi:analytics-table",
        )
    ]
