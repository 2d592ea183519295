"""The Terraform-plan export: types, attributes, blocks and references as Terraform writes them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from guardrails.terraform import exported_resources, snake, terraform_type, to_plan
from tests.support.documents import Document


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
        (
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "aws_vpc_security_group_egress_rule",
        ),
        ("aws:lambda/eventSourceMapping:EventSourceMapping", "aws_lambda_event_source_mapping"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws_s3_bucket_server_side_encryption_configuration",
        ),
        ("trading:data:ArchiveBucket", None),
        ("pulumi:pulumi:StackReference", None),
    ],
)
def test_type_tokens_become_terraform_types(token: str, expected: str | None) -> None:
    assert terraform_type(token) == expected


def test_attribute_names_become_snake_case() -> None:
    assert snake("kmsMasterKeyId") == "kms_master_key_id"
    assert snake("cidrIpv4") == "cidr_ipv4"


def _planned(plan: dict[str, Any], address_part: str) -> dict[str, Any]:
    return next(
        r
        for r in plan["planned_values"]["root_module"]["resources"]
        if address_part in r["address"]
    )


def _configured(plan: dict[str, Any], address_part: str) -> dict[str, Any]:
    return next(
        r for r in plan["configuration"]["root_module"]["resources"] if address_part in r["address"]
    )


def test_every_aws_resource_is_exported_once(doc: Document) -> None:
    plan = to_plan(doc)
    addresses = [r["address"] for r in plan["planned_values"]["root_module"]["resources"]]
    assert len(addresses) == len(set(addresses)) == len(exported_resources(doc))
    aws = [r for layer in doc["layers"] for r in layer["resources"] if r["type"].startswith("aws:")]
    assert len(addresses) == len(aws)


def test_references_connect_resources_as_terraform_records_them(doc: Document) -> None:
    plan = to_plan(doc)
    policy = _configured(plan, "aws_s3_bucket_policy.")
    assert policy["expressions"]["bucket"] == {
        "references": ["aws_s3_bucket.data_archive_bucket.id", "aws_s3_bucket.data_archive_bucket"]
    }
    # A referenced value is unknown until apply, so it is not among the planned values.
    assert "bucket" not in _planned(plan, "aws_s3_bucket_policy.")["values"]
    # Across layers too: the function's subnets are the network layer's.
    function = _configured(plan, "aws_lambda_function.")["expressions"]
    subnet_refs = function["vpc_config"][0]["subnet_ids"]["references"]
    assert subnet_refs[1].startswith("aws_subnet.network_")


def test_nested_objects_become_blocks_and_maps_stay_maps(doc: Document) -> None:
    plan = to_plan(doc)
    table = _planned(plan, "aws_dynamodb_table.")["values"]
    assert table["point_in_time_recovery"] == [{"enabled": True}]
    assert {a["name"] for a in table["attribute"]} == {"pk", "sk"}  # `attributes` -> `attribute`
    assert isinstance(table["tags"], dict) and table["tags"]["Layer"] == "data"
    function = _planned(plan, "aws_lambda_function.")["values"]
    assert isinstance(function["environment"][0]["variables"], dict)
    assert "code" not in function
    json.dumps(plan)
