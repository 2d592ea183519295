"""The orchestration CLI: what every run prints first, one-line mistakes, merged outputs."""

from __future__ import annotations

from tests.support.cli_harness import Harness


def test_outputs_merge_the_described_seven_then_where_to_look(harness: Harness) -> None:
    harness.run("deploy", "dev")
    table = harness.run("outputs", "dev")
    assert "lambda_function_name  lambda_function_name-value" in table.out
    as_json = harness.run("outputs", "dev", "--json")
    import json

    document = json.loads(as_json.out[as_json.out.index("{") :])
    assert list(document) == [
        "lambda_function_name",
        "lambda_function_arn",
        "dynamodb_table_name",
        "s3_bucket_name",
        "vpc_id",
        "log_group_name",
        "environment",
        "alarm_topic_arn",
        "dashboard_name",
        "dashboard_url",
    ]
    assert all(document.values())


def test_outputs_of_an_undeployed_environment_say_so(harness: Harness) -> None:
    assert "vpc_id                (not deployed)" in harness.run("outputs", "staging").out
    assert "dashboard_url         (not deployed)" in harness.run("outputs", "staging").out


def test_every_run_names_its_target_first(harness: Harness) -> None:
    for argv in (["deploy", "dev"], ["outputs", "dev"], ["deploy", "dev", "--target", "aws"]):
        first = harness.run(*argv).out.splitlines()[0]
        assert first.startswith("target: "), first
    assert [t.name for t in harness.targets] == ["local", "local", "aws"]
