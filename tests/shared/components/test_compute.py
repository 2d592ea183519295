"""The compute layer: the data processor, its role and its log group."""

from __future__ import annotations

import json
from typing import Any

from shared import iam
from shared.environments import PROFILES, EnvironmentProfile
from tests.support.documents import Document, as_list, layer, one, policy, resources


def _function(doc: Document) -> dict[str, Any]:
    inputs: dict[str, Any] = one(doc, "aws:lambda/function:Function")["inputs"]
    return inputs


def test_function_matrix_cells(
    doc: Document, profile: EnvironmentProfile, environment: str
) -> None:
    function = _function(doc)
    assert function["name"] == f"data-processor-{environment}-us-east-1"
    assert function["memorySize"] == profile.lambda_memory_mb
    assert function["architectures"] == ["arm64"]
    assert function["runtime"] in {"python3.12", "python3.13"}
    assert function["handler"] == "handler.handler"
    assert 0 < function["timeout"] <= 900


def test_function_environment_names_its_table_bucket_and_environment(
    doc: Document, environment: str
) -> None:
    data = layer(doc, "data")["outputs"]
    profile = PROFILES[environment]
    assert _function(doc)["environment"]["variables"] == {
        "TABLE_NAME": data["dynamodb_table_name"],
        "BUCKET_NAME": data["s3_bucket_name"],
        "ENVIRONMENT": environment,
        "FAILURE_QUEUE_URL": data["failure_queue_url"],
        "TRADE_MAX_AGE_HOURS": str(profile.trade_max_age_hours),
        "TRADE_MAX_AHEAD_SECONDS": str(profile.trade_max_ahead_seconds),
    }


def test_function_runs_in_the_network_stack_subnets_and_group(doc: Document) -> None:
    network = layer(doc, "network")["outputs"]
    vpc_config = _function(doc)["vpcConfig"]
    assert vpc_config["subnetIds"] == network["private_subnet_ids"]
    assert vpc_config["securityGroupIds"] == [network["lambda_security_group_id"]]


def test_function_package_is_the_data_processor_code(doc: Document) -> None:
    function = _function(doc)
    assert function["code"] == {"archive": {"path": "build/lambda/data_processor.zip"}}
    assert function["sourceCodeHash"]


def test_log_group_exists_with_retention_and_is_the_functions(
    doc: Document, profile: EnvironmentProfile, environment: str
) -> None:
    [group] = [r["inputs"] for r in resources(doc, "aws:cloudwatch/logGroup:LogGroup", "compute")]
    assert group["name"] == f"/aws/lambda/data-processor-{environment}-us-east-1"
    assert group["retentionInDays"] == profile.log_retention_days
    assert _function(doc)["loggingConfig"]["logGroup"] == group["name"]
    assert layer(doc, "compute")["outputs"]["log_group_name"] == group["name"]


def test_logs_environment_and_queue_are_encrypted_with_the_data_layer_key(doc: Document) -> None:
    key = layer(doc, "data")["outputs"]["kms_key_arn"]
    assert _function(doc)["kmsKeyArn"] == key
    for group in resources(doc, "aws:cloudwatch/logGroup:LogGroup", "compute"):
        assert group["inputs"]["kmsKeyId"] == key


def test_log_group_and_policy_are_registered_before_the_function(doc: Document) -> None:
    # Registration order is dependency order under the mock runtime: the function's
    # depends_on holds it back until both exist.
    names = [r["type"] for r in layer(doc, "compute")["resources"]]
    function_at = names.index("aws:lambda/function:Function")
    assert names.index("aws:cloudwatch/logGroup:LogGroup") < function_at
    assert names.index("aws:iam/rolePolicy:RolePolicy") < function_at


