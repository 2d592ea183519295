"""Every IAM policy document the programs generate, through parliament (an IAM linter)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import parliament
import pytest

from shared import iam
from tests.support.documents import Document

BLOCKING = {"MEDIUM", "HIGH", "CRITICAL"}
# (input holding the document, parliament issue) -> why it does not apply.
SUPPRESSED = {
    ("assumeRolePolicy", "MALFORMED"): (
        "a trust policy is a resource policy on the role: it has no Resource element by design"
    ),
}


def _documents(doc: Document) -> Iterator[tuple[str, str, str]]:
    for layer in doc["layers"]:
        for resource in layer["resources"]:
            for key in ("policy", "assumeRolePolicy"):
                text = resource["inputs"].get(key)
                if isinstance(text, str) and text.startswith("{"):
                    yield f"{layer['layer']}/{resource['name']}", key, text


def _blocking(key: str, text: str) -> list[str]:
    findings = parliament.analyze_policy_string(text).findings
    return [
        f"{f.issue}: {f.detail}"
        for f in findings
        if parliament.config[f.issue]["severity"] in BLOCKING and (key, f.issue) not in SUPPRESSED
    ]


def test_no_medium_or_higher_findings(synthesized: dict[str, Document]) -> None:
    checked = 0
    for doc in synthesized.values():
        for where, key, text in _documents(doc):
            assert _blocking(key, text) == [], f"{doc['environment']} {where} {key}"
            checked += 1
    # Two roles, two role policies, the bucket policy, two key policies (data and network), the
    # alarm topic's policy.
    assert checked == 3 * 8


@pytest.mark.parametrize(
    ("statement", "issue"),
    [
        (
            {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "arn:aws:s3:::b"},
            "RESOURCE_MISMATCH",
        ),
        (
            {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "arn:aws:s3:::b"},
            "RESOURCE_MISMATCH",
        ),
    ],
)
def test_the_check_can_fail(statement: dict[str, object], issue: str) -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    assert any(line.startswith(issue) for line in _blocking("policy", text))


def test_the_producer_policy_has_no_medium_or_higher_findings() -> None:
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/trades-dev-us-east-1"
    key = "arn:aws:kms:us-east-1:123456789012:key/0123456789abcdef0123456789abcdef"
    assert _blocking("policy", iam.to_json(iam.trade_producer_policy(arn, key))) == []
