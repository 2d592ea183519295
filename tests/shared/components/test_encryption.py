"""Customer-managed keys: the data layer's and the network layer's, one each per environment."""

from __future__ import annotations

import pytest

from tests.support.documents import Document, layer, one, policy, resources


@pytest.mark.parametrize(
    ("owner", "purpose"), [("data", "trading-analytics-key"), ("network", "network-logs-key")]
)
def test_one_rotated_customer_managed_key_per_layer_and_environment(
    doc: Document, environment: str, owner: str, purpose: str
) -> None:
    key = one(doc, "aws:kms/key:Key", owner)["inputs"]
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    alias = one(doc, "aws:kms/alias:Alias", owner)["inputs"]
    assert alias["name"] == f"alias/{purpose}-{environment}-us-east-1"
    statements = policy(one(doc, "aws:kms/key:Key", owner))["Statement"]
    principals = [s["Principal"] for s in statements]
    # The data key also encrypts the alarm topic, so CloudWatch may use it to publish alarms.
    alarms = [{"Service": "cloudwatch.amazonaws.com"}] if owner == "data" else []
    assert principals == [
        {"AWS": "arn:aws:iam::123456789012:root"},
        {"Service": "logs.us-east-1.amazonaws.com"},
        *alarms,
    ]
    assert all("*" not in action for s in statements for action in s["Action"])
    assert statements[1]["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"
    }
    if alarms:
        assert statements[2]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert statements[2]["Condition"] == {
            "StringEquals": {"aws:SourceAccount": "123456789012"},
            "ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"},
        }
    assert not resources(doc, "aws:kms/key:Key", "compute")


def test_flow_logs_are_encrypted_with_the_network_layers_own_key(doc: Document) -> None:
    # The network layer reads nothing from the data layer: its flow logs use its own key.
    [group] = [r["inputs"] for r in resources(doc, "aws:cloudwatch/logGroup:LogGroup", "network")]
    [key] = resources(doc, "aws:kms/key:Key", "network")
    key_id = key["name"]
    assert group["kmsKeyId"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert group["kmsKeyId"] != layer(doc, "data")["outputs"]["kms_key_arn"], key_id
    assert "data" not in layer(doc, "network").get("reads", {})
