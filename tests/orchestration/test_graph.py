"""`nox -s graph`: the layer graph from shared/layers.py, and README's diagram is its output."""

from __future__ import annotations

import pytest

from orchestration import graph
from shared.layers import LAYERS


def test_the_readme_diagram_is_the_generated_one() -> None:
    page = graph.README.read_text()
    assert graph.render_readme(page) == page, "README.md's diagram is stale: run nox -s docs"


def test_every_output_a_layer_reads_is_on_its_edge() -> None:
    drawn = graph.mermaid("production")
    for layer in LAYERS.values():
        assert f"{layer.name}<br/>{layer.project}/production" in drawn
        for upstream, names in layer.reads.items():
            assert f'{upstream} -->|"{"<br/>".join(names)}"| {layer.name}' in drawn
    listed = graph.text("dev")
    assert "reads data: dynamodb_table_name, dynamodb_table_arn" in listed
    assert "network (trading-network/dev)\n  reads nothing" in listed


def test_an_unknown_environment_is_refused_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        graph.main(["prod"])
    assert exit_info.value.code == 2
    assert "environment = 'prod' is not allowed; expected one of dev, staging, production" in (
        capsys.readouterr().err
    )
