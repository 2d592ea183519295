"""Each layer is its own Pulumi project, one stack file per environment."""

from __future__ import annotations

import yaml

from shared.environments import ENVIRONMENTS
from shared.layers import LAYERS
from synth.synthesize import stack_config


def test_every_layer_is_a_python_project_of_its_own() -> None:
    for layer in LAYERS.values():
        project = yaml.safe_load((layer.directory / "Pulumi.yaml").read_text())
        assert project["name"] == layer.project
        assert project["runtime"]["name"] == "python"
        assert (layer.directory / "__main__.py").is_file()


def test_every_environment_has_a_stack_file_defaulting_to_us_east_1() -> None:
    for layer in LAYERS.values():
        for environment in ENVIRONMENTS:
            assert stack_config(layer, environment)["aws:region"] == "us-east-1"
