"""`build/synth/<env>.json` is a contract other tools read; these tests pin its shape."""

from __future__ import annotations

import json
import re

from shared.environments import ENVIRONMENTS
from shared.layers import REPO_ROOT
from synth.synthesize import synth_environment
from tests.support.documents import Document
from tests.support.processes import python

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def test_document_shape(doc: Document, environment: str) -> None:
    assert set(doc) == {"environment", "region", "layers"}
    assert (doc["environment"], doc["region"]) == (environment, "us-east-1")
    assert [entry["layer"] for entry in doc["layers"]] == ["network", "data", "compute"]
    for entry in doc["layers"]:
        assert set(entry) == {"layer", "project", "stack", "resources", "outputs"}
        assert entry["project"] == f"trading-{entry['layer']}"
        assert entry["stack"] == environment
        for resource in entry["resources"]:
            # Options are recorded for every cloud resource; components have none.
            cloud = resource["type"].startswith("aws:")
            assert set(resource) == {"type", "name", "inputs"} | ({"options"} if cloud else set())
            assert resource["type"].count(":") == 2


def test_components_and_references_are_listed(doc: Document) -> None:
    types = {r["type"] for entry in doc["layers"] for r in entry["resources"]}
    assert {
        "trading:network:PrivateNetwork",
        "trading:data:AnalyticsTable",
        "trading:data:ArchiveBucket",
        "trading:compute:DataProcessor",
        "pulumi:pulumi:StackReference",
    } <= types


# Tag keys and CloudWatch dimension names are AWS's own spelling, not the provider's inputs.
AWS_SPELLED = {"tags", "dimensions"}


def test_inputs_use_engine_camel_case_names(doc: Document) -> None:
    def keys(value: object) -> list[str]:
        if isinstance(value, dict):
            return [k for k in value if not k.isupper() and ":" not in k and "/" not in k] + [
                k for name, v in value.items() if name not in AWS_SPELLED for k in keys(v)
            ]
        if isinstance(value, list):
            return [k for v in value for k in keys(v)]
        return []

    for entry in doc["layers"]:
        for resource in entry["resources"]:
            if resource["type"].startswith("aws:"):
                kept = {k: v for k, v in resource["inputs"].items() if k not in AWS_SPELLED}
                for key in keys(kept):
                    assert CAMEL.match(key), (resource["name"], key)


def test_synth_is_deterministic(synthesized: dict[str, Document]) -> None:
    # Resources are listed in registration order, which concurrent RPCs may interleave;
    # what each resource is and what it receives must not vary.
    def canonical(document: Document) -> str:
        for entry in document["layers"]:
            entry["resources"].sort(key=lambda r: (r["type"], r["name"]))
        return json.dumps(document, sort_keys=True)

    again = synth_environment("production")
    assert canonical(again) == canonical(json.loads(json.dumps(synthesized["production"])))


def test_cli_writes_one_file_per_environment_and_a_table() -> None:
    result = python("-m", "synth")
    assert result.returncode == 0, result.stderr
    for environment in ENVIRONMENTS:
        path = REPO_ROOT / "build" / "synth" / f"{environment}.json"
        document = json.loads(path.read_text())
        assert document["environment"] == environment
        assert f"{environment} (us-east-1) -> build/synth/{environment}.json" in result.stdout
    assert "lambda_memory_mb=2048" in result.stdout and "billing_mode=PROVISIONED" in result.stdout
