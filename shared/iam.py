"""IAM policy documents, built as plain dicts so tests and linters read what AWS will read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PolicyDocument = dict[str, Any]

# What the data processor does to its table (functions/data_processor/trade_analytics/store.py):
# TransactWriteItems of conditional Puts, which AWS authorises as dynamodb:PutItem per item
# (DynamoDB guide, "Using IAM with transactions"). It never reads: its rollup shards' state is
# its own, and a cancelled Put returns the existing item (ReturnValuesOnConditionCheckFailure).
TABLE_ACTIONS = ("dynamodb:PutItem",)
# Archive objects are written whole and never read back by the function.
ARCHIVE_ACTIONS = ("s3:PutObject",)
# Log group is created by the stack with its retention, so the function never creates one.
FUNCTION_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# A function in a VPC reaches it through ENIs the Lambda service manages with the function's
# role: the AWSLambdaVPCAccessExecutionRole managed policy's set, which grants all of it on "*".
# The function's network interfaces (Lambda developer guide, "Giving Lambda functions access to
# resources in an Amazon VPC"). Lambda checks the execution role's EC2 permissions when it
# attaches the function; no AWS source says which resources that check asks about. The guide
# documents one resource form as working, all ids of the account and region
# (`arn:aws:ec2:<region>:<account>:*/*`, for DeleteNetworkInterface: "Either specify a unique
# resource ID, or include all resource IDs"). Each write is granted on all ids of its own
# resource types (EC2's service authorization reference) in that account and region, which is
# the same set of ARNs as the guide's form for these actions: network-interface/* for the
# address and delete actions (their only resource type), and network-interface/*, subnet/* and
# security-group/* for CreateNetworkInterface. Scoping the create to this VPC's subnets and group
# (as before) has no documented source that Lambda's check accepts it, so it is not relied on.
ENI_CREATE_ACTIONS = ("ec2:CreateNetworkInterface",)
ENI_ADDRESS_ACTIONS = ("ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")
ENI_DELETE_ACTIONS = ("ec2:DeleteNetworkInterface",)
# - the two Describe actions work only on "*" (the guide says so of DescribeNetworkInterfaces;
#   EC2's Describe* actions support no resource-level permissions at all).
ENI_DESCRIBE_ACTIONS = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets")
ENI_ACTIONS = ENI_CREATE_ACTIONS + ENI_ADDRESS_ACTIONS + ENI_DELETE_ACTIONS + ENI_DESCRIBE_ACTIONS
# Active tracing: the function sends segments to X-Ray, which has no resource-level permissions.
XRAY_ACTIONS = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")
# Lambda's asynchronous invoke sends an event that failed every retry here, as the function role;
# so do the stream mapping's on-failure destination and the function's own dead letters
# (SendMessageBatch is authorised as sqs:SendMessage).
DLQ_ACTIONS = ("sqs:SendMessage",)
# What the Kinesis event source mapping does with the function's role (Lambda developer guide,
# "Process Amazon Kinesis Data Streams records with Lambda"), on the one stream. Not
# kinesis:SubscribeToShard (enhanced fan-out consumers only) nor kinesis:ListStreams (the
# mapping names its stream; listing the account's streams is not needed).
STREAM_READ_ACTIONS = (
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
)
# What a producer needs: put records, and the platform key to encrypt them with (Kinesis
# server-side encryption calls kms:GenerateDataKey as the producer).
STREAM_WRITE_ACTIONS = ("kinesis:DescribeStreamSummary", "kinesis:PutRecord", "kinesis:PutRecords")
PRODUCER_KEY_ACTIONS = ("kms:GenerateDataKey",)
# The function's use of the platform key: S3 SSE-KMS puts, the KMS-encrypted DLQ and table.
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
# The account administers the key and delegates use to IAM policies (scoped ones, as above);
# listed explicitly, so no statement of the key policy holds a wildcard action.
KEY_ACCOUNT_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# CloudWatch Logs encrypts log groups as its own service principal, not as a caller. Only
# actions that carry an encryption context: the condition below could never match others.
KEY_LOGS_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
# CloudWatch publishing an alarm to a topic encrypted with a customer-managed key: the key use
# SNS makes on the publisher's behalf (SNS developer guide, "Enable compatibility between event
# sources from AWS services and encrypted topics"), and the publish itself.
KEY_ALARM_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
ALARM_PUBLISH_ACTIONS = ("sns:Publish",)
FLOW_LOG_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
# The flow-logs service lists log groups before delivering; AWS authorises that on "*" only.
FLOW_LOG_DISCOVERY_ACTIONS = ("logs:DescribeLogGroups",)
# Actions AWS grants only on "*", each with the reason: the allow-list every check reads.
UNSCOPED_ACTIONS: dict[str, str] = {
    **{
        action: "EC2 Describe* actions support no resource-level permissions"
        for action in ENI_DESCRIBE_ACTIONS
    },
    **{action: "X-Ray trace writes take no resource ARN" for action in XRAY_ACTIONS},
    **{
        action: "listing log groups is authorised on '*' only"
        for action in FLOW_LOG_DISCOVERY_ACTIONS
    },
}


@dataclass(frozen=True)
class NetworkScope:
    """Where the function's ENIs live: this account and region (see ENI_CREATE_ACTIONS)."""

    partition: str
    region: str
    account_id: str

    def every(self, resource_type: str) -> str:
        """Every id of one EC2 resource type in this account and region."""
        return f"arn:{self.partition}:ec2:{self.region}:{self.account_id}:{resource_type}/*"

    def interfaces(self) -> str:
        return self.every("network-interface")

    def create_resources(self) -> list[str]:
        return [self.every(t) for t in ("network-interface", "subnet", "security-group")]


