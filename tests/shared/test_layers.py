"""The layer graph: exports, reads, and the order and waves layers deploy in."""

from __future__ import annotations

import pytest

from shared import outputs
from shared.layers import LAYERS, deploy_order, waves
from tests.support.documents import Document


def test_each_layer_exports_exactly_its_declared_outputs(doc: Document, environment: str) -> None:
    for entry in doc["layers"]:
        declared = LAYERS[entry["layer"]].exports
        assert sorted(entry["outputs"]) == sorted(declared)
        assert entry["outputs"][outputs.ENVIRONMENT] == environment


def test_what_a_layer_reads_is_what_its_upstream_exports() -> None:
    for consumer in LAYERS.values():
        for upstream, keys in consumer.reads.items():
            assert set(keys) <= set(LAYERS[upstream].exports), (consumer.name, upstream)


def test_deploy_order_puts_compute_after_network_and_data() -> None:
    order = [layer.name for layer in deploy_order()]
    assert order.index("compute") > max(order.index("network"), order.index("data"))
    assert [layer.name for layer in deploy_order(("compute", "network"))] == ["network", "compute"]
    with pytest.raises(ValueError, match=r"unknown layer .storage."):
        deploy_order(("storage",))


def test_network_and_data_form_one_wave_before_compute() -> None:
    assert [[layer.name for layer in group] for group in waves()] == [
        ["network", "data"],
        ["compute"],
    ]
    assert [[layer.name for layer in group] for group in waves(["compute"])] == [["compute"]]
