"""Waivers are scoped: a check, the resource types, the environments, and nothing wider."""

from __future__ import annotations

import pytest

from guardrails.waivers import WAIVERS, waiver_for


@pytest.mark.parametrize(
    ("check", "resource_type", "environment", "waived"),
    [
        ("CKV_AWS_21", "aws_s3_bucket", "dev", True),
        ("CKV_AWS_21", "aws_s3_bucket", "staging", True),
        ("CKV_AWS_21", "aws_s3_bucket", "production", False),
        ("CKV2_AWS_62", "aws_s3_bucket", "production", True),
        ("CKV2_AWS_62", "aws_sqs_queue", "dev", False),
        ("CKV_AWS_338", "aws_cloudwatch_log_group", "production", True),
        ("CKV_AWS_158", "aws_cloudwatch_log_group", "dev", False),
        ("CKV_AWS_999", "aws_s3_bucket", "dev", False),
    ],
)
def test_a_waiver_covers_only_its_scope(
    check: str, resource_type: str, environment: str, waived: bool
) -> None:
    assert (waiver_for(check, resource_type, environment) is not None) is waived


def test_every_waiver_has_a_reason_and_a_resource_type() -> None:
    for waiver in WAIVERS:
        assert waiver.reason and waiver.resource_types, waiver.check
    assert len({w.check for w in WAIVERS}) == len(WAIVERS)