def test_role_is_assumable_only_by_lambda(doc: Document, environment: str) -> None:
    role = one(doc, "aws:iam/role:Role", "compute")
    assert role["inputs"]["name"] == f"data-processor-role-{environment}-us-east-1"
    trust = policy(role, "assumeRolePolicy")["Statement"]
    assert trust == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    assert _function(doc)["role"] == layer(doc, "compute")["outputs"]["lambda_role_arn"]
    assert not resources(doc, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")


def test_inline_policy_has_no_wildcard_action(synthesized: dict[str, Document]) -> None:
    for environment, doc in synthesized.items():
        for role_policy in resources(doc, "aws:iam/rolePolicy:RolePolicy"):
            for statement in policy(role_policy)["Statement"]:
                assert "NotAction" not in statement
                for action in as_list(statement["Action"]):
                    service, _, verb = action.partition(":")
                    assert service and verb and "*" not in action, (environment, action)


def test_inline_policy_scopes_each_statement_to_its_resource(doc: Document) -> None:
    data = layer(doc, "data")["outputs"]
    log_group = one(doc, "aws:cloudwatch/logGroup:LogGroup", "compute")["inputs"]["name"]
    log_arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{log_group}"
    dlq = one(doc, "aws:sqs/queue:Queue", "compute")["inputs"]["name"]
    ec2 = "arn:aws:ec2:us-east-1:123456789012"
    document = policy(one(doc, "aws:iam/rolePolicy:RolePolicy", "compute"))
    by_sid: dict[str, tuple[set[str], list[str]]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert len({a.split(":")[0] for a in actions}) == 1, "one service per statement"
        by_sid[statement["Sid"]] = (set(actions), as_list(statement["Resource"]))
    assert by_sid == {
        "AnalyticsTableAccess": ({"dynamodb:PutItem"}, [data["dynamodb_table_arn"]]),
        "ArchiveObjectWrites": ({"s3:PutObject"}, [f"{data['s3_bucket_arn']}/*"]),
        "OwnLogStreams": (set(iam.FUNCTION_LOG_ACTIONS), [log_arn, f"{log_arn}:log-stream:*"]),
        "DeadLetterQueue": (
            {"sqs:SendMessage"},
            [f"arn:aws:sqs:us-east-1:123456789012:{dlq}"],
        ),
        "TradeStreamReads": (set(iam.STREAM_READ_ACTIONS), [data["trade_stream_arn"]]),
        "FailedTradeRecords": ({"sqs:SendMessage"}, [data["failure_queue_arn"]]),
        "PlatformKey": (set(iam.KEY_USE_ACTIONS), [data["kms_key_arn"]]),
        "CreateNetworkInterfaces": (
            {"ec2:CreateNetworkInterface"},
            # Every id of its three resource types in this account and region (shared/iam.py).
            [f"{ec2}:network-interface/*", f"{ec2}:subnet/*", f"{ec2}:security-group/*"],
        ),
        "NetworkInterfaceAddresses": (
            {"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"},
            [f"{ec2}:network-interface/*"],
        ),
        "DeleteNetworkInterfaces": ({"ec2:DeleteNetworkInterface"}, [f"{ec2}:network-interface/*"]),
        "DescribeNetworkInterfaces": (
            {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"},
            ["*"],
        ),
        "TraceSegments": (set(iam.XRAY_ACTIONS), ["*"]),
    }
    unscoped = {
        action
        for s in document["Statement"]
        if s["Resource"] == ["*"]
        for action in as_list(s["Action"])
    }
    assert unscoped <= set(iam.UNSCOPED_ACTIONS)


def test_the_function_reads_the_data_layers_stream_as_the_matrix_says(
    doc: Document, profile: EnvironmentProfile
) -> None:
    data = layer(doc, "data")["outputs"]
    mapping = one(doc, "aws:lambda/eventSourceMapping:EventSourceMapping", "compute")["inputs"]
    function = _function(doc)
    assert mapping["eventSourceArn"] == data["trade_stream_arn"]
    assert (
        mapping["functionName"]
        == f"arn:aws:lambda:us-east-1:123456789012:function:{function['name']}"
    )
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["bisectBatchOnFunctionError"] is True
    assert mapping["destinationConfig"] == {
        "onFailure": {"destinationArn": data["failure_queue_arn"]}
    }
    assert mapping["startingPosition"] == "TRIM_HORIZON"
    assert (
        mapping["batchSize"],
        mapping["maximumBatchingWindowInSeconds"],
        mapping["parallelizationFactor"],
        mapping["maximumRetryAttempts"],
        mapping["maximumRecordAgeInSeconds"],
    ) == (
        profile.stream_batch_size,
        profile.stream_batching_window_seconds,
        profile.stream_parallelization_factor,
        profile.stream_max_retry_attempts,
        profile.stream_max_record_age_seconds,
    )


def test_function_traces_keeps_failed_events_and_is_capped(
    doc: Document, profile: EnvironmentProfile, environment: str
) -> None:
    function = _function(doc)
    queue = one(doc, "aws:sqs/queue:Queue", "compute")["inputs"]
    assert function["tracingConfig"] == {"mode": "Active"}
    # None in the matrix: the input is left out, and Lambda reserves nothing.
    assert function.get("reservedConcurrentExecutions") == profile.lambda_reserved_concurrency
    assert queue["name"] == f"data-processor-dlq-{environment}-us-east-1"
    assert function["deadLetterConfig"]["targetArn"].endswith(f":{queue['name']}")
    assert queue["kmsMasterKeyId"] == layer(doc, "data")["outputs"]["kms_key_arn"]
    assert queue["messageRetentionSeconds"] == 14 * 24 * 3600


def test_policy_json_is_byte_stable(synthesized: dict[str, Document]) -> None:
    for doc in synthesized.values():
        text = one(doc, "aws:iam/rolePolicy:RolePolicy", "compute")["inputs"]["policy"]
        assert text == json.dumps(json.loads(text), sort_keys=True)