def document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, actions: tuple[str, ...], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def service_trust(service: str, conditions: dict[str, Any] | None = None) -> PolicyDocument:
    """A trust policy that lets exactly one AWS service principal assume the role."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = conditions
    return document(statement)


def log_group_resources(log_group_arn: str) -> list[str]:
    """The group itself (CreateLogStream) and its streams (PutLogEvents), nothing wider."""
    return [log_group_arn, f"{log_group_arn}:log-stream:*"]


def data_processor_policy(
    *,
    table_arn: str,
    bucket_arn: str,
    log_group_arn: str,
    dlq_arn: str,
    key_arn: str,
    stream_arn: str,
    failure_queue_arn: str,
    network: NetworkScope,
) -> PolicyDocument:
    """The function's inline policy: explicit actions, each on the one resource it needs."""
    return document(
        allow("AnalyticsTableAccess", TABLE_ACTIONS, [table_arn]),
        allow("ArchiveObjectWrites", ARCHIVE_ACTIONS, [f"{bucket_arn}/*"]),
        allow("OwnLogStreams", FUNCTION_LOG_ACTIONS, log_group_resources(log_group_arn)),
        allow("DeadLetterQueue", DLQ_ACTIONS, [dlq_arn]),
        allow("TradeStreamReads", STREAM_READ_ACTIONS, [stream_arn]),
        allow("FailedTradeRecords", DLQ_ACTIONS, [failure_queue_arn]),
        allow("PlatformKey", KEY_USE_ACTIONS, [key_arn]),
        allow("CreateNetworkInterfaces", ENI_CREATE_ACTIONS, network.create_resources()),
        allow(
            "NetworkInterfaceAddresses", ENI_ADDRESS_ACTIONS, [network.every("network-interface")]
        ),
        allow("DeleteNetworkInterfaces", ENI_DELETE_ACTIONS, [network.every("network-interface")]),
        allow("DescribeNetworkInterfaces", ENI_DESCRIBE_ACTIONS, ["*"]),
        allow("TraceSegments", XRAY_ACTIONS, ["*"]),
    )


def trade_producer_policy(stream_arn: str, key_arn: str) -> PolicyDocument:
    """What a system putting trades on the stream needs (README, "Sending trades").

    No stack creates it yet, and it stays here on purpose: it is the other half of the stream's
    and the key's grants (the same action sets as the function's), so a change to either is made
    in this one module, and the stack that will give producers a role imports it from here.
    """
    return document(
        allow("PutTrades", STREAM_WRITE_ACTIONS, [stream_arn]),
        allow("EncryptTrades", PRODUCER_KEY_ACTIONS, [key_arn]),
    )


def key_policy(
    partition: str, account_id: str, region: str, *, alarm_topics: bool = False
) -> PolicyDocument:
    """Who may use the platform key: this account through IAM, CloudWatch Logs for its own log
    groups in this region, and (where the key encrypts the alarm topic) CloudWatch for this
    account's alarms in this region. In a key policy "Resource": "*" means this key."""
    alarms = (
        [
            {
                "Sid": "CloudWatchAlarmsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": sorted(KEY_ALARM_ACTIONS),
                "Resource": "*",
                "Condition": alarm_conditions(partition, account_id, region),
            }
        ]
        if alarm_topics
        else []
    )
    return document(
        {
            "Sid": "AccountAdministersAndDelegatesToIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": sorted(KEY_ACCOUNT_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": sorted(KEY_LOGS_ACTIONS),
            "Resource": "*",
            # The context value is an ARN compared as a string (the key's documented type).
            "Condition": {
                "StringLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    )
                }
            },
        },
        *alarms,
    )


def alarm_conditions(partition: str, account_id: str, region: str) -> dict[str, Any]:
    """CloudWatch acting for this account's alarms in this region only (confused deputy)."""
    return {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"},
    }


def alarm_topic_policy(
    topic_arn: str, partition: str, account_id: str, region: str
) -> PolicyDocument:
    """The alarm topic's resource policy: CloudWatch may publish this account's alarms to it.
    The account's own principals publish or subscribe through IAM, as for any resource."""
    return document(
        {
            "Sid": "CloudWatchAlarmsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": list(ALARM_PUBLISH_ACTIONS),
            "Resource": topic_arn,
            "Condition": alarm_conditions(partition, account_id, region),
        }
    )


def flow_log_policy(log_group_arn: str) -> PolicyDocument:
    return document(
        allow("FlowLogDelivery", FLOW_LOG_ACTIONS, log_group_resources(log_group_arn)),
        allow("FlowLogDiscovery", FLOW_LOG_DISCOVERY_ACTIONS, ["*"]),
    )


def deny_insecure_transport(bucket_arn: str) -> PolicyDocument:
    """Bucket policy refusing every request not made over TLS.

    The `s3:*` here sits in a Deny, which only removes access; it is AWS's documented form of
    this control (Security Hub S3.5) and the one wildcard action the project writes.
    """
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def to_json(doc: PolicyDocument) -> str:
    # Sorted keys keep the rendered policy byte-stable, so an unchanged policy never diffs.
    return json.dumps(doc, sort_keys=True)
