"""What a protected destroy leaves, and the deliberate way to remove each kept resource."""

from __future__ import annotations

from orchestration.engine import Held, StackRef
from orchestration.retained import explain
from shared.layers import DATA, NETWORK

DATA_STACK = StackRef(DATA, "production", "file:///s")
NETWORK_STACK = StackRef(NETWORK, "production", "file:///s")
KEY = Held(
    "urn:pulumi:production::trading-network::aws:kms/key:Key::network-key",
    "aws:kms/key:Key",
    "k-1",
    True,
)
TABLE = Held(
    "urn:pulumi:production::trading-data::aws:dynamodb/table:Table::analytics-table",
    "aws:dynamodb/table:Table",
    "analytics-table-production-us-east-1",
    True,
)
STREAM = Held(
    "urn:pulumi:production::trading-data::aws:kinesis/stream:Stream::trades-stream",
    "aws:kinesis/stream:Stream",
    "arn:aws:kinesis:us-east-1:123456789012:stream/trades-production-us-east-1",
    True,
)


def test_nothing_kept_says_nothing() -> None:
    assert explain("dev", [(DATA_STACK, [])]) == []


def test_each_kept_resource_is_listed_with_its_removal_command_and_the_keys_go_last() -> None:
    lines = explain("production", [(NETWORK_STACK, [KEY]), (DATA_STACK, [TABLE, STREAM])])
    assert lines[0].startswith("kept: 3 protected resource(s) of production, the stateful ones")
    listed = [line.split()[1] for line in lines[1:4]]
    assert listed == ["analytics-table", "trades-stream", "network-key"], "keys last"
    text = "\n".join(lines)
    assert (
        "analytics-table: aws dynamodb update-table --table-name "
        "analytics-table-production-us-east-1 --no-deletion-protection-enabled"
    ) in text
    # The stream's physical id is its ARN; the CLI takes its name.
    assert "aws kinesis delete-stream --stream-name trades-production-us-east-1" in text
    assert "aws kms schedule-key-deletion --key-id k-1" in text


def test_the_last_step_unprotects_every_stack_that_kept_something_then_destroys_again() -> None:
    last = explain("production", [(NETWORK_STACK, [KEY]), (DATA_STACK, [TABLE])])[-1]
    assert "pulumi state unprotect --all --yes --stack organization/trading-data/production" in last
    assert "--stack organization/trading-network/production" in last
    assert "nox -s destroy -- production --confirm production" in last


def test_what_guards_the_bucket_goes_with_it_and_autoscaling_is_deregistered() -> None:
    policy = Held(
        "urn:pulumi:production::trading-data::aws:s3/bucketPolicy:BucketPolicy::archive-tls-only",
        "aws:s3/bucketPolicy:BucketPolicy",
        "data-archive-production-us-east-1",
        True,
    )
    target = Held(
        "urn:pulumi:production::trading-data::aws:appautoscaling/target:Target::"
        "analytics-write-target",
        "aws:appautoscaling/target:Target",
        "table/analytics-table-production-us-east-1",
        True,
    )
    schedule = Held(
        "urn:pulumi:production::trading-data::aws:appautoscaling/scheduledAction:ScheduledAction::"
        "analytics-write-market-open",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        "analytics-table-market-open-production-us-east-1",
        True,
    )
    text = "\n".join(explain("production", [(DATA_STACK, [policy, target, schedule])]))
    assert "analytics-write-market-open: goes with its scalable target" in text
    assert "archive-tls-only: goes with its bucket (deleting the bucket deletes it)" in text
    assert (
        "analytics-write-target: aws application-autoscaling deregister-scalable-target "
        "--service-namespace dynamodb --resource-id table/analytics-table-production-us-east-1 "
        "--scalable-dimension dynamodb:table:WriteCapacityUnits"
    ) in text


def test_a_type_without_a_known_command_points_to_the_console() -> None:
    odd = Held("urn:pulumi:production::trading-data::aws:x/y:Y::odd", "aws:x/y:Y", "i-1", True)
    assert any(
        "odd: delete it in the AWS console" in line
        for line in explain("production", [(DATA_STACK, [odd])])
    )
