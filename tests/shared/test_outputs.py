"""Output names: the seven the platform description promises exist across the layers."""

from __future__ import annotations

from shared import outputs
from tests.support.documents import Document


def test_the_seven_described_outputs_exist_across_layers(doc: Document) -> None:
    merged = {k: v for entry in doc["layers"] for k, v in entry["outputs"].items()}
    for name in outputs.DESCRIBED:
        assert merged.get(name), name
