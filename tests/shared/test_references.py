"""Layers meet only through StackReferences carrying the declared outputs."""

from __future__ import annotations

import pytest

from shared import outputs
from shared.layers import COMPUTE, DATA, NETWORK
from synth.synthesize import SynthError, run_layer, stack_config, synth_environment
from tests.support.documents import Document, layer, resources


def test_compute_references_its_environment_upstreams(doc: Document, environment: str) -> None:
    names = sorted(r["inputs"]["name"] for r in resources(doc, "pulumi:pulumi:StackReference"))
    assert names == [
        f"organization/trading-data/{environment}",
        f"organization/trading-network/{environment}",
    ]
    assert all(
        r["type"] != "pulumi:pulumi:StackReference" for r in layer(doc, "network")["resources"]
    )


def test_upstream_org_comes_from_config() -> None:
    doc = synth_environment("dev", {"compute": {"trading-compute:upstream_org": "acme"}})
    names = sorted(r["inputs"]["name"] for r in resources(doc, "pulumi:pulumi:StackReference"))
    assert names == ["acme/trading-data/dev", "acme/trading-network/dev"]


def _upstreams(environment: str) -> dict[str, dict[str, object]]:
    produced: dict[str, dict[str, object]] = {}
    for upstream in (NETWORK, DATA):
        result = run_layer(upstream, environment, stack_config(upstream, environment), {})
        produced[f"{upstream.project}/{environment}"] = result.outputs
    return produced


def test_missing_upstream_output_names_the_output_and_the_stack() -> None:
    upstream = _upstreams("dev")
    del upstream["trading-network/dev"][outputs.LAMBDA_SECURITY_GROUP_ID]
    with pytest.raises(SynthError) as caught:
        run_layer(COMPUTE, "dev", stack_config(COMPUTE, "dev"), upstream)
    message = str(caught.value)
    assert "organization/trading-network/dev" in message
    assert "'lambda_security_group_id'" in message
    assert "nox -s deploy -- dev network" in message
    assert "\n" not in message


def test_compute_cannot_run_without_its_upstream_stacks() -> None:
    with pytest.raises(
        SynthError, match=r"unknown stack 'organization/trading-(network|data)/dev'"
    ):
        run_layer(COMPUTE, "dev", stack_config(COMPUTE, "dev"), {})
