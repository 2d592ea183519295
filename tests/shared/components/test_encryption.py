"""The platform's customer-managed key: one per environment, rotated."""

from __future__ import annotations

from tests.support.documents import Document, one, policy


def test_one_rotated_customer_managed_key_per_environment(doc: Document, environment: str) -> None:
    key = one(doc, "aws:kms/key:Key")["inputs"]
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    alias = one(doc, "aws:kms/alias:Alias")["inputs"]
    assert alias["name"] == f"alias/trading-analytics-key-{environment}-us-east-1"
    statements = policy(one(doc, "aws:kms/key:Key"))["Statement"]
    principals = [s["Principal"] for s in statements]
    assert principals == [
        {"AWS": "arn:aws:iam::123456789012:root"},
        {"Service": "logs.us-east-1.amazonaws.com"},
    ]
    assert all("*" not in action for s in statements for action in s["Action"])
    assert statements[1]["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"
    }
