"""What the docs quote of the commands' output is what the code produces: the outputs table
against the layer graph, the smoke record's fields, the run report's fields and results."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timezone

from orchestration.report import RunInfo, report
from orchestration.runner import Status, StepResult
from orchestration.smoke_records import SmokeRecord
from shared.layers import LAYERS, REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
DEPLOYING = (REPO_ROOT / "docs" / "deploying.md").read_text()
SCHEMA = json.loads((REPO_ROOT / "docs" / "run-report.schema.json").read_text())


def _outputs_rows() -> list[tuple[list[str], str, str]]:
    table = README.split("## Outputs", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in table.splitlines()[2:]:
        names, layer, note = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((re.findall(r"`([a-z_]+)`", names), layer, note))
    return rows


def test_every_output_the_readme_lists_is_exported_by_its_layer() -> None:
    for names, layer, _note in _outputs_rows():
        owners = list(LAYERS) if layer == "every layer" else [layer]
        for owner in owners:
            missing = [name for name in names if name not in LAYERS[owner].exports]
            assert missing == [], f"README says {owner} exports {missing}"


def test_what_the_readme_says_a_layer_reads_is_what_the_graph_says() -> None:
    for names, layer, note in _outputs_rows():
        reader = re.fullmatch(r"read by (\w+)", note)
        if reader:
            reads = LAYERS[reader.group(1)].reads.get(layer, ())
            assert [n for n in names if n not in reads] == [], f"{note}: {names}"


def test_the_smoke_record_fields_are_the_documented_ones() -> None:
    found = re.search(r"<sha>\.json`:\s*(.+?)\), for", DEPLOYING, re.DOTALL)
    assert found, "docs/deploying.md names the record's fields"
    listed = re.sub(r"\s*\([^)]*\)", "", found.group(1))
    documented = [field.strip() for field in listed.split(",")]
    assert documented == [field.name for field in dataclasses.fields(SmokeRecord)]


def test_the_run_report_example_and_results_are_what_a_run_writes() -> None:
    example = json.loads(DEPLOYING.split("```json\n", 1)[1].split("```", 1)[0])
    info = RunInfo("deploy", "dev", "t", "b", "r", datetime.now(timezone.utc))
    written = report(info, [StepResult("network", "s", Status.SUCCEEDED)], 0)
    always = [key for key in SCHEMA["properties"] if key in SCHEMA["required"]]
    assert list(example) == list(written) == always
    # What only some runs carry is described where the report is.
    optional = [key for key in SCHEMA["properties"] if key not in SCHEMA["required"]]
    assert optional == ["skipped_environments", "preflight"]
    assert all(f"`{key}`" in DEPLOYING for key in optional)
    stack_keys = SCHEMA["properties"]["stacks"]["items"]["properties"]
    assert list(example["stacks"][0]) == list(written["stacks"][0]) == list(stack_keys)
    sentence = DEPLOYING.split("`result` is ", 1)[1].split(";", 1)[0]
    documented = re.findall(r"[a-z]+", sentence.replace(" or ", ", "))
    assert documented == [status.value for status in Status] == stack_keys["result"]["enum"]
